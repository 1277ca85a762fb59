"""Seed the embedded CalDAV server with believable, deterministic calendars.

Every interviewer gets about half of their working hours (Mon-Fri 09:00-17:00 in their own
zone) filled with meetings, some tentative, and now and then an out-of-office day; every room
is booked for roughly a third of office hours. The same inputs always give the same events
(the randomness is seeded from the email or room id and the week), so demos and tests repeat.

Each calendar is written in one request (a whole-collection PUT), in parallel, so ~50 people
and 15 rooms over three weeks take a couple of seconds. Calendars that already exist are left
alone unless `overwrite=True`, so restarting the dev stack keeps bookings made earlier.

The sandbox does not import the engine: the writer is any object with the `CalendarSink`
methods (the CalDAV provider, `integrations.calendar.caldav.CalDAVCalendar`, is one).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

WORK_START, WORK_END = 9, 17
SLOT = timedelta(minutes=30)
BUSY_SHARE = 0.5
ROOM_BUSY_SHARE = 0.35
TENTATIVE_SHARE = 0.15
RECURRING_SHARE = 0.85  # of the busy time, the part that repeats every week
OOF_DAY_CHANCE = 0.03  # per working day: roughly one day off a month
ROOM_KINDS = (("Huddle", 4), ("Focus", 8), ("Boardroom", 14))
PRODID = "-//Hireflow//Sandbox seed//EN"
MEETINGS = (
    "1:1",
    "Team sync",
    "Design review",
    "Sprint planning",
    "Customer call",
    "Roadmap review",
    "Interview debrief",
    "Architecture forum",
    "Hiring sync",
    "Incident review",
    "Lunch and learn",
    "Quarterly planning",
    "Pairing",
    "Focus time",
    "Vendor demo",
    "All hands",
)


class PersonLike(Protocol):
    @property
    def email(self) -> str: ...

    @property
    def time_zone(self) -> str: ...


class OfficeLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def time_zone(self) -> str: ...


@dataclass(frozen=True)
class SeedRoom:
    id: str
    name: str
    capacity: int
    time_zone: str


class CalendarSink(Protocol):
    async def calendar_exists(self, calendar_id: str) -> bool: ...

    async def replace_calendar(self, calendar_id: str, ics: bytes) -> None: ...

    async def publish_room(self, room_id: str, name: str, capacity: int, time_zone: str) -> None: ...


@dataclass
class SeedReport:
    calendars_written: int = 0
    calendars_skipped: int = 0
    events: int = 0
    rooms: list[SeedRoom] = field(default_factory=list)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "office"


def default_rooms(offices: Iterable[OfficeLike]) -> list[SeedRoom]:
    """Three rooms per office with ids `room-<office-slug>-<n>` and growing capacity."""
    rooms: list[SeedRoom] = []
    for office in offices:
        ZoneInfo(office.time_zone)  # fail early on a bad zone
        for n, (kind, capacity) in enumerate(ROOM_KINDS, start=1):
            rooms.append(
                SeedRoom(
                    f"room-{slug(office.name)}-{n}", f"{office.name} {kind} {n}", capacity, office.time_zone
                )
            )
    return rooms


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _rng(owner: str, monday: date) -> random.Random:
    digest = hashlib.sha256(f"{owner}|{monday.isoformat()}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _event(
    uid: str,
    start: datetime,
    end: datetime,
    summary: str,
    dtstamp: str,
    *,
    status: str = "CONFIRMED",
    oof: bool = False,
    count: int = 1,
) -> str:
    """A VEVENT in UTC; `count > 1` repeats it weekly (the caller splits series at DST changes)."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{dtstamp}",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(end)}",
        f"SUMMARY:{_escape(summary)}",
        f"STATUS:{status}",
        "TRANSP:OPAQUE",
    ]
    if count > 1:
        lines.append(f"RRULE:FREQ=WEEKLY;COUNT={count}")
    if oof:
        lines += ["CATEGORIES:OUT-OF-OFFICE", "X-MICROSOFT-CDO-BUSYSTATUS:OOF"]
    lines.append("END:VEVENT")
    return "\r\n".join(lines)


def _weekly_runs(starts: list[datetime]) -> list[tuple[datetime, int]]:
    """Group weekly UTC occurrences into runs with a constant UTC time (they break at DST changes).

    Times are written in UTC because Radicale parses TZID/VTIMEZONE events ~25x slower; splitting the
    series keeps every occurrence at the same local wall-clock time.
    """
    runs: list[tuple[datetime, int]] = []
    for st in starts:
        if runs and st - runs[-1][0] == timedelta(weeks=runs[-1][1]):
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((st, 1))
    return runs


def _fill(rng: random.Random, taken: list[bool], target: int) -> list[tuple[int, int]]:
    """Place meetings of 1-4 half-hour slots in free slots until `target` slots are taken."""
    meetings: list[tuple[int, int]] = []
    tries = 0
    while sum(taken) < target and tries < 200:
        tries += 1
        length = rng.choice((1, 1, 2, 2, 2, 3, 4))
        first = rng.randrange(0, len(taken) - length + 1)
        if any(taken[first : first + length]):
            continue
        for i in range(first, first + length):
            taken[i] = True
        meetings.append((first, length))
    return sorted(meetings)


