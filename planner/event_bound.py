"""A proven upper bound on the candidates an event can schedule: the event model without its timing.

The relaxation is the event model (`planner.event_model`) with every constraint that only orders time
removed (`EventModel.timing`: the people's and rooms' no-overlaps, the loops' circuits and gaps). What
stays is every counting rule: each candidate at most one loop on one of their dates, each session its
interviewers from its pool and a room, each person once per loop and only where their masks let them sit,
daily and weekly limits, the minutes a person or room can spend in sessions per day (the energy cuts),
and a loop's span. Every plan of the event is a solution of the relaxation, so the relaxation's proven
optimum (or CP-SAT's objective bound on it, when cut short) bounds every plan.

`count_bound` maximises the number of candidates among solutions whose priority-weighted value is at
least that of a plan in hand: the lexicographically optimal plan is one of them (its weighted value is
at least the plan's), so the bound holds for it. Keeping the weighted value also keeps high-priority
candidates in, which makes the bound tighter than counting alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ortools.sat.python import cp_model

from planner.event_model import EventModel


@dataclass
class Bound:
    candidates: int  # proven: no plan with the given weighted value schedules more
    status: str  # CP-SAT's status on the relaxation
    wall_ms: int


def relaxation(em: EventModel) -> cp_model.CpModel:
    """A copy of the event model without its timing constraints (the objective is left to the caller)."""
    model = em.model.clone()
    model.clear_objective()
    model.clear_hints()
    for index in em.timing:
        ct = model.proto.constraints[index]
        ct.clear_no_overlap()
        ct.clear_circuit()
        ct.clear_linear()
        ct.enforcement_literal.clear()
    return model


def count_bound(em: EventModel, *, at_least: int, time_limit: float) -> Bound:
    """The most candidates any plan of weighted value >= `at_least` can schedule (proven: the bound of the
    relaxation's solve, which is the optimum when it finishes)."""
    candidates = sum(1 for s in em.scheduled if not isinstance(s, int))
    model = relaxation(em)
    model.add(em.value >= at_least)
    model.maximize(cp_model.LinearExpr.sum(em.scheduled))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    solver.parameters.linearization_level = 2  # the LP is what proves the bound
    # Branching on the LP solution closes the relaxation in 0.3-0.8 s on the benchmark's events, where the
    # default search had not finished in 1 s on two of five (and a hint of the plan slowed it down again).
    solver.parameters.search_branching = cp_model.LP_SEARCH
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.symmetry_level = 0
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:  # no plan reaches `at_least`: only possible for a wrong caller
        raise ValueError("no plan of the event reaches the weighted value given")
    if status == cp_model.OPTIMAL:
        found = round(solver.objective_value)
    elif status == cp_model.FEASIBLE:  # cut short: CP-SAT's objective bound is still proven
        found = math.floor(solver.best_objective_bound + 1e-6)
    else:  # nothing proven in time: only the trivial bound
        found = candidates
    return Bound(
        candidates=min(candidates, found),
        status=solver.status_name(status),
        wall_ms=int(solver.wall_time * 1000),
    )
