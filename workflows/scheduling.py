"""SchedulingWorkflow: the Temporal shell around the scheduling decision core.

One execution per application and stage. The core (`workflows/scheduling_core/`) decides; this
shell only feeds it events and runs what it asks for:

- messages: signals record an event; updates (a pick, a proposal, a cancel, a recruiter command)
  feed one too and then wait a bounded time for the core's answer, which is always the truth
  ("booked", "confirming", "the reschedule limit is reached, a recruiter will take over");
- commands run one at a time as typed activity methods, each with the retry budget of its system
  and kind of call (`models/failure_policy.py`); a final failure comes back to the core as an
  outcome, never as an exception, so no external failure can fail the workflow;
- timers: the core names its next deadline; when it passes, the core hears of it;
- a Temporal cancel request (UI, CLI) is the same cancel as `@Hireflow cancel`; the run then ends
  as Canceled.

Executions that started before this shell existed replay the frozen `LegacyScheduling` (the
`scheduling-state-machine` patch decides once, when an execution is created).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError
from temporalio.exceptions import TimeoutError as ActivityTimeoutError

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from activities.greenhouse import GreenhouseActivities
    from activities.mail import MailActivities
    from activities.planning import PlanningActivities
    from integrations.event_client import LOOP_UPDATE
    from integrations.scheduling_client import static_summary
    from models import temporal_keys as keys
    from models.activity_io import (
        BookEventsInput,
        CancelEventsInput,
        CheckOptionInput,
        EmailInput,
        FindOptionsInput,
        GatherInput,
        InterviewsInput,
        NoteInput,
        ReadResponsesInput,
        UpdateInterviewInput,
    )
    from models.event_io import LoopUpdateInput
    from models.failure_policy import NON_RETRYABLE_ERRORS, CallKind, RetryBudget
    from models.messages import (
        ApplicationClosedInput,
        CancelInput,
        CandidateRepliedInput,
        CommandResult,
        InterviewDeletedInput,
        InterviewerDeclinedInput,
        OptionsView,
        ProposeTimesInput,
        ProposeTimesResult,
        RecruiterCommandInput,
        RefreshOptionsInput,
        RescheduleInput,
        SchedulingContext,
        SchedulingRequest,
        SchedulingStatusSnapshot,
        SelectOptionInput,
        SelectOptionResult,
    )
    from workflows.details import render_details
    from workflows.retry import start_within_budget
    from workflows.scheduling_core import Answer, Command, CommandKind, Outcome, SchedulingCore, wording
    from workflows.scheduling_legacy import LegacyScheduling

PATCH_STATE_MACHINE = "scheduling-state-machine"
PATCH_CORE_FIXES_2026_12 = "scheduling-core-fixes-2026-12"
# Replies attributed to their sender and role, and links bound to the run chain (issue 10).
PATCH_TRUST_2026_12 = "scheduling-trust-2026-12"
# A candidate Hireflow cannot email escalates as soon as options are found (issue 12), not days later.
PATCH_UNREACHABLE_2026_12 = "scheduling-unreachable-candidate-2026-12"
SelfT = TypeVar("SelfT")
ArgT = TypeVar("ArgT")
ResultT = TypeVar("ResultT")


@workflow.defn
class SchedulingWorkflow:
    """Carries one scheduling request through its whole life, however long it takes."""

    @workflow.init
    def __init__(self, request: SchedulingRequest) -> None:
        self._legacy = None if workflow.patched(PATCH_STATE_MACHINE) else LegacyScheduling(request)
        info = workflow.info()
        self._core = SchedulingCore(
            request,
            info.workflow_id,
            fixes_2026_12=workflow.patched(PATCH_CORE_FIXES_2026_12),
            trust_2026_12=workflow.patched(PATCH_TRUST_2026_12),
            unreachable_2026_12=workflow.patched(PATCH_UNREACHABLE_2026_12),
            chain_id=info.first_execution_run_id,
        )
        self._interrupting = False
        self._cancel_requested = False
        self._last_timer_at: object = None
        self._shown = _shown_search_attributes()
        self._reported: tuple[str, str] | None = None

    # ------------------------------------------------------------------------------------ run

    @workflow.run
    async def run(self, request: SchedulingRequest) -> SchedulingStatusSnapshot:
        if self._legacy is not None:
            return await self._legacy.run(request)
        core = self._core
        core.start(workflow.now())
        self._publish()
        try:
            await self._drive()
        except asyncio.CancelledError:
            # A cancel request reached a timer wait: cancel like the command does, then end Canceled.
            self._cancel_requested = True
        if self._cancel_requested and not core.end_as_canceled:
            core.temporal_cancel(workflow.now())
            self._publish()
            await self._drive()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._report_to_event()
        if core.end_as_canceled:
            raise asyncio.CancelledError("cancelled from Temporal; released and everyone told")
        return core.status()

    async def _drive(self) -> None:
        """Run commands one by one; between them, sleep until a message or the next deadline."""
        core = self._core
        while not core.finished:
            await self._report_to_event()
            if self._cancel_requested and not core.end_as_canceled:
                core.temporal_cancel(workflow.now())
                self._publish()
            command = core.next_command()
            if command is not None:
                outcome = await self._run(command)
                core.complete(command, outcome, workflow.now())
                self._publish()
                continue
            if self._continue_now():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if core.can_continue_as_new():
                    workflow.continue_as_new(core.request.model_copy(update={"carried": core.s}))
            deadline = core.deadline()
            if deadline is not None and deadline[0] <= workflow.now() and self._last_timer_at != deadline[0]:
                self._last_timer_at = deadline[0]
                core.timer(workflow.now())
                self._publish()
                continue
            timeout = None
            if deadline is not None:
                timeout = max(deadline[0] - workflow.now(), timedelta(seconds=1))
            try:
                await workflow.wait_condition(
                    lambda: bool(core.queue) or core.finished or self._continue_now(),
                    timeout=timeout,
                    timeout_summary=(deadline[1][:100] if deadline else None),
                )
            except TimeoutError:
                core.timer(workflow.now())
                self._publish()

    async def _report_to_event(self) -> None:
        """A loop a recruiting event planned: tell the event when it is booked, handed over or over."""
        slot = self._core.request.event_slot
        report = self._core.event_report()
        if slot is None or report is None or report == self._reported:
            return
        self._reported = report
        update = LoopUpdateInput(
            application_id=self._core.request.application_id, state=report[0], detail=report[1]
        )
        try:
            await workflow.get_external_workflow_handle(slot.event_workflow_id).signal(LOOP_UPDATE, update)
        except FailureError as error:  # the event has ended: the loop goes on without it
            workflow.logger.info("event_not_told", extra={"event": slot.event_workflow_id, "why": str(error)})

    # ------------------------------------------------------------------------------- commands

    async def _run(self, command: Command) -> Outcome:
        """One command as its activity, retried within its budget; every ending is an `Outcome`."""
        budget = self._core.policy.failure.budget(command.system, command.call)
        handle = self._start(command, budget)
        try:
            if command.interruptible:
                try:
                    await workflow.wait_condition(
                        lambda: handle.done() or self._core.should_interrupt(command)
                    )
                except asyncio.CancelledError:
                    self._cancel_requested = True
                if not handle.done():
                    self._interrupting = True
                    handle.cancel()
                result = await handle
            else:
                try:  # a write always finishes: its outcome tells the core what exists
                    result = await asyncio.shield(handle)
                except asyncio.CancelledError:
                    self._cancel_requested = True
                    result = await handle
        except ActivityError as error:
            return self._failed(error, budget)
        finally:
            self._interrupting = False
        return Outcome.success(result)

    def _failed(self, error: ActivityError, budget: RetryBudget) -> Outcome:
        cause = error.cause
        if isinstance(cause, CancelledError):
            if not self._interrupting:
                self._cancel_requested = True
            return Outcome.failure("Interrupted", "stopped before it finished", interrupted=True)
        if isinstance(cause, ApplicationError):
            kind = cause.type or "ApplicationError"
            return Outcome.failure(
                kind, cause.message, non_retryable=cause.non_retryable or kind in NON_RETRYABLE_ERRORS
            )
        if isinstance(cause, ActivityTimeoutError):
            last = (
                cause.cause.message if isinstance(cause.cause, ApplicationError) else str(cause.cause or "")
            )
            detail = f"; last error: {last}" if last else ""
            return Outcome.failure(
                "RetryBudgetExhausted", f"still failing after {budget.give_up_after}{detail}"
            )
        return Outcome.failure(type(cause).__name__ if cause else "ActivityError", str(cause or error))

    def _start(self, command: Command, budget: RetryBudget) -> workflow.ActivityHandle[Any]:
        queues, arg = self._core.request.queues, command.input
        harvest, planner = queues.harvest, queues.planner
        match command.kind:
            case CommandKind.GATHER:
                assert isinstance(arg, GatherInput)
                return self._call(
                    GreenhouseActivities.gather_scheduling_context, arg, command, budget, harvest
                )
            case CommandKind.FIND_OPTIONS:
                assert isinstance(arg, FindOptionsInput)
                return self._call(PlanningActivities.find_options, arg, command, budget, planner)
            case CommandKind.CHECK_OPTION:
                assert isinstance(arg, CheckOptionInput)
                return self._call(PlanningActivities.check_option, arg, command, budget, planner)
            case CommandKind.CREATE_EVENTS | CommandKind.UPDATE_EVENT:
                assert isinstance(arg, BookEventsInput)
                return self._call(CalendarActivities.book_calendar_events, arg, command, budget)
            case CommandKind.RELEASE_EVENTS:
                assert isinstance(arg, CancelEventsInput)
                return self._call(CalendarActivities.cancel_calendar_events, arg, command, budget)
            case CommandKind.READ_RESPONSES:
                assert isinstance(arg, ReadResponsesInput)
                return self._call(CalendarActivities.read_attendee_responses, arg, command, budget)
            case CommandKind.RECORD_INTERVIEWS:
                assert isinstance(arg, InterviewsInput)
                return self._call(
                    GreenhouseActivities.record_greenhouse_interviews, arg, command, budget, harvest
                )
            case CommandKind.DELETE_INTERVIEWS:
                assert isinstance(arg, InterviewsInput)
                return self._call(
                    GreenhouseActivities.delete_greenhouse_interviews, arg, command, budget, harvest
                )
            case CommandKind.UPDATE_INTERVIEW:
                assert isinstance(arg, UpdateInterviewInput)
                return self._call(
                    GreenhouseActivities.update_greenhouse_interview, arg, command, budget, harvest
                )
            case CommandKind.ADD_NOTE:
                assert isinstance(arg, NoteInput)
                return self._call(GreenhouseActivities.add_candidate_note, arg, command, budget, harvest)
            case CommandKind.SEND_EMAIL:
                assert isinstance(arg, EmailInput)
                return self._call(MailActivities.send_email, arg, command, budget)
        raise AssertionError(f"no activity for {command.kind}")

    def _call(
        self,
        method: Callable[[SelfT, ArgT], Awaitable[ResultT]],
        arg: ArgT,
        command: Command,
        budget: RetryBudget,
        task_queue: str | None = None,
    ) -> workflow.ActivityHandle[ResultT]:
        return start_within_budget(
            method,
            arg,
            budget,
            summary=command.summary,
            attempt_timeout=self._attempt_timeout(command, budget),
            task_queue=task_queue,
        )

    def _attempt_timeout(self, command: Command, budget: RetryBudget) -> timedelta:
        """One attempt's limit: the budget's, shortened by `policy.activity_timeout` (a lost worker is
        noticed sooner); planning keeps at least its budget's time to search."""
        if command.call == CallKind.PLAN:
            return max(budget.attempt_timeout, self._core.policy.activity_timeout)
        return min(budget.attempt_timeout, self._core.policy.activity_timeout)

    # --------------------------------------------------------------------------------- updates

    @workflow.update
    async def select_option(self, pick: SelectOptionInput) -> SelectOptionResult:
        """Book the picked option if it is still free; answers within seconds ("confirming" if slower)."""
        if self._legacy is not None:
            return await self._legacy.select_option(pick)
        core = self._core
        request_id = core.pick(pick, workflow.now())
        self._publish()
        answer = await self._answer(request_id, core.policy.pick_answer_within)
        outcome = answer.outcome if answer.outcome in ("booked", "unavailable") else "confirming"
        if outcome == "unavailable":  # taken: fresh options are being planned; wait for them a moment
            await self._wait_quietly(lambda: not core.retaking, core.policy.pick_answer_within)
        view = core.options_view()
        return SelectOptionResult(
            outcome=outcome,
            message=answer.message,
            booking=core.s.booking if outcome == "booked" else None,
            options=view.options if outcome == "unavailable" else [],
            offer_version=view.offer_version if outcome == "unavailable" and view.options else None,
        )

    async def _wait_quietly(self, done: Callable[[], bool], within: timedelta) -> None:
        """Wait until `done()` or `within` passes, whichever comes first (an update's bounded wait)."""
        if done():
            return
        try:
            await workflow.wait_condition(done, timeout=within, timeout_summary="answer")
        except TimeoutError:
            pass

    @select_option.validator
    def _validate_select_option(self, pick: SelectOptionInput) -> None:
        if self._legacy is not None:
            self._legacy._validate_select_option(pick)
        elif problem := self._core.pick_problem(pick, workflow.now()):
            raise ValueError(problem)

    @workflow.update
    async def propose_times(self, proposal: ProposeTimesInput) -> ProposeTimesResult:
        """Re-plan inside the candidate's windows, widening to alternates; escalate when nothing fits."""
        if self._legacy is not None:
            return await self._legacy.propose_times(proposal)
        core = self._core
        request_id = core.propose(proposal, workflow.now())
        self._publish()
        answer = await self._answer(request_id, core.policy.command_answer_within)
        offer = core.s.offer
        if answer.outcome == "options" and offer is not None:
            return ProposeTimesResult(
                outcome="options", message=answer.message, options=offer.options, offer_version=offer.version
            )
        outcome = "escalated" if answer.outcome == "escalated" else "working"
        return ProposeTimesResult(outcome=outcome, message=answer.message)

    @propose_times.validator
    def _validate_propose_times(self, proposal: ProposeTimesInput) -> None:
        if self._legacy is not None:
            self._legacy._validate_propose_times(proposal)
        elif problem := self._core.propose_problem(proposal, workflow.now()):
            raise ValueError(problem)

    @workflow.update
    async def refresh_options(self, request: RefreshOptionsInput) -> OptionsView:
        """Live options: re-planned only when older than asked (pages read `options_view` first)."""
        if self._legacy is not None:
            return await self._legacy.refresh_options(request)
        core = self._core
        if core.refresh(request.max_age_seconds, workflow.now()):
            self._publish()
            try:
                await workflow.wait_condition(
                    lambda: core.s.plan is None or core.s.plan.purpose != "refresh",
                    timeout=core.policy.pick_answer_within,
                    timeout_summary="fresh options",
                )
            except TimeoutError:
                pass
        return core.options_view()

    @refresh_options.validator
    def _validate_refresh_options(self, request: RefreshOptionsInput) -> None:
        if self._legacy is not None:
            self._legacy._validate_refresh_options(request)
        elif self._core.s.context is None:
            raise ValueError("this request is still reading the application; try again in a moment")

    @workflow.update
    async def cancel_scheduling(self, request: CancelInput) -> CommandResult:
        """Cancel: events and interviews released, candidate and interviewers told, a note written."""
        if self._legacy is not None:
            await self._legacy.cancel(request)
            return CommandResult(outcome="done", message=wording.CANCEL_DONE, state=self._legacy.s.state)
        duplicate = self._answered(request.request_id)
        request_id = self._core.cancel(request.by, request.reason, request.request_id, workflow.now())
        return await self._command_result(request_id, duplicate)

    @cancel_scheduling.validator
    def _validate_cancel_scheduling(self, request: CancelInput) -> None:
        _require_request_id(request.request_id, self._legacy is not None)

    @workflow.update
    async def reschedule_loop(self, request: RescheduleInput) -> CommandResult:
        """New options for the candidate; a booked loop stays until they pick (within the limit)."""
        if self._legacy is not None:
            await self._legacy.request_reschedule(request)
            return CommandResult(
                outcome="accepted", message=wording.RESCHEDULE_ACCEPTED, state=self._legacy.s.state
            )
        duplicate = self._answered(request.request_id)
        request_id = self._core.reschedule(request.by, request.reason, request.request_id, workflow.now())
        return await self._command_result(request_id, duplicate)

    @reschedule_loop.validator
    def _validate_reschedule_loop(self, request: RescheduleInput) -> None:
        _require_request_id(request.request_id, self._legacy is not None)

    @workflow.update
    async def apply_command(self, command: RecruiterCommandInput) -> CommandResult:
        """A recruiter's command from a note (`request_id` = the note): resume, pause, reschedule, cancel."""
        if self._legacy is not None:
            await self._legacy.recruiter_command(command)
            return CommandResult(
                outcome="accepted", message=f"{command.command}: accepted", state=self._legacy.s.state
            )
        duplicate = self._answered(command.request_id)
        request_id = self._core.recruiter_command(command, workflow.now())
        return await self._command_result(request_id, duplicate)

    @apply_command.validator
    def _validate_apply_command(self, command: RecruiterCommandInput) -> None:
        _require_request_id(command.request_id, self._legacy is not None)

    def _answered(self, request_id: str) -> bool:
        found = self._core.answer(request_id) if request_id else None
        return found is not None and found.final

    async def _command_result(self, request_id: str, duplicate: bool) -> CommandResult:
        self._publish()
        core = self._core
        answer = await self._answer(request_id, core.policy.command_answer_within)
        outcome = answer.outcome if answer.outcome in ("done", "accepted", "refused", "escalated") else "done"
        return CommandResult(
            outcome=outcome,
            message=answer.message,
            state=core.state,
            duplicate=duplicate,
        )

    async def _answer(self, request_id: str, within: timedelta) -> Answer:
        """The core's answer to a request: its final one if it comes within `within`, else the interim."""
        core = self._core
        current = core.answer(request_id)
        if current is None or not current.final:
            try:
                await workflow.wait_condition(
                    lambda: (found := core.answer(request_id)) is not None and found.final,
                    timeout=within,
                    timeout_summary="answer",
                )
            except TimeoutError:
                pass
        return core.answer(request_id) or Answer("accepted", wording.PICK_CONFIRMING, final=False)

    # --------------------------------------------------------------------------------- signals

    @workflow.signal
    async def cancel(self, request: CancelInput) -> None:
        """Fire-and-forget cancel (older senders); `cancel_scheduling` answers."""
        if self._legacy is not None:
            await self._legacy.cancel(request)
            return
        self._core.cancel(request.by, request.reason, request.request_id, workflow.now())
        self._publish()

    @workflow.signal
    async def request_reschedule(self, request: RescheduleInput) -> None:
        if self._legacy is not None:
            await self._legacy.request_reschedule(request)
            return
        self._core.reschedule(request.by, request.reason, request.request_id, workflow.now())
        self._publish()

    @workflow.signal
    async def recruiter_command(self, command: RecruiterCommandInput) -> None:
        if self._legacy is not None:
            await self._legacy.recruiter_command(command)
            return
        self._core.recruiter_command(command, workflow.now())
        self._publish()

    @workflow.signal
    async def interviewer_declined(self, decline: InterviewerDeclinedInput) -> None:
        if self._legacy is not None:
            await self._legacy.interviewer_declined(decline)
            return
        self._core.declined(decline, workflow.now())
        self._publish()

    @workflow.signal
    async def candidate_replied(self, reply: CandidateRepliedInput) -> None:
        if self._legacy is not None:
            await self._legacy.candidate_replied(reply)
            return
        self._core.candidate_replied(reply, workflow.now())
        self._publish()

    @workflow.signal
    async def application_closed(self, closed: ApplicationClosedInput) -> None:
        if self._legacy is not None:
            await self._legacy.application_closed(closed)
            return
        self._core.application_closed(closed, workflow.now())
        self._publish()

    @workflow.signal
    async def interview_deleted(self, deleted: InterviewDeletedInput) -> None:
        if self._legacy is not None:
            await self._legacy.interview_deleted(deleted)
            return
        self._core.interview_deleted(deleted.greenhouse_interview_id, workflow.now())
        self._publish()

    # --------------------------------------------------------------------------------- queries

    @workflow.query
    def status(self) -> SchedulingStatusSnapshot:
        if self._legacy is not None:
            return self._legacy.status()
        return self._core.status().model_copy(update={"chain_id": workflow.info().first_execution_run_id})

    @workflow.query
    def options_view(self) -> OptionsView:
        """What the candidate's page shows, without touching history (pages read this first)."""
        view = self._legacy._options_view() if self._legacy is not None else self._core.options_view()
        return view.model_copy(update={"chain_id": workflow.info().first_execution_run_id})

    @workflow.query
    def page_context(self) -> SchedulingContext | None:
        """The names the candidate's page shows (stage, job, panel); None while gathering."""
        return self._legacy.s.context if self._legacy is not None else self._core.s.context

    # ------------------------------------------------------------------------------- publishing

    def _publish(self) -> None:
        """Search attributes that changed, and the Markdown page in the Temporal UI."""
        core, shown = self._core, self._shown
        updates: list[SearchAttributeUpdate[Any]] = []
        if shown.get("status") != core.state.value:
            shown["status"] = core.state.value
            updates.append(keys.SCHEDULING_STATUS.value_set(core.state.value))
        context = core.s.context
        if context is not None and not shown.get("context"):
            shown["context"] = True
            updates += [
                keys.CANDIDATE_ID.value_set(context.candidate_id),
                keys.JOB_ID.value_set(context.job_id),
                keys.STAGE_NAME.value_set(context.stage_name),
            ]
            if context.recruiter_id is not None:
                updates.append(keys.RECRUITER_ID.value_set(str(context.recruiter_id)))
        booking = core.s.booking
        if booking is not None and shown.get("start") != booking.start:
            shown["start"] = booking.start
            updates.append(keys.INTERVIEW_START.value_set(booking.start))
        if updates:
            workflow.upsert_search_attributes(updates)
        request = core.request
        summary = static_summary(request.application_id, request.job_interview_stage_id)
        workflow.set_current_details(render_details(core.status(), f"**{summary}**"))

    def _continue_now(self) -> bool:
        """Between steps, when the history is long enough: continue as new with the carried state."""
        return self._core.can_continue_as_new() and self._should_continue_as_new()

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        limit = self._core.policy.continue_as_new_after_events
        if limit and info.get_current_history_length() >= limit:
            return True
        return info.is_continue_as_new_suggested()


def _require_request_id(request_id: str, legacy: bool) -> None:
    """Commands carry a stable id (a note id, a form nonce): without one a retry could act twice."""
    if not request_id and not legacy:
        raise ValueError("a request id is required, so that a retried command has one effect")


def _shown_search_attributes() -> dict[str, Any]:
    """What this execution's search attributes already say (a continued run keeps them)."""
    attributes = workflow.info().typed_search_attributes
    shown: dict[str, Any] = {}
    if (status := attributes.get(keys.SCHEDULING_STATUS)) is not None:
        shown["status"] = status
    if attributes.get(keys.CANDIDATE_ID) is not None:
        shown["context"] = True
    if (start := attributes.get(keys.INTERVIEW_START)) is not None:
        shown["start"] = start
    return shown
