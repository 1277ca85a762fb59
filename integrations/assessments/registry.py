"""Builds the configured provider by name; the only place that reads the providers' settings."""

from __future__ import annotations

import httpx

from integrations.assessments.embedded import EmbeddedProvider
from integrations.assessments.errors import ProviderNotConfiguredError
from integrations.assessments.hackerearth import HackerEarthProvider
from integrations.assessments.hackerrank import HackerRankProvider
from integrations.assessments.provider import AssessmentProvider
from models.settings import Settings


def provider_from_settings(
    settings: Settings, name: str, *, http: httpx.AsyncClient | None = None
) -> AssessmentProvider:
    """The provider `name` (embedded, hackerearth, hackerrank). `http` is shared when given (the caller
    closes it); otherwise the provider owns a client and `aclose` closes it. Missing credentials raise
    ProviderNotConfiguredError (not retryable), naming the variable but never a value."""
    cap = settings.assessment_report_max_bytes
    if name == "embedded":
        return EmbeddedProvider(
            base_url=settings.assessment_sandbox_url,
            token=settings.assessment_sandbox_token,
            webhook_secret=settings.assessment_webhook_secret,
            http=http,
            report_max_bytes=cap,
        )
    if name == "hackerearth":
        if not settings.hackerearth_client_id or settings.hackerearth_client_secret is None:
            raise ProviderNotConfiguredError(
                "hackerearth: set HIREFLOW_HACKEREARTH_CLIENT_ID and HIREFLOW_HACKEREARTH_CLIENT_SECRET"
            )
        return HackerEarthProvider(
            client_id=settings.hackerearth_client_id,
            client_secret=settings.hackerearth_client_secret,
            webhook_secret=settings.hackerearth_webhook_secret,
            http=http,
            report_max_bytes=cap,
        )
    if name == "hackerrank":
        if settings.hackerrank_token is None:
            raise ProviderNotConfiguredError("hackerrank: set HIREFLOW_HACKERRANK_TOKEN")
        return HackerRankProvider(token=settings.hackerrank_token, http=http, report_max_bytes=cap)
    raise ProviderNotConfiguredError("unknown assessment provider (embedded, hackerearth, hackerrank)")


class ProviderCache:
    """One provider per name for a worker's life, sharing one HTTP client (closed by `aclose`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.http: httpx.AsyncClient | None = None  # made on first use: a webhook check needs none
        self._made: dict[str, AssessmentProvider] = {}

    def get(self, name: str) -> AssessmentProvider:
        if name not in self._made:
            if self.http is None:
                self.http = httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=5.0))
            self._made[name] = provider_from_settings(self.settings, name, http=self.http)
        return self._made[name]

    async def aclose(self) -> None:
        if self.http is not None:
            await self.http.aclose()
