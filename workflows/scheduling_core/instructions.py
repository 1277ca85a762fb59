"""What people and Greenhouse ask of a request: cancel, reschedule, pause, resume, replies, closures.

Each instruction carries a request id; its answer is stored, so a retried note or a double click
gets the same answer and has no second effect.
"""

from __future__ import annotations

from datetime import datetime

from models.messages import Actor, CandidateRepliedInput, ProposeTimesInput, SelectOptionInput
from workflows.scheduling_core import wording
from workflows.scheduling_core.base import CoreBase, S
from workflows.scheduling_core.booking import BookingSaga
from workflows.scheduling_core.commands import CommandKind
from workflows.scheduling_core.offering import Offering
from workflows.scheduling_core.replies import ReplyAttribution
from workflows.scheduling_core.table import PICKING, TERMINAL
from workflows.scheduling_core.working_days import add_working_days

BUSY = frozenset({S.BOOKING, S.REPLACING_INTERVIEWER, S.GATHERING})


class Instructions(Offering, BookingSaga, ReplyAttribution, CoreBase):
    """Cancel, reschedule, pause and resume; email replies; Greenhouse closing or deleting things."""

    # ---------------------------------------------------------------------------------- cancel

    def _cancel(self, by: Actor, reason: str, request_id: str, *, event: str = "cancel") -> None:
        self.event = event
        if request_id in self.answers and self.answers[request_id].final:
            return
        if self.state == S.CANCELLED:
            self._answer(request_id, "done", wording.ALREADY_CANCELLED)
            return
        if self.state == S.COMPLETED:
            self._answer(request_id, "refused", wording.ALREADY_COMPLETED)
            return
        if self.state == S.CANCELLING:
            self._answer(request_id, "accepted", wording.CANCEL_ACCEPTED, final=False)
            return
        self.s.cancel_by, self.s.cancel_reason = by, reason
        pending, booking = self.s.pending, self.s.booking
        if pending is not None:  # an attempt under way is released like any other
            self.s.pending = None
            self._release(pending.booking_id, pending.sessions, "cancelled while booking")
            self._answer(pending.request_id, "unavailable", wording.ALREADY_CANCELLED)
        self._drop_plan("this request was cancelled")
        self.s.replacement = None
        # Work queued for the old state no longer matters; releases still do.
        self.queue = [
            c for c in self.queue if c.kind in (CommandKind.RELEASE_EVENTS, CommandKind.DELETE_INTERVIEWS)
        ]
        self._go(S.CANCELLING)
        self._record("cancel_requested", f"by {by}: {wording.said_by(by, reason)}")
        if booking is not None:
            self.s.booking = None
            self._release(booking.booking_id, booking.sessions, reason or "cancelled")
        if self.s.context is not None:
            self._pump_releases()
        if booking is not None:
            self._email_candidate(
                "cancellation",
                f"cancellation/{booking.booking_id}",
                sessions=booking.sessions,
                ics_method="CANCEL",
                sequence=self.s.bookings_made,
                reason=reason,
            )
            for session in booking.sessions:
                for user_id in [*session.interviewers, *([session.trainee] if session.trainee else [])]:
                    person = self.context.person(user_id)
                    if person and person.email:
                        self._email(
                            "interviewer_notice",
                            f"cancellation/{booking.booking_id}/{session.session_id}/{user_id}",
                            person,
                            sessions=[session],
                            reason=reason,
                            notice_action="cancelled",
                        )
        self._note("cancelled", wording.cancel_note(by, reason))
        self._answer(request_id, "accepted", wording.CANCEL_ACCEPTED, final=False)

    # ------------------------------------------------------------------------------ reschedule

    def _reschedule(self, by: Actor, reason: str, request_id: str) -> None:
        self.event = "reschedule"
        if request_id in self.answers and self.answers[request_id].final:
            return
        if self.state in TERMINAL or self.state == S.CANCELLING:
            self._answer(request_id, "refused", wording.refused(self.state, "rescheduling"))
            return
        if self.state in BUSY or (self.s.plan is not None and self.s.plan.purpose != "refresh"):
            self._answer(request_id, "refused", wording.RESCHEDULE_BUSY)
            return
        if self.s.context is None:  # the application was never read: asking again means reading it again
            self._resume(request_id)
            self._answer(request_id, "accepted", wording.RESUMED_REREADING)  # final: a retry has no effect
            return
        self._drop_plan("")
        self._record("reschedule_requested", f"by {by}: {wording.said_by(by, reason)}")
        if self.s.booking is None:
            # Nothing booked yet: fresh options are the whole answer.
            self.s.paused, self.s.paused_at = False, None
            self._plan("offer", reason=f"new options asked by {by}", by=by, request_id=request_id)
            self._answer(request_id, "accepted", wording.RESCHEDULE_ACCEPTED, final=False)
            return
        if self.state in PICKING:  # rescheduling already: the candidate gets fresh options
            self._plan("offer", reason=f"new options asked by {by}", by=by, request_id=request_id)
            self._answer(request_id, "accepted", wording.RESCHEDULE_ACCEPTED, final=False)
            return
        if self.s.reschedules >= self.policy.max_reschedules and by != "recruiter":
            self._answer(request_id, "escalated", wording.reschedule_limit_reply(self.policy.max_reschedules))
            self._escalate(wording.reschedule_limit(by, self.policy.max_reschedules))
            return
        self._plan("reschedule", widen_if_empty=True, by=by, reason=reason, request_id=request_id)
        self._answer(request_id, "accepted", wording.RESCHEDULE_ACCEPTED, final=False)

    # ------------------------------------------------------------------------------ pause, resume

    def _pause(self, request_id: str) -> None:
        self.event = "pause"
        if self.state in TERMINAL or self.state == S.CANCELLING:
            self._answer(request_id, "refused", wording.refused(self.state, "pausing"))
            return
        if self.s.paused:
            self._answer(request_id, "done", wording.ALREADY_PAUSED)
            return
        self.s.paused, self.s.paused_at, self.s.nudges_sent = True, self.now, 0
        self._record("paused")
        self._answer(request_id, "done", wording.PAUSED)

    def _resume(self, request_id: str) -> None:
        self.event = "resume"
        if self.state in TERMINAL or self.state == S.CANCELLING:
            self._answer(request_id, "refused", wording.refused(self.state, "resuming"))
            return
        if self.s.paused and self.s.paused_at and self.s.offer and self.state in PICKING:
            # Reminders count from the offer; time spent paused does not count against the candidate.
            self.s.offer.offered_at = self.s.offer.offered_at + (self.now - self.s.paused_at)
        self.s.paused, self.s.paused_at = False, None
        self._record("resumed")
        if self.state != S.ESCALATED:
            self._answer(request_id, "done", wording.RESUMED)
            return
        if self.s.booking is not None and self.s.resume_state == S.SCHEDULED:
            self._go(S.SCHEDULED)
            self.s.next_rsvp_at = self.now
            self._answer(request_id, "done", wording.RESUMED_BOOKED)
        elif self.s.context is None or (
            self.unreachable_2026_12
            and self.s.booking is None
            and self.s.plan is None  # a plan under way would overtake the re-read and discard it
            and self._candidate() is None
        ):
            # Nothing read yet, or the candidate could not be emailed: read Greenhouse again, where the
            # recruiter has fixed the address (or will learn it is still missing).
            self._go(S.GATHERING)
            self._gather()
            self._answer(request_id, "accepted", wording.RESUMED_REREADING, final=False)
        elif self.s.plan is None:
            self.s.candidate_windows = []
            self._plan("resume", widen_if_empty=True, by="recruiter", request_id=request_id)
            self._answer(request_id, "accepted", wording.RESUMED_REPLANNING, final=False)
        else:
            self._answer(request_id, "accepted", wording.RESUMED_REPLANNING, final=False)

    # --------------------------------------------------------------------------------- replies

    def _candidate_replied(self, reply: CandidateRepliedInput, request_id: str) -> None:
        self.event = "candidate_replied"
        if self.state in TERMINAL or self.state == S.CANCELLING:
            return
        if self.trust_2026_12 and self._not_the_candidates_to_act_on(reply):
            return
        self._record("candidate_replied", reply.intent)
        if reply.intent == "cancel":
            self._cancel("candidate", reply.excerpt, request_id)
            return
        if reply.intent == "propose_times" and reply.windows:
            proposal = ProposeTimesInput(windows=reply.windows[:50], note=reply.excerpt[:2000])
            if self.propose_problem(proposal) is None:
                self.event = "propose"
                self._propose(proposal, request_id)
                return
        offer = self.s.offer
        if reply.intent == "confirm" and offer is not None and len(offer.options) == 1:
            pick = SelectOptionInput(option_id=offer.options[0].option_id, offer_version=offer.version)
            if self.pick_problem(pick) is None:
                self.event = "pick"
                self._pick(pick, request_id)
                return
        if self.state in BUSY or self.s.context is None:
            self._note(
                f"question/{len(self.s.history)}",
                wording.question_note(
                    self.context.stage_name if self.s.context else "", reply.intent, reply.excerpt
                ),
            )
            return
        self._escalate(wording.question(reply.intent, reply.excerpt), event="question")

    def _interview_deleted(self, greenhouse_interview_id: int) -> None:
        self.event = "interview_deleted"
        booking = self.s.booking
        if booking is None:
            return
        session = next(
            (s for s in booking.sessions if s.greenhouse_interview_id == greenhouse_interview_id), None
        )
        if session is None:
            return
        gone = session.model_copy(update={"greenhouse_interview_id": None})
        self.s.booking = booking.model_copy(
            update={"sessions": [gone if s is session else s for s in booking.sessions]}
        )
        if self.state in (S.SCHEDULED, S.RESCHEDULING, S.ESCALATED):
            self._escalate(wording.interview_deleted(session.name))
        else:
            self._record("interview_deleted", session.name)
            if self.fixes_2026_12 and self.state == S.REPLACING_INTERVIEWER and self.s.replacement:
                self.s.replacement.deleted_sessions.append(session.name)  # told when the repair ends

    # ------------------------------------------------------------------------- a human's deadline

    def _waiting_since(self) -> tuple[datetime, bool] | None:
        """When a person started being needed (escalated or paused), and whether it was a pause."""
        if self.state == S.ESCALATED and self.s.escalated_at:
            return self.s.escalated_at, False
        if self.s.paused and self.s.paused_at and self.state in PICKING:
            return self.s.paused_at, True
        return None

    def _nudge_at(self) -> datetime | None:
        since = self._waiting_since()
        if since is None or self.s.context is None:
            return None
        start, _ = since
        recruiter = self._recruiter()
        zone = recruiter.time_zone if recruiter else "UTC"
        days = self.policy.nudge_after_working_days * (self.s.nudges_sent + 1)
        return add_working_days(start, days, zone)

    def _close_at(self) -> datetime | None:
        since = self._waiting_since()
        if since is None or self.s.booking is not None:
            return None  # a booked loop's own end is its way out
        start, _ = since
        return start + self.policy.close_after

    def _nudge(self) -> None:
        since = self._waiting_since()
        if since is None or self.s.context is None:
            return
        start, paused = since
        self.event = "nudge_due"
        self.s.nudges_sent += 1
        waiting = self.now - start
        close_at = self._close_at()
        stage = self.context.stage_name
        key = f"nudge/{self.s.escalations}/{'p' if paused else 'e'}{self.s.nudges_sent}"
        if paused:
            body = wording.paused_nudge_note(stage, waiting, close_at)
        else:
            body = wording.nudge_note(stage, self.s.escalation_reason, waiting, close_at)
        self._note(key, body)
        recruiter = self._recruiter()
        if recruiter and recruiter.email:
            self._email("recruiter_escalation", key, recruiter, reason=body)
        self._record("recruiter_nudged", f"after {wording.span(waiting)}")

    def _close(self) -> None:
        since = self._waiting_since()
        if since is None:
            return
        start, paused = since
        reason = wording.closed_reason(self.now - start, paused)
        recruiter = self._recruiter() if self.s.context else None
        self._cancel("system", reason, "", event="close_due")
        if recruiter and recruiter.email:
            self._email("recruiter_escalation", "closed", recruiter, reason=reason)
