"""Time-zone helpers: working hours on a local date as UTC intervals, Windows zone names to IANA.

Working hours are wall-clock times on a person's *local calendar date*, so they are built per
date with `datetime.combine(..., tzinfo=ZoneInfo(tz))` and only then converted to UTC. Adding
days to a UTC instant instead would shift the local hour across daylight-saving changes.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from integrations.calendar.base import Interval

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WORKING_HOURS: dict[str, list[tuple[str, str]]] = {d: [("09:00", "17:00")] for d in WEEKDAYS[:5]}

# Windows time zone ids as Microsoft Graph returns them -> IANA. Source: the Unicode CLDR
# `windowsZones.xml` "001" (territory-neutral) mappings; the same data ships as
# `icalendar.timezone.windows_to_olson.WINDOWS_TO_OLSON`, used as the fallback for names not listed.
WINDOWS_TO_IANA: dict[str, str] = {
    "UTC": "Etc/UTC",
    "Coordinated Universal Time": "Etc/UTC",
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest",
    "Central European Standard Time": "Europe/Warsaw",
    "E. Europe Standard Time": "Europe/Chisinau",
    "FLE Standard Time": "Europe/Kiev",
    "GTB Standard Time": "Europe/Bucharest",
    "Russian Standard Time": "Europe/Moscow",
    "Turkey Standard Time": "Europe/Istanbul",
    "Israel Standard Time": "Asia/Jerusalem",
    "South Africa Standard Time": "Africa/Johannesburg",
    "Arabian Standard Time": "Asia/Dubai",
    "India Standard Time": "Asia/Calcutta",
    "Pakistan Standard Time": "Asia/Karachi",
    "Bangladesh Standard Time": "Asia/Dhaka",
    "SE Asia Standard Time": "Asia/Bangkok",
    "China Standard Time": "Asia/Shanghai",
    "Singapore Standard Time": "Asia/Singapore",
    "Taipei Standard Time": "Asia/Taipei",
    "Tokyo Standard Time": "Asia/Tokyo",
    "Korea Standard Time": "Asia/Seoul",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "E. Australia Standard Time": "Australia/Brisbane",
    "Cen. Australia Standard Time": "Australia/Adelaide",
    "W. Australia Standard Time": "Australia/Perth",
    "New Zealand Standard Time": "Pacific/Auckland",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Alaskan Standard Time": "America/Anchorage",
    "Pacific Standard Time": "America/Los_Angeles",
    "Mountain Standard Time": "America/Denver",
    "US Mountain Standard Time": "America/Phoenix",
    "Central Standard Time": "America/Chicago",
    "Eastern Standard Time": "America/New_York",
    "Atlantic Standard Time": "America/Halifax",
    "Newfoundland Standard Time": "America/St_Johns",
    "Canada Central Standard Time": "America/Regina",
    "Central Standard Time (Mexico)": "America/Mexico_City",
    "SA Pacific Standard Time": "America/Bogota",
    "E. South America Standard Time": "America/Sao_Paulo",
    "Argentina Standard Time": "America/Buenos_Aires",
}


class UnknownTimeZoneError(ValueError):
    """A zone name that neither IANA nor the Windows table knows."""


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; Windows names are mapped first. Raises UnknownTimeZoneError."""
    if not name:
        raise UnknownTimeZoneError("empty time zone name")
    try:
        return ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        pass
    iana = windows_to_iana(name)
    return ZoneInfo(iana)


def windows_to_iana(name: str) -> str:
    """Map a Windows time zone id (as Graph returns it) to an IANA name."""
    if name in WINDOWS_TO_IANA:
        return WINDOWS_TO_IANA[name]
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    if name in WINDOWS_TO_OLSON:
        return WINDOWS_TO_OLSON[name]
    raise UnknownTimeZoneError(
        f"unknown time zone {name!r}: neither an IANA name nor a known Windows zone id"
    )


def parse_hhmm(value: str) -> tuple[int, int]:
    """`"HH:MM"` -> (hour, minute); `"24:00"` is allowed as an end of day."""
    try:
        hh, mm = value.split(":")
        hour, minute = int(hh), int(mm)
    except ValueError as exc:
        raise ValueError(f"working-hours time must be HH:MM, got {value!r}") from exc
    if not (0 <= hour <= 23 and 0 <= minute <= 59) and (hour, minute) != (24, 0):
        raise ValueError(f"working-hours time out of range: {value!r}")
    return hour, minute


def local_instant(day: date, hhmm: str, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `hhmm` on local `day`.

    A time that falls in a spring-forward gap moves forward by the gap (02:30 -> 03:30); a time
    that occurs twice at fall-back takes its first occurrence.
    """
    hour, minute = parse_hhmm(hhmm)
    if (hour, minute) == (24, 0):
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def working_intervals(day: date, ranges: Sequence[tuple[str, str]], tz_name: str) -> list[Interval]:
    """UTC intervals of the given local working-hour ranges on one local date."""
    tz = zone(tz_name)
    out: list[Interval] = []
    for start_s, end_s in ranges:
        start, end = local_instant(day, start_s, tz), local_instant(day, end_s, tz)
        if end <= start:
            raise ValueError(f"working hours {start_s}-{end_s} on {day} in {tz_name} are empty or reversed")
        out.append(Interval(start=start, end=end))
    return out


def local_dates(start: datetime, end: datetime, tz_name: str) -> Iterator[date]:
    """Every local date in `tz_name` that overlaps `[start, end)`."""
    tz = zone(tz_name)
    day = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def working_hours_utc(
    start: datetime,
    end: datetime,
    tz_name: str,
    weekly: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> list[Interval]:
    """Working-hour intervals in UTC, clipped to `[start, end)`, from a weekly local pattern."""
    weekly = DEFAULT_WORKING_HOURS if weekly is None else weekly
    unknown = set(weekly) - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown weekday keys {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
    out: list[Interval] = []
    for day in local_dates(start, end, tz_name):
        for iv in working_intervals(day, weekly.get(WEEKDAYS[day.weekday()], ()), tz_name):
            s, e = max(iv.start, start.astimezone(UTC)), min(iv.end, end.astimezone(UTC))
            if s < e:
                out.append(Interval(start=s, end=e))
    return out
