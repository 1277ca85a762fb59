"""What crosses the SchedulingWorkflow's boundary: its input, messages, query snapshot and carried state.

One pydantic model per message (samples-python style), every field defaulted so that adding a field
never breaks a payload already in a running history. Timestamps are explicit fields filled from
`workflow.now()` or by activities: no `default_factory` reads a clock here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from models.failure_policy import FailurePolicy
from models.scheduling import Blocker, Interval, Placement


class SchedulingState(StrEnum):
    """States of a scheduling request, as shown in `SchedulingStatus` and the Temporal UI."""

    GATHERING = "gathering"
    OFFERED = "offered"
    NEGOTIATING = "negotiating"
    BOOKING = "booking"
    SCHEDULED = "scheduled"
    RESCHEDULING = "rescheduling"
    REPLACING_INTERVIEWER = "replacing_interviewer"
    ESCALATED = "escalated"
    CANCELLING = "cancelling"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


TERMINAL_STATES = frozenset({SchedulingState.COMPLETED, SchedulingState.CANCELLED})

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Actor = Literal["candidate", "recruiter", "system", "operator"]


def scheduling_workflow_id(application_id: int, job_interview_stage_id: int) -> str:
    """The business key of a request: one workflow per application and stage."""
    return f"schedule-{application_id}-{job_interview_stage_id}"


class SchedulingPolicy(BaseModel):
    """Knobs of one request; defaults are what a demanding recruiter expects out of the box."""

    horizon_days: int = Field(default=14, ge=1, le=90)
    preferred_days: list[Weekday] = Field(default_factory=list)
    mode: Literal["video", "onsite"] = "video"
    options: int = Field(default=10, ge=1, le=50)
    granularity_minutes: int = Field(default=15, ge=5, le=60)
    reminder_after: list[timedelta] = Field(
        default_factory=lambda: [timedelta(hours=24), timedelta(hours=48)],
        description="Reminders, each measured from the offer; escalation comes one interval after the last.",
    )
    rsvp_poll_interval: timedelta = timedelta(minutes=30)
    decline_replace_cutoff: timedelta = timedelta(hours=48)
    max_replacements: int = Field(default=3, ge=0)
    max_reschedules: int = Field(default=2, ge=0)
    escalate_after_last_reminder: timedelta = timedelta(hours=24)
    link_ttl: timedelta = timedelta(days=7)
    activity_timeout: timedelta = Field(
        default=timedelta(minutes=1), description="Start-to-close timeout of one activity attempt."
    )
    continue_as_new_after_events: int = Field(default=0, ge=0, description="0: when the server suggests it.")
    nudge_after_working_days: int = Field(
        default=2,
        ge=1,
        le=30,
        description="Escalated or paused: remind the recruiter after this, repeatedly.",
    )
    close_after: timedelta = Field(
        default=timedelta(days=30), description="Escalated or paused with nothing booked: close with notice."
    )
    pick_answer_within: timedelta = Field(
        default=timedelta(seconds=4),
        description="A pick answers 'booked' if booking finishes this soon, else 'confirming' (mail follows).",
    )
    command_answer_within: timedelta = Field(
        default=timedelta(seconds=20),
        description="How long a recruiter's or candidate's command waits for its outcome.",
    )
    release_retry_after: timedelta = Field(
        default=timedelta(hours=1),
        description="A release that ran out of retries is tried again this much later.",
    )
    release_give_up_after: timedelta = Field(
        default=timedelta(days=7),
        description="After this, what could not be released is left to a person, by note.",
    )
    failure: FailurePolicy = Field(default_factory=FailurePolicy)


class TaskQueues(BaseModel):
    """Where the workflow sends Harvest and planner activities (set by the starter from settings)."""

    harvest: str = "hireflow-harvest"
    planner: str = "hireflow-planner"


class SchedulingRequest(BaseModel):
    """Input of `SchedulingWorkflow.run`: who asked to schedule which application at which stage."""

    application_id: int
    job_interview_stage_id: int
    requested_by_user_id: int | None = None
    source: Literal["mention", "webhook", "cli", "api"] = "cli"
    recruiter_notes: str = ""
    policy: SchedulingPolicy = Field(default_factory=SchedulingPolicy)
    queues: TaskQueues = Field(default_factory=TaskQueues)
    carried: CarriedState | None = None
    event_slot: EventSlot | None = Field(
        default=None, description="Started by a recruiting event: book this planned loop, not offer options."
    )


class EventSlot(BaseModel):
    """The loop an event planned for one application: its scheduling request books exactly this."""

    event_workflow_id: str
    placements: list[Placement] = Field(min_length=1)
    windows: list[Interval] = Field(
        default_factory=list,
        description="The times the candidate gave the event: the re-check plans inside them.",
    )


# ------------------------------------------------------------------------------------ gathered data


class Person(BaseModel):
    """An interviewer or recruiter as the workflow needs them: id, contact, zone."""

    user_id: int
    name: str
    email: str | None = None
    time_zone: str = "UTC"


class SessionSpec(BaseModel):
    """One interview of the stage's plan, with the pool it can draw from."""

    session_id: str
    job_interview_id: int
    name: str
    duration_minutes: int
    required: list[int] = Field(default_factory=list)
    pool: list[int] = Field(default_factory=list)
    count: int = 1
    alternates: list[int] = Field(
        default_factory=list, description="Wider pool tried when the preferred panel cannot make it."
    )
    trainee_pool: list[int] = Field(default_factory=list)
    room_required: bool = False


