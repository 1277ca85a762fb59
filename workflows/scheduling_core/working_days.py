"""Working-day arithmetic for deadlines toward a person ("after 2 working days")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def add_working_days(start: datetime, days: int, zone: str = "UTC") -> datetime:
    """`start` moved forward by `days` Monday-to-Friday days, at the same local time in `zone`.

    A start on a weekend counts from the next Monday's first step: Saturday + 1 is Monday.
    """
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local = start.astimezone(tz)
    day, added = local.date(), 0
    while added < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    moved = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)
    return moved.astimezone(UTC)
