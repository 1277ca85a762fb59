"""AssessmentWorkflow: the thin Temporal shell around `workflows.assessment_core`.

It runs the core's commands as typed activities (one at a time, retried within their failure budget),
feeds their outcomes back as events, sleeps until the core's next deadline or a message, and keeps
the Temporal UI's details and search attributes current. Signals only record; updates that need an
answer (extend, cancel, resume) have validators and stable ids.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as ActivityTimeoutError

with workflow.unsafe.imports_passed_through():
    from activities.assessments import AssessmentActivities
    from activities.greenhouse import GreenhouseActivities
    from models import temporal_keys as keys
    from models.activity_io import NoteInput
    from models.assessment_io import (
        AssessmentAnswer,
        AssessmentEmailInput,
        AssessmentRequest,
        AssessmentStatusSnapshot,
        DecisionInput,
        ExtendAssessmentInput,
        ExtendInput,
        GatherAssessmentInput,
        InvitationRef,
        InviteInput,
        NotifyPartnerInput,
        ResumeAssessmentInput,
        StopAssessmentInput,
        WriteBackInput,
    )
    from models.assessments import ProviderEvent, assessment_static_summary
    from models.failure_policy import NON_RETRYABLE_ERRORS, FailurePolicy, RetryBudget, System
    from models.inert_text import escape_markdown as md
    from models.messages import ApplicationClosedInput
    from workflows.assessment_core import (
        AssessmentCommand,
        AssessmentCommandKind,
        AssessmentCore,
        AssessmentOutcome,
    )
    from workflows.retry import start_within_budget

K = AssessmentCommandKind
SelfT = TypeVar("SelfT")
ArgT = TypeVar("ArgT")
ResultT = TypeVar("ResultT")
ATTEMPT_TIMEOUT = timedelta(minutes=1)
PATCH_LEAN_2026_12 = "assessment-lean-2026-12"
"""Runs started with it key their writes by run chain (a retake writes anew) and spend fewer Harvest
requests (`AssessmentCore.lean`); runs started before replay as they ran."""


@workflow.defn
class AssessmentWorkflow:
    """Invites a candidate to a test, waits, writes the result back and decides, however long it takes."""

    @workflow.init
    def __init__(self, request: AssessmentRequest) -> None:
        info = workflow.info()
        lean = workflow.patched(PATCH_LEAN_2026_12)
        self._core = AssessmentCore(
            request, info.workflow_id, lean=lean, run_tag=info.first_execution_run_id[:8] if lean else ""
        )
        self._failure = FailurePolicy()
        self._cancel_requested = False
        self._last_tick: object = None
        self._shown: dict[str, object] = {}

    @workflow.run
    async def run(self, request: AssessmentRequest) -> AssessmentStatusSnapshot:
        core = self._core
        core.start(workflow.now())
        self._publish()
        try:
            await self._drive()
        except asyncio.CancelledError:  # a Temporal cancel reached a wait: cancel like the command
            self._cancel_requested = True
        if self._cancel_requested and not core.done:
            core.cancel("operator", "cancelled from Temporal", "temporal-cancel", workflow.now())
            self._publish()
            await self._drive()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return core.status()

    async def _drive(self) -> None:
        core = self._core
        while not core.done:
            command = core.next_command()
            if command is not None:
                outcome = await self._run(command)
                core.on_outcome(command, outcome, workflow.now())
                self._publish()
                continue
            wake = core.next_wake()
            if wake is not None and wake <= workflow.now() and self._last_tick != wake:
                self._last_tick = wake
                core.tick(workflow.now())
                self._publish()
                continue
            timeout = max(wake - workflow.now(), timedelta(seconds=1)) if wake is not None else None
            try:
                await workflow.wait_condition(
                    lambda: bool(core.queue) or core.done, timeout=timeout, timeout_summary="next deadline"
                )
            except TimeoutError:
                core.tick(workflow.now())
                self._publish()

    # ------------------------------------------------------------------------------- commands

    async def _run(self, command: AssessmentCommand) -> AssessmentOutcome:
        budget = self._failure.budget(command.system, command.call)
        try:
            result = await asyncio.shield(self._start(command, budget))
        except asyncio.CancelledError:
            self._cancel_requested = True
            return AssessmentOutcome.failure("Interrupted", "stopped before it finished")
        except ActivityError as error:
            return _failed(error, budget)
        return AssessmentOutcome.success(result)

    def _start(self, command: AssessmentCommand, budget: RetryBudget) -> workflow.ActivityHandle[Any]:
        arg = command.input
        match command.kind:
            case K.GATHER:
                assert isinstance(arg, GatherAssessmentInput)
                return self._call(AssessmentActivities.gather_assessment_context, arg, command, budget)
            case K.INVITE:
                assert isinstance(arg, InviteInput)
                return self._call(AssessmentActivities.invite_candidate, arg, command, budget)
            case K.EXTEND:
                assert isinstance(arg, ExtendInput)
                return self._call(AssessmentActivities.extend_invitation, arg, command, budget)
            case K.CANCEL_INVITE:
                assert isinstance(arg, InvitationRef)
                return self._call(AssessmentActivities.cancel_invitation, arg, command, budget)
            case K.FETCH_RESULT:
                assert isinstance(arg, InvitationRef)
                return self._call(AssessmentActivities.fetch_assessment_result, arg, command, budget)
            case K.WRITE_BACK:
                assert isinstance(arg, WriteBackInput)
                return self._call(AssessmentActivities.write_assessment_result, arg, command, budget)
            case K.DECIDE:
                assert isinstance(arg, DecisionInput)
                return self._call(AssessmentActivities.decide_application, arg, command, budget)
            case K.NOTIFY_PARTNER:
                assert isinstance(arg, NotifyPartnerInput)
                return self._call(AssessmentActivities.notify_greenhouse_partner, arg, command, budget)
            case K.SEND_EMAIL:
                assert isinstance(arg, AssessmentEmailInput)
                return self._call(AssessmentActivities.send_assessment_email, arg, command, budget)
            case K.ADD_NOTE:
                assert isinstance(arg, NoteInput)
                return self._call(GreenhouseActivities.add_candidate_note, arg, command, budget)
        raise AssertionError(f"no activity for {command.kind}")

    def _call(
        self,
        method: Callable[[SelfT, ArgT], Awaitable[ResultT]],
        arg: ArgT,
        command: AssessmentCommand,
        budget: RetryBudget,
    ) -> workflow.ActivityHandle[ResultT]:
        queues = self._core.request.queues
        return start_within_budget(
            method,
            arg,
            budget,
            summary=command.summary,
            attempt_timeout=min(budget.attempt_timeout, ATTEMPT_TIMEOUT),
            task_queue=queues.harvest if command.system == System.GREENHOUSE else None,
        )

    # --------------------------------------------------------------------------------- messages

    @workflow.signal
    async def provider_event(self, event: ProviderEvent) -> None:
        """A verified provider webhook (the web app checked its signature)."""
        self._core.provider_event(event, workflow.now())
        self._publish()

    @workflow.signal
    async def application_closed(self, closed: ApplicationClosedInput) -> None:
        self._core.application_closed(closed.reason, workflow.now())
        self._publish()

    @workflow.update
    async def extend(self, request: ExtendAssessmentInput) -> AssessmentAnswer:
        # `by` is `days` alone for payloads written before `hours` existed: the same timedelta on replay.
        answer = self._core.extend(request.by, request.request_id, workflow.now())
        self._publish()
        return AssessmentAnswer(
            outcome=answer.outcome,
            message=answer.message,
            state=self._core.state.value,
            deadline=self._core.deadline,
        )

    @extend.validator
    def _validate_extend(self, request: ExtendAssessmentInput) -> None:
        if request.by < timedelta(hours=1):
            raise ValueError("extend by at least one hour")

    @workflow.update
    async def cancel(self, request: StopAssessmentInput) -> AssessmentAnswer:
        answer = self._core.cancel(request.by, request.reason, request.request_id, workflow.now())
        self._publish()
        return AssessmentAnswer(outcome=answer.outcome, message=answer.message, state=self._core.state.value)

    @cancel.validator
    def _validate_cancel(self, request: StopAssessmentInput) -> None:
        if not request.request_id.strip():
            raise ValueError("a cancel needs a request id")

    @workflow.update
    async def resume(self, request: ResumeAssessmentInput) -> AssessmentAnswer:
        answer = self._core.resume(request.request_id, workflow.now())
        self._publish()
        return AssessmentAnswer(outcome=answer.outcome, message=answer.message, state=self._core.state.value)

    @resume.validator
    def _validate_resume(self, request: ResumeAssessmentInput) -> None:
        if not request.request_id.strip():
            raise ValueError("a resume needs a request id")

    @workflow.query
    def status(self) -> AssessmentStatusSnapshot:
        return self._core.status()

    # ------------------------------------------------------------------------------- publishing

    def _publish(self) -> None:
        """Search attributes that changed, and the Markdown details in the Temporal UI."""
        core, shown = self._core, self._shown
        updates: list[SearchAttributeUpdate[Any]] = []
        if shown.get("status") != core.state.value:
            shown["status"] = core.state.value
            updates.append(keys.ASSESSMENT_STATUS.value_set(core.state.value))
        if core.context is not None and not shown.get("context"):
            shown["context"] = True
            updates += [
                keys.CANDIDATE_ID.value_set(core.context.candidate_id),
                keys.JOB_ID.value_set(core.context.job_id),
            ]
        score = core.result.score if core.result else None
        if score is not None and shown.get("score") != score:
            shown["score"] = score
            updates.append(keys.ASSESSMENT_SCORE.value_set(score))
        if updates:
            workflow.upsert_search_attributes(updates)
        workflow.set_current_details(
            render_details(
                core.status(), assessment_static_summary(core.request.application_id, core.request.test_name)
            )
        )


def _failed(error: ActivityError, budget: RetryBudget) -> AssessmentOutcome:
    cause = error.cause
    if isinstance(cause, ApplicationError):
        kind = cause.type or "ApplicationError"
        return AssessmentOutcome.failure(
            kind, cause.message, non_retryable=cause.non_retryable or kind in NON_RETRYABLE_ERRORS
        )
    if isinstance(cause, ActivityTimeoutError):
        return AssessmentOutcome.failure(
            "RetryBudgetExhausted", f"still failing after {budget.give_up_after}"
        )
    return AssessmentOutcome.failure(type(cause).__name__ if cause else "ActivityError", str(cause or error))


def render_details(status: AssessmentStatusSnapshot, summary: str) -> str:
    """The Markdown page of one assessment in the Temporal UI (no candidate data)."""
    lines = [f"**{md(summary)}**", "", f"## {status.state.replace('_', ' ').capitalize()}", ""]
    if status.waiting_for:
        lines.append(f"**Waiting for:** {status.waiting_for}")
    if status.deadline:
        lines.append(f"**Deadline:** {status.deadline:%a %d %b %Y %H:%M} UTC")
    lines.append(f"**Reminders:** {status.reminders_sent} · **Extensions:** {status.extensions}")
    if status.score is not None:
        out_of = f" / {status.max_score:g}" if status.max_score else ""
        lines.append(f"**Score:** {status.score:g}{out_of}")
    if status.decision:
        lines.append(f"**Decision:** {md(status.decision)}")
    if status.escalation_reason:
        lines.append(f"**Why a recruiter is needed:** {md(status.escalation_reason)}")
    if status.history:
        lines += ["", "### Last events", ""]
        lines += [f"- {e.at:%d %b %H:%M} — **{e.event}** {md(e.detail)}" for e in status.history[-8:]]
    return "\n".join(lines)