def calendar_for(
    owner: str, time_zone: str, start: date, weeks: int, *, room: bool = False
) -> tuple[bytes, int]:
    """The seeded VCALENDAR for one person or room, and how many VEVENTs it holds.

    A weekly template of recurring meetings (the same every week, `RRULE:FREQ=WEEKLY`) fills most
    of the busy share; each week then adds its own one-off meetings and, now and then, a day off.
    """
    tz = ZoneInfo(time_zone)  # a bad zone fails here, before anything is written
    monday = start - timedelta(days=start.weekday())
    dtstamp = _stamp(datetime.combine(monday, time(0), tzinfo=UTC))
    key = hashlib.sha256(owner.encode()).hexdigest()[:12]
    share = ROOM_BUSY_SHARE if room else BUSY_SHARE
    slots = (WORK_END - WORK_START) * 2
    template_rng = _rng(owner, date.min)
    weekly: list[list[bool]] = []
    events: list[str] = []

    def at(day: date, slot: int) -> datetime:
        local = datetime.combine(day, time(WORK_START)) + SLOT * slot
        return local.replace(tzinfo=tz).astimezone(UTC)

    for offset in range(5):
        taken = [False] * slots
        target = round(
            slots * template_rng.uniform(share * RECURRING_SHARE - 0.1, share * RECURRING_SHARE + 0.1)
        )
        day = monday + timedelta(days=offset)
        for n, (first, length) in enumerate(_fill(template_rng, taken, target)):
            tentative = not room and template_rng.random() < TENTATIVE_SHARE
            summary = ("Booked: " if room else "") + template_rng.choice(MEETINGS)
            starts = [at(day + timedelta(weeks=w), first) for w in range(weeks)]
            for r, (st, count) in enumerate(_weekly_runs(starts)):
                events.append(
                    _event(
                        f"seed-{key}-w{offset}-{n}-{r}@hireflow-sandbox",
                        st,
                        st + SLOT * length,
                        summary,
                        dtstamp,
                        status="TENTATIVE" if tentative else "CONFIRMED",
                        count=count,
                    )
                )
        weekly.append(taken)
    for week in range(weeks):
        week_start = monday + timedelta(weeks=week)
        rng = _rng(owner, week_start)
        for offset in range(5):
            day = week_start + timedelta(days=offset)
            tag = f"{key}-{day:%Y%m%d}"
            if not room and rng.random() < OOF_DAY_CHANCE:
                s = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
                e = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
                events.append(
                    _event(f"seed-{tag}-oof@hireflow-sandbox", s, e, "Out of office", dtstamp, oof=True)
                )
                continue
            taken = list(weekly[offset])
            target = round(slots * rng.uniform(share - 0.1, share + 0.1))
            for n, (first, length) in enumerate(_fill(rng, taken, target)):
                tentative = not room and rng.random() < TENTATIVE_SHARE
                summary = ("Booked: " if room else "") + rng.choice(MEETINGS)
                events.append(
                    _event(
                        f"seed-{tag}-{n}@hireflow-sandbox",
                        at(day, first),
                        at(day, first + length),
                        summary,
                        dtstamp,
                        status="TENTATIVE" if tentative else "CONFIRMED",
                    )
                )
    body = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", *events, "END:VCALENDAR"])
    return (body + "\r\n").encode(), len(events)


async def seed_calendars(
    sink: CalendarSink,
    people: Sequence[PersonLike | tuple[str, str]],
    rooms: Sequence[SeedRoom],
    *,
    start: date,
    weeks: int = 3,
    overwrite: bool = False,
) -> SeedReport:
    """Write every person's and room's seeded calendar; rooms are also published with capacity."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    owners: list[tuple[str, str, bool]] = []
    for p in people:
        email, tz = p if isinstance(p, tuple) else (p.email, p.time_zone)
        if "@" not in email:
            raise ValueError(f"not an email address: {email!r}")
        owners.append((email.lower(), tz, False))
    owners += [(r.id, r.time_zone, True) for r in rooms]
    if len({o for o, _, _ in owners}) != len(owners):
        raise ValueError("duplicate person email or room id in the seed input")
    report = SeedReport(rooms=list(rooms))

    async def one(owner: str, tz: str, is_room: bool) -> None:
        if not overwrite and await sink.calendar_exists(owner):
            report.calendars_skipped += 1
            return
        ics, count = await asyncio.to_thread(calendar_for, owner, tz, start, weeks, room=is_room)
        await sink.replace_calendar(owner, ics)
        report.calendars_written += 1
        report.events += count

    await asyncio.gather(*(one(*o) for o in owners))
    await asyncio.gather(*(sink.publish_room(r.id, r.name, r.capacity, r.time_zone) for r in rooms))
    return report
