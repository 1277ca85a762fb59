"""SyncWorkflow on the Temporal dev server with the real activities, the real sandbox and a SQLite mirror.

It fills the mirror, keeps it current pass after pass (continuing as new without losing its count or
its last drift), reconciles on request and says what drifted in its result, its status query and its
page in the Temporal UI; an outage of Greenhouse longer than the retry budget leaves the mirror
consistent and the workflow running, and it catches up when Greenhouse is back. Its listings run at
the lowest task priority.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.sync import SyncActivities
from integrations import sync_client
from integrations.mirror import MirrorReader
from integrations.mirror_store import MirrorStore
from integrations.sync_client import SyncClient
from models.failure_policy import FailurePolicy
from models.messages import TaskQueues
from models.settings import Settings
from models.store import create_engine_for, init_db
from models.sync_io import SYNC_PRIORITY, SyncRequest, SyncStatus
from sandbox.greenhouse.config import SandboxConfig
from sandbox.greenhouse.server import SandboxServer
from tests.fixtures.sandbox import client_for
from tests.support.histories import recording, save_history
from workflows.sync import SyncWorkflow

pytestmark = pytest.mark.integration


@dataclass
class Stack:
    client: Client
    server: SandboxServer
    store: MirrorStore
    sandbox_db: Engine
    sync: SyncClient
    queue: str

    def request(self, **overrides: object) -> SyncRequest:
        values: dict[str, object] = {
            "interval": timedelta(seconds=1),
            "queues": TaskQueues(harvest=self.queue, planner=self.queue),
            **overrides,
        }
        return SyncRequest.model_validate(values)

    async def until(self, check: Callable[[SyncStatus], bool], what: str, seconds: float = 60) -> SyncStatus:
        status = await self.sync.status()
        for _ in range(int(seconds * 10)):
            if check(status):
                return status
            await asyncio.sleep(0.1)
            status = await self.sync.status()
        raise AssertionError(f"timed out waiting for {what}: {status}")


@pytest_asyncio.fixture
async def stack(dev_server_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    queue = f"sync-{uuid.uuid4().hex[:8]}"
    sandbox_url = f"sqlite:///{tmp_path / 'greenhouse.db'}"
    engine = create_engine_for(f"sqlite:///{tmp_path / 'hireflow.db'}")
    init_db(engine)
    store = MirrorStore(engine)
    async with (
        SandboxServer(SandboxConfig(database_url=sandbox_url, candidates=30, rate_limit=10_000)) as server,
        client_for(server, max_retries=0) as harvest,
    ):
        activities = SyncActivities(harvest, store)
        client = dev_server_env.client
        async with Worker(
            client,
            task_queue=queue,
            workflows=[SyncWorkflow],
            activities=[activities.sync_resource, activities.reconcile_resource],
        ):
            settings = Settings(task_queue=queue, harvest_task_queue=queue, planner_task_queue=queue)
            sync = SyncClient(client, settings, workflow_id=f"sync-test-{uuid.uuid4().hex[:8]}")
            sandbox_db = create_engine(sandbox_url)
            yield Stack(client, server, store, sandbox_db, sync, queue)
            if await sync.running():
                await sync.handle().cancel()
                await sync.handle().result()
            sandbox_db.dispose()
    engine.dispose()


async def _count(stack: Stack, table: str) -> int:
    def read() -> int:
        with stack.sandbox_db.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    return await asyncio.to_thread(read)


async def _details(stack: Stack) -> str:
    metadata = await stack.sync.handle().query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return metadata.current_details


async def test_passes_fill_the_mirror_continue_as_new_and_a_reconcile_reports_drift(stack: Stack) -> None:
    handle = await stack.sync.ensure_started(stack.request(passes_per_run=2))
    first_run = handle.result_run_id
    again = await stack.sync.ensure_started(stack.request())  # `hireflow sync run` twice: one workflow
    assert again.result_run_id == first_run

    await stack.until(lambda s: s.passes >= 1, "the first pass")
    assert stack.store.count("candidates") == await _count(stack, "gh_candidates")
    assert stack.store.count("applications") == await _count(stack, "gh_applications")
    assert stack.store.count("users") > 0 and stack.store.count("job_interview_stages") > 0

    # behind Harvest's back: a candidate changed without moving updated_at, an application deleted
    with stack.sandbox_db.begin() as connection:
        candidate = connection.execute(text("SELECT min(id) FROM gh_candidates")).scalar_one()
        application = connection.execute(
            text("SELECT max(id) FROM gh_applications WHERE candidate_id != :c"), {"c": candidate}
        ).scalar_one()
        connection.execute(
            text("UPDATE gh_candidates SET last_name = 'Bulk' WHERE id = :c"), {"c": candidate}
        )
        connection.execute(text("DELETE FROM gh_applications WHERE id = :a"), {"a": application})

    update = await stack.sync.start_reconcile("cli-1")
    report = await update.result()
    assert report.total == 2 and not report.failed
    by_name = {r.resource: r for r in report.resources}
    assert by_name["candidates"].stale_ids == [candidate]
    assert by_name["applications"].deleted_ids == [application]
    assert stack.store.count("applications") == await _count(stack, "gh_applications")
    repeated = await (await stack.sync.start_reconcile("cli-1")).result()  # a retried request: same answer
    assert repeated == report

    status = await stack.until(lambda s: s.passes >= 3, "a pass in a continued run")
    assert (await stack.sync.handle().describe()).run_id != first_run, "did not continue as new"
    assert status.last_drift is not None and status.last_drift.total == 2, "the drift was not carried"
    details = await _details(stack)
    assert "Last reconciliation" in details and "| candidates |" in details

    if recording():
        first = stack.client.get_workflow_handle(stack.sync.workflow_id, run_id=first_run)
        await save_history(first, "sync", "passes_continue_as_new_and_reconcile")
    history = await stack.client.get_workflow_handle(stack.sync.workflow_id, run_id=first_run).fetch_history()
    scheduled = [
        e.activity_task_scheduled_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled and all(a.priority.priority_key == SYNC_PRIORITY for a in scheduled)
    assert {a.task_queue.name for a in scheduled} == {stack.queue}


async def test_an_outage_longer_than_the_budget_keeps_the_mirror_consistent_and_the_sync_alive(
    stack: Stack,
) -> None:
    failure = FailurePolicy().scaled(1 / 1800)  # Greenhouse reads give up after 4 s
    await stack.sync.ensure_started(stack.request(failure=failure))
    await stack.until(lambda s: s.passes >= 1, "the first pass")
    before = stack.store.state("applications").synced_through
    await stack.server.add_fault("/v3/applications", status=503)
    with stack.sandbox_db.begin() as connection:  # a change Greenhouse makes during the outage
        changed = connection.execute(text("SELECT max(id) FROM gh_applications")).scalar_one()
        connection.execute(
            text("UPDATE gh_applications SET stage_name = 'During outage', updated_at = :now WHERE id = :id"),
            {"now": datetime.now(UTC).replace(tzinfo=None), "id": changed},
        )
    await stack.sync.sync_now()
    status = await stack.until(lambda s: s.consecutive_failures >= 1, "a failed pass", seconds=90)
    assert status.last_error is not None and "applications" in status.last_error
    assert stack.store.state("applications").synced_through == before, (
        "the watermark moved past a failed listing"
    )
    assert (await stack.sync.handle().describe()).status == WorkflowExecutionStatus.RUNNING
    assert stack.store.count("candidates") == await _count(stack, "gh_candidates")  # the rest kept syncing

    await stack.server.clear_faults()
    await stack.sync.sync_now()
    status = await stack.until(lambda s: s.consecutive_failures == 0 and s.passes > 2, "recovery", seconds=90)
    assert status.last_error is None
    assert stack.store.count("applications") == await _count(stack, "gh_applications")
    assert stack.store.state("applications").synced_through > before  # type: ignore[operator]
    row = MirrorReader(stack.store.engine)
    mirrored = await row.application(changed, max_age=timedelta(minutes=1))
    assert mirrored is not None and mirrored.stage_name == "During outage"


def test_the_client_names_what_the_workflow_defines() -> None:
    assert sync_client.WORKFLOW == SyncWorkflow.__name__
    for name in (sync_client.SYNC_NOW, sync_client.RECONCILE, sync_client.STATUS):
        assert callable(getattr(SyncWorkflow, name))
