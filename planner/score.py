"""Scoring one loop assignment on the objective's global scale (shared by the solver and the baseline)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from models.scheduling import Option, Placement, Score
from planner.model import load_cost, weights
from planner.prepare import Prepared


@dataclass
class Seat:
    """One session's choice: start slot, interviewers, trainee, room."""

    session: int
    slot: int
    interviewers: list[int]
    trainee: int | None = None
    room: str | None = None


def make_option(prep: Prepared, seats: list[Seat]) -> tuple[Option, int]:
    """Build the option and its objective value from the assignment itself."""
    p, grid = prep.problem, prep.grid
    w = weights(prep)
    soft = missing = cost = 0
    loads: list[int] = []
    placements = []
    for seat in sorted(seats, key=lambda s: s.session):
        ss = prep.sessions[seat.session]
        attendees = seat.interviewers + ([seat.trainee] if seat.trainee is not None else [])
        soft += sum(int(prep.person(pid, ss.duration).soft[seat.slot]) for pid in attendees)
        missing += int(ss.session.trainee is not None and seat.trainee is None)
        cost += sum(load_cost(prep, pid) for pid in seat.interviewers)
        loads += [prep.load.get(pid, 0) + 1 for pid in seat.interviewers]
        begin = seat.slot * grid.g
        placements.append(
            Placement(
                session=ss.session.id,
                start=p.at(begin),
                end=p.at(begin + ss.duration),
                interviewers=list(seat.interviewers),
                trainee=seat.trainee,
                room=seat.room,
            )
        )
    order = sorted(seats, key=lambda s: s.slot)
    idle = 0
    for a, b in itertools.pairwise(order):
        if prep.cand_day[a.slot] == prep.cand_day[b.slot]:
            idle += b.slot * grid.g - (a.slot * grid.g + prep.sessions[a.session].duration)
    loop_start = order[0].slot
    max_load = max(loads or [0])
    total = (
        w.soft * soft
        + w.start * loop_start
        + w.idle * idle
        + w.trainee * missing
        + w.load * cost
        + w.max_load * max_load
    )
    option = Option(
        rank=1,
        start=min(pl.start for pl in placements),
        end=max(pl.end for pl in placements),
        placements=placements,
        score=Score(total=total, soft_conflicts=soft, idle_minutes=idle, max_interviewer_load=max_load),
    )
    return option, total