class SchedulingContext(BaseModel):
    """Everything gathering learned: the application, the plan, the people and the org's rules."""

    application_id: int
    candidate_id: int
    job_id: int
    job_name: str
    job_interview_stage_id: int
    stage_name: str
    recruiter_id: int | None = None
    coordinator_id: int | None = None
    candidate_first_name: str = ""
    candidate_email: str | None = None  # None: no address, or Greenhouse's "can email" is off
    candidate_can_email: bool = True  # Greenhouse's flag, so an escalation can say which of the two it is
    candidate_time_zone: str = "UTC"
    sessions: list[SessionSpec] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    rooms_office_id: int | None = None

    def person(self, user_id: int) -> Person | None:
        return next((p for p in self.people if p.user_id == user_id), None)


# ------------------------------------------------------------------------------------------- offers


class OfferedOption(BaseModel):
    """An option the candidate may pick: a whole loop, valid when offered."""

    option_id: str
    rank: int
    start: AwareDatetime
    end: AwareDatetime
    placements: list[Placement]


class Offer(BaseModel):
    """A set of options sent together; `version` makes stale pages detectable."""

    version: int
    options: list[OfferedOption] = Field(default_factory=list)
    offered_at: AwareDatetime
    expires_at: AwareDatetime
    blockers: list[Blocker] = Field(default_factory=list)
    planned_at: AwareDatetime | None = Field(
        default=None, description="When these options were planned (a live refresh keeps `offered_at`)."
    )

    @property
    def fresh_at(self) -> datetime:
        return self.planned_at or self.offered_at


class BookedSession(BaseModel):
    """One booked interview: the calendar event and the Greenhouse interview that record it."""

    session_id: str
    job_interview_id: int
    name: str
    start: AwareDatetime
    end: AwareDatetime
    interviewers: list[int]
    trainee: int | None = None
    room: str | None = None
    event_key: str
    calendar_event_id: str | None = None
    greenhouse_interview_id: int | None = None
    video_url: str | None = None


class Booking(BaseModel):
    """A confirmed loop."""

    booking_id: str
    sessions: list[BookedSession]
    confirmed_at: AwareDatetime
    sequence: int = 0

    @property
    def start(self) -> datetime:
        return min(s.start for s in self.sessions)

    @property
    def end(self) -> datetime:
        return max(s.end for s in self.sessions)


# ------------------------------------------------------------------------------------------ updates


class SelectOptionInput(BaseModel):
    """The candidate picks an option from the page (or a reply says yes to the only one)."""

    option_id: str
    offer_version: int
    request_id: str = Field(
        default="", max_length=200, description="Stable id: a retried pick has one effect."
    )


class SelectOptionResult(BaseModel):
    """`confirming`: the pick was taken and is being booked; the confirmation email follows."""

    outcome: Literal["booked", "unavailable", "confirming"]
    message: str
    booking: Booking | None = None
    options: list[OfferedOption] = Field(default_factory=list)
    offer_version: int | None = None


class ProposeTimesInput(BaseModel):
    """The candidate's own windows when none of the options work."""

    windows: list[Interval] = Field(min_length=1, max_length=50)
    time_zone: str | None = None
    note: str = Field(default="", max_length=2000)
    request_id: str = Field(default="", max_length=200)


class ProposeTimesResult(BaseModel):
    """`working`: still planning when the answer was due; the options follow by email."""

    outcome: Literal["options", "escalated", "working"]
    message: str
    options: list[OfferedOption] = Field(default_factory=list)
    offer_version: int | None = None
    blockers: list[Blocker] = Field(default_factory=list)


