"""`SourcingClient`: starts and reads SourcingWorkflows by batch id (names as strings: no workflows import)."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from models.messages import TaskQueues
from models.settings import Settings
from models.sourcing import SourcingRequest, SourcingStatus, sourcing_workflow_id

WORKFLOW = "SourcingWorkflow"
STATUS = "status"


class SourcingClient:
    def __init__(self, client: Client, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    async def start(self, batch_id: str, source: str, rows: int) -> WorkflowHandle[object, SourcingStatus]:
        """Start the batch's workflow (or find it: starting twice is harmless)."""
        settings = self.settings
        request = SourcingRequest(
            batch_id=batch_id,
            source=source,
            rows=rows,
            queues=TaskQueues(harvest=settings.harvest_task_queue, planner=settings.planner_task_queue),
            retention=settings.retention,
        )
        return await self.client.start_workflow(
            WORKFLOW,
            request,
            id=sourcing_workflow_id(batch_id),
            task_queue=settings.task_queue,
            result_type=SourcingStatus,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"Sourcing batch of {rows} row(s) from {source}",
        )

    def handle(self, batch_id: str) -> WorkflowHandle[object, SourcingStatus]:
        return self.client.get_workflow_handle(sourcing_workflow_id(batch_id), result_type=SourcingStatus)

    async def status(self, batch_id: str) -> SourcingStatus:
        return await self.handle(batch_id).query(STATUS, result_type=SourcingStatus)
