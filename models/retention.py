"""Consent retention (issue 12, docs/sourcing.md "Retention"): how long a basis keeps a sourced person.

A candidate sourced with a consent basis is kept while the basis lasts: `consent` for `consent_days`
after it was given, `legitimate_interest` for `legitimate_interest_days`. `notice_days` before the
deadline the recruiter is told on the profile; at the deadline, unless a source recorded a newer basis,
the candidate is anonymised in Greenhouse and Hireflow's copies are erased.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import AwareDatetime, BaseModel, Field

from models.messages import TaskQueues


class RetentionPolicy(BaseModel):
    consent_days: int = Field(default=730, ge=1, le=3650)
    legitimate_interest_days: int = Field(default=180, ge=1, le=3650)
    notice_days: int = Field(default=14, ge=0, le=365)

    def keep_for(self, basis: str) -> timedelta:
        days = self.consent_days if basis == "consent" else self.legitimate_interest_days
        return timedelta(days=days)

    @property
    def notice(self) -> timedelta:
        return timedelta(days=self.notice_days)


class RetentionInput(BaseModel):
    """Input of ConsentRetentionWorkflow (`retention-<candidate id>`): ids and the policy, no personal data."""

    candidate_id: int
    policy: RetentionPolicy = Field(default_factory=RetentionPolicy)
    queues: TaskQueues = Field(default_factory=TaskQueues)


class ConsentDeadlineInput(BaseModel):
    candidate_id: int
    policy: RetentionPolicy


class ConsentDeadline(BaseModel):
    """When the latest basis on record lapses; None when there is none (never recorded, or erased)."""

    deadline: AwareDatetime | None = None
    basis: str = ""
    source: str = ""


class EraseCandidateInput(BaseModel):
    candidate_id: int
    reason: str = Field(max_length=200)


class ErasureResult(BaseModel):
    greenhouse: str = ""
    removed: dict[str, int] = Field(default_factory=dict)


class RetentionStatus(BaseModel):
    candidate_id: int
    state: str = Field(description="waiting | warned | erased | no_consent")
    deadline: AwareDatetime | None = None
    basis: str = ""


def retention_workflow_id(candidate_id: int) -> str:
    return f"retention-{int(candidate_id)}"
