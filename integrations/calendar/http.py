"""Retrying HTTP for the cloud providers (Google, Graph, Zoom): backoff, Retry-After, token caching.

Each provider decides which responses are retryable (`classify`); this module only waits and
repeats. When retries run out the caller gets `CalendarUnavailableError` with the last
server-suggested delay, which the activity turns into Temporal's `next_retry_delay`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from integrations.calendar.base import CalendarUnavailableError
from integrations.logs import get_logger

log = get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    # A server asking for longer than this is not waited for in-process; Temporal retries later.
    max_in_process_wait: float = 60.0


def retry_after_seconds(resp: httpx.Response) -> float | None:
    """The `Retry-After` header in seconds (delta-seconds or HTTP date), if present."""
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def backoff(attempt: int, policy: RetryPolicy) -> float:
    """Exponential backoff with full jitter."""
    return random.uniform(0, min(policy.max_delay, policy.base_delay * 2**attempt))


class Classify(Protocol):
    def __call__(self, resp: httpx.Response) -> bool:
        """True when this response is a throttle or a transient fault worth retrying."""
        ...


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    retryable: Classify,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Sleep = asyncio.sleep,
    what: str = "request",
    **kwargs: Any,
) -> httpx.Response:
    """Send, retrying throttles and transient errors; return the first non-retryable response."""
    last_hint: float | None = None
    for attempt in range(policy.attempts):
        try:
            resp = await client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            if attempt == policy.attempts - 1:
                raise CalendarUnavailableError(f"{what}: network error {exc!r}") from exc
            await sleep(backoff(attempt, policy))
            continue
        if not retryable(resp):
            return resp
        hint = retry_after_seconds(resp)
        last_hint = hint
        delay = hint if hint is not None else backoff(attempt, policy)
        if attempt == policy.attempts - 1 or delay > policy.max_in_process_wait:
            break
        log.info(
            "calendar.http_retry",
            what=what,
            status=resp.status_code,
            delay=round(delay, 2),
            attempt=attempt + 1,
        )
        await sleep(delay)
    raise CalendarUnavailableError(
        f"{what}: throttled or unavailable after {policy.attempts} attempts", retry_after=last_hint
    )


class CachedToken:
    """An access token with its expiry; refreshed a few minutes early."""

    def __init__(self, value: str, expires_in: float, *, margin: float = 300.0) -> None:
        self.value = value
        self.expires_at = time.monotonic() + max(0.0, expires_in - margin)

    @property
    def fresh(self) -> bool:
        return time.monotonic() < self.expires_at
