"""How long Hireflow keeps trying each kind of call before a workflow treats it as failed.

Budgets are time, not attempts: an outage of minutes or hours ends with the effect happening once,
because every write is keyed and every retry finds what an earlier attempt did. Errors that a
retry cannot fix (not found, refused address, missing permission, invalid input) are typed and
non-retryable, so the workflow hears of them at once and decides (compensate, escalate, carry on).
The table is data so a test or a chaos run can shrink it; `docs/failure-policy.md` explains it.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel, Field


class System(StrEnum):
    """An external system a workflow depends on."""

    GREENHOUSE = "greenhouse"
    CALENDAR = "calendar"
    MAIL = "mail"
    PLANNER = "planner"
    ASSESSMENTS = "assessments"


class CallKind(StrEnum):
    """What a call does, which decides how long retrying it is worth it."""

    READ = "read"
    IDEMPOTENT_WRITE = "idempotent_write"
    NON_IDEMPOTENT_WRITE = "non_idempotent_write"
    PLAN = "plan"


class RetryBudget(BaseModel):
    """One retry policy: exponential backoff from `initial` up to `maximum_interval`, for `give_up_after`."""

    initial: timedelta = timedelta(seconds=2)
    backoff: float = Field(default=2.0, ge=1.0)
    maximum_interval: timedelta = timedelta(minutes=2)
    give_up_after: timedelta = Field(description="Schedule-to-close: from the first attempt to giving up.")
    attempt_timeout: timedelta = Field(
        default=timedelta(minutes=1), description="Start-to-close of a single attempt."
    )
    maximum_attempts: int = Field(
        default=0, ge=0, description="0: unlimited within `give_up_after` (every kind but non-idempotent)."
    )


# Error types (ApplicationError.type, set in activities/errors.py) that no retry can fix.
NON_RETRYABLE_ERRORS: tuple[str, ...] = (
    "HarvestValidationError",
    "HarvestForbiddenError",
    "HarvestNotFoundError",
    "HarvestAuthError",
    "CalendarPermissionError",
    "CalendarNotFoundError",
    "CalendarInputError",
    "MailRefusedError",
    "MailInputError",
    "MailTemplateError",
    "PlannerInputError",
    "AssessmentRejectedError",
)


def _hours(n: float) -> timedelta:
    return timedelta(hours=n)


class FailurePolicy(BaseModel):
    """Retry budgets per (system, kind of call). Defaults ride out outages of hours."""

    greenhouse_read: RetryBudget = RetryBudget(give_up_after=_hours(2))
    greenhouse_write: RetryBudget = RetryBudget(give_up_after=_hours(12))
    calendar_read: RetryBudget = RetryBudget(give_up_after=_hours(2))
    calendar_write: RetryBudget = RetryBudget(give_up_after=_hours(12))
    mail_send: RetryBudget = RetryBudget(give_up_after=_hours(12))
    assessments_read: RetryBudget = RetryBudget(give_up_after=_hours(2))
    assessments_write: RetryBudget = RetryBudget(give_up_after=_hours(12))
    planner: RetryBudget = RetryBudget(
        give_up_after=_hours(2), attempt_timeout=timedelta(minutes=2), maximum_interval=timedelta(minutes=1)
    )
    non_idempotent_write: RetryBudget = RetryBudget(
        give_up_after=timedelta(minutes=10), maximum_attempts=3, maximum_interval=timedelta(seconds=30)
    )

    def budget(self, system: System, kind: CallKind) -> RetryBudget:
        """The budget of one call; every (system, kind) pair Hireflow makes has one."""
        if kind == CallKind.NON_IDEMPOTENT_WRITE:
            return self.non_idempotent_write
        if system == System.PLANNER or kind == CallKind.PLAN:
            return self.planner
        table = {
            (System.GREENHOUSE, CallKind.READ): self.greenhouse_read,
            (System.GREENHOUSE, CallKind.IDEMPOTENT_WRITE): self.greenhouse_write,
            (System.CALENDAR, CallKind.READ): self.calendar_read,
            (System.CALENDAR, CallKind.IDEMPOTENT_WRITE): self.calendar_write,
            (System.MAIL, CallKind.IDEMPOTENT_WRITE): self.mail_send,
            (System.MAIL, CallKind.READ): self.mail_send,
            (System.ASSESSMENTS, CallKind.READ): self.assessments_read,
            (System.ASSESSMENTS, CallKind.IDEMPOTENT_WRITE): self.assessments_write,
        }
        return table[(system, kind)]

    def scaled(self, factor: float) -> FailurePolicy:
        """Every duration multiplied by `factor` (chaos runs and tests shrink the hours to seconds)."""

        def scale(budget: RetryBudget) -> RetryBudget:
            return budget.model_copy(
                update={
                    "initial": budget.initial * factor,
                    "maximum_interval": budget.maximum_interval * factor,
                    "give_up_after": budget.give_up_after * factor,
                }
            )

        return FailurePolicy(**{name: scale(getattr(self, name)) for name in FailurePolicy.model_fields})
