"""A sourced row's placement and history, resolved by name against the real sandbox (no Temporal).

Pools, stages, schools, degrees and disciplines are matched ignoring case and spacing; what Greenhouse
lacks is named (a pool fails the row before anything is made; an education is left out and reported);
a retry or a matched person gains nothing twice; a missing write scope is reported, never silent.
"""

from __future__ import annotations

from typing import Any

import pytest

from integrations.greenhouse.client import HarvestClient
from integrations.sourcing_profile import ProspectPlace, SourcingProfile, SourcingRowError
from models.greenhouse import CreateCandidate
from models.sourcing import SourcedCandidate, validate_row
from sandbox.greenhouse.auth import ALL_SCOPES
from sandbox.greenhouse.server import SandboxServer
from tests.fixtures.sandbox import SandboxFactory, client_for

CONSENT = {"basis": "consent", "given_at": "2026-01-05T10:00:00Z", "notice_version": "v3"}


def row(**changes: Any) -> SourcedCandidate:
    base: dict[str, Any] = {
        "external_id": "x-1",
        "first_name": "Grace",
        "last_name": "Hopper",
        "prospect": True,
        "consent": CONSENT,
    }
    return SourcedCandidate.model_validate(base | changes)


async def new_candidate(gh: HarvestClient) -> int:
    return (await gh.create_candidate(CreateCandidate(first_name="Grace", last_name="Hopper"))).id


def pool_and_stages(server: SandboxServer) -> tuple[int, list[int]]:
    pool_id, stage_ids = next(iter(server.seed.prospect_pools.items()))
    return pool_id, stage_ids


async def test_pools_and_stages_resolve_by_name_or_id_and_unknown_ones_are_refused(
    sandbox_factory: SandboxFactory,
) -> None:
    async with sandbox_factory(candidates=5) as server, client_for(server) as gh:
        profile = SourcingProfile(gh)
        pools = {p.name: p.id for p in await gh.list_prospect_pools().collect()}
        pool_id = pools["Future Engineering"]
        stages = {
            s.name: s.id for s in await gh.list_prospect_pool_stages(prospect_pool_ids=[pool_id]).collect()
        }

        assert await profile.place(row()) == ProspectPlace()
        assert await profile.place(row(prospect_pool="  future   ENGINEERING ")) == ProspectPlace(pool_id)
        assert await profile.place(row(prospect_pool=pool_id, prospect_stage="contacted")) == ProspectPlace(
            pool_id, stages["Contacted"]
        )
        assert await profile.place(  # a CSV cell: the ids as text
            row(prospect_pool=f" {pool_id}", prospect_stage=str(stages["Engaged"]))
        ) == ProspectPlace(pool_id, stages["Engaged"])
        with pytest.raises(SourcingRowError, match=r"^prospect_pool:"):
            await profile.place(row(prospect_pool="Pool That Is Not There"))
        with pytest.raises(SourcingRowError, match=r"^prospect_pool:"):
            await profile.place(row(prospect_pool=999_999_999))
        with pytest.raises(SourcingRowError, match=r"^prospect_pool:"):  # a digit, but not an ASCII one
            await profile.place(row(prospect_pool="\u00b2"))
        other_pool = pools["Silver Medalists"]
        other_stage = (await gh.list_prospect_pool_stages(prospect_pool_ids=[other_pool]).collect())[0].id
        with pytest.raises(SourcingRowError, match=r"^prospect_stage:"):  # a stage of another pool
            await profile.place(row(prospect_pool=pool_id, prospect_stage=other_stage))


def test_placement_and_history_fields_are_validated_naming_the_field() -> None:
    def problems(**changes: Any) -> set[str]:
        base = {"external_id": "x", "first_name": "A", "last_name": "B", "prospect": True, "consent": CONSENT}
        _, found = validate_row(base | changes, 0)
        return {p.field for p in found}

    assert problems(prospect_pool="Future Engineering", prospect_stage="Contacted") == set()
    assert problems(prospect=False, job_id=5, prospect_pool="Future Engineering") == {"row"}
    assert problems(prospect_stage="Contacted") == {"row"}
    assert problems(educations=[{"start_date": "2010-09-01"}]) == {"educations.0"}
    assert problems(educations=[{"school": "X", "start_date": "2014-09-01", "end_date": "2010-06-01"}]) == {
        "educations.0"
    }
    assert problems(employments=[{"company": "Navy", "title": "Officer"}]) == {"employments.0.start_date"}
    assert problems(employments=[{"company": "Navy", "title": "x" * 256, "start_date": "1943-01-01"}]) == {
        "employments.0.title"
    }
    assert problems(employments=[{"company": "N", "title": "T", "start_date": "1943-01-01"}] * 21) == {
        "employments"
    }


