"""An independent validator: checks a plan against its problem, rule by rule, straight from the format.

It shares nothing with the solver but the pydantic models: it works on datetimes, not slots, and
re-derives every rule from `planner-format.md`. Workflows run it before every booking; tests run it
on every option the planner returns.
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.scheduling import (
    Candidate,
    Interval,
    Interviewer,
    Option,
    Placement,
    Plan,
    Problem,
    Room,
    Session,
)

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Report = Callable[[str, str], None]  # (rule, detail) about one session of the option being checked


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str
    option: int | None = None  # rank
    session: str | None = None

    def __str__(self) -> str:
        where = f"option {self.option}" if self.option is not None else "plan"
        if self.session:
            where += f", session {self.session}"
        return f"[{self.rule}] {where}: {self.detail}"


def _wall(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    if h == 24:
        return datetime.combine(day + timedelta(days=1), time(0, 0)).replace(tzinfo=zone)
    return datetime.combine(day, time(h, m)).replace(tzinfo=zone)


def _overlaps(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> bool:
    return a0 < b1 and b0 < a1


def _inside_any(start: datetime, end: datetime, windows: list[Interval]) -> bool:
    return any(w.start <= start and end <= w.end for w in windows)


def _in_working_hours(who: Interviewer, start: datetime, end: datetime) -> bool:
    zone = ZoneInfo(who.time_zone)
    day = start.astimezone(zone).date()
    for a, b in who.working_hours.get(_DAYS[day.weekday()], []):  # type: ignore[call-overload]
        if _wall(day, a, zone) <= start and end <= _wall(day, b, zone):
            return True
    return False


def validate_option(problem: Problem, option: Option) -> list[Violation]:
    """Every rule of the format, for one option."""
    out: list[Violation] = []
    rank = option.rank

    def bad(rule: str, detail: str, session: str | None = None) -> None:
        out.append(Violation(rule=rule, detail=detail, option=rank, session=session))

    sessions = {s.id: s for s in problem.sessions}
    placed = Counter(pl.session for pl in option.placements)
    for sid in sessions:
        if placed[sid] != 1:
            bad("sessions", f"placed {placed[sid]} times, expected once", sid)
    for sid in placed:
        if sid not in sessions:
            bad("sessions", "unknown session", sid)
    if out:
        return out
    people = {p.id: p for p in problem.interviewers}
    rooms = {r.id: r for r in problem.rooms}
    seats: Counter[int] = Counter()
    for pl in option.placements:
        s: Session = sessions[pl.session]
        here = functools.partial(bad, session=s.id)
        _time_rules(problem, s, pl, here)
        _candidate_rules(problem.candidate, pl, here)
        _pin_rules(s, pl, here)
        count = _interviewer_rules(s, pl, here)
        attendees = list(pl.interviewers)
        if pl.trainee is not None:
            if s.trainee is None or pl.trainee not in s.trainee.pool:
                here("trainee", f"trainee {pl.trainee} is not in the session's trainee pool")
            attendees.append(pl.trainee)
        for pid in attendees:
            seats[pid] += 1
            _attendee_rules(problem, people.get(pid), pid, pl, here)
        _room_rules(s, pl, rooms, count, here)
    for pid, n in seats.items():
        if n > 1:
            bad("one_seat", f"person {pid} attends {n} sessions of the loop")
    out.extend(_loop_rules(problem, option))
    return out


def _time_rules(problem: Problem, s: Session, pl: Placement, bad: Report) -> None:
    """Duration, grid and horizon."""
    if pl.end - pl.start != timedelta(minutes=s.duration_minutes):
        bad("duration", f"lasts {pl.end - pl.start}, expected {s.duration_minutes} minutes")
    offset = (pl.start - problem.horizon.start).total_seconds()
    if offset % (problem.granularity_minutes * 60) != 0:
        bad("grid", f"starts {offset / 60:g} minutes after the horizon start, not on the grid")
    if pl.start < problem.horizon.start or pl.end > problem.horizon.end:
        bad("horizon", "outside the horizon")


def _candidate_rules(cand: Candidate, pl: Placement, bad: Report) -> None:
    """The candidate's availability windows, local hours and busy time."""
    if cand.availability is not None and not _inside_any(pl.start, pl.end, cand.availability):
        bad("candidate_window", "not inside one of the candidate's availability windows")
    if cand.hours is not None:
        czone = ZoneInfo(cand.time_zone)
        day = pl.start.astimezone(czone).date()
        if not (
            _wall(day, cand.hours.start, czone) <= pl.start and pl.end <= _wall(day, cand.hours.end, czone)
        ):
            bad("candidate_hours", "outside the candidate's local hours")
    if any(_overlaps(pl.start, pl.end, b.start, b.end) for b in cand.busy):
        bad("candidate_busy", "overlaps the candidate's busy time")


