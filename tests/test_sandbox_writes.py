"""Harvest v3 writes against the sandbox: status codes, validation bodies and read-after-write semantics."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from jsonschema import Draft202012Validator

from sandbox.greenhouse.config import SandboxConfig
from sandbox.greenhouse.schemas import load_schema
from sandbox.greenhouse.server import SandboxServer
from tests.fixtures.sandbox import FORMATS, harvest_client


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def server() -> AsyncIterator[SandboxServer]:
    """A private org: these tests change data the shared sandbox's users may rely on."""
    async with SandboxServer(SandboxConfig(candidates=80, seed=11, rate_limit=10_000)) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def client(server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with await harvest_client(server) as c:
        yield c


def valid(resource: str, obj: dict[str, Any]) -> dict[str, Any]:
    """Write responses are v3 objects too: same schema as the list endpoint."""
    schema = load_schema(resource)
    Draft202012Validator(schema, format_checker=FORMATS).validate(obj)
    assert set(obj) == set(schema["properties"])
    return obj


async def one(client: httpx.AsyncClient, resource: str, **params: Any) -> dict[str, Any]:
    rows = (await client.get(f"/v3/{resource}", params=params)).json()
    assert len(rows) == 1, rows
    result: dict[str, Any] = rows[0]
    return result


async def active_app(client: httpx.AsyncClient, stage: str, skip: set[int] | None = None) -> dict[str, Any]:
    apps = (
        await client.get(
            "/v3/applications",
            params={"status": "active", "stage_name": stage, "prospect": "false", "per_page": 500},
        )
    ).json()
    app: dict[str, Any] = next(a for a in apps if a["id"] not in (skip or set()))
    return app


async def open_job_plan(client: httpx.AsyncClient) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    job = (await client.get("/v3/jobs", params={"status": "open", "per_page": 1})).json()[0]
    stages = sorted(
        (await client.get("/v3/job_interview_stages", params={"job_ids": job["id"]})).json(),
        key=lambda s: s["sort_order"],
    )
    return job, stages


async def test_create_candidate_with_application_and_update(
    client: httpx.AsyncClient, server: SandboxServer
) -> None:
    job, stages = await open_job_plan(client)
    body = {
        "first_name": "Imani",
        "last_name": "Okoro",
        "company": "Fabrikam Systems",
        "title": "Data Engineer",
        "email_addresses": [{"value": "imani.okoro@example.com", "type": "personal"}],
        "phone_numbers": [{"value": "+1 555 0100 2000", "type": "mobile"}],
        "tags": ["referral"],
        "custom_fields": [{"name_key": "desired_salary", "value": "$150k"}],
        "application": {
            "job_id": job["id"],
            "source_id": 101,
            "recruiter_id": server.seed.recruiter_ids[0],
            "initial_stage_id": stages[1]["id"],
        },
    }
    created = await client.post("/v3/candidates", json=body)
    assert created.status_code == 201, created.text
    cand = valid("candidates", created.json())
    assert cand["first_name"] == "Imani" and cand["email_addresses"][0]["value"] == "imani.okoro@example.com"
    assert cand["custom_fields"]["desired_salary"] == {
        "name": "Desired Salary",
        "type": "short_text",
        "value": "$150k",
    }
    app = await one(client, "applications", candidate_ids=cand["id"])
    assert app["job_id"] == job["id"] and app["status"] == "in_process"
    assert app["job_interview_stage_id"] == stages[1]["id"] and app["stage_name"] == stages[1]["name"]
    row = await one(client, "application_stages", application_ids=app["id"])
    assert row["id"] == app["stage_id"] and row["current"] is True
    assert (await one(client, "candidates", email="IMANI.OKORO@example.com"))["id"] == cand["id"]

    patched = await client.patch(
        f"/v3/candidates/{cand['id']}",
        json={"title": "Senior Data Engineer", "phone_numbers": [], "is_private": True},
    )
    assert patched.status_code == 200
    updated = valid("candidates", patched.json())
    assert updated["title"] == "Senior Data Engineer" and updated["phone_numbers"] == []
    assert updated["private"] is True and updated["updated_at"] >= cand["updated_at"]
    assert updated["email_addresses"] == cand["email_addresses"]


async def test_candidate_validation_errors(client: httpx.AsyncClient) -> None:
    missing = await client.post("/v3/candidates", json={"first_name": "Only"})
    assert missing.status_code == 422
    assert missing.json() == {"message": "Unprocessable Content", "errors": [{"last_name": "is required"}]}
    bad_type = await client.post(
        "/v3/candidates",
        json={
            "first_name": "A",
            "last_name": "B",
            "email_addresses": [{"value": "a@example.com", "type": "home"}],
        },
    )
    assert bad_type.status_code == 422 and "email_addresses.0.type" in bad_type.json()["errors"][0]
    unknown = await client.post(
        "/v3/candidates", json={"first_name": "A", "last_name": "B", "is_prospect": True}
    )
    assert unknown.json()["errors"] == [{"is_prospect": "is not a permitted field"}]
    assert (await client.post("/v3/candidates", content=b"[1]")).status_code == 422
    nulls = await client.post("/v3/candidates", json={"first_name": "A", "last_name": "B", "can_email": None})
    assert nulls.json()["errors"] == [{"body": "can_email cannot be null; omit the field or send a value"}]
    assert (await client.patch("/v3/candidates/1", json={"title": "x"})).status_code == 404


async def test_prospect_and_application_for_existing_candidate(client: httpx.AsyncClient) -> None:
    job, stages = await open_job_plan(client)
    cand = (
        await client.post(
            "/v3/candidates",
            json={
                "first_name": "Pia",
                "last_name": "Lund",
                "application": {"prospect": True, "job_ids": [job["id"]]},
            },
        )
    ).json()
    prospect = await one(client, "applications", candidate_ids=cand["id"])
    assert prospect["prospect"] is True and prospect["job_id"] is None
    assert prospect["prospective_job_ids"] == [job["id"]] and prospect["stage_id"] is None
    created = await client.post("/v3/applications", json={"candidate_id": cand["id"], "job_id": job["id"]})
    assert created.status_code == 201
    app = valid("applications", created.json())
    assert app["job_interview_stage_id"] == stages[0]["id"] and app["status"] == "in_process"
    duplicate = await client.post("/v3/applications", json={"candidate_id": cand["id"], "job_id": job["id"]})
    assert (
        duplicate.status_code == 422
        and "already has active application" in duplicate.json()["errors"][0]["job_id"]
    )
    other_job = (await client.get("/v3/jobs", params={"status": "open"})).json()[1]
    bad = await client.post(
        "/v3/applications",
        json={"candidate_id": cand["id"], "job_id": other_job["id"], "initial_stage_id": 1},
    )
    assert bad.status_code == 422 and list(bad.json()["errors"][0]) == ["initial_stage_id"]


async def test_notes_visibility_mapping_and_email_rules(
    client: httpx.AsyncClient, server: SandboxServer
) -> None:
    app = await active_app(client, "Application Review")
    note = await client.post(
        "/v3/notes",
        json={
            "candidate_id": app["candidate_id"],
            "application_id": app["id"],
            "body": "@Hireflow schedule the phone screen",
            "note_type": "NOTE",
            "visibility": "private",
        },
    )
    assert note.status_code == 201, note.text
    created = valid("notes", note.json())
    assert created["visibility"] == "privately_visible" and created["user_id"] == server.hireflow_user_id
    assert created["type"] == "NOTE" and created["email_from"] is None
    listed = (
        await client.get(
            "/v3/notes",
            params={"candidate_ids": app["candidate_id"], "created_at": f"gte|{created['created_at']}"},
        )
    ).json()
    assert created["id"] in {n["id"] for n in listed}

    read_spelling = await client.post(
        "/v3/notes", json={"candidate_id": app["candidate_id"], "body": "x", "visibility": "publicly_visible"}
    )
    assert read_spelling.status_code == 422
    assert read_spelling.json()["errors"] == [
        {"visibility": "`publicly_visible` is the read-side spelling; write `public`"}
    ]
    email = await client.post(
        "/v3/notes",
        json={
            "candidate_id": app["candidate_id"],
            "note_type": "EMAIL",
            "visibility": "public",
            "subject": "Next steps",
            "body": "Hi!",
            "email_from": ["recruiting@acme.example"],
            "email_to": ["cand@example.com"],
            "email_cc": [],
        },
    )
    assert email.status_code == 201
    valid("notes", email.json())
    assert email.json()["email_to"] == "cand@example.com" and email.json()["email_cc"] == []
    no_cc = await client.post(
        "/v3/notes",
        json={
            "candidate_id": app["candidate_id"],
            "note_type": "EMAIL",
            "visibility": "public",
            "subject": "s",
            "body": "b",
            "email_from": ["a@acme.example"],
            "email_to": ["b@example.com"],
        },
    )
    assert no_cc.status_code == 422 and no_cc.json()["errors"] == [
        {"email_cc": "is required for EMAIL notes"}
    ]
    subject_on_note = await client.post(
        "/v3/notes",
        json={"candidate_id": app["candidate_id"], "body": "b", "visibility": "public", "subject": "s"},
    )
    assert subject_on_note.status_code == 422
    other = await active_app(client, "Application Review", skip={app["id"]})
    foreign = await client.post(
        "/v3/notes",
        json={
            "candidate_id": app["candidate_id"],
            "application_id": other["id"],
            "body": "b",
            "visibility": "public",
        },
    )
    if other["candidate_id"] != app["candidate_id"]:
        assert foreign.status_code == 422 and list(foreign.json()["errors"][0]) == ["application_id"]


async def test_attachment_create(client: httpx.AsyncClient) -> None:
    app = await active_app(client, "Phone Screen")
    content = base64.b64encode(b"%PDF-1.4 resume").decode()
    created = await client.post(
        "/v3/attachments",
        json={"application_id": app["id"], "filename": "cv.pdf", "type": "resume", "content": content},
    )
    assert created.status_code == 201
    att = valid("attachments", created.json())
    assert att["candidate_id"] == app["candidate_id"] and "X-Amz-Expires=604800" in att["url"]
    resumes = (
        await client.get("/v3/attachments", params={"application_ids": app["id"], "type": "resume"})
    ).json()
    assert [r["id"] for r in resumes] == [att["id"]]  # a new resume replaces the prior one
    both = await client.post(
        "/v3/attachments",
        json={
            "application_id": app["id"],
            "filename": "x",
            "type": "other",
            "content": content,
            "url": "https://example.com/x",
        },
    )
    assert both.status_code == 422
    bad64 = await client.post(
        "/v3/attachments",
        json={"application_id": app["id"], "filename": "x", "type": "other", "content": "%%%"},
    )
    assert bad64.status_code == 422 and bad64.json()["errors"] == [{"content": "is not valid base64"}]


async def test_move_compare_and_swap_advance_and_history(client: httpx.AsyncClient) -> None:
    app = await active_app(client, "Application Review")
    stages = sorted(
        (await client.get("/v3/job_interview_stages", params={"job_ids": app["job_id"]})).json(),
        key=lambda s: s["sort_order"],
    )
    # Advance (no destination) using the job_interview_stage_id spelling.
    moved = await client.post(
        f"/v3/applications/{app['id']}/move", json={"from_stage_id": app["job_interview_stage_id"]}
    )
    assert (moved.status_code, moved.content) == (204, b"")
    after = await one(client, "applications", ids=app["id"])
    assert after["job_interview_stage_id"] == stages[1]["id"] and after["stage_name"] == stages[1]["name"]
    assert after["updated_at"] > app["updated_at"]
    # The retry of the same move fails: compare-and-swap on from_stage_id.
    stale = await client.post(
        f"/v3/applications/{app['id']}/move", json={"from_stage_id": app["job_interview_stage_id"]}
    )
    assert stale.status_code == 422 and list(stale.json()["errors"][0]) == ["from_stage_id"]
    # Move to a named stage using the application_stages row id spelling.
    to_offer = await client.post(
        f"/v3/applications/{app['id']}/move",
        json={"from_stage_id": after["stage_id"], "to_stage_id": stages[3]["id"]},
    )
    assert to_offer.status_code == 204
    history = sorted(
        (await client.get("/v3/application_stages", params={"application_ids": app["id"]})).json(),
        key=lambda r: r["id"],
    )
    assert [r["job_interview_stage_id"] for r in history][-3:] == [
        stages[0]["id"],
        stages[1]["id"],
        stages[3]["id"],
    ]
    assert [r["current"] for r in history][-3:] == [False, False, True]
    assert history[-2]["exited_at"] is not None and history[-1]["exited_at"] is None
    last = await client.post(f"/v3/applications/{app['id']}/move", json={"from_stage_id": stages[3]["id"]})
    assert last.status_code == 422  # nothing after Offer
    wrong_job_stage = await client.post(
        f"/v3/applications/{app['id']}/move", json={"from_stage_id": stages[3]["id"], "to_stage_id": 1}
    )
    assert wrong_job_stage.status_code == 422
    assert (await client.post("/v3/applications/1/move", json={"from_stage_id": 1})).status_code == 404


async def test_reject_unreject_and_hire(client: httpx.AsyncClient, server: SandboxServer) -> None:
    app = await active_app(client, "Phone Screen")
    reason = (await client.get("/v3/rejection_reasons")).json()[0]
    template = (await client.get("/v3/email_templates", params={"email_type": "candidate_rejection"})).json()[
        0
    ]
    rejected = await client.post(
        f"/v3/applications/{app['id']}/reject",
        json={
            "rejection_reason_id": reason["id"],
            "notes": "Went with another candidate.",
            "rejection_email": {"email_template_id": template["id"], "send_email_at": "2030-01-01T10:00:00Z"},
        },
    )
    assert rejected.status_code == 204
    after = await one(client, "applications", ids=app["id"])
    assert after["status"] == "rejected" and after["stage_id"] is None and after["rejected_at"]
    detail = await one(client, "rejection_details", application_ids=app["id"])
    assert (
        detail["rejection_reason_id"] == reason["id"] and detail["rejected_by_id"] == server.hireflow_user_id
    )
    note = await one(client, "notes", ids=detail["rejection_note_id"])
    assert note["body"] == "Went with another candidate."
    again = await client.post(
        f"/v3/applications/{app['id']}/reject", json={"rejection_reason_id": reason["id"]}
    )
    assert again.status_code == 422
    assert (await client.post(f"/v3/applications/{app['id']}/reject", json={})).status_code == 422

    assert (await client.post(f"/v3/applications/{app['id']}/unreject")).status_code == 204
    restored = await one(client, "applications", ids=app["id"])
    assert restored["status"] == "in_process" and restored["stage_id"] == app["stage_id"]
    assert (
        restored["job_interview_stage_id"] == app["job_interview_stage_id"]
        and restored["rejected_at"] is None
    )
    assert (await client.get("/v3/rejection_details", params={"application_ids": app["id"]})).json() == []
    assert (await client.post(f"/v3/applications/{app['id']}/unreject", json={})).status_code == 422

    hired = await client.post(
        f"/v3/applications/{app['id']}/hire", json={"start_date": "2027-01-04T00:00:00Z"}
    )
    assert hired.status_code == 204
    assert (await one(client, "applications", ids=app["id"]))["status"] == "hired"
    assert (await client.post(f"/v3/applications/{app['id']}/hire", json={})).status_code == 422


async def test_interviews_create_patch_delete(client: httpx.AsyncClient, server: SandboxServer) -> None:
    app = await active_app(client, "Onsite")
    slot = (
        await client.get(
            "/v3/job_interviews", params={"job_interview_stage_ids": app["job_interview_stage_id"]}
        )
    ).json()[0]
    panel = [p.id for p in server.seed.interviewers[:3]]
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    body = {
        "application_id": app["id"],
        "job_interview_id": slot["id"],
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "external_event_id": "caldav-uid-123",
        "interviewers": [{"user_id": panel[0], "response_status": "accepted"}, {"user_id": panel[1]}],
        "location": "Room 4",
        "video_conferencing_url": "https://meet.example/abc",
    }
    missing_event = await client.post(
        "/v3/interviews", json={k: v for k, v in body.items() if k != "external_event_id"}
    )
    assert missing_event.status_code == 422
    assert missing_event.json()["errors"] == [{"external_event_id": "is required"}]
    backwards = await client.post("/v3/interviews", json={**body, "ends_at": body["starts_at"]})
    assert backwards.status_code == 422 and backwards.json()["errors"] == [
        {"ends_at": "must be after starts_at"}
    ]

    created = await client.post("/v3/interviews", json=body)
    assert created.status_code == 201, created.text
    interview = valid("interviews", created.json())
    assert interview["status"] == "scheduled" and interview["external_event_id"] == "caldav-uid-123"
    assert interview["organizer_id"] == server.hireflow_user_id
    assert interview["starts_at"] == start.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    rows = (await client.get("/v3/interviewers", params={"interview_ids": interview["id"]})).json()
    assert {(r["user_id"], r["response_status"]) for r in rows} == {
        (panel[0], "accepted"),
        (panel[1], "needs_action"),
    }
    assert all(r["scorecard_id"] for r in rows)
    assert (await one(client, "interviews", external_event_id="caldav-uid-123"))["id"] == interview["id"]

    patched = await client.patch(
        f"/v3/interviews/{interview['id']}",
        json={"interviewers": [{"user_id": panel[2], "response_status": "tentative"}], "location": "Room 5"},
    )
    assert patched.status_code == 200 and valid("interviews", patched.json())["location"] == "Room 5"
    rows = (await client.get("/v3/interviewers", params={"interview_ids": interview["id"]})).json()
    assert [(r["user_id"], r["response_status"]) for r in rows] == [(panel[2], "tentative")]
    assert (
        await client.patch(f"/v3/interviews/{interview['id']}", json={"status": "complete"})
    ).status_code == 422

    deleted = await client.delete(f"/v3/interviews/{interview['id']}")
    assert deleted.status_code == 204
    assert (await client.get("/v3/interviews", params={"ids": interview["id"]})).json() == []
    assert (await client.get("/v3/interviewers", params={"interview_ids": interview["id"]})).json() == []
    assert (await client.delete(f"/v3/interviews/{interview['id']}")).status_code == 404
    complete = (await client.get("/v3/interviews", params={"status": "complete", "per_page": 1})).json()
    if complete:
        refused = await client.delete(f"/v3/interviews/{complete[0]['id']}")
        assert refused.status_code == 422


@pytest.mark.parametrize("path", ["/v3/candidates", "/v3/notes", "/v3/interviews"])
async def test_write_scopes_are_enforced(server: SandboxServer, path: str) -> None:
    await server.add_credential("readonly-client", "readonly-secret", ["harvest:candidates:list"])
    async with await harvest_client(
        server, client_id="readonly-client", client_secret="readonly-secret"
    ) as c:
        response = await c.post(path, json={})
    assert (response.status_code, response.json()) == (403, {"message": "Forbidden"})


async def test_concurrent_moves_only_one_wins(client: httpx.AsyncClient) -> None:
    app = await active_app(client, "Application Review")
    body = {"from_stage_id": app["job_interview_stage_id"]}
    responses = await asyncio.gather(
        *(client.post(f"/v3/applications/{app['id']}/move", json=body) for _ in range(8))
    )
    assert sorted(r.status_code for r in responses) == [204] + [422] * 7
    history = (
        await client.get("/v3/application_stages", params={"application_ids": app["id"], "current": "true"})
    ).json()
    assert len(history) == 1
