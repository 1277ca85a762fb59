"""What crosses the EventWorkflow's boundary: its request, its messages, its status.

A recruiting event (a hiring day) gathers the candidates of one job's stage, asks each for their
availability on the event's days, plans the whole event at once (`planner.event_plan`) and hands each
scheduled candidate's loop to that application's SchedulingWorkflow, which books it through the same
saga as a single loop and looks after it (declines, replacements, cancellation).
"""

from __future__ import annotations

from datetime import date, time, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from models.failure_policy import FailurePolicy
from models.messages import HistoryEntry, SchedulingContext, SchedulingPolicy, TaskQueues
from models.scheduling import Blocker, Interval, Placement, _check_zone

MAX_EVENT_DAYS = 5
MAX_EVENT_CANDIDATES = 120


class EventState(StrEnum):
    GATHERING = "gathering"  # reading the stage's candidates and the interview plan
    COLLECTING = "collecting"  # candidates asked for their availability; waiting for answers or the deadline
    PLANNING = "planning"  # the event planner is running
    BOOKING = "booking"  # handing each scheduled loop to its scheduling request
    RUNNING = "running"  # loops booked; waiting for the event to pass, re-planning on cancellations
    ESCALATED = "escalated"  # a recruiter must act (nobody to invite, the planner could not run)
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class EventPolicy(BaseModel):
    """How an event runs; the defaults suit a one-day hiring event planned a week or more ahead."""

    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    granularity_minutes: int = Field(default=15, ge=5, le=60)
    max_gap_minutes: int = Field(default=30, ge=0, le=240)
    answer_window: timedelta = Field(
        default=timedelta(days=3), description="How long candidates have to answer, at most."
    )
    answer_lead: timedelta = Field(
        default=timedelta(hours=24), description="Answers close at least this long before the first day."
    )
    remind_before_deadline: timedelta = timedelta(hours=24)
    replan_until: timedelta = Field(
        default=timedelta(hours=24),
        description="A cancellation later than this before the first day is not refilled from the waitlist.",
    )
    planner_time_limit_seconds: float = Field(default=10.0, gt=0, le=120)
    max_candidates: int = Field(default=60, ge=1, le=MAX_EVENT_CANDIDATES)
    failure: FailurePolicy = Field(default_factory=FailurePolicy)


class EventRequest(BaseModel):
    """One recruiting event: one job's interview stage, on one or more days in the office's zone."""

    job_id: int
    job_interview_stage_id: int
    days: list[date] = Field(min_length=1, max_length=MAX_EVENT_DAYS)
    time_zone: str = Field(default="UTC", description="The office's zone: the days' hours are read in it.")
    mode: Literal["onsite", "video"] = "onsite"
    name: str = Field(default="hiring day", max_length=80)
    answer_by: AwareDatetime | None = Field(
        default=None, description="When planning starts at the latest; None: from the policy."
    )
    requested_by_user_id: int | None = None
    source: Literal["mention", "cli", "api"] = "cli"
    policy: EventPolicy = Field(default_factory=EventPolicy)
    loop_policy: SchedulingPolicy = Field(
        default_factory=SchedulingPolicy,
        description="The policy of each loop's scheduling request (reminders, RSVPs, replacements).",
    )
    queues: TaskQueues = Field(default_factory=TaskQueues)

    _zone = field_validator("time_zone")(_check_zone)

    @field_validator("days")
    @classmethod
    def _distinct_days(cls, days: list[date]) -> list[date]:
        if len(set(days)) != len(days):
            raise ValueError("days repeat")
        return sorted(days)

    @model_validator(mode="after")
    def _hours(self) -> EventRequest:
        if self.policy.day_end <= self.policy.day_start:
            raise ValueError("the event's day must end after it starts")
        return self


def event_workflow_id(job_id: int, job_interview_stage_id: int, first_day: date) -> str:
    """One event per job stage and first day: starting it again finds the one already running."""
    return f"event-{job_id}-{job_interview_stage_id}-{first_day:%Y%m%d}"


