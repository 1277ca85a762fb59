"""One translation of a failure budget into Temporal's retry policy, shared by every workflow shell."""

from __future__ import annotations

from temporalio.common import RetryPolicy

from models.failure_policy import NON_RETRYABLE_ERRORS, RetryBudget


def retry_policy(budget: RetryBudget) -> RetryPolicy:
    """Backoff within the budget; errors no retry can fix are not retried."""
    return RetryPolicy(
        initial_interval=budget.initial,
        backoff_coefficient=budget.backoff,
        maximum_interval=budget.maximum_interval,
        maximum_attempts=budget.maximum_attempts,
        non_retryable_error_types=list(NON_RETRYABLE_ERRORS),
    )
