"""What the candidate reads: options grouped by local day, every time with its zone named.

Pure functions from workflow data to small view objects the templates print. Local days and
abbreviations are computed per instant, so a list spanning a daylight-saving change is right on
both sides of it ("(New York time, EDT)" one day, "EST" the next).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from integrations.mail.timefmt import EN_DASH, format_clock, format_day, format_range, format_utc, zone_label
from models.messages import BookedSession, Booking, OfferedOption, SchedulingContext
from models.scheduling import Interval, Placement
from models.time_order import in_time_order

COMMON_ZONES = (
    "America/Los_Angeles", "America/Denver", "America/Phoenix", "America/Chicago", "America/New_York",
    "America/Toronto", "America/Mexico_City", "America/Bogota", "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires", "America/Anchorage", "Pacific/Honolulu", "Atlantic/Reykjavik",
    "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
    "Europe/Amsterdam", "Europe/Stockholm", "Europe/Warsaw", "Europe/Athens", "Europe/Istanbul",
    "Europe/Kyiv", "Africa/Lagos", "Africa/Johannesburg", "Africa/Nairobi", "Asia/Dubai", "Asia/Karachi",
    "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok", "Asia/Singapore", "Asia/Shanghai", "Asia/Hong_Kong",
    "Asia/Tokyo", "Asia/Seoul", "Australia/Perth", "Australia/Sydney", "Pacific/Auckland", "UTC",
)  # fmt: skip


@dataclass(frozen=True)
class SessionLine:
    """One session: its local clock range, name and interviewers."""

    when: str
    name: str
    people: str


@dataclass(frozen=True)
class OptionCard:
    option_id: str
    when: str
    utc: str
    sessions: list[SessionLine]


@dataclass(frozen=True)
class DayGroup:
    day: str
    options: list[OptionCard] = field(default_factory=list)


def valid_zone(name: str | None) -> str | None:
    """`name` when it is an IANA zone this server knows, else None."""
    if not name or len(name) > 64:
        return None
    return name if name in _known_zones() else None


def _known_zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones()) | {"UTC"}
    return _ZONES


_ZONES: frozenset[str] | None = None


def zone_choices(selected: str, candidate_zone: str, now: datetime) -> list[tuple[str, str]]:
    """(value, label) for the zone select: the common zones plus the selected and the candidate's."""
    names = list(dict.fromkeys([selected, candidate_zone, *COMMON_ZONES]))
    extra = names[:2]
    common = sorted(names[2:], key=lambda n: now.astimezone(ZoneInfo(n)).utcoffset() or timedelta(0))
    return [(n, f"{zone_label(now.astimezone(ZoneInfo(n)), n)} — {n}") for n in dict.fromkeys(extra + common)]


def _names(ids: list[int], context: SchedulingContext | None) -> str:
    if context is None:
        return ""
    people = [p.name for i in ids if (p := context.person(i)) is not None]
    return ", ".join(people)


def _session_name(session_id: str, context: SchedulingContext | None) -> str:
    if context is not None:
        for spec in context.sessions:
            if spec.session_id == session_id:
                return spec.name
    return "Interview"


def _clock_range(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    ls, le = start.astimezone(tz), end.astimezone(tz)
    return f"{format_clock(ls)}{EN_DASH}{format_clock(le)}"


def placement_line(p: Placement, tz_name: str, context: SchedulingContext | None) -> SessionLine:
    tz = ZoneInfo(tz_name)
    people = _names([*p.interviewers, *([p.trainee] if p.trainee else [])], context)
    return SessionLine(_clock_range(p.start, p.end, tz), _session_name(p.session, context), people)


def group_options(
    options: list[OfferedOption], tz_name: str, context: SchedulingContext | None
) -> list[DayGroup]:
    """Options by the local day they start on, in order, each with its sessions in time order."""
    tz = ZoneInfo(tz_name)
    groups: dict[date, DayGroup] = {}
    for option in sorted(options, key=lambda o: (o.start, o.rank)):
        local = option.start.astimezone(tz)
        group = groups.setdefault(local.date(), DayGroup(day=format_day(local)))
        when = format_range(option.start, option.end, tz_name)
        if local.date() == option.end.astimezone(tz).date():
            when = when.split(", ", 1)[1]  # the day is the group's heading
        group.options.append(
            OptionCard(
                option_id=option.option_id,
                when=when,
                utc=f"{format_utc(option.start)} {EN_DASH} {format_utc(option.end)[11:]}",
                sessions=[placement_line(p, tz_name, context) for p in in_time_order(option.placements)],
            )
        )
    return list(groups.values())


def booking_lines(booking: Booking, tz_name: str, context: SchedulingContext | None) -> list[SessionLine]:
    """The booked sessions, each with its full local date and zone."""
    return [_booked_line(s, tz_name, context) for s in in_time_order(booking.sessions)]


def _booked_line(s: BookedSession, tz_name: str, context: SchedulingContext | None) -> SessionLine:
    return SessionLine(format_range(s.start, s.end, tz_name), s.name, _names(s.interviewers, context))


class WindowError(ValueError):
    """A proposed window the candidate must correct; `row` is 1-based."""

    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row = row


def local_instant(day: date, clock: time, tz_name: str) -> datetime:
    """The instant of a wall-clock time in `tz_name`; a time skipped by a DST change is an error."""
    tz = ZoneInfo(tz_name)
    local = datetime.combine(day, clock, tzinfo=tz)
    round_trip = local.astimezone(ZoneInfo("UTC")).astimezone(tz)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValueError(f"{clock.strftime('%H:%M')} does not exist on {day.isoformat()} (clocks change)")
    return local


def parse_window(row: int, day: str, start: str, end: str, tz_name: str) -> Interval | None:
    """One row of the propose form, or None when the row is left empty."""
    if not (day or start or end):
        return None
    if not (day and start and end):
        raise WindowError(row, "fill in the date, the start and the end time (or leave the row empty)")
    try:
        d = date.fromisoformat(day)
        t0, t1 = time.fromisoformat(start), time.fromisoformat(end)
    except ValueError as exc:
        raise WindowError(row, "use a date like 2026-12-02 and times like 09:30") from exc
    if t1 <= t0:
        raise WindowError(row, "the end time must be after the start time")
    try:
        return Interval(start=local_instant(d, t0, tz_name), end=local_instant(d, t1, tz_name))
    except ValueError as exc:
        raise WindowError(row, str(exc)) from exc
