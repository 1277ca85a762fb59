"""One Harvest request, done right: bearer token, pacing, retries and error mapping.

Retry policy, and why:
- 429: always waited out (every method; the request was refused before it ran), as long as the total
  wait stays within `max_rate_limit_wait`; otherwise `RateLimitedError`.
- 401: the token is re-minted once and the request retried once (the token was refused, so nothing ran).
- Connection never established (connect error/timeout, pool timeout): retried for every method.
- 5xx and errors after the request was sent (read timeout, dropped connection): retried with
  exponential backoff for GET only. Harvest has no idempotency keys, so a replayed POST could create a
  second note, candidate or interview, and a replayed `move` fails its compare-and-swap guard after
  a success; PATCH/DELETE are not replayed either. Those surface as `ServerError`/`HarvestConnectionError`
  and the caller (a Temporal activity) decides, usually by reading back before writing again.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from integrations.greenhouse.auth import TokenCache
from integrations.greenhouse.errors import (
    HarvestConnectionError,
    RateLimitedError,
    error_for_response,
    parse_retry_after,
)
from integrations.greenhouse.ratelimit import RateLimiter
from integrations.logs import get_logger

log = get_logger(__name__)

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class HarvestTransport:
    """Sends requests to one Harvest origin with a token cache and a shared rate limiter."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        tokens: TokenCache,
        limiter: RateLimiter,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        max_rate_limit_wait: float = 120.0,
        max_throttled_retries: int = 50,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.http = http
        self.base_url = httpx.URL(base_url.rstrip("/") + "/")
        self.tokens = tokens
        self.limiter = limiter
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._max_wait = max_rate_limit_wait
        self._max_throttled = max_throttled_retries
        self._sleep = sleep

    def url(self, path: str) -> httpx.URL:
        """Absolute URL of an API path such as `/v3/candidates`."""
        return self.base_url.join(path.lstrip("/"))

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter, capped."""
        return random.uniform(0, min(self._backoff_max, self._backoff_base * 2 ** (attempt - 1)))

    async def request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        sub: int | None,
        params: dict[str, str] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Send one request and return its 2xx/3xx response, or raise a typed `HarvestError`."""
        method = method.upper()
        target = url if isinstance(url, httpx.URL) else httpx.URL(url)
        path = target.path
        idempotent = method in ("GET", "HEAD")
        attempt = 0
        reminted = False
        throttled = 0
        waited = 0.0
        while True:
            token = await self.tokens.get(sub)
            await self.limiter.acquire()
            try:
                response = await self.http.request(
                    method,
                    target,
                    params=params,
                    json=json,
                    headers={"Authorization": f"Bearer {token.value}"},
                )
            except httpx.TransportError as exc:
                self.limiter.release(None)
                retryable = idempotent or isinstance(exc, _NOT_SENT)
                if retryable and attempt < self._max_retries:
                    attempt += 1
                    delay = self.backoff(attempt)
                    log.warning(
                        "harvest_retry",
                        method=method,
                        path=path,
                        error=type(exc).__name__,
                        attempt=attempt,
                        delay=round(delay, 2),
                    )
                    await self._sleep(delay)
                    continue
                raise HarvestConnectionError(
                    f"no response ({type(exc).__name__}){'' if retryable else '; not retried: not idempotent'}",
                    method=method,
                    path=path,
                ) from exc
            except BaseException:  # cancelled: give the slot back so nobody waits for this response
                self.limiter.release(None)
                raise
            self.limiter.release(response.headers)
            status = response.status_code
            if status < 400:
                return response
            if status == 401 and not reminted:
                reminted = True
                log.info("harvest_token_refused_reminting", method=method, path=path, sub=sub)
                await self.tokens.renew_after_401(sub, token)
                continue
            if status == 429:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                wait = self.limiter.throttled(retry_after)
                throttled += 1
                if waited + wait > self._max_wait or throttled > self._max_throttled:
                    raise RateLimitedError(
                        f"rate limited; waited {waited:.1f}s already, Retry-After {retry_after}",
                        retry_after=retry_after,
                        status=429,
                        method=method,
                        path=path,
                    )
                waited += wait
                log.info("harvest_rate_limited", method=method, path=path, retry_after=retry_after)
                continue  # acquire() holds every request back until Retry-After has passed
            if status >= 500 and idempotent and attempt < self._max_retries:
                attempt += 1
                delay = self.backoff(attempt)
                log.warning(
                    "harvest_retry",
                    method=method,
                    path=path,
                    status=status,
                    attempt=attempt,
                    delay=round(delay, 2),
                )
                await self._sleep(delay)
                continue
            raise error_for_response(response, method=method, path=path)
