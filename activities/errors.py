"""Turn integration errors into Temporal `ApplicationError`s with stable types.

Workflows and retry policies match on these type names: a validation or permission error will not
get better by retrying, a throttle or server fault will (after the delay the service asked for).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.exceptions import ApplicationError

from integrations.calendar.base import CalendarError, CalendarPermissionError
from integrations.greenhouse import errors as harvest


def from_harvest(error: harvest.HarvestError) -> ApplicationError:
    kind = {
        harvest.ValidationError: "HarvestValidationError",
        harvest.ForbiddenError: "HarvestForbiddenError",
        harvest.NotFoundError: "HarvestNotFoundError",
        harvest.AuthError: "HarvestAuthError",
        harvest.RateLimitedError: "HarvestRateLimitedError",
        harvest.ServerError: "HarvestServerError",
    }.get(type(error), "HarvestError")
    retry_after = getattr(error, "retry_after", None)
    return ApplicationError(
        str(error),
        type=kind,
        non_retryable=kind in {"HarvestValidationError", "HarvestForbiddenError"},
        next_retry_delay=timedelta(seconds=float(retry_after)) if retry_after else None,
    )


def from_calendar(error: CalendarError) -> ApplicationError:
    return ApplicationError(
        str(error),
        type="CalendarPermissionError"
        if isinstance(error, CalendarPermissionError)
        else type(error).__name__,
        non_retryable=not error.retryable,
        next_retry_delay=timedelta(seconds=error.retry_after) if error.retry_after else None,
    )
