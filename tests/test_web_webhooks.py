"""`POST /webhooks/greenhouse` with every documented payload shape, good and bad signatures.

The app runs in-process (httpx ASGI transport); the SchedulingWorkflow runs on the Temporal dev
server (visibility queries need it) with the in-memory fake activities.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from integrations.interview_index import InterviewIndex
from models.messages import (
    SchedulingState,
    SchedulingStatusSnapshot,
    SelectOptionInput,
    scheduling_workflow_id,
)
from models.mirror import MirrorApplication, MirrorCandidateEmail
from models.settings import Settings
from models.store import create_engine_for
from starters.requests import start_scheduling
from tests.support.fake_scheduling import World, fake_activities
from web.app import create_app
from web.store import add_rule
from web.webhooks import sign_body
from workflows.scheduling import SchedulingWorkflow

SECRET = "hook-secret"

STAGE_CHANGE: dict[str, Any] = {
    "action": "candidate_stage_change",
    "payload": {
        "application": {
            "id": 265277,
            "rejected_at": None,
            "prospect": False,
            "status": "active",
            "applied_at": "2013-03-22T00:00:00Z",
            "url": "https://app.greenhouse.io/people/265772?application_id= 265277",
            "source": {"id": 31, "name": "Agency"},
            "credited_to": {
                "id": 15,
                "email": "ada@example.com",
                "name": "Ada Lacey",
                "employee_id": "123ABC",
            },
            "rejection_reason": None,
            "current_stage": {
                "id": 71416,
                "name": "Assessment",
                "interviews": [
                    {
                        "id": 113101,
                        "name": "Assessment",
                        "status": "to_be_scheduled",
                        "interview_kit": {
                            "url": "https://x",
                            "content": "\u003cp\u003eAssess\u003c/p\u003e",
                            "questions": [],
                        },
                        "interviewers": [{"id": 2622, "display_name": "Carl Buddha", "status": "tentative"}],
                    }
                ],
            },
            "custom_fields": {"f": {"name": "F", "type": "short_text", "value": "Example"}},
            "candidate": {
                "id": 265772,
                "first_name": "Giuseppe",
                "email_addresses": [{"value": "g@example.com", "type": "personal"}],
                "educations": [
                    {"school_name": "Harvard", "start_date": "01/01/2012", "end_date": "01/01/2016"}
                ],
                "recruiter": {
                    "id": 3128,
                    "email": "a@example.com",
                    "name": "Alicia",
                    "employee_id": "789GHI",
                },
                "tags": ["Import from Previous ATS"],
            },
            "jobs": [{"id": 3485, "name": "Designer", "status": "open", "departments": [], "offices": []}],
        }
    },
}

HIRE: dict[str, Any] = {
    "action": "hire_candidate",
    "payload": {
        "application": {
            "id": 46194062,
            "opening": {"opening_id": "1234-56", "custom_fields": []},
            "source": {"id": 25, "public_name": "Monster"},
            "candidate": {"id": 35897443, "first_name": "Johnny"},
            "job": {"id": 323753, "name": "Developer", "open_date": "2014-11-20T22:49:14Z"},
            "jobs": [{"id": 323753, "name": "Developer"}],
            "offer": {"id": 506409, "version": 2, "starts_at": "2015-01-23"},
        }
    },
}

REJECT: dict[str, Any] = {
    "action": "reject_candidate",
    "payload": {
        "application": {
            **copy.deepcopy(STAGE_CHANGE["payload"]["application"]),
            "status": "rejected",
            "rejected_at": "2015-02-09T16:38:36Z",
            "rejection_reason": {
                "id": 8,
                "name": "Lacking skill(s)",
                "type": {"id": 1, "name": "Rejected by us"},
            },
            "rejection_details": {"custom_fields": {}},
        }
    },
}

DELETE_APPLICATION: dict[str, Any] = {
    "action": "delete_application",
    "payload": {
        "application": {
            "id": 46194062,
            "candidate_id": 37031511,
            "job_id": 371417,
            "created_at": "2013-03-22T00:00:00Z",
            "source_id": 2,
            "rejected_at": "2014-04-22T01:00:00Z",
            "prospect": False,
            "rejected_by_user_id": 158103,
        }
    },
}

DELETE_CANDIDATE: dict[str, Any] = {
    "action": "delete_candidate",
    "payload": {
        "person": {
            "id": 37031511,
            "first_name": "Jack",
            "is_private": False,
            "recruiter_user_id": 123,
            "can_email": False,
            "deleted_application_ids": [46196263, 46196258],
        }
    },
}

INTERVIEW_DELETED: dict[str, Any] = {
    "action": "interview_deleted",
    "payload": {"interview": {"id": 31087450}},
}

IGNORED: list[dict[str, Any]] = [
    {"action": "offer_created", "payload": {"id": 12345, "application_id": 234556, "version": 1}},
    {"action": "merge_candidate", "payload": {"person": {"id": 1, "new_candidate_id": 2}}},
    {"action": "scorecard_deleted", "payload": {"scorecard": {"id": 6036088, "candidate_id": 1}}},
    {"action": "job_created", "payload": {"job": {"id": 1}}},
    {"action": "application_updated", "payload": {"application": {"id": 22202940, "status": "active"}}},
    {"action": "something_new_in_2027", "payload": {}},
]


@dataclass
class Hooks:
    client: Client
    settings: Settings
    engine: Engine
    http: httpx.AsyncClient
    world: World

    async def post(
        self, body: dict[str, Any] | bytes, *, event_id: str | None = None, secret: str = SECRET
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Signature": sign_body(raw, secret), "Content-Type": "application/json"}
        headers["Greenhouse-Event-ID"] = event_id or uuid.uuid4().hex
        return await self.http.post("/webhooks/greenhouse", content=raw, headers=headers)

    async def running(
        self, application_id: int
    ) -> WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot]:
        handle = await start_scheduling(self.client, self.settings, application_id, 201, source="cli")
        await until_state(handle, SchedulingState.OFFERED)
        query = f"ApplicationId = {application_id} AND ExecutionStatus = 'Running'"
        for _ in range(100):  # visibility is eventually consistent
            if [wf async for wf in self.client.list_workflows(query)]:
                break
            await asyncio.sleep(0.05)
        return handle


async def until_state(
    handle: WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot], state: SchedulingState
) -> SchedulingStatusSnapshot:
    for _ in range(300):
        status = await handle.query(SchedulingWorkflow.status)
        if status.state == state:
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never reached {state}; it is {status.state}")


def new_id() -> int:
    return int(uuid.uuid4().int % 10**9) + 1


def with_application(template: dict[str, Any], application_id: int) -> dict[str, Any]:
    body = copy.deepcopy(template)
    body["payload"]["application"]["id"] = application_id
    return body


def settings_for(tmp_path: Path, queue: str) -> Settings:
    return Settings(
        state_dir=tmp_path,
        task_queue=queue,
        harvest_task_queue=queue,
        planner_task_queue=queue,
        greenhouse_webhook_secret=SecretStr(SECRET),
        database_url=f"sqlite:///{tmp_path / 'hooks.db'}",
    )


@pytest_asyncio.fixture
async def hooks(dev_server_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Hooks]:
    world = World()
    queue = f"hooks-{uuid.uuid4().hex[:8]}"
    settings = settings_for(tmp_path, queue)
    engine = create_engine_for(settings.resolved_database_url())
    client = dev_server_env.client

    async def factory() -> Client:
        return client

    app = create_app(settings, factory, engine=engine)
    async with (
        Worker(
            client,
            task_queue=queue,
            workflows=[SchedulingWorkflow],
            activities=fake_activities(world, InterviewIndex(engine)),
        ),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hooks") as http,
    ):
        yield Hooks(client, settings, engine, http, world)


async def _exists(client: Client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError:
        return False
    return True


# ------------------------------------------------------------------------------------------ tests


async def test_signatures_are_checked_on_the_raw_body(hooks: Hooks) -> None:
    raw = json.dumps(INTERVIEW_DELETED).encode()
    unsigned = await hooks.http.post("/webhooks/greenhouse", content=raw)
    assert unsigned.status_code == 401 and "Signature" in unsigned.json()["error"]
    assert (await hooks.post(raw, secret="wrong-secret")).status_code == 401
    tampered = await hooks.http.post(
        "/webhooks/greenhouse",
        content=raw.replace(b"31087450", b"31087451"),
        headers={"Signature": sign_body(raw, SECRET)},
    )
    assert tampered.status_code == 401
    # Greenhouse escapes unicode before signing; re-serialising would break the signature.
    escaped = b'{"action":"job_created","payload":{"job":{"name":"\\u003cb\\u003eDev\\u003c/b\\u003e"}}}'
    assert (await hooks.post(escaped)).status_code == 200


async def test_ping_and_unknown_actions_are_acknowledged(hooks: Hooks) -> None:
    assert (await hooks.post({"action": "ping", "payload": {"web_hook_id": 1}})).json()["status"] == "pong"
    assert (await hooks.post({"web_hook_id": 1, "name": "Hireflow"})).json()["status"] == "pong"
    for body in IGNORED:
        response = await hooks.post(body)
        assert response.status_code == 200, body
        assert response.json()["outcome"].startswith("ignored")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"action": "", "payload": {}}', "non-empty string 'action'"),
        (b'{"action": "reject_candidate", "payload": []}', "object 'payload'"),
        (
            b'{"action": "reject_candidate", "payload": {"application": {"id": "abc"}}}',
            "payload.application.id",
        ),
        (b'{"action": "delete_candidate", "payload": {"candidate": {"id": 1}}}', "payload.person"),
        (b'{"action": "interview_deleted", "payload": {"interview": {}}}', "payload.interview.id"),
        (b'{"action": "candidate_stage_change", "payload": {"application": {"id": 5}}}', "current_stage"),
    ],
)
async def test_malformed_deliveries_get_a_clear_400(hooks: Hooks, raw: bytes, message: str) -> None:
    response = await hooks.post(raw)
    assert response.status_code == 400
    assert message in response.json()["error"]


async def test_stage_change_into_an_auto_schedule_stage_starts_scheduling(hooks: Hooks) -> None:
    by_id, by_name, off, none = new_id(), new_id(), new_id(), new_id()
    add_rule(hooks.engine, job_interview_stage_id=by_id)
    add_rule(hooks.engine, job_id=3485, stage_name="onsite")
    add_rule(hooks.engine, job_interview_stage_id=off, enabled=False)

    def stage_change(application_id: int, stage_id: int, name: str) -> dict[str, Any]:
        body = with_application(STAGE_CHANGE, application_id)
        body["payload"]["application"]["current_stage"].update(id=stage_id, name=name)
        return body

    started = await hooks.post(stage_change(by_id, by_id, "Assessment"))
    assert started.status_code == 200 and started.json()["outcome"].startswith("scheduling")
    assert await _exists(hooks.client, scheduling_workflow_id(by_id, by_id))
    named = await hooks.post(stage_change(by_name, 777, "Onsite "))
    assert named.json()["outcome"] == f"scheduling {scheduling_workflow_id(by_name, 777)}"
    for application_id, stage_id in ((off, off), (none, none)):
        ignored = await hooks.post(stage_change(application_id, stage_id, "Phone screen"))
        assert ignored.json()["outcome"].startswith("ignored")
        assert not await _exists(hooks.client, scheduling_workflow_id(application_id, stage_id))
    rejected = stage_change(new_id(), by_id, "Assessment")
    rejected["payload"]["application"]["status"] = "rejected"
    assert (await hooks.post(rejected)).json()["outcome"].startswith("ignored")
    handle = hooks.client.get_workflow_handle_for(
        SchedulingWorkflow.run, scheduling_workflow_id(by_id, by_id)
    )
    await until_state(handle, SchedulingState.OFFERED)
    for workflow_id in (scheduling_workflow_id(by_id, by_id), scheduling_workflow_id(by_name, 777)):
        await hooks.client.get_workflow_handle(workflow_id).terminate("test over")


async def test_duplicate_event_ids_are_acknowledged_without_acting_even_after_restart(
    hooks: Hooks, tmp_path: Path
) -> None:
    application_id = new_id()
    body = with_application(STAGE_CHANGE, application_id)
    body["payload"]["application"]["current_stage"]["id"] = application_id
    first = await hooks.post(body, event_id="evt-1")
    assert first.json()["outcome"].startswith("ignored")  # no rule yet
    add_rule(hooks.engine, job_interview_stage_id=application_id)
    again = await hooks.post(body, event_id="evt-1")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    # a fresh app on the same database (a restart) still knows the event
    restarted = create_app(hooks.settings, lambda: asyncio.sleep(0, hooks.client))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=restarted), base_url="http://h") as http:
        raw = json.dumps(body).encode()
        response = await http.post(
            "/webhooks/greenhouse",
            content=raw,
            headers={"Signature": sign_body(raw, SECRET), "Greenhouse-Event-ID": "evt-1"},
        )
    assert response.json()["status"] == "duplicate"
    assert not await _exists(hooks.client, scheduling_workflow_id(application_id, application_id))


async def test_temporal_down_answers_503_and_the_retry_is_not_lost(hooks: Hooks) -> None:
    application_id = new_id()
    add_rule(hooks.engine, job_interview_stage_id=application_id)
    body = with_application(STAGE_CHANGE, application_id)
    body["payload"]["application"]["current_stage"]["id"] = application_id
    raw = json.dumps(body).encode()
    headers = {"Signature": sign_body(raw, SECRET), "Greenhouse-Event-ID": "evt-down"}

    async def down() -> Client:
        raise ConnectionRefusedError("temporal is down")

    broken = create_app(hooks.settings, down, engine=hooks.engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=broken), base_url="http://h") as http:
        failed = await http.post("/webhooks/greenhouse", content=raw, headers=headers)
    assert failed.status_code == 503
    retried = await hooks.http.post("/webhooks/greenhouse", content=raw, headers=headers)
    assert retried.status_code == 200 and retried.json()["outcome"].startswith("scheduling")
    workflow_id = scheduling_workflow_id(application_id, application_id)
    assert await _exists(hooks.client, workflow_id)
    await until_state(
        hooks.client.get_workflow_handle_for(SchedulingWorkflow.run, workflow_id), SchedulingState.OFFERED
    )
    await hooks.client.get_workflow_handle(workflow_id).terminate("test over")


@pytest.mark.parametrize("template", [REJECT, HIRE, DELETE_APPLICATION], ids=lambda t: t["action"])
async def test_closing_an_application_cancels_its_requests(hooks: Hooks, template: dict[str, Any]) -> None:
    application_id = new_id()
    handle = await hooks.running(application_id)
    response = await hooks.post(with_application(template, application_id))
    assert response.status_code == 200 and "signalled 1 workflow" in response.json()["outcome"]
    status = await until_state(handle, SchedulingState.CANCELLED)
    assert any("in Greenhouse" in e.detail for e in status.history if e.event == "cancelled")


async def test_deleting_a_candidate_cancels_each_of_their_applications(hooks: Hooks) -> None:
    first, second = new_id(), new_id()
    handles = [await hooks.running(first), await hooks.running(second)]
    body = copy.deepcopy(DELETE_CANDIDATE)
    body["payload"]["person"]["deleted_application_ids"] = [first, second]
    response = await hooks.post(body)
    assert response.json()["outcome"] == "candidate_deleted: signalled 2 workflow(s)"
    for handle in handles:
        await until_state(handle, SchedulingState.CANCELLED)


@pytest.mark.parametrize("with_application_id", [False, True], ids=["scan", "by-application"])
async def test_interview_deleted_reaches_the_workflow_that_booked_it(
    hooks: Hooks, with_application_id: bool
) -> None:
    application_id = new_id()
    handle = await hooks.running(application_id)
    offer = (await handle.query(SchedulingWorkflow.status)).offer
    assert offer is not None
    await handle.execute_update(
        SchedulingWorkflow.select_option,
        SelectOptionInput(option_id=offer.options[0].option_id, offer_version=offer.version),
    )
    booked = await until_state(handle, SchedulingState.SCHEDULED)
    assert booked.booking is not None
    interview_id = booked.booking.sessions[1].greenhouse_interview_id
    assert interview_id is not None
    for _ in range(100):  # wait until visibility shows the scheduled status
        query = f"ApplicationId = {application_id} AND SchedulingStatus = 'scheduled'"
        if [wf async for wf in hooks.client.list_workflows(query)]:
            break
        await asyncio.sleep(0.05)
    body = copy.deepcopy(INTERVIEW_DELETED)
    body["payload"]["interview"]["id"] = interview_id
    if with_application_id:
        body["payload"]["interview"]["application_id"] = application_id
    response = await hooks.post(body)
    assert response.status_code == 200
    assert not response.json()["outcome"].endswith("signalled 0 workflow(s)")
    status = await until_state(handle, SchedulingState.ESCALATED)
    assert "deleted in Greenhouse" in status.escalation_reason
    await handle.terminate("test over")


async def test_a_stage_change_updates_the_mirror_and_an_older_delivery_does_not_undo_it(hooks: Hooks) -> None:
    app_id = new_id()
    newer = with_application(STAGE_CHANGE, app_id)
    newer["payload"]["application"]["last_activity_at"] = "2026-03-02T10:00:00Z"
    older = copy.deepcopy(newer)
    older["payload"]["application"]["last_activity_at"] = "2026-03-01T10:00:00Z"
    older["payload"]["application"]["current_stage"] = {"id": 71415, "name": "Application Review"}

    assert (await hooks.post(newer)).status_code == 200
    assert (await hooks.post(older)).status_code == 200  # delivered late, after the newer one
    with Session(hooks.engine) as session:
        row = session.get(MirrorApplication, app_id)
        assert row is not None and (row.job_interview_stage_id, row.stage_name) == (71416, "Assessment")
        assert (row.job_id, row.candidate_id, row.status, row.origin) == (
            3485,
            265772,
            "in_process",
            "webhook",
        )
        emails = session.exec(
            select(MirrorCandidateEmail).where(MirrorCandidateEmail.candidate_id == 265772)
        ).all()
        assert [e.email for e in emails] == ["g@example.com"]

    deleted = {"action": "delete_application", "payload": {"application": {"id": app_id}}}
    assert (await hooks.post(deleted)).status_code == 200
    with Session(hooks.engine) as session:
        assert session.get(MirrorApplication, app_id) is None
