"""The calendar contract every provider implements, and the value types that cross it.

Workflows and activities speak only these types: UTC intervals, attendees with a response status,
rooms with a capacity, and events keyed by a caller-chosen booking key. Each provider turns the
key into an id its service accepts (`event_id_for`), which is what makes a retried create find the
event it already wrote instead of booking a second one.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

# ---------------------------------------------------------------------------------------------
# Errors: activities map `retryable` / `retry_after` onto Temporal's ApplicationError.


class CalendarError(Exception):
    """A calendar call failed. `retryable` says whether the same call may succeed later."""

    retryable: bool = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CalendarUnavailableError(CalendarError):
    """Throttled or a transient server fault; retry after `retry_after` seconds when given."""

    retryable = True


class CalendarPermissionError(CalendarError):
    """The credentials lack a grant (delegation, consent, mailbox policy); an admin must act."""


class CalendarNotFoundError(CalendarError):
    """The calendar, room or event does not exist."""


class CalendarConflictError(CalendarError):
    """The event changed underneath us (stale ETag); re-read and try again."""

    retryable = True


class CalendarRequestError(CalendarError):
    """The request itself is invalid for this provider (bad input, unsupported feature)."""


# ---------------------------------------------------------------------------------------------
# Ids


def booking_key(workflow_id: str, session_id: str) -> str:
    """The caller-side key of one booked session: `hf-<workflow-id>-<session-id>`."""
    if not workflow_id or not session_id:
        raise ValueError("booking_key needs a non-empty workflow id and session id")
    return f"hf-{workflow_id}-{session_id}"


def event_id_for(key: str) -> str:
    """A provider-legal event id derived from a booking key, stable across processes.

    32 characters of lowercase base32hex (`0-9a-v`) from SHA-256: legal as a Google event id
    (base32hex, 5-1024 chars), as a CalDAV resource name and as a Graph `transactionId`.
    """
    if not key:
        raise ValueError("event key must not be empty")
    digest = hashlib.sha256(key.encode()).digest()[:20]
    return base64.b32hexencode(digest).decode().lower().rstrip("=")


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# Value types


class Interval(BaseModel):
    """A half-open UTC interval `[start, end)`."""

    model_config = ConfigDict(frozen=True)

    start: AwareDatetime
    end: AwareDatetime

    utc_times = field_validator("start", "end")(_utc)

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.end <= self.start:
            raise ValueError(
                f"interval end {self.end.isoformat()} is not after start {self.start.isoformat()}"
            )
        return self

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


def merge_intervals(intervals: Sequence[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals."""
    merged: list[Interval] = []
    for iv in sorted(intervals, key=lambda i: (i.start, i.end)):
        if merged and iv.start <= merged[-1].end:
            if iv.end > merged[-1].end:
                merged[-1] = Interval(start=merged[-1].start, end=iv.end)
        else:
            merged.append(iv)
    return merged


class FreeBusy(BaseModel):
    """Busy time of one calendar over the queried window.

    `hard` blocks scheduling (busy and out-of-office); `tentative` is a soft conflict the planner
    may overlap at a cost. `error` is set when this one calendar could not be read; the others
    in the same query are still valid.
    """

    calendar_id: str
    hard: list[Interval] = Field(default_factory=list)
    tentative: list[Interval] = Field(default_factory=list)
    error: str | None = None


