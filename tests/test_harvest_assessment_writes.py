"""The Greenhouse writes an assessment makes, through `HarvestClient` against the sandbox over real HTTP:
one batched custom-field write, the report attachment, the compare-and-swap advance, a rejection with a
reason, and how each fails (stale stage, unknown application, bad values, missing scope)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pydantic
import pytest
import pytest_asyncio

from integrations.greenhouse import (
    ApplicationMovedError,
    ConflictError,
    ForbiddenError,
    HarvestClient,
    NotFoundError,
    ValidationError,
)
from models.greenhouse import (
    AddAttachment,
    AddNote,
    CreateCandidate,
    EmailAddressInput,
    FirstApplication,
    MoveApplication,
    RejectApplication,
)
from sandbox.greenhouse.config import SandboxConfig
from sandbox.greenhouse.seed import ASSESSMENT_SCORE_KEY, TAKE_HOME_STAGE
from sandbox.greenhouse.server import SandboxServer
from tests.fixtures.sandbox import client_for

pytestmark = pytest.mark.integration

Sent = list[tuple[str, str, Any]]


@pytest_asyncio.fixture(scope="module")
async def server() -> AsyncIterator[SandboxServer]:
    """One small org for the module; each test works on applications it creates itself."""
    config = SandboxConfig(
        candidates=20,
        rate_limit=10_000,
        webhook_url="http://127.0.0.1:9/nowhere",  # nothing listens: deliveries are recorded, then given up
        webhook_retry_delays=[],
    )
    async with SandboxServer(config) as running:
        yield running


def harvest(server: SandboxServer, sent: Sent | None = None, **kwargs: Any) -> HarvestClient:
    """A client whose /v3 requests (method, path, JSON body) are recorded in `sent`."""

    async def record(request: httpx.Request) -> None:
        if sent is not None and request.url.path.startswith("/v3/"):
            body = json.loads(request.content) if request.content else None
            sent.append((request.method, request.url.path, body))

    http = httpx.AsyncClient(timeout=10.0, event_hooks={"request": [record]})
    return client_for(server, **{"http": http, **kwargs})


async def stages_of(gh: HarvestClient, job_id: int) -> dict[str, int]:
    return {s.name or "": s.id for s in await gh.list_job_interview_stages(job_ids=[job_id]).collect()}


async def phone_screen_application(gh: HarvestClient, server: SandboxServer, tag: str) -> tuple[int, int]:
    """A fresh candidate in Phone Screen of the first engineering job: (candidate id, application id)."""
    job_id = next(iter(server.seed.take_home_stage_ids))
    stages = await stages_of(gh, job_id)
    candidate = await gh.create_candidate(
        CreateCandidate(
            first_name="Ada",
            last_name=f"Assess-{tag}",
            email_addresses=[EmailAddressInput(value=f"ada.{tag}@example.com")],
            application=FirstApplication(job_id=job_id, initial_stage_id=stages["Phone Screen"]),
        )
    )
    [app] = await gh.list_applications(candidate_ids=[candidate.id]).collect()
    assert app.stage_name == "Phone Screen"
    return candidate.id, app.id


async def actions_for(server: SandboxServer) -> list[str]:
    return [d["action"] for d in await server.webhook_deliveries()]


async def test_several_custom_fields_in_one_request(server: SandboxServer) -> None:
    sent: Sent = []
    async with harvest(server, sent) as gh:
        _, app_id = await phone_screen_application(gh, server, "batch")
        sent.clear()
        updated = await gh.update_application_custom_fields(
            app_id, {ASSESSMENT_SCORE_KEY: 82.5, "how_did_you_hear": "Hireflow assessment"}
        )
        assert sent == [
            (
                "PATCH",
                f"/v3/applications/{app_id}",
                {
                    "custom_fields": [
                        {"name_key": ASSESSMENT_SCORE_KEY, "value": 82.5},
                        {"name_key": "how_did_you_hear", "value": "Hireflow assessment"},
                    ]
                },
            )
        ]
        assert updated.custom_fields is not None
        assert updated.custom_fields[ASSESSMENT_SCORE_KEY].model_dump() == {
            "name": "Assessment score",
            "type": "number",
            "value": 82.5,
        }
        # A later write changes only what it lists; None clears a value.
        await gh.update_application_custom_fields(app_id, {ASSESSMENT_SCORE_KEY: 91})
        sent.clear()
        await gh.update_application_custom_fields(app_id, {"how_did_you_hear": None})
        assert sent[0][2] == {"custom_fields": [{"name_key": "how_did_you_hear", "value": None}]}
        read = await gh.get_application(app_id)
        assert read.custom_fields is not None
        assert {k: v.value for k, v in read.custom_fields.items()} == {ASSESSMENT_SCORE_KEY: 91}
        assert read.stage_name == "Phone Screen"  # a field write is not a move
    assert "application_updated" in await actions_for(server)


async def test_custom_field_values_are_checked(server: SandboxServer) -> None:
    sent: Sent = []
    async with harvest(server, sent) as gh:
        _, app_id = await phone_screen_application(gh, server, "values")
        for values, field in (
            ({ASSESSMENT_SCORE_KEY: "eighty"}, f"custom_fields.{ASSESSMENT_SCORE_KEY}"),  # not a number
            ({ASSESSMENT_SCORE_KEY: True}, f"custom_fields.{ASSESSMENT_SCORE_KEY}"),  # bool is not a number
            ({"no_such_field": 1}, "custom_fields"),
            ({"desired_salary": "$1"}, "custom_fields"),  # a candidate field, not an application one
        ):
            with pytest.raises(ValidationError) as caught:
                await gh.update_application_custom_fields(app_id, values)
            assert caught.value.status == 422 and list(caught.value.errors[0]) == [field]
        # Hostile or unbounded input is refused before anything is sent.
        sent.clear()
        for bad in (
            {},
            {"../../jobs": 1},
            {"x" * 101: 1},
            {"how_did_you_hear": "x" * 10_001},
            {ASSESSMENT_SCORE_KEY: float("nan")},
            {f"field_{i}": 1 for i in range(51)},
        ):
            with pytest.raises(pydantic.ValidationError):
                await gh.update_application_custom_fields(app_id, bad)
        assert sent == []
        read = await gh.get_application(app_id)
        assert not read.custom_fields  # nothing half-written


async def test_take_home_report_attachment_and_result_note(server: SandboxServer) -> None:
    sent: Sent = []
    async with harvest(server, sent) as gh:
        candidate_id, app_id = await phone_screen_application(gh, server, "report")
        attachment = await gh.add_attachment(
            AddAttachment.from_bytes(
                application_id=app_id,
                filename="assessment-report.pdf",
                data=b"%PDF-1.4 report",
                type="take_home_test",
                content_type="application/pdf",
                visibility="admin_only",
            )
        )
        assert (attachment.type, attachment.application_id) == ("take_home_test", app_id)
        method, path, body = sent[-1]
        assert (method, path, body["type"], body["visibility"]) == (
            "POST",
            "/v3/attachments",
            "take_home_test",
            "admin_only",
        )
        listed = await gh.list_attachments(application_ids=[app_id], type="take_home_test").collect()
        assert [a.id for a in listed] == [attachment.id]
        note = await gh.add_note(
            AddNote(candidate_id=candidate_id, application_id=app_id, body="Assessment: 82/100 <b>ok</b>")
        )
        assert note.body == "Assessment: 82/100 <b>ok</b>" and note.user_id == server.hireflow_user_id
        with pytest.raises(pydantic.ValidationError):  # the read-side spelling is refused locally
            AddAttachment.from_bytes(
                application_id=app_id,
                filename="r.pdf",
                data=b"x",
                type="take_home_test",
                visibility="admin_only_visible",  # type: ignore[arg-type]
            )


async def test_advance_with_compare_and_swap_then_a_stale_move(server: SandboxServer) -> None:
    async with harvest(server) as gh:
        _, app_id = await phone_screen_application(gh, server, "move")
        app = await gh.get_application(app_id)
        stages = await stages_of(gh, app.job_id or 0)
        phone = stages["Phone Screen"]
        await gh.advance_application(app_id, from_stage_id=phone)  # the next stage is now Take Home Test
        moved = await gh.get_application(app_id)
        assert (moved.stage_name, moved.job_interview_stage_id) == (TAKE_HOME_STAGE, stages[TAKE_HOME_STAGE])
        # Someone else moves it on to Onsite; our retry from Phone Screen is refused as "moved".
        await gh.move_application(
            app_id, MoveApplication(from_stage_id=stages[TAKE_HOME_STAGE], to_stage_id=stages["Onsite"])
        )
        with pytest.raises(ApplicationMovedError) as caught:
            await gh.move_application(
                app_id, MoveApplication(from_stage_id=stages[TAKE_HOME_STAGE], to_stage_id=stages["Onsite"])
            )
        assert caught.value.status == 422 and isinstance(caught.value, ValidationError)
        assert (await gh.get_application(app_id)).stage_name == "Onsite"
        # A refusal for another reason is not mistaken for a race.
        with pytest.raises(ValidationError) as other:
            await gh.move_application(app_id, MoveApplication(from_stage_id=stages["Onsite"], to_stage_id=1))
        assert not isinstance(other.value, ApplicationMovedError)
    assert (await actions_for(server)).count("candidate_stage_change") >= 2


async def test_a_409_on_move_reads_as_moved_by_someone_else() -> None:
    """Greenhouse's body for a stale `from_stage_id` is undocumented; a 409 must read the same way."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "token_type": "bearer", "expires_in": 3600})
        return httpx.Response(409, json={"message": "Conflict"})

    async with HarvestClient(
        base_url="https://harvest.example",
        token_url="https://harvest.example/token",
        client_id="c",
        client_secret="s",
        user_id=1,
        transport=httpx.MockTransport(answer),
    ) as gh:
        with pytest.raises(ApplicationMovedError) as caught:
            await gh.advance_application(5, from_stage_id=7)
        with pytest.raises(ConflictError):  # a 409 elsewhere is a plain conflict
            await gh.update_application_custom_fields(5, {ASSESSMENT_SCORE_KEY: 1})
    assert caught.value.status == 409 and "stage 7" in str(caught.value)


