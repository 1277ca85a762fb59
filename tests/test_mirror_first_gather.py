"""The scheduling gather reads the mirror first (issue 12): same context as Harvest, far fewer requests,
and Harvest again when the mirror is too stale, misses a row or holds only what a webhook told.

Real components: the Greenhouse sandbox over HTTP, the mirror filled by the sync activities into a SQLite
store. Harvest requests are counted on the client's HTTP connection (token requests excluded).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from activities.greenhouse import GreenhouseActivities
from activities.sync import SyncActivities
from integrations.greenhouse.client import HarvestClient
from integrations.mirror import MirrorReader
from integrations.mirror_first import PLAN_MAX_AGE
from integrations.mirror_store import MirrorStore
from models.activity_io import GatherInput
from models.greenhouse import Application, UpdateCandidate
from models.messages import SchedulingContext
from models.mirror import MirrorApplication, MirrorJob, MirrorSyncState, MirrorUser
from models.store import create_engine_for, init_db
from models.sync_io import ALL_RESOURCES, ResourcePassInput
from sandbox.greenhouse.config import SandboxConfig
from sandbox.greenhouse.server import SandboxServer
from tests.fixtures.sandbox import client_for

pytestmark = pytest.mark.integration


@dataclass
class Counter:
    paths: list[str] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> None:
        if request.url.path.startswith("/v3/"):
            self.paths.append(f"{request.method} {request.url.path}")

    def take(self) -> list[str]:
        taken, self.paths = self.paths, []
        return taken


@dataclass
class World:
    harvest: HarvestClient
    counter: Counter
    engine: Engine
    store: MirrorStore
    with_mirror: GreenhouseActivities
    harvest_only: GreenhouseActivities
    request: GatherInput

    async def gather(self, activities: GreenhouseActivities) -> tuple[SchedulingContext, list[str]]:
        self.counter.take()
        context = await activities.gather_scheduling_context(self.request)
        return context, self.counter.take()

    def edit(self, table: type, row_id: int, **data: object) -> None:
        """Change a mirrored row's stored object (what the mirror believes), as a missed change would."""
        with Session(self.engine) as session:
            row = session.get(table, row_id)
            assert row is not None
            row.data = {**row.data, **data}
            session.add(row)
            session.commit()

    def age(self, resource: str, by: timedelta) -> None:
        with Session(self.engine) as session:
            state = session.get(MirrorSyncState, resource)
            assert state is not None
            state.synced_through = datetime.now(UTC) - by
            session.add(state)
            session.commit()


async def _onsite_application(harvest: HarvestClient) -> Application:
    async for app in harvest.list_applications(status="active", stage_name="Onsite"):
        if app.candidate_id and app.job_id and app.job_interview_stage_id and app.recruiter_id:
            return app
    raise AssertionError("the seed has no active application at an Onsite stage")


@pytest_asyncio.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    config = SandboxConfig(database_url=f"sqlite:///{tmp_path / 'gh.db'}", candidates=40, rate_limit=10_000)
    engine = create_engine_for(f"sqlite:///{tmp_path / 'hireflow.db'}")
    init_db(engine)
    counter = Counter()
    async with SandboxServer(config) as server, httpx.AsyncClient(event_hooks={"request": [counter]}) as http:
        harvest = client_for(server, http=http)
        store = MirrorStore(engine)
        sync = SyncActivities(harvest, store)
        for name in ALL_RESOURCES:
            await sync.sync_resource(ResourcePassInput(resource=name))
        app = await _onsite_application(harvest)
        assert app.job_interview_stage_id is not None
        yield World(
            harvest=harvest,
            counter=counter,
            engine=engine,
            store=store,
            with_mirror=GreenhouseActivities(harvest, mirror=MirrorReader(engine)),
            harvest_only=GreenhouseActivities(harvest),
            request=GatherInput(application_id=app.id, job_interview_stage_id=app.job_interview_stage_id),
        )
    engine.dispose()


