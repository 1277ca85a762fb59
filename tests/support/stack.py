"""The real local stack for workflow integration tests: settings, seeded store and calendars, workers.

Shared by the time-skipping integration tests and the dev-server tests that kill a worker process.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from integrations.calendar.caldav import CalDAVCalendar
from integrations.greenhouse.client import HarvestClient
from integrations.org_store import OrgConfigStore
from models.messages import CancelInput, SchedulingPolicy, SchedulingState, SchedulingStatusSnapshot
from models.settings import Settings
from models.store import create_engine_for, init_db
from sandbox.calendars import default_rooms, seed_calendars
from sandbox.greenhouse.server import SandboxServer
from starters.dev_seed import org_config_rows
from starters.requests import start_scheduling
from tests.fixtures.mail import MAIL_SECRET, REPLY_DOMAIN
from workers.main import WorkerSet, running_workers
from workflows.scheduling import SchedulingWorkflow

_seeded_calendars: set[str] = set()


def stack_settings(
    sandbox: SandboxServer,
    caldav_url: str,
    smtp_port: int,
    state: Path,
    temporal_address: str = "127.0.0.1:7233",
) -> Settings:
    """Settings for one test: its own task queues and SQL store, the shared servers."""
    suffix = uuid.uuid4().hex[:8]
    return Settings(
        environment="development",  # the test clients speak plain payloads; worker children must too
        temporal_address=temporal_address,
        greenhouse_base_url=sandbox.base_url,
        greenhouse_token_url=sandbox.token_url,
        greenhouse_client_id=sandbox.client_id,
        greenhouse_client_secret=SecretStr(sandbox.client_secret),
        greenhouse_user_id=sandbox.hireflow_user_id,
        caldav_url=caldav_url,
        smtp_port=smtp_port,
        database_url=f"sqlite:///{state / 'store.db'}",
        signing_secret=SecretStr(MAIL_SECRET),
        reply_domain=REPLY_DOMAIN,
        task_queue=f"main-{suffix}",
        harvest_task_queue=f"harvest-{suffix}",
        planner_task_queue=f"planner-{suffix}",
    )


async def seeded_store(settings: Settings, sandbox: SandboxServer) -> Engine:
    """The SQL store with the org configuration of the sandbox's seed; calendars seeded once per server."""
    engine = create_engine_for(settings.resolved_database_url())
    init_db(engine)
    seed = sandbox.seed
    rooms = default_rooms(seed.offices)
    OrgConfigStore(engine).save(org_config_rows(seed, rooms))
    if settings.caldav_url not in _seeded_calendars:
        async with CalDAVCalendar(settings.caldav_url) as caldav:
            await seed_calendars(caldav, seed.interviewers, rooms, start=date.today(), weeks=1)
        _seeded_calendars.add(settings.caldav_url)
    return engine


