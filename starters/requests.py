"""Start, inspect and cancel scheduling requests: the logic behind `hireflow schedule/status/cancel`.

A thin layer over `integrations/scheduling_client.py`, the one way into SchedulingWorkflows, plus
the Greenhouse lookup of an application's current stage.
"""

from __future__ import annotations

from typing import Literal

from temporalio.client import Client, WorkflowHandle

from integrations.greenhouse.client import HarvestClient
from integrations.scheduling_client import RequestRefusedError, SchedulingClient
from models.messages import CancelInput, CommandResult, SchedulingPolicy, SchedulingStatusSnapshot
from models.settings import Settings
from workflows.scheduling import SchedulingWorkflow

RequestError = RequestRefusedError


async def current_stage_id(harvest: HarvestClient, application_id: int) -> int:
    """The job interview stage an application is in now (live field first, stage history second)."""
    application = await harvest.get_application(application_id)
    if application.status != "in_process":
        raise RequestError(f"application {application_id} is {application.status}; nothing to schedule")
    if application.job_interview_stage_id:
        return application.job_interview_stage_id
    async for row in harvest.list_application_stages(application_ids=[application_id], current=True):
        if row.job_interview_stage_id is not None:
            return row.job_interview_stage_id
    raise RequestError(f"application {application_id} has no current stage")


async def start_scheduling(
    client: Client,
    settings: Settings,
    application_id: int,
    job_interview_stage_id: int,
    *,
    requested_by_user_id: int | None = None,
    source: Literal["mention", "webhook", "cli", "api"] = "cli",
    recruiter_notes: str = "",
    policy: SchedulingPolicy | None = None,
) -> WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot]:
    """Start the request, or return the one already running for this application and stage."""
    started = await SchedulingClient(client, settings).start(
        application_id,
        job_interview_stage_id,
        requested_by_user_id=requested_by_user_id,
        source=source,
        recruiter_notes=recruiter_notes,
        policy=policy,
    )
    return client.get_workflow_handle_for(SchedulingWorkflow.run, started.id)


async def resolve_workflow_id(client: Client, ident: str) -> str:
    """Accept a workflow id, or an application id (its most recent open request)."""
    return await SchedulingClient(client).resolve(ident)


async def request_status(client: Client, ident: str) -> SchedulingStatusSnapshot:
    scheduling = SchedulingClient(client)
    return await scheduling.status(await scheduling.resolve(ident))


async def cancel_request(client: Client, ident: str, reason: str) -> tuple[str, CommandResult]:
    """Cancel as a recruiter; the answer says what happened (or what is under way)."""
    scheduling = SchedulingClient(client)
    workflow_id = await scheduling.resolve(ident)
    result = await scheduling.cancel(workflow_id, CancelInput(by="recruiter", reason=reason))
    return workflow_id, result
