"""Webhook delivery: v1 payloads, verifiable `Signature`, unique `Greenhouse-Event-ID`, background retries."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.greenhouse.webhooks import encode_body
from sandbox.serving import EmbeddedServer, bind
from tests.fixtures.sandbox import SandboxFactory, harvest_client

SECRET = "test-webhook-secret"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """A tiny HTTP endpoint that records deliveries and can fail the first N of them."""

    fail_first: int = 0
    received: list[Received] = field(default_factory=list)
    url: str = ""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: Request) -> Response:
        self.received.append(Received(dict(request.headers), await request.body()))
        self.arrived.set()
        if len(self.received) <= self.fail_first:
            return Response(status_code=500)
        return Response(status_code=200)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.received


@contextlib.asynccontextmanager
async def receiver(fail_first: int = 0) -> AsyncIterator[Receiver]:
    rec = Receiver(fail_first=fail_first)
    app = Starlette(routes=[Route("/hooks", rec.handle, methods=["POST"])])
    sock = bind("127.0.0.1", 0, "webhook receiver")
    server = EmbeddedServer(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    rec.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hooks"
    try:
        yield rec
    finally:
        server.should_exit = True
        await task
        sock.close()


def verify(received: Received) -> None:
    scheme, _, digest = received.headers["signature"].partition(" ")
    expected = hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
    assert scheme == "sha256" and hmac.compare_digest(digest, expected)


def test_body_escapes_html_like_greenhouse() -> None:
    assert encode_body({"a": "<p>&</p>"}) == b'{"a":"\\u003cp\\u003e\\u0026\\u003c/p\\u003e"}'


async def test_stage_change_reject_hire_and_interview_deleted(sandbox_factory: SandboxFactory) -> None:
    async with receiver() as rec, sandbox_factory(candidates=40, webhook_secret=SECRET) as server:
        await server.set_webhook(rec.url)
        async with await harvest_client(server) as client:
            apps = (
                await client.get(
                    "/v3/applications",
                    params={"status": "active", "prospect": "false", "stage_name": "Phone Screen"},
                )
            ).json()
            first, second = apps[0], apps[1]
            moved = await client.post(
                f"/v3/applications/{first['id']}/move",
                json={"from_stage_id": first["job_interview_stage_id"]},
            )
            assert moved.status_code == 204
            reason = (await client.get("/v3/rejection_reasons")).json()[0]
            await client.post(
                f"/v3/applications/{second['id']}/reject", json={"rejection_reason_id": reason["id"]}
            )
            await client.post(f"/v3/applications/{first['id']}/hire", json={})
            slot = (
                await client.get(
                    "/v3/job_interviews",
                    params={"job_ids": first["job_id"], "scheduling_type": "needs_scheduling"},
                )
            ).json()[0]
            start = datetime.now(UTC) + timedelta(days=2)
            interview = (
                await client.post(
                    "/v3/interviews",
                    json={
                        "application_id": first["id"],
                        "job_interview_id": slot["id"],
                        "external_event_id": "evt-1",
                        "starts_at": start.isoformat(),
                        "ends_at": (start + timedelta(hours=1)).isoformat(),
                        "interviewers": [{"user_id": server.seed.interviewers[0].id}],
                    },
                )
            ).json()
            assert (await client.delete(f"/v3/interviews/{interview['id']}")).status_code == 204

        received = await rec.wait_for(4)
    actions = [r.event["action"] for r in received]
    assert sorted(actions) == sorted(
        ["candidate_stage_change", "reject_candidate", "hire_candidate", "interview_deleted"]
    )
    for item in received:
        verify(item)
        assert item.headers["content-type"] == "application/json"
    assert len({r.headers["greenhouse-event-id"] for r in received}) == 4
    by_action = {r.event["action"]: r.event["payload"] for r in received}
    stage_change = by_action["candidate_stage_change"]["application"]
    assert stage_change["id"] == first["id"] and stage_change["status"] == "active"
    assert stage_change["current_stage"]["name"] == "Onsite"
    assert len(stage_change["current_stage"]["interviews"]) >= 4
    assert stage_change["candidate"]["id"] == first["candidate_id"]
    assert stage_change["jobs"][0]["id"] == first["job_id"]
    rejected = by_action["reject_candidate"]["application"]
    assert rejected["status"] == "rejected" and rejected["rejection_reason"]["id"] == reason["id"]
    assert by_action["hire_candidate"]["application"]["status"] == "hired"
    assert by_action["interview_deleted"] == {"interview": {"id": interview["id"]}}


async def test_failed_delivery_is_retried_with_the_same_event_id(sandbox_factory: SandboxFactory) -> None:
    async with (
        receiver(fail_first=2) as rec,
        sandbox_factory(candidates=20, webhook_secret=SECRET, webhook_retry_delays=[0.2, 0.2, 0.2]) as server,
    ):
        await server.set_webhook(rec.url)
        async with await harvest_client(server) as client:
            app = (
                await client.get(
                    "/v3/applications",
                    params={"status": "active", "prospect": "false", "stage_name": "Application Review"},
                )
            ).json()[0]
            response = await client.post(
                f"/v3/applications/{app['id']}/move", json={"from_stage_id": app["stage_id"]}
            )
            assert response.status_code == 204  # answered before any delivery attempt completed
        received = await rec.wait_for(3)
        deliveries = await server.webhook_deliveries()
    assert len({r.headers["greenhouse-event-id"] for r in received}) == 1
    assert all(r.body == received[0].body for r in received)
    verify(received[-1])
    assert deliveries[-1]["delivered"] is True and deliveries[-1]["attempts"] == 3


async def test_unreachable_receiver_never_fails_the_harvest_call(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(
        candidates=20, webhook_url="http://127.0.0.1:9/nowhere", webhook_retry_delays=[0.05]
    ) as server:
        async with await harvest_client(server) as client:
            app = (
                await client.get(
                    "/v3/applications",
                    params={"status": "active", "prospect": "false", "stage_name": "Application Review"},
                )
            ).json()[0]
            response = await client.post(
                f"/v3/applications/{app['id']}/move", json={"from_stage_id": app["stage_id"]}
            )
            assert response.status_code == 204
        for _ in range(100):
            deliveries = await server.webhook_deliveries()
            if deliveries and deliveries[-1]["attempts"] == 2:
                break
            await asyncio.sleep(0.05)
        assert deliveries[-1]["delivered"] is False and deliveries[-1]["last_error"]
        async with httpx.AsyncClient() as plain:
            assert (await plain.get(server.base_url + "/_sandbox/health")).json() == {"status": "ok"}
