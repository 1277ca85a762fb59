"""Greedy first-fit baseline: what sequenced-availability APIs do.

Walk loop starts in time order; place the sessions in their listed order, each at the earliest start
after the previous one that respects the gaps and the single date, taking the first free required
people, pool members, trainee and room. No backtracking: one bad early choice loses the loop, which
is exactly what the benchmark compares the solver against.
"""

from __future__ import annotations

import time

from models.scheduling import Option, Plan, Problem, Stats
from planner.prepare import Prepared, SessionSlots, prepare
from planner.score import Seat, make_option


def _seat(prep: Prepared, ss: SessionSlots, k: int, used: set[int]) -> Seat | None:
    assert ss.feasible is not None
    if not ss.feasible[k]:
        return None

    def free(pid: int) -> bool:
        return pid not in used and bool(prep.person(pid, ss.duration).free[k])

    if not all(free(pid) for pid in ss.required):
        return None
    picked = [pid for pid in ss.pool if free(pid)][: ss.need]
    if len(picked) < ss.need:
        return None
    chosen = set(ss.required) | set(picked)
    trainee = next((pid for pid in ss.trainees if pid not in chosen and free(pid)), None)
    room = None
    if ss.rooms and (ss.session.room.required or (ss.session.pinned and ss.session.pinned.room)):
        room = next((r for r in ss.rooms if ss.room_free[r][k]), None)
        if room is None:
            return None
    return Seat(session=ss.index, slot=k, interviewers=[*ss.required, *picked], trainee=trainee, room=room)


def _loop_from(prep: Prepared, k0: int) -> list[Seat] | None:
    loop = prep.problem.loop
    g = prep.grid.g
    used: set[int] = set()
    seats: list[Seat] = []
    k = k0
    for n, ss in enumerate(prep.sessions):
        if n == 0:
            candidates = [k0]
        else:
            prev = seats[-1]
            end = prev.slot * g + prep.sessions[prev.session].duration
            lo = -(-(end + loop.min_gap_minutes) // g)
            hi = (end + loop.max_gap_minutes) // g
            candidates = [
                j
                for j in range(lo, min(hi, prep.grid.slots - 1) + 1)
                if prep.cand_day[j] == prep.cand_day[k0]
            ]
        seat = None
        for k in candidates:
            seat = _seat(prep, ss, k, used)
            if seat:
                break
        if seat is None:
            return None
        seats.append(seat)
        used |= set(seat.interviewers) | ({seat.trainee} if seat.trainee is not None else set())
    return seats


def greedy_plan(problem: Problem, *, options: int | None = None) -> Plan:
    """First-fit options with distinct loop starts, earliest first (status never claims optimality)."""
    began = time.perf_counter()
    want = options if options is not None else problem.options
    prep = prepare(problem)
    found: list[Option] = []
    for k0 in range(prep.grid.slots):
        seats = _loop_from(prep, k0)
        if seats:
            option, _ = make_option(prep, seats)
            option.rank = len(found) + 1
            found.append(option)
            if len(found) >= want:
                break
    stats = Stats(wall_ms=int((time.perf_counter() - began) * 1000), solutions_seen=len(found))
    return Plan(status="feasible" if found else "unknown", options=found, stats=stats)
