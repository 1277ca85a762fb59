"""The web app's way to Temporal: one lazily connected client (workflows are reached through it).

The client comes from an injected factory (tests pass their environment's client), so the app
starts even when Temporal is down and `/healthz` can say so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from temporalio.client import Client

ClientFactory = Callable[[], Awaitable[Client]]


class TemporalUnavailableError(RuntimeError):
    """Temporal cannot be reached right now."""


class TemporalGateway:
    """Connects once on first use and reuses the client; a failed connect is retried next time."""

    def __init__(self, factory: ClientFactory) -> None:
        self._factory = factory
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await self._factory()
                except Exception as exc:  # connection errors come in many types
                    raise TemporalUnavailableError(f"cannot connect to Temporal: {exc}") from exc
            return self._client
