"""Replay protection for signed inbound-mail posts: claim a post's token before acting on it.

Why claim-before-dispatch: remembering a token only after the reply was delivered let three
concurrent copies of one post all through. A claim is an insert that only one caller can win; a
dispatch that fails releases it so the provider's retry still works. The SQL store is shared by every
replica and survives restarts; the memory store is for tests and single-process tools.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import timedelta
from typing import Protocol

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from web.store import claim_inbound_token, release_inbound_token


class ReplayStore(Protocol):
    async def claim(self, token: str) -> bool:
        """True for the first caller with this token; False for a replay or a concurrent duplicate."""
        ...

    async def release(self, token: str) -> None:
        """Forget a claim whose dispatch failed."""
        ...


class SqlReplayStore:
    """Claims as rows of `inbound_webhook_claim` (see models/web_store.py)."""

    def __init__(self, engine: Engine, provider: str, *, keep: timedelta) -> None:
        self.engine, self.provider, self.keep = engine, provider, keep

    async def claim(self, token: str) -> bool:
        return await run_in_threadpool(claim_inbound_token, self.engine, self.provider, token, keep=self.keep)

    async def release(self, token: str) -> None:
        await run_in_threadpool(release_inbound_token, self.engine, token)


class MemoryReplayStore:
    """Bounded claims in this process only (tests and tools without a database).

    Check and insert run without an await between them, so concurrent requests cannot interleave.
    """

    def __init__(self, size: int = 10_000) -> None:
        self._claimed: OrderedDict[str, None] = OrderedDict()
        self._size = size

    async def claim(self, token: str) -> bool:
        if token in self._claimed:
            return False
        self._claimed[token] = None
        while len(self._claimed) > self._size:
            self._claimed.popitem(last=False)
        return True

    async def release(self, token: str) -> None:
        self._claimed.pop(token, None)