async def test_a_synced_mirror_answers_the_gather_exactly_as_harvest_does_without_a_request(
    world: World,
) -> None:
    from_harvest, harvest_requests = await world.gather(world.harvest_only)
    from_mirror, mirror_requests = await world.gather(world.with_mirror)

    assert from_harvest.sessions and from_harvest.people, "the plan has sessions and people to compare"
    assert from_mirror == from_harvest
    assert len(harvest_requests) >= 8, (
        harvest_requests
    )  # application, candidate, job, plan, kits, panels, users
    assert mirror_requests == []


async def test_a_stale_resource_is_read_from_harvest_and_a_fresh_one_from_the_mirror(world: World) -> None:
    expected, _ = await world.gather(world.harvest_only)
    world.edit(MirrorJob, expected.job_id, name="Renamed only in the mirror")

    fresh, requests = await world.gather(world.with_mirror)
    assert fresh.job_name == "Renamed only in the mirror" and requests == []  # the mirror answered

    world.age("jobs", PLAN_MAX_AGE + timedelta(minutes=1))
    stale, requests = await world.gather(world.with_mirror)
    assert stale == expected  # Greenhouse's name again
    assert requests == ["GET /v3/jobs"]  # the job alone


async def test_a_row_the_mirror_misses_or_only_a_webhook_wrote_is_read_from_harvest(world: World) -> None:
    expected, _ = await world.gather(world.harvest_only)
    recruiter = expected.recruiter_id
    assert recruiter is not None
    with Session(world.engine) as session:
        for row in session.exec(select(MirrorUser).where(MirrorUser.id == recruiter)):
            session.delete(row)
        session.commit()

    context, requests = await world.gather(world.with_mirror)
    assert context == expected
    assert requests == ["GET /v3/users"]  # only the missing person

    # A webhook created the application row (it knows no recruiter): the gather wants the whole object.
    with Session(world.engine) as session:
        app_row = session.get(MirrorApplication, expected.application_id)
        assert app_row is not None
        app_row.origin = "webhook"
        app_row.data = {k: v for k, v in app_row.data.items() if k not in ("created_at", "recruiter_id")}
        session.add(app_row)
        session.commit()
    context, requests = await world.gather(world.with_mirror)
    assert context == expected
    assert "GET /v3/applications" in requests


async def test_a_mirror_never_synced_sends_every_read_to_harvest(tmp_path: Path, world: World) -> None:
    empty = create_engine_for(f"sqlite:///{tmp_path / 'empty.db'}")
    init_db(empty)
    never_synced = GreenhouseActivities(world.harvest, mirror=MirrorReader(empty))
    expected, harvest_requests = await world.gather(world.harvest_only)
    context, requests = await world.gather(never_synced)
    assert context == expected
    assert sorted(requests) == sorted(harvest_requests)
    empty.dispose()


async def test_a_stage_the_mirror_does_not_know_yet_is_looked_up_in_harvest(world: World) -> None:
    bogus = GatherInput(application_id=world.request.application_id, job_interview_stage_id=1)
    world.counter.take()
    with pytest.raises(Exception, match="is not a stage of job"):
        await world.with_mirror.gather_scheduling_context(bogus)
    assert "GET /v3/job_interview_stages" in world.counter.take()


async def test_a_candidate_with_emailing_turned_off_is_gathered_without_an_address(world: World) -> None:
    before, _ = await world.gather(world.harvest_only)
    assert before.candidate_email and before.candidate_can_email
    await world.harvest.update_candidate(before.candidate_id, UpdateCandidate(can_email=False))

    context, _ = await world.gather(world.harvest_only)
    assert context.candidate_email is None and context.candidate_can_email is False
    world.age("candidates", PLAN_MAX_AGE + timedelta(minutes=1))  # the mirror has not seen the change yet
    from_mirror, requests = await world.gather(world.with_mirror)
    assert from_mirror == context and "GET /v3/candidates" in requests
