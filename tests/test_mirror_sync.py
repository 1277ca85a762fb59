"""The mirror against the real Greenhouse sandbox, on SQLite and on PostgreSQL.

The sync activities list the sandbox over HTTP into a fresh store: the first pass copies the whole
organisation; a change made through Harvest shows after the next incremental pass; a change made
behind Harvest's back (a direct edit of the sandbox's database that leaves `updated_at` where it was),
a row deleted in Greenhouse and a row lost from the mirror are found and repaired by reconciliation;
webhook payloads delivered twice or out of order never put older data back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from activities.sync import SyncActivities
from integrations.greenhouse.client import HarvestClient
from integrations.mirror import MirrorReader, MirrorTooStale
from integrations.mirror_resources import RESOURCES, content_hash, resource
from integrations.mirror_store import MirrorStore
from integrations.mirror_webhooks import MirrorWebhooks
from models.greenhouse import MoveApplication, UpdateCandidate
from models.mirror import MirrorApplication, MirrorCandidate, MirrorCandidateEmail
from models.store import create_engine_for, init_db
from models.sync_io import ALL_RESOURCES, ReconcileInput, ResourcePassInput
from sandbox.greenhouse.config import SandboxConfig
from sandbox.greenhouse.server import SandboxServer
from sandbox.greenhouse.webhooks import application_payload
from tests.fixtures.sandbox import client_for
from tests.support.databases import sql_store_url

pytestmark = pytest.mark.integration
STORES = ["sqlite", "postgres"]
FRESH = timedelta(minutes=5)


@dataclass
class World:
    server: SandboxServer
    harvest: HarvestClient
    engine: Engine
    store: MirrorStore
    sync: SyncActivities
    sandbox_db: Engine

    async def harvest_objects(self, name: str) -> dict[int, dict[str, Any]]:
        """What Greenhouse holds now, reduced to what the mirror keeps."""
        spec = resource(name)
        listing = self.harvest.list_resource(spec.path, spec.model)
        return {item.id: spec.stored(item.model_dump(mode="json")) async for item in listing}

    def mirror_rows(self, name: str) -> dict[int, Any]:
        with Session(self.engine) as session:
            return {row.id: row for row in session.exec(select(resource(name).table)).all()}

    async def pass_all(self) -> dict[str, Any]:
        return {r: await self.sync.sync_resource(ResourcePassInput(resource=r)) for r in ALL_RESOURCES}

    async def reconcile_all(self) -> dict[str, Any]:
        return {r: await self.sync.reconcile_resource(ReconcileInput(resource=r)) for r in ALL_RESOURCES}

    def sandbox_sql(self, statement: str, **params: Any) -> None:
        with self.sandbox_db.begin() as connection:
            connection.execute(text(statement), params)

    def payload(self, application_id: int) -> dict[str, Any]:
        """The `candidate_stage_change` payload the sandbox would send for the application now."""
        with Session(self.sandbox_db) as session:
            return application_payload(session, application_id)


@pytest_asyncio.fixture(params=STORES)
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    sandbox_url = f"sqlite:///{tmp_path / 'greenhouse.db'}"
    config = SandboxConfig(database_url=sandbox_url, candidates=40, rate_limit=10_000)
    with sql_store_url(request.param, tmp_path) as url:
        engine = create_engine_for(url)
        init_db(engine)
        async with SandboxServer(config) as server:
            harvest = client_for(server)
            store = MirrorStore(engine)
            sandbox_db = create_engine(sandbox_url)
            async with harvest:
                yield World(server, harvest, engine, store, SyncActivities(harvest, store), sandbox_db)
            sandbox_db.dispose()
        engine.dispose()


async def _assert_mirror_equals_greenhouse(world: World, name: str) -> None:
    expected = await world.harvest_objects(name)
    rows = world.mirror_rows(name)
    assert sorted(rows) == sorted(expected), f"{name}: ids differ"
    different = [i for i, row in rows.items() if row.content_hash != content_hash(expected[i])]
    assert not different, f"{name}: rows {different[:5]} differ from Greenhouse"


async def test_the_first_pass_copies_the_whole_organisation(world: World) -> None:
    results = await world.pass_all()
    assert all(r.initial and r.listed == r.inserted > 0 for r in results.values()), results
    for name in ALL_RESOURCES:
        await _assert_mirror_equals_greenhouse(world, name)

    # typed key columns follow the data: the current stage, normalised emails, tags
    apps = await world.harvest_objects("applications")
    app = next(a for a in apps.values() if a["status"] == "in_process" and not a["prospect"])
    row = world.mirror_rows("applications")[app["id"]]
    assert (row.job_interview_stage_id, row.job_id, row.candidate_id, row.status) == (
        app["job_interview_stage_id"],
        app["job_id"],
        app["candidate_id"],
        "in_process",
    )
    candidates = await world.harvest_objects("candidates")
    candidate = candidates[app["candidate_id"]]
    address = candidate["email_addresses"][0]["value"]
    reader = MirrorReader(world.engine)
    found = await reader.candidates_by_email(f"  {address.upper()} ", max_age=FRESH)
    assert [c.id for c in found] == [candidate["id"]]
    assert await reader.candidates_by_email("nobody@nowhere.example", max_age=FRESH) == []
    # the personal fields the mirror does not keep are not stored
    stored = world.mirror_rows("candidates")[candidate["id"]].data
    assert not {"addresses", "website_addresses", "social_media_addresses", "custom_fields"} & set(stored)

    # a second pass lists only the overlap window and changes nothing
    again = await world.pass_all()
    assert all(r.changed == 0 and not r.initial for r in again.values()), again
    assert again["candidates"].listed < len(candidates)


async def test_reads_refuse_a_mirror_older_than_the_callers_bound(world: World) -> None:
    reader = MirrorReader(world.engine)
    with pytest.raises(MirrorTooStale, match="never"):
        await reader.application(1, max_age=FRESH)  # nothing synced yet: go to Harvest
    await world.pass_all()
    job = next(iter(await world.harvest_objects("jobs")).__iter__())
    assert (await reader.job(job, max_age=FRESH)) is not None
    stages = await reader.job_stages(job, max_age=FRESH)
    assert stages and [s.sort_order for s in stages] == sorted(s.sort_order for s in stages)
    later = MirrorReader(world.engine, clock=lambda: datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(MirrorTooStale) as stale:
        await later.job(job, max_age=FRESH)
    assert stale.value.resource == "jobs"
    assert (await later.job(job, max_age=timedelta(hours=2))) is not None
    with pytest.raises(ValueError, match="unknown mirror resource"):
        reader.synced_through("scorecards")


async def test_a_change_through_harvest_shows_after_the_next_incremental_pass(world: World) -> None:
    await world.pass_all()
    apps = await world.harvest_objects("applications")
    app = next(
        a
        for a in apps.values()
        if a["status"] == "in_process" and not a["prospect"] and a["stage_name"] == "Application Review"
    )
    await world.harvest.move_application(
        app["id"], MoveApplication(from_stage_id=app["job_interview_stage_id"])
    )
    await world.harvest.update_candidate(app["candidate_id"], UpdateCandidate(first_name="Renamed"))

    results = await world.pass_all()
    assert results["applications"].updated == 1 and results["candidates"].updated == 1
    assert results["applications"].listed < len(apps)  # incremental, not a full listing
    reader = MirrorReader(world.engine)
    mirrored = await reader.application(app["id"], max_age=FRESH)
    assert mirrored is not None and mirrored.stage_name == "Phone Screen"
    assert mirrored.job_interview_stage_id != app["job_interview_stage_id"]
    candidate = await reader.candidate(app["candidate_id"], max_age=FRESH)
    assert candidate is not None and candidate.first_name == "Renamed"
    await _assert_mirror_equals_greenhouse(world, "applications")
    await _assert_mirror_equals_greenhouse(world, "candidates")


async def test_reconciliation_finds_what_passes_cannot_and_repairs_it(world: World) -> None:
    await world.pass_all()
    candidates = await world.harvest_objects("candidates")
    apps = await world.harvest_objects("applications")
    jobs = await world.harvest_objects("jobs")
    changed_candidate = min(candidates)
    deleted_app = next(a["id"] for a in apps.values() if a["candidate_id"] != changed_candidate)
    lost_job = max(jobs)
    # behind Harvest's back: no webhook, and updated_at does not move (a bulk edit, a late commit)
    world.sandbox_sql("UPDATE gh_candidates SET first_name = 'Bulk' WHERE id = :id", id=changed_candidate)
    world.sandbox_sql("DELETE FROM gh_applications WHERE id = :id", id=deleted_app)
    with Session(world.engine) as session:  # a row the mirror lost
        session.delete(session.get(resource("jobs").table, lost_job))
        session.commit()

    passed = await world.pass_all()
    assert passed["candidates"].changed == 0, "an incremental pass cannot see a change behind the watermark"
    assert world.mirror_rows("candidates")[changed_candidate].data["first_name"] != "Bulk"
    assert deleted_app in world.mirror_rows("applications")

    drift = await world.reconcile_all()
    assert (drift["candidates"].stale, drift["candidates"].stale_ids) == (1, [changed_candidate])
    assert (drift["applications"].deleted, drift["applications"].deleted_ids) == (1, [deleted_app])
    assert (drift["jobs"].missing, drift["jobs"].missing_ids) == (1, [lost_job])
    untouched = set(ALL_RESOURCES) - {"candidates", "applications", "jobs"}
    assert all(drift[name].drift == 0 for name in untouched), drift
    for name in ("candidates", "applications", "jobs"):
        await _assert_mirror_equals_greenhouse(world, name)
    assert (await world.reconcile_all())["candidates"].drift == 0  # repaired: nothing left to find


async def test_webhooks_twice_or_out_of_order_never_bring_back_older_data(world: World) -> None:
    await world.pass_all()
    apps = await world.harvest_objects("applications")
    app = next(
        a
        for a in apps.values()
        if a["status"] == "in_process" and not a["prospect"] and a["stage_name"] == "Application Review"
    )
    await world.harvest.move_application(
        app["id"], MoveApplication(from_stage_id=app["job_interview_stage_id"])
    )
    first = world.payload(app["id"])  # Phone Screen
    second_from = first["application"]["current_stage"]["id"]
    await world.harvest.move_application(app["id"], MoveApplication(from_stage_id=second_from))
    second = world.payload(app["id"])
    newest_stage = second["application"]["current_stage"]
    assert newest_stage["id"] != second_from

    hooks = MirrorWebhooks(world.engine)
    assert (await hooks.apply("candidate_stage_change", second)).startswith("upserted application")
    assert world.mirror_rows("applications")[app["id"]].job_interview_stage_id == newest_stage["id"]
    assert "unchanged" in await hooks.apply(
        "candidate_stage_change", first
    )  # late delivery of the older event
    assert "unchanged" in await hooks.apply("candidate_stage_change", second)  # redelivery
    row = world.mirror_rows("applications")[app["id"]]
    assert (row.job_interview_stage_id, row.stage_name, row.origin) == (
        newest_stage["id"],
        newest_stage["name"],
        "webhook",
    )
    assert row.data["stage_id"] == app["stage_id"], "fields the payload lacks stay as Harvest last said"

    await world.pass_all()  # Harvest's full object replaces the partial one
    assert world.mirror_rows("applications")[app["id"]].origin == "harvest"
    await _assert_mirror_equals_greenhouse(world, "applications")
    assert "unchanged" in await hooks.apply("candidate_stage_change", second)  # Harvest wins the tie

    # hostile or useless payloads change nothing and raise nothing
    assert (
        await hooks.apply("candidate_stage_change", {"application": {"id": "1; DROP TABLE"}})
        == "no application id"
    )
    assert await hooks.apply("candidate_stage_change", {"nothing": True}) == "no application in payload"
    assert await hooks.apply("job_created", {"job": {"id": 1}}) == "not mirrored"

    await hooks.apply("delete_application", {"application": {"id": app["id"]}})
    assert app["id"] not in world.mirror_rows("applications")
    await hooks.apply("delete_candidate", {"person": {"id": app["candidate_id"]}})
    with Session(world.engine) as session:
        assert session.get(MirrorCandidate, app["candidate_id"]) is None
        for table in (MirrorCandidateEmail, MirrorApplication):
            assert not session.exec(select(table).where(table.candidate_id == app["candidate_id"])).all()


def test_every_resource_the_issue_names_is_mirrored() -> None:
    assert set(RESOURCES) == set(ALL_RESOURCES)
    assert {"jobs", "job_interview_stages", "job_interviews", "users", "offices", "departments"} <= set(
        RESOURCES
    )
    assert {"custom_fields", "candidates", "applications", "interviews", "sources"} <= set(RESOURCES)
