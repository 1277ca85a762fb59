"""Turn integration errors into Temporal `ApplicationError`s with stable types.

Workflows and retry policies match on these type names (`models/failure_policy.py`): not found,
refused input, a missing permission or a revoked credential will not get better by retrying; a
throttle, a server fault or a dropped connection will (after the delay the service asked for).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.exceptions import ApplicationError

from integrations.calendar.base import (
    CalendarError,
    CalendarNotFoundError,
    CalendarPermissionError,
    CalendarRequestError,
)
from integrations.greenhouse import errors as harvest
from models.failure_policy import NON_RETRYABLE_ERRORS

_HARVEST_TYPES: dict[type[harvest.HarvestError], str] = {
    harvest.ValidationError: "HarvestValidationError",
    harvest.BadRequestError: "HarvestValidationError",
    harvest.ForbiddenError: "HarvestForbiddenError",
    harvest.NotFoundError: "HarvestNotFoundError",
    harvest.AuthError: "HarvestAuthError",
    harvest.UnsafeLinkError: "HarvestValidationError",
    harvest.RateLimitedError: "HarvestRateLimitedError",
    harvest.ServerError: "HarvestServerError",
    harvest.HarvestConnectionError: "HarvestConnectionError",
}


def from_harvest(error: harvest.HarvestError) -> ApplicationError:
    """A subclass takes its nearest listed parent's type: a missing scope is a 403, never retried, and its
    message names the scope, so the escalation or note that reports it tells what to grant."""
    kind = next((_HARVEST_TYPES[c] for c in type(error).__mro__ if c in _HARVEST_TYPES), "HarvestError")
    retry_after = getattr(error, "retry_after", None)
    return ApplicationError(
        str(error),
        type=kind,
        non_retryable=kind in NON_RETRYABLE_ERRORS,
        next_retry_delay=timedelta(seconds=float(retry_after)) if retry_after else None,
    )


def from_calendar(error: CalendarError) -> ApplicationError:
    if isinstance(error, CalendarPermissionError):
        kind = "CalendarPermissionError"
    elif isinstance(error, CalendarNotFoundError):
        kind = "CalendarNotFoundError"
    elif isinstance(error, CalendarRequestError):
        kind = "CalendarInputError"
    else:
        kind = type(error).__name__
    return ApplicationError(
        str(error),
        type=kind,
        non_retryable=not error.retryable,
        next_retry_delay=timedelta(seconds=error.retry_after) if error.retry_after else None,
    )


def planner_input_error(error: Exception) -> ApplicationError:
    """A problem the planner refuses (bad policy, inconsistent context): no retry makes it valid."""
    return ApplicationError(
        f"the planning problem is invalid: {error}", type="PlannerInputError", non_retryable=True
    )
