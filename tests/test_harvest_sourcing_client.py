"""The Harvest client's sourcing and mirror methods against the sandbox over HTTP, incl. a named missing scope."""

from __future__ import annotations

from datetime import date

import pytest

from integrations.greenhouse import MissingScopeError, ValidationError
from integrations.greenhouse.scopes import required_scope
from models.greenhouse import (
    AddAttachment,
    AddEducation,
    AddEmployment,
    AnonymizeCandidate,
    ConvertProspect,
    CreateCandidate,
    CreateWebhook,
    EmailAddressInput,
    ProspectApplication,
)
from tests.fixtures.sandbox import SandboxFactory
from tests.test_harvest_sandbox import harvest

PDF = b"%PDF-1.4\n%%EOF\n"


def test_required_scope_per_route() -> None:
    assert required_scope("GET", "/v3/candidate_educations") == "harvest:candidate_educations:list"
    assert required_scope("POST", "/v3/candidates/5/merge") == "harvest:candidates:merge"
    assert required_scope("PATCH", "/v3/candidates/5/anonymize") == "harvest:candidates:anonymize"
    assert required_scope("POST", "/v3/applications/5/convert_to_candidate") == (
        "harvest:applications:convert_to_candidate"
    )
    assert required_scope("PATCH", "/v3/applications/5") == "harvest:applications:update"
    assert (
        required_scope("DELETE", "/v3/applied_candidate_tags/9") == "harvest:applied_candidate_tags:destroy"
    )
    assert required_scope("POST", "/token") is None


async def test_sourcing_round_trip(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(candidates=10) as server, harvest(server) as gh:
        pool_id, stages = next(iter(server.seed.prospect_pools.items()))
        cand = await gh.create_candidate(
            CreateCandidate(
                first_name="Ada",
                last_name="Sourced",
                email_addresses=[EmailAddressInput(value="ada.sourced@example.com", type="personal")],
                tags=["inhire"],
                application=ProspectApplication(prospect_pool_id=pool_id, prospect_pool_stage_id=stages[0]),
            )
        )
        [prospect] = await gh.list_applications(candidate_ids=[cand.id]).collect()
        [detail] = await gh.list_prospect_details(application_ids=[prospect.id]).collect()
        assert (detail.pool_id, detail.pool_stage_id) == (pool_id, stages[0])
        attachment = await gh.add_attachment(
            AddAttachment.from_bytes(application_id=prospect.id, filename="cv.pdf", data=PDF, type="resume")
        )
        assert attachment.type == "resume"
        options = server.seed.education_option_ids
        edu = await gh.add_education(
            AddEducation(candidate_id=cand.id, degree_custom_field_option_id=options["degree"][0])
        )
        emp = await gh.add_employment(
            AddEmployment(
                candidate_id=cand.id, company_name="Litware", title="Dev", start_date=date(2020, 1, 1)
            )
        )
        assert [e.id for e in await gh.list_candidate_educations(candidate_ids=[cand.id]).collect()] == [
            edu.id
        ]
        assert [e.id for e in await gh.list_candidate_employments(candidate_ids=[cand.id]).collect()] == [
            emp.id
        ]
        tag = await gh.create_candidate_tag("Referral pipeline")
        applied = await gh.apply_candidate_tag(cand.id, tag.id)
        again = await gh.apply_candidate_tag(cand.id, tag.id)  # idempotent: same row, no error
        assert again.id == applied.id
        assert (await gh.get_candidate(cand.id)).tags == ["inhire", "Referral pipeline"]
        job_id = next(j.id for j in await gh.list_jobs(status="open").collect())
        converted = await gh.convert_prospect(prospect.id, ConvertProspect(job_id=job_id))
        assert converted.job_id == job_id and not converted.prospect
        twin = await gh.create_candidate(CreateCandidate(first_name="Ada", last_name="Twin"))
        kept = await gh.merge_candidates(cand.id, twin.id)
        assert kept.id == cand.id
        erased = await gh.anonymize_candidate(
            cand.id, AnonymizeCandidate(fields=["full_name", "email_addresses"])
        )
        assert (erased.first_name, erased.email_addresses) == (None, [])
        assert await gh.list_candidates(email="ada.sourced@example.com").collect() == []
        with pytest.raises(ValidationError) as refused:
            await gh.add_employment(
                AddEmployment(candidate_id=1, company_name="X", title="Y", start_date=date(2020, 1, 1))
            )
        assert refused.value.errors == [{"candidate_id": "`1` does not exist"}]
        hook = await gh.create_webhook(
            CreateWebhook(
                name="n", url="http://127.0.0.1:9/none", event_action_type="update_candidate", secret_key="k"
            )
        )
        assert hook.deactivated is True  # the ping found nothing listening
        assert [h.id for h in await gh.list_webhooks(event_action_type="update_candidate").collect()] == [
            hook.id
        ]
        await gh.delete_webhook(hook.id)
        assert await gh.list_referrers().collect() and await gh.list_candidate_tags().collect()
        assert await gh.list_prospect_pool_stages(prospect_pool_ids=[pool_id]).collect()
        assert await gh.list_custom_field_options().collect()


async def test_missing_scope_names_the_scope(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(candidates=5) as server:
        await server.add_credential(
            "narrow", "secret", ["harvest:candidates:list", "harvest:candidates:create"]
        )
        async with harvest(server, client_id="narrow", client_secret="secret") as gh:
            assert await gh.list_candidates().collect()
            with pytest.raises(MissingScopeError) as write:
                await gh.merge_candidates(1, 2)
            assert write.value.scope == "harvest:candidates:merge" and write.value.status == 403
            assert "harvest:candidates:merge" in str(write.value)
            with pytest.raises(MissingScopeError) as read:
                await gh.list_candidate_employments().collect()
            assert read.value.scope == "harvest:candidate_employments:list"
            assert "site admin" in str(read.value)
