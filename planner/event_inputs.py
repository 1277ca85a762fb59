"""A recruiting event's `hireflow.event/v1`, built by the same rules as a single loop.

Each planned loop is later re-checked and booked by its application's SchedulingWorkflow against the
single-loop problem (`planner.problem_builder`). So the event is built from that problem: its sessions,
people, rooms, working hours and gaps; each candidate's day (the office's hours for an in-person event,
their own hours otherwise) cut down to the times they gave; nothing before the single-loop horizon would
start; loops already planned kept as busy time. A loop the event plans then passes the re-check unless a
calendar changed in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.event_io import PlanEventCandidate, PlanEventInput
from models.events import Event, EventCandidate, EventLoop
from models.scheduling import BusyInterval, Interval, Problem
from planner.problem_builder import CandidateDay


def event_days(days: Sequence[Interval], earliest: datetime) -> list[Interval]:
    """The event's days from `earliest` on (a day already under way keeps its rest)."""
    kept = [Interval(start=max(d.start, earliest), end=d.end) for d in days if d.end > earliest]
    return [d for d in kept if d.end - d.start >= timedelta(minutes=5)]


def candidate_windows(
    candidate: PlanEventCandidate, day: CandidateDay, days: Sequence[Interval]
) -> list[Interval]:
    """The candidate's answered windows (or the whole days) inside their day's hours, on the event's days."""
    zone = ZoneInfo(day.time_zone)
    start_h, end_h = (time.fromisoformat(day.hours.start), time.fromisoformat(day.hours.end))
    hours: list[Interval] = []
    for event_day in days:
        first = event_day.start.astimezone(zone).date() - timedelta(days=1)
        for k in range(3):
            local = first + timedelta(days=k)
            opens = datetime.combine(local, start_h, zone)
            closes = datetime.combine(local, end_h, zone)
            start, end = max(opens, event_day.start), min(closes, event_day.end)
            if start < end:
                hours.append(Interval(start=start, end=end))
    wanted = candidate.windows or list(days)
    cut = [
        Interval(start=max(h.start, w.start), end=min(h.end, w.end))
        for h in hours
        for w in wanted
        if max(h.start, w.start) < min(h.end, w.end)
    ]
    return sorted(cut, key=lambda i: i.start)


def event_from(
    request: PlanEventInput, problem: Problem, day_of: dict[int, CandidateDay], earliest: datetime
) -> Event:
    """The event of a request (see the module's docstring). `day_of` maps each application to its day."""
    held: dict[int, list[Interval]] = {}
    rooms_held: dict[str, list[Interval]] = {}
    for placement in request.reserved:
        slot = Interval(start=placement.start, end=placement.end)
        for user in (*placement.interviewers, *([placement.trainee] if placement.trainee else [])):
            held.setdefault(user, []).append(slot)
        if placement.room:
            rooms_held.setdefault(placement.room, []).append(slot)
    interviewers = [
        i.model_copy(
            update={"busy": [*i.busy, *(BusyInterval(start=h.start, end=h.end) for h in held.get(i.id, []))]}
        )
        for i in problem.interviewers
    ]
    rooms = [r.model_copy(update={"busy": [*r.busy, *rooms_held.get(r.id, [])]}) for r in problem.rooms]
    days = event_days(request.days, earliest)
    if not days:
        raise ValueError("the event's days are over (or start inside the minimum notice)")
    return Event(
        days=days,
        granularity_minutes=request.granularity_minutes,
        loop=EventLoop(
            min_gap_minutes=problem.loop.min_gap_minutes,
            max_gap_minutes=min(request.max_gap_minutes, problem.loop.max_gap_minutes),
        ),
        sessions=problem.sessions,
        candidates=[
            EventCandidate(
                id=str(c.application_id),
                time_zone=day_of[c.application_id].time_zone,
                availability=candidate_windows(c, day_of[c.application_id], days),
            )
            for c in request.candidates
        ],
        interviewers=interviewers,
        rooms=rooms,
    )