class EventCandidateState(StrEnum):
    INVITED = "invited"  # asked for availability, no answer yet
    ANSWERED = "answered"
    UNAVAILABLE = "unavailable"  # answered: no time on the event's days
    UNREACHABLE = "unreachable"  # no email address, or Greenhouse's "can email" is off
    EXCLUDED = "excluded"  # already has a scheduling request for this stage, or could not be read
    SCHEDULED = "scheduled"  # planned; its scheduling request is booking it
    BOOKED = "booked"
    UNSCHEDULED = "unscheduled"  # planned out; on the waitlist with the planner's reasons
    HANDED_OVER = "handed_over"  # its scheduling request offered other times or escalated
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class EventInvitee(BaseModel):
    """One candidate of the event, as the workflow knows them (no names beyond a first name)."""

    application_id: int
    candidate_id: int | None = None
    first_name: str = ""
    time_zone: str = "UTC"
    email: str | None = None
    state: EventCandidateState = EventCandidateState.INVITED
    reason: str = ""
    windows: list[Interval] = Field(default_factory=list)
    answered_at: AwareDatetime | None = None
    answers: int = Field(default=0, description="Answers recorded (changes of mind are capped).")
    placements: list[Placement] = Field(default_factory=list)
    blockers: list[Blocker] = Field(default_factory=list)
    scheduling_workflow_id: str | None = None
    loop_started: bool = Field(default=False, description="Its scheduling request was started by the event.")
    context: SchedulingContext | None = None


class AvailabilityInput(BaseModel):
    """A candidate's answer from the event page: the times they can come (none: they cannot)."""

    application_id: int
    windows: list[Interval] = Field(default_factory=list, max_length=60)
    time_zone: str | None = None
    request_id: str = Field(default="", max_length=200, description="The form's nonce: one effect per post.")


class AvailabilityResult(BaseModel):
    outcome: Literal["recorded", "refused"]
    message: str


class AvailabilityView(BaseModel):
    """What the candidate's event page shows: the days, their zone, what they said so far."""

    state: EventState
    open: bool
    candidate_state: EventCandidateState
    first_name: str = ""
    job_name: str = ""
    event_name: str = ""
    days: list[Interval] = Field(default_factory=list)
    candidate_time_zone: str = "UTC"
    granularity_minutes: int = 60
    windows: list[Interval] = Field(default_factory=list)
    answer_by: AwareDatetime | None = None
    placements: list[Placement] = Field(default_factory=list)
    session_names: dict[str, str] = Field(default_factory=dict, description="Session id -> its name.")
    message: str = ""
    chain_id: str = ""


class EventCancelInput(BaseModel):
    reason: str = Field(default="", max_length=2000)
    user_id: int | None = None
    request_id: str = Field(default="", max_length=200)


class EventCommandResult(BaseModel):
    outcome: Literal["done", "refused"]
    message: str


class LoopUpdateInput(BaseModel):
    """A scheduling request started by the event reports how its loop stands (child → event)."""

    application_id: int
    state: Literal["booked", "handed_over", "cancelled", "completed"]
    detail: str = Field(default="", max_length=500)


class EventStatus(BaseModel):
    workflow_id: str
    state: EventState
    job_id: int
    job_interview_stage_id: int
    job_name: str = ""
    stage_name: str = ""
    name: str = "hiring day"
    days: list[Interval] = Field(default_factory=list)
    answer_by: AwareDatetime | None = None
    candidates: list[EventInvitee] = Field(default_factory=list)
    plans_made: int = 0
    bound_candidates: int | None = None
    escalation: str = ""
    history: list[HistoryEntry] = Field(default_factory=list)

    def count(self, state: EventCandidateState) -> int:
        return sum(1 for c in self.candidates if c.state == state)


# ------------------------------------------------------------------------------------ activities


class EventApplicationsInput(BaseModel):
    job_id: int
    job_interview_stage_id: int
    limit: int = Field(default=60, ge=1, le=MAX_EVENT_CANDIDATES)


class EventApplicationsResult(BaseModel):
    """Active applications in the stage, oldest first (the order candidates are invited and planned in)."""

    application_ids: list[int] = Field(default_factory=list)
    more: int = Field(default=0, description="Applications beyond the limit, left out of the event.")


class PlanEventCandidate(BaseModel):
    application_id: int
    time_zone: str = "UTC"
    windows: list[Interval] = Field(default_factory=list, description="Empty: any time of the event.")


class PlanEventInput(BaseModel):
    """Plan the event's candidates against fresh calendars; `reserved` loops are kept as they are."""

    workflow_id: str
    days: list[Interval] = Field(min_length=1)
    mode: Literal["onsite", "video"] = "onsite"
    granularity_minutes: int = 15
    max_gap_minutes: int = 30
    context: SchedulingContext
    candidates: list[PlanEventCandidate] = Field(min_length=1)
    reserved: list[Placement] = Field(default_factory=list)
    time_limit_seconds: float = 10.0


class RunningRequestsInput(BaseModel):
    application_ids: list[int] = Field(default_factory=list, max_length=MAX_EVENT_CANDIDATES)
    job_interview_stage_id: int


class RunningRequestsResult(BaseModel):
    application_ids: list[int] = Field(default_factory=list)
