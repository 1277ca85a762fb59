"""A real HTTP endpoint for tests that Hireflow posts to (a sourcing tool's webhook): it records each
request (headers and raw body) and answers from a script of status codes (then 200)."""

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


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    url: str
    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def delivered(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.answered < 300]


@asynccontextmanager
async def receiver(script: list[int] | None = None) -> AsyncIterator[Receiver]:
    port = free_port()
    found = Receiver(url=f"http://127.0.0.1:{port}/hooks/hireflow", script=list(script or []))

    async def hook(request: Request) -> JSONResponse:
        status = found.script.pop(0) if found.script else 200
        found.received.append(Received(dict(request.headers), await request.body(), status))
        return JSONResponse({"ok": status < 300}, status_code=status)

    app = Starlette(routes=[Route("/hooks/hireflow", hook, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield found
    finally:
        server.should_exit = True
        await serving
