"""Sourcing writes of the sandbox over real HTTP (issue 12): merge, anonymize, convert_to_candidate,
educations, employments, candidate tags, prospect details, and their errors (404, 422, 403, 429)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from jsonschema import Draft202012Validator

from sandbox.greenhouse.config import SandboxConfig
from sandbox.greenhouse.schemas import load_schema
from sandbox.greenhouse.server import SandboxServer
from tests.fixtures.sandbox import FORMATS, SandboxFactory, harvest_client


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(SandboxConfig(candidates=40, seed=12, rate_limit=10_000)) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def client(server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with await harvest_client(server) as c:
        yield c


def valid(resource: str, obj: dict[str, Any]) -> dict[str, Any]:
    Draft202012Validator(load_schema(resource), format_checker=FORMATS).validate(obj)
    return obj


async def rows(client: httpx.AsyncClient, resource: str, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(f"/v3/{resource}", params={"per_page": 500, **params})
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


async def new_candidate(client: httpx.AsyncClient, email: str, **extra: Any) -> dict[str, Any]:
    body = {
        "first_name": "Sam",
        "last_name": email.split("@")[0],
        "email_addresses": [{"value": email, "type": "personal"}],
        **extra,
    }
    created = await client.post("/v3/candidates", json=body)
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


async def open_job(client: httpx.AsyncClient, skip: int = 0) -> dict[str, Any]:
    return (await rows(client, "jobs", status="open"))[skip]


async def test_merge_moves_everything_to_the_kept_candidate(client: httpx.AsyncClient) -> None:
    job = await open_job(client)
    kept = await new_candidate(client, "kept@example.com", tags=["alpha"], company=None)
    dup = await new_candidate(
        client,
        "dup@example.com",
        company="Litware",
        tags=["alpha", "beta"],
        phone_numbers=[{"value": "+1 555 0101", "type": "mobile"}],
        application={"job_id": job["id"]},
    )
    [app] = await rows(client, "applications", candidate_ids=dup["id"])
    note = await client.post(
        "/v3/notes", json={"candidate_id": dup["id"], "body": "hi", "visibility": "public"}
    )
    assert note.status_code == 201
    merged = await client.post(
        f"/v3/candidates/{kept['id']}/merge", json={"secondary_candidate_id": dup["id"]}
    )
    assert merged.status_code == 200, merged.text
    result = valid("candidates", merged.json())
    assert result["id"] == kept["id"] and result["company"] == "Litware"
    assert {e["value"] for e in result["email_addresses"]} == {"kept@example.com", "dup@example.com"}
    assert result["phone_numbers"] == [{"value": "+1 555 0101", "type": "mobile"}]
    assert result["tags"] == ["alpha", "beta"]  # union, no duplicate
    assert await rows(client, "candidates", ids=dup["id"]) == []
    [moved] = await rows(client, "applications", ids=app["id"])
    assert moved["candidate_id"] == kept["id"] and moved["updated_at"] > app["updated_at"]
    assert [n["candidate_id"] for n in await rows(client, "notes", ids=note.json()["id"])] == [kept["id"]]
    applied = await rows(client, "applied_candidate_tags", candidate_ids=f"{kept['id']},{dup['id']}")
    assert sorted(r["candidate_id"] for r in applied) == [kept["id"], kept["id"]]
    found = await rows(client, "candidates", email="DUP@example.com")
    assert [c["id"] for c in found] == [kept["id"]]
    # unhappy paths
    again = await client.post(
        f"/v3/candidates/{kept['id']}/merge", json={"secondary_candidate_id": dup["id"]}
    )
    assert again.status_code == 422 and list(again.json()["errors"][0]) == ["secondary_candidate_id"]
    itself = await client.post(
        f"/v3/candidates/{kept['id']}/merge", json={"secondary_candidate_id": kept["id"]}
    )
    assert itself.status_code == 422
    missing = await client.post("/v3/candidates/1/merge", json={"secondary_candidate_id": kept["id"]})
    assert (missing.status_code, missing.json()) == (404, {"message": "Resource not found"})


async def test_anonymize_really_erases(client: httpx.AsyncClient, server: SandboxServer) -> None:
    job = await open_job(client)
    cand = await new_candidate(
        client,
        "forget.me@example.com",
        title="Engineer",
        tags=["gdpr"],
        phone_numbers=[{"value": "+44 20 7946 0000", "type": "work"}],
        application={"job_id": job["id"]},
    )
    [app] = await rows(client, "applications", candidate_ids=cand["id"])
    await client.post(
        "/v3/notes", json={"candidate_id": cand["id"], "body": "secret", "visibility": "private"}
    )
    pdf = "JVBERi0xLjQKJSVFT0YK"  # "%PDF-1.4\n%%EOF\n"
    attached = await client.post(
        "/v3/attachments",
        json={"application_id": app["id"], "filename": "cv.pdf", "type": "resume", "content": pdf},
    )
    assert attached.status_code == 201, attached.text
    options = server.seed.education_option_ids
    edu = await client.post(
        "/v3/candidate_educations",
        json={"candidate_id": cand["id"], "school_name_custom_field_option_id": options["school_name"][0]},
    )
    emp = await client.post(
        "/v3/candidate_employments",
        json={
            "candidate_id": cand["id"],
            "company_name": "Litware",
            "title": "Dev",
            "start_date": "2020-01-01",
        },
    )
    assert (edu.status_code, emp.status_code) == (201, 201)
    fields = [
        "full_name",
        "email_addresses",
        "phone_numbers",
        "attachments",
        "notes",
        "education",
        "employment",
        "tags",
        "current_title",
    ]
    answer = await client.patch(f"/v3/candidates/{cand['id']}/anonymize", json={"fields": fields})
    assert answer.status_code == 200, answer.text
    [stored] = await rows(client, "candidates", ids=cand["id"])
    assert stored == valid("candidates", answer.json())
    assert (stored["first_name"], stored["last_name"], stored["title"]) == (None, None, None)
    assert stored["email_addresses"] == stored["phone_numbers"] == stored["tags"] == []
    assert stored["updated_at"] > cand["updated_at"]
    assert await rows(client, "candidates", email="forget.me@example.com") == []
    for resource in (
        "notes",
        "attachments",
        "candidate_educations",
        "candidate_employments",
        "applied_candidate_tags",
    ):
        assert await rows(client, resource, candidate_ids=cand["id"]) == [], resource
    assert (await rows(client, "applications", ids=app["id"]))[0]["candidate_id"] == cand["id"]  # kept
    bad = await client.patch(f"/v3/candidates/{cand['id']}/anonymize", json={"fields": ["shoe_size"]})
    assert bad.status_code == 422 and list(bad.json()["errors"][0]) == ["fields"]
    empty = await client.patch(f"/v3/candidates/{cand['id']}/anonymize", json={"fields": []})
    assert empty.status_code == 422
    gone = await client.patch("/v3/candidates/1/anonymize", json={"fields": ["notes"]})
    assert gone.status_code == 404


async def test_prospect_with_pool_then_convert(client: httpx.AsyncClient, server: SandboxServer) -> None:
    pool_id, stage_ids = next(iter(server.seed.prospect_pools.items()))
    owner = server.seed.recruiter_ids[0]
    cand = await new_candidate(
        client,
        "prospect@example.com",
        application={
            "prospect": True,
            "prospect_pool_id": pool_id,
            "prospect_pool_stage_id": stage_ids[1],
            "prospect_owner_id": owner,
        },
    )
    [prospect] = await rows(client, "applications", candidate_ids=cand["id"])
    assert prospect["prospect"] is True and prospect["job_id"] is None
    [detail] = await rows(client, "prospect_details", application_ids=prospect["id"])
    assert (detail["pool_id"], detail["pool_stage_id"], detail["prospect_owner_id"]) == (
        pool_id,
        stage_ids[1],
        owner,
    )
    other_pool = next(p for p in server.seed.prospect_pools if p != pool_id)
    wrong = await client.post(
        "/v3/applications",
        json={
            "candidate_id": cand["id"],
            "prospect": True,
            "prospect_pool_id": other_pool,
            "prospect_pool_stage_id": stage_ids[0],
        },
    )
    assert wrong.status_code == 422 and list(wrong.json()["errors"][0]) == ["prospect_pool_stage_id"]

    job = await open_job(client)
    stages = sorted(
        await rows(client, "job_interview_stages", job_ids=job["id"]), key=lambda s: s["sort_order"]
    )
    bad_stage = await client.post(
        f"/v3/applications/{prospect['id']}/convert_to_candidate",
        json={"job_id": job["id"], "to_job_interview_stage_id": 1},
    )
    assert bad_stage.status_code == 422 and list(bad_stage.json()["errors"][0]) == [
        "to_job_interview_stage_id"
    ]
    converted = await client.post(
        f"/v3/applications/{prospect['id']}/convert_to_candidate",
        json={"job_id": job["id"], "to_job_interview_stage_id": stages[1]["id"]},
    )
    assert converted.status_code == 201, converted.text
    new_app = valid("applications", converted.json())
    assert new_app["id"] != prospect["id"] and new_app["prospect"] is False
    assert (new_app["job_id"], new_app["job_interview_stage_id"]) == (job["id"], stages[1]["id"])
    [old] = await rows(client, "applications", ids=prospect["id"])
    assert old["status"] == "converted"
    twice = await client.post(
        f"/v3/applications/{prospect['id']}/convert_to_candidate", json={"job_id": job["id"]}
    )
    assert twice.status_code == 422
    not_prospect = await client.post(
        f"/v3/applications/{new_app['id']}/convert_to_candidate", json={"job_id": job["id"]}
    )
    assert not_prospect.status_code == 422 and "not a prospect" in str(not_prospect.json()["errors"])
    missing = await client.post("/v3/applications/1/convert_to_candidate", json={"job_id": job["id"]})
    assert missing.status_code == 404
    no_job = await client.post(f"/v3/applications/{prospect['id']}/convert_to_candidate", json={})
    assert no_job.json()["errors"] == [{"job_id": "is required"}]


async def test_educations_and_employments(client: httpx.AsyncClient, server: SandboxServer) -> None:
    cand = await new_candidate(client, "history@example.com")
    options = server.seed.education_option_ids
    first = await client.post(
        "/v3/candidate_educations",
        json={
            "candidate_id": cand["id"],
            "school_name_custom_field_option_id": options["school_name"][1],
            "degree_custom_field_option_id": options["degree"][0],
            "discipline_custom_field_option_id": options["discipline"][0],
            "start_date": "2010-09-01",
            "end_date": "2014-06-30",
        },
    )
    second = await client.post(
        "/v3/candidate_educations",
        json={
            "candidate_id": cand["id"],
            "degree_custom_field_option_id": options["degree"][1],
            "start_date": "2015-09-01",
        },
    )
    assert (first.status_code, second.status_code) == (201, 201)
    edu = valid("candidate_educations", first.json())
    assert (edu["start_date_year"], edu["end_date_month"]) == (2010, 6)
    listed = {e["id"]: e for e in await rows(client, "candidate_educations", candidate_ids=cand["id"])}
    assert listed[second.json()["id"]]["latest"] is True and listed[edu["id"]]["latest"] is False
    wrong_kind = await client.post(
        "/v3/candidate_educations",
        json={"candidate_id": cand["id"], "school_name_custom_field_option_id": options["degree"][0]},
    )
    assert wrong_kind.status_code == 422 and list(wrong_kind.json()["errors"][0]) == [
        "school_name_custom_field_option_id"
    ]
    nothing = await client.post("/v3/candidate_educations", json={"candidate_id": cand["id"]})
    assert nothing.status_code == 422

    job = await client.post(
        "/v3/candidate_employments",
        json={
            "candidate_id": cand["id"],
            "company_name": "Proseware",
            "title": "SRE",
            "start_date": "2019-02-01",
            "end_date": "2021-01-31",
        },
    )
    assert job.status_code == 201, job.text
    assert valid("candidate_employments", job.json())["latest"] is True
    backwards = await client.post(
        "/v3/candidate_employments",
        json={
            "candidate_id": cand["id"],
            "company_name": "X",
            "title": "Y",
            "start_date": "2020-01-01",
            "end_date": "2019-01-01",
        },
    )
    assert backwards.status_code == 422
    no_title = await client.post(
        "/v3/candidate_employments",
        json={"candidate_id": cand["id"], "company_name": "X", "start_date": "2020-01-01"},
    )
    assert no_title.json()["errors"] == [{"title": "is required"}]
    unknown = await client.post(
        "/v3/candidate_employments",
        json={"candidate_id": 1, "company_name": "X", "title": "Y", "start_date": "2020-01-01"},
    )
    assert unknown.status_code == 422 and list(unknown.json()["errors"][0]) == ["candidate_id"]
    deleted = await client.delete(f"/v3/candidate_employments/{job.json()['id']}")
    assert deleted.status_code == 204
    assert await rows(client, "candidate_employments", candidate_ids=cand["id"]) == []
    assert (await client.delete(f"/v3/candidate_employments/{job.json()['id']}")).status_code == 404


async def test_candidate_tags_stay_consistent(client: httpx.AsyncClient) -> None:
    cand = await new_candidate(client, "tags@example.com", tags=["sourced"])
    created = await client.post("/v3/candidate_tags", json={"name": "Silver medalist"})
    assert created.status_code == 201
    tag = valid("candidate_tags", created.json())
    dup = await client.post("/v3/candidate_tags", json={"name": "silver MEDALIST"})
    assert dup.status_code == 422 and list(dup.json()["errors"][0]) == ["name"]
    applied = await client.post(
        "/v3/applied_candidate_tags", json={"candidate_id": cand["id"], "candidate_tag_id": tag["id"]}
    )
    assert applied.status_code == 201
    row = valid("applied_candidate_tags", applied.json())
    [stored] = await rows(client, "candidates", ids=cand["id"])
    assert stored["tags"] == ["sourced", "Silver medalist"]
    assert [c["id"] for c in await rows(client, "candidates", tag="Silver medalist")] == [cand["id"]]
    twice = await client.post(
        "/v3/applied_candidate_tags", json={"candidate_id": cand["id"], "candidate_tag_id": tag["id"]}
    )
    assert twice.status_code == 422 and list(twice.json()["errors"][0]) == ["candidate_tag_id"]
    unknown_tag = await client.post(
        "/v3/applied_candidate_tags", json={"candidate_id": cand["id"], "candidate_tag_id": 1}
    )
    assert unknown_tag.status_code == 422
    assert (await client.delete(f"/v3/applied_candidate_tags/{row['id']}")).status_code == 204
    assert (await rows(client, "candidates", ids=cand["id"]))[0]["tags"] == ["sourced"]
    patched = await client.patch(f"/v3/candidates/{cand['id']}", json={"tags": ["Silver medalist"]})
    assert patched.json()["tags"] == ["Silver medalist"]
    assert [
        r["candidate_tag_id"] for r in await rows(client, "applied_candidate_tags", candidate_ids=cand["id"])
    ] == [tag["id"]]
    assert (await client.delete(f"/v3/candidate_tags/{tag['id']}")).status_code == 204
    assert (await rows(client, "candidates", ids=cand["id"]))[0]["tags"] == []
    names = {t["name"] for t in await rows(client, "candidate_tags")}
    assert "sourced" in names and "Silver medalist" not in names


async def test_referrers_sources_and_pools_are_listed(
    client: httpx.AsyncClient, server: SandboxServer
) -> None:
    referrers = await rows(client, "referrers")
    assert sorted(r["id"] for r in referrers) == sorted(server.seed.referrer_ids)
    assert any(r["user_id"] is None for r in referrers)
    assert await rows(client, "sources")
    pools = await rows(client, "prospect_pools")
    assert {p["id"] for p in pools} == set(server.seed.prospect_pools)
    for pool_id, stage_ids in server.seed.prospect_pools.items():
        stages = await rows(client, "prospect_pool_stages", prospect_pool_ids=pool_id)
        assert sorted(s["id"] for s in stages) == sorted(stage_ids)


async def test_missing_scope_is_403_for_each_new_write(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(candidates=5) as server:
        await server.add_credential(
            "no-sourcing", "secret", ["harvest:candidates:create", "harvest:candidates:list"]
        )
        async with await harvest_client(server, client_id="no-sourcing", client_secret="secret") as narrow:
            calls = [
                ("POST", "/v3/candidates/1/merge", {"secondary_candidate_id": 2}),
                ("PATCH", "/v3/candidates/1/anonymize", {"fields": ["notes"]}),
                ("POST", "/v3/applications/1/convert_to_candidate", {"job_id": 1}),
                ("POST", "/v3/candidate_educations", {"candidate_id": 1}),
                ("POST", "/v3/candidate_employments", {"candidate_id": 1}),
                ("POST", "/v3/candidate_tags", {"name": "x"}),
                ("POST", "/v3/applied_candidate_tags", {"candidate_id": 1, "candidate_tag_id": 1}),
                ("POST", "/v3/attachments", {}),
                ("POST", "/v3/webhooks", {}),
                ("GET", "/v3/candidate_educations", None),
                ("GET", "/v3/prospect_details", None),
            ]
            for method, path, body in calls:
                answer = await narrow.request(method, path, json=body)
                assert (answer.status_code, answer.json()) == (403, {"message": "Forbidden"}), path
            assert (await narrow.get("/v3/candidates")).status_code == 200


async def test_new_writes_count_against_the_rate_limit(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(candidates=5, rate_limit=3, rate_window_seconds=30) as server:
        async with await harvest_client(server) as c:
            statuses = [
                (await c.post("/v3/candidate_tags", json={"name": f"t{i}"})).status_code for i in range(4)
            ]
            assert statuses == [201, 201, 201, 429]
            limited = await c.post("/v3/candidate_tags", json={"name": "t9"})
            assert (
                limited.json() == {"message": "Too Many Requests"} and int(limited.headers["Retry-After"]) > 0
            )
