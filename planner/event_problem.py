"""An event seen as single-loop problems: one `hireflow.problem/v1` per candidate.

The event planner, its baseline, its blockers and its validator all reason about one candidate's loop
through the single-loop contract, so every interviewer and room rule is the single-loop rule. Seats
other candidates already hold become existing interviews of the people (which also count toward their
daily and weekly limits, with buffers) and busy time of the rooms.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.events import Event, EventCandidate
from models.scheduling import Candidate, Interval, Loop, Placement, Problem


def horizon(event: Event) -> Interval:
    """From the first day's start (the slot grid's origin) to the last day's end."""
    return Interval(start=min(d.start for d in event.days), end=max(d.end for d in event.days))


def windows(event: Event, availability: list[Interval] | None) -> list[Interval]:
    """A candidate's availability clipped to the event days (the whole days when absent)."""
    days = sorted(event.days, key=lambda d: d.start)
    if availability is None:
        return days
    out = []
    for day in days:
        for w in availability:
            start, end = max(day.start, w.start), min(day.end, w.end)
            if start < end:
                out.append(Interval(start=start, end=end))
    return sorted(out, key=lambda w: w.start)


def candidate_problem(
    event: Event, candidate: EventCandidate, *, taken: Iterable[Placement] = (), options: int = 1
) -> Problem:
    """The single-loop problem of one candidate, with the seats in `taken` no longer free."""
    busy: dict[int, list[Interval]] = {}
    rooms: dict[str, list[Interval]] = {}
    for pl in taken:
        seat = Interval(start=pl.start, end=pl.end)
        for pid in [*pl.interviewers, *([pl.trainee] if pl.trainee is not None else [])]:
            busy.setdefault(pid, []).append(seat)
        if pl.room is not None:
            rooms.setdefault(pl.room, []).append(seat)
    loop = event.loop
    return Problem(
        horizon=horizon(event),
        granularity_minutes=event.granularity_minutes,
        candidate=Candidate(
            time_zone=candidate.time_zone, availability=windows(event, candidate.availability)
        ),
        loop=Loop(
            same_day=True,
            max_days=1,
            min_gap_minutes=loop.min_gap_minutes,
            max_gap_minutes=loop.max_gap_minutes,
            ordered=loop.ordered,
        ),
        sessions=event.sessions,
        interviewers=[
            p.model_copy(update={"existing_interviews": [*p.existing_interviews, *busy[p.id]]})
            if p.id in busy
            else p
            for p in event.interviewers
        ],
        rooms=[
            r.model_copy(update={"busy": [*r.busy, *rooms[r.id]]}) if r.id in rooms else r
            for r in event.rooms
        ],
        options=options,
        objective="earliest",
    )


def base_problem(event: Event) -> Problem:
    """The event as one problem whose candidate is free on every event day (shared masks are built on it)."""
    anyone = EventCandidate(id="(any)", time_zone="UTC")
    return candidate_problem(event, anyone)
