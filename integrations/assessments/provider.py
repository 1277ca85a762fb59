"""The `AssessmentProvider` Protocol: what the AssessmentWorkflow's activities need from a vendor.

Every method raises `ProviderUnavailableError` (retry later; `ProviderThrottledError` carries the
server's Retry-After) or `ProviderRejectedError` (the request itself is wrong: do not retry).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol, runtime_checkable

from pydantic import AwareDatetime

from models.assessments import (
    AssessmentResult,
    AssessmentTest,
    Invitation,
    InviteRequest,
    ProviderEvent,
    ProviderName,
)


@runtime_checkable
class AssessmentProvider(Protocol):
    """One vendor. Implementations hold an HTTP client; `aclose` releases it."""

    @property
    def name(self) -> ProviderName: ...

    @property
    def webhooks(self) -> bool:
        """False when completion is only seen by polling `fetch_result` (HackerRank here)."""
        ...

    async def list_tests(self) -> list[AssessmentTest]:
        """The tests a recruiter can map a stage to (published ones only where the vendor says)."""
        ...

    async def invite(self, request: InviteRequest) -> Invitation:
        """Invite once: the same `reference` (or, for vendors without idempotency keys, the same
        test and email) answers the existing invitation and sends nothing new."""
        ...

    async def cancel(self, invitation_id: str) -> None:
        """Withdraw the invitation; cancelling twice, or after completion, is a no-op."""
        ...

    async def extend(self, invitation_id: str, deadline: AwareDatetime) -> None:
        """Move the deadline (ProviderRejectedError where the vendor cannot)."""
        ...

    async def fetch_result(self, invitation_id: str) -> AssessmentResult:
        """Where the invitation stands; a completed one may not have its score yet (poll again)."""
        ...

    async def fetch_report(self, invitation_id: str) -> bytes | None:
        """The PDF report, or None while there is none; ProviderRejectedError above the size cap."""
        ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, now: datetime) -> list[ProviderEvent]:
        """Verify and normalise one delivery (InvalidWebhookError when forged, stale or malformed);
        events of kinds Hireflow does not use come back as an empty list, so the sender gets a 2xx."""
        ...

    async def aclose(self) -> None:
        """Close the HTTP client if this provider created it."""
        ...
