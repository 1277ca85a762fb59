"""Fixed-window rate limiting per credential, as Harvest v3 does it (harvest-v3.md §3)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """The outcome of one request against a window; `headers` go on every response."""

    allowed: bool
    limit: int
    remaining: int
    reset_epoch: int
    retry_after: int

    @property
    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_epoch),
        }


class FixedWindowLimiter:
    """`limit` requests per `window` seconds per key; windows are aligned to multiples of `window` since the epoch.

    Aligned windows make `X-RateLimit-Reset` (UTC epoch seconds of the window end) the same for every client.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._counts: dict[str, tuple[float, int]] = {}
        self.configure(limit, window)

    def configure(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        with self._lock:
            self.limit = limit
            self.window = window
            self._counts.clear()

    def _window_start(self, now: float) -> float:
        return math.floor(now / self.window) * self.window

    def hit(self, key: str, *, consume: bool = True) -> Decision:
        """Count one request for `key` (or just peek when `consume` is false)."""
        with self._lock:
            now = self._clock()
            start = self._window_start(now)
            window_start, used = self._counts.get(key, (start, 0))
            if window_start != start:
                used = 0
            end = start + self.window
            allowed = used < self.limit
            if consume and allowed:
                used += 1
            self._counts[key] = (start, used)
            return Decision(
                allowed=allowed or not consume,
                limit=self.limit,
                remaining=max(self.limit - used, 0),
                reset_epoch=math.ceil(end),
                retry_after=max(math.ceil(end - now), 1),
            )
