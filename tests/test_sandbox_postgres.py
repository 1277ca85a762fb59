"""The sandbox on PostgreSQL, in a freshly created database that is dropped afterwards.

Skipped only when no PostgreSQL server answers on 127.0.0.1:5432 (user postgres, trust auth).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import psycopg
import pytest

from sandbox.greenhouse.config import SandboxConfig
from sandbox.greenhouse.server import SandboxServer
from tests.fixtures.sandbox import harvest_client

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    try:
        admin = psycopg.connect(ADMIN_DSN, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable on 127.0.0.1:5432: {exc}")
    name = f"hireflow_sandbox_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_sandbox_runs_on_postgres(postgres_url: str) -> None:
    config = SandboxConfig(database_url=postgres_url, candidates=60, rate_limit=10_000)
    async with SandboxServer(config) as server:
        async with await harvest_client(server) as client:
            apps = (await client.get("/v3/applications", params={"per_page": 500})).json()
            assert len(apps) == server.seed.application_count
            assert [a["id"] for a in apps] == sorted((a["id"] for a in apps), reverse=True)
            app = next(
                a for a in apps if a["status"] == "in_process" and a["stage_name"] == "Application Review"
            )
            low = min(a["created_at"] for a in apps)
            windowed = (
                await client.get(
                    "/v3/applications",
                    params={"created_at": f"gte|{low}|lte|2100-01-01T00:00:00Z", "per_page": 500},
                )
            ).json()
            assert len(windowed) == len(apps)
            email = (await client.get("/v3/candidates", params={"ids": app["candidate_id"]})).json()[0]
            by_email = (
                await client.get(
                    "/v3/candidates", params={"email": email["email_addresses"][0]["value"].upper()}
                )
            ).json()
            assert [c["id"] for c in by_email] == [app["candidate_id"]]
            moved = await client.post(
                f"/v3/applications/{app['id']}/move", json={"from_stage_id": app["stage_id"]}
            )
            assert moved.status_code == 204
            after = (await client.get("/v3/applications", params={"ids": app["id"]})).json()[0]
            assert after["stage_name"] == "Phone Screen" and after["stage_id"] != app["stage_id"]
            note = await client.post(
                "/v3/notes",
                json={"candidate_id": app["candidate_id"], "body": "Hi", "visibility": "admin_only"},
            )
            assert note.status_code == 201 and note.json()["visibility"] == "admin_only_visible"


async def test_unreachable_database_fails_startup_cleanly() -> None:
    config = SandboxConfig(database_url="postgresql://postgres@127.0.0.1:1/none", candidates=1)
    with pytest.raises(RuntimeError, match="failed to start"):
        async with SandboxServer(config):
            pass


async def test_sourcing_writes_on_postgres(postgres_url: str) -> None:
    """The issue-12 writes (JSON columns, deletes, bulk) behave the same on PostgreSQL."""
    config = SandboxConfig(database_url=postgres_url, candidates=20, rate_limit=10_000)
    async with SandboxServer(config) as server, await harvest_client(server) as client:
        pool_id, stages = next(iter(server.seed.prospect_pools.items()))
        a = (
            await client.post(
                "/v3/candidates",
                json={
                    "first_name": "Pg",
                    "last_name": "One",
                    "tags": ["pg"],
                    "email_addresses": [{"value": "pg.one@example.com", "type": "work"}],
                    "application": {"prospect": True, "prospect_pool_id": pool_id},
                },
            )
        ).json()
        b = (
            await client.post(
                "/v3/candidates", json={"first_name": "Pg", "last_name": "Two", "tags": ["pg", "x"]}
            )
        ).json()
        merged = await client.post(
            f"/v3/candidates/{a['id']}/merge", json={"secondary_candidate_id": b["id"]}
        )
        assert merged.status_code == 200 and merged.json()["tags"] == ["pg", "x"]
        [prospect] = (await client.get("/v3/applications", params={"candidate_ids": a["id"]})).json()
        [detail] = (
            await client.get("/v3/prospect_details", params={"application_ids": prospect["id"]})
        ).json()
        assert (detail["pool_id"], detail["pool_stage_id"]) == (pool_id, stages[0])
        job_id = (await client.get("/v3/jobs", params={"status": "open"})).json()[0]["id"]
        converted = await client.post(
            f"/v3/applications/{prospect['id']}/convert_to_candidate", json={"job_id": job_id}
        )
        assert converted.status_code == 201
        pdf = "JVBERi0xLjQKJSVFT0YK"
        att = await client.post(
            "/v3/attachments",
            json={
                "application_id": converted.json()["id"],
                "filename": "cv.pdf",
                "type": "resume",
                "content": pdf,
            },
        )
        assert att.status_code == 201
        gone = await client.patch(
            f"/v3/candidates/{a['id']}/anonymize",
            json={"fields": ["full_name", "attachments", "tags", "email_addresses"]},
        )
        assert gone.status_code == 200 and gone.json()["first_name"] is None
        assert (await client.get("/v3/attachments", params={"candidate_ids": a["id"]})).json() == []
        assert (await client.get("/v3/candidates", params={"email": "pg.one@example.com"})).json() == []
        result = await server.bulk(
            [{"resource": "jobs", "id": job_id, "set": {"notes": "pg"}}], webhooks=False
        )
        assert result["webhooks_sent"] == 0
        since = result["changed"][0]["updated_at"]
        assert [
            j["id"] for j in (await client.get("/v3/jobs", params={"updated_at": f"gte|{since}"})).json()
        ] == [job_id]
