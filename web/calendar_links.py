"""Add-to-calendar for a booked loop: an `.ics` download and a Google Calendar template link.

The download is METHOD:PUBLISH with one VEVENT per session, times in UTC. It uses the same UIDs
as the emailed invitations (`event_uid(event_key)`), so importing it next to the invitation updates
the same events instead of duplicating them. A loop that was cancelled is never served as CONFIRMED:
`calendar_verdict` says whether to serve it, serve it as METHOD:CANCEL (so an earlier import is
cancelled too), or answer 410.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlencode

import icalendar

from integrations.mail.ics import PRODID, event_uid
from models.messages import Booking, SchedulingContext, SchedulingState
from models.time_order import in_time_order

CalendarVerdict = Literal["confirmed", "cancelled", "gone", "not_booked"]
# States in which a booking, if the status still shows one, no longer stands.
CANCELLED_STATES = frozenset({SchedulingState.CANCELLING, SchedulingState.CANCELLED})


def calendar_verdict(state: SchedulingState, booking: Booking | None, *, run_open: bool) -> CalendarVerdict:
    """What `calendar.ics` may serve for a request in `state`.

    `run_open` is False when the workflow ended without finishing its loop (terminated, failed, timed
    out): its events are no longer managed, so the file is gone (410) rather than CONFIRMED.
    """
    if state in CANCELLED_STATES:
        return "cancelled" if booking is not None else "gone"
    if not run_open:
        return "gone"
    return "confirmed" if booking is not None else "not_booked"


def _title(context: SchedulingContext | None) -> str:
    if context is None:
        return "Interview"
    return f"Interview: {context.job_name}" if context.job_name else "Interview"


def booking_ics(
    booking: Booking,
    context: SchedulingContext | None,
    *,
    domain: str,
    now: datetime,
    cancelled: bool = False,
) -> bytes:
    """The whole loop as an iCalendar file a candidate can import (METHOD:CANCEL when `cancelled`)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    for s in in_time_order(booking.sessions):
        event = icalendar.Event()
        event.add("uid", event_uid(s.event_key, domain))
        event.add("sequence", booking.sequence + 1 if cancelled else booking.sequence)
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", s.start.astimezone(UTC))
        event.add("dtend", s.end.astimezone(UTC))
        event.add("summary", f"{_title(context)} — {s.name}")
        if s.video_url:
            event.add("location", s.video_url)
            event.add("description", f"Join: {s.video_url}")
        elif s.room:
            event.add("location", s.room)
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        cal.add_component(event)
    return bytes(cal.to_ical())


def google_calendar_url(booking: Booking, context: SchedulingContext | None) -> str:
    """A Google Calendar 'create event' link spanning the loop, with the sessions in the details."""

    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    details = "\n".join(
        f"{s.name}: {stamp(s.start)} to {stamp(s.end)} (UTC)" + (f" {s.video_url}" if s.video_url else "")
        for s in in_time_order(booking.sessions)
    )
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": _title(context),
            "dates": f"{stamp(booking.start)}/{stamp(booking.end)}",
            "details": details,
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"