class RefreshOptionsInput(BaseModel):
    """The candidate's page asks for live options; older ones are re-planned against fresh calendars."""

    max_age_seconds: int = Field(default=120, ge=0, le=86_400)


class OptionsView(BaseModel):
    """What the candidate's page shows: the current options, or why there are none."""

    state: SchedulingState
    offer_version: int | None = None
    options: list[OfferedOption] = Field(default_factory=list)
    expires_at: AwareDatetime | None = None
    candidate_time_zone: str = "UTC"
    booking: Booking | None = None
    message: str = ""
    planned_at: AwareDatetime | None = Field(default=None, description="When the options were planned.")
    refreshing: bool = Field(default=False, description="Fresh options are being planned right now.")
    chain_id: str = Field(default="", description="The request's run chain (first run id); links name it.")


# ------------------------------------------------------------------------------------------ signals


class CancelInput(BaseModel):
    by: Actor = "recruiter"
    reason: str = Field(default="", max_length=2000)
    request_id: str = Field(default="", max_length=200, description="Stable id (note id, form nonce).")


class RescheduleInput(BaseModel):
    by: Actor = "candidate"
    reason: str = Field(default="", max_length=2000)
    request_id: str = Field(default="", max_length=200)


class InterviewerDeclinedInput(BaseModel):
    session_id: str
    user_id: int


class RecruiterCommandInput(BaseModel):
    command: Literal["resume", "pause", "cancel", "reschedule"]
    user_id: int | None = None
    note: str = Field(default="", max_length=2000)
    request_id: str = Field(default="", max_length=200, description="The note's id: one effect per note.")


class CommandResult(BaseModel):
    """The truthful answer to a command: what happened, or what is under way, in a person's words.

    `done`: carried out; `accepted`: under way (the outcome follows by email or note); `refused`:
    not possible in this state (nothing changed); `escalated`: handed to a recruiter.
    """

    outcome: Literal["done", "accepted", "refused", "escalated"]
    message: str
    state: SchedulingState
    duplicate: bool = Field(default=False, description="The same request id was answered before.")


ReplyRole = Literal["candidate", "interviewer", "recruiter"]


def chain_ref(chain_id: str) -> str:
    """The short form of a run chain (first run id) that reply addresses carry: 8 hex digits.

    A reply address has 64 octets in all, so it cannot carry the whole id; 32 bits are plenty to tell
    one request for an application from the next one.
    """
    return "".join(c for c in chain_id.lower() if c in "0123456789abcdef")[:8]


class CandidateRepliedInput(BaseModel):
    """A reply by email, classified by the mail integration (the body itself is not carried).

    Despite the name (kept: it is the signal's contract), any reply to a request's mail arrives here; the
    workflow acts for the candidate only when `role` is candidate (or unknown, from an address issued
    before roles) and the authenticated sender is the candidate's address on record.
    """

    intent: Literal["confirm", "decline", "propose_times", "cancel", "question"]
    windows: list[Interval] = Field(default_factory=list)
    excerpt: str = Field(default="", max_length=1000)
    sender: str = Field(default="", max_length=320, description="The From address (encrypted in history).")
    sender_authenticated: bool = Field(
        default=False, description="Authenticated inbound path and SPF/DKIM pass for the sender's domain."
    )
    role: ReplyRole | None = Field(default=None, description="Whose reply address it came to; None: unknown.")
    user_id: int | None = Field(default=None, description="The interviewer or recruiter the address was for.")
    chain_ref: str = Field(default="", max_length=16, description="The request the address was issued for.")


class ApplicationClosedInput(BaseModel):
    reason: Literal["rejected", "hired", "application_deleted", "candidate_deleted"]


class InterviewDeletedInput(BaseModel):
    greenhouse_interview_id: int


# ------------------------------------------------------------------------------------- query, state


class HistoryEntry(BaseModel):
    at: AwareDatetime
    event: str
    detail: str = ""


class PendingBooking(BaseModel):
    """A booking attempt under way. Its number is allocated before the first side effect, and every
    key (event, interview, email, note) derives from it, so no attempt ever reuses another's keys."""

    attempt: int
    booking_id: str
    option_id: str
    offer_version: int
    sessions: list[BookedSession]
    step: Literal["check", "events", "interviews"] = "check"
    return_state: SchedulingState = SchedulingState.OFFERED
    request_id: str = ""
    started_at: AwareDatetime


class Release(BaseModel):
    """Effects Hireflow created that must go: a replaced loop, a failed attempt, a cancelled booking."""

    booking_id: str
    sessions: list[BookedSession]
    reason: str = ""
    events_done: bool = False
    interviews_done: bool = False
    failed_at: AwareDatetime | None = Field(
        default=None, description="First time a release ran out of retries."
    )
    retry_at: AwareDatetime | None = None
    recruiter_told: bool = False

    @property
    def done(self) -> bool:
        return self.events_done and self.interviews_done


