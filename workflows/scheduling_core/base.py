"""The decision core's state and the moves every part of it shares.

No Temporal here: the core is fed events (messages, timers, command outcomes) with the time they
happen at, changes its state only through the transition table, and queues commands for the shell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from models.activity_io import (
    EmailInput,
    FindOptionsInput,
    NoteInput,
    PinSpec,
)
from models.messages import (
    Actor,
    BookedSession,
    CarriedState,
    HistoryEntry,
    PendingPlan,
    Person,
    ReplyRole,
    SchedulingContext,
    SchedulingRequest,
    SchedulingState,
    StoredReply,
)
from workflows.scheduling_core import wording
from workflows.scheduling_core.commands import Command, CommandInput, CommandKind
from workflows.scheduling_core.table import allowed

S = SchedulingState
HISTORY_KEPT = 50
REPLIES_KEPT = 100
FAILURES_KEPT = 20
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EmailTemplate = Literal[
    "invitation",
    "reminder",
    "confirmation",
    "reschedule",
    "cancellation",
    "interviewer_notice",
    "recruiter_escalation",
    "cancel_confirmation",
]
NoticeAction = Literal["scheduled", "rescheduled", "cancelled"]


class UndeclaredTransitionError(RuntimeError):
    """The core tried a move the transition table does not list (a bug; strict mode raises it)."""


@dataclass
class Answer:
    """The answer to one request id: final, or interim while the outcome is still being worked out."""

    outcome: str
    message: str
    final: bool = True


class CoreBase:
    """State, queue and shared moves. Subclasses add the handlers of each phase."""

    def __init__(
        self,
        request: SchedulingRequest,
        workflow_id: str,
        *,
        strict: bool = False,
        fixes_2026_12: bool = True,
        trust_2026_12: bool = True,
        unreachable_2026_12: bool = True,
        chain_id: str = "",
    ) -> None:
        self.request = request
        self.policy = request.policy
        self.wid = workflow_id
        self.s: CarriedState = migrate(request.carried) if request.carried else CarriedState()
        self.queue: list[Command] = []
        self.inflight: Command | None = None
        self.answers: dict[str, Answer] = {a.request_id: Answer(a.outcome, a.message) for a in self.s.replies}
        self.now = EPOCH
        self.event = ""
        self.strict = strict
        # Decisions corrected on 2026-12-05 (a decline while a new loop is planned, an interview deleted
        # during a replacement, a release given up told by email too). Executions created before
        # replay the old decisions: the shell passes `workflow.patched(PATCH_CORE_FIXES_2026_12)`.
        self.fixes_2026_12 = fixes_2026_12
        # Replies attributed (2026-12-07): only the candidate's own authenticated address acts for them,
        # an emailed cancel asks for a click, interviewers' replies are theirs. Older executions keep
        # the old reading: the shell passes `workflow.patched(PATCH_TRUST_2026_12)`.
        self.trust_2026_12 = trust_2026_12
        # A candidate who cannot be emailed (no address, or "can email" off) escalates when options are
        # found, and a resume reads Greenhouse again (2026-12-07). Older executions waited for the
        # no-answer escalation: the shell passes `workflow.patched(PATCH_UNREACHABLE_2026_12)`.
        self.unreachable_2026_12 = unreachable_2026_12
        self.chain_id = chain_id
        self.moves: list[tuple[S, str, S]] = []
        self.end_as_canceled = False
        self._ids = 0
        self._auto = 0

    # ------------------------------------------------------------------------------ state moves

    @property
    def state(self) -> S:
        return self.s.state

    def _enter(self, event: str, now: datetime) -> None:
        self.event = event
        self.now = max(now, self.now)

    def _go(self, target: S, *, event: str | None = None) -> None:
        """Move to `target` if the table allows it for the current event."""
        source, name = self.s.state, event or self.event
        if target == source:
            return
        if not allowed(source, name, target):
            if self.strict:
                raise UndeclaredTransitionError(f"{source.value} --{name}--> {target.value}")
            self._record("undeclared_transition", f"{source.value} --{name}--> {target.value}")
        self.moves.append((source, name, target))
        self.s.state = target

    def _record(self, event: str, detail: str = "") -> None:
        self.s.history.append(HistoryEntry(at=self.now, event=event, detail=detail[:500]))
        del self.s.history[:-HISTORY_KEPT]

    def _failure(self, what: str, message: str) -> None:
        self.s.failures.append(f"{self.now:%Y-%m-%d %H:%M} {what}: {message}"[:300])
        del self.s.failures[:-FAILURES_KEPT]
        self._record("failed", f"{what}: {message}")

    # ----------------------------------------------------------------------------------- commands

    def _issue(
        self,
        kind: CommandKind,
        arg: CommandInput,
        summary: str,
        *,
        tag: str = "",
        interruptible: bool = False,
        front: bool = False,
    ) -> Command:
        self._ids += 1
        command = Command(
            id=self._ids, kind=kind, input=arg, summary=summary, tag=tag, interruptible=interruptible
        )
        if front:
            self.queue.insert(0, command)
        else:
            self.queue.append(command)
        return command

    def _busy_with(self, kind: CommandKind, tag: str | None = None) -> bool:
        """A command of this kind (and tag) is queued or running."""
        commands = [*self.queue, *([self.inflight] if self.inflight else [])]
        return any(c.kind == kind and (tag is None or c.tag == tag) for c in commands)

    def _once(self, key: str) -> bool:
        """True the first time a purpose key is seen: each email and note is issued at most once."""
        if key in self.s.sent_keys:
            return False
        self.s.sent_keys.append(key)
        return True

    @property
    def context(self) -> SchedulingContext:
        assert self.s.context is not None, "gathering has not run"
        return self.s.context

    def _email(
        self,
        template: EmailTemplate,
        key: str,
        recipient: Person,
        *,
        sessions: list[BookedSession] | None = None,
        previous: list[BookedSession] | None = None,
        ics_method: Literal["REQUEST", "CANCEL"] | None = None,
        sequence: int = 0,
        reason: str = "",
        notice_action: NoticeAction = "scheduled",
    ) -> None:
        if recipient.email is None or not self._once(f"email/{key}"):
            return
        offer = self.s.offer
        arg = EmailInput(
            key=f"{self.wid}/{key}",
            template=template,
            to=[recipient.email],
            recipient_name=recipient.name,
            recipient_time_zone=recipient.time_zone,
            context=self.context,
            booking_sessions=sessions or [],
            previous_sessions=previous or [],
            options=offer.options if offer and not sessions else [],
            expires_at=offer.expires_at if offer else None,
            reason=reason,
            notice_action=notice_action,
            reply_token_workflow_id=self.wid,
            reply_role=_reply_role(template),
            reply_user_id=recipient.user_id if _reply_role(template) != "candidate" else None,
            chain_id=self.chain_id,
            ics_method=ics_method,
            ics_uid=f"{self.wid}-loop" if ics_method else None,
            ics_sequence=sequence,
        )
        self._issue(CommandKind.SEND_EMAIL, arg, f"email: {template}", tag=key)

    def _candidate(self) -> Person | None:
        context = self.context
        if not context.candidate_email:
            return None
        return Person(
            user_id=0,
            name=context.candidate_first_name or "there",
            email=context.candidate_email,
            time_zone=context.candidate_time_zone,
        )

    def _email_candidate(
        self,
        template: EmailTemplate,
        key: str,
        *,
        sessions: list[BookedSession] | None = None,
        previous: list[BookedSession] | None = None,
        ics_method: Literal["REQUEST", "CANCEL"] | None = None,
        sequence: int = 0,
        reason: str = "",
    ) -> None:
        candidate = self._candidate()
        if candidate is None:
            self._record("email_skipped", f"{template}: the candidate has no email address")
            return
        self._email(
            template,
            key,
            candidate,
            sessions=sessions,
            previous=previous,
            ics_method=ics_method,
            sequence=sequence,
            reason=reason,
        )

    def _recruiter(self) -> Person | None:
        context = self.context
        return context.person(context.recruiter_id) if context.recruiter_id else None

    def _note(self, key: str, body: str) -> None:
        if self.s.context is None or not self._once(f"note/{key}"):
            return
        context = self.context
        arg = NoteInput(
            key=f"{self.wid}/{key}",
            candidate_id=context.candidate_id,
            application_id=context.application_id,
            body=body,
            # `_once` issues each note key once per chain: the first attempt need not look for an
            # earlier post (one Harvest read saved; retries still look). Input only, no new command.
            first_issue=True,
        )
        self._issue(CommandKind.ADD_NOTE, arg, "note in Greenhouse", tag=key)

    def _name(self, user_id: int) -> str:
        person = self.s.context.person(user_id) if self.s.context else None
        return person.name if person else f"user {user_id}"

    # --------------------------------------------------------------------------------- planning

    def _plan(
        self,
        purpose: Literal["offer", "refresh", "negotiate", "reschedule", "retake", "resume"],
        *,
        widen_if_empty: bool = False,
        reason: str = "",
        by: Actor = "system",
        request_id: str = "",
    ) -> None:
        """Ask the planner for fresh options for the whole loop; the answer arrives as `options_found`."""
        self.s.plan = PendingPlan(
            purpose=purpose, widen_if_empty=widen_if_empty, reason=reason, by=by, request_id=request_id
        )
        self._find(widen=False, interruptible=purpose == "refresh")

    def _find(
        self,
        *,
        widen: bool,
        pinned: list[PinSpec] | None = None,
        interruptible: bool = False,
        tag: str = "plan",
    ) -> None:
        booking = self.s.booking
        arg = FindOptionsInput(
            workflow_id=self.wid,
            context=self.context,
            policy=self.policy,
            window_start=self.now,
            candidate_windows=self.s.candidate_windows,
            excluded_interviewers=self.s.excluded_interviewers,
            pinned=pinned or [],
            widen=widen,
            # Our own booked loop is not busy time for its replacement.
            ignore_event_keys=[s.event_key for s in booking.sessions] if booking else [],
            offer_version=(self.s.offer.version + 1) if self.s.offer else 1,
        )
        self._issue(
            CommandKind.FIND_OPTIONS,
            arg,
            "read calendars and plan options",
            tag=tag,
            interruptible=interruptible,
        )

    # ------------------------------------------------------------------------------- escalation

    def _escalate(self, reason: str, *, event: str | None = None, resume_state: S | None = None) -> None:
        """Hand the request to the recruiter: note in Greenhouse, email, then wait for a command."""
        if event:
            self.event = event
        if resume_state is not None and self.s.state != S.ESCALATED:
            self.s.resume_state = resume_state
        elif self.s.state != S.ESCALATED:
            self.s.resume_state = S.SCHEDULED if self.s.booking else _picking_or_offered(self.s.state)
        self.s.escalations += 1
        self.s.escalation_reason = reason
        self.s.escalated_at = self.now
        self.s.nudges_sent = 0
        self.s.plan = None
        self._go(S.ESCALATED)
        self._record("escalated", reason)
        if self.s.context is None:
            return  # nobody to tell yet: the Temporal UI shows it, and gathering is retried
        self._note(
            f"escalation/{self.s.escalations}", wording.escalation_note(self.context.stage_name, reason)
        )
        recruiter = self._recruiter()
        if recruiter and recruiter.email:
            self._email("recruiter_escalation", f"escalation/{self.s.escalations}", recruiter, reason=reason)

    # ---------------------------------------------------------------------------------- answers

    def request_id(self, given: str) -> str:
        """The caller's stable id, or one of our own (signals from older senders carry none)."""
        if given:
            return given
        self._auto += 1
        return f"auto-{self.s.escalations}-{len(self.s.history)}-{self._auto}"

    def _answer(self, request_id: str, outcome: str, message: str, *, final: bool = True) -> None:
        if not request_id:
            return
        self.answers[request_id] = Answer(outcome, message, final)
        if final:
            self.s.replies = [r for r in self.s.replies if r.request_id != request_id]
            self.s.replies.append(StoredReply(request_id=request_id, outcome=outcome, message=message))
            del self.s.replies[:-REPLIES_KEPT]

    def answered(self, request_id: str) -> Answer | None:
        return self.answers.get(request_id)


def _picking_or_offered(state: S) -> S:
    return state if state in (S.OFFERED, S.NEGOTIATING, S.RESCHEDULING) else S.OFFERED


def migrate(carried: CarriedState) -> CarriedState:
    """A run continued from before the state machine: its old loop of a reschedule is the booking."""
    state = carried.model_copy(deep=True)
    if state.replaced_booking is not None:
        if state.booking is None:
            state.booking = state.replaced_booking
        state.replaced_booking = None
    if state.booking_attempts == 0 and (state.bookings_made or state.escalations):
        # A legacy failed attempt may have used key b<made + 1>: never reuse it.
        state.booking_attempts = state.bookings_made + 1
    return state


def _reply_role(template: str) -> ReplyRole:
    """Whose reply address a template's recipient gets (each role its own, signed)."""
    if template == "interviewer_notice":
        return "interviewer"
    if template == "recruiter_escalation":
        return "recruiter"
    return "candidate"
