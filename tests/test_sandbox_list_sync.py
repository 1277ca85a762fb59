"""Every collection a mirror syncs supports `updated_at` pipe windows and cursor pagination, and a change
made through a write or a bulk action moves the row into the next window (issue 12, live mirror)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sandbox.greenhouse.server import SandboxServer
from tests.fixtures.sandbox import harvest_client

MIRRORED = (
    "candidates",
    "applications",
    "jobs",
    "users",
    "offices",
    "departments",
    "custom_fields",
    "candidate_tags",
    "sources",
    "job_interview_stages",
    "interviews",
)


async def walk(client: httpx.AsyncClient, resource: str, params: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    url: str | None = f"/v3/{resource}"
    query: dict[str, str] | None = params
    while url:
        response = await client.get(url, params=query)
        assert response.status_code == 200, response.text
        items.extend(response.json())
        url = response.links.get("next", {}).get("url")
        query = None
    return items


@pytest.mark.parametrize("resource", MIRRORED)
async def test_updated_at_window_with_cursor_pages(greenhouse_sandbox: SandboxServer, resource: str) -> None:
    async with await harvest_client(greenhouse_sandbox) as client:
        everything = await walk(client, resource, {"per_page": "500"})
        assert len(everything) >= 2, resource
        stamps = sorted(row["updated_at"] for row in everything)
        low, high = stamps[0], stamps[-1]
        window = f"gte|{low}|lte|{high}"
        paged = await walk(client, resource, {"updated_at": window, "per_page": "2"})
        assert [r["id"] for r in paged] == [r["id"] for r in everything]  # every row, once, id-descending
        mid = stamps[len(stamps) // 2]
        newer = await walk(client, resource, {"updated_at": f"gt|{mid}", "per_page": "3"})
        assert {r["id"] for r in newer} == {r["id"] for r in everything if r["updated_at"] > mid}


async def test_writes_and_bulk_move_rows_into_the_next_window(greenhouse_sandbox: SandboxServer) -> None:
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    async with await harvest_client(greenhouse_sandbox) as client:
        tag = await client.post("/v3/candidate_tags", json={"name": f"window-{since}"})
        assert tag.status_code == 201
        office = (await client.get("/v3/offices")).json()[0]
        await greenhouse_sandbox.bulk(
            [{"resource": "offices", "id": office["id"], "set": {"name": office["name"]}}], webhooks=False
        )
        window = {"updated_at": f"gte|{since}"}
        assert [t["id"] for t in (await client.get("/v3/candidate_tags", params=window)).json()] == [
            tag.json()["id"]
        ]
        assert [o["id"] for o in (await client.get("/v3/offices", params=window)).json()] == [office["id"]]
