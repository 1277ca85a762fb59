"""SourcingWorkflow: one batch of sourced candidates, row by row, into Greenhouse (issue 12).

The rows live in the SQL store; the workflow hands their numbers to `import_sourcing_row` on the
Harvest task queue, a few at a time, and keeps live counts in its status query and Temporal UI page.
A row whose activity runs out of the Greenhouse write budget is reported `failed` (its claims released)
and the batch carries on: one bad row never costs the others.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.sourcing import SourcingActivities
    from models.failure_policy import CallKind, System
    from models.retention import RetentionInput, retention_workflow_id
    from models.sourcing import FailRowInput, ImportRowInput, RowResult, SourcingRequest, SourcingStatus
    from workflows.retention import ConsentRetentionWorkflow
    from workflows.retry import retry_policy
    from workflows.sourcing_core import SourcingCore, render_details

ATTEMPT_TIMEOUT = timedelta(minutes=5)
# Batches started before retention timers existed replay without starting them.
PATCH_RETENTION = "sourcing-retention-2026-12"
BOOKKEEPING_TIMEOUT = timedelta(minutes=1)


@workflow.defn
class SourcingWorkflow:
    @workflow.init
    def __init__(self, request: SourcingRequest) -> None:
        self._core = SourcingCore(request)

    @workflow.run
    async def run(self, request: SourcingRequest) -> SourcingStatus:
        core = self._core
        self._publish()
        for window in core.windows():
            results = await asyncio.gather(*(self._row(row) for row in window))
            for result in results:
                core.row_done(result)
            self._publish()
            if workflow.patched(PATCH_RETENTION):
                for candidate_id in sorted({r.candidate_id or 0 for r in results if _kept(r)}):
                    await self._keep_while_consent_lasts(candidate_id)
        core.finish(workflow.now())
        self._publish()
        return core.status()

    async def _row(self, row: int) -> RowResult:
        request = self._core.request
        budget = request.failure.budget(System.GREENHOUSE, CallKind.IDEMPOTENT_WRITE)
        try:
            return await workflow.execute_activity_method(
                SourcingActivities.import_sourcing_row,
                ImportRowInput(batch_id=request.batch_id, row=row),
                task_queue=request.queues.harvest,
                start_to_close_timeout=min(budget.give_up_after, ATTEMPT_TIMEOUT),
                schedule_to_close_timeout=budget.give_up_after,
                retry_policy=retry_policy(budget),
                summary=f"import row {row}",
            )
        except ActivityError as error:
            cause = error.cause
            reason = cause.message if isinstance(cause, ApplicationError) else str(cause or error)
            return await workflow.execute_activity_method(
                SourcingActivities.fail_sourcing_row,
                FailRowInput(
                    batch_id=request.batch_id, row=row, reason=f"gave up after retries: {reason}"[:1000]
                ),
                start_to_close_timeout=BOOKKEEPING_TIMEOUT,
                summary=f"report row {row} failed",
            )

    async def _keep_while_consent_lasts(self, candidate_id: int) -> None:
        """Start the candidate's retention timer, or tell the running one its consent was renewed."""
        request = self._core.request
        workflow_id = retention_workflow_id(candidate_id)
        try:
            await workflow.start_child_workflow(
                ConsentRetentionWorkflow.run,
                RetentionInput(candidate_id=candidate_id, policy=request.retention, queues=request.queues),
                id=workflow_id,
                parent_close_policy=ParentClosePolicy.ABANDON,
                static_summary=f"Consent retention of candidate {candidate_id}",
            )
        except WorkflowAlreadyStartedError:
            await workflow.get_external_workflow_handle_for(ConsentRetentionWorkflow.run, workflow_id).signal(
                ConsentRetentionWorkflow.consent_renewed
            )

    @workflow.query
    def status(self) -> SourcingStatus:
        return self._core.status()

    def _publish(self) -> None:
        workflow.set_current_details(render_details(self._core.status(), self._core.recent))


def _kept(result: RowResult) -> bool:
    """A row that created or matched a candidate: its consent record now keeps them."""
    return result.candidate_id is not None and result.outcome in ("created", "matched_existing")
