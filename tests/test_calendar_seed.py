"""The sandbox calendar seeder against a real Radicale: shape of the week, speed, determinism."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from integrations.calendar.caldav import CalDAVCalendar
from integrations.calendar.timezones import working_hours_utc
from sandbox.calendars import SeedRoom, calendar_for, default_rooms, seed_calendars

pytestmark = pytest.mark.integration

START = date(2026, 11, 30)  # a Monday
ZONES = ("America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Kolkata", "Australia/Sydney")


@dataclass
class Office:
    id: int
    name: str
    time_zone: str


@dataclass
class Person:
    email: str
    time_zone: str


def test_default_rooms_per_office() -> None:
    rooms = default_rooms([Office(1, "New York", "America/New_York"), Office(2, "Bengaluru", "Asia/Kolkata")])
    assert [r.id for r in rooms][:3] == ["room-new-york-1", "room-new-york-2", "room-new-york-3"]
    assert len(rooms) == 6 and rooms[-1].time_zone == "Asia/Kolkata" and rooms[2].capacity > rooms[0].capacity
    with pytest.raises(KeyError):  # ZoneInfoNotFoundError
        default_rooms([Office(3, "Mars", "Mars/Base")])


def test_seed_is_deterministic() -> None:
    a, n = calendar_for("x@acme.example", "Europe/London", START, 2)
    b, m = calendar_for("x@acme.example", "Europe/London", START, 2)
    assert a == b and n == m > 10
    assert calendar_for("y@acme.example", "Europe/London", START, 2)[0] != a


async def test_seeded_week_is_half_busy_in_local_hours(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    people = [Person(f"p{i}-{cal_prefix}@acme.example", ZONES[i % len(ZONES)]) for i in range(50)]
    rooms = default_rooms([Office(i, f"Office {cal_prefix} {i}", z) for i, z in enumerate(ZONES)])
    began = time.monotonic()
    report = await seed_calendars(caldav, people, rooms, start=START, weeks=3)
    elapsed = time.monotonic() - began
    assert report.calendars_written == 65 and report.events > 1000
    print(f"seeded {report.events} events in {elapsed:.2f}s")
    assert elapsed < 30, elapsed  # ~3-6 s here on a quiet machine; the bound leaves room for a busy CI
    # re-seeding leaves existing calendars alone
    again = await seed_calendars(caldav, people[:2], [], start=START, weeks=3)
    assert again.calendars_skipped == 2 and again.calendars_written == 0

    window = (datetime(2026, 11, 30, tzinfo=UTC) - timedelta(days=1), datetime(2026, 12, 21, tzinfo=UTC))
    sample = people[:15]  # three per zone keeps the check quick
    fb = await caldav.free_busy([p.email for p in sample], *window)
    shares, tentative_total, oof_days = [], 0, 0
    for p in sample:
        f = fb[p.email]
        assert f.error is None
        work = working_hours_utc(*window, p.time_zone)
        work_total = sum((w.end - w.start).total_seconds() for w in work)
        busy_in_work = sum(
            max(0.0, (min(b.end, w.end) - max(b.start, w.start)).total_seconds())
            for b in f.hard + f.tentative
            for w in work
        )
        shares.append(busy_in_work / work_total)
        tentative_total += len(f.tentative)
        oof_days += sum(1 for b in f.hard if b.end - b.start >= timedelta(hours=23))
        # every seeded busy block lies inside the person's local working hours, or is a whole day off
        for b in f.hard + f.tentative:
            if b.end - b.start < timedelta(hours=23):
                assert any(w.start <= b.start and b.end <= w.end for w in work), (p.time_zone, b)
    mean = sum(shares) / len(shares)
    assert 0.4 < mean < 0.62, mean
    assert tentative_total > 15 and oof_days >= 1
    listed = {r.id: r for r in await caldav.list_rooms()}
    assert all(listed[r.id].capacity == r.capacity for r in rooms)


async def test_seeded_series_keep_local_hours_across_dst(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    """Weekly series stay at the same local time over the US, UK and Sydney changes of 2027."""
    people = [Person(f"dst{i}-{cal_prefix}@acme.example", z) for i, z in enumerate(ZONES)]
    await seed_calendars(caldav, people, [], start=date(2027, 3, 8), weeks=5)
    window = (datetime(2027, 3, 7, tzinfo=UTC), datetime(2027, 4, 12, tzinfo=UTC))
    fb = await caldav.free_busy([p.email for p in people], *window)
    for p in people:
        work = working_hours_utc(*window, p.time_zone)
        blocks = [
            b for b in fb[p.email].hard + fb[p.email].tentative if b.end - b.start < timedelta(hours=23)
        ]
        assert len(blocks) > 40
        for b in blocks:
            assert any(w.start <= b.start and b.end <= w.end for w in work), (p.time_zone, b)


async def test_seed_rejects_bad_input(caldav: CalDAVCalendar) -> None:
    with pytest.raises(ValueError, match="email"):
        await seed_calendars(caldav, [("nobody", "UTC")], [], start=START)
    with pytest.raises(ValueError, match="duplicate"):
        await seed_calendars(caldav, [("a@b.c", "UTC"), ("A@b.c", "UTC")], [], start=START)
    with pytest.raises(ValueError, match="weeks"):
        await seed_calendars(caldav, [], [SeedRoom("r", "R", 2, "UTC")], start=START, weeks=0)
