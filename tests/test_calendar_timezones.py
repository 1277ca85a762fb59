"""Working hours across daylight-saving transitions, with the pinned tzdata package."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import tzdata

from integrations.calendar.base import Interval, booking_key, event_id_for, merge_intervals
from integrations.calendar.timezones import (
    UnknownTimeZoneError,
    local_instant,
    parse_hhmm,
    windows_to_iana,
    working_hours_utc,
    working_intervals,
    zone,
)

NINE_TO_FIVE = [("09:00", "17:00")]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_tzdata_is_the_pinned_release() -> None:
    assert tzdata.IANA_VERSION == "2026f"


@pytest.mark.parametrize(
    ("tz", "before", "after", "expected_before", "expected_after"),
    [
        # US spring forward 2026-03-08: EST (-5) -> EDT (-4)
        ("America/New_York", date(2026, 3, 6), date(2026, 3, 9), (14, 22), (13, 21)),
        # US fall back 2026-11-01
        ("America/New_York", date(2026, 10, 30), date(2026, 11, 2), (13, 21), (14, 22)),
        # UK spring forward 2026-03-29: GMT -> BST (+1)
        ("Europe/London", date(2026, 3, 27), date(2026, 3, 30), (9, 17), (8, 16)),
        # UK fall back 2026-10-25
        ("Europe/London", date(2026, 10, 23), date(2026, 10, 26), (8, 16), (9, 17)),
        # Sydney: DST ends 2026-04-05 (AEDT +11 -> AEST +10), starts 2026-10-04
        ("Australia/Sydney", date(2026, 4, 3), date(2026, 4, 6), (-2, 6), (-1, 7)),
        ("Australia/Sydney", date(2026, 10, 2), date(2026, 10, 5), (-1, 7), (-2, 6)),
        # Kolkata: no DST, +05:30 all year
        ("Asia/Kolkata", date(2026, 3, 6), date(2026, 3, 9), (3.5, 11.5), (3.5, 11.5)),
    ],
)
def test_working_hours_follow_local_clock_across_dst(
    tz: str,
    before: date,
    after: date,
    expected_before: tuple[float, float],
    expected_after: tuple[float, float],
) -> None:
    for day, (s, e) in ((before, expected_before), (after, expected_after)):
        [iv] = working_intervals(day, NINE_TO_FIVE, tz)
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        assert iv.start == midnight + timedelta(hours=s), (tz, day)
        assert iv.end == midnight + timedelta(hours=e), (tz, day)


def test_week_of_working_hours_over_us_transition() -> None:
    ivs = working_hours_utc(utc(2026, 3, 6), utc(2026, 3, 10), "America/New_York")
    assert [(i.start, i.end) for i in ivs] == [
        (utc(2026, 3, 6, 14), utc(2026, 3, 6, 22)),  # Fri, EST
        (utc(2026, 3, 9, 13), utc(2026, 3, 9, 21)),  # Mon, EDT; weekend skipped
    ]


def test_working_hours_clip_to_window_and_split_days() -> None:
    ivs = working_hours_utc(
        utc(2026, 6, 1, 10),
        utc(2026, 6, 1, 12),
        "Europe/London",
        {"mon": [("09:00", "12:00"), ("13:00", "17:00")]},
    )
    assert [(i.start, i.end) for i in ivs] == [(utc(2026, 6, 1, 10), utc(2026, 6, 1, 11))]


def test_sydney_monday_starts_on_sunday_utc() -> None:
    ivs = working_hours_utc(utc(2026, 12, 6), utc(2026, 12, 8), "Australia/Sydney")
    assert ivs[0].start == utc(2026, 12, 6, 22)  # Mon 09:00 AEDT


def test_gap_and_overlap_times() -> None:
    ny = zone("America/New_York")
    # 02:30 does not exist on 2026-03-08: moves forward to 03:30 EDT = 07:30Z
    assert local_instant(date(2026, 3, 8), "02:30", ny) == utc(2026, 3, 8, 7, 30)
    # 01:30 happens twice on 2026-11-01: first occurrence (EDT) = 05:30Z
    assert local_instant(date(2026, 11, 1), "01:30", ny) == utc(2026, 11, 1, 5, 30)
    # 24:00 is the next local midnight; the fall-back day is 25 hours long
    [iv] = working_intervals(date(2026, 11, 1), [("00:00", "24:00")], "America/New_York")
    assert iv.end - iv.start == timedelta(hours=25)


def test_windows_names_map_to_iana() -> None:
    assert windows_to_iana("Pacific Standard Time") == "America/Los_Angeles"
    assert windows_to_iana("AUS Eastern Standard Time") == "Australia/Sydney"
    assert windows_to_iana("Yukon Standard Time")  # only in the CLDR fallback table
    assert zone("India Standard Time").utcoffset(datetime(2026, 1, 1)) == timedelta(hours=5, minutes=30)
    with pytest.raises(UnknownTimeZoneError, match="Mars"):
        zone("Mars/Olympus_Mons")


@pytest.mark.parametrize("bad", ["9", "25:00", "09:60", "aa:bb", "24:01"])
def test_bad_hours_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="working-hours"):
        parse_hhmm(bad)


def test_reversed_hours_and_weekday_keys_rejected() -> None:
    with pytest.raises(ValueError, match="reversed"):
        working_intervals(date(2026, 1, 5), [("17:00", "09:00")], "UTC")
    with pytest.raises(ValueError, match="weekday"):
        working_hours_utc(utc(2026, 1, 5), utc(2026, 1, 6), "UTC", {"monday": [("09:00", "17:00")]})


def test_event_ids_are_stable_and_google_legal() -> None:
    key = booking_key("schedule-123-456", "s1")
    assert key == "hf-schedule-123-456-s1"
    eid = event_id_for(key)
    assert eid == event_id_for(key) and eid != event_id_for(key + "x")
    assert len(eid) == 32 and set(eid) <= set("0123456789abcdefghijklmnopqrstuv")
    with pytest.raises(ValueError):
        booking_key("", "s1")


def test_merge_intervals() -> None:
    a = Interval(start=utc(2026, 1, 1, 9), end=utc(2026, 1, 1, 10))
    b = Interval(start=utc(2026, 1, 1, 10), end=utc(2026, 1, 1, 11))
    c = Interval(start=utc(2026, 1, 1, 12), end=utc(2026, 1, 1, 13))
    assert merge_intervals([c, b, a]) == [Interval(start=a.start, end=b.end), c]


def test_pinned_tzdata_only_gives_the_same_working_hours() -> None:
    """With the system zone database switched off, the pinned package alone yields the same UTC hours."""
    import json
    import subprocess
    import sys

    code = (
        "import json, zoneinfo\n"
        "from datetime import date\n"
        "from integrations.calendar.timezones import working_intervals\n"
        "from models.time_zones import use_pinned_tzdata\n"
        "use_pinned_tzdata()\n"
        "assert zoneinfo.TZPATH == ()\n"
        "out = [working_intervals(date(2026, 3, 9), [('09:00', '17:00')], tz)[0].start.isoformat()\n"
        "       for tz in ('America/New_York', 'Europe/London', 'Asia/Kolkata', 'Australia/Sydney')]\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == [
        "2026-03-09T13:00:00+00:00",
        "2026-03-09T09:00:00+00:00",
        "2026-03-09T03:30:00+00:00",
        "2026-03-08T22:00:00+00:00",
    ]
