"""`hireflow.event/v1 -> hireflow.event-plan/v1`: the event solved lexicographically, stage by stage.

1. most candidates (weighted by priority tiers, so a higher priority is never dropped for lower ones):
   a. warm start: the better of two sequential plans (arrival order, the first-come-first-served
      baseline itself, and priority order), so the plan is never below the baseline's weighted value;
   b. one short solve of the whole model from it, which settles small events (OPTIMAL) and gives a
      proven bound on the weighted value;
   c. large-neighbourhood search (`planner.event_search`) for the rest of the stage's time;
   d. unless optimal, a proven bound on the candidates (`planner.event_bound`: the model without its
      timing constraints, most candidates at the plan's weighted value or more) is `bound_candidates`;
2. with stage 1's value fixed as a constraint, the lowest maximum interviewer load;
3. with that fixed too, the fewest idle minutes of candidates.

Each stage starts from the previous stage's solution as a hint, so it always has a plan in hand and a
time-out only costs optimality of that stage. Trainees are seated afterwards (first free one per
session), and every unscheduled candidate gets blockers (`planner.event_blockers`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import structlog
from ortools.sat.python import cp_model

from models.events import Event, EventPlan, EventStats, ScheduledCandidate
from models.scheduling import Placement
from planner.event_baseline import fcfs_placements
from planner.event_blockers import explain_unscheduled
from planner.event_bound import count_bound
from planner.event_model import EventModel, build_event
from planner.event_search import improve, weighted_value
from planner.prepare import Prepared

log = structlog.get_logger(__name__)

DEADLINE_MARGIN = 0.03  # of the time limit
BLOCKER_SHARE = 0.2  # of the time limit kept for blockers when candidates are left out
STAGE1_LINEARIZATION = 2
WARM_START_SHARE = 0.3  # of the time limit at most for the two sequential plans stage 1 starts from
# Stage 1 after the warm start: the whole-model solve takes WHOLE_SHARE of the solving time left (at most
# WHOLE_SECONDS); of what is left then, RESERVE_SHARE is kept for the count bound (BOUND_SHARE of it) and
# stages 2 and 3 (half each of the rest), and the search takes everything else.
WHOLE_SHARE, WHOLE_SECONDS = 0.15, 1.5
RESERVE_SHARE = 0.3
# interleaving strategies in the whole-model solve was tried on family E: no better within the noise
WHOLE_INTERLEAVE = False
BOUND_SHARE = 0.75


@dataclass
class Stage:
    name: str
    status: str  # CP-SAT's status name (the search: how many of its rounds improved the plan)
    value: int | None
    bound: float | None
    wall_ms: int


@dataclass
class EventResult:
    """The plan plus what the benchmark and tests want to know about the stages."""

    plan: EventPlan
    stages: list[Stage]
    value: int  # stage 1 objective (weighted candidates)


@dataclass
class Seat:
    session: int
    slot: int
    interviewers: list[int]
    room: str | None
    trainee: int | None = None


def plan_event(
    event: Event, *, time_limit: float = 10.0, workers: int = 1, explain: bool = True
) -> EventPlan:
    """The event plan (see `solve_event` for the stages)."""
    return solve_event(event, time_limit=time_limit, workers=workers, explain=explain).plan


def solve_event(
    event: Event, *, time_limit: float = 10.0, workers: int = 1, explain: bool = True, warm_start: bool = True
) -> EventResult:
    began = time.perf_counter()
    # a margin for what overruns a solver's own limit (model building, the last blocker's solve)
    deadline = began + max(0.1, time_limit * (1 - DEADLINE_MARGIN))
    if workers < 1:
        raise ValueError("workers must be at least 1")
    em = build_event(event)
    solve_until = deadline - (BLOCKER_SHARE * time_limit if explain else 0)
    stages: list[Stage] = []

    def budget(share: float) -> float:
        return max(0.05, share * (solve_until - time.perf_counter()))

    em.model.maximize(em.value)
    start = _warm_start(em, event, workers, began + WARM_START_SHARE * time_limit) if warm_start else None
    _hint(em.model, start)
    # The full linearisation (the loops' circuits and the seats' intervals in the LP) gives the whole
    # model a real bound on the weighted value, where the default level stays at the trivial one (every
    # loop of every day counted) within the same seconds.
    whole = min(WHOLE_SECONDS, budget(WHOLE_SHARE))
    solution, first = _solve(
        em.model,
        "candidates",
        whole,
        workers,
        stages,
        linearization=STAGE1_LINEARIZATION,
        interleave=WHOLE_INTERLEAVE,
    )
    if solution is None or (start is not None and _value(em, start) > _value(em, solution)):
        solution = start
    if solution is None:  # cannot happen: leaving everyone out is always a plan
        raise RuntimeError("the event model found no assignment at all")
    weighted_bound = stages[0].bound
    optimal = first == cp_model.OPTIMAL
    if not optimal:
        lns_until = solve_until - RESERVE_SHARE * max(0.0, solve_until - time.perf_counter())
        lns_began = time.perf_counter()
        solution, searched = improve(em, event, solution, until=lns_until, workers=workers)
        stages.append(
            Stage(
                name="search",
                status=f"{searched.improved}/{searched.rounds} rounds improved",
                value=weighted_value(em, solution),
                bound=None,
                wall_ms=int((time.perf_counter() - lns_began) * 1000),
            )
        )
    value = round(_value(em, solution))
    count = sum(solution[lp.present.index] for lp in em.loops)
    if weighted_bound is not None and value >= math.floor(weighted_bound + 1e-6):
        optimal = True  # the search reached the whole model's proven bound
    bound = count
    if not optimal:
        proven = count_bound(em, at_least=value, time_limit=budget(BOUND_SHARE))
        stages.append(Stage("bound", proven.status, proven.candidates, None, proven.wall_ms))
        bound = max(count, min(proven.candidates, _bound_candidates(em, weighted_bound, scheduled=count)))
        # every weight equal: the weighted value is the count, so a count bound reached proves it optimal
        optimal = bound == count and len(set(em.weights)) <= 1
    em.model.add(em.value >= value)
    em.model.minimize(em.max_load)
    solution[em.max_load.index] = max(
        [sum(solution[y.index] for y in seats) for seats in em.seats.values()], default=0
    )  # stage 1 left it anywhere above the loads; the hint starts stage 2 at the plan's own
    _hint(em.model, solution)
    better, _ = _solve(em.model, "max_load", budget(0.5), workers, stages)
    solution = better or solution
    em.model.add(em.max_load <= solution[em.max_load.index])
    em.model.minimize(em.idle)
    _hint(em.model, solution)
    better, _ = _solve(em.model, "idle", budget(1.0), workers, stages)
    solution = better or solution

    chosen = _extract(em, solution)
    _seat_trainees(event, em.prep, chosen)
    scheduled = [
        ScheduledCandidate(candidate=event.candidates[ci].id, placements=_placements(em.prep, seats))
        for ci, seats in sorted(chosen.items())
    ]
    missing = [c for ci, c in enumerate(event.candidates) if ci not in chosen]
    taken = [pl for sc in scheduled for pl in sc.placements]
    unscheduled = explain_unscheduled(event, missing, taken, deadline=deadline if explain else began)
    load = {str(p.id): 0 for p in event.interviewers}
    for pl in taken:
        for pid in pl.interviewers:
            load[str(pid)] += 1
    wall_ms = int((time.perf_counter() - began) * 1000)
    plan = EventPlan(
        status="optimal" if optimal else "feasible",
        scheduled=scheduled,
        unscheduled=unscheduled,
        load=load,
        stats=EventStats(wall_ms=wall_ms, bound_candidates=bound),
    )
    log.info(
        "event_planned",
        candidates=len(event.candidates),
        scheduled=len(scheduled),
        bound=bound,
        status=plan.status,
        stages=[(s.name, s.status, s.wall_ms) for s in stages],
        wall_ms=wall_ms,
    )
    return EventResult(plan=plan, stages=stages, value=value)


def _solve(
    model: cp_model.CpModel,
    name: str,
    limit: float,
    workers: int,
    stages: list[Stage],
    *,
    linearization: int = 1,
    interleave: bool = False,
) -> tuple[list[int] | None, object]:
    """One stage; returns the full assignment (None when the stage found none) and CP-SAT's status."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = limit
    solver.parameters.linearization_level = linearization
    solver.parameters.cp_model_probing_level = 0  # probing costs seconds on these models and saves nothing
    solver.parameters.symmetry_level = 0  # arrival order already breaks the candidates' symmetry
    solver.parameters.interleave_search = interleave
    began = time.perf_counter()
    status = solver.solve(model)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    stages.append(
        Stage(
            name=name,
            status=solver.status_name(status),
            value=round(solver.objective_value) if found else None,
            bound=solver.best_objective_bound if found else None,
            wall_ms=int((time.perf_counter() - began) * 1000),
        )
    )
    return (list(solver.response_proto.solution) if found else None), status


