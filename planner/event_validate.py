"""An independent check of an event plan, sharing nothing with the event model.

Each scheduled candidate's loop is checked by the single-loop validator against that candidate's own
problem (windows, one date, gaps, working hours, busy time with buffers, existing-interview limits,
rooms). What only an event can break is checked here on datetimes: a person or room in two places at
once (a person's buffer on both sides), daily and weekly limits counted over existing interviews plus
every seat of the event, every candidate listed once, and load matching the placements.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

from models.events import Event, EventPlan
from models.scheduling import Interviewer, Option, Placement, Score
from planner.event_problem import candidate_problem
from planner.validate import Violation, validate_option


def validate_event(event: Event, plan: EventPlan) -> list[Violation]:
    out: list[Violation] = []
    by_id = {c.id: c for c in event.candidates}
    listed = Counter([s.candidate for s in plan.scheduled] + [u.candidate for u in plan.unscheduled])
    for cid in by_id:
        if listed[cid] != 1:
            out.append(Violation("candidates", f"candidate {cid} listed {listed[cid]} times, expected once"))
    for cid in listed.keys() - by_id.keys():
        out.append(Violation("candidates", f"unknown candidate {cid}"))
    for u in plan.unscheduled:
        if not u.blockers:
            out.append(Violation("blockers", f"unscheduled candidate {u.candidate} has no blockers"))
    for s in plan.scheduled:
        if s.candidate not in by_id or not s.placements:
            continue
        option = Option(
            rank=1,
            start=min(pl.start for pl in s.placements),
            end=max(pl.end for pl in s.placements),
            placements=s.placements,
            score=Score(total=0),
        )
        problem = candidate_problem(event, by_id[s.candidate])
        out += [
            Violation(v.rule, f"candidate {s.candidate}: {v.detail}", session=v.session)
            for v in validate_option(problem, option)
            if v.rule != "score"
        ]
    out += _shared(event, [(s.candidate, pl) for s in plan.scheduled for pl in s.placements])
    load = Counter(str(pid) for s in plan.scheduled for pl in s.placements for pid in pl.interviewers)
    for pid, n in load.items():
        if plan.load.get(pid) != n:
            out.append(
                Violation("load", f"interviewer {pid} sits in {n} sessions, load says {plan.load.get(pid)}")
            )
    if plan.stats.bound_candidates < len(plan.scheduled):
        out.append(Violation("bound", "bound_candidates is below the candidates scheduled"))
    return out


def _shared(event: Event, seats: list[tuple[str, Placement]]) -> list[Violation]:
    out: list[Violation] = []
    people = {p.id: p for p in event.interviewers}
    held: dict[int, list[tuple[str, Placement]]] = {}
    rooms: dict[str, list[tuple[str, Placement]]] = {}
    for cid, pl in seats:
        for pid in [*pl.interviewers, *([pl.trainee] if pl.trainee is not None else [])]:
            held.setdefault(pid, []).append((cid, pl))
        if pl.room is not None:
            rooms.setdefault(pl.room, []).append((cid, pl))
    for pid, mine in held.items():
        who = people.get(pid)
        pad = timedelta(minutes=who.buffer_minutes if who else 0)
        for (ca, a), (cb, b) in combinations(mine, 2):
            if a.start - pad < b.end and b.start < a.end + pad:
                out.append(
                    Violation("double_booked", f"interviewer {pid} in {ca}/{a.session} and {cb}/{b.session}")
                )
        if who is not None:
            out += _limits(who, [pl for _, pl in mine])
    for rid, mine in rooms.items():
        for (ca, a), (cb, b) in combinations(mine, 2):
            if a.start < b.end and b.start < a.end:
                out.append(
                    Violation("double_booked", f"room {rid} hosts {ca}/{a.session} and {cb}/{b.session}")
                )
    return out


def _limits(who: Interviewer, seats: list[Placement]) -> list[Violation]:
    """Daily and weekly limits over existing interviews plus every event seat (trainee seats included)."""
    pid, zone = who.id, ZoneInfo(who.time_zone)
    dates = [pl.start.astimezone(zone).date() for pl in seats] + [
        iv.start.astimezone(zone).date() for iv in who.existing_interviews
    ]
    out = []
    if who.max_per_day is not None:
        for day, n in Counter(dates).items():
            if n > who.max_per_day:
                out.append(Violation("load_limit", f"interviewer {pid} has {n} interviews on {day}"))
    if who.max_per_week is not None:
        for week, n in Counter(d.isocalendar()[:2] for d in dates).items():
            if n > who.max_per_week:
                out.append(Violation("load_limit", f"interviewer {pid} has {n} interviews in week {week}"))
    return out