class PendingReplacement(BaseModel):
    """An interviewer's decline being repaired on one session of the current booking."""

    session_id: str
    user_id: int
    step: Literal["plan", "plan_wide", "event", "interview", "revert"] = "plan"
    original: BookedSession
    updated: BookedSession | None = None
    newcomers: list[int] = Field(default_factory=list)
    failure: str = ""
    deleted_sessions: list[str] = Field(
        default_factory=list, description="Sessions whose Greenhouse interview was deleted during the repair."
    )


class PendingPlan(BaseModel):
    """A planner run under way and what its options are for."""

    purpose: Literal["offer", "refresh", "negotiate", "reschedule", "retake", "resume"]
    widen_if_empty: bool = False
    widened: bool = False
    reason: str = ""
    by: Actor = "system"
    request_id: str = ""


class StoredReply(BaseModel):
    """The answer given to a request id, so a retried command gets the same answer and no second effect."""

    request_id: str
    outcome: str
    message: str


class CarriedState(BaseModel):
    """What survives continue-as-new: enough to resume in the same state.

    The first fields are those of the workflow before the state machine (a continued legacy run
    arrives with only them); the rest default so that such a run resumes as is.
    """

    state: SchedulingState = SchedulingState.GATHERING
    context: SchedulingContext | None = None
    offer: Offer | None = None
    booking: Booking | None = None
    replaced_booking: Booking | None = Field(
        default=None, description="The old loop of a reschedule, kept until the new one is confirmed."
    )
    resume_state: SchedulingState | None = None
    bookings_made: int = 0
    handled_declines: list[str] = Field(default_factory=list)
    escalations: int = 0
    candidate_windows: list[Interval] = Field(default_factory=list)
    excluded_interviewers: list[int] = Field(default_factory=list)
    reminders_sent: int = 0
    reschedules: int = 0
    replacements: int = 0
    paused: bool = False
    escalation_reason: str = ""
    history: list[HistoryEntry] = Field(default_factory=list)
    # --- the state machine's own (all defaulted) ---------------------------------------------------
    booking_attempts: int = Field(
        default=0, description="Attempt numbers allocated so far (keys derive from them)."
    )
    pending: PendingBooking | None = None
    plan: PendingPlan | None = None
    replacement: PendingReplacement | None = None
    releases: list[Release] = Field(default_factory=list)
    sent_keys: list[str] = Field(default_factory=list, description="Email and note purposes already issued.")
    escalated_at: AwareDatetime | None = None
    paused_at: AwareDatetime | None = None
    nudges_sent: int = 0
    next_rsvp_at: AwareDatetime | None = None
    cancel_by: Actor | None = Field(default=None, description="Set once a cancel is under way.")
    cancel_reason: str = ""
    replies: list[StoredReply] = Field(default_factory=list)
    failures: list[str] = Field(default_factory=list, description="Calls that ran out of retries (last 20).")


UNDER_WAY = "(under way)"  # how `waiting_for` ends while a call of the request is running


class SchedulingStatusSnapshot(BaseModel):
    """The `status` query: a typed view a CLI, page or recruiter can rely on."""

    workflow_id: str
    application_id: int
    job_interview_stage_id: int
    state: SchedulingState
    candidate_time_zone: str = "UTC"
    waiting_for: str = ""
    deadline: AwareDatetime | None = None
    paused: bool = False
    offer: Offer | None = None
    booking: Booking | None = None
    reminders_sent: int = 0
    reschedules: int = 0
    replacements: int = 0
    escalation_reason: str = ""
    history: list[HistoryEntry] = Field(default_factory=list)
    pending_releases: int = Field(default=0, description="Replaced or cancelled effects not yet removed.")
    failures: list[str] = Field(default_factory=list)
    chain_id: str = Field(default="", description="The request's run chain (first run id).")
    replies_attributed: bool = Field(
        default=False,
        description="This run acts on a reply only from its recipient's own address (runs since 2026-12-07).",
    )

    @property
    def working(self) -> bool:
        """A booking, or another call, is running right now (the core marks it in `waiting_for`)."""
        return self.state == SchedulingState.BOOKING or self.waiting_for.endswith(UNDER_WAY)

    @property
    def quiet(self) -> bool:
        """Nothing running and nothing left to release: the moment the invariants are about."""
        return not self.working and self.pending_releases == 0


SchedulingRequest.model_rebuild()
