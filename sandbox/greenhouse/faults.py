"""Fault injection: latency, error rates and forced statuses per path prefix, for tests and chaos runs."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from sandbox.greenhouse.config import FaultRule


@dataclass(frozen=True)
class FaultOutcome:
    latency_ms: int
    status: int | None


class FaultInjector:
    """Holds the active rules; `decide` picks what happens to one request and uses up counted rules."""

    def __init__(self, rules: list[FaultRule] | None = None, rng: random.Random | None = None) -> None:
        self._lock = threading.Lock()
        self._rng = rng or random.Random()
        self._rules: list[tuple[FaultRule, list[int | None]]] = []
        for rule in rules or []:
            self.add(rule)

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append((rule, [rule.count]))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [rule.model_copy(update={"count": left[0]}) for rule, left in self._rules]

    def decide(self, method: str, path: str) -> FaultOutcome:
        """Latency adds up over all matching rules; the first rule whose dice roll hits sets the status."""
        latency = 0
        status: int | None = None
        with self._lock:
            for rule, left in list(self._rules):
                if not path.startswith(rule.path_prefix) or (rule.method and rule.method != method.upper()):
                    continue
                fires_status = (
                    rule.status is not None and status is None and self._rng.random() < rule.error_rate
                )
                if rule.status is not None and not fires_status and not rule.latency_ms:
                    continue
                latency += rule.latency_ms
                if fires_status:
                    status = rule.status
                if left[0] is not None:
                    left[0] -= 1
                    if left[0] <= 0:
                        self._rules.remove((rule, left))
        return FaultOutcome(latency, status)
