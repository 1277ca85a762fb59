"""The booking saga and the releases that keep Hireflow from leaving anything behind.

A booking attempt creates calendar events, then Greenhouse interviews, then confirms. A step that
finally fails hands everything the attempt may have created to a `Release`, so compensation is
the same code as releasing a replaced loop or cancelling: delete the interviews, cancel the
events, by key, until both are gone (retried after an outage; reported if it never ends).
"""

from __future__ import annotations

from models.activity_io import (
    BookEventsInput,
    CancelEventsInput,
    CheckOptionResult,
    InterviewsInput,
    SessionsResult,
)
from models.messages import BookedSession, Booking, PendingBooking, Release
from workflows.scheduling_core import wording
from workflows.scheduling_core.base import CoreBase, S
from workflows.scheduling_core.commands import Command, CommandKind, Outcome


class BookingSaga(CoreBase):
    """Check, create, record, confirm; compensate and escalate when a step gives up."""

    def _attempt(self, command: Command) -> PendingBooking | None:
        """The attempt this outcome belongs to, if it is still the one under way."""
        pending = self.s.pending
        if pending is None or self.state != S.BOOKING or command.tag != pending.booking_id:
            return None
        return pending

    def _on_check(self, command: Command, outcome: Outcome) -> None:
        pending = self._attempt(command)
        if pending is None:
            return
        if not outcome.ok:
            self._failure("re-checking the pick", outcome.message)
            self.s.pending = None
            self._answer(pending.request_id, "unavailable", wording.PICK_FAILED)
            self._escalate(
                wording.check_failed(outcome.message), event="check_failed", resume_state=pending.return_state
            )
            return
        assert isinstance(outcome.result, CheckOptionResult)
        if not outcome.result.valid:
            self._record("option_taken", "; ".join(outcome.result.violations)[:300])
            self.s.pending = None
            self._go(pending.return_state, event="option_taken")
            self._answer(pending.request_id, "unavailable", wording.PICK_TAKEN)  # the page shows fresh ones
            self._plan("retake")
            return
        pending.step = "events"
        self.event = "option_checked"
        arg = BookEventsInput(
            workflow_id=self.wid, context=self.context, mode=self.policy.mode, sessions=pending.sessions
        )
        self._issue(CommandKind.CREATE_EVENTS, arg, "create calendar events", tag=pending.booking_id)

    def _on_create(self, command: Command, outcome: Outcome) -> None:
        pending = self._attempt(command)
        if pending is None:
            self._carry_into_release(command.tag, outcome)
            return
        if not outcome.ok:
            self._failure("creating calendar events", outcome.message)
            # No interview was recorded yet; the events, some or all, may exist: release them by key.
            self._release(pending.booking_id, pending.sessions, "booking failed", interviews_done=True)
            self._booking_failed(pending, wording.events_failed(outcome.message))
            return
        assert isinstance(outcome.result, SessionsResult)
        pending.sessions = outcome.result.sessions
        pending.step = "interviews"
        self.event = "events_created"
        arg = InterviewsInput(
            application_id=self.context.application_id, sessions=pending.sessions, first_issue=True
        )
        self._issue(
            CommandKind.RECORD_INTERVIEWS, arg, "record interviews in Greenhouse", tag=pending.booking_id
        )

    def _on_record(self, command: Command, outcome: Outcome) -> None:
        pending = self._attempt(command)
        if pending is None:
            self._carry_into_release(command.tag, outcome)
            return
        if not outcome.ok:
            self._failure("recording Greenhouse interviews", outcome.message)
            self._release(pending.booking_id, pending.sessions, "booking failed")
            self._booking_failed(pending, wording.interviews_failed(outcome.message))
            return
        assert isinstance(outcome.result, SessionsResult)
        self._confirm(pending, outcome.result.sessions)

    def _booking_failed(self, pending: PendingBooking, reason: str) -> None:
        self.s.pending = None
        self._answer(pending.request_id, "unavailable", wording.PICK_FAILED)
        self._escalate(reason, event="booking_failed", resume_state=pending.return_state)

    def _confirm(self, pending: PendingBooking, sessions: list[BookedSession]) -> None:
        """The new loop is booked: it takes over from any loop before it, which is released."""
        previous = self.s.booking
        booking = Booking(booking_id=pending.booking_id, sessions=sessions, confirmed_at=self.now)
        self.s.booking = booking
        self.s.pending = None
        self.s.bookings_made += 1
        self.s.candidate_windows = []
        self.s.next_rsvp_at = self.now + self.policy.rsvp_poll_interval
        self._go(S.SCHEDULED, event="interviews_recorded")
        self._record("booked", f"{len(sessions)} session(s) from {booking.start.isoformat()}")
        self._email_candidate(
            "reschedule" if previous else "confirmation",
            f"confirmation/{booking.booking_id}",
            sessions=sessions,
            previous=previous.sessions if previous else None,
            ics_method="REQUEST",
            sequence=self.s.bookings_made - 1,
        )
        self._note(f"booked/{booking.booking_id}", wording.booking_note(self.context, booking))
        if previous is not None:
            self._release(previous.booking_id, previous.sessions, "rescheduled")
        self._answer(pending.request_id, "booked", wording.PICK_BOOKED)

    # --------------------------------------------------------------------------------- releases

    def _release(
        self, booking_id: str, sessions: list[BookedSession], reason: str, *, interviews_done: bool = False
    ) -> None:
        """Hand effects to the release list; `_pump_releases` removes them."""
        if any(r.booking_id == booking_id for r in self.s.releases):
            return
        self.s.releases.append(
            Release(booking_id=booking_id, sessions=sessions, reason=reason, interviews_done=interviews_done)
        )
        self._record("release", f"{booking_id.rsplit('-', 1)[-1]}: {reason}")

    def _carry_into_release(self, booking_id: str, outcome: Outcome) -> None:
        """An attempt's step finished after the attempt was dropped: its ids help the release find it."""
        if not outcome.ok or not isinstance(outcome.result, SessionsResult):
            return
        for release in self.s.releases:
            if release.booking_id == booking_id:
                found = {s.session_id: s for s in outcome.result.sessions}
                release.sessions = [found.get(s.session_id, s) for s in release.sessions]

    def _pump_releases(self) -> None:
        for release in self.s.releases:
            if release.done or (release.retry_at is not None and self.now < release.retry_at):
                continue
            # Greenhouse and the calendars are released independently: one being down never holds the other.
            tag = release.booking_id
            if not release.interviews_done and not self._busy_with(CommandKind.DELETE_INTERVIEWS, tag):
                arg = InterviewsInput(application_id=self.context.application_id, sessions=release.sessions)
                self._issue(CommandKind.DELETE_INTERVIEWS, arg, "delete Greenhouse interviews", tag=tag)
            if not release.events_done and not self._busy_with(CommandKind.RELEASE_EVENTS, tag):
                events = CancelEventsInput(
                    workflow_id=self.wid, sessions=release.sessions, reason=release.reason
                )
                self._issue(CommandKind.RELEASE_EVENTS, events, "cancel calendar events", tag=tag)

    def _on_release(self, command: Command, outcome: Outcome) -> None:
        release = next((r for r in self.s.releases if r.booking_id == command.tag), None)
        if release is None:
            return
        if outcome.ok:
            if command.kind == CommandKind.DELETE_INTERVIEWS:
                release.interviews_done = True
            else:
                release.events_done = True
            release.retry_at = None
        else:
            self._release_failed(release, outcome.message)
        if release.done:
            self._record("released", f"{release.booking_id.rsplit('-', 1)[-1]}: {release.reason}")
            self.s.releases = [r for r in self.s.releases if not r.done]

    def _release_failed(self, release: Release, message: str) -> None:
        self._failure("releasing a loop", message)
        release.failed_at = release.failed_at or self.now
        if self.now - release.failed_at >= self.policy.release_give_up_after:
            notice = wording.release_gave_up_note(release.sessions, self.policy.release_give_up_after)
            self._note(f"release-gave-up/{release.booking_id}", notice)
            recruiter = self._recruiter()  # by email too: Greenhouse may be what is down
            if recruiter and recruiter.email and self.fixes_2026_12:
                self._email(
                    "recruiter_escalation", f"release-gave-up/{release.booking_id}", recruiter, reason=notice
                )
            release.events_done = release.interviews_done = True
            return
        release.retry_at = self.now + self.policy.release_retry_after
        if not release.recruiter_told:
            release.recruiter_told = True
            self._note(
                f"release-trouble/{release.booking_id}",
                wording.release_trouble_note(release.sessions, message, self.policy.release_retry_after),
            )
