"""After booking: RSVPs, an interviewer's decline and their replacement from the same pool."""

from __future__ import annotations

from models.activity_io import (
    BookEventsInput,
    FindOptionsResult,
    PinSpec,
    ReadResponsesInput,
    ReadResponsesResult,
    SessionsResult,
    UpdateInterviewInput,
)
from models.messages import BookedSession, PendingReplacement
from workflows.scheduling_core import wording
from workflows.scheduling_core.base import CoreBase, S
from workflows.scheduling_core.commands import Command, CommandKind, Outcome
from workflows.scheduling_core.offering import blocker_text


class AfterBooking(CoreBase):
    """Watching a booked loop and repairing its panel."""

    def _read_responses(self) -> None:
        booking = self.s.booking
        assert booking is not None
        self.s.next_rsvp_at = self.now + self.policy.rsvp_poll_interval
        arg = ReadResponsesInput(workflow_id=self.wid, sessions=booking.sessions, people=self.context.people)
        self._issue(CommandKind.READ_RESPONSES, arg, "read RSVPs", interruptible=True)

    def _on_read(self, command: Command, outcome: Outcome) -> None:
        if self.state != S.SCHEDULED or self.s.booking is None:
            return
        if not outcome.ok:
            self._failure("reading RSVPs", outcome.message)
            return
        assert isinstance(outcome.result, ReadResponsesResult)
        for response in outcome.result.responses:
            if response.response == "declined" and self._declined(response.session_id, response.user_id):
                return  # one repair at a time; the next poll comes right after it

    def _declined(self, session_id: str, user_id: int) -> bool:
        """Handle one decline of the current loop; True when it started a repair or an escalation."""
        booking = self.s.booking
        key = f"{session_id}:{user_id}"
        if self.state != S.SCHEDULED or booking is None or key in self.s.handled_declines:
            return False
        session = next((s for s in booking.sessions if s.session_id == session_id), None)
        if session is None or user_id not in session.interviewers:
            return False
        if self.fixes_2026_12 and self.s.plan is not None and self.s.plan.purpose != "refresh":
            # A new loop is being planned: it leaves them out; if this loop stays, a later poll repairs it.
            if user_id not in self.s.excluded_interviewers:
                self.s.excluded_interviewers.append(user_id)
                self._record("decline_deferred", f"{self._name(user_id)} declined {session.name}")
            return False
        self.s.handled_declines.append(key)
        who = self._name(user_id)
        self.event = "declined"
        self._record("interviewer_declined", f"{who} declined {session.name}")
        if session.start - self.now < self.policy.decline_replace_cutoff:
            self._escalate(wording.late_decline(who, session.name))
            return True
        if self.s.replacements >= self.policy.max_replacements:
            self._escalate(wording.replacement_limit(who, session.name))
            return True
        if user_id not in self.s.excluded_interviewers:
            self.s.excluded_interviewers.append(user_id)
        self.s.replacement = PendingReplacement(session_id=session_id, user_id=user_id, original=session)
        self._go(S.REPLACING_INTERVIEWER)
        self._find(widen=False, pinned=self._pins(session, user_id), tag="replace")
        return True

    def _pins(self, declined: BookedSession, user_id: int) -> list[PinSpec]:
        booking = self.s.booking
        assert booking is not None
        return [
            PinSpec(
                session_id=s.session_id,
                start=s.start,
                interviewers=[i for i in s.interviewers if i != user_id]
                if s.session_id == declined.session_id
                else s.interviewers,
                room=s.room,
            )
            for s in booking.sessions
        ]

    def _repair(self) -> PendingReplacement | None:
        return self.s.replacement if self.state == S.REPLACING_INTERVIEWER else None

    def _on_replacement_plan(self, command: Command, outcome: Outcome) -> None:
        repair = self._repair()
        if repair is None:
            return
        who, name = self._name(repair.user_id), repair.original.name
        if not outcome.ok:
            self._failure("planning a replacement", outcome.message)
            self._replacement_failed(wording.replacement_write_failed(who, name, outcome.message))
            return
        assert isinstance(outcome.result, FindOptionsResult)
        found = outcome.result
        placement = next(
            (
                p
                for p in (found.options[0].placements if found.options else [])
                if p.session == repair.session_id
            ),
            None,
        )
        if placement is None and repair.step == "plan":
            repair.step = "plan_wide"
            self._find(widen=True, pinned=self._pins(repair.original, repair.user_id), tag="replace")
            return
        if placement is None:
            self._replacement_failed(wording.nobody_replaces(who, name, blocker_text(found)))
            return
        booking = self.s.booking
        assert booking is not None
        repair.newcomers = [i for i in placement.interviewers if i not in repair.original.interviewers]
        repair.updated = repair.original.model_copy(update={"interviewers": placement.interviewers})
        repair.step = "event"
        self.event = "replacement_found"
        self._update_event(repair.updated, booking.sequence + 1, "replace")

    def _update_event(self, session: BookedSession, sequence: int, tag: str) -> None:
        arg = BookEventsInput(
            workflow_id=self.wid,
            context=self.context,
            mode=self.policy.mode,
            sessions=[session],
            sequence=sequence,
        )
        self._issue(CommandKind.UPDATE_EVENT, arg, "update the calendar event with the replacement", tag=tag)

    def _on_update_event(self, command: Command, outcome: Outcome) -> None:
        repair = self._repair()
        if repair is None:
            return
        if command.tag == "revert":
            if not outcome.ok:
                self._failure("restoring the calendar event", outcome.message)
            self._replacement_failed(repair.failure)
            return
        if not outcome.ok:
            self._failure("updating the calendar event", outcome.message)
            who = self._name(repair.user_id)
            self._revert(repair, wording.replacement_write_failed(who, repair.original.name, outcome.message))
            return
        assert isinstance(outcome.result, SessionsResult)
        repair.updated = outcome.result.sessions[0]
        if self.fixes_2026_12 and self._live_interview_id(repair.session_id) is None:
            self._finish_replacement(repair)  # deleted in Greenhouse meanwhile: nothing to update there
            return
        repair.step = "interview"
        self._issue(
            CommandKind.UPDATE_INTERVIEW,
            UpdateInterviewInput(session=repair.updated),
            "update the Greenhouse interview panel",
            tag="replace",
        )

    def _live_interview_id(self, session_id: str) -> int | None:
        """The session's Greenhouse interview as the booking knows it now (None once deleted there)."""
        booking = self.s.booking
        assert booking is not None
        return next(s.greenhouse_interview_id for s in booking.sessions if s.session_id == session_id)

    def _revert(self, repair: PendingReplacement, failure: str) -> None:
        """Put the event back to the panel Greenhouse still shows, then escalate."""
        booking = self.s.booking
        assert booking is not None
        repair.failure = failure
        repair.step = "revert"
        self._update_event(repair.original, booking.sequence + 2, "revert")

    def _on_update_interview(self, command: Command, outcome: Outcome) -> None:
        repair = self._repair()
        if repair is None or repair.updated is None:
            return
        who = self._name(repair.user_id)
        if not outcome.ok:
            self._failure("updating the Greenhouse interview", outcome.message)
            self._revert(repair, wording.replacement_write_failed(who, repair.original.name, outcome.message))
            return
        self._finish_replacement(repair)

    def _finish_replacement(self, repair: PendingReplacement) -> None:
        """The new panel is on the calendar (and in Greenhouse): make it the booking, tell the newcomers."""
        booking = self.s.booking
        assert booking is not None and repair.updated is not None
        who = self._name(repair.user_id)
        # The booking's own interview id wins: a deletion in Greenhouse during the repair must stick.
        updated = (
            repair.updated.model_copy(
                update={"greenhouse_interview_id": self._live_interview_id(repair.session_id)}
            )
            if self.fixes_2026_12
            else repair.updated
        )
        sessions = [updated if s.session_id == repair.session_id else s for s in booking.sessions]
        self.s.booking = booking.model_copy(update={"sessions": sessions, "sequence": booking.sequence + 1})
        self.s.replacements += 1
        self.s.replacement = None
        self.s.next_rsvp_at = self.now  # another decline may be waiting
        for newcomer in repair.newcomers:
            person = self.context.person(newcomer)
            if person and person.email:
                self._email(
                    "interviewer_notice",
                    f"replacement/{self.s.replacements}/{newcomer}",
                    person,
                    sessions=[updated],
                    reason=f"{who} can no longer attend",
                )
        newcomers = ", ".join(self._name(i) for i in repair.newcomers)
        self._note(
            f"replacement/{self.s.replacements}", wording.replacement_note(who, updated.name, newcomers)
        )
        self._record("interviewer_replaced", f"{who} → {newcomers}")
        self._go(S.SCHEDULED, event="replacement_done")
        # An interview deleted in Greenhouse during the repair: a person decides now.
        if self.fixes_2026_12 and repair.deleted_sessions:
            self._escalate(wording.interview_deleted(repair.deleted_sessions[0]), event="interview_deleted")

    def _replacement_failed(self, reason: str) -> None:
        repair, self.s.replacement = self.s.replacement, None
        if self.fixes_2026_12 and repair and repair.deleted_sessions:
            reason = f"{reason}; also, {wording.interview_deleted(repair.deleted_sessions[0])}"
        self._escalate(reason, event="replacement_failed", resume_state=S.SCHEDULED)
