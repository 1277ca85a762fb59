"""Per-session feasible start sets, computed before any solver runs.

Everything that depends on one session at one start (candidate windows and hours, the horizon,
a person's working hours, hard busy time with buffers, load limits on their local date and week,
room availability, pinned parts) is folded into boolean slot masks. The solver then only has to
couple sessions (no overlap, gaps, one date, each person once), which keeps the model small.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from models.scheduling import Interviewer, Problem, Session, parse_hhmm
from planner.grid import Grid, Mask

_WEEKDAY = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass
class PersonSlots:
    """Where one person can attend a session of one duration."""

    hours: Mask  # inside one working-hours range of one local date
    clear: Mask  # no hard busy / existing interview within the buffer
    load: Mask  # under max_per_day / max_per_week on that local date / week
    soft: Mask  # touches a soft busy interval (allowed at a cost)

    @property
    def free(self) -> Mask:
        return self.hours & self.clear & self.load


@dataclass
class SessionSlots:
    """Precomputed options for one session."""

    index: int
    session: Session
    duration: int
    candidate: Mask  # candidate windows, hours, busy, horizon
    pinned: Mask
    required: list[int]
    pool: list[int]  # eligible pool members (not excluded, not required here)
    need: int  # pool members to choose
    trainees: list[int]
    rooms: list[str]  # rooms big enough (or the pinned one)
    room_free: dict[str, Mask] = field(default_factory=dict)
    feasible: Mask | None = None  # every single-session rule holds and enough people/rooms are free


@dataclass
class Prepared:
    problem: Problem
    grid: Grid
    sessions: list[SessionSlots]
    people: dict[tuple[int, int], PersonSlots]
    cand_day: np.ndarray  # candidate-local date index per slot
    load: dict[int, int]  # existing interviews per person
    memo: dict[str, Any] = field(default_factory=dict)  # derived values shared by every window's model

    def person(self, person: int, duration: int) -> PersonSlots:
        return self.people[(person, duration)]


@dataclass
class _Calendar:
    """One person's calendar in horizon minutes, converted once for every session length."""

    hours: list[tuple[int, int]]
    hard: list[tuple[int, int]]
    soft: list[tuple[int, int]]


def _calendar(grid: Grid, who: Interviewer) -> _Calendar:
    per_weekday = {
        _WEEKDAY[day]: [(parse_hhmm(a), parse_hhmm(b)) for a, b in ranges]
        for day, ranges in who.working_hours.items()
    }
    hard = [b for b in who.busy if not b.soft] + list(who.existing_interviews)
    return _Calendar(
        hours=grid.local_ranges(who.time_zone, per_weekday),
        hard=grid.busy_minutes(hard),
        soft=grid.busy_minutes([b for b in who.busy if b.soft]),
    )


def _person_slots(grid: Grid, who: Interviewer, cal: _Calendar, duration: int) -> PersonSlots:
    hours = grid.starts_within(cal.hours, duration)
    clear = ~grid.starts_touching(cal.hard, duration, who.buffer_minutes)
    soft = grid.starts_touching(cal.soft, duration, who.buffer_minutes)
    load = grid.full()
    if who.max_per_day is not None or who.max_per_week is not None:
        zone = ZoneInfo(who.time_zone)
        _, days = grid.local_days(who.time_zone)
        slot_day = grid.day_index(who.time_zone)
        local = [iv.start.astimezone(zone).date() for iv in who.existing_interviews]
        if who.max_per_day is not None:
            per_day = Counter(local)
            counts = np.array([per_day.get(d, 0) for d in days])
            load &= counts[slot_day] < who.max_per_day
        if who.max_per_week is not None:
            per_week = Counter(d.isocalendar()[:2] for d in local)
            counts = np.array([per_week.get(d.isocalendar()[:2], 0) for d in days])
            load &= counts[slot_day] < who.max_per_week
    return PersonSlots(hours=hours, clear=clear, load=load, soft=soft)


def candidate_mask(grid: Grid, problem: Problem, duration: int) -> Mask:
    """Starts where the candidate can take a session of this length (horizon included)."""
    cand = problem.candidate
    mask = grid.fits_horizon(duration)
    if cand.availability is not None:
        mask &= grid.starts_within(grid.window_minutes(cand.availability), duration)
    if cand.hours is not None:
        span = (parse_hhmm(cand.hours.start), parse_hhmm(cand.hours.end))
        mask &= grid.starts_within(
            grid.local_ranges(cand.time_zone, {key: [span] for key in range(7)}), duration
        )
    if cand.busy:
        mask &= ~grid.starts_touching(grid.busy_minutes(cand.busy), duration)
    return mask


