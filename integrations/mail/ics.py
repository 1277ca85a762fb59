"""iMIP calendar invitations (RFC 5546 / 6047) for candidates whose calendars we cannot write.

One VEVENT per iTIP message (iTIP allows a single UID per object). The UID comes from the booking
key, so a reschedule (`METHOD:REQUEST`, higher SEQUENCE) updates the same event in the candidate's
calendar and a cancellation (`METHOD:CANCEL`, `STATUS:CANCELLED`) removes it. Times are written in
UTC (`...Z`): accepted everywhere and free of VTIMEZONE pitfalls; the email body shows local time.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Literal

import icalendar
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PRODID = "-//Hireflow//Interview scheduling//EN"
IcsMethod = Literal["REQUEST", "CANCEL"]


def event_uid(booking_key: str, domain: str) -> str:
    """A stable, opaque UID for a booking key: same key → same calendar event, no ids leaked."""
    if not booking_key:
        raise ValueError("booking_key must not be empty")
    digest = hashlib.sha256(booking_key.encode()).hexdigest()[:32]
    return f"hf-{digest}@{domain}"


class Attendee(BaseModel):
    """A person invited to the event."""

    model_config = ConfigDict(frozen=True)

    email: str = Field(pattern=r"^[^@\s<>]+@[^@\s<>]+$")
    name: str | None = None
    required: bool = True


class CalendarInvite(BaseModel):
    """Everything an invitation (or its cancellation) says about one event."""

    model_config = ConfigDict(frozen=True)

    uid: str = Field(min_length=1)
    sequence: int = Field(ge=0, description="0 on first send; +1 on every change, including cancel.")
    start: datetime
    end: datetime
    summary: str = Field(min_length=1)
    description: str = ""
    location: str | None = None
    url: str | None = None
    organizer_email: str = Field(pattern=r"^[^@\s<>]+@[^@\s<>]+$")
    organizer_name: str | None = None
    attendees: list[Attendee] = Field(min_length=1)

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("invite times must be timezone-aware")
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _ordered(self) -> CalendarInvite:
        if self.end <= self.start:
            raise ValueError("invite ends before it starts")
        return self


def _address(email: str, name: str | None) -> icalendar.vCalAddress:
    addr = icalendar.vCalAddress(f"mailto:{email}")
    if name:
        addr.params["cn"] = name
    return addr


def build_ics(invite: CalendarInvite, method: IcsMethod, *, dtstamp: datetime) -> bytes:
    """Serialise `invite` as an iTIP object with `method`; `dtstamp` is passed in (no clock reads)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    ev = icalendar.Event()
    ev.add("uid", invite.uid)
    ev.add("sequence", invite.sequence)
    ev.add("dtstamp", dtstamp.astimezone(UTC))
    ev.add("dtstart", invite.start)
    ev.add("dtend", invite.end)
    ev.add("summary", invite.summary)
    if invite.description:
        ev.add("description", invite.description)
    if invite.location:
        ev.add("location", invite.location)
    if invite.url:
        ev.add("url", invite.url)
    ev.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    ev.add("transp", "OPAQUE")
    ev.add("organizer", _address(invite.organizer_email, invite.organizer_name))
    for person in invite.attendees:
        att = _address(person.email, person.name)
        att.params["role"] = "REQ-PARTICIPANT" if person.required else "OPT-PARTICIPANT"
        att.params["partstat"] = "NEEDS-ACTION"
        att.params["rsvp"] = "TRUE" if method == "REQUEST" else "FALSE"
        ev.add("attendee", att)
    cal.add_component(ev)
    return cal.to_ical()


class ParsedInvite(BaseModel):
    """What a calendar client would read back from an ICS object (used by tests and the CLI)."""

    method: str
    uid: str
    sequence: int
    start: datetime
    end: datetime
    status: str | None
    summary: str


def parse_ics(data: bytes | str) -> ParsedInvite:
    """Parse an iTIP object with one VEVENT; `ValueError` if it is not one."""
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception as exc:  # icalendar raises several types for malformed input
        raise ValueError(f"not a valid iCalendar object: {exc}") from exc
    events = [c for c in cal.walk("VEVENT")]
    if len(events) != 1:
        raise ValueError(f"expected exactly one VEVENT, found {len(events)}")
    ev = events[0]
    start, end = ev.decoded("dtstart"), ev.decoded("dtend")
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        raise ValueError("DTSTART/DTEND must be date-times")
    return ParsedInvite(
        method=str(cal.get("method", "")),
        uid=str(ev.get("uid")),
        sequence=int(ev.get("sequence", 0)),
        start=start,
        end=end,
        status=str(ev["status"]) if "status" in ev else None,
        summary=str(ev.get("summary", "")),
    )
