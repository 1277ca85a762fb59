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
