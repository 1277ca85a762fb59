"""One provider request, mapped to the contract's errors: the only place that reads HTTP statuses.

- Network errors, timeouts and 5xx: `ProviderUnavailableError` (the activity retries later; nothing is
  replayed here because vendors' invites have no idempotency key of their own).
- 429: a short `Retry-After` (up to `max_wait`) is waited out once in-process; a longer or missing one
  raises `ProviderThrottledError` with the hint for Temporal.
- Other 4xx: `ProviderRejectedError`, unless the caller accepts that status (404 as "no report yet").
Bodies are read as a stream and capped, so a hostile or broken provider cannot exhaust memory.
Messages name the status and the provider, never the body (which may echo candidate data).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from integrations.assessments.errors import ProviderThrottledError
from models.assessments import ProviderRejectedError, ProviderUnavailableError

Sleep = Callable[[float], Awaitable[None]]

MAX_JSON_BYTES = 2 * 1024 * 1024
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """`Retry-After` in seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


@dataclass(frozen=True)
class Reply:
    """A response whose body was read within its cap."""

    status: int
    headers: httpx.Headers
    content: bytes

    def json(self, provider: str) -> Any:
        """The body as JSON; a provider that answers garbage is treated as unavailable (a proxy page)."""
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProviderUnavailableError(f"{provider}: malformed JSON in a {self.status} answer") from exc


class Pacer:
    """Keeps requests at least `interval` seconds apart (HackerRank asks for under ~10 requests/s)."""

    def __init__(self, interval: float, *, sleep: Sleep = asyncio.sleep) -> None:
        self._interval = interval
        self._sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if self._interval <= 0:
            return
        async with self._lock:
            delay = self._next - time.monotonic()
            if delay > 0:
                await self._sleep(delay)
            self._next = time.monotonic() + self._interval


class ProviderHttp:
    """Sends one provider's requests with its error mapping, body caps and optional pacing."""

    def __init__(
        self,
        client: httpx.AsyncClient | None,
        provider: str,
        *,
        max_wait: float = 5.0,
        pacer: Pacer | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """`client` is shared (the caller closes it); None makes one that `aclose` closes."""
        self._owns_client = client is None
        self.client = client if client is not None else httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        self.provider = provider
        self._max_wait = max_wait
        self._pacer = pacer
        self._sleep = sleep

    async def aclose(self) -> None:
        """Close the client if this object made it."""
        if self._owns_client:
            await self.client.aclose()

    async def send(
        self,
        method: str,
        url: str,
        *,
        accept: Collection[int] = (),
        max_bytes: int = MAX_JSON_BYTES,
        **kwargs: Any,
    ) -> Reply:
        """Send once (twice after a short 429); return a 2xx or an accepted status, raise otherwise."""
        for attempt in range(2):
            reply = await self._send_once(method, url, max_bytes=max_bytes, **kwargs)
            if reply.status != 429 or 429 in accept:
                break
            hint = retry_after_seconds(reply.headers.get("Retry-After"))
            if attempt == 1 or hint is None or hint > self._max_wait:
                raise ProviderThrottledError(f"{self.provider}: rate limited (429)", retry_after=hint)
            await self._sleep(hint)
        if 200 <= reply.status < 300 or reply.status in accept:
            return reply
        if reply.status >= 500:
            raise ProviderUnavailableError(f"{self.provider}: server error {reply.status}")
        if reply.status in (401, 403):
            raise ProviderRejectedError(f"{self.provider}: credentials refused ({reply.status})")
        raise ProviderRejectedError(f"{self.provider}: request refused ({reply.status})")

    async def _send_once(self, method: str, url: str, *, max_bytes: int, **kwargs: Any) -> Reply:
        if self._pacer is not None:
            await self._pacer.wait()
        try:
            request = self.client.build_request(method, url, **kwargs)
            response = await self.client.send(request, stream=True)
            try:
                content = await _read_capped(response, max_bytes, self.provider)
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            raise ProviderUnavailableError(f"{self.provider}: timed out") from exc
        except httpx.TransportError as exc:
            raise ProviderUnavailableError(f"{self.provider}: network error {type(exc).__name__}") from exc
        return Reply(response.status_code, response.headers, content)


async def _read_capped(response: httpx.Response, max_bytes: int, provider: str) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ProviderRejectedError(f"{provider}: answer larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise ProviderRejectedError(f"{provider}: answer larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def same_origin(url: str, base: str) -> bool:
    """True when `url` is on `base`'s scheme, host and port: credentials go nowhere else."""
    a, b = httpx.URL(url), httpx.URL(base)
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def require_pdf(content: bytes, provider: str) -> bytes:
    """`content` if it is a PDF: an HTML error page must never be attached as the report."""
    if not content.startswith(b"%PDF-"):
        raise ProviderRejectedError(f"{provider}: report is not a PDF")
    return content
