"""Client-side pacing for Harvest's fixed rate-limit window (reference §3).

Greenhouse counts requests per credential in a fixed window (75 per 30 s is the observed value) and
reports `X-RateLimit-Limit/Remaining/Reset` on every response. One `RateLimiter` is shared by every
request made with a credential, so concurrent iterators draw from the same budget: a request goes out
while the window has budget left, otherwise it waits for the window to reset. A 429 blocks everyone
until its `Retry-After` has passed. Until the first response tells us the limit, one probe request at
a time goes out.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

# Reset values below this are "seconds from now", above it UTC epoch seconds (Greenhouse sends epochs).
_EPOCH_THRESHOLD = 1_000_000_000.0


@dataclass(frozen=True)
class RateLimitHeaders:
    """The `X-RateLimit-*` values of one response; `reset_at` is a UTC epoch second."""

    limit: int | None
    remaining: int | None
    reset_at: float | None


def parse_rate_headers(headers: Mapping[str, str], now: float) -> RateLimitHeaders | None:
    """Read the rate-limit headers; None when the response carries none of them."""

    def number(name: str) -> float | None:
        raw = headers.get(name)
        if raw is None:
            return None
        try:
            return float(raw.strip())
        except ValueError:
            return None

    limit, remaining, reset = (
        number("X-RateLimit-Limit"),
        number("X-RateLimit-Remaining"),
        number("X-RateLimit-Reset"),
    )
    if limit is None and remaining is None and reset is None:
        return None
    if reset is not None and reset < _EPOCH_THRESHOLD:
        reset = now + reset
    return RateLimitHeaders(
        limit=int(limit) if limit is not None else None,
        remaining=int(remaining) if remaining is not None else None,
        reset_at=reset,
    )


@dataclass
class WindowState:
    """What we believe about the current window. Pure data so the pacing maths can be tested alone."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None
    blocked_until: float = 0.0
    in_flight: int = 0

    def roll(self, now: float, margin: float) -> None:
        """Once the window's reset time has passed, the full limit is available again, less the requests
        still in flight (sent before the boundary, they may be counted in the new window)."""
        if self.reset_at is not None and now >= self.reset_at + margin:
            self.remaining = None if self.limit is None else self.limit - self.in_flight
            self.reset_at = None

    def delay(self, now: float, margin: float) -> float | None:
        """Seconds to wait before the next request: 0 = go, None = wait for a response to learn more."""
        if self.blocked_until > now:
            return self.blocked_until - now
        if self.remaining is None:
            return 0.0 if self.in_flight == 0 else None
        if self.remaining > 0:
            return 0.0
        if self.reset_at is not None:
            return max(self.reset_at + margin - now, 0.001)
        return None if self.in_flight else 0.0  # no reset known: probe one at a time, 429s will tell

    def observe(self, seen: RateLimitHeaders, now: float) -> None:
        """Fold a response's headers in. Call after `in_flight` was decremented for that response.

        A reset later than ours starts a new window (requests still in flight are charged to it, to be
        safe); the same reset can only lower `remaining`; a reset already in the past is stale.
        """
        if seen.limit is not None:
            self.limit = seen.limit
        if seen.remaining is None:
            return
        if seen.reset_at is None:
            self.remaining = seen.remaining if self.remaining is None else min(self.remaining, seen.remaining)
            return
        if seen.reset_at <= now:
            return
        if self.reset_at is None or seen.reset_at > self.reset_at + 0.5:
            self.reset_at = seen.reset_at
            self.remaining = seen.remaining - self.in_flight
        elif seen.reset_at >= self.reset_at - 0.5:
            self.remaining = seen.remaining if self.remaining is None else min(self.remaining, seen.remaining)

    def throttled(self, now: float, retry_after: float | None, fallback: float) -> float:
        """A 429 arrived: nothing goes out until `Retry-After` has passed. Returns the wait in seconds."""
        wait = retry_after if retry_after is not None else fallback
        if self.reset_at is not None and retry_after is None:
            wait = max(wait, self.reset_at - now)
        self.blocked_until = max(self.blocked_until, now + wait)
        self.remaining = None  # after the block, probe one request at a time until headers tell us more
        return wait


@dataclass
class RateLimitStats:
    """Counters for benchmarks and logs."""

    requests: int = 0
    throttled: int = 0
    waits: int = 0
    waited_seconds: float = 0.0
    windows: dict[float, int] = field(default_factory=dict)  # requests per server window (by reset time)


class RateLimiter:
    """The pacing gate shared by all requests of one credential (see module docstring)."""

    def __init__(
        self,
        *,
        margin: float = 0.05,
        fallback_wait: float = 1.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.state = WindowState()
        self.stats = RateLimitStats()
        self._margin = margin
        self._fallback = fallback_wait
        self._clock = clock
        self._sleep = sleep
        self._gate = asyncio.Lock()
        self._changed = asyncio.Event()

    async def acquire(self) -> None:
        """Wait until a request may go out and count it; pair every call with `release`."""
        async with self._gate:
            waited = False
            while True:
                now = self._clock()
                self.state.roll(now, self._margin)
                delay = self.state.delay(now, self._margin)
                if delay == 0.0:
                    break
                waited = True
                if delay is None:
                    self._changed.clear()
                    await self._changed.wait()
                else:
                    self.stats.waited_seconds += delay
                    await self._sleep(delay)
            if waited:
                self.stats.waits += 1
            if self.state.remaining is not None:
                self.state.remaining -= 1
            self.state.in_flight += 1
            self.stats.requests += 1

    def release(self, headers: Mapping[str, str] | None) -> None:
        """Record the response (or None when no response arrived) of an acquired request."""
        now = self._clock()
        self.state.in_flight = max(0, self.state.in_flight - 1)
        if headers is not None:
            seen = parse_rate_headers(headers, now)
            if seen is not None:
                if seen.reset_at is not None:
                    key = round(seen.reset_at, 1)
                    self.stats.windows[key] = self.stats.windows.get(key, 0) + 1
                self.state.observe(seen, now)
        self._changed.set()

    def throttled(self, retry_after: float | None) -> float:
        """Record a 429 and return how long the caller should wait before retrying."""
        self.stats.throttled += 1
        wait = self.state.throttled(self._clock(), retry_after, self._fallback)
        self._changed.set()
        return wait


_shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], RateLimiter]] = (
    weakref.WeakKeyDictionary()
)


def shared_limiter(base_url: str, client_id: str) -> RateLimiter:
    """The limiter for one credential on the running event loop, shared by every client built for it."""
    loop = asyncio.get_running_loop()
    per_loop = _shared.setdefault(loop, {})
    key = (base_url.rstrip("/"), client_id)
    if key not in per_loop:
        per_loop[key] = RateLimiter()
    return per_loop[key]