class ResponseStatus(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TENTATIVE = "tentative"
    NEEDS_ACTION = "needs_action"


class Attendee(BaseModel):
    email: str
    name: str | None = None
    optional: bool = False
    response: ResponseStatus = ResponseStatus.NEEDS_ACTION

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        v = v.strip().lower()
        if "@" not in v or v.startswith("@") or v.endswith("@"):
            raise ValueError(f"not an email address: {v!r}")
        return v


class Room(BaseModel):
    """A bookable room. `id` is its calendar id (a resource email on Google/Graph)."""

    id: str
    name: str
    capacity: int = Field(ge=0)
    email: str | None = None
    time_zone: str | None = None
    building: str | None = None


class RoomResponse(BaseModel):
    """A booked room and whether it accepted the booking."""

    id: str
    response: ResponseStatus = ResponseStatus.ACCEPTED


VideoProvider = Literal["jitsi", "meet", "teams", "zoom", "other"]


class VideoLink(BaseModel):
    provider: VideoProvider
    url: str
    meeting_id: str | None = None


class EventSpec(BaseModel):
    """What to book. `key` is the booking key; the event id is derived from it.

    `organizer` is the calendar that owns the event (the scheduling mailbox or an interviewer).
    `video` carries a link made beforehand (Jitsi, Zoom); `native_video` asks the provider to
    create its own meeting (Meet on Google, Teams on Graph).
    """

    key: str = Field(min_length=1)
    organizer: str
    summary: str
    description: str = ""
    start: AwareDatetime
    end: AwareDatetime
    time_zone: str = "UTC"
    attendees: list[Attendee] = Field(default_factory=list)
    rooms: list[Room] = Field(default_factory=list)
    video: VideoLink | None = None
    native_video: bool = False

    utc_times = field_validator("start", "end")(_utc)

    @model_validator(mode="after")
    def _check(self) -> EventSpec:
        if self.end <= self.start:
            raise ValueError("event end must be after its start")
        if self.video is not None and self.native_video:
            raise ValueError("give either a video link or native_video, not both")
        return self

    @property
    def event_id(self) -> str:
        return event_id_for(self.key)


EventStatus = Literal["confirmed", "cancelled"]


class CalendarEvent(BaseModel):
    """An event as the provider holds it, with every attendee's current response."""

    key: str
    event_id: str
    organizer: str
    summary: str
    start: AwareDatetime
    end: AwareDatetime
    attendees: list[Attendee] = Field(default_factory=list)
    rooms: list[RoomResponse] = Field(default_factory=list)
    video: VideoLink | None = None
    status: EventStatus = "confirmed"
    sequence: int = 0
    etag: str | None = None
    created: bool = Field(
        default=False,
        description="True when this call made the booking take effect: a new event, or a cancelled one "
        "revived (then `revived` is True too). False when an earlier attempt had already booked it.",
    )
    revived: bool = Field(
        default=False,
        description="True when this call found the key's event cancelled and brought it back to the spec.",
    )

    utc_times = field_validator("start", "end")(_utc)

    def declined(self) -> list[str]:
        """Emails of people and rooms that declined: the signal for replacement or re-offer."""
        people = [a.email for a in self.attendees if a.response is ResponseStatus.DECLINED]
        return people + [r.id for r in self.rooms if r.response is ResponseStatus.DECLINED]


# ---------------------------------------------------------------------------------------------
# The Protocol


@runtime_checkable
class CalendarProvider(Protocol):
    """One calendar backend. Every write is idempotent under the booking key."""

    name: str

    async def free_busy(
        self, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, FreeBusy]:
        """Busy time per calendar id over `[start, end)`; per-calendar failures land in `error`."""
        ...

    async def create_event(self, spec: EventSpec) -> CalendarEvent:
        """Book `spec`: afterwards exactly one live event under `spec.key` matches it.

        No event yet: create it (`created`). A live one (an earlier attempt of this booking): return
        it, updated to the spec if it differs. A cancelled one: revive it to the spec (`created` and
        `revived`), never return it as if booked.
        """
        ...

    async def get_event(self, organizer: str, key: str) -> CalendarEvent | None:
        """The event booked under `key`, with current responses, or None."""
        ...

    async def update_event(self, spec: EventSpec) -> CalendarEvent:
        """Move or change the event booked under `spec.key`; unchanged specs are a no-op."""
        ...

    async def cancel_event(self, organizer: str, key: str) -> None:
        """Cancel the event; cancelling a missing or already cancelled event succeeds."""
        ...

    async def list_rooms(self) -> list[Room]:
        """Bookable rooms with capacity."""
        ...

    async def aclose(self) -> None: ...


def check_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """Validate a query window and return it in UTC."""
    if start.tzinfo is None or end.tzinfo is None:
        raise CalendarRequestError("free/busy window needs timezone-aware datetimes")
    if end <= start:
        raise CalendarRequestError("free/busy window end must be after its start")
    return _utc(start), _utc(end)
