"""Provider errors beyond the shared contract (models/assessments.py), as subclasses so callers that
catch the contract's classes keep working."""

from __future__ import annotations

from models.assessments import ProviderRejectedError, ProviderUnavailableError


class ProviderThrottledError(ProviderUnavailableError):
    """429 that was not waited out in-process; `retry_after` (seconds) feeds Temporal's next retry delay."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderNotConfiguredError(ProviderRejectedError):
    """The provider's credentials are not set; retrying cannot help, a human must configure them."""
