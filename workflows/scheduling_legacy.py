"""The SchedulingWorkflow's code before the state machine, frozen for executions that started on it.

`SchedulingWorkflow` runs this class when `workflow.patched(PATCH_STATE_MACHINE)` is false: replaying a
history recorded before the state machine, or continuing one of those executions. Nothing here may
change: every command it issues must match the recorded histories (`tests/test_workflow_replay.py`).
New executions never reach it. Delete it with the patch once no pre-patch execution is open
(`docs/workflows.md`, "Versions").
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models import temporal_keys as keys
    from models.activity_io import (
        BookEventsInput,
        CancelEventsInput,
        CheckOptionInput,
        CheckOptionResult,
        EmailInput,
        EmailResult,
        FindOptionsInput,
        FindOptionsResult,
        GatherInput,
        InterviewsInput,
        NoteInput,
        PinSpec,
        ReadResponsesInput,
        ReadResponsesResult,
        SessionsResult,
        UpdateInterviewInput,
    )
    from models.messages import (
        TERMINAL_STATES,
        ApplicationClosedInput,
        BookedSession,
        Booking,
        CancelInput,
        CandidateRepliedInput,
        CarriedState,
        HistoryEntry,
        InterviewDeletedInput,
        InterviewerDeclinedInput,
        Offer,
        OfferedOption,
        OptionsView,
        Person,
        ProposeTimesInput,
        ProposeTimesResult,
        RecruiterCommandInput,
        RefreshOptionsInput,
        RescheduleInput,
        SchedulingContext,
        SchedulingRequest,
        SchedulingState,
        SchedulingStatusSnapshot,
        SelectOptionInput,
        SelectOptionResult,
    )
    from workflows.details import render_details


class names:
    """The activity type names these histories recorded."""

    GATHER_SCHEDULING_CONTEXT = "gather_scheduling_context"
    FIND_OPTIONS = "find_options"
    CHECK_OPTION = "check_option"
    BOOK_CALENDAR_EVENTS = "book_calendar_events"
    CANCEL_CALENDAR_EVENTS = "cancel_calendar_events"
    READ_ATTENDEE_RESPONSES = "read_attendee_responses"
    RECORD_GREENHOUSE_INTERVIEWS = "record_greenhouse_interviews"
    UPDATE_GREENHOUSE_INTERVIEW = "update_greenhouse_interview"
    DELETE_GREENHOUSE_INTERVIEWS = "delete_greenhouse_interviews"
    ADD_CANDIDATE_NOTE = "add_candidate_note"
    SEND_EMAIL = "send_email"


R = TypeVar("R", bound=BaseModel)

HISTORY_KEPT = 50
_PICKING_STATES = frozenset(
    {SchedulingState.OFFERED, SchedulingState.NEGOTIATING, SchedulingState.RESCHEDULING}
)
WRITE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=8,
    non_retryable_error_types=["HarvestValidationError", "HarvestForbiddenError", "CalendarPermissionError"],
)


PATCH_CANCEL_TELLS_INTERVIEWERS = "cancel-tells-interviewers"


class BookingFailedError(Exception):
    """A booking step failed for good; what was done has been compensated."""


class LegacyScheduling:
    """The SchedulingWorkflow as it ran before the state machine (frozen: see the module docstring)."""

    def __init__(self, request: SchedulingRequest) -> None:
        self.request = request
        self.policy = request.policy
        self.s: CarriedState = request.carried or CarriedState()
        self._lock = asyncio.Lock()
        self._wake = False
        self._waiting_for = ""
        self._deadline: datetime | None = None

    # ------------------------------------------------------------------------------------- run loop

    async def run(self, request: SchedulingRequest) -> SchedulingStatusSnapshot:
        if self.s.context is None:
            async with self._lock:
                await self._gather()
        if self.s.state == SchedulingState.GATHERING:
            async with self._lock:
                await self._make_offer(reason="request")
        while self.s.state not in TERMINAL_STATES:
            if self._should_continue_as_new():
                await workflow.wait_condition(
                    lambda: workflow.all_handlers_finished() and not self._lock.locked()
                )
                workflow.continue_as_new(self.request.model_copy(update={"carried": self.s}))
            state = self.s.state
            if state in (SchedulingState.OFFERED, SchedulingState.NEGOTIATING, SchedulingState.RESCHEDULING):
                await self._wait_for_candidate()
            elif state == SchedulingState.ESCALATED:
                await self._wait_for_recruiter()
            elif state == SchedulingState.SCHEDULED:
                await self._watch_booked_loop()
            else:  # booking or replacing: a handler is working; wait until it moves on
                await workflow.wait_condition(lambda state=state: self.s.state != state)  # type: ignore[misc]
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    async def _wait(self, deadline: datetime | None, waiting_for: str) -> bool:
        """Sleep until a message wakes us or the deadline passes; True when it timed out."""
        self._wake = False
        self._waiting_for = waiting_for
        self._deadline = deadline
        self._publish()
        timeout = None if deadline is None else max(deadline - workflow.now(), timedelta(seconds=1))
        try:
            await workflow.wait_condition(
                lambda: self._wake or self._should_continue_as_new(),
                timeout=timeout,
                timeout_summary=waiting_for[:100],
            )
        except TimeoutError:
            return True
        return False

    async def _wait_for_recruiter(self) -> None:
        booking = self.s.booking
        deadline = booking.end if booking is not None else None
        if await self._wait(deadline, "a recruiter command (resume, reschedule or cancel)") and booking:
            async with self._lock:
                if self.s.state == SchedulingState.ESCALATED and self.s.booking is booking:
                    self._record("completed", "the last session has ended")
                    self._set_state(SchedulingState.COMPLETED)

    async def _wait_for_candidate(self) -> None:
        offer = self.s.offer
        assert offer is not None
        reminders = self.policy.reminder_after
        if self.s.paused:
            await self._wait(None, "the recruiter to resume reminders")
            return
        if self.s.reminders_sent < len(reminders):
            deadline = offer.offered_at + reminders[self.s.reminders_sent]
            what = f"the candidate to pick a time (reminder {self.s.reminders_sent + 1} at the deadline)"
        else:
            last = reminders[-1] if reminders else timedelta(0)
            deadline = offer.offered_at + last + self.policy.escalate_after_last_reminder
            what = "the candidate to pick a time (escalation at the deadline)"
        if not await self._wait(deadline, what):
            return
        async with self._lock:
            if (
                self.s.state
                not in (
                    SchedulingState.OFFERED,
                    SchedulingState.NEGOTIATING,
                    SchedulingState.RESCHEDULING,
                )
                or self.s.offer is not offer
            ):
                return
            if self.s.reminders_sent < len(reminders):
                self.s.reminders_sent += 1
                await self._email_candidate("reminder", f"reminder/{offer.version}/{self.s.reminders_sent}")
                self._record("reminder_sent", f"reminder {self.s.reminders_sent} of {len(reminders)}")
            else:
                await self._escalate("the candidate did not answer the invitation or its reminders")

    async def _watch_booked_loop(self) -> None:
        booking = self.s.booking
        assert booking is not None
        now = workflow.now()
        if now >= booking.end:
            async with self._lock:
                self._record("completed", "the last session has ended")
                self._set_state(SchedulingState.COMPLETED)
            return
        deadline = min(now + self.policy.rsvp_poll_interval, booking.end)
        if not await self._wait(deadline, "the loop to take place (watching RSVPs)"):
            return
        if workflow.now() >= booking.end:
            return
        async with self._lock:
            if self.s.state != SchedulingState.SCHEDULED or self.s.booking is not booking:
                return
            result = await self._activity(
                names.READ_ATTENDEE_RESPONSES,
                ReadResponsesInput(
                    workflow_id=self._wid, sessions=booking.sessions, people=self._context.people
                ),
                ReadResponsesResult,
                summary="read RSVPs",
            )
            for response in result.responses:
                key = f"{response.session_id}:{response.user_id}"
                if response.response == "declined" and key not in self.s.handled_declines:
                    self.s.handled_declines.append(key)
                    await self._handle_decline(response.session_id, response.user_id)
                    if self.s.state != SchedulingState.SCHEDULED:
                        return

    # ---------------------------------------------------------------------------------- the phases

    async def _gather(self) -> None:
        self._set_state(SchedulingState.GATHERING)
        context = await self._activity(
            names.GATHER_SCHEDULING_CONTEXT,
            GatherInput(
                application_id=self.request.application_id,
                job_interview_stage_id=self.request.job_interview_stage_id,
            ),
            SchedulingContext,
            summary="read application, plan and interviewers from Greenhouse",
            task_queue="harvest",
        )
        self.s.context = context
        updates: list[Any] = [
            keys.CANDIDATE_ID.value_set(context.candidate_id),
            keys.JOB_ID.value_set(context.job_id),
            keys.STAGE_NAME.value_set(context.stage_name),
        ]
        if context.recruiter_id is not None:
            updates.append(keys.RECRUITER_ID.value_set(str(context.recruiter_id)))
        workflow.upsert_search_attributes(updates)
        self._record("gathered", f"{len(context.sessions)} interview(s) in {context.stage_name}")

    async def _find(
        self, *, widen: bool = False, pinned: Sequence[PinSpec] = (), ignore: Sequence[str] = ()
    ) -> FindOptionsResult:
        return await self._activity(
            names.FIND_OPTIONS,
            FindOptionsInput(
                workflow_id=self._wid,
                context=self._context,
                policy=self.policy,
                window_start=workflow.now(),
                candidate_windows=self.s.candidate_windows,
                excluded_interviewers=self.s.excluded_interviewers,
                pinned=list(pinned),
                widen=widen,
                ignore_event_keys=list(ignore),
                offer_version=(self.s.offer.version + 1) if self.s.offer else 1,
            ),
            FindOptionsResult,
            summary="read calendars and plan options",
            task_queue="planner",
            start_to_close=max(self.policy.activity_timeout, timedelta(minutes=2)),
        )

    async def _plan(self, *, widen_if_empty: bool = False) -> FindOptionsResult:
        """Fresh options for the whole loop (our own loop being replaced does not count as busy)."""
        ignore = [s.event_key for s in self.s.replaced_booking.sessions] if self.s.replaced_booking else []
        found = await self._find(ignore=ignore)
        if not found.options and widen_if_empty:
            found = await self._find(widen=True, ignore=ignore)
        return found

    async def _make_offer(self, reason: str, *, widen_if_empty: bool = False) -> Offer | None:
        """Plan fresh options and send them; escalate with the planner's blockers when none exist."""
        try:
            found = await self._plan(widen_if_empty=widen_if_empty)
        except ActivityError as error:
            await self._escalate(f"options could not be planned: {_cause(error)}")
            return None
        if not found.options:
            await self._escalate(f"no interview loop can be offered: {_blocker_text(found)}")
            return None
        return await self._send_offer(found, reason)

    async def _send_offer(self, found: FindOptionsResult, reason: str) -> Offer:
        """Make `found` the current offer and email it to the candidate."""
        offer = self._replace_offer(found)
        await self._email_candidate("invitation", f"offer/{offer.version}", reason=reason)
        self._record("offered", f"{len(offer.options)} option(s), version {offer.version} ({reason})")
        return offer

    def _replace_offer(self, found: FindOptionsResult, *, keep_clock: bool = False) -> Offer:
        """Make `found` the current offer (a new version); no email.

        `keep_clock` keeps the reminder schedule and link expiry of the offer it replaces (a live
        refresh of the page is not a new invitation).
        """
        now = workflow.now()
        previous = self.s.offer
        version = (previous.version + 1) if previous else 1
        offer = Offer(
            version=version,
            options=found.options,
            offered_at=previous.offered_at if keep_clock and previous else now,
            expires_at=previous.expires_at if keep_clock and previous else now + self.policy.link_ttl,
            blockers=found.blockers,
        )
        self.s.offer = offer
        if not keep_clock:
            self.s.reminders_sent = 0
        if self.s.state not in (SchedulingState.NEGOTIATING, SchedulingState.RESCHEDULING):
            self._set_state(SchedulingState.OFFERED)
        return offer

    async def _book(self, option: OfferedOption) -> Booking:
        """The booking saga: events, Greenhouse interviews, confirmation, note; compensated on failure."""
        context = self._context
        number = self.s.bookings_made + 1
        booking_id = f"{self._wid}-b{number}"
        specs = {spec.session_id: spec for spec in context.sessions}
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
        try:
            sessions = await self._sessions_activity(
                names.BOOK_CALENDAR_EVENTS,
                BookEventsInput(
                    workflow_id=self._wid, context=context, mode=self.policy.mode, sessions=sessions
                ),
                summary="create calendar events",
            )
        except ActivityError as error:
            await self._release_events(sessions, "booking failed")
            raise BookingFailedError(f"calendar events could not be created: {_cause(error)}") from error
        try:
            sessions = await self._sessions_activity(
                names.RECORD_GREENHOUSE_INTERVIEWS,
                InterviewsInput(application_id=context.application_id, sessions=sessions),
                summary="record interviews in Greenhouse",
                task_queue="harvest",
            )
        except ActivityError as error:
            await self._release_interviews(sessions)
            await self._release_events(sessions, "booking failed")
            raise BookingFailedError(
                f"Greenhouse interviews could not be recorded: {_cause(error)}"
            ) from error
        self.s.bookings_made = number
        booking = Booking(booking_id=booking_id, sessions=sessions, confirmed_at=workflow.now())
        replaced = self.s.replaced_booking
        await self._email_candidate(
            "reschedule" if replaced else "confirmation",
            f"confirmation/{booking_id}",
            sessions=sessions,
            previous=replaced.sessions if replaced else None,
            ics_method="REQUEST",
            sequence=number - 1,
        )
        await self._note(f"booked/{booking_id}", _booking_note(context, booking))
        return booking

    async def _release_booking(self, booking: Booking, reason: str) -> None:
        await self._release_interviews(booking.sessions)
        await self._release_events(booking.sessions, reason)

    async def _release_events(self, sessions: list[BookedSession], reason: str) -> None:
        await self._activity(
            names.CANCEL_CALENDAR_EVENTS,
            CancelEventsInput(workflow_id=self._wid, sessions=sessions, reason=reason),
            None,
            summary="cancel calendar events",
        )

    async def _release_interviews(self, sessions: list[BookedSession]) -> None:
        await self._activity(
            names.DELETE_GREENHOUSE_INTERVIEWS,
            InterviewsInput(application_id=self._context.application_id, sessions=sessions),
            None,
            summary="delete Greenhouse interviews",
            task_queue="harvest",
        )

    async def _handle_decline(self, session_id: str, user_id: int) -> None:
        booking = self.s.booking
        assert booking is not None
        session = next((s for s in booking.sessions if s.session_id == session_id), None)
        if session is None or user_id not in session.interviewers:
            return
        who = self._name(user_id)
        self._record("interviewer_declined", f"{who} declined {session.name}")
        if session.start - workflow.now() < self.policy.decline_replace_cutoff:
            await self._escalate(f"{who} declined {session.name} less than the replacement cut-off ahead")
            return
        if self.s.replacements >= self.policy.max_replacements:
            await self._escalate(f"{who} declined {session.name} and the replacement limit is reached")
            return
        self._set_state(SchedulingState.REPLACING_INTERVIEWER)
        if user_id not in self.s.excluded_interviewers:
            self.s.excluded_interviewers.append(user_id)
        pins = [
            PinSpec(
                session_id=s.session_id,
                start=s.start,
                interviewers=[i for i in s.interviewers if i != user_id] if s is session else s.interviewers,
                room=s.room,
            )
            for s in booking.sessions
        ]
        found = await self._find(pinned=pins, ignore=[s.event_key for s in booking.sessions])
        if not found.options:
            found = await self._find(pinned=pins, widen=True, ignore=[s.event_key for s in booking.sessions])
        placement = next(
            (p for p in (found.options[0].placements if found.options else []) if p.session == session_id),
            None,
        )
        if placement is None:
            self._set_state(SchedulingState.SCHEDULED)
            await self._escalate(
                f"{who} declined {session.name} and nobody from the pool can replace them: {_blocker_text(found)}"
            )
            return
        newcomers = [i for i in placement.interviewers if i not in session.interviewers]
        replaced = session.model_copy(update={"interviewers": placement.interviewers})
        updated_sessions = [replaced if s is session else s for s in booking.sessions]
        sequence = booking.sequence + 1
        updated = await self._sessions_activity(
            names.BOOK_CALENDAR_EVENTS,
            BookEventsInput(
                workflow_id=self._wid,
                context=self._context,
                mode=self.policy.mode,
                sessions=[replaced],
                sequence=sequence,
            ),
            summary="update the calendar event with the replacement",
        )
        replaced = updated[0]
        await self._activity(
            names.UPDATE_GREENHOUSE_INTERVIEW,
            UpdateInterviewInput(session=replaced),
            None,
            summary="update the Greenhouse interview panel",
            task_queue="harvest",
        )
        updated_sessions = [replaced if s.session_id == session_id else s for s in updated_sessions]
        self.s.booking = booking.model_copy(update={"sessions": updated_sessions, "sequence": sequence})
        self.s.replacements += 1
        for newcomer in newcomers:
            await self._notify_interviewer(
                newcomer,
                f"replacement/{self.s.replacements}/{newcomer}",
                replaced,
                f"{who} can no longer attend",
            )
        await self._note(
            f"replacement/{self.s.replacements}",
            f"Hireflow replaced {who} on {session.name} with "
            f"{', '.join(self._name(i) for i in newcomers) or 'the remaining panel'}.",
        )
        self._record("interviewer_replaced", f"{who} → {', '.join(self._name(i) for i in newcomers)}")
        self._set_state(SchedulingState.SCHEDULED)

    async def _escalate(self, reason: str) -> None:
        """Hand the request to the recruiter: note in Greenhouse, email, then wait for a command."""
        if self.s.state != SchedulingState.ESCALATED:
            self.s.resume_state = SchedulingState.SCHEDULED if self.s.booking else SchedulingState.OFFERED
        self.s.escalations += 1
        self.s.escalation_reason = reason
        self._set_state(SchedulingState.ESCALATED)
        self._record("escalated", reason)
        context = self._context
        recruiter = context.person(context.recruiter_id) if context.recruiter_id else None
        await self._note(
            f"escalation/{self.s.escalations}",
            f"Hireflow needs a recruiter for {context.stage_name}: {reason}. "
            "Reply in a note with '@Hireflow resume', '@Hireflow reschedule' or '@Hireflow cancel'.",
        )
        if recruiter and recruiter.email:
            await self._email(
                "recruiter_escalation", f"escalation/{self.s.escalations}", recruiter, reason=reason
            )

    async def _cancel(self, by: str, reason: str) -> None:
        if self.s.state in TERMINAL_STATES:
            return
        for booking in (self.s.booking, self.s.replaced_booking):
            if booking is not None:
                await self._release_booking(booking, reason or "cancelled")
        if self.s.booking is not None and self._context.candidate_email:
            await self._email_candidate(
                "cancellation",
                f"cancellation/{self.s.booking.booking_id}",
                sessions=self.s.booking.sessions,
                ics_method="CANCEL",
                sequence=self.s.bookings_made,
                reason=reason,
            )
        if self.s.booking is not None and workflow.patched(PATCH_CANCEL_TELLS_INTERVIEWERS):
            await self._tell_interviewers_cancelled(self.s.booking, reason)
        await self._note("cancelled", f"Hireflow cancelled scheduling ({by}): {reason or 'no reason given'}.")
        self._record("cancelled", f"by {by}: {reason}")
        self._set_state(SchedulingState.CANCELLED)
        self._wake = True

    async def _tell_interviewers_cancelled(self, booking: Booking, reason: str) -> None:
        """Calendars alone may cancel silently (CalDAV sends no notices): each interviewer gets an email."""
        for session in booking.sessions:
            for user_id in [*session.interviewers, *([session.trainee] if session.trainee else [])]:
                key = f"cancellation/{booking.booking_id}/{session.session_id}/{user_id}"
                await self._notify_interviewer(user_id, key, session, reason, "cancelled")

    async def _notify_interviewer(
        self,
        user_id: int,
        key: str,
        session: BookedSession,
        reason: str,
        action: Literal["scheduled", "rescheduled", "cancelled"] = "scheduled",
    ) -> None:
        """An `interviewer_notice` about one session, when Greenhouse gave the person an email address."""
        person = self._context.person(user_id)
        if person and person.email:
            await self._email(
                "interviewer_notice", key, person, sessions=[session], reason=reason, notice_action=action
            )

    # ------------------------------------------------------------------------------------- updates

    async def select_option(self, pick: SelectOptionInput) -> SelectOptionResult:
        """Book the picked option if it is still free; otherwise say so and offer fresh options."""
        async with self._lock:
            return await self._select(pick)

    async def _select(self, pick: SelectOptionInput) -> SelectOptionResult:
        """The pick, with the lock held: re-check, book, release a replaced loop."""
        offer = self.s.offer
        if problem := self._pick_problem(pick):
            return SelectOptionResult(
                outcome="unavailable",
                message=problem,
                options=offer.options if offer else [],
                offer_version=offer.version if offer else None,
            )
        assert offer is not None
        option = next(o for o in offer.options if o.option_id == pick.option_id)
        previous_state = self.s.state
        self._set_state(SchedulingState.BOOKING)
        ignore = [s.event_key for s in self.s.replaced_booking.sessions] if self.s.replaced_booking else []
        check = await self._activity(
            names.CHECK_OPTION,
            CheckOptionInput(
                workflow_id=self._wid,
                context=self._context,
                policy=self.policy,
                option=option,
                window_start=workflow.now(),
                candidate_windows=self.s.candidate_windows,
                excluded_interviewers=self.s.excluded_interviewers,
                ignore_event_keys=ignore,
            ),
            CheckOptionResult,
            summary="re-check the option against fresh calendars",
            task_queue="planner",
        )
        if not check.valid:
            self._record("option_taken", "; ".join(check.violations)[:300])
            self._set_state(previous_state)
            fresh = await self._make_offer(reason="the picked option was taken")
            return SelectOptionResult(
                outcome="unavailable",
                message="That time was just taken. Here are the options that are free now.",
                options=fresh.options if fresh else [],
                offer_version=fresh.version if fresh else None,
            )
        try:
            booking = await self._book(option)
        except BookingFailedError as error:
            self._set_state(previous_state)
            if self.s.replaced_booking is not None:  # a failed reschedule keeps the old loop
                self.s.booking, self.s.replaced_booking = self.s.replaced_booking, None
            await self._escalate(str(error))
            return SelectOptionResult(
                outcome="unavailable",
                message="We could not complete the booking; your recruiter has been asked to help.",
            )
        old = self.s.replaced_booking
        self.s.booking = booking
        self.s.replaced_booking = None
        if old is not None:
            await self._release_booking(old, "rescheduled")
        self.s.candidate_windows = []
        self._set_state(SchedulingState.SCHEDULED)
        workflow.upsert_search_attributes([keys.INTERVIEW_START.value_set(booking.start)])
        self._record("booked", f"{len(booking.sessions)} session(s) from {booking.start.isoformat()}")
        self._wake = True
        return SelectOptionResult(outcome="booked", message="Your interviews are booked.", booking=booking)

    def _validate_select_option(self, pick: SelectOptionInput) -> None:
        if problem := self._pick_problem(pick):
            raise ValueError(problem)

    def _pick_problem(self, pick: SelectOptionInput) -> str | None:
        """Why a pick cannot be booked now, or None. Shared by the validator and the handler."""
        offer = self.s.offer
        if self.s.state not in (
            SchedulingState.OFFERED,
            SchedulingState.NEGOTIATING,
            SchedulingState.RESCHEDULING,
        ):
            return f"this request is {self.s.state.value}; options cannot be picked now"
        if offer is None:
            return "no options have been offered yet"
        if pick.offer_version != offer.version:
            return f"these options were replaced by newer ones (version {offer.version}); reload the page"
        if workflow.now() >= offer.expires_at:
            return "these options have expired; reload the page for fresh ones"
        if not any(o.option_id == pick.option_id for o in offer.options):
            return f"option {pick.option_id!r} is not among the current options"
        return None

    async def propose_times(self, proposal: ProposeTimesInput) -> ProposeTimesResult:
        """Re-plan inside the candidate's windows, widening to alternates; escalate when nothing fits."""
        async with self._lock:
            return await self._negotiate(proposal.windows, proposal.note)

    def _validate_propose_times(self, proposal: ProposeTimesInput) -> None:
        if self.s.state not in (
            SchedulingState.OFFERED,
            SchedulingState.NEGOTIATING,
            SchedulingState.RESCHEDULING,
            SchedulingState.ESCALATED,
        ):
            raise ValueError(f"this request is {self.s.state.value}; times cannot be proposed now")
        now = workflow.now()
        if all(w.end <= now for w in proposal.windows):
            raise ValueError("every proposed window is in the past")

    async def _negotiate(self, windows: list[Any], note: str) -> ProposeTimesResult:
        now = workflow.now()
        self.s.candidate_windows = [w for w in windows if w.end > now]
        if self.s.state != SchedulingState.RESCHEDULING:
            self._set_state(SchedulingState.NEGOTIATING)
        self._record(
            "times_proposed", f"{len(self.s.candidate_windows)} window(s)" + (" with a note" if note else "")
        )
        offer = await self._make_offer(reason="candidate proposed times", widen_if_empty=True)
        self._wake = True
        if offer is None:
            return ProposeTimesResult(
                outcome="escalated",
                message="None of those times work for the panel; your recruiter will get back to you.",
                blockers=[],
            )
        return ProposeTimesResult(
            outcome="options",
            message="Here are the options inside the times you gave.",
            options=offer.options,
            offer_version=offer.version,
        )

    async def refresh_options(self, request: RefreshOptionsInput) -> OptionsView:
        """Live options for the candidate's page: re-planned when the current ones are older than asked."""
        async with self._lock:
            offer = self.s.offer
            if self.s.state in _PICKING_STATES and offer is not None:
                age = workflow.now() - offer.offered_at
                if age > timedelta(seconds=request.max_age_seconds):
                    found = await self._plan(widen_if_empty=True)
                    if found.options:
                        self._replace_offer(found, keep_clock=True)
                        self._record(
                            "options_refreshed", f"version {self.s.offer.version if self.s.offer else '?'}"
                        )
                    else:
                        await self._escalate(f"no interview loop fits any more: {_blocker_text(found)}")
            return self._options_view()

    def _validate_refresh_options(self, request: RefreshOptionsInput) -> None:
        if self.s.context is None:
            raise ValueError("this request is still reading the application; try again in a moment")

    def _options_view(self) -> OptionsView:
        offer = self.s.offer
        picking = self.s.state in _PICKING_STATES and offer is not None
        messages = {
            SchedulingState.SCHEDULED: "Your interviews are booked.",
            SchedulingState.CANCELLED: "This interview request was cancelled.",
            SchedulingState.COMPLETED: "These interviews have taken place.",
            SchedulingState.ESCALATED: "Your recruiter is arranging the next step and will be in touch.",
        }
        return OptionsView(
            state=self.s.state,
            offer_version=offer.version if picking and offer else None,
            options=offer.options if picking and offer else [],
            expires_at=offer.expires_at if picking and offer else None,
            candidate_time_zone=self._context.candidate_time_zone,
            booking=self.s.booking,
            message=messages.get(self.s.state, ""),
        )

    # ------------------------------------------------------------------------------------- signals

    async def cancel(self, request: CancelInput) -> None:
        async with self._lock:
            await self._cancel(request.by, request.reason)

    async def request_reschedule(self, request: RescheduleInput) -> None:
        async with self._lock:
            await self._reschedule(request.by, request.reason)

    async def _reschedule(self, by: str, reason: str) -> None:
        """Offer a new loop while the old one stays booked; it is released once the new one is confirmed."""
        if self.s.state in (
            SchedulingState.OFFERED,
            SchedulingState.NEGOTIATING,
            SchedulingState.RESCHEDULING,
        ):
            await self._make_offer(reason=f"new options asked by {by}")
            return
        if self.s.state != SchedulingState.SCHEDULED or self.s.booking is None:
            return
        if self.s.reschedules >= self.policy.max_reschedules:
            await self._escalate(
                f"{by} asked to reschedule again (limit of {self.policy.max_reschedules} reached)"
            )
            return
        self._record("reschedule_requested", f"by {by}: {reason}")
        self.s.replaced_booking = self.s.booking
        found = await self._plan(widen_if_empty=True)
        if not found.options:
            self.s.replaced_booking = None
            await self._escalate(f"{by} asked to reschedule but no other loop fits: {_blocker_text(found)}")
            return
        self.s.reschedules += 1
        self.s.booking = None
        self._set_state(SchedulingState.RESCHEDULING)
        await self._send_offer(found, f"reschedule asked by {by}")
        self._wake = True

    async def interviewer_declined(self, decline: InterviewerDeclinedInput) -> None:
        async with self._lock:
            key = f"{decline.session_id}:{decline.user_id}"
            if self.s.state != SchedulingState.SCHEDULED or key in self.s.handled_declines:
                return
            self.s.handled_declines.append(key)
            await self._handle_decline(decline.session_id, decline.user_id)
            self._wake = True

    async def recruiter_command(self, command: RecruiterCommandInput) -> None:
        async with self._lock:
            self._record("recruiter_command", command.command)
            if command.command == "cancel":
                await self._cancel("recruiter", command.note)
            elif command.command == "pause":
                self.s.paused = True
            elif command.command == "reschedule":
                if self.s.state == SchedulingState.ESCALATED and self.s.resume_state:
                    self._set_state(self.s.resume_state)
                await self._reschedule("recruiter", command.note)
            elif command.command == "resume":
                self.s.paused = False
                if self.s.state == SchedulingState.ESCALATED:
                    if self.s.booking is not None and self.s.resume_state == SchedulingState.SCHEDULED:
                        self._set_state(SchedulingState.SCHEDULED)
                    else:
                        self.s.candidate_windows = []
                        await self._make_offer(reason="recruiter resumed", widen_if_empty=True)
            self._wake = True

    async def candidate_replied(self, reply: CandidateRepliedInput) -> None:
        async with self._lock:
            self._record("candidate_replied", reply.intent)
            offer = self.s.offer
            if reply.intent == "cancel":
                await self._cancel("candidate", reply.excerpt)
            elif reply.intent == "propose_times" and reply.windows:
                if self.s.state in (
                    SchedulingState.OFFERED,
                    SchedulingState.NEGOTIATING,
                    SchedulingState.RESCHEDULING,
                    SchedulingState.ESCALATED,
                ):
                    await self._negotiate(reply.windows, reply.excerpt)
            elif reply.intent == "confirm" and offer is not None and len(offer.options) == 1:
                pick = SelectOptionInput(option_id=offer.options[0].option_id, offer_version=offer.version)
                if self._pick_problem(pick) is None:
                    await self._select(pick)
            elif self.s.state not in TERMINAL_STATES:
                quoted = f': "{reply.excerpt}"' if reply.excerpt else ""
                await self._escalate(f"the candidate replied by email ({reply.intent}){quoted}")
            self._wake = True

    async def application_closed(self, closed: ApplicationClosedInput) -> None:
        async with self._lock:
            await self._cancel("system", f"application {closed.reason.replace('_', ' ')} in Greenhouse")

    async def interview_deleted(self, deleted: InterviewDeletedInput) -> None:
        async with self._lock:
            booking = self.s.booking
            if booking is None or self.s.state in TERMINAL_STATES:
                return
            session = next(
                (s for s in booking.sessions if s.greenhouse_interview_id == deleted.greenhouse_interview_id),
                None,
            )
            if session is None:
                return
            await self._escalate(f"the {session.name} interview was deleted in Greenhouse")
            self._wake = True

    # --------------------------------------------------------------------------------------- query

    def status(self) -> SchedulingStatusSnapshot:
        return SchedulingStatusSnapshot(
            workflow_id=self._wid,
            application_id=self.request.application_id,
            job_interview_stage_id=self.request.job_interview_stage_id,
            state=self.s.state,
            candidate_time_zone=self.s.context.candidate_time_zone if self.s.context else "UTC",
            waiting_for=self._waiting_for,
            deadline=self._deadline,
            paused=self.s.paused,
            offer=self.s.offer,
            booking=self.s.booking,
            reminders_sent=self.s.reminders_sent,
            reschedules=self.s.reschedules,
            replacements=self.s.replacements,
            escalation_reason=self.s.escalation_reason,
            history=self.s.history,
        )

    # ------------------------------------------------------------------------------------- helpers

    @property
    def _wid(self) -> str:
        return workflow.info().workflow_id

    @property
    def _context(self) -> SchedulingContext:
        assert self.s.context is not None, "gathering has not run"
        return self.s.context

    def _name(self, user_id: int) -> str:
        person = self._context.person(user_id) if self.s.context else None
        return person.name if person else f"user {user_id}"

    def _set_state(self, state: SchedulingState) -> None:
        self.s.state = state
        workflow.upsert_search_attributes([keys.SCHEDULING_STATUS.value_set(state.value)])
        self._publish()

    def _record(self, event: str, detail: str = "") -> None:
        self.s.history.append(HistoryEntry(at=workflow.now(), event=event, detail=detail))
        del self.s.history[:-HISTORY_KEPT]
        self._publish()

    def _publish(self) -> None:
        workflow.set_current_details(render_details(self.status()))

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        limit = self.policy.continue_as_new_after_events
        if limit and info.get_current_history_length() >= limit:
            return True
        return info.is_continue_as_new_suggested()

    async def _activity(
        self,
        name: str,
        arg: BaseModel,
        result_type: type[R] | None,
        *,
        summary: str,
        task_queue: str | None = None,
        start_to_close: timedelta | None = None,
    ) -> Any:
        queues = self.request.queues
        queue = {"harvest": queues.harvest, "planner": queues.planner}.get(task_queue or "")
        return await workflow.execute_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=start_to_close or self.policy.activity_timeout,
            schedule_to_close_timeout=timedelta(minutes=30),
            retry_policy=WRITE_RETRY,
            summary=summary,
            task_queue=queue,
        )

    async def _sessions_activity(
        self, name: str, arg: BaseModel, *, summary: str, task_queue: str | None = None
    ) -> list[BookedSession]:
        result = await self._activity(name, arg, SessionsResult, summary=summary, task_queue=task_queue)
        return list(result.sessions)

    def _candidate(self) -> Person | None:
        context = self._context
        if not context.candidate_email:
            return None
        return Person(
            user_id=0,
            name=context.candidate_first_name or "there",
            email=context.candidate_email,
            time_zone=context.candidate_time_zone,
        )

    async def _email_candidate(
        self,
        template: Any,
        key: str,
        *,
        sessions: list[BookedSession] | None = None,
        previous: list[BookedSession] | None = None,
        ics_method: Any = None,
        sequence: int = 0,
        reason: str = "",
    ) -> None:
        candidate = self._candidate()
        if candidate is None:
            self._record("email_skipped", f"{template}: the candidate has no email address")
            return
        await self._email(
            template,
            key,
            candidate,
            sessions=sessions,
            previous=previous,
            ics_method=ics_method,
            sequence=sequence,
            reason=reason,
        )

    async def _email(
        self,
        template: Any,
        key: str,
        recipient: Person,
        *,
        sessions: list[BookedSession] | None = None,
        previous: list[BookedSession] | None = None,
        ics_method: Any = None,
        sequence: int = 0,
        reason: str = "",
        notice_action: Literal["scheduled", "rescheduled", "cancelled"] = "scheduled",
    ) -> None:
        offer = self.s.offer
        assert recipient.email is not None
        await self._activity(
            names.SEND_EMAIL,
            EmailInput(
                key=f"{self._wid}/{key}",
                template=template,
                to=[recipient.email],
                recipient_name=recipient.name,
                recipient_time_zone=recipient.time_zone,
                context=self._context,
                booking_sessions=sessions or [],
                previous_sessions=previous or [],
                options=offer.options if offer and not sessions else [],
                expires_at=offer.expires_at if offer else None,
                reason=reason,
                notice_action=notice_action,
                reply_token_workflow_id=self._wid,
                ics_method=ics_method,
                ics_uid=f"{self._wid}-loop" if ics_method else None,
                ics_sequence=sequence,
            ),
            EmailResult,
            summary=f"email: {template}",
        )

    async def _note(self, key: str, body: str) -> None:
        context = self._context
        await self._activity(
            names.ADD_CANDIDATE_NOTE,
            NoteInput(
                key=f"{self._wid}/{key}",
                candidate_id=context.candidate_id,
                application_id=context.application_id,
                body=body,
            ),
            None,
            summary="note in Greenhouse",
            task_queue="harvest",
        )


def _cause(error: ActivityError) -> str:
    cause = error.cause
    if isinstance(cause, ApplicationError):
        return cause.message
    return str(cause or error)


def _blocker_text(found: FindOptionsResult) -> str:
    return "; ".join(b.detail for b in found.blockers) or "no loop fits the calendars"


def _booking_note(context: SchedulingContext, booking: Booking) -> str:
    """The loop in time order, readable in Greenhouse's notes (times in UTC, the zone named)."""
    lines = [f"Hireflow booked the {context.stage_name} loop:"]
    for session in sorted(booking.sessions, key=lambda s: s.start):
        people = ", ".join(p.name if (p := context.person(i)) else str(i) for i in session.interviewers)
        start, end = session.start.astimezone(UTC), session.end.astimezone(UTC)
        lines.append(f"- {start:%a %d %b %Y %H:%M}-{end:%H:%M} UTC: {session.name} with {people}")
    return "\n".join(lines)
