"""`hireflow dev` wiring that needs no whole stack: the Greenhouse sandbox child delivers its webhooks to
the web app's endpoint, signed with the stack's secret, and a delivery made before the web app listens
still arrives once it does (the dev retry schedule), instead of a minute later or never.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from integrations.greenhouse.client import HarvestClient
from models.greenhouse import MoveApplication
from sandbox.greenhouse.seed import SeedSummary
from starters.devstack import DEV_WEBHOOK_RETRY_DELAYS, DevStackConfig, greenhouse_sandbox_process
from starters.ports import free_port
from web.webhooks import signature_valid

SECRET = SecretStr("dev-stack-webhook-secret-under-test")


@asynccontextmanager
async def receiver(port: int, received: list[tuple[bytes, str]]) -> AsyncIterator[None]:
    """A stand-in for the web app's /webhooks/greenhouse that records each delivery."""

    async def hook(request: Request) -> JSONResponse:
        received.append((await request.body(), request.headers.get("signature", "")))
        return JSONResponse({"status": "ok"})

    app = Starlette(routes=[Route("/webhooks/greenhouse", hook, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await task


async def test_the_first_stage_change_reaches_a_web_app_that_starts_after_the_sandbox(tmp_path: Path) -> None:
    config = DevStackConfig(
        state_dir=tmp_path / "state", greenhouse_port=free_port(), web_port=free_port(), candidates=40
    )
    config.state_dir.mkdir()
    base = f"http://{config.host}:{config.greenhouse_port}"
    async with (
        greenhouse_sandbox_process(config, SECRET),
        httpx.AsyncClient(base_url=base, timeout=20) as http,
    ):
        info = (await http.get("/_sandbox/info")).json()
        assert info["webhook_url"] == config.greenhouse_webhook_url
        assert config.greenhouse_webhook_url == f"http://127.0.0.1:{config.web_port}/webhooks/greenhouse"
        seed = SeedSummary.model_validate((await http.get("/_sandbox/seed")).json())
        settings = config.settings().model_copy(update={"greenhouse_user_id": seed.hireflow_user_id})

        async with HarvestClient.from_settings(settings) as gh:
            moved = None
            async for app in gh.list_applications(status="active", job_ids=sorted(seed.take_home_stage_ids)):
                if app.job_interview_stage_id and app.stage_name == "Phone Screen":
                    await gh.move_application(
                        app.id, MoveApplication(from_stage_id=app.job_interview_stage_id)
                    )
                    moved = app.id
                    break
        assert moved is not None, "the seed has a Phone Screen application in an engineering job"

        async def deliveries() -> list[dict[str, object]]:
            rows = (await http.get("/_sandbox/webhooks")).json()
            return [d for d in rows if d["action"] == "candidate_stage_change"]

        deadline = time.monotonic() + 30  # generous: a loaded CI machine is slow, not wrong
        rows = []
        while time.monotonic() < deadline:  # the first attempt finds nobody listening
            # `attempts` counts an attempt as it starts; its error is recorded when it has failed
            if (rows := await deliveries()) and rows[0]["attempts"] and rows[0]["last_error"]:
                break
            await asyncio.sleep(0.1)
        assert rows and rows[0]["delivered"] is False and rows[0]["last_error"]

        received: list[tuple[bytes, str]] = []
        async with receiver(config.web_port, received):
            # the next retries of the dev schedule come within seconds (Greenhouse's own: a minute)
            deadline = time.monotonic() + sum(DEV_WEBHOOK_RETRY_DELAYS[:4]) + 10
            while not received and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        assert len(received) == 1, "delivered once the web app listens, within the dev retry schedule"
        body, signature = received[0]
        assert signature_valid(body, signature, SECRET.get_secret_value())
        assert not signature_valid(body, signature, "sandbox-webhook-secret"), (
            "the stack's secret, not the default"
        )
        assert f'"id":{moved}' in body.decode() and b'"action":"candidate_stage_change"' in body
        assert (await deliveries())[0]["delivered"] is True
