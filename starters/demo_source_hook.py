"""A sourcing tool's webhook for the sourcing demo: a real HTTP endpoint in the demo's process that
records what Hireflow posts to it (headers and the raw body, so the signature can be checked)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from starters.ports import free_port

MAX_BODY = 64 * 1024


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes


@dataclass
class SourceHook:
    url: str
    delivered: list[Delivery] = field(default_factory=list)


@asynccontextmanager
async def running_hook() -> AsyncIterator[SourceHook]:
    port = free_port()
    hook = SourceHook(url=f"http://127.0.0.1:{port}/hooks/hireflow")

    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "too large"}, status_code=413)
        hook.delivered.append(Delivery(dict(request.headers), body))
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/hooks/hireflow", receive, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()  # the port was taken: say why
        await asyncio.sleep(0.02)
    try:
        yield hook
    finally:
        server.should_exit = True
        await serving
