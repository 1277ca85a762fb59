"""Start, inspect and cancel scheduling requests: the logic behind `hireflow schedule/status/cancel`.

Kept apart from the command line so the web app, the mention watcher and tests start requests the
same way: idempotently, by business key, with the same search attributes and summary.
"""

from __future__ import annotations

from typing import Literal

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from integrations.greenhouse.client import HarvestClient
from models import temporal_keys as keys
from models.messages import (
    CancelInput,
    SchedulingPolicy,
    SchedulingRequest,
    SchedulingStatusSnapshot,
    TaskQueues,
    scheduling_workflow_id,
)
from models.settings import Settings
from workflows.scheduling import SchedulingWorkflow


class RequestError(RuntimeError):
    """A request that cannot be started or found, with a message for a person."""


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
    request = SchedulingRequest(
        application_id=application_id,
        job_interview_stage_id=job_interview_stage_id,
        requested_by_user_id=requested_by_user_id,
        source=source,
        recruiter_notes=recruiter_notes,
        policy=policy or settings.scheduling_policy,
        queues=TaskQueues(harvest=settings.harvest_task_queue, planner=settings.planner_task_queue),
    )
    return await client.start_workflow(
        SchedulingWorkflow.run,
        request,
        id=scheduling_workflow_id(application_id, job_interview_stage_id),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(keys.APPLICATION_ID, application_id),
                SearchAttributePair(keys.SCHEDULING_STATUS, "gathering"),
            ]
        ),
        static_summary=f"Interview scheduling: application {application_id}, stage {job_interview_stage_id}",
    )


async def resolve_workflow_id(client: Client, ident: str) -> str:
    """Accept a workflow id, or an application id (its most recent open request)."""
    if not ident.isdigit():
        return ident
    query = f"ApplicationId = {int(ident)} AND WorkflowType = 'SchedulingWorkflow'"
    found = [wf async for wf in client.list_workflows(query, limit=20)]
    if not found:
        raise RequestError(f"no scheduling request found for application {ident}")
    running = [wf for wf in found if wf.status == WorkflowExecutionStatus.RUNNING]
    return (running or found)[0].id


async def request_status(client: Client, ident: str) -> SchedulingStatusSnapshot:
    workflow_id = await resolve_workflow_id(client, ident)
    handle = client.get_workflow_handle_for(SchedulingWorkflow.run, workflow_id)
    return await handle.query(SchedulingWorkflow.status)


async def cancel_request(client: Client, ident: str, reason: str) -> str:
    workflow_id = await resolve_workflow_id(client, ident)
    handle = client.get_workflow_handle_for(SchedulingWorkflow.run, workflow_id)
    await handle.signal(SchedulingWorkflow.cancel, CancelInput(by="recruiter", reason=reason))
    return workflow_id
