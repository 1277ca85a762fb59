"""Fault injection through the admin API and the CLI syntax."""

from __future__ import annotations

import random
import time

import httpx
import pytest
from typer.testing import CliRunner

from sandbox.greenhouse.config import FaultRule, parse_fault
from sandbox.greenhouse.faults import FaultInjector
from starters.cli import app
from tests.fixtures.sandbox import SandboxFactory, harvest_client


def test_parse_fault_cli_syntax() -> None:
    rule = parse_fault("/v3/applications:status=503,rate=0.5,latency=20,count=3,method=get")
    assert rule == FaultRule(
        path_prefix="/v3/applications", status=503, error_rate=0.5, latency_ms=20, count=3, method="GET"
    )
    assert parse_fault("/token") == FaultRule(path_prefix="/token")
    for bad in ("/v3:colour=red", "/v3:status", "v3:status=500", "/v3:status=200"):
        with pytest.raises(ValueError):
            parse_fault(bad)


def test_cli_rejects_a_bad_fault_with_a_clear_message() -> None:
    result = CliRunner().invoke(app, ["sandbox", "greenhouse", "--fault", "v3/jobs:status=500"])
    assert result.exit_code == 2 and "path_prefix must start with '/'" in result.output


def test_error_rate_is_a_probability() -> None:
    injector = FaultInjector([FaultRule(path_prefix="/v3", status=500, error_rate=0.3)], rng=random.Random(1))
    hits = sum(injector.decide("GET", "/v3/jobs").status == 500 for _ in range(2000))
    assert 450 < hits < 750
    assert injector.decide("GET", "/token").status is None


async def test_forced_status_latency_method_and_count(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(candidates=5) as server:
        async with await harvest_client(server) as client:
            await server.add_fault("/v3/jobs", status=503, count=2)
            first, second, third = [await client.get("/v3/jobs") for _ in range(3)]
            assert [first.status_code, second.status_code, third.status_code] == [503, 503, 200]
            assert first.json() == {"message": "Service Unavailable"} and "X-RateLimit-Limit" in first.headers

            await server.add_fault("/v3/notes", status=500, method="POST")
            assert (await client.get("/v3/notes")).status_code == 200
            assert (await client.post("/v3/notes", json={})).status_code == 500

            await server.add_fault("/v3/offices", latency_ms=300)
            started = time.perf_counter()
            assert (await client.get("/v3/offices")).status_code == 200
            assert time.perf_counter() - started >= 0.3

            await server.add_fault("/v3/sources", status=429)
            limited = await client.get("/v3/sources")
            assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"

            await server.clear_faults()
            assert (await client.post("/v3/notes", json={})).status_code == 422
            assert (await client.get("/v3/sources")).status_code == 200


async def test_faults_from_config_apply_to_token_endpoint(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(
        candidates=5, faults=[FaultRule(path_prefix="/token", status=502, count=1)]
    ) as server:
        async with httpx.AsyncClient() as client:
            auth = (server.client_id, server.client_secret)
            data = {"grant_type": "client_credentials"}
            assert (await client.post(server.token_url, data=data, auth=auth)).status_code == 502
            assert (await client.post(server.token_url, data=data, auth=auth)).status_code == 200
            assert (await client.get(server.base_url + "/_sandbox/faults")).json() == []
