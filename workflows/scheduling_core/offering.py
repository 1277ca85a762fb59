"""Gathering, planning and offering: from a request to options the candidate can pick from."""

from __future__ import annotations

from datetime import datetime

from models.activity_io import CheckOptionInput, FindOptionsResult, GatherInput
from models.messages import (
    BookedSession,
    EventSlot,
    Offer,
    OfferedOption,
    PendingBooking,
    ProposeTimesInput,
    SchedulingContext,
    SelectOptionInput,
)
from workflows.scheduling_core import wording
from workflows.scheduling_core.base import CoreBase, S
from workflows.scheduling_core.commands import Command, CommandKind, Outcome
from workflows.scheduling_core.table import PICKING

EVENT_SLOT_REQUEST = "event-slot"
EVENT_SLOT_OPTION = "event-1"


def blocker_text(found: FindOptionsResult) -> str:
    return wording.blockers_text(found.blockers)


class Offering(CoreBase):
    """Handlers from the start of a request to the candidate's pick."""

    # -------------------------------------------------------------------------------- gathering

    def _gather(self) -> None:
        arg = GatherInput(
            application_id=self.request.application_id,
            job_interview_stage_id=self.request.job_interview_stage_id,
        )
        self._issue(
            CommandKind.GATHER,
            arg,
            "read application, plan and interviewers from Greenhouse",
            interruptible=True,
        )

    def _on_gather(self, command: Command, outcome: Outcome) -> None:
        if self.state != S.GATHERING:
            return
        if not outcome.ok:
            self._failure("reading Greenhouse", outcome.message)
            if outcome.error_type == "HarvestNotFoundError":
                self.s.cancel_by, self.s.cancel_reason = "system", outcome.message
                self._record(
                    "cancelled", wording.application_missing(self.request.application_id, outcome.message)
                )
                self._go(S.CANCELLED, event="application_missing")
                return
            self._escalate(wording.gather_failed(outcome.message), event="gather_failed")
            return
        assert isinstance(outcome.result, SchedulingContext)
        context = outcome.result
        self.s.context = context
        self.event = "gathered"
        self._record("gathered", f"{len(context.sessions)} interview(s) in {context.stage_name}")
        slot = self.request.event_slot
        if slot is not None and self.s.offer is None and self.s.booking is None:
            self._book_event_slot(slot)
            return
        self._plan("offer", reason="request")

    def _book_event_slot(self, slot: EventSlot) -> None:
        """A recruiting event planned this loop: offer it as the only option and pick it at once.

        The pick re-checks it against fresh calendars and books it through the usual saga; if it was
        taken meanwhile, the candidate gets fresh options like any taken pick."""
        placements = sorted(slot.placements, key=lambda p: p.start)
        if {p.session for p in placements} != {spec.session_id for spec in self.context.sessions}:
            # The interview plan changed since the event was planned: plan this loop as any other.
            self._record(
                "event_slot_stale", "the stage's interviews changed since the event planned this loop"
            )
            self._plan("offer", reason="the event's loop no longer matches the interview plan")
            return
        option = OfferedOption(
            option_id=EVENT_SLOT_OPTION,
            rank=1,
            start=placements[0].start,
            end=max(p.end for p in placements),
            placements=placements,
        )
        self.s.offer = Offer(
            version=1,
            options=[option],
            offered_at=self.now,
            expires_at=self.now + self.policy.link_ttl,
            planned_at=self.now,
        )
        self._go(S.OFFERED, event="options_found")
        self._record("event_slot", f"planned by {slot.event_workflow_id}")
        self.s.candidate_windows = list(slot.windows)
        self.event = "pick"
        self._pick(SelectOptionInput(option_id=option.option_id, offer_version=1), EVENT_SLOT_REQUEST)

    # ---------------------------------------------------------------------------------- options

    def _on_plan(self, command: Command, outcome: Outcome) -> None:
        plan = self.s.plan
        if plan is None:
            return  # overtaken (a pick, a cancel, an escalation): nobody waits for these options
        if not outcome.ok:
            self.s.plan = None
            self._failure("planning", outcome.message)
            if plan.purpose == "refresh":
                return  # the current options stay; the page shows them
            self._answer_plan_failed(plan.purpose, plan.request_id)
            self._escalate(wording.plan_failed(outcome.message), event="plan_failed")
            return
        assert isinstance(outcome.result, FindOptionsResult)
        found = outcome.result
        if not found.options and plan.widen_if_empty and not plan.widened:
            plan.widened = True
            self._find(widen=True, interruptible=plan.purpose == "refresh")
            return
        self.s.plan = None
        self.event = "options_found"
        if found.options:
            self._options_found(found, plan.purpose, plan.reason, plan.request_id, plan.by)
        else:
            self._nothing_fits(found, plan.purpose, plan.request_id, plan.by)

    def _options_found(
        self, found: FindOptionsResult, purpose: str, reason: str, request_id: str, by: str
    ) -> None:
        if purpose == "refresh":
            if self.state in PICKING:
                self._new_offer(found, keep_clock=True)
                self._record("options_refreshed", f"version {self.s.offer.version if self.s.offer else '?'}")
            return
        if purpose == "reschedule":
            self.s.reschedules += 1
            self._go(S.RESCHEDULING)
        elif purpose == "negotiate":
            self._go(S.RESCHEDULING if self.s.booking else S.NEGOTIATING)
        elif purpose in ("offer", "resume") and self.state not in PICKING:
            self._go(S.RESCHEDULING if self.s.booking else S.OFFERED)
        offer = self._new_offer(found)
        invitation_reason = {
            "reschedule": f"reschedule asked by {by}",
            "negotiate": "candidate proposed times",
            "retake": "the picked option was taken",
            "resume": "recruiter resumed",
        }.get(purpose, reason or "request")
        self._email_candidate("invitation", f"offer/{offer.version}", reason=invitation_reason)
        self._record(
            "offered", f"{len(offer.options)} option(s), version {offer.version} ({invitation_reason})"
        )
        replies = {
            "reschedule": ("done", wording.RESCHEDULE_SENT),
            "negotiate": ("options", wording.PROPOSE_OPTIONS),
            "retake": ("unavailable", wording.PICK_TAKEN),
            "resume": ("done", wording.RESUMED_REPLANNING),
            "offer": ("done", wording.NEW_OPTIONS_SENT),
        }
        outcome, message = replies[purpose]
        if self.unreachable_2026_12 and self._candidate() is None:
            # Nobody will ever pick these options: hand over now, not after the no-answer wait.
            self._answer(request_id, "escalated", wording.CANDIDATE_UNREACHABLE_ANSWER)
            self._escalate(wording.candidate_unreachable(self.context), event="candidate_unreachable")
            return
        self._answer(request_id, outcome, message)

    def _nothing_fits(self, found: FindOptionsResult, purpose: str, request_id: str, by: str) -> None:
        blockers = blocker_text(found)
        reasons = {
            "refresh": wording.nothing_fits_any_more(blockers),
            "reschedule": wording.reschedule_nothing_fits(by, blockers),
        }
        replies = {
            "reschedule": ("escalated", wording.RESCHEDULE_NOTHING_FITS),
            "negotiate": ("escalated", wording.PROPOSE_NONE),
            "retake": ("unavailable", wording.PICK_TAKEN_NONE),
        }
        outcome, message = replies.get(purpose, ("escalated", wording.RESCHEDULE_NOTHING_FITS))
        self._answer(request_id, outcome, message)
        self._escalate(reasons.get(purpose, wording.nothing_fits(blockers)))

    def _answer_plan_failed(self, purpose: str, request_id: str) -> None:
        replies = {
            "negotiate": ("escalated", wording.PROPOSE_FAILED),
            "retake": ("unavailable", wording.PICK_FAILED),
        }
        outcome, message = replies.get(purpose, ("escalated", wording.RESCHEDULE_FAILED))
        self._answer(request_id, outcome, message)

    def _new_offer(self, found: FindOptionsResult, *, keep_clock: bool = False) -> Offer:
        """Make `found` the current offer (a new version). A live refresh keeps the reminder clock."""
        previous = self.s.offer
        now = self.now
        offer = Offer(
            version=(previous.version + 1) if previous else 1,
            options=found.options,
            offered_at=previous.offered_at if keep_clock and previous else now,
            expires_at=previous.expires_at if keep_clock and previous else now + self.policy.link_ttl,
            blockers=found.blockers,
            planned_at=now,
        )
        self.s.offer = offer
        if not keep_clock:
            self.s.reminders_sent = 0
        return offer

    # ------------------------------------------------------------------------------------ picks

    def pick_problem(self, pick: SelectOptionInput, now: datetime | None = None) -> str | None:
        """Why a pick cannot be booked now, or None (validator and handler share it; no writes)."""
        now = now or self.now
        if pick.request_id and pick.request_id in self.answers:
            return None  # a retried pick: answered again, nothing new happens
        offer = self.s.offer
        if self.state not in PICKING:
            return f"this request is {self.state.value}; options cannot be picked now"
        if offer is None:
            return "no options have been offered yet"
        if pick.offer_version != offer.version:
            return f"these options were replaced by newer ones (version {offer.version}); reload the page"
        if now >= offer.expires_at:
            return "these options have expired; reload the page for fresh ones"
        if not any(o.option_id == pick.option_id for o in offer.options):
            return f"option {pick.option_id!r} is not among the current options"
        return None

    def _pick(self, pick: SelectOptionInput, request_id: str) -> None:
        if request_id in self.answers:
            return
        if problem := self.pick_problem(pick):
            self._answer(request_id, "unavailable", problem)
            return
        offer = self.s.offer
        assert offer is not None
        option = next(o for o in offer.options if o.option_id == pick.option_id)
        self._drop_plan("a pick came first")
        # The attempt number comes first: every key of this attempt derives from it.
        self.s.booking_attempts += 1
        booking_id = f"{self.wid}-b{self.s.booking_attempts}"
        specs = {spec.session_id: spec for spec in self.context.sessions}
        sessions = [
            BookedSession(
                session_id=p.session,
                job_interview_id=specs[p.session].job_interview_id,
                name=specs[p.session].name,
                start=p.start,
                end=p.end,
                interviewers=p.interviewers,
                trainee=p.trainee,
                room=p.room,
                event_key=f"{booking_id}-{p.session}",
            )
            for p in option.placements
        ]
        self.s.pending = PendingBooking(
            attempt=self.s.booking_attempts,
            booking_id=booking_id,
            option_id=option.option_id,
            offer_version=offer.version,
            sessions=sessions,
            return_state=self.state,
            request_id=request_id,
            started_at=self.now,
        )
        self._go(S.BOOKING)
        self._record("picked", f"{option.option_id} (attempt {self.s.booking_attempts})")
        booking = self.s.booking
        arg = CheckOptionInput(
            workflow_id=self.wid,
            context=self.context,
            policy=self.policy,
            option=option,
            window_start=self.now,
            candidate_windows=self.s.candidate_windows,
            excluded_interviewers=self.s.excluded_interviewers,
            ignore_event_keys=[s.event_key for s in booking.sessions] if booking else [],
        )
        self._issue(
            CommandKind.CHECK_OPTION, arg, "re-check the option against fresh calendars", tag=booking_id
        )
        self._answer(request_id, "confirming", wording.PICK_CONFIRMING, final=False)

    def _drop_plan(self, why: str) -> None:
        plan = self.s.plan
        if plan is None:
            return
        self.s.plan = None
        if plan.purpose == "negotiate":
            self._answer(plan.request_id, "working", wording.PROPOSE_WORKING)
        elif plan.request_id:
            self._answer(plan.request_id, "done", why)

    # -------------------------------------------------------------------------------- proposals

    def propose_problem(self, proposal: ProposeTimesInput, now: datetime | None = None) -> str | None:
        now = now or self.now
        if proposal.request_id and proposal.request_id in self.answers:
            return None
        if self.state == S.ESCALATED and self.s.booking is not None:
            return "your interviews are booked; your recruiter is arranging any change"
        if self.state not in PICKING and self.state != S.ESCALATED:
            return f"this request is {self.state.value}; times cannot be proposed now"
        if all(w.end <= now for w in proposal.windows):
            return "every proposed window is in the past"
        if self.s.context is None:
            return "this request is still reading the application; try again in a moment"
        return None

    def _propose(self, proposal: ProposeTimesInput, request_id: str) -> None:
        if request_id in self.answers:
            return
        if problem := self.propose_problem(proposal):
            self._answer(request_id, "escalated", problem)
            return
        self._drop_plan("new times were proposed")
        self.s.candidate_windows = [w for w in proposal.windows if w.end > self.now]
        self._go(S.RESCHEDULING if self.state == S.RESCHEDULING else S.NEGOTIATING)
        self._record(
            "times_proposed",
            f"{len(self.s.candidate_windows)} window(s)" + (" with a note" if proposal.note else ""),
        )
        self._plan("negotiate", widen_if_empty=True, by="candidate", request_id=request_id)
        self._answer(request_id, "working", wording.PROPOSE_WORKING, final=False)

    # --------------------------------------------------------------------------------- refresh

    def _refresh(self, max_age_seconds: int) -> bool:
        """Re-plan options older than asked; True when a refresh is under way."""
        offer = self.s.offer
        if self.state not in PICKING or offer is None or self.s.paused or self.s.plan is not None:
            return self.s.plan is not None and self.s.plan.purpose == "refresh"
        if (self.now - offer.fresh_at).total_seconds() <= max_age_seconds:
            return False
        self._plan("refresh", widen_if_empty=True)
        return True

    # ------------------------------------------------------------------------------ reminders

    def _reminder_due(self) -> None:
        offer = self.s.offer
        assert offer is not None
        reminders = self.policy.reminder_after
        if self.s.reminders_sent < len(reminders):
            self.event = "reminder_due"
            self.s.reminders_sent += 1
            self._email_candidate("reminder", f"reminder/{offer.version}/{self.s.reminders_sent}")
            self._record("reminder_sent", f"reminder {self.s.reminders_sent} of {len(reminders)}")
        else:
            self._escalate(wording.NO_ANSWER, event="answer_overdue")
