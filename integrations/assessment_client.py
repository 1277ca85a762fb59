"""`AssessmentClient`: the one typed way to start and message AssessmentWorkflows by business key.

Like `SchedulingClient`, it names the workflow, its signals, updates and queries as strings so this
layer does not import the workflows layer; `tests/test_assessment_client.py` checks they match.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client, WorkflowExecutionDescription, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from models import temporal_keys as keys
from models.assessment_io import (
    AssessmentAnswer,
    AssessmentRequest,
    AssessmentStatusSnapshot,
    ExtendAssessmentInput,
    ResumeAssessmentInput,
    StopAssessmentInput,
)
from models.assessments import (
    AssessmentState,
    ProviderEvent,
    assessment_static_summary,
    assessment_workflow_id,
)
from models.messages import ApplicationClosedInput, TaskQueues
from models.settings import Settings

WORKFLOW = "AssessmentWorkflow"
PROVIDER_EVENT = "provider_event"
CLOSED = "application_closed"
EXTEND = "extend"
CANCEL = "cancel"
RESUME = "resume"
STATUS = "status"
QUERY_TIMEOUT = timedelta(seconds=10)
UPDATE_TIMEOUT = timedelta(seconds=60)


class AssessmentClient:
    """Typed calls on AssessmentWorkflows through one Temporal client."""

    def __init__(self, client: Client, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    def handle(self, workflow_id: str) -> WorkflowHandle[object, AssessmentStatusSnapshot]:
        return self.client.get_workflow_handle(workflow_id, result_type=AssessmentStatusSnapshot)

    async def start(self, request: AssessmentRequest) -> WorkflowHandle[object, AssessmentStatusSnapshot]:
        """Start the assessment, or return the one already running for this application and test."""
        settings = self.settings
        request = request.model_copy(
            update={
                "queues": TaskQueues(harvest=settings.harvest_task_queue, planner=settings.planner_task_queue)
            }
        )
        return await self.client.start_workflow(
            WORKFLOW,
            request,
            id=assessment_workflow_id(request.application_id, request.test_key),
            task_queue=settings.task_queue,
            result_type=AssessmentStatusSnapshot,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(keys.APPLICATION_ID, request.application_id),
                    SearchAttributePair(keys.ASSESSMENT_STATUS, "gathering"),
                ]
            ),
            static_summary=assessment_static_summary(request.application_id, request.test_name),
        )

    async def finished_as(self, workflow_id: str) -> AssessmentState | None:
        """How the latest run under this id ended (its last `AssessmentStatus`); None if none ran or it runs.

        The stage webhook starts a test only when no run finished `completed`: re-entering the stage, or
        Greenhouse redelivering an old change under a new event id, must not send a test already taken.
        The deliberate starts (`hireflow assess`, a note, Greenhouse's "Send Test") may send it again.
        """
        described = await self._describe(workflow_id)
        if described is None or described.status == WorkflowExecutionStatus.RUNNING:
            return None
        value = described.typed_search_attributes.get(keys.ASSESSMENT_STATUS)
        return AssessmentState(value) if value in set(AssessmentState) else None

    async def status(self, workflow_id: str) -> AssessmentStatusSnapshot:
        return await self.handle(workflow_id).query(
            STATUS, result_type=AssessmentStatusSnapshot, rpc_timeout=QUERY_TIMEOUT
        )

    async def running(self, workflow_id: str) -> AssessmentStatusSnapshot | None:
        """The status of a running assessment, or None when there is none (never started, or over)."""
        described = await self._describe(workflow_id)
        if described is None or described.status != WorkflowExecutionStatus.RUNNING:
            return None
        return await self.status(workflow_id)

    async def _describe(self, workflow_id: str) -> WorkflowExecutionDescription | None:
        """The latest run under this id; None when none was ever started."""
        try:
            return await self.handle(workflow_id).describe(rpc_timeout=QUERY_TIMEOUT)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise

    async def running_for_application(self, application_id: int) -> list[AssessmentStatusSnapshot]:
        """Every running assessment of the application, with its status (one that just ended is left out)."""
        found = []
        for workflow_id in await self.for_application(application_id, running_only=True):
            status = await self.running(workflow_id)
            if status is not None:
                found.append(status)
        return found

    async def provider_event(self, workflow_id: str, event: ProviderEvent) -> None:
        await self.handle(workflow_id).signal(PROVIDER_EVENT, event)

    async def application_closed(self, workflow_id: str, closed: ApplicationClosedInput) -> None:
        await self.handle(workflow_id).signal(CLOSED, closed)

    async def extend(self, workflow_id: str, request: ExtendAssessmentInput) -> AssessmentAnswer:
        return await self._update(workflow_id, EXTEND, request, request.request_id)

    async def cancel(self, workflow_id: str, request: StopAssessmentInput) -> AssessmentAnswer:
        return await self._update(workflow_id, CANCEL, request, request.request_id)

    async def resume(self, workflow_id: str, request: ResumeAssessmentInput) -> AssessmentAnswer:
        return await self._update(workflow_id, RESUME, request, request.request_id)

    async def _update(
        self,
        workflow_id: str,
        name: str,
        arg: ExtendAssessmentInput | StopAssessmentInput | ResumeAssessmentInput,
        request_id: str,
    ) -> AssessmentAnswer:
        return await self.handle(workflow_id).execute_update(
            name, arg, id=f"{name}-{request_id}", result_type=AssessmentAnswer, rpc_timeout=UPDATE_TIMEOUT
        )

    async def for_application(self, application_id: int, *, running_only: bool = True) -> list[str]:
        """Ids of an application's assessments, running ones first."""
        query = f"WorkflowType = '{WORKFLOW}' AND ApplicationId = {int(application_id)}"
        if running_only:
            query += " AND ExecutionStatus = 'Running'"
        found = [wf async for wf in self.client.list_workflows(query, limit=50)]
        running = [wf.id for wf in found if wf.status == WorkflowExecutionStatus.RUNNING]
        return running + [wf.id for wf in found if wf.id not in running]
