"""ConsentRetentionWorkflow on the time-skipping server with the real activities, a Greenhouse sandbox
over HTTP and SQLite: months pass in seconds. A lapsing basis is announced on the profile, then the
candidate is anonymised and Hireflow's copies erased; a renewed basis keeps them; a basis that lapsed
before Hireflow saw it still gets its notice."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.greenhouse import GreenhouseActivities
from activities.retention import RetentionActivities
from integrations.greenhouse.client import HarvestClient
from integrations.sourcing_store import SourcingStore
from models.messages import TaskQueues
from models.retention import RetentionInput, RetentionPolicy, RetentionStatus
from models.sourcing import ConsentInput
from models.store import create_engine_for, init_db
from tests.fixtures.sandbox import SandboxFactory, client_for
from workflows.retention import ConsentRetentionWorkflow

pytestmark = pytest.mark.integration
POLICY = RetentionPolicy(consent_days=365, legitimate_interest_days=180, notice_days=14)


@dataclass
class World:
    env: WorkflowEnvironment
    harvest: HarvestClient
    engine: Engine
    queue: str
    candidate_id: int

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def consent(self, basis: str, days_ago: int) -> None:
        given = await self.now() - timedelta(days=days_ago)
        SourcingStore(self.engine).record_consent(
            self.candidate_id,
            "inhire",
            ConsentInput(basis=basis, given_at=given, notice_version="v1"),
        )

    async def start(self) -> WorkflowHandle[ConsentRetentionWorkflow, RetentionStatus]:
        return await self.env.client.start_workflow(
            ConsentRetentionWorkflow.run,
            RetentionInput(
                candidate_id=self.candidate_id, policy=POLICY, queues=TaskQueues(harvest=self.queue)
            ),
            id=f"retention-test-{uuid.uuid4().hex[:8]}",
            task_queue=self.queue,
        )

    async def notes(self) -> list[str]:
        return [n.body or "" async for n in self.harvest.list_notes(candidate_ids=[self.candidate_id])]

    async def emails(self) -> list[str]:
        return [e.value for e in (await self.harvest.get_candidate(self.candidate_id)).email_addresses]


@pytest_asyncio.fixture
async def world(
    time_skipping_env: WorkflowEnvironment, sandbox_factory: SandboxFactory, tmp_path: Path
) -> AsyncIterator[World]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'hireflow.db'}")
    init_db(engine)
    queue = f"retention-{uuid.uuid4().hex[:8]}"
    async with (
        sandbox_factory(candidates=8) as server,
        client_for(server, max_retries=0) as harvest,
    ):
        candidate = next(c for c in await harvest.list_candidates().collect() if c.email_addresses)
        retention = RetentionActivities(harvest, engine)
        async with Worker(
            time_skipping_env.client,
            task_queue=queue,
            workflows=[ConsentRetentionWorkflow],
            activities=[
                retention.read_consent_deadline,
                retention.erase_candidate,
                GreenhouseActivities(harvest).add_candidate_note,
            ],
        ):
            yield World(time_skipping_env, harvest, engine, queue, candidate.id)
    engine.dispose()


async def test_a_lapsing_basis_is_announced_then_the_candidate_is_erased(world: World) -> None:
    await world.consent("legitimate_interest", days_ago=100)  # lapses in 80 days, announced at 66
    handle = await world.start()
    await world.env.sleep(timedelta(days=60))
    assert (await handle.query(ConsentRetentionWorkflow.status)).state == "waiting"
    assert not any("will anonymise" in n for n in await world.notes())

    await world.env.sleep(timedelta(days=7))
    status = await handle.query(ConsentRetentionWorkflow.status)
    assert status.state == "warned" and status.basis == "legitimate_interest"
    [warning] = [n for n in await world.notes() if "will anonymise" in n]
    assert "legitimate interest basis recorded by inhire" in warning
    assert await world.emails(), "nothing is erased at the notice"

    await world.env.sleep(timedelta(days=14))
    result = await handle.result()
    assert result.state == "erased"
    assert await world.emails() == []
    assert SourcingStore(world.engine).consents(world.candidate_id) == []


async def test_a_renewed_basis_keeps_the_candidate(world: World) -> None:
    await world.consent("legitimate_interest", days_ago=100)
    handle = await world.start()
    await world.env.sleep(timedelta(days=67))
    assert (await handle.query(ConsentRetentionWorkflow.status)).state == "warned"

    await world.consent("consent", days_ago=0)  # the source asked again and the person said yes
    await handle.signal(ConsentRetentionWorkflow.consent_renewed)
    await world.env.sleep(timedelta(days=30))
    status = await handle.query(ConsentRetentionWorkflow.status)
    assert status.state == "waiting" and status.basis == "consent"
    assert status.deadline is not None and status.deadline > await world.now() + timedelta(days=300)
    assert await world.emails()
    await handle.terminate("test over")


async def test_a_basis_that_lapsed_before_hireflow_saw_it_still_gets_its_notice(world: World) -> None:
    await world.consent("consent", days_ago=400)  # lapsed 35 days ago
    handle = await world.start()
    await world.env.sleep(timedelta(days=1))
    assert (await handle.query(ConsentRetentionWorkflow.status)).state == "warned"
    await world.env.sleep(timedelta(days=12))
    assert await world.emails(), "erased before the notice ran out"
    await world.env.sleep(timedelta(days=2))
    assert (await handle.result()).state == "erased" and await world.emails() == []


async def test_no_consent_on_record_ends_at_once(world: World) -> None:
    handle = await world.start()
    assert (await handle.result()).state == "no_consent"
