"""Inputs and outputs of the activities the SchedulingWorkflow calls, one model per activity.

Every write carries a key derived from the workflow id and a business fact (session, offer version,
purpose), so a retried activity finds what its earlier attempt did instead of doing it twice.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from models.messages import (
    BookedSession,
    OfferedOption,
    Person,
    ReplyRole,
    SchedulingContext,
    SchedulingPolicy,
)
from models.scheduling import Blocker, Interval


class GatherInput(BaseModel):
    application_id: int
    job_interview_stage_id: int


class PinSpec(BaseModel):
    """Keep one session's start, people or room (used when one part of a booked loop changes)."""

    session_id: str
    start: AwareDatetime | None = None
    interviewers: list[int] | None = None
    room: str | None = None


class FindOptionsInput(BaseModel):
    """Read fresh free/busy, build the planner problem and solve it."""

    workflow_id: str
    context: SchedulingContext
    policy: SchedulingPolicy
    window_start: AwareDatetime
    candidate_windows: list[Interval] = Field(default_factory=list)
    excluded_interviewers: list[int] = Field(default_factory=list)
    pinned: list[PinSpec] = Field(default_factory=list, description="Parts of the loop to keep as they are.")
    widen: bool = Field(default=False, description="Also draw from each session's alternates.")
    ignore_event_keys: list[str] = Field(
        default_factory=list, description="Our own bookings being replaced: not busy time for this search."
    )
    offer_version: int = 0


class FindOptionsResult(BaseModel):
    status: Literal["optimal", "feasible", "infeasible", "unknown"]
    options: list[OfferedOption] = Field(default_factory=list)
    blockers: list[Blocker] = Field(default_factory=list)


class CheckOptionInput(BaseModel):
    """Re-check one option against fresh calendars with the independent validator."""

    workflow_id: str
    context: SchedulingContext
    policy: SchedulingPolicy
    option: OfferedOption
    window_start: AwareDatetime
    candidate_windows: list[Interval] = Field(default_factory=list)
    excluded_interviewers: list[int] = Field(default_factory=list)
    ignore_event_keys: list[str] = Field(default_factory=list)


class CheckOptionResult(BaseModel):
    valid: bool
    violations: list[str] = Field(default_factory=list)


class BookEventsInput(BaseModel):
    """Create (or find) the calendar event of each session, with rooms and a video link."""

    workflow_id: str
    context: SchedulingContext
    mode: Literal["video", "onsite"]
    sessions: list[BookedSession]
    sequence: int = 0


class SessionsResult(BaseModel):
    """Sessions as an activity left them (with event ids, interview ids, video links filled in)."""

    sessions: list[BookedSession]


class CancelEventsInput(BaseModel):
    workflow_id: str
    sessions: list[BookedSession]
    reason: str = ""


class ReadResponsesInput(BaseModel):
    workflow_id: str
    sessions: list[BookedSession]
    people: list[Person] = Field(default_factory=list, description="To match attendee emails to user ids.")


class AttendeeResponse(BaseModel):
    session_id: str
    user_id: int
    response: Literal["accepted", "declined", "tentative", "needs_action"]


class ReadResponsesResult(BaseModel):
    responses: list[AttendeeResponse] = Field(default_factory=list)


class InterviewsInput(BaseModel):
    """Record (or find, by `external_event_id`) the Greenhouse interview of each session."""

    application_id: int
    sessions: list[BookedSession]
    first_issue: bool = Field(
        default=False,
        description="The booking attempt records its interviews for the first time: keys derive from the "
        "attempt, so its first try need not list the application's interviews for earlier ones.",
    )


class UpdateInterviewInput(BaseModel):
    """Replace the panel of a recorded interview (after an interviewer is replaced)."""

    session: BookedSession


class NoteInput(BaseModel):
    """A note on the candidate; `key` makes a retried post find the first one."""

    key: str
    candidate_id: int
    application_id: int | None = None
    body: str
    visibility: Literal["public", "private", "admin_only"] = "private"
    first_issue: bool = Field(
        default=False,
        description="The workflow asks for this key for the first time: its first attempt need not look "
        "for an earlier post (one Harvest read saved); retries, and re-issues after a resume, look.",
    )


class EmailInput(BaseModel):
    """One logical email, sent at most once per `key` through the outbox.

    Templates: `invitation` (options to pick, also after a reschedule request), `reminder`,
    `confirmation` (booked loop + ICS), `reschedule` (the loop moved: old and new + ICS update),
    `cancellation` (+ ICS cancel), `interviewer_notice`, `recruiter_escalation`, `cancel_confirmation`
    (the candidate asked by email to cancel: a link to confirm it).
    """

    key: str
    template: Literal[
        "invitation",
        "availability_request",
        "reminder",
        "confirmation",
        "reschedule",
        "cancellation",
        "interviewer_notice",
        "recruiter_escalation",
        "cancel_confirmation",
    ]
    to: list[str] = Field(min_length=1)
    recipient_name: str = ""
    recipient_time_zone: str | None = None
    context: SchedulingContext
    booking_sessions: list[BookedSession] = Field(default_factory=list)
    previous_sessions: list[BookedSession] = Field(default_factory=list)
    options: list[OfferedOption] = Field(default_factory=list)
    expires_at: AwareDatetime | None = None
    reason: str = ""
    notice_action: Literal["scheduled", "rescheduled", "cancelled"] = Field(
        default="scheduled", description="What an `interviewer_notice` tells the interviewer."
    )
    reply_token_workflow_id: str | None = None
    reply_role: ReplyRole | None = Field(
        default=None, description="Who the recipient is (their reply address)."
    )
    reply_user_id: int | None = None
    chain_id: str = Field(default="", description="The request's first run id: links and replies bind to it.")
    ics_method: Literal["REQUEST", "CANCEL"] | None = None
    ics_uid: str | None = None
    ics_sequence: int = 0


class EmailResult(BaseModel):
    message_id: str
    sent: bool
    duplicate: bool = False
