"""First come, first served: how recruiters fill an event today, and the event planner's yardstick.

Candidates are taken in arrival order (their order in the event); each gets the single-loop planner's
best loop (`objective: earliest`) against what the earlier ones already took, or is left out. Nothing
already booked ever moves, so one early loop in the wrong place can cost several later candidates.
"""

from __future__ import annotations

import time

from models.events import Event, EventCandidate, EventPlan, EventStats, ScheduledCandidate
from models.scheduling import Placement
from planner.event_blockers import explain_unscheduled
from planner.event_problem import candidate_problem
from planner.search import plan


def fcfs_placements(
    event: Event, *, time_limit: float = 1.0, deadline: float | None = None
) -> dict[str, list[Placement]]:
    """Arrival order, each candidate's best single loop against the seats already taken; candidates
    reached after `deadline` (perf_counter time) are left out."""
    taken: list[Placement] = []
    out: dict[str, list[Placement]] = {}
    for c in event.candidates:
        limit = time_limit if deadline is None else min(time_limit, deadline - time.perf_counter())
        if limit <= 0:
            break
        result = plan(
            candidate_problem(event, c, taken=taken), options=1, time_limit=limit, explain_blockers=False
        )
        if result.options:
            placements = sorted(result.options[0].placements, key=lambda pl: pl.start)
            out[c.id] = placements
            taken += placements
    return out


def fcfs_plan(event: Event, *, time_limit: float = 1.0, explain: bool = False) -> EventPlan:
    """The baseline as an event plan; `bound_candidates` is only the trivial bound (every candidate)."""
    began = time.perf_counter()
    chosen = fcfs_placements(event, time_limit=time_limit)
    scheduled = [ScheduledCandidate(candidate=cid, placements=pls) for cid, pls in chosen.items()]
    taken = [pl for sc in scheduled for pl in sc.placements]
    missing: list[EventCandidate] = [c for c in event.candidates if c.id not in chosen]
    unscheduled = explain_unscheduled(
        event, missing, taken, deadline=time.perf_counter() + (5 if explain else 0), relax=explain
    )
    load = {str(p.id): 0 for p in event.interviewers}
    for pl in taken:
        for pid in pl.interviewers:
            load[str(pid)] += 1
    return EventPlan(
        status="feasible",
        scheduled=scheduled,
        unscheduled=unscheduled,
        load=load,
        stats=EventStats(
            wall_ms=int((time.perf_counter() - began) * 1000), bound_candidates=len(event.candidates)
        ),
    )