def _pin_rules(s: Session, pl: Placement, bad: Report) -> None:
    pin = s.pinned
    if pin and pin.start is not None and pl.start != pin.start:
        bad("pinned", f"pinned to {pin.start.isoformat()}")
    if pin and pin.interviewers and not set(pin.interviewers) <= set(pl.interviewers):
        bad("pinned", f"pinned interviewers {pin.interviewers} missing")
    if pin and pin.room is not None and pl.room != pin.room:
        bad("pinned", f"pinned to room {pin.room}")


def _interviewer_rules(s: Session, pl: Placement, bad: Report) -> int:
    """How many, who is required and who may sit in; returns the number of interviewers the session needs."""
    spec = s.interviewers
    pin = s.pinned
    count = spec.count if spec.count is not None else len(spec.required)
    if len(pl.interviewers) != count or len(set(pl.interviewers)) != len(pl.interviewers):
        bad("interviewers", f"{len(pl.interviewers)} distinct interviewer(s) expected {count}")
    missing = set(spec.required) - set(pl.interviewers)
    if missing:
        bad("interviewers", f"required {sorted(missing)} missing")
    allowed = set(spec.required) | set(spec.pool) | set(pin.interviewers or [] if pin else [])
    stray = set(pl.interviewers) - allowed
    if stray:
        bad("interviewers", f"{sorted(stray)} are neither required nor in the pool")
    return count


def _attendee_rules(problem: Problem, who: Interviewer | None, pid: int, pl: Placement, bad: Report) -> None:
    """One interviewer or trainee: excluded, known, working hours, busy time (with buffers), load limits."""
    if pid in problem.exclude_interviewers:
        bad("excluded", f"interviewer {pid} is excluded")
    if who is None:
        bad("interviewers", f"interviewer {pid} is unknown")
        return
    if not _in_working_hours(who, pl.start, pl.end):
        bad("working_hours", f"outside interviewer {pid}'s working hours")
    pad = timedelta(minutes=who.buffer_minutes)
    hard = [b for b in who.busy if not b.soft] + list(who.existing_interviews)
    if any(_overlaps(pl.start - pad, pl.end + pad, b.start, b.end) for b in hard):
        bad("busy", f"interviewer {pid} is busy (buffer {who.buffer_minutes} min)")
    zone = ZoneInfo(who.time_zone)
    day = pl.start.astimezone(zone).date()
    existing = [e.start.astimezone(zone).date() for e in who.existing_interviews]
    if who.max_per_day is not None and sum(d == day for d in existing) + 1 > who.max_per_day:
        bad("load_limit", f"interviewer {pid} over max_per_day on {day}")
    week = day.isocalendar()[:2]
    if (
        who.max_per_week is not None
        and sum(d.isocalendar()[:2] == week for d in existing) + 1 > who.max_per_week
    ):
        bad("load_limit", f"interviewer {pid} over max_per_week in week {week}")


