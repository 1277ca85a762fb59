"""The web app served in-process (uvicorn on an asyncio task), for the dev stack."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from temporalio.client import Client

from models.settings import Settings
from web.app import create_app


@asynccontextmanager
async def serving_web(settings: Settings, client: Client, host: str, port: int) -> AsyncIterator[str]:
    """Serve the candidate pages and webhooks on host:port until the block exits; yields the URL."""

    async def factory() -> Client:
        return client

    app = create_app(settings, factory)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # re-raise why it could not start
            raise RuntimeError(f"the web app could not start on {host}:{port}")
        await asyncio.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task