def _value(em: EventModel, solution: list[int]) -> float:
    return sum(
        w * sum(solution[lp.present.index] for lp in em.loops if lp.candidate == ci)
        for ci, w in enumerate(em.weights)
    )


def _hint(model: cp_model.CpModel, solution: list[int] | None) -> None:
    model.clear_hints()
    if solution is not None:
        model.proto.solution_hint.vars.extend(range(len(solution)))
        model.proto.solution_hint.values.extend(solution)


def _warm_start(em: EventModel, event: Event, workers: int, until: float) -> list[int] | None:
    """A full assignment of the better of two sequential plans (arrival order, as recruiters do it, and
    priority order): stage 1 starts from it, so it never ends below first-come-first-served. Both share
    the time up to `until`; a sequence cut short there is still a plan (the rest left out)."""
    by_priority = sorted(range(len(event.candidates)), key=lambda n: -event.candidates[n].priority)
    best: list[int] | None = None
    for n, order in enumerate((None, by_priority)):
        ordered = (
            event
            if order is None
            else event.model_copy(update={"candidates": [event.candidates[n] for n in order]})
        )
        share = time.perf_counter() + (until - time.perf_counter()) / (2 - n)
        full = _complete(em, event, fcfs_placements(ordered, time_limit=0.5, deadline=share), workers, until)
        if full is not None and (best is None or _value(em, full) > _value(em, best)):
            best = full
    return best


