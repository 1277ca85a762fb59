"""EventWorkflow: the Temporal shell around the recruiting-event core (`workflows/event_core/`).

One execution per job stage and first day (`event_workflow_id`). The core decides; this shell feeds it
events and runs what it asks for:

- commands for different candidates run side by side, each as a typed activity with the retry budget
  of its system and kind of call; a final failure comes back as an outcome, never as an exception;
- a planned loop is started as a child SchedulingWorkflow (the application's usual id) carrying the
  event's slot; it books through the single-loop saga and outlives the event (ABANDON), reporting
  back with the `loop_update` signal;
- candidates answer through the `submit_availability` update (validated before anything is written);
  recruiters cancel through `cancel_event` or a Temporal cancel request, which cancels every loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    FailureError,
    WorkflowAlreadyStartedError,
)
from temporalio.exceptions import TimeoutError as ActivityTimeoutError

with workflow.unsafe.imports_passed_through():
    from activities.events import EventActivities
    from activities.greenhouse import GreenhouseActivities
    from activities.mail import MailActivities
    from activities.planning import PlanningActivities
    from integrations.scheduling_client import static_summary
    from models import temporal_keys as keys
    from models.event_io import (
        AvailabilityInput,
        AvailabilityResult,
        AvailabilityView,
        EventCancelInput,
        EventCommandResult,
        EventRequest,
        EventStatus,
        LoopUpdateInput,
    )
    from models.failure_policy import CallKind, RetryBudget
    from models.messages import SchedulingRequest, scheduling_workflow_id
    from workflows.event_core import EventCommand, EventCommandKind, EventCore, EventOutcome
    from workflows.retry import start_within_budget
    from workflows.scheduling import SchedulingWorkflow

SelfT = TypeVar("SelfT")
ArgT = TypeVar("ArgT")
ResultT = TypeVar("ResultT")
TEMPORAL_CANCEL = EventCancelInput(reason="cancel request from the Temporal UI or CLI")


@workflow.defn
class EventWorkflow:
    """Carries one recruiting event from the first invitation to its last day."""

    @workflow.init
    def __init__(self, request: EventRequest) -> None:
        info = workflow.info()
        self._core = EventCore(request, info.workflow_id, chain_id=info.first_execution_run_id)
        self._shown_state = ""
        self._last_timer_at: object = None
        self._cancelled_from_temporal = False
        self._running: set[asyncio.Task[None]] = set()

    @workflow.run
    async def run(self, request: EventRequest) -> EventStatus:
        core = self._core
        core.start(workflow.now())
        self._publish()
        try:
            await self._drive()
        except asyncio.CancelledError:
            self._cancelled_from_temporal = True
        if self._cancelled_from_temporal:
            core.cancel(TEMPORAL_CANCEL, workflow.now())
            self._publish()
            await self._drive()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._cancelled_from_temporal:
            raise asyncio.CancelledError("event cancelled from Temporal; every planned loop cancelled")
        return core.status()

    async def _drive(self) -> None:
        """Start whatever the core queued; between, sleep until a message, an outcome or a deadline."""
        core = self._core
        while not core.finished:
            for command in core.take_commands():
                task = asyncio.create_task(self._execute(command))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            if core.finished:
                break
            deadline = core.deadline()
            now = workflow.now()
            if deadline is not None and deadline[0] <= now and self._last_timer_at != deadline[0]:
                self._last_timer_at = deadline[0]
                core.timer(now)
                self._publish()
                continue
            timeout = max(deadline[0] - now, timedelta(seconds=1)) if deadline else None
            try:
                await workflow.wait_condition(
                    lambda due=deadline: bool(core.queue) or core.finished or core.deadline() != due,  # type: ignore[misc]
                    timeout=timeout,
                    timeout_summary=deadline[1][:100] if deadline else None,
                )
            except TimeoutError:
                core.timer(workflow.now())
                self._publish()

    # ------------------------------------------------------------------------------- commands

    async def _execute(self, command: EventCommand) -> None:
        outcome = await self._outcome(command)
        self._core.complete(command, outcome, workflow.now())
        self._publish()

    async def _outcome(self, command: EventCommand) -> EventOutcome:
        try:
            if command.kind == EventCommandKind.START_LOOP:
                return await self._start_loop(command.input)
            if command.kind == EventCommandKind.CANCEL_LOOP:
                await workflow.get_external_workflow_handle(command.input).cancel()
                return EventOutcome.success()
            budget = self._core.request.policy.failure.budget(command.system, command.call)
            return EventOutcome.success(await asyncio.shield(self._activity(command, budget)))
        except ActivityError as error:
            return _failed(error)
        except FailureError as error:
            return EventOutcome.failure(type(error).__name__, str(error) or "failed")

    async def _start_loop(self, request: SchedulingRequest) -> EventOutcome:
        child_id = scheduling_workflow_id(request.application_id, request.job_interview_stage_id)
        try:
            await workflow.start_child_workflow(
                SchedulingWorkflow.run,
                request,
                id=child_id,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(keys.APPLICATION_ID, request.application_id),
                        SearchAttributePair(keys.SCHEDULING_STATUS, "gathering"),
                    ]
                ),
                static_summary=static_summary(request.application_id, request.job_interview_stage_id),
            )
        except WorkflowAlreadyStartedError:
            return EventOutcome.failure(
                "AlreadyScheduling", f"a scheduling request for this stage is already running ({child_id})"
            )
        return EventOutcome.success(child_id)

    def _activity(self, command: EventCommand, budget: RetryBudget) -> workflow.ActivityHandle[Any]:
        queues, arg = self._core.request.queues, command.input
        match command.kind:
            case EventCommandKind.LIST:
                method: Callable[..., Awaitable[Any]] = GreenhouseActivities.list_event_applications
                return self._call(method, arg, command, budget, queues.harvest)
            case EventCommandKind.GATHER:
                return self._call(
                    GreenhouseActivities.gather_scheduling_context, arg, command, budget, queues.harvest
                )
            case EventCommandKind.FIND_RUNNING:
                return self._call(EventActivities.find_running_requests, arg, command, budget)
            case EventCommandKind.NOTE:
                return self._call(
                    GreenhouseActivities.add_candidate_note, arg, command, budget, queues.harvest
                )
            case EventCommandKind.EMAIL:
                return self._call(MailActivities.send_email, arg, command, budget)
            case EventCommandKind.PLAN:
                return self._call(PlanningActivities.plan_event, arg, command, budget, queues.planner)
        raise AssertionError(f"no activity for {command.kind}")

    def _call(
        self,
        method: Callable[[SelfT, ArgT], Awaitable[ResultT]],
        arg: ArgT,
        command: EventCommand,
        budget: RetryBudget,
        task_queue: str | None = None,
    ) -> workflow.ActivityHandle[ResultT]:
        attempt = budget.attempt_timeout
        if command.call == CallKind.PLAN:
            attempt = max(
                attempt, timedelta(seconds=self._core.request.policy.planner_time_limit_seconds * 3)
            )
        return start_within_budget(
            method, arg, budget, summary=command.summary, attempt_timeout=attempt, task_queue=task_queue
        )

    # -------------------------------------------------------------------------------- messages

    @workflow.update
    async def submit_availability(self, answer: AvailabilityInput) -> AvailabilityResult:
        """A candidate's times from the event page; a repeated form post answers the same again."""
        result = self._core.answer(answer, workflow.now())
        self._publish()
        return result

    @submit_availability.validator
    def _validate_availability(self, answer: AvailabilityInput) -> None:
        if problem := self._core.availability_problem(answer, workflow.now()):
            raise ValueError(problem)

    @workflow.update
    async def cancel_event(self, request: EventCancelInput) -> EventCommandResult:
        """Cancel the event and every loop it planned (each scheduling request releases and tells)."""
        result = self._core.cancel(request, workflow.now())
        self._publish()
        return result

    @workflow.signal
    async def loop_update(self, update: LoopUpdateInput) -> None:
        self._core.loop_update(update, workflow.now())
        self._publish()

    @workflow.query
    def event_status(self) -> EventStatus:
        return self._core.status()

    @workflow.query
    def availability_view(self, application_id: int) -> AvailabilityView:
        return self._core.availability_view(application_id, workflow.now())

    # ------------------------------------------------------------------------------ visibility

    def _publish(self) -> None:
        core = self._core
        if self._shown_state != core.state.value:
            self._shown_state = core.state.value
            workflow.upsert_search_attributes([keys.SCHEDULING_STATUS.value_set(core.state.value)])
        workflow.set_current_details(core.details())


def _failed(error: ActivityError) -> EventOutcome:
    cause = error.cause
    if isinstance(cause, ApplicationError):
        return EventOutcome.failure(cause.type or "ApplicationError", cause.message)
    if isinstance(cause, ActivityTimeoutError):
        return EventOutcome.failure("RetryBudgetExhausted", "still failing after the retry budget")
    return EventOutcome.failure(type(cause).__name__ if cause else "ActivityError", str(cause or error))
