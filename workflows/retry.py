"""One translation of a failure budget into Temporal's retry policy, shared by every workflow shell."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
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


SelfT = TypeVar("SelfT")
ArgT = TypeVar("ArgT")
ResultT = TypeVar("ResultT")


def start_within_budget(
    method: Callable[[SelfT, ArgT], Awaitable[ResultT]],
    arg: ArgT,
    budget: RetryBudget,
    *,
    summary: str,
    attempt_timeout: timedelta,
    task_queue: str | None = None,
) -> workflow.ActivityHandle[ResultT]:
    """An activity retried within its budget: each attempt bounded, the whole call given up after the budget."""
    return workflow.start_activity_method(
        method,
        arg,
        task_queue=task_queue,
        start_to_close_timeout=attempt_timeout,
        schedule_to_close_timeout=budget.give_up_after,
        retry_policy=retry_policy(budget),
        summary=summary,
    )
