"""SourceStatusPushWorkflow: tell a sourcing tool that its candidate moved in Greenhouse, durably.

One execution per change and source record (`source-push-<source>-<digest>`), so a redelivered
Greenhouse webhook finds the same workflow and the source hears of the change once. The POST is retried
with backoff for up to three days (an outage of the source's endpoint longer than any retry budget ends
`undelivered`, in the result and the Temporal UI, and is logged); a refusal (4xx) ends `refused`.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.source_push import SourcePushActivities
    from models.source_push import PushStatusInput, PushStatusResult

GIVE_UP_AFTER = timedelta(days=3)
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(hours=1),
    non_retryable_error_types=["SourceRefusedError"],
)


@workflow.defn
class SourceStatusPushWorkflow:
    @workflow.run
    async def run(self, request: PushStatusInput) -> PushStatusResult:
        event = request.event
        workflow.set_current_details(
            f"## Status push to {event.source}\nApplication {event.application_id}: **{event.status}** "
            f"({event.greenhouse_action}); delivering."
        )
        try:
            result = await workflow.execute_activity_method(
                SourcePushActivities.post_source_status,
                request,
                start_to_close_timeout=timedelta(seconds=30),
                schedule_to_close_timeout=GIVE_UP_AFTER,
                retry_policy=RETRY,
                summary=f"tell {event.source}: {event.status}",
            )
        except ActivityError as error:
            cause = error.cause
            refused = isinstance(cause, ApplicationError) and cause.type == "SourceRefusedError"
            status = (
                cause.details[0]
                if refused and isinstance(cause, ApplicationError) and cause.details
                else None
            )
            result = PushStatusResult(
                outcome="refused" if refused else "undelivered",
                http_status=status if isinstance(status, int) else None,
                detail=str(cause or error),
            )
            workflow.logger.warning(
                "source push not delivered", extra={"source": event.source, "outcome": result.outcome}
            )
        workflow.set_current_details(
            f"## Status push to {event.source}\nApplication {event.application_id}: **{event.status}** "
            f"({event.greenhouse_action}): {result.outcome}. {result.detail}".rstrip()
        )
        return result