def prepare(problem: Problem) -> Prepared:
    """Fold every single-session rule into slot masks."""
    grid = Grid(problem)
    excluded = set(problem.exclude_interviewers)
    by_id = {p.id: p for p in problem.interviewers}
    people: dict[tuple[int, int], PersonSlots] = {}
    calendars: dict[int, _Calendar] = {}

    def person(pid: int, duration: int) -> PersonSlots:
        if (pid, duration) not in people:
            if pid not in calendars:
                calendars[pid] = _calendar(grid, by_id[pid])
            people[(pid, duration)] = _person_slots(grid, by_id[pid], calendars[pid], duration)
        return people[(pid, duration)]

    sessions = []
    for index, s in enumerate(problem.sessions):
        d = s.duration_minutes
        pinned = grid.full()
        if s.pinned and s.pinned.start is not None:
            pinned = grid.empty()
            minute = grid.minute(s.pinned.start)
            exact = grid.minute(s.pinned.start, up=True) == minute
            if exact and minute % grid.g == 0 and 0 <= minute // grid.g < grid.slots:
                pinned[minute // grid.g] = True
        required = list(
            dict.fromkeys(s.interviewers.required + list((s.pinned.interviewers or []) if s.pinned else []))
        )
        need = max(0, s.interviewers.total - len(required))
        pool = [p for p in dict.fromkeys(s.interviewers.pool) if p not in excluded and p not in required]
        trainees = [p for p in dict.fromkeys(s.trainee.pool if s.trainee else []) if p not in excluded]
        if s.room.required or (s.pinned and s.pinned.room):
            cap = s.room_capacity_needed()
            rooms = [r.id for r in problem.rooms if r.capacity >= cap or not s.room.required]
            if s.pinned and s.pinned.room:
                rooms = [r for r in rooms if r == s.pinned.room]
        else:
            rooms = []
        room_free = {
            r.id: ~grid.starts_touching(grid.busy_minutes(r.busy), d) for r in problem.rooms if r.id in rooms
        }
        for pid in required + pool + trainees:
            person(pid, d)
        sessions.append(
            SessionSlots(
                index=index,
                session=s,
                duration=d,
                candidate=candidate_mask(grid, problem, d),
                pinned=pinned,
                required=required,
                pool=pool,
                need=need,
                trainees=trainees,
                rooms=rooms,
                room_free=room_free,
            )
        )
    prepared = Prepared(
        problem=problem,
        grid=grid,
        sessions=sessions,
        people=people,
        cand_day=grid.day_index(problem.candidate.time_zone),
        load={p.id: len(p.existing_interviews) for p in problem.interviewers},
    )
    for ss in sessions:
        ss.feasible = feasible_starts(prepared, ss)
    return prepared


def person_slots(prep: Prepared, pid: int, duration: int) -> PersonSlots:
    """A person's slots for one session length, computed on first use (for people outside a session's
    pool, whom a relaxation may add to it)."""
    key = (pid, duration)
    if key not in prep.people:
        who = prep.problem.interviewer(pid)
        prep.people[key] = _person_slots(prep.grid, who, _calendar(prep.grid, who), duration)
    return prep.people[key]


def feasible_starts(prep: Prepared, ss: SessionSlots) -> Mask:
    """Starts where this session alone can be placed: every single-session rule holds and enough pool
    members and a room are free."""
    grid = prep.grid
    excluded = set(prep.problem.exclude_interviewers)
    mask = ss.pinned & grid.fits_horizon(ss.duration) & ss.candidate
    for pid in ss.required:
        if pid in excluded:
            return grid.empty()
        mask &= prep.person(pid, ss.duration).free
    if ss.need:
        if len(ss.pool) < ss.need:
            return grid.empty()
        count = np.zeros(grid.slots, dtype=np.int32)
        for pid in ss.pool:
            count += prep.person(pid, ss.duration).free
        mask &= count >= ss.need
    if ss.session.room.required:
        any_room = grid.empty()
        for rid in ss.rooms:
            any_room |= ss.room_free[rid]
        mask &= any_room
    elif ss.rooms and ss.session.pinned and ss.session.pinned.room:
        mask &= ss.room_free[ss.rooms[0]]
    return mask