async def test_reject_with_a_reason_then_moves_are_refused(server: SandboxServer) -> None:
    async with harvest(server) as gh:
        _, app_id = await phone_screen_application(gh, server, "reject")
        phone = (await gh.get_application(app_id)).job_interview_stage_id or 0
        with pytest.raises(ValidationError) as unknown_reason:
            await gh.reject_application(app_id, RejectApplication(rejection_reason_id=1))
        assert list(unknown_reason.value.errors[0]) == ["rejection_reason_id"]
        reason = (await gh.list_rejection_reasons().collect())[0]
        await gh.reject_application(
            app_id, RejectApplication(rejection_reason_id=reason.id, notes="Assessment below 70")
        )
        rejected = await gh.get_application(app_id)
        assert rejected.status == "rejected" and rejected.rejected_at is not None
        [detail] = await gh.list_resource(
            "/v3/rejection_details", RejectionDetailRow, {"application_ids": [app_id]}
        ).collect()
        assert detail.rejection_reason_id == reason.id and detail.rejection_note_id is not None
        with pytest.raises(ValidationError):  # twice: already rejected
            await gh.reject_application(app_id, RejectApplication(rejection_reason_id=reason.id))
        with pytest.raises(ValidationError) as advance:  # not active any more: not a stage race
            await gh.advance_application(app_id, from_stage_id=phone)
        assert not isinstance(advance.value, ApplicationMovedError)
    assert "reject_candidate" in await actions_for(server)


