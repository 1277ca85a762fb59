"""`candidate_stage_change` into a stage mapped to a test starts the AssessmentWorkflow; closing the
application signals it.

The app runs in-process (httpx ASGI transport) against the Temporal dev server (visibility queries need
it). No worker polls the assessment queue: what is asserted is what the webhook did to Temporal (the
start input, the run, the signal in the history), not what the workflow does next.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from integrations.assessment_mappings import AssessmentMappings, request_for
from models import temporal_keys as keys
from models.assessment_io import AssessmentRequest, DecisionRule
from models.assessment_store import AssessmentMappingSpec
from models.assessments import assessment_workflow_id
from models.messages import ApplicationClosedInput
from models.settings import Settings
from models.store import create_engine_for
from tests.test_web_webhooks import HIRE, REJECT, SECRET, STAGE_CHANGE, new_id, settings_for
from web.app import create_app
from web.webhooks import sign_body

JOB = 3485  # the job of the documented STAGE_CHANGE payload
RULE = DecisionRule(threshold=70, below="note", advance_to_stage_id=902)


@dataclass
class Hooks:
    client: Client
    settings: Settings
    engine: Engine
    http: httpx.AsyncClient

    async def post(self, body: dict[str, Any], *, event_id: str | None = None) -> httpx.Response:
        raw = json.dumps(body).encode()
        headers = {"Signature": sign_body(raw, SECRET), "Greenhouse-Event-ID": event_id or uuid.uuid4().hex}
        return await self.http.post("/webhooks/greenhouse", content=raw, headers=headers)

    async def runs(self, workflow_id: str) -> list[str]:
        for _ in range(100):  # visibility is eventually consistent
            found = [wf.run_id async for wf in self.client.list_workflows(f"WorkflowId = '{workflow_id}'")]
            if found:
                return found
            await asyncio.sleep(0.05)
        return []

    async def start_input(self, workflow_id: str) -> AssessmentRequest:
        history = await self.client.get_workflow_handle(workflow_id).fetch_history()
        payloads = history.events[0].workflow_execution_started_event_attributes.input.payloads
        [request] = await self.client.data_converter.decode(payloads, [AssessmentRequest])
        assert isinstance(request, AssessmentRequest)
        return request

    async def signals(self, workflow_id: str) -> list[ApplicationClosedInput]:
        history = await self.client.get_workflow_handle(workflow_id).fetch_history()
        found: list[ApplicationClosedInput] = []
        for event in history.events:
            if event.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
                continue
            attributes = event.workflow_execution_signaled_event_attributes
            assert attributes.signal_name == "application_closed"
            [closed] = await self.client.data_converter.decode(
                attributes.input.payloads, [ApplicationClosedInput]
            )
            assert isinstance(closed, ApplicationClosedInput)
            found.append(closed)
        return found


@pytest_asyncio.fixture
async def hooks(dev_server_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Hooks]:
    settings = settings_for(tmp_path, f"assess-hooks-{uuid.uuid4().hex[:8]}")
    engine = create_engine_for(settings.resolved_database_url())
    client = dev_server_env.client

    async def factory() -> Client:
        return client

    app = create_app(settings, factory, engine=engine)  # creates the tables
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hooks") as http:
        yield Hooks(client, settings, engine, http)


def stage_change(application_id: int, stage_id: int, name: str) -> dict[str, Any]:
    body = copy.deepcopy(STAGE_CHANGE)
    body["payload"]["application"]["id"] = application_id
    body["payload"]["application"]["current_stage"].update(id=stage_id, name=name)
    return body


def mapping(**overrides: Any) -> AssessmentMappingSpec:
    values: dict[str, Any] = {
        "job_id": JOB,
        "stage_name": "Take Home Test",
        "test_key": "python-basics",
        "provider": "embedded",
        "test_id": "py-1",
        "test_name": "Python basics",
        "rule": RULE,
        "deadline_days": 5,
    }
    return AssessmentMappingSpec.model_validate({**values, **overrides})


async def test_entering_a_mapped_stage_starts_the_test_once(hooks: Hooks) -> None:
    AssessmentMappings(hooks.engine).add(mapping())
    application_id = new_id()
    workflow_id = assessment_workflow_id(application_id, "python-basics")
    response = await hooks.post(stage_change(application_id, new_id(), "take home TEST"), event_id="e1")
    assert response.status_code == 200
    assert response.json()["outcome"] == f"assessment {workflow_id}"
    request = await hooks.start_input(workflow_id)
    assert (request.application_id, request.provider, request.test_id) == (application_id, "embedded", "py-1")
    assert request.source == "stage" and request.rule == RULE
    assert request.policy.deadline.days == 5
    [run] = await hooks.runs(workflow_id)
    # Greenhouse redelivers under a new event id (or the recruiter moves the application back and forth)
    again = await hooks.post(stage_change(application_id, new_id(), "Take Home Test"), event_id="e2")
    assert again.json()["outcome"] == f"assessment {workflow_id}"
    assert await hooks.runs(workflow_id) == [run]
    duplicate = await hooks.post(stage_change(application_id, 1, "Take Home Test"), event_id="e1")
    assert duplicate.json()["status"] == "duplicate"
    await hooks.client.get_workflow_handle(workflow_id).terminate("test over")


async def test_a_mapping_by_stage_id_wins_and_unmapped_or_closed_applications_start_nothing(
    hooks: Hooks,
) -> None:
    stage_id = new_id()
    AssessmentMappings(hooks.engine).add(
        mapping(stage_name=None, job_interview_stage_id=stage_id, test_key="sql", test_id="sql-1")
    )
    by_id, unmapped, rejected = new_id(), new_id(), new_id()
    started = await hooks.post(stage_change(by_id, stage_id, "Renamed stage"))
    assert started.json()["outcome"] == f"assessment {assessment_workflow_id(by_id, 'sql')}"
    ignored = await hooks.post(stage_change(unmapped, new_id(), "Onsite"))
    assert ignored.status_code == 200 and ignored.json()["outcome"].startswith("ignored")
    closed = stage_change(rejected, stage_id, "Renamed stage")
    closed["payload"]["application"]["status"] = "rejected"
    assert (await hooks.post(closed)).json()["outcome"].startswith("ignored")
    prospect = stage_change(rejected, stage_id, "Renamed stage")
    prospect["payload"]["application"]["prospect"] = True
    assert (await hooks.post(prospect)).json()["outcome"].startswith("ignored")
    for application_id in (unmapped, rejected):
        for key in ("sql", "python-basics"):
            with pytest.raises(RPCError, match="not found"):
                await hooks.client.get_workflow_handle(assessment_workflow_id(application_id, key)).describe()
    await hooks.client.get_workflow_handle(assessment_workflow_id(by_id, "sql")).terminate("test over")


async def test_temporal_down_answers_503_and_the_mapping_is_not_consumed(hooks: Hooks) -> None:
    AssessmentMappings(hooks.engine).add(mapping())
    application_id = new_id()
    body = stage_change(application_id, new_id(), "Take Home Test")

    async def down() -> Client:
        raise ConnectionRefusedError("temporal is down")

    broken = create_app(hooks.settings, down, engine=hooks.engine)
    raw = json.dumps(body).encode()
    headers = {"Signature": sign_body(raw, SECRET), "Greenhouse-Event-ID": "evt-down"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=broken), base_url="http://h") as http:
        assert (await http.post("/webhooks/greenhouse", content=raw, headers=headers)).status_code == 503
    retried = await hooks.post(body, event_id="evt-down")
    assert retried.json()["outcome"].startswith("assessment")
    await hooks.client.get_workflow_handle(assessment_workflow_id(application_id, "python-basics")).terminate(
        "test over"
    )


@pytest.mark.parametrize(("template", "reason"), [(REJECT, "rejected"), (HIRE, "hired")])
async def test_closing_the_application_signals_its_running_assessment(
    hooks: Hooks, template: dict[str, Any], reason: str
) -> None:
    AssessmentMappings(hooks.engine).add(mapping())
    application_id = new_id()
    await hooks.post(stage_change(application_id, new_id(), "Take Home Test"))
    workflow_id = assessment_workflow_id(application_id, "python-basics")
    query = f"WorkflowType = 'AssessmentWorkflow' AND ApplicationId = {application_id}"
    for _ in range(100):  # the ApplicationId search attribute becomes visible a little later
        if [wf async for wf in hooks.client.list_workflows(query)]:
            break
        await asyncio.sleep(0.05)
    body = copy.deepcopy(template)
    body["payload"]["application"]["id"] = application_id
    response = await hooks.post(body)
    assert response.status_code == 200
    assert response.json()["outcome"] == f"{reason}: signalled 1 workflow(s)"
    assert [s.reason for s in await hooks.signals(workflow_id)] == [reason]
    other = new_id()  # an application with no assessment: nothing to signal, still 200
    body["payload"]["application"]["id"] = other
    assert (await hooks.post(body)).json()["outcome"] == f"{reason}: signalled 0 workflow(s)"
    await hooks.client.get_workflow_handle(workflow_id).terminate("test over")


async def _closed_run(hooks: Hooks, application_id: int, ended: str) -> str:
    """A finished AssessmentWorkflow run for the application whose last status was `ended`."""
    workflow_id = assessment_workflow_id(application_id, "python-basics")
    row = AssessmentMappings(hooks.engine).find_test(JOB, "python-basics")
    assert row is not None
    request = request_for(row, application_id, source="stage")
    handle = await hooks.client.start_workflow(
        "AssessmentWorkflow",
        request,
        id=workflow_id,
        task_queue="nobody-polls-this",
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(keys.APPLICATION_ID, application_id),
                SearchAttributePair(keys.ASSESSMENT_STATUS, ended),
            ]
        ),
    )
    await handle.terminate("ended for the test")
    return handle.result_run_id or ""


async def test_a_test_already_taken_is_not_sent_again_but_one_never_taken_is(hooks: Hooks) -> None:
    """Re-entering the stage (or an old change redelivered under a new event id) after the candidate
    took the test sends nothing; after an expired or cancelled invitation it sends a fresh one."""
    AssessmentMappings(hooks.engine).add(mapping())
    taken, lapsed = new_id(), new_id()
    taken_run = await _closed_run(hooks, taken, "completed")
    lapsed_run = await _closed_run(hooks, lapsed, "expired")
    again = await hooks.post(stage_change(taken, new_id(), "Take Home Test"))
    assert again.status_code == 200
    assert again.json()["outcome"].startswith(f"ignored: application {taken} already completed Python basics")
    assert await hooks.runs(assessment_workflow_id(taken, "python-basics")) == [taken_run]
    fresh = await hooks.post(stage_change(lapsed, new_id(), "Take Home Test"))
    workflow_id = assessment_workflow_id(lapsed, "python-basics")
    assert fresh.json()["outcome"] == f"assessment {workflow_id}"
    handle = hooks.client.get_workflow_handle(workflow_id)
    assert (await handle.describe()).run_id != lapsed_run
    await handle.terminate("test over")
