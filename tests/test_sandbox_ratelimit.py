"""Fixed-window rate limit per credential: headers on every response, 429 with Retry-After, recovery."""

from __future__ import annotations

import asyncio
import math
import time

import httpx

from sandbox.greenhouse.ratelimit import FixedWindowLimiter
from tests.fixtures.sandbox import SandboxFactory, harvest_client


def test_limiter_windows_are_fixed_and_aligned() -> None:
    now = [1000.5]
    limiter = FixedWindowLimiter(2, 30, clock=lambda: now[0])
    first, second, third = (limiter.hit("a") for _ in range(3))
    assert (first.allowed, second.allowed, third.allowed) == (True, True, False)
    assert (first.remaining, second.remaining, third.remaining) == (1, 0, 0)
    assert third.reset_epoch == 1020 and third.retry_after == math.ceil(1020 - 1000.5)
    assert limiter.hit("b").allowed  # per key
    now[0] = 1020.0
    assert limiter.hit("a").allowed and limiter.hit("a", consume=False).remaining == 1


async def test_headers_429_and_recovery(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(rate_limit=5, rate_window_seconds=2, candidates=300) as server:
        async with await harvest_client(server) as client:
            # Start at the beginning of a window so all five requests land in the same one.
            await asyncio.sleep(2 - time.time() % 2 + 0.05)
            remaining = []
            for _ in range(5):
                response = await client.get("/v3/jobs")
                assert response.status_code == 200
                assert response.headers["X-RateLimit-Limit"] == "5"
                remaining.append(int(response.headers["X-RateLimit-Remaining"]))
                reset = int(response.headers["X-RateLimit-Reset"])
                assert 0 <= reset - time.time() <= 2.5
            assert remaining == [4, 3, 2, 1, 0]
            limited = await client.get("/v3/jobs")
            assert (limited.status_code, limited.json()) == (429, {"message": "Too Many Requests"})
            retry_after = int(limited.headers["Retry-After"])
            assert 1 <= retry_after <= 2 and limited.headers["X-RateLimit-Remaining"] == "0"
            # Errors carry the headers too.
            not_found = await client.get("/v3/nothing_here")
            assert not_found.status_code == 404 and "X-RateLimit-Reset" in not_found.headers
            await asyncio.sleep(max(int(limited.headers["X-RateLimit-Reset"]) - time.time(), 0) + 0.05)
            assert (await client.get("/v3/jobs")).status_code == 200


async def test_limits_are_per_credential_and_settable(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(rate_limit=100, rate_window_seconds=30, candidates=5) as server:
        await server.set_rate_limit(2, 30)
        await server.add_credential("second-client", "second-secret", ["harvest:jobs:list"])
        async with (
            await harvest_client(server) as first,
            await harvest_client(server, client_id="second-client", client_secret="second-secret") as second,
        ):
            statuses = [(await first.get("/v3/jobs")).status_code for _ in range(3)]
            assert statuses == [200, 200, 429]
            assert (await second.get("/v3/jobs")).status_code == 200
        async with httpx.AsyncClient() as client:
            token = await client.post(
                server.token_url,
                data={"grant_type": "client_credentials"},
                auth=(server.client_id, server.client_secret),
            )
        assert (
            token.status_code == 200 and "X-RateLimit-Limit" in token.headers
        )  # the token window is separate


async def test_token_endpoint_has_its_own_window(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(candidates=5, token_rate_limit=2) as server:
        async with httpx.AsyncClient() as client:
            auth, data = (server.client_id, server.client_secret), {"grant_type": "client_credentials"}
            statuses = [(await client.post(server.token_url, data=data, auth=auth)) for _ in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        assert statuses[2].json() == {"message": "Too Many Requests"}
        assert 1 <= int(statuses[2].headers["Retry-After"]) <= 60
        assert statuses[1].headers["X-RateLimit-Remaining"] == "0"