def _room_rules(s: Session, pl: Placement, rooms: dict[str, Room], count: int, bad: Report) -> None:
    if s.room.required and pl.room is None:
        bad("room", "a room is required")
    if pl.room is None:
        return
    room = rooms.get(pl.room)
    if room is None:
        bad("room", f"unknown room {pl.room}")
        return
    need = s.room.min_capacity
    if need is None:
        need = count + (1 if s.trainee is not None else 0) + 1
    if s.room.required and room.capacity < need:
        bad("room", f"room {room.id} holds {room.capacity}, needs {need}")
    if any(_overlaps(pl.start, pl.end, b.start, b.end) for b in room.busy):
        bad("room", f"room {room.id} is busy")


def _loop_rules(problem: Problem, option: Option) -> list[Violation]:
    out: list[Violation] = []
    czone = ZoneInfo(problem.candidate.time_zone)
    pls = sorted(option.placements, key=lambda pl: pl.start)
    rank = option.rank
    for a, b in itertools.pairwise(pls):
        if b.start < a.end:
            out.append(Violation("no_overlap", f"{a.session} and {b.session} overlap", rank))
    dates = [pl.start.astimezone(czone).date() for pl in pls]
    loop = problem.loop
    limit = 1 if loop.same_day else loop.max_days
    if len(set(dates)) > limit:
        out.append(
            Violation("same_day", f"spans {len(set(dates))} candidate-local dates, limit {limit}", rank)
        )
    idle = 0
    for (a, da), (b, db) in zip(
        zip(pls, dates, strict=True), list(zip(pls, dates, strict=True))[1:], strict=False
    ):
        if da != db:
            continue
        gap = int((b.start - a.end).total_seconds() // 60)
        idle += max(0, gap)
        if not loop.min_gap_minutes <= gap <= loop.max_gap_minutes:
            out.append(Violation("gaps", f"{gap} idle minutes between {a.session} and {b.session}", rank))
    if loop.ordered:
        order = {s.id: n for n, s in enumerate(problem.sessions)}
        if [order[pl.session] for pl in pls] != sorted(order[pl.session] for pl in pls):
            out.append(Violation("ordered", "sessions are not in the listed order", rank))
    if option.start != pls[0].start or option.end != max(pl.end for pl in pls):
        out.append(Violation("option_bounds", "option start/end differ from its placements", rank))
    if option.score.idle_minutes != idle:
        out.append(Violation("score", f"idle_minutes {option.score.idle_minutes}, recomputed {idle}", rank))
    soft = 0
    people = {p.id: p for p in problem.interviewers}
    for pl in pls:
        for pid in [*pl.interviewers, *([pl.trainee] if pl.trainee is not None else [])]:
            who = people.get(pid)
            if who is None:
                continue
            pad = timedelta(minutes=who.buffer_minutes)
            soft += any(b.soft and _overlaps(pl.start - pad, pl.end + pad, b.start, b.end) for b in who.busy)
    if option.score.soft_conflicts != soft:
        out.append(
            Violation("score", f"soft_conflicts {option.score.soft_conflicts}, recomputed {soft}", rank)
        )
    return out


def validate(problem: Problem, plan: Plan) -> list[Violation]:
    """All violations of a plan: each option's rules, distinct loop starts, ranks, status consistency."""
    out: list[Violation] = []
    for option in plan.options:
        out.extend(validate_option(problem, option))
    starts = Counter(o.start for o in plan.options)
    for start, n in starts.items():
        if n > 1:
            out.append(Violation("distinct_starts", f"{n} options start at {start.isoformat()}"))
    if [o.rank for o in plan.options] != list(range(1, len(plan.options) + 1)):
        out.append(Violation("ranks", "ranks are not 1..n"))
    if len(plan.options) > problem.options:
        out.append(Violation("options", f"{len(plan.options)} options, at most {problem.options} asked"))
    if plan.status in ("infeasible", "unknown") and plan.options:
        out.append(Violation("status", f"status {plan.status} with options"))
    if plan.status in ("optimal", "feasible") and not plan.options:
        out.append(Violation("status", f"status {plan.status} without options"))
    return out