class RejectionDetailRow(pydantic.BaseModel):
    id: int
    rejection_reason_id: int | None = None
    rejection_note_id: int | None = None


async def test_unknown_application_is_not_found(server: SandboxServer) -> None:
    async with harvest(server) as gh:
        with pytest.raises(NotFoundError):
            await gh.update_application_custom_fields(1, {ASSESSMENT_SCORE_KEY: 50})
        with pytest.raises(NotFoundError):
            await gh.advance_application(1, from_stage_id=1)
        with pytest.raises(NotFoundError):
            await gh.reject_application(1, RejectApplication(rejection_reason_id=1))


async def test_missing_scope_is_forbidden(server: SandboxServer) -> None:
    async with harvest(server) as gh:
        _, app_id = await phone_screen_application(gh, server, "scope")
    await server.add_credential(
        "readonly-assess", "readonly-secret", ["harvest:applications:list", "harvest:custom_fields:list"]
    )
    async with harvest(server, client_id="readonly-assess", client_secret="readonly-secret") as narrow:
        with pytest.raises(ForbiddenError):
            await narrow.update_application_custom_fields(app_id, {ASSESSMENT_SCORE_KEY: 50})
        with pytest.raises(ForbiddenError):
            await narrow.add_attachment(
                AddAttachment.from_bytes(
                    application_id=app_id, filename="r.pdf", data=b"x", type="take_home_test"
                )
            )
        with pytest.raises(ForbiddenError):
            await narrow.advance_application(app_id, from_stage_id=1)
    async with harvest(server) as gh:
        app = await gh.get_application(app_id)
        assert app.stage_name == "Phone Screen" and not app.custom_fields
