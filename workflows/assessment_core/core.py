"""The AssessmentWorkflow's decisions: invite, wait (reminders, deadline), score, write back, decide.

Pure and deterministic: every public method is an event with the current time; the core answers by
queueing commands (`next_command`) and by the time it next needs waking (`next_wake`). The shell runs
one command at a time and reports its outcome. Failures that exhaust their retry budget escalate to
the recruiter with the reason; `resume` retries the phase that failed. A provider's webhook may come
twice or late; it counts once, and only for this request's invitation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.activity_io import NoteInput
from models.assessment_io import (
    AssessmentContext,
    AssessmentEmailInput,
    AssessmentHistoryEntry,
    AssessmentRequest,
    AssessmentStatusSnapshot,
    DecisionInput,
    DecisionResult,
    ExtendInput,
    GatherAssessmentInput,
    InvitationRef,
    InviteInput,
    NotifyPartnerInput,
    WriteBackInput,
)
from models.assessments import AssessmentResult, AssessmentState, Invitation, Primitive, ProviderEvent
from workflows.assessment_core import wording
from workflows.assessment_core.commands import (
    AssessmentCommand,
    AssessmentOutcome,
    CommandInput,
)
from workflows.assessment_core.commands import AssessmentCommandKind as K
from workflows.assessment_core.table import LIVE, TERMINAL, allowed

S = AssessmentState
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HISTORY_KEPT = 50
SEEN_EVENTS_KEPT = 200
REFETCH_EVERY = timedelta(minutes=1)


class UndeclaredTransitionError(RuntimeError):
    """A move the transition table does not list (raised in strict mode)."""


@dataclass(frozen=True)
class Answer:
    outcome: str  # done | accepted | refused
    message: str


class AssessmentCore:
    """One assessment's decisions. See the module docstring."""

    def __init__(
        self,
        request: AssessmentRequest,
        workflow_id: str,
        *,
        strict: bool = False,
        lean: bool = False,
        run_tag: str = "",
    ) -> None:
        self.request = request
        self.policy = request.policy
        self.rule = request.rule
        self.wid = workflow_id
        # Keys of a run (invitation reference, notes, report) name its run chain, so a retake under the
        # same workflow id invites, notes and attaches anew. Runs started before `lean` keep the old keys.
        self.key_base = f"{workflow_id}/{run_tag}" if run_tag else workflow_id
        # Lean runs spend fewer Harvest requests: no stage list or recruiter lookup up front, no lookup
        # before a key's first post, and the move advances to the next stage by itself.
        self.lean = lean
        self.issued_keys: set[str] = set()
        self.strict = strict
        self.state = S.GATHERING
        self.context: AssessmentContext | None = None
        self.invitation: Invitation | None = None
        self.result: AssessmentResult | None = None
        self.deadline: datetime | None = None
        self.attempt = 0
        self.extensions = 0
        self.sent_reminders: list[str] = []
        self.next_poll: datetime | None = None
        self.refetch_at: datetime | None = None
        self.score_due: datetime | None = None
        self.resume_to: S | None = None
        self.escalation_reason = ""
        self.decision = ""
        self.end_state: S = S.CANCELLED
        self.seen_events: list[str] = []
        self.answers: dict[str, Answer] = {}
        self.history: list[AssessmentHistoryEntry] = []
        self.queue: list[AssessmentCommand] = []
        self.inflight: AssessmentCommand | None = None
        self.now = EPOCH
        self.event = ""
        self._ids = 0

    # ------------------------------------------------------------------------------------ plumbing

    @property
    def test(self) -> str:
        return self.request.test_name

    @property
    def done(self) -> bool:
        return self.state in TERMINAL and self.inflight is None and not self.queue

    def _enter(self, event: str, now: datetime) -> None:
        self.event = event
        self.now = max(now, self.now)

    def _go(self, target: S, event: str | None = None) -> None:
        source, name = self.state, event or self.event
        if target == source:
            return
        if not allowed(source, name, target):
            if self.strict:
                raise UndeclaredTransitionError(f"{source.value} --{name}--> {target.value}")
            self._record("undeclared_transition", f"{source.value} --{name}--> {target.value}")
        self.state = target

    def _record(self, event: str, detail: str = "") -> None:
        self.history.append(AssessmentHistoryEntry(at=self.now, event=event, detail=detail[:500]))
        del self.history[:-HISTORY_KEPT]

    def _issue(self, kind: K, arg: CommandInput, summary: str) -> None:
        self._ids += 1
        self.queue.append(AssessmentCommand(id=self._ids, kind=kind, input=arg, summary=summary))

    def next_command(self) -> AssessmentCommand | None:
        """The next command to run, now in flight; None while one is running or nothing is queued."""
        if self.inflight is not None or not self.queue:
            return None
        self.inflight = self.queue.pop(0)
        return self.inflight

    def _first_issue(self, key: str) -> bool:
        """True the first time a lean run asks for `key` (its first attempt need not look for a post)."""
        first = self.lean and key not in self.issued_keys
        self.issued_keys.add(key)
        return first

    def _note(self, key: str, body: str) -> None:
        if self.context is None:
            return
        full = f"{self.key_base}/{key}"
        self._issue(
            K.ADD_NOTE,
            NoteInput(
                key=full,
                candidate_id=self.context.candidate_id,
                application_id=self.context.application_id,
                body=body,
                first_issue=self._first_issue(full),
            ),
            "note in Greenhouse",
        )

    def _to_recruiter(self) -> tuple[list[str], int | None] | None:
        """Who a mail to the recruiter goes to: the address read at the start, or (lean) their user id."""
        if self.context is None:
            return None
        if self.context.recruiter_email:
            return [self.context.recruiter_email], None
        if self.lean and self.context.recruiter_id is not None:
            return [], self.context.recruiter_id
        return None

    def _escalate(self, reason: str, resume_to: S) -> None:
        self.escalation_reason = reason
        self.resume_to = resume_to
        self._go(S.ESCALATED)
        self._record("escalated", reason)
        key = f"escalation/{len([h for h in self.history if h.event == 'escalated'])}"
        self._note(key, wording.escalation_note(self.test, reason))
        recipient = self._to_recruiter()
        if self.context is not None and recipient is not None:
            self._issue(
                K.SEND_EMAIL,
                AssessmentEmailInput(
                    key=f"{self.key_base}/{key}",
                    template="assessment_escalation",
                    to=recipient[0],
                    to_user_id=recipient[1],
                    job_name=self.context.job_name,
                    test_name=self.test,
                    reason=reason,
                ),
                "email the recruiter",
            )

    def _answer(self, request_id: str, outcome: str, message: str) -> Answer:
        answer = Answer(outcome, message)
        if request_id:
            self.answers[request_id] = answer
        return answer

    # -------------------------------------------------------------------------------------- events

    def start(self, now: datetime) -> None:
        """The run begins: read the application first."""
        self._enter("start", now)
        self._record("started", f"{self.request.source}: {self.test}")
        self._gather()

    def _gather(self) -> None:
        self._issue(
            K.GATHER,
            GatherAssessmentInput(
                application_id=self.request.application_id,
                expected_email_sha256=self.request.expected_email_sha256,
                lean=self.lean,
            ),
            "read the application",
        )

    def on_outcome(self, command: AssessmentCommand, outcome: AssessmentOutcome, now: datetime) -> None:
        """The in-flight command finished (or finally failed)."""
        self.now = max(now, self.now)
        if self.inflight is not None and self.inflight.id == command.id:
            self.inflight = None
        handler = {
            K.GATHER: self._on_gather,
            K.INVITE: self._on_invite,
            K.FETCH_RESULT: self._on_result,
            K.WRITE_BACK: self._on_written_back,
            K.DECIDE: self._on_decided,
            K.CANCEL_INVITE: self._on_invite_cancelled,
        }.get(command.kind)
        if handler is not None:
            handler(command, outcome)
        elif not outcome.ok:
            self._record("failed", f"{command.summary}: {outcome.message}"[:300])

    def provider_event(self, event: ProviderEvent, now: datetime) -> None:
        """A verified provider webhook: counted once, and only for this request's invitation."""
        self._enter(f"provider_{event.kind}", now)
        if event.event_id in self.seen_events or not self._ours(event):
            return
        self.seen_events.append(event.event_id)
        del self.seen_events[:-SEEN_EVENTS_KEPT]
        self._record(f"provider_{event.kind}")
        if event.kind in ("completed", "report_updated", "expired") and self.state == S.WAITING:
            self._go(S.SCORING, "provider_completed")
            self._fetch()

    def _ours(self, event: ProviderEvent) -> bool:
        invitation = self.invitation
        if invitation is None or event.provider != invitation.provider:
            return False
        if event.invitation_id is not None:
            return event.invitation_id == invitation.invitation_id
        candidate = self.context.candidate if self.context else None
        return bool(
            candidate
            and event.email
            and event.email.strip().lower() == candidate.email.strip().lower()
            and (event.test_id is None or event.test_id == self.request.test_id)
        )

    def tick(self, now: datetime) -> None:
        """A timer fired: reminders, polling, the deadline, a score that is late."""
        self._enter("tick", now)
        if self.state == S.WAITING and self.deadline is not None:
            if now >= self.deadline:
                self._go(S.SCORING, "deadline_passed")
                self._fetch()  # one last look: it may have been finished a moment ago
                return
            self._remind_if_due()
            if self.next_poll is not None and now >= self.next_poll:
                self._go(S.SCORING, "poll_due")
                self._fetch()
        elif self.state == S.SCORING and self.refetch_at is not None and now >= self.refetch_at:
            self.refetch_at = None
            self._fetch()

    def _remind_if_due(self) -> None:
        assert self.deadline is not None and self.invitation is not None and self.context is not None
        candidate = self.context.candidate
        if candidate is None:
            return
        for before in sorted(self.policy.reminders_before, reverse=True):
            due = self.deadline - before
            key = f"reminder/{int(self.deadline.timestamp())}/{int(before.total_seconds())}"
            if self.now < due or key in self.sent_reminders or due < self.invitation.invited_at:
                continue
            self.sent_reminders.append(key)
            self._record("reminder_sent", f"{before} before the deadline")
            self._issue(
                K.SEND_EMAIL,
                AssessmentEmailInput(
                    key=f"{self.key_base}/{key}",
                    template="assessment_reminder",
                    to=[candidate.email],
                    recipient_name=candidate.first_name,
                    time_zone=candidate.time_zone,
                    job_name=self.context.job_name,
                    test_name=self.test,
                    test_url=self.invitation.test_url,
                    deadline=self.deadline,
                    candidate_id=self.context.candidate_id,
                    application_id=self.context.application_id,
                ),
                "remind the candidate",
            )
            return  # one reminder per tick: two due at once (a late start) send the nearer one first

    def extend(self, by: timedelta, request_id: str, now: datetime) -> Answer:
        """A recruiter extends the deadline (`@Hireflow extend the assessment by 3 days`)."""
        self._enter("extend", now)
        if request_id in self.answers:
            return self.answers[request_id]
        if self.state != S.WAITING or self.invitation is None or self.deadline is None:
            return self._answer(request_id, "refused", wording.NOT_WAITING)
        if self.extensions >= self.policy.max_extensions:
            return self._answer(request_id, "refused", wording.EXTEND_LIMIT)
        self.extensions += 1
        self.deadline = max(self.deadline, self.now) + by
        self._record("extended", f"until {wording.when(self.deadline)}")
        self._issue(
            K.EXTEND,
            ExtendInput(
                provider=self.invitation.provider,
                invitation_id=self.invitation.invitation_id,
                deadline=self.deadline,
            ),
            "extend the deadline at the provider",
        )
        return self._answer(
            request_id, "done", f"{wording.EXTENDED} New deadline: {wording.when(self.deadline)}."
        )

    def cancel(self, by: str, reason: str, request_id: str, now: datetime) -> Answer:
        """A recruiter, an operator or the system cancels: the invitation is withdrawn at the provider."""
        self._enter("cancel", now)
        if request_id in self.answers:
            return self.answers[request_id]
        if self.state not in LIVE:
            return self._answer(request_id, "refused", wording.ALREADY_OVER)
        self._stop(S.CANCELLED, wording.cancelled_note(self.test, by, reason))
        return self._answer(request_id, "accepted", wording.CANCEL_ACCEPTED)

    def application_closed(self, reason: str, now: datetime) -> None:
        """Rejected, hired or withdrawn in Greenhouse: stop and withdraw the invitation."""
        self._enter("application_closed", now)
        if self.state in LIVE:
            self._stop(S.CANCELLED, wording.cancelled_note(self.test, "system", reason))

    def resume(self, request_id: str, now: datetime) -> Answer:
        """A recruiter resumes an escalated assessment: the phase that failed runs again."""
        self._enter("resume", now)
        if request_id in self.answers:
            return self.answers[request_id]
        if self.state != S.ESCALATED or self.resume_to is None:
            return self._answer(request_id, "refused", wording.NOT_ESCALATED)
        target, self.resume_to = self.resume_to, None
        self.escalation_reason = ""
        self._go(target)
        self._record("resumed", target.value)
        {
            S.GATHERING: self._gather,
            S.INVITING: self._invite,
            S.SCORING: self._fetch,
            S.WRITING_BACK: self._write_back,
            S.DECIDING: self._decide,
        }[target]()
        return self._answer(request_id, "accepted", wording.RESUMED)

    # ------------------------------------------------------------------------------------- phases

    def _on_gather(self, _: AssessmentCommand, outcome: AssessmentOutcome) -> None:
        self.event = "gathered"
        if self.state != S.GATHERING:
            return
        if not outcome.ok or not isinstance(outcome.result, AssessmentContext):
            self._escalate(wording.gather_failed(outcome.message), S.GATHERING)
            return
        self.context = outcome.result
        if self.context.status != "in_process":
            self.end_state = S.CANCELLED
            self._go(S.CANCELLED)
            self._record("cancelled", wording.APPLICATION_CLOSED)
            return
        if self.context.candidate is None:
            self._escalate(self.context.no_email_reason or wording.NO_EMAIL, S.GATHERING)
            return
        self._go(S.INVITING)
        self._invite()

    def _invite(self) -> None:
        assert self.context is not None and self.context.candidate is not None
        if self.attempt == 0 or self.deadline is None:
            self.attempt += 1
            self.deadline = self.now + self.policy.deadline
        self._issue(
            K.INVITE,
            InviteInput(
                provider=self.request.provider,
                reference=f"{self.key_base}/invite/{self.attempt}",
                test_id=self.request.test_id,
                candidate=self.context.candidate,
                deadline=self.deadline,
                job_name=self.context.job_name,
            ),
            "invite the candidate",
        )

    def _on_invite(self, _: AssessmentCommand, outcome: AssessmentOutcome) -> None:
        if self.state == S.CANCELLING:  # cancelled while inviting: withdraw what was sent
            if outcome.ok and isinstance(outcome.result, Invitation):
                self.invitation = outcome.result
            self._withdraw()
            return
        if self.state != S.INVITING:
            return
        if not outcome.ok or not isinstance(outcome.result, Invitation):
            self.event = "invite_failed"
            failed = wording.invite_refused if outcome.non_retryable else wording.invite_failed
            self._escalate(failed(outcome.message), S.INVITING)
            return
        self.event = "invited"
        self.invitation = outcome.result
        self.deadline = outcome.result.deadline
        self._go(S.WAITING)
        self._record("invited", f"deadline {wording.when(self.deadline)}")
        self._schedule_poll()

    def _schedule_poll(self) -> None:
        self.next_poll = self.now + self.policy.poll_every if self.policy.poll_every else None

    def _fetch(self) -> None:
        assert self.invitation is not None
        self._issue(
            K.FETCH_RESULT,
            InvitationRef(provider=self.invitation.provider, invitation_id=self.invitation.invitation_id),
            "read the result",
        )

    def _on_result(self, _: AssessmentCommand, outcome: AssessmentOutcome) -> None:
        if self.state != S.SCORING:
            return
        if not outcome.ok or not isinstance(outcome.result, AssessmentResult):
            self.event = "result_failed"
            self._escalate(wording.result_failed(outcome.message), S.SCORING)
            return
        self.event = "result"
        result = outcome.result
        self.result = result
        if result.scored:
            self._go(S.WRITING_BACK)
            self._record("scored", wording.score_line(result))
            self._write_back()
        elif result.status == "completed":
            self.score_due = self.score_due or self.now + self.policy.score_wait
            if self.now >= self.score_due:
                self.event = "result_failed"
                minutes = int(self.policy.score_wait.total_seconds() // 60)
                self._escalate(wording.no_score(minutes), S.SCORING)
            else:
                self.refetch_at = self.now + REFETCH_EVERY
        elif result.status in ("expired", "cancelled") or (self.deadline and self.now >= self.deadline):
            self._stop(S.EXPIRED, wording.expired_note(self.test, self.deadline or self.now))
        else:
            self._go(S.WAITING)
            self._schedule_poll()

    def _values(self, result: AssessmentResult) -> dict[str, Primitive]:
        available: dict[str, Primitive | None] = {
            "score": result.score,
            "max_score": result.max_score,
            "percentile": result.percentile,
            "status": result.status,
            "report_url": result.report_url,
            **result.details,
        }
        return {
            name_key: value
            for field, name_key in self.request.field_map.items()
            if (value := available.get(field)) is not None
        }

    def _write_back(self) -> None:
        assert self.context is not None and self.result is not None and self.invitation is not None
        self._issue(
            K.WRITE_BACK,
            WriteBackInput(
                key=(key := f"{self.key_base}/result/{self.attempt}"),
                first_issue=self._first_issue(key),
                application_id=self.context.application_id,
                candidate_id=self.context.candidate_id,
                values=self._values(self.result),
                note=wording.result_note(self.test, self.result),
                report=InvitationRef(
                    provider=self.invitation.provider, invitation_id=self.invitation.invitation_id
                ),
            ),
            "write the result to Greenhouse",
        )

    def _on_written_back(self, _: AssessmentCommand, outcome: AssessmentOutcome) -> None:
        if self.state != S.WRITING_BACK:
            return
        if not outcome.ok:
            self.event = "write_back_failed"
            self._escalate(wording.write_back_failed(outcome.message), S.WRITING_BACK)
            return
        self.event = "written_back"
        self._record("written_back")
        if self.request.partner_callback_url:
            self._issue(
                K.NOTIFY_PARTNER,
                NotifyPartnerInput(key=f"{self.key_base}/partner", url=self.request.partner_callback_url),
                "tell Greenhouse the test is complete",
            )
        if self.rule.threshold is None:
            self.end_state = S.COMPLETED
            self._go(S.COMPLETED)
            return
        self._go(S.DECIDING)
        self._decide()

    def _decide(self) -> None:
        assert self.context is not None and self.result is not None and self.result.score is not None
        threshold, score = self.rule.threshold, self.result.score
        assert threshold is not None
        advance = score >= threshold
        if advance:
            what = wording.advanced_note(self.test, threshold, score)
            arg = DecisionInput(
                key=f"{self.key_base}/decision",
                application_id=self.context.application_id,
                action="advance",
                from_stage_id=self.context.stage_id,
                to_stage_id=self.rule.advance_to_stage_id or self.context.next_stage_id,
            )
        elif self.rule.below == "reject":
            what = wording.rejected_note(self.test, threshold, score)
            arg = DecisionInput(
                key=f"{self.key_base}/decision",
                application_id=self.context.application_id,
                action="reject",
                from_stage_id=self.context.stage_id,
                rejection_reason_id=self.rule.rejection_reason_id,
            )
        else:
            self._finish_decision("review", wording.review_note(self.test, threshold, score))
            return
        if self.rule.dry_run:
            self._finish_decision(f"dry run: {arg.action}", wording.dry_run_note(what))
            return
        self.decision = f"{arg.action} (under way)"
        self._issue(K.DECIDE, arg, f"{arg.action} the application")

    def _finish_decision(self, decision: str, note: str) -> None:
        self.decision = decision
        self._note("decision", note)
        self.event = "decided"
        self.end_state = S.COMPLETED
        self._go(S.COMPLETED)
        self._record("decided", decision)

    def _on_decided(self, command: AssessmentCommand, outcome: AssessmentOutcome) -> None:
        if self.state != S.DECIDING or not isinstance(command.input, DecisionInput):
            return
        if not outcome.ok:
            self.event = "decision_failed"
            self._escalate(wording.decision_failed(outcome.message), S.DECIDING)
            return
        assert self.result is not None and self.result.score is not None and self.rule.threshold is not None
        result = outcome.result
        if isinstance(result, DecisionResult) and result.outcome == "moved_meanwhile":
            self._finish_decision("skipped: moved meanwhile", wording.moved_meanwhile_note(self.test))
        elif command.input.action == "advance":
            self._finish_decision(
                "advanced", wording.advanced_note(self.test, self.rule.threshold, self.result.score)
            )
        else:
            self._finish_decision(
                "rejected", wording.rejected_note(self.test, self.rule.threshold, self.result.score)
            )

    # --------------------------------------------------------------------------------------- ends

    def _stop(self, end: S, note: str) -> None:
        """Withdraw the invitation (if any), tell the recruiter, end as `end` once it is withdrawn."""
        self.end_state = end
        self._go(S.CANCELLING, "cancel" if end == S.CANCELLED else self.event)
        if self.state != S.CANCELLING:  # the table allowed no move (strict mode raised already)
            self.state = S.CANCELLING
        self._note(f"end/{end.value}", note)
        recipient = self._to_recruiter()
        if end == S.EXPIRED and self.context is not None and recipient is not None:
            self._issue(
                K.SEND_EMAIL,
                AssessmentEmailInput(
                    key=f"{self.key_base}/expired",
                    template="assessment_escalation",
                    to=recipient[0],
                    to_user_id=recipient[1],
                    job_name=self.context.job_name,
                    test_name=self.test,
                    reason=note,
                ),
                "tell the recruiter",
            )
        if self.inflight is not None and self.inflight.kind == K.INVITE:
            return  # its outcome withdraws what it sent
        self._withdraw()

    def _withdraw(self) -> None:
        if self.invitation is None:
            self._ended()
            return
        self._issue(
            K.CANCEL_INVITE,
            InvitationRef(provider=self.invitation.provider, invitation_id=self.invitation.invitation_id),
            "withdraw the invitation",
        )

    def _on_invite_cancelled(self, _: AssessmentCommand, outcome: AssessmentOutcome) -> None:
        if not outcome.ok:
            self._record("withdraw_failed", outcome.message[:300])
        self._ended()

    def _ended(self) -> None:
        self.event = "invitation_cancelled"
        self._go(self.end_state)
        self._record(self.end_state.value)

    # -------------------------------------------------------------------------------------- views

    def next_wake(self) -> datetime | None:
        """When a timer must fire next (reminders, polling, the deadline, a late score)."""
        if self.state == S.WAITING and self.deadline is not None:
            times = [self.deadline]
            if self.next_poll is not None:
                times.append(self.next_poll)
            if self.invitation is not None:
                for before in self.policy.reminders_before:
                    due = self.deadline - before
                    key = f"reminder/{int(self.deadline.timestamp())}/{int(before.total_seconds())}"
                    if key not in self.sent_reminders and due >= self.invitation.invited_at:
                        times.append(due)
            return min(times)
        if self.state == S.SCORING and self.refetch_at is not None:
            return self.refetch_at
        return None

    def waiting_for(self) -> str:
        return {
            S.GATHERING: "Greenhouse (reading the application)",
            S.INVITING: "the provider (sending the invitation)",
            S.WAITING: "the candidate to complete the test",
            S.SCORING: "the provider's result",
            S.WRITING_BACK: "Greenhouse (writing the result)",
            S.DECIDING: "Greenhouse (carrying out the decision)",
            S.ESCALATED: "a recruiter",
            S.CANCELLING: "the provider (withdrawing the invitation)",
        }.get(self.state, "")

    def status(self) -> AssessmentStatusSnapshot:
        result = self.result
        return AssessmentStatusSnapshot(
            workflow_id=self.wid,
            application_id=self.request.application_id,
            test_name=self.test,
            state=self.state.value,
            deadline=self.deadline,
            reminders_sent=len(self.sent_reminders),
            extensions=self.extensions,
            invitation_id=self.invitation.invitation_id if self.invitation else None,
            score=result.score if result else None,
            max_score=result.max_score if result else None,
            percentile=result.percentile if result else None,
            report_url=result.report_url if result else None,
            decision=self.decision,
            escalation_reason=self.escalation_reason,
            waiting_for=self.waiting_for(),
            history=list(self.history),
        )
