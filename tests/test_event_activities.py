"""`EventActivities.find_running_requests` against a real Temporal server: running, finished and unknown."""

from __future__ import annotations

import uuid

from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities.events import EventActivities
from models.event_io import RunningRequestsInput
from models.messages import SchedulingRequest, TaskQueues, scheduling_workflow_id
from tests.support.fake_scheduling import World, fake_activities
from workflows.scheduling import SchedulingWorkflow


async def test_only_running_requests_of_the_stage_are_found(time_skipping_env: WorkflowEnvironment) -> None:
    env = time_skipping_env
    queue = f"running-{uuid.uuid4()}"
    async with Worker(
        env.client, task_queue=queue, workflows=[SchedulingWorkflow], activities=fake_activities(World())
    ):
        handles = {}
        for app in (501, 502):
            request = SchedulingRequest(
                application_id=app,
                job_interview_stage_id=201,
                queues=TaskQueues(harvest=queue, planner=queue),
            )
            handles[app] = await env.client.start_workflow(
                SchedulingWorkflow.run, request, id=scheduling_workflow_id(app, 201), task_queue=queue
            )
        await handles[502].terminate("over")  # a request that ended (however) is not running
        assert (await handles[502].describe()).status == WorkflowExecutionStatus.TERMINATED
        activities = EventActivities(env.client)
        found = await ActivityEnvironment().run(
            activities.find_running_requests,
            RunningRequestsInput(application_ids=[501, 502, 503], job_interview_stage_id=201),
        )
        assert found.application_ids == [501]  # 502 finished, 503 never had one
        other_stage = await ActivityEnvironment().run(
            activities.find_running_requests,
            RunningRequestsInput(application_ids=[501], job_interview_stage_id=999),
        )
        assert other_stage.application_ids == []
        await handles[501].terminate("test over")
