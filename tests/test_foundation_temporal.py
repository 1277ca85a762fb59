"""The Temporal environments the rest of the suite relies on: converter, search attributes, time skipping."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from models import temporal_keys as keys


class ProbeInput(BaseModel):
    application_id: int
    interview_start: datetime
    wait: timedelta = timedelta(0)


class ProbeResult(BaseModel):
    status: str
    waited_until: datetime


@workflow.defn
class SearchAttributeProbeWorkflow:
    """Upserts every Hireflow search attribute, optionally sleeps, and reports."""

    @workflow.run
    async def run(self, probe: ProbeInput) -> ProbeResult:
        workflow.upsert_search_attributes(
            [
                keys.APPLICATION_ID.value_set(probe.application_id),
                keys.CANDIDATE_ID.value_set(probe.application_id + 1),
                keys.JOB_ID.value_set(7),
                keys.STAGE_NAME.value_set("Onsite"),
                keys.SCHEDULING_STATUS.value_set("offered"),
                keys.RECRUITER_ID.value_set("11"),
                keys.INTERVIEW_START.value_set(probe.interview_start),
            ]
        )
        if probe.wait:
            await workflow.sleep(probe.wait, summary="probe wait")
        workflow.upsert_search_attributes([keys.SCHEDULING_STATUS.value_set("completed")])
        return ProbeResult(status="completed", waited_until=workflow.now())


async def _run_probe(client: Client, probe: ProbeInput) -> tuple[str, ProbeResult]:
    task_queue = f"probe-{uuid.uuid4()}"
    workflow_id = f"probe-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[SearchAttributeProbeWorkflow]):
        result = await asyncio.wait_for(
            client.execute_workflow(
                SearchAttributeProbeWorkflow.run, probe, id=workflow_id, task_queue=task_queue
            ),
            timeout=60,
        )
    return workflow_id, result


async def test_time_skipping_env_skips_days_and_knows_search_attributes(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    start = datetime(2026, 12, 2, 15, tzinfo=UTC)
    loop = asyncio.get_running_loop()
    began = loop.time()
    _, result = await _run_probe(
        time_skipping_env.client, ProbeInput(application_id=42, interview_start=start, wait=timedelta(days=3))
    )
    assert result.status == "completed"
    assert loop.time() - began < 20, "three days of timer must pass without waiting for them"


async def test_dev_server_env_lists_by_search_attributes(dev_server_env: WorkflowEnvironment) -> None:
    client = dev_server_env.client
    application_id = 1_000_000 + uuid.uuid4().int % 1_000_000
    start = datetime(2026, 12, 2, 15, tzinfo=UTC)
    workflow_id, result = await _run_probe(
        client, ProbeInput(application_id=application_id, interview_start=start)
    )
    assert isinstance(result, ProbeResult)

    query = f"ApplicationId = {application_id} AND SchedulingStatus = 'completed' AND StageName = 'Onsite'"
    found: list[str] = []
    for _ in range(50):
        found = [wf.id async for wf in client.list_workflows(query)]
        if found:
            break
        await asyncio.sleep(0.2)
    assert found == [workflow_id]
    description = await client.get_workflow_handle(workflow_id).describe()
    assert description.typed_search_attributes.get(keys.INTERVIEW_START) == start