async def test_history_is_written_once_and_what_greenhouse_lacks_is_named(
    sandbox_factory: SandboxFactory,
) -> None:
    async with sandbox_factory(candidates=5) as server, client_for(server) as gh:
        profile = SourcingProfile(gh)
        candidate_id = await new_candidate(gh)
        sourced = row(
            educations=[
                {
                    "school": "contoso college",
                    "degree": "Master's Degree",
                    "discipline": "Computer  Science",
                    "start_date": "2010-09-01",
                    "end_date": "2012-06-30",
                },
                {"school": "University of Nowhere", "degree": "Doctorate"},
                {"degree": "Bachelor's Degree"},
            ],
            employments=[
                {"company": "US Navy", "title": "Rear Admiral", "start_date": "1943-12-01"},
                {
                    "company": "Remington Rand",
                    "title": "Senior Mathematician",
                    "start_date": "1949-01-01",
                    "end_date": "1967-01-01",
                },
            ],
        )

        notes = await profile.write_history(candidate_id, sourced)

        assert notes == ["educations.1.school not on Greenhouse's list: that education was not added"]
        options = {o.name: o.id for o in await gh.list_custom_field_options().collect()}
        educations = await gh.list_candidate_educations(candidate_ids=[candidate_id]).collect()
        assert {
            (
                e.school_name_custom_field_option_id,
                e.degree_custom_field_option_id,
                e.discipline_custom_field_option_id,
                e.start_date_year,
            )
            for e in educations
        } == {
            (options["Contoso College"], options["Master's Degree"], options["Computer Science"], 2010),
            (None, options["Bachelor's Degree"], None, None),
        }
        employments = await gh.list_candidate_employments(candidate_ids=[candidate_id]).collect()
        assert sorted((e.company_name, e.title) for e in employments) == [
            ("Remington Rand", "Senior Mathematician"),
            ("US Navy", "Rear Admiral"),
        ]

        # A retry (or the same person sourced again, spelled differently) adds nothing twice.
        again = row(
            educations=sourced.model_dump()["educations"],
            employments=[{"company": "us navy", "title": "REAR admiral", "start_date": "1943-12-01"}],
        )
        assert await profile.write_history(candidate_id, again) == notes
        assert len(await gh.list_candidate_educations(candidate_ids=[candidate_id]).collect()) == 2
        assert len(await gh.list_candidate_employments(candidate_ids=[candidate_id]).collect()) == 2


@pytest.mark.parametrize(
    ("withheld", "reported", "kept"),
    [
        (  # a write refused: that entry is named, the rest is written
            "harvest:candidate_employments:create",
            "employments.0 not added: the API credential lacks the scope harvest:candidate_employments:create",
            "educations",
        ),
        (  # a read refused: the candidate exists by now, so this must not fail the row (no consent kept)
            "harvest:candidate_educations:list",
            "educations not added: the API credential lacks the scope harvest:candidate_educations:list",
            "employments",
        ),
    ],
)
async def test_a_missing_scope_is_reported_in_the_row_and_never_fails_it(
    sandbox_factory: SandboxFactory, withheld: str, reported: str, kept: str
) -> None:
    granted = sorted(set(ALL_SCOPES) - {withheld})
    async with sandbox_factory(candidates=5) as server:
        await server.add_credential("narrow", "secret", granted)
        async with client_for(server, client_id="narrow", client_secret="secret") as gh:
            candidate_id = await new_candidate(gh)
            notes = await SourcingProfile(gh).write_history(
                candidate_id,
                row(
                    educations=[{"degree": "Doctorate"}],
                    employments=[{"company": "Navy", "title": "Officer", "start_date": "1943-12-01"}],
                ),
            )
        assert notes == [reported]
        async with client_for(server) as gh:
            listing = gh.list_candidate_educations if kept == "educations" else gh.list_candidate_employments
            assert len(await listing(candidate_ids=[candidate_id]).collect()) == 1


async def test_a_pool_created_after_the_list_was_read_is_found(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(candidates=5) as server, client_for(server) as gh:
        profile = SourcingProfile(gh)
        pools = {p.name: p.id for p in await gh.list_prospect_pools().collect()}
        assert await profile.place(row(prospect_pool="Future Engineering")) == ProspectPlace(
            pools["Future Engineering"]
        )
        # As if the list had been read before the pool existed (a worker up since before it was made).
        profile._pools, profile._pool_ids = {}, set()
        assert await profile.place(row(prospect_pool="silver medalists")) == ProspectPlace(
            pools["Silver Medalists"]
        )
