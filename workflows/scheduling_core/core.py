"""SchedulingCore: the SchedulingWorkflow's decisions, with no Temporal in sight.

The shell feeds it events with the time they happen at: `start`, messages (`pick`, `cancel`, ...),
`timer` when a deadline passes, and `complete` with each command's outcome. The core moves through
the transition table (`table.py`), queues commands, and answers requests. Everything it says to
people is in `wording.py`. Being pure, it runs in milliseconds under a stateful property test.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from models.messages import (
    UNDER_WAY,
    Actor,
    ApplicationClosedInput,
    CandidateRepliedInput,
    InterviewerDeclinedInput,
    OptionsView,
    ProposeTimesInput,
    RecruiterCommandInput,
    SchedulingStatusSnapshot,
    SelectOptionInput,
)
from workflows.scheduling_core import wording
from workflows.scheduling_core.after_booking import AfterBooking
from workflows.scheduling_core.base import Answer, S
from workflows.scheduling_core.commands import Command, CommandKind, Outcome
from workflows.scheduling_core.instructions import Instructions
from workflows.scheduling_core.offering import EVENT_SLOT_OPTION
from workflows.scheduling_core.table import PICKING, TERMINAL


class SchedulingCore(Instructions, AfterBooking):
    """One scheduling request's decisions. Public methods are events; each ends by settling."""

    # --------------------------------------------------------------------------------- lifecycle

    def start(self, now: datetime) -> None:
        """The run begins: fresh, or continued with carried state."""
        self._enter("start", now)
        if self.s.context is None:
            self.s.state = S.GATHERING
            self._gather()
        elif self.state == S.GATHERING:
            self.event = "gathered"
            self._plan("offer", reason="request")
        self._settle()

    def next_command(self) -> Command | None:
        """The next command to run (one at a time), now in flight until `complete` is called."""
        if self.inflight is not None or not self.queue:
            return None
        self.inflight = self.queue.pop(0)
        return self.inflight

    def complete(self, command: Command, outcome: Outcome, now: datetime) -> None:
        """A command finished: feed its result (or its final failure) back."""
        self._enter(command.kind.value, now)
        if self.inflight is not None and self.inflight.id == command.id:
            self.inflight = None
        handlers = {
            CommandKind.GATHER: self._on_gather,
            CommandKind.CHECK_OPTION: self._on_check,
            CommandKind.CREATE_EVENTS: self._on_create,
            CommandKind.RECORD_INTERVIEWS: self._on_record,
            CommandKind.UPDATE_EVENT: self._on_update_event,
            CommandKind.UPDATE_INTERVIEW: self._on_update_interview,
            CommandKind.RELEASE_EVENTS: self._on_release,
            CommandKind.DELETE_INTERVIEWS: self._on_release,
            CommandKind.READ_RESPONSES: self._on_read,
            CommandKind.SEND_EMAIL: self._on_email,
            CommandKind.ADD_NOTE: self._on_note,
        }
        if command.kind == CommandKind.FIND_OPTIONS:
            (self._on_replacement_plan if command.tag == "replace" else self._on_plan)(command, outcome)
        else:
            handlers[command.kind](command, outcome)
        self._settle()

    def _settle(self) -> None:
        """After every event: start pending releases; finish a cancel whose effects are all gone."""
        if self.s.context is not None:
            self._pump_releases()
        if self.state == S.CANCELLING and self.quiet and not self.s.releases:
            self._go(S.CANCELLED, event="released")
            self._record(
                "cancelled",
                f"by {self.s.cancel_by}: {wording.said_by(self.s.cancel_by or '', self.s.cancel_reason)}",
            )
            for request_id, answer in list(self.answers.items()):
                if not answer.final and answer.message == wording.CANCEL_ACCEPTED:
                    self._answer(request_id, "done", wording.CANCEL_DONE)

    @property
    def quiet(self) -> bool:
        """Nothing queued or running."""
        return not self.queue and self.inflight is None

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def finished(self) -> bool:
        """Terminal, and nothing left to do or to remove: the run may return."""
        return self.terminal and self.quiet and not self.s.releases

    def can_continue_as_new(self) -> bool:
        """Only between steps: nothing in flight, nothing half-done, not over."""
        s = self.s
        return (
            self.quiet
            and not self.terminal
            and s.pending is None
            and s.plan is None
            and s.replacement is None
        )

    def should_interrupt(self, command: Command) -> bool:
        """A read in flight that a cancel made pointless."""
        return command.interruptible and (self.state == S.CANCELLING or self.terminal)

    # ---------------------------------------------------------------------------------- messages

    def pick(self, pick: SelectOptionInput, now: datetime) -> str:
        self._enter("pick", now)
        request_id = self.request_id(pick.request_id)
        self._pick(pick, request_id)
        self._settle()
        return request_id

    def propose(self, proposal: ProposeTimesInput, now: datetime) -> str:
        self._enter("propose", now)
        request_id = self.request_id(proposal.request_id)
        self._propose(proposal, request_id)
        self._settle()
        return request_id

    def refresh(self, max_age_seconds: int, now: datetime) -> bool:
        self._enter("refresh", now)
        under_way = self._refresh(max_age_seconds)
        self._settle()
        return under_way

    def cancel(self, by: Actor, reason: str, request_id: str, now: datetime) -> str:
        self._enter("cancel", now)
        request_id = self.request_id(request_id)
        self._cancel(by, reason, request_id)
        self._settle()
        return request_id

    def temporal_cancel(self, now: datetime) -> None:
        """A cancel request from the Temporal UI or CLI: the same cancel, and the run ends Canceled.

        A request that is already over stays as it ended (completed stays completed)."""
        self._enter("temporal_cancel", now)
        if self.terminal:
            return
        self.end_as_canceled = True
        self._cancel("operator", "cancelled from Temporal (UI or CLI)", "", event="temporal_cancel")
        self._settle()

    def reschedule(self, by: Actor, reason: str, request_id: str, now: datetime) -> str:
        self._enter("reschedule", now)
        request_id = self.request_id(request_id)
        self._reschedule(by, reason, request_id)
        self._settle()
        return request_id

    def recruiter_command(self, command: RecruiterCommandInput, now: datetime) -> str:
        self._enter(command.command, now)
        request_id = self.request_id(command.request_id)
        if request_id in self.answers and self.answers[request_id].final:
            return request_id
        self._record("recruiter_command", command.command)
        if command.command == "cancel":
            self._cancel("recruiter", command.note or "cancelled in Greenhouse", request_id)
        elif command.command == "reschedule":
            self._reschedule("recruiter", command.note, request_id)
        elif command.command == "pause":
            self._pause(request_id)
        else:
            self._resume(request_id)
        self._settle()
        return request_id

    def declined(self, decline: InterviewerDeclinedInput, now: datetime) -> None:
        self._enter("declined", now)
        self._declined(decline.session_id, decline.user_id)
        self._settle()

    def candidate_replied(self, reply: CandidateRepliedInput, now: datetime) -> None:
        self._enter("candidate_replied", now)
        self._candidate_replied(reply, self.request_id(""))
        self._settle()

    def application_closed(self, closed: ApplicationClosedInput, now: datetime) -> None:
        self._enter("application_closed", now)
        reason = f"application {closed.reason.replace('_', ' ')} in Greenhouse"
        self._cancel("system", reason, "", event="application_closed")
        self._settle()

    def interview_deleted(self, greenhouse_interview_id: int, now: datetime) -> None:
        self._enter("interview_deleted", now)
        self._interview_deleted(greenhouse_interview_id)
        self._settle()

    def answer(self, request_id: str) -> Answer | None:
        return self.answered(request_id)

    # ------------------------------------------------------------------------------------ timers

    def _reminder_at(self) -> datetime | None:
        offer = self.s.offer
        if offer is None:
            return None
        reminders = self.policy.reminder_after
        if self.s.reminders_sent < len(reminders):
            return offer.offered_at + reminders[self.s.reminders_sent]
        last = reminders[-1] if reminders else timedelta(0)
        return offer.offered_at + last + self.policy.escalate_after_last_reminder

    def _gather_retry_at(self) -> datetime | None:
        if self.state != S.ESCALATED or self.s.context is not None or self.s.escalated_at is None:
            return None
        return self.s.escalated_at + self.policy.release_retry_after

    def _deadlines(self) -> list[tuple[datetime, str]]:
        """Every deadline of the current state, with what it is for."""
        s, found = self.s, []
        for release in s.releases:
            if release.retry_at and not release.done:
                found.append((release.retry_at, "an outage to end (removing a replaced or cancelled loop)"))
        booking = s.booking
        if self.state in PICKING and s.offer is not None:
            if s.paused:
                found += [
                    (at, what)
                    for at, what in (
                        (self._nudge_at(), "a recruiter to resume (a reminder to them at the deadline)"),
                        (self._close_at(), "a recruiter (closing at the deadline)"),
                    )
                    if at
                ]
            elif at := self._reminder_at():
                what = "reminder" if s.reminders_sent < len(self.policy.reminder_after) else "escalation"
                found.append((at, f"the candidate to pick a time ({what} at the deadline)"))
            if self.state == S.RESCHEDULING and booking is not None:
                found.append((booking.end, "the candidate to pick new times (the booked loop stands)"))
        elif self.state == S.SCHEDULED and booking is not None:
            found.append((booking.end, "the loop to take place"))
            if s.next_rsvp_at and not self._busy_with(CommandKind.READ_RESPONSES):
                found.append((min(s.next_rsvp_at, booking.end), "the loop to take place (watching RSVPs)"))
        elif self.state == S.ESCALATED:
            if booking is not None:
                found.append((booking.end, "a recruiter command (the booked loop stands)"))
            for at, what in (
                (self._gather_retry_at(), "Greenhouse to answer again (retrying)"),
                (self._nudge_at(), "a recruiter command (resume, reschedule or cancel)"),
                (self._close_at(), "a recruiter command (closing at the deadline)"),
            ):
                if at is not None:
                    found.append((at, what))
        return found

    def deadline(self) -> tuple[datetime, str] | None:
        """The next moment something happens by itself, and what the request waits for until then."""
        found = self._deadlines()
        return min(found, key=lambda item: item[0]) if found else None

    def timer(self, now: datetime) -> None:
        """A deadline passed: do what is due (one thing per state; the next deadline follows)."""
        self._enter("timer", now)
        if any(r.retry_at and r.retry_at <= self.now and not r.done for r in self.s.releases):
            self.event = "retry_due"
        self._timer_for_state()
        self._settle()

    def _due(self, at: datetime | None) -> bool:
        return at is not None and at <= self.now

    def _timer_for_state(self) -> None:
        s, booking = self.s, self.s.booking
        if self.state in PICKING and s.offer is not None:
            if self.state == S.RESCHEDULING and booking is not None and self._due(booking.end):
                self._loop_ended()
            elif s.paused:
                self._human_deadline()
            elif self._due(self._reminder_at()):
                self._reminder_due()
        elif self.state == S.SCHEDULED and booking is not None:
            if self._due(booking.end):
                self._loop_ended()
            elif self._due(s.next_rsvp_at) and not self._busy_with(CommandKind.READ_RESPONSES):
                self.event = "rsvp_due"
                self._read_responses()
        elif self.state == S.ESCALATED:
            if booking is not None and self._due(booking.end):
                self._loop_ended()
            elif self._due(self._gather_retry_at()):
                self._go(S.GATHERING, event="retry_due")
                self._gather()
            else:
                self._human_deadline()

    def _human_deadline(self) -> None:
        if self._due(self._close_at()):
            self._close()
        elif self._due(self._nudge_at()):
            self._nudge()

    def _loop_ended(self) -> None:
        self.s.plan = None
        self._go(S.COMPLETED, event="loop_ended")
        self._record("completed", "the last session has ended")

    # ------------------------------------------------------------------------------- failures

    def _on_email(self, command: Command, outcome: Outcome) -> None:
        if outcome.ok:
            return
        key, offer, booking = command.tag, self.s.offer, self.s.booking
        self._failure(f"email {command.summary.removeprefix('email: ')}", outcome.message)
        if self.state in PICKING and offer is not None and key == f"offer/{offer.version}":
            reason = wording.invitation_failed(outcome.message, refused=outcome.non_retryable)
            self._escalate(reason, event="invitation_failed")
        elif (
            self.state == S.SCHEDULED and booking is not None and key == f"confirmation/{booking.booking_id}"
        ):
            self._escalate(
                wording.confirmation_failed(outcome.message),
                event="confirmation_failed",
                resume_state=S.SCHEDULED,
            )

    def _on_note(self, command: Command, outcome: Outcome) -> None:
        if not outcome.ok:
            self._failure("note in Greenhouse", outcome.message)

    # ------------------------------------------------------------------------------------- views

    def _waiting_for(self) -> tuple[str, datetime | None]:
        busy = {
            S.GATHERING: "Greenhouse (reading the application and interview plan)",
            S.BOOKING: "the calendars and Greenhouse (booking the picked time)",
            S.REPLACING_INTERVIEWER: "the planner and calendars (replacing an interviewer)",
            S.CANCELLING: "the calendars and Greenhouse (removing the loop)",
        }
        if self.inflight is not None and self.state not in busy:
            return f"{self.inflight.summary} {UNDER_WAY}", None
        if self.state in busy:
            return busy[self.state], None
        deadline = self.deadline()
        if deadline is None:
            return "", None
        at, what = deadline
        return wording.waiting_for(self.state, paused=self.s.paused, what=what), at

    def status(self, workflow_id: str = "") -> SchedulingStatusSnapshot:
        s = self.s
        waiting, deadline = self._waiting_for()
        return SchedulingStatusSnapshot(
            workflow_id=workflow_id or self.wid,
            application_id=self.request.application_id,
            job_interview_stage_id=self.request.job_interview_stage_id,
            state=s.state,
            candidate_time_zone=s.context.candidate_time_zone if s.context else "UTC",
            waiting_for=waiting,
            deadline=deadline,
            paused=s.paused,
            offer=s.offer,
            booking=s.booking,
            reminders_sent=s.reminders_sent,
            reschedules=s.reschedules,
            replacements=s.replacements,
            escalation_reason=s.escalation_reason,
            history=s.history,
            pending_releases=len(s.releases),
            failures=s.failures,
            replies_attributed=self.trust_2026_12,
        )

    def event_report(self) -> tuple[str, str] | None:
        """How a loop a recruiting event planned stands, for the event: (state, detail), or None yet."""
        s = self.s
        if self.request.event_slot is None:
            return None
        if s.state == S.COMPLETED:
            return ("completed", "")
        if s.state == S.CANCELLED:
            return ("cancelled", wording.said_by(s.cancel_by or "", s.cancel_reason)[:500])
        if s.booking is not None and s.state in (S.SCHEDULED, S.REPLACING_INTERVIEWER, S.RESCHEDULING):
            return ("booked", s.booking.start.isoformat())
        if s.state == S.ESCALATED:
            return ("handed_over", s.escalation_reason[:500])
        planned = s.offer is not None and any(o.option_id == EVENT_SLOT_OPTION for o in s.offer.options)
        if s.state in PICKING and s.offer is not None and not planned:
            return (
                "handed_over",
                "the planned loop could not be booked; the candidate was offered other times",
            )
        return None

    @property
    def retaking(self) -> bool:
        """A picked time was taken and fresh options are being planned (the ones on show are stale)."""
        return self.s.plan is not None and self.s.plan.purpose == "retake"

    def options_view(self) -> OptionsView:
        offer = self.s.offer
        retaking = self.retaking  # options known to be taken are not shown while fresh ones are planned
        picking = self.state in PICKING and offer is not None and not retaking
        return OptionsView(
            state=self.state,
            offer_version=offer.version if picking and offer else None,
            options=offer.options if picking and offer else [],
            expires_at=offer.expires_at if picking and offer else None,
            candidate_time_zone=self.s.context.candidate_time_zone if self.s.context else "UTC",
            booking=self.s.booking,
            message=wording.RETAKING if retaking else wording.PAGE_MESSAGES.get(self.state, ""),
            planned_at=offer.fresh_at if picking and offer else None,
            refreshing=self.s.plan is not None and self.s.plan.purpose == "refresh",
        )
