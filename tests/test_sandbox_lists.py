"""List semantics: per_page bounds, opaque cursors, `Link` headers, ids limits, pipe timestamps, fields, filters."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from sandbox.greenhouse.server import SandboxServer
from tests.fixtures.sandbox import harvest_client

CURSOR_ERROR = {
    "message": "Unprocessable Content",
    "errors": ["When passing a cursor, do not include other query params."],
}


@pytest.fixture
async def client(greenhouse_sandbox: SandboxServer) -> Any:
    async with await harvest_client(greenhouse_sandbox) as c:
        yield c


async def get_all(client: httpx.AsyncClient, path: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    pages = 0
    response = await client.get(path, params=params)
    while True:
        assert response.status_code == 200, response.text
        items.extend(response.json())
        pages += 1
        nxt = response.links.get("next", {}).get("url")
        if not nxt:
            return items, pages
        response = await client.get(nxt)


async def test_cursor_pagination_walks_everything_once(
    client: httpx.AsyncClient, greenhouse_sandbox: SandboxServer
) -> None:
    everything, _ = await get_all(client, "/v3/applications", per_page=500)
    assert len(everything) == greenhouse_sandbox.seed.application_count
    paged, pages = await get_all(client, "/v3/applications", per_page=7)
    assert pages == -(-len(everything) // 7)
    assert [a["id"] for a in paged] == [a["id"] for a in everything]


async def test_link_header_is_absolute_next_only_and_absent_on_last_page(
    client: httpx.AsyncClient, greenhouse_sandbox: SandboxServer
) -> None:
    first = await client.get("/v3/jobs", params={"per_page": 3})
    link = first.headers["Link"]
    assert link.endswith('>; rel="next"') and "prev" not in link and "last" not in link
    url = urlparse(first.links["next"]["url"])
    assert f"{url.scheme}://{url.netloc}" == greenhouse_sandbox.base_url and url.path == "/v3/jobs"
    assert list(parse_qs(url.query)) == ["cursor"]
    second = await client.get(first.links["next"]["url"])  # the cursor keeps per_page=3
    assert len(second.json()) == 3 and "Link" in second.headers
    last = await client.get(second.links["next"]["url"])
    assert len(last.json()) == len(greenhouse_sandbox.seed.job_ids) - 6
    assert "Link" not in last.headers
    assert min(j["id"] for j in first.json()) > max(j["id"] for j in second.json())


async def test_cursor_keeps_the_original_filters(client: httpx.AsyncClient) -> None:
    jobs = (await client.get("/v3/jobs", params={"status": "open"})).json()
    assert jobs and all(j["status"] == "open" for j in jobs)
    job_id = jobs[0]["id"]
    filtered, pages = await get_all(client, "/v3/applications", job_ids=str(job_id), per_page=5)
    assert pages > 1 and {a["job_id"] for a in filtered} == {job_id}


async def test_cursor_with_other_params_and_bad_cursor(client: httpx.AsyncClient) -> None:
    first = await client.get("/v3/candidates", params={"per_page": 2})
    cursor = parse_qs(urlparse(first.links["next"]["url"]).query)["cursor"][0]
    mixed = await client.get("/v3/candidates", params={"cursor": cursor, "per_page": 2})
    assert (mixed.status_code, mixed.json()) == (422, CURSOR_ERROR)
    bad = await client.get("/v3/candidates", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["errors"] == [{"cursor": "is invalid"}]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("600", {"per_page": "`600` number is greater than: 500"}),
        ("0", {"per_page": "`0` number is less than: 1"}),
        ("ten", {"per_page": "`ten` is not an integer"}),
    ],
)
async def test_per_page_bounds(client: httpx.AsyncClient, value: str, error: dict[str, str]) -> None:
    response = await client.get("/v3/candidates", params={"per_page": value})
    assert (response.status_code, response.json()) == (
        422,
        {"message": "Unprocessable Content", "errors": [error]},
    )


async def test_per_page_default_100_and_max_500(client: httpx.AsyncClient) -> None:
    assert len((await client.get("/v3/application_stages")).json()) == 100
    assert len((await client.get("/v3/application_stages", params={"per_page": 500})).json()) > 100


async def test_ids_limits_and_lookup(client: httpx.AsyncClient) -> None:
    candidates = (await client.get("/v3/candidates", params={"per_page": 60})).json()
    ids = [c["id"] for c in candidates]
    got = (await client.get("/v3/candidates", params={"ids": ",".join(map(str, ids[:50]))})).json()
    assert sorted(c["id"] for c in got) == sorted(ids[:50])
    too_many = await client.get("/v3/candidates", params={"ids": ",".join(map(str, ids[:51]))})
    assert too_many.status_code == 422 and list(too_many.json()["errors"][0]) == ["ids"]
    too_many_apps = await client.get(
        "/v3/applications", params={"candidate_ids": ",".join(map(str, ids[:51]))}
    )
    assert too_many_apps.status_code == 422 and list(too_many_apps.json()["errors"][0]) == ["candidate_ids"]
    junk = await client.get("/v3/candidates", params={"ids": "1,two"})
    assert junk.status_code == 422


async def test_pipe_timestamp_filters(client: httpx.AsyncClient) -> None:
    apps, _ = await get_all(client, "/v3/applications", per_page=500)
    stamps = sorted(a["created_at"] for a in apps)
    low, high = stamps[len(stamps) // 4], stamps[3 * len(stamps) // 4]
    window, _ = await get_all(client, "/v3/applications", per_page=500, created_at=f"gte|{low}|lt|{high}")
    assert window and all(low <= a["created_at"] < high for a in window)
    assert len(window) == sum(1 for s in stamps if low <= s < high)
    after, _ = await get_all(client, "/v3/applications", per_page=500, created_at=f"gt|{high}")
    assert all(a["created_at"] > high for a in after)
    upto, _ = await get_all(
        client, "/v3/applications", per_page=500, updated_at=f"lte|{high.replace('Z', '+00:00')}"
    )
    assert all(a["updated_at"] <= high for a in upto)
    for bad in ("since|2024-01-01T00:00:00Z", "gte|yesterday", "gte", "gte|2024-01-01T00:00:00Z|lt"):
        response = await client.get("/v3/applications", params={"created_at": bad})
        assert response.status_code == 422 and list(response.json()["errors"][0]) == ["created_at"], bad


async def test_fields_projection(client: httpx.AsyncClient) -> None:
    rows = (
        await client.get(
            "/v3/application_stages", params={"fields": "id,application_id,job_interview_stage_id,current"}
        )
    ).json()
    assert rows and all(
        list(r) == ["id", "application_id", "job_interview_stage_id", "current"] for r in rows
    )
    bad = await client.get("/v3/jobs", params={"fields": "id,salary"})
    assert bad.status_code == 422 and bad.json()["errors"] == [
        {"fields": "`salary` is not a valid field for jobs"}
    ]


async def test_application_status_vocabularies(client: httpx.AsyncClient) -> None:
    active, _ = await get_all(client, "/v3/applications", status="active", per_page=500)
    assert active and {a["status"] for a in active} == {"in_process"}
    rejected, _ = await get_all(client, "/v3/applications", status="rejected", per_page=500)
    assert rejected and all(a["stage_id"] is None and a["rejected_at"] for a in rejected)
    invalid = await client.get("/v3/applications", params={"status": "in_process"})
    assert invalid.status_code == 422 and list(invalid.json()["errors"][0]) == ["status"]


async def test_resource_specific_filters(client: httpx.AsyncClient) -> None:
    stages = (await client.get("/v3/job_interview_stages", params={"per_page": 500})).json()
    onsite = next(s for s in stages if s["name"] == "Onsite")
    by_stage, _ = await get_all(client, "/v3/applications", job_interview_stage_ids=str(onsite["id"]))
    assert all(a["job_interview_stage_id"] == onsite["id"] for a in by_stage)
    slots = (await client.get("/v3/job_interviews", params={"job_interview_stage_ids": onsite["id"]})).json()
    assert 4 <= len(slots) <= 5 and all(s["job_interview_stage_id"] == onsite["id"] for s in slots)
    current = (await client.get("/v3/application_stages", params={"current": "true", "per_page": 500})).json()
    assert current and all(r["current"] and r["exited_at"] is None for r in current)
    assert (await client.get("/v3/application_stages", params={"current": "yes"})).status_code == 422
    prospects = (await client.get("/v3/applications", params={"prospect": "true"})).json()
    assert all(p["prospect"] and p["job_id"] is None for p in prospects)
    some_candidate = (await client.get("/v3/candidates", params={"per_page": 1})).json()[0]
    email = some_candidate["email_addresses"][0]["value"].upper()
    by_email = (await client.get("/v3/candidates", params={"email": email})).json()
    assert [c["id"] for c in by_email] == [some_candidate["id"]]
    reasons = (await client.get("/v3/rejection_reasons")).json()
    with_defaults = (await client.get("/v3/rejection_reasons", params={"include_defaults": "true"})).json()
    assert len(with_defaults) > len(reasons)
    single = await client.get(f"/v3/rejection_reasons/{reasons[0]['id']}")
    assert single.json() == reasons[0]
    assert (await client.get("/v3/rejection_reasons/1")).status_code == 404
    notes = (await client.get("/v3/notes", params={"type": "EMAIL"})).json()
    assert all(n["type"] == "EMAIL" for n in notes)
    assert (await client.get("/v3/notes", params={"visibility": "public"})).status_code == 422
    unknown = await client.get("/v3/jobs", params={"colour": "blue"})
    assert unknown.status_code == 422 and unknown.json()["errors"] == [
        {"colour": "is not a permitted query parameter"}
    ]


async def test_user_filters(client: httpx.AsyncClient, greenhouse_sandbox: SandboxServer) -> None:
    person = greenhouse_sandbox.seed.interviewers[0]
    by_email = (await client.get("/v3/users", params={"primary_email": person.email.upper()})).json()
    assert [u["id"] for u in by_email] == [person.id]
    assert (await client.get("/v3/users", params={"primary_email": "%"})).json() == []
    in_office = (
        await client.get("/v3/users", params={"office_ids": person.office_id, "per_page": 500})
    ).json()
    assert person.id in {u["id"] for u in in_office} and all(
        person.office_id in u["office_ids"] for u in in_office
    )
    office = next(o for o in (await client.get("/v3/offices")).json() if o["id"] == person.office_id)
    by_external = (
        await client.get("/v3/users", params={"external_office_id": office["external_id"], "per_page": 500})
    ).json()
    assert {u["id"] for u in by_external} == {u["id"] for u in in_office}
    inactive = (await client.get("/v3/users", params={"deactivated": "true"})).json()
    assert len(inactive) == 1 and inactive[0]["deactivated"] is True