def settings_environment(settings: Settings) -> dict[str, str]:
    """`HIREFLOW_*` variables that reproduce `settings` in a child process."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        raw: Any = getattr(settings, name)
        if isinstance(raw, SecretStr):
            value = raw.get_secret_value()
        env[f"HIREFLOW_{name.upper()}"] = json.dumps(value) if isinstance(value, dict | list) else str(value)
    return env


async def onsite_application(
    settings: Settings, nth: int = 0, *, skip: Collection[int] = ()
) -> tuple[int, int, int]:
    """The `nth` active, emailable application in an Onsite stage, not in `skip`: (application, stage, candidate)."""
    seen = 0
    async with HarvestClient.from_settings(settings) as gh:
        async for app in gh.list_applications(status="active", stage_name="Onsite"):
            if not (app.job_interview_stage_id and app.candidate_id) or app.id in skip:
                continue
            candidate = await gh.get_candidate(app.candidate_id)
            if candidate.email_addresses and candidate.can_email:
                if seen == nth:
                    return app.id, app.job_interview_stage_id, app.candidate_id
                seen += 1
        moved = await _move_into_onsite(settings, gh, skip)
    if moved is None:
        raise AssertionError("the seeded org has no emailable candidate left to put in an Onsite stage")
    return moved


async def _move_into_onsite(
    settings: Settings, gh: HarvestClient, skip: Collection[int]
) -> tuple[int, int, int] | None:
    """Refill the Onsite pool: move an emailable candidate's active application into its job's Onsite stage.

    A session's tests take more Onsite applications than the seed holds when many requests escalate
    (their panels got booked by earlier tests); the sandbox's bulk action moves one more in, as a
    recruiter would, without a webhook other tests could see.
    """
    onsite: dict[int, int] = {}
    async for stage in gh.list_job_interview_stages():
        if stage.name == "Onsite" and stage.job_id and stage.active:
            onsite[stage.job_id] = stage.id
    async for app in gh.list_applications(status="active", prospect=False):
        stage_id = onsite.get(app.job_id or 0)
        if not (stage_id and app.candidate_id) or app.id in skip or app.job_interview_stage_id == stage_id:
            continue
        candidate = await gh.get_candidate(app.candidate_id)
        if not (candidate.email_addresses and candidate.can_email):
            continue
        change = {"resource": "applications", "id": app.id, "move_to_stage_id": stage_id}
        async with httpx.AsyncClient(base_url=settings.greenhouse_base_url, timeout=30) as admin:
            response = await admin.post("/_sandbox/bulk", json={"changes": [change], "webhooks": False})
        if response.status_code == 200:
            return app.id, stage_id, app.candidate_id
    return None


_taken_applications: set[int] = set()


def mark_taken(application_ids: Collection[int]) -> None:
    """Keep these applications out of `take_onsite_application` (a test that uses them as a group)."""
    _taken_applications.update(application_ids)


async def take_onsite_application(settings: Settings) -> tuple[int, int, int]:
    """An Onsite application no other test in this process took: (application, stage, candidate).

    Taken ids are remembered, not counted: an application a test moved on (advanced, rejected) leaves
    the Onsite listing, and counting would then skip one that nobody took.
    """
    found = await onsite_application(settings, skip=_taken_applications)
    _taken_applications.add(found[0])
    return found


STARTED: list[WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot]] = []


async def start_offered(
    client: Client, settings: Settings, policy: SchedulingPolicy | None = None, attempts: int = 12
) -> tuple[WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot], int, int]:
    """Start a request on a fresh Onsite application whose panel can meet, and wait for its offer.

    Each call takes applications no earlier call in this process took, so tests sharing the sandbox
    never share a workflow. Returns (handle, application id, candidate id).
    """
    for _ in range(attempts):
        application_id, stage_id, candidate_id = await take_onsite_application(settings)
        handle = await start_scheduling(client, settings, application_id, stage_id, policy=policy)
        STARTED.append(handle)
        state = await wait_for_state(handle, SchedulingState.OFFERED, SchedulingState.ESCALATED)
        if state == SchedulingState.OFFERED:
            return handle, application_id, candidate_id
        await handle.signal(SchedulingWorkflow.cancel, CancelInput(reason="panel cannot meet"))
    raise AssertionError(f"no schedulable Onsite application in {attempts} tries")


async def wait_for_state(
    handle: WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot],
    *states: SchedulingState,
    timeout: float = 60,
) -> SchedulingState:
    """Poll the status query until the workflow is in one of `states`; return that state."""

    async def poll() -> SchedulingState:
        while True:
            state = (await handle.query(SchedulingWorkflow.status)).state
            if state in states:
                return state
            await asyncio.sleep(0.1)

    try:
        return await asyncio.wait_for(poll(), timeout)
    except TimeoutError as error:
        status = await handle.query(SchedulingWorkflow.status)
        raise AssertionError(f"still {status.state.value} after {timeout}s: {status.history[-3:]}") from error


async def settle(handle: WorkflowHandle, timeout: float = 60) -> SchedulingStatusSnapshot:
    """The status once nothing is under way (the confirmation, the note, releases all done)."""

    async def poll() -> SchedulingStatusSnapshot:
        while True:
            status = await handle.query(SchedulingWorkflow.status)
            if status.quiet:
                return status
            await asyncio.sleep(0.1)

    return await asyncio.wait_for(poll(), timeout)


@asynccontextmanager
async def module_workers(client: Client, settings: Settings) -> AsyncIterator[WorkerSet]:
    """`running_workers` for a module on the shared dev server; on exit, its runs still going are ended.

    The dev server outlives the module: a run left Running without its workers would be found by a later
    module's visibility query (an application's assessments, say) and every query to it would fail with
    "no poller seen" until that module's commands time out.
    """
    try:
        async with running_workers(client, settings) as workers:
            yield workers
    finally:
        await terminate_running(client, settings.task_queue)


async def terminate_running(client: Client, task_queue: str) -> int:
    """Terminate every run still going on `task_queue`; returns how many."""
    ended = 0
    query = f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'"
    async for found in client.list_workflows(query):
        try:
            await client.get_workflow_handle(found.id, run_id=found.run_id).terminate("test module ended")
            ended += 1
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
    return ended


def lookback_since(started: datetime) -> timedelta:
    """A mention watch's first-run lookback reaching back to a module's start and no further: other
    modules' notes on the shared sandbox were answered by their own stores, not by this module's."""
    return datetime.now(UTC) - started + timedelta(seconds=5)
