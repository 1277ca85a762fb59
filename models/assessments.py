"""Skills assessments: the contracts between the AssessmentWorkflow, its providers and Greenhouse.

A provider (the embedded sandbox, HackerEarth, HackerRank) invites a candidate to a test, tells us when
they finished (a signed webhook, or polling), and hands back a score and a report. Everything that
crosses Temporal is one of these models; personal data in them (email, names) is encrypted by the
payload codec. Ids are strings because providers' ids are (the Partner API's are strings too).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ProviderName = Literal["embedded", "hackerearth", "hackerrank"]
InvitationStatus = Literal["invited", "started", "completed", "expired", "cancelled"]
Primitive = str | int | float | bool


class AssessmentState(StrEnum):
    """Where one assessment stands (the `AssessmentStatus` search attribute)."""

    GATHERING = "gathering"
    INVITING = "inviting"
    WAITING = "waiting"
    SCORING = "scoring"
    WRITING_BACK = "writing_back"
    DECIDING = "deciding"
    ESCALATED = "escalated"
    CANCELLING = "cancelling"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


def email_digest(email: str) -> str:
    """An address's SHA-256 (trimmed, lower case): matches addresses without keeping them."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def assessment_workflow_id(application_id: int, test_key: str) -> str:
    """`assess-<application>-<test>`: a business key without personal data (test keys are slugs)."""
    return f"assess-{application_id}-{test_key}"


MAX_TEST_KEY = 64  # AssessmentRequest.test_key
_SLUG_UNSAFE_RE = re.compile(r"[^a-z0-9_.-]+")


def assessment_test_key(test_id: str) -> str:
    """A slug of the provider's test id for the workflow id; ids that are not already slugs get a short
    hash so two tests never share a key ("Python 3" and "python-3" differ)."""
    slug = _SLUG_UNSAFE_RE.sub("-", test_id.lower()).strip("-_.")
    if slug == test_id and slug and len(slug) <= MAX_TEST_KEY:
        return slug
    digest = hashlib.sha256(test_id.encode()).hexdigest()[:10]
    return f"{slug[: MAX_TEST_KEY - len(digest) - 1]}-{digest}".strip("-") if slug else f"t{digest}"


def assessment_static_summary(application_id: int, test_name: str) -> str:
    """The list-view line in the Temporal UI (ids and the test's name only)."""
    return f"Assessment: application {application_id}, {test_name}"


class AssessmentTest(BaseModel):
    """A test a provider offers."""

    model_config = ConfigDict(frozen=True)

    provider: ProviderName
    test_id: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=300)
    duration_minutes: int | None = Field(default=None, ge=1)
    max_score: float | None = Field(default=None, gt=0)


class CandidateRef(BaseModel):
    """Who is invited, as Greenhouse knows them (the email on the candidate's profile)."""

    email: str = Field(min_length=3, max_length=320)
    first_name: str = Field(default="", max_length=200)
    last_name: str = Field(default="", max_length=200)
    time_zone: str = "UTC"


class InviteRequest(BaseModel):
    """One invitation. `reference` is the idempotency key (workflow id + attempt): inviting twice with
    the same reference returns the first invitation and sends nothing new."""

    reference: str = Field(min_length=1, max_length=200)
    test_id: str = Field(min_length=1, max_length=128)
    candidate: CandidateRef
    deadline: AwareDatetime
    job_name: str = Field(default="", max_length=300)
    callback_url: str | None = Field(default=None, description="Where the provider posts completion.")


class Invitation(BaseModel):
    """What the provider answered: its own id for the invitation and the candidate's test link."""

    provider: ProviderName
    invitation_id: str = Field(min_length=1, max_length=200)
    test_url: str = Field(min_length=1, max_length=2000)
    invited_at: AwareDatetime
    deadline: AwareDatetime


class AssessmentResult(BaseModel):
    """Where an invitation stands; `score` etc. once completed (a score may lag the completion)."""

    invitation_id: str
    status: InvitationStatus
    score: float | None = None
    max_score: float | None = None
    percentile: float | None = Field(default=None, ge=0, le=100)
    report_url: str | None = None
    completed_at: AwareDatetime | None = None
    details: dict[str, Primitive] = Field(
        default_factory=dict, description="Flat provider values (Partner API `metadata` is flat primitives)."
    )

    @property
    def scored(self) -> bool:
        return self.status == "completed" and self.score is not None


class ProviderEvent(BaseModel):
    """A provider's webhook, verified and normalised. `event_id` deduplicates retried deliveries."""

    provider: ProviderName
    event_id: str = Field(min_length=1, max_length=200)
    kind: Literal["started", "completed", "report_updated", "expired"]
    invitation_id: str | None = None
    email: str | None = Field(default=None, description="Some providers name the candidate, not the invite.")
    test_id: str | None = None
    occurred_at: datetime | None = None


class ProviderError(RuntimeError):
    """Base of provider failures."""


class ProviderUnavailableError(ProviderError):
    """Timeouts, 5xx, 429: try again later (retryable)."""


class ProviderRejectedError(ProviderError):
    """4xx: the request itself is wrong (unknown test, unpublished test, bad email); not retryable."""


class InvalidWebhookError(ValueError):
    """A webhook whose signature, shape or freshness does not check out."""
