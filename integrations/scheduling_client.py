"""The one way into SchedulingWorkflows: start, update, signal and query them by business key.

The CLI, the web app, webhooks and the mention activities all come through here, typed by the
models in `models/messages.py`. It names the workflow's handlers as strings so that nothing below
the workflows layer imports the workflow itself; `tests/test_scheduling_client.py` checks every
name against the workflow's definition. Answers to updates are the workflow's own decisions.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Literal, TypeVar

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from models import temporal_keys as keys
from models.messages import (
    ApplicationClosedInput,
    CancelInput,
    CandidateRepliedInput,
    CommandResult,
    InterviewDeletedInput,
    InterviewerDeclinedInput,
    OptionsView,
    ProposeTimesInput,
    ProposeTimesResult,
    RecruiterCommandInput,
    RefreshOptionsInput,
    RescheduleInput,
    SchedulingContext,
    SchedulingPolicy,
    SchedulingRequest,
    SchedulingStatusSnapshot,
    SelectOptionInput,
    SelectOptionResult,
    TaskQueues,
    scheduling_workflow_id,
)
from models.settings import Settings

WORKFLOW = "SchedulingWorkflow"
# Handler names of SchedulingWorkflow (kept in step by a test).
SELECT_OPTION = "select_option"
PROPOSE_TIMES = "propose_times"
REFRESH_OPTIONS = "refresh_options"
CANCEL = "cancel_scheduling"
RESCHEDULE = "reschedule_loop"
COMMAND = "apply_command"
DECLINED = "interviewer_declined"
REPLIED = "candidate_replied"
CLOSED = "application_closed"
DELETED = "interview_deleted"
STATUS = "status"
OPTIONS_VIEW = "options_view"
PAGE_CONTEXT = "page_context"
QUERY_TIMEOUT = timedelta(seconds=10)
UPDATE_TIMEOUT = timedelta(seconds=60)

__all__ = ["RequestRefusedError", "SchedulingClient", "WorkflowUpdateFailedError"]


class RequestRefusedError(RuntimeError):
    """A request that cannot be started or found, with a message for a person."""


class SchedulingClient:
    """Typed calls on SchedulingWorkflows through one Temporal client."""

    def __init__(
        self, client: Client, settings: Settings | None = None, *, chain_id: str | None = None
    ) -> None:
        """`chain_id` (a first run id) confines updates, signals and cancels to that request's runs."""
        self.client = client
        self.settings = settings
        self.chain_id = chain_id

    def handle(self, workflow_id: str) -> WorkflowHandle[object, SchedulingStatusSnapshot]:
        return self.client.get_workflow_handle(
            workflow_id, result_type=SchedulingStatusSnapshot, first_execution_run_id=self.chain_id
        )

    # ------------------------------------------------------------------------------------ start

    async def start(
        self,
        application_id: int,
        job_interview_stage_id: int,
        *,
        requested_by_user_id: int | None = None,
        source: Literal["mention", "webhook", "cli", "api"] = "cli",
        recruiter_notes: str = "",
        policy: SchedulingPolicy | None = None,
    ) -> WorkflowHandle[object, SchedulingStatusSnapshot]:
        """Start the request, or return the one already running for this application and stage."""
        settings = self.settings
        if settings is None:
            raise RequestRefusedError("starting a request needs the settings (task queues, policy)")
        request = SchedulingRequest(
            application_id=application_id,
            job_interview_stage_id=job_interview_stage_id,
            requested_by_user_id=requested_by_user_id,
            source=source,
            recruiter_notes=recruiter_notes,
            policy=policy or settings.scheduling_policy,
            queues=TaskQueues(harvest=settings.harvest_task_queue, planner=settings.planner_task_queue),
        )
        return await self.client.start_workflow(
            WORKFLOW,
            request,
            id=scheduling_workflow_id(application_id, job_interview_stage_id),
            task_queue=settings.task_queue,
            result_type=SchedulingStatusSnapshot,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(keys.APPLICATION_ID, application_id),
                    SearchAttributePair(keys.SCHEDULING_STATUS, "gathering"),
                ]
            ),
            static_summary=static_summary(application_id, job_interview_stage_id),
        )

    # ------------------------------------------------------------------------------------ reads

    async def status(self, workflow_id: str) -> SchedulingStatusSnapshot:
        return await self.handle(workflow_id).query(
            STATUS, result_type=SchedulingStatusSnapshot, rpc_timeout=QUERY_TIMEOUT
        )

    async def options_view(self, workflow_id: str) -> OptionsView:
        return await self.handle(workflow_id).query(
            OPTIONS_VIEW, result_type=OptionsView, rpc_timeout=QUERY_TIMEOUT
        )

    async def page_context(self, workflow_id: str) -> SchedulingContext | None:
        raw = await self.handle(workflow_id).query(PAGE_CONTEXT, rpc_timeout=QUERY_TIMEOUT)
        return SchedulingContext.model_validate(raw) if raw else None

    async def running(self, workflow_id: str) -> SchedulingStatusSnapshot | None:
        """The status of a running request, or None when there is none (never started, or closed)."""
        handle = self.handle(workflow_id)
        try:
            described = await handle.describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        if described.status != WorkflowExecutionStatus.RUNNING:
            return None
        return await self.status(workflow_id)

    async def resolve(self, ident: str) -> str:
        """A workflow id, or an application id (its most recent open request)."""
        if not ident.isdigit():
            return ident
        found = await self.for_application(int(ident), running_only=False)
        if not found:
            raise RequestRefusedError(f"no scheduling request found for application {ident}")
        return found[0]

    async def for_application(self, application_id: int, *, running_only: bool = True) -> list[str]:
        """Ids of an application's requests, running ones first."""
        query = f"WorkflowType = '{WORKFLOW}' AND ApplicationId = {int(application_id)}"
        if running_only:
            query += " AND ExecutionStatus = 'Running'"
        found = [wf async for wf in self.client.list_workflows(query, limit=50)]
        running = [wf.id for wf in found if wf.status == WorkflowExecutionStatus.RUNNING]
        return list(dict.fromkeys([*running, *(wf.id for wf in found)]))

    # ---------------------------------------------------------------------------------- updates

    async def select_option(self, workflow_id: str, pick: SelectOptionInput) -> SelectOptionResult:
        return await self.handle(workflow_id).execute_update(
            SELECT_OPTION,
            pick,
            id=pick.request_id or None,
            result_type=SelectOptionResult,
            rpc_timeout=UPDATE_TIMEOUT,
        )

    async def propose_times(self, workflow_id: str, proposal: ProposeTimesInput) -> ProposeTimesResult:
        return await self.handle(workflow_id).execute_update(
            PROPOSE_TIMES,
            proposal,
            id=proposal.request_id or None,
            result_type=ProposeTimesResult,
            rpc_timeout=UPDATE_TIMEOUT,
        )

    async def refresh_options(
        self, workflow_id: str, max_age_seconds: int, offer_version: int | None = None
    ) -> OptionsView:
        """Re-plan options older than `max_age_seconds`; views of one offer share one update (its id)."""
        return await self.handle(workflow_id).execute_update(
            REFRESH_OPTIONS,
            RefreshOptionsInput(max_age_seconds=max_age_seconds),
            id=f"refresh-v{offer_version}" if offer_version is not None else None,
            result_type=OptionsView,
            rpc_timeout=UPDATE_TIMEOUT,
        )

    async def cancel(self, workflow_id: str, request: CancelInput) -> CommandResult:
        request = _with_id(request)
        return await self.handle(workflow_id).execute_update(
            CANCEL,
            request,
            id=request.request_id or None,
            result_type=CommandResult,
            rpc_timeout=UPDATE_TIMEOUT,
        )

    async def reschedule(self, workflow_id: str, request: RescheduleInput) -> CommandResult:
        request = _with_id(request)
        return await self.handle(workflow_id).execute_update(
            RESCHEDULE,
            request,
            id=request.request_id or None,
            result_type=CommandResult,
            rpc_timeout=UPDATE_TIMEOUT,
        )

    async def command(self, workflow_id: str, command: RecruiterCommandInput) -> CommandResult:
        command = _with_id(command)
        return await self.handle(workflow_id).execute_update(
            COMMAND,
            command,
            id=command.request_id or None,
            result_type=CommandResult,
            rpc_timeout=UPDATE_TIMEOUT,
        )

    # ---------------------------------------------------------------------------------- signals

    async def interviewer_declined(self, workflow_id: str, decline: InterviewerDeclinedInput) -> None:
        await self.handle(workflow_id).signal(DECLINED, decline)

    async def candidate_replied(self, workflow_id: str, reply: CandidateRepliedInput) -> None:
        await self.handle(workflow_id).signal(REPLIED, reply)

    async def application_closed(self, workflow_id: str, closed: ApplicationClosedInput) -> None:
        await self.handle(workflow_id).signal(CLOSED, closed)

    async def interview_deleted(self, workflow_id: str, deleted: InterviewDeletedInput) -> None:
        await self.handle(workflow_id).signal(DELETED, deleted)


CommandT = TypeVar("CommandT", CancelInput, RescheduleInput, RecruiterCommandInput)


def _with_id(command: CommandT) -> CommandT:
    """A caller without a stable id of its own (a terminal) gets a fresh one for this one request."""
    return (
        command
        if command.request_id
        else command.model_copy(update={"request_id": f"once-{uuid.uuid4().hex}"})
    )


def static_summary(application_id: int, job_interview_stage_id: int) -> str:
    """The list-view line of a request in the Temporal UI (ids only)."""
    return f"Interview scheduling: application {application_id}, stage {job_interview_stage_id}"
