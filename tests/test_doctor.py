"""`hireflow doctor` against the real sandbox (full and narrowed credentials) and the real web app."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client

from models.settings import Settings
from starters.doctor import (
    SCOPE_PROBES,
    CheckResult,
    check_scopes,
    check_webhook,
    failed,
    render_json,
    render_table,
    run_test_candidate,
)
from tests.fixtures.sandbox import SandboxFactory, client_for
from web.app import create_app

pytestmark = pytest.mark.integration

ALL_BUT = {"harvest:notes:create", "harvest:interviews:destroy", "harvest:jobs:list"}


async def test_every_needed_scope_is_granted_on_a_full_credential(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(candidates=5) as server, client_for(server) as gh:
        results = await check_scopes(gh)
    assert not failed(results), [r for r in results if r.status != "ok"]
    assert len(results) == len(SCOPE_PROBES) + 1  # the credential, then one row per scope


async def test_missing_scopes_are_named_with_the_fix_and_the_features_hit(
    sandbox_factory: SandboxFactory,
) -> None:
    granted = sorted({p.scope for p in SCOPE_PROBES} - ALL_BUT)
    async with sandbox_factory(candidates=5) as server:
        await server.add_credential("narrow", "secret", granted)
        async with client_for(server, client_id="narrow", client_secret="secret") as gh:
            results = await check_scopes(gh)
    bad = {r.check: r for r in results if r.status == "fail"}
    assert set(bad) == {f"scope {s}" for s in ALL_BUT}
    notes = bad["scope harvest:notes:create"]
    assert (
        "harvest:notes:create" in notes.fix and "email log" in notes.detail and "scheduling" in notes.detail
    )
    assert failed(results)
    table = render_table(results)
    assert "FAIL" in table and "grant harvest:interviews:destroy" in table
    data = json.loads(render_json(results))
    assert data["ok"] is False and {c["check"] for c in data["checks"] if c["status"] == "fail"} == set(bad)


async def test_a_wrong_client_secret_fails_once_not_per_scope(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(candidates=5) as server, client_for(server, client_secret="wrong") as gh:
        results = await check_scopes(gh)
    [only] = results
    assert only.check == "greenhouse credential" and only.status == "fail" and "CLIENT_SECRET" in only.fix


async def test_test_candidate_is_created_read_back_and_removed(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(candidates=5) as server, client_for(server) as gh:
        steps = await run_test_candidate(gh)
        assert [s.status for s in steps] == ["ok"] * 5, steps
        created = next(s for s in steps if s.check == "create test candidate")
        candidate_id = int(created.detail.split()[1].rstrip(","))
        after = await gh.get_candidate(candidate_id)
        assert after.last_name != "DELETE ME" and not after.email_addresses
        assert await gh.list_attachments(candidate_ids=[candidate_id]).collect() == []


async def test_test_candidate_reports_the_step_a_missing_scope_stops(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(candidates=5) as server:
        scopes = [
            "harvest:jobs:list",
            "harvest:candidates:create",
            "harvest:applications:create",
            "harvest:candidates:list",
            "harvest:applications:list",
            "harvest:candidates:anonymize",
        ]
        await server.add_credential("no-files", "secret", scopes)
        async with client_for(server, client_id="no-files", client_secret="secret") as gh:
            steps = await run_test_candidate(gh)
    by_name = {s.check: s for s in steps}
    assert (
        by_name["attach résumé"].status == "fail"
        and "harvest:attachments:create" in by_name["attach résumé"].fix
    )
    assert "read it back" not in by_name  # stopped there...
    assert by_name["remove test candidate"].status == "ok"  # ...and still cleaned up


def web_settings(tmp_path: Path, secret: str) -> Settings:
    return Settings(
        state_dir=tmp_path,
        greenhouse_webhook_secret=SecretStr(secret),
        database_url=f"sqlite:///{tmp_path / 'doctor.db'}",
        web_base_url="http://web.test",
    )


@pytest.mark.parametrize(("doctor_secret", "expected"), [("hook-secret-1", "ok"), ("another-secret", "fail")])
async def test_webhook_path_needs_the_same_secret_on_both_sides(
    tmp_path: Path, doctor_secret: str, expected: str
) -> None:
    async def no_temporal() -> Client:
        raise ConnectionRefusedError("a ping never reaches Temporal")

    app = create_app(web_settings(tmp_path, "hook-secret-1"), no_temporal)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://web.test") as http:
        result = await check_webhook(web_settings(tmp_path, doctor_secret), http)
    assert result.status == expected
    if expected == "fail":
        assert "401" in result.detail and "HIREFLOW_GREENHOUSE_WEBHOOK_SECRET" in result.fix


async def test_webhook_path_down_says_how_to_fix(tmp_path: Path) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        result = await check_webhook(
            web_settings(tmp_path, "s").model_copy(update={"web_base_url": "http://127.0.0.1:1"}), http
        )
    assert result == CheckResult(result.check, "fail", result.detail, "start `hireflow web`")
    assert "unreachable" in result.detail
