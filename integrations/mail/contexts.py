"""Typed contexts, one per email template, so a caller cannot forget a field a template needs.

All instants are aware datetimes (normalised to UTC here); `time_zone` is the reader's IANA zone and
decides how every time in the email is shown. Each context names its template in a literal `template`
field, which also discriminates `AnyMailContext`, so a context survives Temporal's data converter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator, model_validator

from integrations.mail.timefmt import HourCycle, zone
from models.time_order import in_time_order


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware")
    return value.astimezone(UTC)


def _utc_opt(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _time_ordered(value: list[Session]) -> list[Session]:
    """A loop reads in time order in every email, whatever order the interview plan gave."""
    return in_time_order(value)


class Session(BaseModel):
    """One interview in a loop, as the reader should see it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1)
    start: datetime
    end: datetime
    interviewers: list[str] = Field(default_factory=list)
    location: str | None = None
    video_url: AnyHttpUrl | None = None

    _utc_start = field_validator("start", "end")(_utc)

    @model_validator(mode="after")
    def _ordered(self) -> Session:
        if self.end <= self.start:
            raise ValueError(f"session {self.title!r} ends before it starts")
        return self


class MailContext(BaseModel):
    """Fields every template uses."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    recipient_name: str = Field(min_length=1)
    company_name: str = Field(min_length=1)
    job_title: str = Field(min_length=1)
    time_zone: str = Field(description="The reader's IANA time zone.")
    hour_cycle: HourCycle = "24h"
    sender_name: str = Field(default="The recruiting team", min_length=1)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value


class InvitationContext(MailContext):
    """Self-scheduling invitation: the candidate picks a time on the live page."""

    template: Literal["invitation"] = "invitation"
    schedule_url: AnyHttpUrl
    expires_at: datetime | None = None
    loop_summary: str = Field(min_length=1, description="E.g. 'three interviews, about 2 hours 30 minutes'.")

    _utc_expires = field_validator("expires_at")(_utc_opt)


class AvailabilityRequestContext(MailContext):
    """Ask the candidate for their availability on a recruiting event's days (answered on the page only)."""

    template: Literal["availability_request"] = "availability_request"
    availability_url: AnyHttpUrl
    respond_by: datetime | None = None
    duration_summary: str = Field(min_length=1)
    event: str = Field(
        default="",
        max_length=300,
        description="The event's name and days in words, e.g. 'hiring day on Wednesday 2 December'.",
    )

    _utc_respond = field_validator("respond_by")(_utc_opt)


class ReminderContext(MailContext):
    """A reminder: of an upcoming interview, or of a scheduling link still waiting for a pick."""

    template: Literal["reminder"] = "reminder"
    about: Literal["interview", "pick_time"]
    sessions: list[Session] = Field(default_factory=list)
    action_url: AnyHttpUrl

    _in_time_order = field_validator("sessions")(_time_ordered)

    @model_validator(mode="after")
    def _sessions_for_interview(self) -> ReminderContext:
        if self.about == "interview" and not self.sessions:
            raise ValueError("an interview reminder needs at least one session")
        return self


class ConfirmationContext(MailContext):
    """The booked loop, with links to reschedule or cancel."""

    template: Literal["confirmation"] = "confirmation"
    sessions: list[Session] = Field(min_length=1)
    reschedule_url: AnyHttpUrl
    cancel_url: AnyHttpUrl | None = None

    _in_time_order = field_validator("sessions")(_time_ordered)


class RescheduleContext(MailContext):
    """The loop moved: old and new times side by side."""

    template: Literal["reschedule"] = "reschedule"
    previous_sessions: list[Session] = Field(min_length=1)
    sessions: list[Session] = Field(min_length=1)
    reason: str | None = None
    reschedule_url: AnyHttpUrl

    _in_time_order = field_validator("sessions", "previous_sessions")(_time_ordered)


class CancellationContext(MailContext):
    """The loop is cancelled."""

    template: Literal["cancellation"] = "cancellation"
    sessions: list[Session] = Field(min_length=1)
    reason: str | None = None
    contact_email: str | None = None

    _in_time_order = field_validator("sessions")(_time_ordered)


class InterviewerNoticeContext(MailContext):
    """Tells an interviewer a session was scheduled, moved or cancelled (times in their zone)."""

    template: Literal["interviewer_notice"] = "interviewer_notice"
    action: Literal["scheduled", "rescheduled", "cancelled"]
    candidate_name: str = Field(min_length=1)
    session: Session
    previous_session: Session | None = None
    greenhouse_url: AnyHttpUrl | None = None


class EscalationContext(MailContext):
    """Asks a recruiter to step in: what happened, why Hireflow stopped, where to look."""

    template: Literal["escalation"] = "escalation"
    candidate_name: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    details: list[str] = Field(default_factory=list)
    workflow_url: AnyHttpUrl | None = None
    greenhouse_url: AnyHttpUrl | None = None


class CancelConfirmationContext(MailContext):
    """The candidate asked by email to cancel: a link to confirm it (an email alone never cancels)."""

    template: Literal["cancel_confirmation"] = "cancel_confirmation"
    sessions: list[Session] = Field(default_factory=list)
    cancel_url: AnyHttpUrl

    _in_time_order = field_validator("sessions")(_time_ordered)


class AssessmentReminderContext(MailContext):
    """Reminds a candidate of a test they have not completed yet (deadline in their zone)."""

    template: Literal["assessment_reminder"] = "assessment_reminder"
    test_name: str = Field(min_length=1)
    test_url: AnyHttpUrl
    deadline: datetime

    _utc_deadline = field_validator("deadline")(_utc)


class AssessmentEscalationContext(MailContext):
    """Tells a recruiter an assessment needs them (expired, refused, failed to write back)."""

    template: Literal["assessment_escalation"] = "assessment_escalation"
    test_name: str = Field(min_length=1)
    reason: str = Field(min_length=1)


AnyMailContext = Annotated[
    InvitationContext
    | AvailabilityRequestContext
    | ReminderContext
    | ConfirmationContext
    | RescheduleContext
    | CancellationContext
    | InterviewerNoticeContext
    | EscalationContext
    | CancelConfirmationContext
    | AssessmentReminderContext
    | AssessmentEscalationContext,
    Field(discriminator="template"),
]
