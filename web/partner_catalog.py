"""The tests Greenhouse's Send Test may offer: the configured provider's list, cached briefly.

Greenhouse calls `list_tests` whenever a recruiter opens the test picker and `send_test` needs the
test's name; a short cache keeps the provider's API out of that path without hiding a new test long.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx

from integrations.assessments.provider import AssessmentProvider
from integrations.assessments.registry import provider_from_settings
from models.assessments import AssessmentTest
from models.settings import Settings

CACHE_SECONDS = 60.0


class PartnerCatalog:
    """One provider's tests, fetched at most once per `ttl` seconds (concurrent callers share a fetch)."""

    def __init__(
        self,
        settings: Settings,
        *,
        http: httpx.AsyncClient | None = None,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._http = http
        self._ttl = ttl
        self._clock = clock
        self._provider: AssessmentProvider | None = None
        self._tests: list[AssessmentTest] | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    def provider(self) -> AssessmentProvider:
        """Built on first use: a missing credential is answered per call (503), not at startup."""
        if self._provider is None:
            self._provider = provider_from_settings(
                self.settings, self.settings.assessment_partner_provider, http=self._http
            )
        return self._provider

    async def tests(self) -> list[AssessmentTest]:
        async with self._lock:
            if self._tests is None or self._clock() - self._fetched_at >= self._ttl:
                self._tests = await self.provider().list_tests()
                self._fetched_at = self._clock()
            return self._tests

    async def find(self, test_id: str) -> AssessmentTest | None:
        return next((test for test in await self.tests() if test.test_id == test_id), None)