def _complete(
    em: EventModel, event: Event, chosen: dict[str, list[Placement]], workers: int, until: float
) -> list[int] | None:
    """Every variable's value for a known plan: its choices fixed, the solver fills in the rest."""
    fixed = _fix_placements(em, event, chosen)
    model = em.model.clone()
    model.clear_objective()
    for index, value in fixed.items():
        model.add(model.get_int_var_from_proto_index(index) == value)
    solution, _ = _solve(model, "warm_start", min(2.0, max(0.05, until - time.perf_counter())), workers, [])
    return solution


def _fix_placements(em: EventModel, event: Event, chosen: dict[str, list[Placement]]) -> dict[int, int]:
    prep, g = em.prep, em.prep.grid.g
    sessions = {ss.session.id: ss.index for ss in prep.sessions}
    out: dict[int, int] = {}
    placed: set[int] = set()
    for lp in em.loops:
        placements = chosen.get(event.candidates[lp.candidate].id)
        slots = {sessions[pl.session]: prep.grid.minute(pl.start) // g for pl in placements or []}
        here = (
            bool(placements)
            and lp.candidate not in placed
            and all(_in_domain(lp.start[i], k) for i, k in slots.items())
        )
        out[lp.present.index] = int(here)
        if not here or placements is None:
            continue
        placed.add(lp.candidate)
        for i, k in slots.items():
            out[lp.start[i].index] = k
        people = {(sessions[pl.session], pid) for pl in placements for pid in pl.interviewers}
        used = {(sessions[pl.session], pl.room) for pl in placements}
        for key, y in lp.pool.items():
            out[y.index] = int(key in people)
        for room_key, z in lp.room.items():
            out[z.index] = int(room_key in used)
    return out


def _in_domain(var: cp_model.IntVar, value: int) -> bool:
    bounds = list(var.proto.domain)
    return any(a <= value <= b for a, b in zip(bounds[::2], bounds[1::2], strict=True))


def _bound_candidates(em: EventModel, bound: float | None, *, scheduled: int) -> int:
    """The most candidates a plan can schedule, given a proven bound on the weighted value: the most
    candidates whose weights fit under it, lightest first (every candidate without a bound)."""
    if bound is None:
        return sum(1 for s in em.scheduled if not isinstance(s, int))
    limit = math.floor(bound + 1e-6)
    total = count = 0
    for w in sorted(w for w, s in zip(em.weights, em.scheduled, strict=True) if not isinstance(s, int)):
        if total + w > limit:
            break
        total += w
        count += 1
    return max(count, scheduled)


def _extract(em: EventModel, solution: list[int]) -> dict[int, list[Seat]]:
    out: dict[int, list[Seat]] = {}
    for lp in em.loops:
        if not solution[lp.present.index]:
            continue
        seats = []
        for ss in em.prep.sessions:
            i = ss.index
            seats.append(
                Seat(
                    session=i,
                    slot=solution[lp.start[i].index],
                    interviewers=[
                        *ss.required,
                        *(p for (j, p), y in lp.pool.items() if j == i and solution[y.index]),
                    ],
                    room=next((r for (j, r), z in lp.room.items() if j == i and solution[z.index]), None),
                )
            )
        out[lp.candidate] = seats
    return out


def _seat_trainees(event: Event, prep: Prepared, chosen: dict[int, list[Seat]]) -> None:
    """Give each session the first trainee of its pool who is free then, under their limits, with buffers."""
    grid = prep.grid
    held: dict[int, list[tuple[int, int]]] = {}  # person -> (start, end) minutes of their event seats
    for seats in chosen.values():
        for seat in seats:
            d = prep.sessions[seat.session].duration
            for pid in seat.interviewers:
                held.setdefault(pid, []).append((seat.slot * grid.g, seat.slot * grid.g + d))
    for seats in chosen.values():
        inside = {pid for seat in seats for pid in seat.interviewers}
        for seat in sorted(seats, key=lambda s: s.slot):
            ss = prep.sessions[seat.session]
            if ss.session.trainee is None:
                continue
            for pid in ss.trainees:
                if pid in inside or not prep.person(pid, ss.duration).free[seat.slot]:
                    continue
                span = (seat.slot * grid.g, seat.slot * grid.g + ss.duration)
                if _fits(prep, pid, span, held.get(pid, [])):
                    seat.trainee = pid
                    inside.add(pid)
                    held.setdefault(pid, []).append(span)
                    break


def _fits(prep: Prepared, pid: int, span: tuple[int, int], held: list[tuple[int, int]]) -> bool:
    """No overlap with the person's other event seats (buffer both ways) and their limits still hold."""
    who = prep.problem.interviewer(pid)
    buf = who.buffer_minutes
    if any(span[0] < e + buf and s < span[1] + buf for s, e in held):
        return False
    grid = prep.grid
    day = grid.day_index(who.time_zone)
    _, dates = grid.local_days(who.time_zone)
    slot = span[0] // grid.g
    here = dates[day[slot]]
    seat_dates = [dates[day[s // grid.g]] for s, _ in held]
    zone = ZoneInfo(who.time_zone)
    existing = [iv.start.astimezone(zone).date() for iv in who.existing_interviews]
    if who.max_per_day is not None:
        if sum(d == here for d in [*seat_dates, *existing]) + 1 > who.max_per_day:
            return False
    if who.max_per_week is not None:
        week = here.isocalendar()[:2]
        if sum(d.isocalendar()[:2] == week for d in [*seat_dates, *existing]) + 1 > who.max_per_week:
            return False
    return True


def _placements(prep: Prepared, seats: list[Seat]) -> list[Placement]:
    """Placements in time order (the order a candidate reads their day in)."""
    p, g = prep.problem, prep.grid.g
    out = []
    for seat in sorted(seats, key=lambda s: s.slot):
        ss = prep.sessions[seat.session]
        out.append(
            Placement(
                session=ss.session.id,
                start=p.at(seat.slot * g),
                end=p.at(seat.slot * g + ss.duration),
                interviewers=seat.interviewers,
                trainee=seat.trainee,
                room=seat.room,
            )
        )
    return out
