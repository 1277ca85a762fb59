"""Times as a reader sees them: in their own zone, with the zone named in words and abbreviation.

Candidates miss interviews over ambiguous times ("11:30 CST" for a Pacific reader), so every time in
an email says whose clock it is: "Tuesday 2 December, 10:00-11:00 (New York time, EST)" (with an en dash).
Instants arrive as aware UTC datetimes; local dates are computed per instant, so a range that crosses
a daylight-saving change is still right at both ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HourCycle = Literal["24h", "12h"]
EN_DASH = "\u2013"
MINUS = "\u2212"


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or a `ValueError` that says what was wrong (Windows names included)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as 'Europe/London'") from exc


def zone_city(name: str) -> str:
    """'America/Argentina/Buenos_Aires' → 'Buenos Aires'; 'UTC' → 'UTC'."""
    if "/" not in name or name.startswith("Etc/"):
        return name.split("/")[-1]
    return name.rsplit("/", 1)[1].replace("_", " ")


def _offset_label(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else MINUS
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def zone_abbreviation(moment: datetime) -> str:
    """The abbreviation in force at `moment` (EST, BST, IST); numeric ones become 'UTC+05:30'."""
    abbr = moment.tzname() or ""
    if not abbr or abbr[0] in "+-" or abbr[0].isdigit():
        return _offset_label(moment)
    return abbr


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()}: pass an aware instant (UTC)")


def format_clock(moment: datetime, hour_cycle: HourCycle = "24h") -> str:
    """'14:30' or '2:30 pm'."""
    if hour_cycle == "24h":
        return moment.strftime("%H:%M")
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}:{moment.minute:02d} {suffix}"


def format_day(moment: datetime) -> str:
    """'Tuesday 2 December' (no leading zero, no locale dependence)."""
    return f"{moment.strftime('%A')} {moment.day} {moment.strftime('%B')}"


def zone_label(moment: datetime, tz_name: str) -> str:
    """'New York time, EST' for the zone in force at `moment`; plain 'UTC' for UTC."""
    city = zone_city(tz_name)
    abbr = zone_abbreviation(moment)
    if city == abbr or tz_name in {"UTC", "Etc/UTC"}:
        return "UTC"
    return f"{city} time, {abbr}"


def format_instant(moment: datetime, tz_name: str, hour_cycle: HourCycle = "24h") -> str:
    """'Tuesday 2 December, 10:00 (New York time, EST)'."""
    _require_aware(moment)
    local = moment.astimezone(zone(tz_name))
    return f"{format_day(local)}, {format_clock(local, hour_cycle)} ({zone_label(local, tz_name)})"


def format_range(start: datetime, end: datetime, tz_name: str, hour_cycle: HourCycle = "24h") -> str:
    """'Tuesday 2 December, 10:00\u201311:00 (New York time, EST)'.

    A range over midnight names both days; a range over a DST change names both abbreviations.
    """
    _require_aware(start)
    _require_aware(end)
    if end < start:
        raise ValueError(f"range ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    tz = zone(tz_name)
    ls, le = start.astimezone(tz), end.astimezone(tz)
    label = zone_label(ls, tz_name)
    if zone_abbreviation(ls) != zone_abbreviation(le):
        label = f"{zone_city(tz_name)} time, {zone_abbreviation(ls)}/{zone_abbreviation(le)}"
    if ls.date() == le.date():
        when = f"{format_day(ls)}, {format_clock(ls, hour_cycle)}{EN_DASH}{format_clock(le, hour_cycle)}"
    else:
        when = (
            f"{format_day(ls)}, {format_clock(ls, hour_cycle)} {EN_DASH} "
            f"{format_day(le)}, {format_clock(le, hour_cycle)}"
        )
    return f"{when} ({label})"


def format_utc(moment: datetime) -> str:
    """'2026-12-02 15:00 UTC', the unambiguous reference shown next to local times."""
    _require_aware(moment)
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M UTC")
