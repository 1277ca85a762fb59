"""Every object the sandbox returns validates against the Harvest v3 JSON Schema of its collection."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from sandbox.greenhouse.resources import SPECS
from sandbox.greenhouse.schemas import load_schema
from sandbox.greenhouse.server import SandboxServer
from tests.fixtures.sandbox import FORMATS, harvest_client

# Extra queries that surface rows hidden by default (service accounts, built-in rejection reasons).
EXTRA_QUERIES: dict[str, dict[str, str]] = {
    "users": {"show_service_accounts": "true"},
    "rejection_reasons": {"include_defaults": "true"},
}


async def walk(client: httpx.AsyncClient, resource: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """All pages of a collection, following `Link: rel="next"` verbatim."""
    items: list[dict[str, Any]] = []
    url: str | None = f"/v3/{resource}"
    query: dict[str, str] | None = {"per_page": "500", **params}
    while url:
        response = await client.get(url, params=query)
        assert response.status_code == 200, (resource, response.text)
        page = response.json()
        assert isinstance(page, list)
        items.extend(page)
        url = response.links.get("next", {}).get("url")
        query = None
    return items


@pytest.mark.parametrize("resource", sorted(SPECS))
async def test_every_object_matches_its_schema(greenhouse_sandbox: SandboxServer, resource: str) -> None:
    schema = load_schema(resource)
    validator = Draft202012Validator(schema, format_checker=FORMATS)
    properties = set(schema["properties"])
    async with await harvest_client(greenhouse_sandbox) as client:
        if (
            resource == "webhooks"
        ):  # none are seeded; this one's ping fails (nothing listens), so it stays off
            hook = {"name": "schema", "url": "http://127.0.0.1:9/x", "event_action_type": "job_updated"}
            created = await client.post("/v3/webhooks", json={**hook, "secret_key": "k"})
            assert created.status_code == 201 and created.json()["deactivated"] is True
        items = await walk(client, resource, EXTRA_QUERIES.get(resource, {}))
    assert items, f"the seeded org has no {resource}"
    ids = [item["id"] for item in items]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    for item in items:
        errors = sorted(validator.iter_errors(item), key=lambda e: list(e.path))
        assert not errors, f"{resource} {item['id']}: {errors[0].message} at {list(errors[0].path)}"
        assert set(item) == properties, f"{resource}: fields differ from schema: {set(item) ^ properties}"


async def test_applications_carry_live_job_interview_stage_id(greenhouse_sandbox: SandboxServer) -> None:
    async with await harvest_client(greenhouse_sandbox) as client:
        apps = (await client.get("/v3/applications", params={"status": "active", "prospect": "false"})).json()
        stages = (
            await client.get("/v3/application_stages", params={"current": "true", "per_page": "500"})
        ).json()
    by_row = {row["id"]: row for row in stages}
    assert apps
    for app in apps:
        assert app["status"] == "in_process"
        row = by_row.get(app["stage_id"])
        if row is not None:  # the row is on this page of current stages
            assert row["job_interview_stage_id"] == app["job_interview_stage_id"]
            assert row["application_id"] == app["id"]
