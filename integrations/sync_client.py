"""`SyncClient`: the one typed way to start, ask and message the SyncWorkflow (one per namespace).

It names the workflow, its signal, update and query as strings so this layer does not import the
workflows layer; `tests/test_mirror_sync_workflow.py` checks they match.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateHandle,
    WorkflowUpdateStage,
)
from temporalio.common import Priority, WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from models.messages import TaskQueues
from models.settings import Settings
from models.sync_io import (
    SYNC_PRIORITY,
    SYNC_WORKFLOW_ID,
    DriftReport,
    ReconcileRequest,
    SyncRequest,
    SyncStatus,
)

WORKFLOW = "SyncWorkflow"
SYNC_NOW = "sync_now"
RECONCILE = "reconcile"
STATUS = "status"
QUERY_TIMEOUT = timedelta(seconds=10)


def sync_request(settings: Settings) -> SyncRequest:
    """The SyncWorkflow input these settings describe."""
    return SyncRequest(
        interval=timedelta(seconds=settings.sync_interval_seconds),
        org_every_passes=settings.sync_org_every_passes,
        reconcile_every=timedelta(hours=settings.sync_reconcile_hours),
        overlap=timedelta(seconds=settings.sync_overlap_seconds),
        queues=TaskQueues(harvest=settings.harvest_task_queue, planner=settings.planner_task_queue),
    )


class SyncClient:
    """Typed calls on the SyncWorkflow through one Temporal client."""

    def __init__(self, client: Client, settings: Settings, workflow_id: str = SYNC_WORKFLOW_ID) -> None:
        self.client = client
        self.settings = settings
        self.workflow_id = workflow_id

    def handle(self) -> WorkflowHandle[object, SyncStatus]:
        return self.client.get_workflow_handle(self.workflow_id, result_type=SyncStatus)

    async def ensure_started(self, request: SyncRequest | None = None) -> WorkflowHandle[object, SyncStatus]:
        """Start the sync, or return the one already running (its settings stay until it is restarted)."""
        return await self.client.start_workflow(
            WORKFLOW,
            request or sync_request(self.settings),
            id=self.workflow_id,
            task_queue=self.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary="Greenhouse mirror sync: incremental passes and periodic reconciliation",
            priority=Priority(priority_key=SYNC_PRIORITY),
            result_type=SyncStatus,
        )

    async def running(self) -> bool:
        try:
            described = await self.handle().describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return described.status == WorkflowExecutionStatus.RUNNING

    async def status(self) -> SyncStatus:
        return await self.handle().query(STATUS, result_type=SyncStatus, rpc_timeout=QUERY_TIMEOUT)

    async def sync_now(self) -> None:
        await self.handle().signal(SYNC_NOW)

    async def start_reconcile(self, request_id: str | None = None) -> WorkflowUpdateHandle[DriftReport]:
        """Ask for a full reconciliation now; `await handle.result()` gives its drift report."""
        return await self.handle().start_update(
            RECONCILE,
            ReconcileRequest(request_id=request_id or uuid.uuid4().hex),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            result_type=DriftReport,
        )
