"""Activities of recruiting events that ask Temporal itself (not Greenhouse, calendars or mail)."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from models.event_io import RunningRequestsInput, RunningRequestsResult
from models.messages import scheduling_workflow_id


class EventActivities:
    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn
    async def find_running_requests(self, request: RunningRequestsInput) -> RunningRequestsResult:
        """The applications whose scheduling request for the stage is running already.

        An event cannot book them (one request per application and stage), so it does not ask them for
        times it would then refuse; the recruiter sees why they were left out.
        """
        running: list[int] = []
        for application_id in request.application_ids:
            handle = self.client.get_workflow_handle(
                scheduling_workflow_id(application_id, request.job_interview_stage_id)
            )
            try:
                described = await handle.describe()
            except RPCError as error:
                if error.status == RPCStatusCode.NOT_FOUND:
                    continue
                raise
            if described.status == WorkflowExecutionStatus.RUNNING:
                running.append(application_id)
        return RunningRequestsResult(application_ids=running)
