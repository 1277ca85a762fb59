"""The one way into EventWorkflows: start, answer, cancel and read them by business key.

The CLI, the mention activities and the candidate's event page come through here. Like
`integrations.scheduling_client`, it names the workflow's handlers as strings so nothing below the
workflows layer imports the workflow; `tests/test_event_client.py` checks every name against it.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from models import temporal_keys as keys
from models.event_io import (
    AvailabilityInput,
    AvailabilityResult,
    AvailabilityView,
    EventCancelInput,
    EventCommandResult,
    EventRequest,
    EventStatus,
    event_workflow_id,
)
from models.messages import TaskQueues
from models.settings import Settings

WORKFLOW = "EventWorkflow"
# Handler names of EventWorkflow (kept in step by a test).
SUBMIT_AVAILABILITY = "submit_availability"
CANCEL_EVENT = "cancel_event"
LOOP_UPDATE = "loop_update"
STATUS = "event_status"
AVAILABILITY_VIEW = "availability_view"
QUERY_TIMEOUT = timedelta(seconds=10)
UPDATE_TIMEOUT = timedelta(seconds=30)

# The event page's link names the event and one application: "<event workflow id>~<application id>".
LINK_SEPARATOR = "~"


def event_link_subject(workflow_id: str, application_id: int) -> str:
    return f"{workflow_id}{LINK_SEPARATOR}{application_id}"


def parse_event_link_subject(subject: str) -> tuple[str, int] | None:
    """The event workflow id and application id a link names, or None when it names something else."""
    workflow_id, sep, application = subject.rpartition(LINK_SEPARATOR)
    if (
        not sep
        or not workflow_id.startswith("event-")
        or not application.isascii()
        or not application.isdigit()
    ):
        return None
    return workflow_id, int(application)


def event_summary(request: EventRequest) -> str:
    days = ", ".join(f"{d:%a %d %b %Y}" for d in request.days)
    return f"Recruiting event ({request.name}) for job {request.job_id}, stage {request.job_interview_stage_id}: {days}"


class EventClient:
    def __init__(self, client: Client, settings: Settings | None = None) -> None:
        self.client = client
        self.settings = settings

    def handle(self, workflow_id: str) -> WorkflowHandle[object, EventStatus]:
        return self.client.get_workflow_handle(workflow_id, result_type=EventStatus)

    async def start(self, request: EventRequest) -> WorkflowHandle[object, EventStatus]:
        """Start the event, or return the one already running for this job stage and first day."""
        settings = self.settings
        if settings is None:
            raise ValueError("starting an event needs the settings (task queues)")
        queues = TaskQueues(harvest=settings.harvest_task_queue, planner=settings.planner_task_queue)
        request = request.model_copy(update={"queues": queues, "loop_policy": settings.scheduling_policy})
        return await self.client.start_workflow(
            WORKFLOW,
            request,
            id=event_workflow_id(request.job_id, request.job_interview_stage_id, request.days[0]),
            task_queue=settings.task_queue,
            result_type=EventStatus,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(keys.JOB_ID, request.job_id),
                    SearchAttributePair(keys.SCHEDULING_STATUS, "gathering"),
                ]
            ),
            static_summary=event_summary(request),
        )

    async def status(self, workflow_id: str) -> EventStatus:
        return await self.handle(workflow_id).query(
            STATUS, result_type=EventStatus, rpc_timeout=QUERY_TIMEOUT
        )

    async def availability_view(self, workflow_id: str, application_id: int) -> AvailabilityView:
        return await self.handle(workflow_id).query(
            AVAILABILITY_VIEW, application_id, result_type=AvailabilityView, rpc_timeout=QUERY_TIMEOUT
        )

    async def submit_availability(self, workflow_id: str, answer: AvailabilityInput) -> AvailabilityResult:
        """The candidate's answer; a refusal (closed, unknown application) is the workflow's own words."""
        return await self.handle(workflow_id).execute_update(
            SUBMIT_AVAILABILITY, answer, result_type=AvailabilityResult, rpc_timeout=UPDATE_TIMEOUT
        )

    async def cancel(self, workflow_id: str, request: EventCancelInput) -> EventCommandResult:
        return await self.handle(workflow_id).execute_update(
            CANCEL_EVENT, request, result_type=EventCommandResult, rpc_timeout=UPDATE_TIMEOUT
        )
