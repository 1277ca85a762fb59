"""The whole assessment chain on real components: Temporal dev server, the Greenhouse sandbox, the
embedded assessment provider, the web app and the worker, over real HTTP.

An application moves into "Take Home Test"; the AssessmentWorkflow invites the candidate; the
candidate takes the test through the provider's HTML form; the provider's signed webhook reaches the
web app, which signals the workflow; the score lands in the application's custom field, the note and
the PDF report in Greenhouse, and the application advances to the next stage.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest_asyncio
import uvicorn
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from integrations.assessment_client import AssessmentClient
from integrations.greenhouse.client import HarvestClient
from models.assessment_io import AssessmentRequest, DecisionRule
from models.greenhouse import MoveApplication
from models.settings import Settings
from sandbox.assessments.catalog import BY_ID
from sandbox.assessments.config import AssessmentSandboxConfig
from sandbox.assessments.server import AssessmentSandboxServer
from sandbox.greenhouse.server import SandboxServer
from sandbox.radicale.server import RadicaleServer
from starters.ports import free_port
from tests.fixtures.mail import SinkHandle
from tests.support.stack import module_workers, seeded_store, stack_settings
from web.app import create_app

TEST_ID = "python-basics"


@dataclass
class Chain:
    client: Client
    settings: Settings
    provider: AssessmentSandboxServer
    sandbox: SandboxServer
    engine: Engine


@pytest_asyncio.fixture
async def chain(
    dev_server_env: WorkflowEnvironment,
    greenhouse_sandbox: SandboxServer,
    radicale: RadicaleServer,
    smtp_sink: SinkHandle,
    tmp_path: Path,
) -> AsyncIterator[Chain]:
    port = free_port()
    config = AssessmentSandboxConfig(retry_delays=(0.2, 0.5, 1.0))
    async with AssessmentSandboxServer(config) as provider:
        settings = stack_settings(
            greenhouse_sandbox, radicale.url, smtp_sink.sink.port, tmp_path, temporal_address="unused"
        ).model_copy(
            update={"assessment_sandbox_url": provider.base_url, "web_base_url": f"http://127.0.0.1:{port}"}
        )
        engine = await seeded_store(settings, greenhouse_sandbox)
        client = dev_server_env.client

        async def factory() -> Client:
            return client

        app = create_app(settings, factory, engine=engine)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        )
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        try:
            async with module_workers(client, settings):
                yield Chain(client, settings, provider, greenhouse_sandbox, engine)
        finally:
            server.should_exit = True
            await serving
            engine.dispose()


async def _application_in_take_home_test(chain: Chain) -> tuple[int, int, int]:
    """(application, take-home stage, the stage after it): one Phone Screen application, moved on."""
    summary = chain.sandbox.seed
    async with HarvestClient.from_settings(chain.settings) as gh:
        for job_id, take_home in summary.take_home_stage_ids.items():
            stages = sorted(
                [s async for s in gh.list_job_interview_stages(job_ids=[job_id])], key=lambda s: s.sort_order
            )
            ids = [s.id for s in stages]
            phone, after = ids[ids.index(take_home) - 1], ids[ids.index(take_home) + 1]
            async for application in gh.list_applications(job_ids=[job_id], status="active"):
                if application.job_interview_stage_id == phone:
                    await gh.move_application(
                        application.id, MoveApplication(from_stage_id=phone, to_stage_id=take_home)
                    )
                    return application.id, take_home, after
    raise AssertionError("the seed has no Phone Screen application in an engineering job")


async def _until(predicate: object, timeout: float = 60) -> None:
    async def poll() -> None:
        while not await predicate():  # type: ignore[operator]
            await asyncio.sleep(0.2)

    await asyncio.wait_for(poll(), timeout)


async def test_a_taken_test_is_scored_written_to_greenhouse_and_advances(chain: Chain) -> None:
    application_id, take_home, onsite = await _application_in_take_home_test(chain)
    assessments = AssessmentClient(chain.client, chain.settings)
    key = f"python-basics-{uuid.uuid4().hex[:6]}"
    handle = await assessments.start(
        AssessmentRequest(
            application_id=application_id,
            test_key=key,
            provider="embedded",
            test_id=TEST_ID,
            test_name="Python basics",
            source="stage",
            rule=DecisionRule(threshold=70),
        )
    )

    async def invited() -> bool:
        return (await assessments.status(handle.id)).state == "waiting"

    await _until(invited)
    status = await assessments.status(handle.id)
    async with HarvestClient.from_settings(chain.settings) as gh:
        application = await gh.get_application(application_id)
        assert application.candidate_id is not None
        candidate = await gh.get_candidate(application.candidate_id)
    email = next(e.value for e in candidate.email_addresses if e.value)
    token = chain.settings.assessment_sandbox_token.get_secret_value()
    async with httpx.AsyncClient(base_url=chain.provider.base_url, timeout=20) as http:
        # The candidate's link, as the provider's own invitation email carries it: the same reference
        # answers the invitation already made (and sends nothing new).
        again = await http.post(
            "/api/invitations",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "test_id": TEST_ID,
                "email": email,
                "first_name": "x",
                "last_name": "y",
                "deadline": status.deadline.isoformat() if status.deadline else "",
                # a run's keys name its run chain, so a retake under the same id invites anew
                "reference": f"{handle.id}/{(handle.first_execution_run_id or '')[:8]}/invite/1",
            },
        )
        assert again.status_code == 200 and again.json()["id"] == status.invitation_id, again.text
        test_url = again.json()["test_url"]
        page = await http.get(test_url)
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
        assert page.status_code == 200 and nonce is not None
        answers = {f"q{i}": str(q.answer) for i, q in enumerate(BY_ID[TEST_ID].questions)}
        done = await http.post(test_url, data={"nonce": nonce.group(1), **answers})
        assert done.status_code == 200, done.text

    final = await asyncio.wait_for(handle.result(), 90)
    assert final.state == "completed" and final.score == 100 and final.decision == "advanced"
    async with HarvestClient.from_settings(chain.settings) as gh:
        application = await gh.get_application(application_id)
        assert application.job_interview_stage_id == onsite
        assert application.candidate_id is not None
        fields = application.custom_fields or {}
        assert fields["assessment_score"].value == 100
        notes = [n.body or "" async for n in gh.list_notes(candidate_ids=[application.candidate_id])]
        assert any("assessment is complete" in n and "Score 100" in n for n in notes)
        reports = [a async for a in gh.list_attachments(application_ids=[application_id])]
        assert any(a.type == "take_home_test" and (a.filename or "").endswith(".pdf") for a in reports)
    assert take_home != onsite
