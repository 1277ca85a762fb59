"""iCalendar (RFC 5545) encoding of booked events for the CalDAV provider, and VFREEBUSY parsing.

All times are written in UTC (`...Z`), so no VTIMEZONE is needed and every reader agrees on the
instant. Hireflow-specific facts ride in `X-HIREFLOW-*` properties and parameters: the booking
key, the video provider, room ids, and which attendees got a copy in their own calendar.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import icalendar

from integrations.calendar.base import (
    Attendee,
    CalendarEvent,
    CalendarRequestError,
    EventSpec,
    Interval,
    ResponseStatus,
    RoomResponse,
    VideoLink,
)

PRODID = "-//Hireflow//Scheduling//EN"
UID_DOMAIN = "hireflow"

_PARTSTAT = {
    ResponseStatus.ACCEPTED: "ACCEPTED",
    ResponseStatus.DECLINED: "DECLINED",
    ResponseStatus.TENTATIVE: "TENTATIVE",
    ResponseStatus.NEEDS_ACTION: "NEEDS-ACTION",
}
_FROM_PARTSTAT = {v: k for k, v in _PARTSTAT.items()}


def uid_for(event_id: str) -> str:
    return f"{event_id}@{UID_DOMAIN}"


def partstat(status: ResponseStatus) -> str:
    return _PARTSTAT[status]


def response_from_partstat(value: str | None) -> ResponseStatus:
    """PARTSTAT -> response; unknown or DELEGATED values count as no answer yet."""
    return _FROM_PARTSTAT.get((value or "NEEDS-ACTION").upper(), ResponseStatus.NEEDS_ACTION)


def _address(email: str) -> str:
    return f"mailto:{email}"


def _email_of(value: Any) -> str:
    text = str(value)
    return text[7:].lower() if text.lower().startswith("mailto:") else text.lower()


def build_event(
    spec: EventSpec,
    *,
    sequence: int = 0,
    responses: dict[str, ResponseStatus] | None = None,
    copies: set[str] | None = None,
    dtstamp: datetime | None = None,
) -> bytes:
    """A VCALENDAR holding the event of `spec`.

    `responses` overrides attendees' PARTSTAT (default: the spec's). `copies` names the attendee
    emails and room ids whose own calendars hold a copy; it is recorded on each ATTENDEE line so
    responses are later read from the right calendar.
    """
    responses = responses or {}
    copies = copies or set()
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    ev = icalendar.Event()
    ev.add("uid", uid_for(spec.event_id))
    ev.add("x-hireflow-key", spec.key)
    ev.add("dtstamp", (dtstamp or datetime.now(UTC)).replace(microsecond=0))
    ev.add("dtstart", spec.start)
    ev.add("dtend", spec.end)
    ev.add("summary", spec.summary)
    if spec.description:
        ev.add("description", spec.description)
    ev.add("sequence", sequence)
    ev.add("status", "CONFIRMED")
    ev.add("transp", "OPAQUE")
    ev.add("x-hireflow-tz", spec.time_zone)
    organizer = icalendar.vCalAddress(_address(spec.organizer.lower()))
    ev.add("organizer", organizer)
    for att in spec.attendees:
        addr = icalendar.vCalAddress(_address(att.email))
        addr.params["CUTYPE"] = "INDIVIDUAL"
        addr.params["ROLE"] = "OPT-PARTICIPANT" if att.optional else "REQ-PARTICIPANT"
        addr.params["PARTSTAT"] = partstat(responses.get(att.email, att.response))
        addr.params["RSVP"] = "TRUE"
        if att.name:
            addr.params["CN"] = att.name
        if att.email in copies:
            addr.params["X-HIREFLOW-COPY"] = "TRUE"
        ev.add("attendee", addr)
    for room in spec.rooms:
        addr = icalendar.vCalAddress(_address(room.email or f"{room.id}@rooms.{UID_DOMAIN}"))
        addr.params["CUTYPE"] = "ROOM"
        addr.params["ROLE"] = "NON-PARTICIPANT"
        addr.params["PARTSTAT"] = partstat(responses.get(room.id, ResponseStatus.ACCEPTED))
        addr.params["CN"] = room.name
        addr.params["X-HIREFLOW-ROOM"] = room.id
        if room.id in copies:
            addr.params["X-HIREFLOW-COPY"] = "TRUE"
        ev.add("attendee", addr)
    if spec.rooms:
        ev.add("location", ", ".join(r.name for r in spec.rooms))
    if spec.video is not None:
        ev.add("url", spec.video.url)
        ev.add("x-hireflow-video", spec.video.provider)
        if spec.video.meeting_id:
            ev.add("x-hireflow-video-id", spec.video.meeting_id)
    cal.add_component(ev)
    return cast(bytes, cal.to_ical())


def _vevent(ics: bytes | str) -> icalendar.Event:
    try:
        cal = icalendar.Calendar.from_ical(ics)
    except ValueError as exc:
        raise CalendarRequestError(f"unparseable iCalendar data: {exc}") from exc
    for comp in cal.walk("VEVENT"):
        return cast(icalendar.Event, comp)
    raise CalendarRequestError("iCalendar data holds no VEVENT")


def _as_utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise CalendarRequestError(f"not a date-time: {value!r}")


def _attendee_lines(ev: icalendar.Event) -> list[Any]:
    value = ev.get("ATTENDEE")
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def copy_holders(ics: bytes | str) -> dict[str, str]:
    """Attendee email or room id -> calendar id, for every ATTENDEE marked as holding a copy."""
    out: dict[str, str] = {}
    for line in _attendee_lines(_vevent(ics)):
        if str(line.params.get("X-HIREFLOW-COPY", "")).upper() != "TRUE":
            continue
        room = line.params.get("X-HIREFLOW-ROOM")
        ident = str(room) if room else _email_of(line)
        out[ident] = ident
    return out


def responses_in(ics: bytes | str) -> dict[str, ResponseStatus]:
    """PARTSTAT of every attendee (by email) and room (by id) as this copy records it."""
    out: dict[str, ResponseStatus] = {}
    for line in _attendee_lines(_vevent(ics)):
        room = line.params.get("X-HIREFLOW-ROOM")
        out[str(room) if room else _email_of(line)] = response_from_partstat(line.params.get("PARTSTAT"))
    return out


def parse_event(ics: bytes | str, *, etag: str | None = None) -> CalendarEvent:
    """The CalendarEvent encoded in `ics` (responses as this copy records them)."""
    ev = _vevent(ics)
    uid = str(ev.get("UID", ""))
    attendees: list[Attendee] = []
    rooms: list[RoomResponse] = []
    for line in _attendee_lines(ev):
        status = response_from_partstat(line.params.get("PARTSTAT"))
        room = line.params.get("X-HIREFLOW-ROOM")
        if room or str(line.params.get("CUTYPE", "")).upper() == "ROOM":
            rooms.append(RoomResponse(id=str(room or _email_of(line)), response=status))
        else:
            attendees.append(
                Attendee(
                    email=_email_of(line),
                    name=str(line.params["CN"]) if "CN" in line.params else None,
                    optional=str(line.params.get("ROLE", "")).upper() == "OPT-PARTICIPANT",
                    response=status,
                )
            )
    video = None
    if ev.get("URL"):
        video = VideoLink.model_validate(
            {
                "provider": str(ev.get("X-HIREFLOW-VIDEO", "other")),
                "url": str(ev.get("URL")),
                "meeting_id": str(ev["X-HIREFLOW-VIDEO-ID"]) if ev.get("X-HIREFLOW-VIDEO-ID") else None,
            }
        )
    ev_status = str(ev.get("STATUS", "CONFIRMED")).upper()
    return CalendarEvent(
        key=str(ev.get("X-HIREFLOW-KEY", uid)),
        event_id=uid.split("@", 1)[0],
        organizer=_email_of(ev.get("ORGANIZER", "")),
        summary=str(ev.get("SUMMARY", "")),
        start=_as_utc(ev.decoded("DTSTART")),
        end=_as_utc(ev.decoded("DTEND")) if ev.get("DTEND") else _as_utc(ev.decoded("DTSTART")),
        attendees=attendees,
        rooms=rooms,
        video=video,
        status="cancelled" if ev_status == "CANCELLED" else "confirmed",
        sequence=int(ev.get("SEQUENCE", 0)),
        etag=etag,
    )


def mutate(ics: bytes | str, change: Callable[[icalendar.Event], None]) -> bytes:
    """Apply `change` to the VEVENT of `ics` and re-serialise, refreshing DTSTAMP."""
    cal = icalendar.Calendar.from_ical(ics)
    for comp in cal.walk("VEVENT"):
        change(cast(icalendar.Event, comp))
        comp.pop("DTSTAMP", None)
        comp.add("dtstamp", datetime.now(UTC).replace(microsecond=0))
    return cast(bytes, cal.to_ical())


def cancel(ev: icalendar.Event) -> None:
    """STATUS:CANCELLED with SEQUENCE bumped (iTIP: a change the attendees must see)."""
    if str(ev.get("STATUS", "")).upper() == "CANCELLED":
        return
    seq = int(ev.get("SEQUENCE", 0)) + 1
    ev.pop("STATUS", None)
    ev.pop("SEQUENCE", None)
    ev.add("status", "CANCELLED")
    ev.add("sequence", seq)


def set_partstat(ev: icalendar.Event, who: str, status: ResponseStatus) -> bool:
    """Set the PARTSTAT of attendee email or room id `who`; False if not an attendee."""
    found = False
    for line in _attendee_lines(ev):
        room = line.params.get("X-HIREFLOW-ROOM")
        ident = str(room) if room else _email_of(line)
        if ident == who.lower() or ident == who:
            line.params["PARTSTAT"] = partstat(status)
            found = True
    return found


def parse_freebusy(ics: bytes | str) -> tuple[list[Interval], list[Interval]]:
    """(hard, tentative) intervals from a free-busy-query reply (Radicale >= 3.8.2 form).

    BUSY and BUSY-UNAVAILABLE are hard, BUSY-TENTATIVE soft, FREE ignored. Handles both PERIOD
    forms (start/end and start/duration) and the older one-VFREEBUSY-per-busy reply.
    """
    try:
        cal = icalendar.Calendar.from_ical(ics)
    except ValueError as exc:
        raise CalendarRequestError(f"unparseable free-busy reply: {exc}") from exc
    hard: list[Interval] = []
    tentative: list[Interval] = []

    def add(kind: str, start: datetime, end: datetime) -> None:
        if end <= start:
            return
        iv = Interval(start=_as_utc(start), end=_as_utc(end))
        if kind == "BUSY-TENTATIVE":
            tentative.append(iv)
        elif kind in ("BUSY", "BUSY-UNAVAILABLE"):
            hard.append(iv)

    for vfb in cal.walk("VFREEBUSY"):
        periods = vfb.get("FREEBUSY")
        if periods is None:
            if vfb.get("FBTYPE") and vfb.get("DTSTART") and vfb.get("DTEND"):  # Radicale <= 3.8.1
                add(str(vfb["FBTYPE"]).upper(), vfb.decoded("DTSTART"), vfb.decoded("DTEND"))
            continue
        for period in periods if isinstance(periods, list) else [periods]:
            kind = str(period.params.get("FBTYPE", "BUSY")).upper()
            start, second = period.dt
            end = start + second if isinstance(second, timedelta) else second
            add(kind, start, end)
    return hard, tentative
