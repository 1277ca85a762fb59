"""Which rules bind when no loop exists: the planner's rules as groups behind assumption literals.

One CP-SAT model covers the whole horizon plus a stretch after it. Every group a recruiter could
change is enforced only under its own literal: the horizon, the candidate's windows (availability,
hours, busy time), pins, each session's working hours, required people's busy time, each session's
pool (a missing seat can be filled by a stand-in who is always free unless the pool literal holds),
each person's interview limits, each session's room, the one-date rule and the gap/order rules.
What no one can change stays hard: interviewers' calendars, one session at a time for the candidate,
one seat per person per loop.

Solved with every literal assumed, an infeasible model yields `SufficientAssumptionsForInfeasibility`;
deletion (drop one group, re-solve; still infeasible means it was not needed) shrinks that to a
minimal core: every group in it binds, and relaxing any one of them breaks this conflict. The groups
outside the core are then relaxed for good and the check repeats, so independent conflicts (a short
window *and* an empty pool) are each found. The same model, with some literals left free and an
objective, serves the relaxation search (`planner.relax`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from models.scheduling import Interval, Problem
from planner.cp_sat import cp_model
from planner.grid import Mask
from planner.model import domain
from planner.prepare import Prepared, SessionSlots, candidate_mask, person_slots, prepare

EXTRA_DAYS = 7  # the horizon group is judged against this many days after the horizon ends
MAX_EXTRA_DAYS = 62
MAX_CORES = 3


@dataclass(frozen=True)
class Group:
    """A relaxable rule group: `kind` names it, `session` / `person` scope it."""

    kind: str  # horizon, candidate, pinned, hours, busy, pool, load, room, same_day, gaps
    session: int | None = None
    person: int | None = None


@dataclass
class DiagModel:
    """The grouped model of one problem (built on an extended horizon; see `extended`)."""

    prep: Prepared  # prepared on the extended horizon
    limit: int  # minutes of the real horizon
    model: cp_model.CpModel
    literal: dict[Group, cp_model.IntVar] = field(default_factory=dict)
    start: list[cp_model.IntVar] = field(default_factory=list)  # slot per session
    on_day: list[dict[int, cp_model.IntVar]] = field(default_factory=list)  # session -> date -> literal
    extras: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)  # (session, person) seat
    first: cp_model.IntVar | None = None  # earliest start, minutes
    last: cp_model.IntVar | None = None  # latest end, minutes

    def lit(self, group: Group) -> cp_model.IntVar:
        if group not in self.literal:
            self.literal[group] = self.model.new_bool_var(f"{group.kind}:{group.session}:{group.person}")
        return self.literal[group]

    def solve(
        self,
        groups: Iterable[Group],
        seconds: float,
        *,
        also: Iterable[cp_model.IntVar] = (),
        minimize: cp_model.LinearExprT | None = None,
    ) -> tuple[cp_model.CpSolverStatus, cp_model.CpSolver]:
        """Solve with `groups` enforced (every other group free to be dropped) and `also` assumed."""
        self.model.clear_assumptions()
        self.model.add_assumptions([self.literal[g] for g in groups if g in self.literal] + list(also))
        self.model.clear_objective()
        if minimize is not None:
            self.model.minimize(minimize)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = max(0.01, seconds)
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.symmetry_level = 0
        status = solver.solve(self.model)
        return status, solver

    def core(self, solver: cp_model.CpSolver) -> set[Group]:
        by_index = {lit.index: g for g, lit in self.literal.items()}
        return {by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index}


def extended(problem: Problem) -> Problem:
    """The problem with the horizon extended, so that "the horizon is too short" is a relaxable group."""
    end = problem.horizon.end
    reach = end + timedelta(days=EXTRA_DAYS)
    for window in problem.candidate.availability or []:
        reach = max(reach, window.end + timedelta(days=1))
    reach = min(reach, end + timedelta(days=MAX_EXTRA_DAYS))
    return problem.model_copy(update={"horizon": Interval(start=problem.horizon.start, end=reach)})


def build(
    problem: Problem,
    *,
    extras: dict[int, list[int]] | None = None,
    prep: Prepared | None = None,
    within: Mask | None = None,
) -> DiagModel:
    """The grouped model of `problem`. `extras` offers people outside a session's pool a seat in it
    (the `add_interviewer` search); `prep` reuses the extended preparation of an earlier build;
    `within` keeps every session inside these slots (one candidate date: a much smaller model)."""
    prep = prep or prepare(extended(problem))
    diag = DiagModel(prep=prep, limit=problem.horizon_minutes, model=cp_model.CpModel())
    seats: dict[int, list[cp_model.LinearExprT]] = {}
    bases = [_session(diag, ss, seats, (extras or {}).get(ss.index, []), within) for ss in prep.sessions]
    for taken in seats.values():
        if len(taken) > 1:
            diag.model.add(cp_model.LinearExpr.sum(taken) <= 1)  # one seat per person per loop
    _sequence(diag, bases)
    return diag


def _within(
    diag: DiagModel, k: cp_model.IntVar, mask: Mask, base: Mask, enforce: list[cp_model.IntVar]
) -> None:
    """`k` inside `mask` when every `enforce` literal holds (nothing added if the mask rules nothing out)."""
    if (base & ~mask).any():
        diag.model.add_linear_expression_in_domain(k, domain(mask & base)).only_enforce_if(enforce)


def _session(
    diag: DiagModel,
    ss: SessionSlots,
    seats: dict[int, list[cp_model.LinearExprT]],
    offered: list[int],
    within: Mask | None,
) -> Mask:
    """One session's start, people and room; returns the slots its start may take at all."""
    prep, m = diag.prep, diag.model
    grid, i, d = prep.grid, ss.index, ss.duration
    base = grid.fits_horizon(d) if within is None else grid.fits_horizon(d) & within
    k = m.new_int_var_from_domain(domain(base), f"k{i}")
    diag.start.append(k)
    if not base.any():
        return base  # the empty domain makes the model infeasible whatever is relaxed
    inside = grid.empty()
    inside[: max(0, min(grid.slots, (diag.limit - d) // grid.g + 1))] = True
    _within(diag, k, inside, base, [diag.lit(Group("horizon"))])
    cand = prep.memo.setdefault("candidate", {})
    if d not in cand:
        cand[d] = candidate_masks(prep, d)
    windows, clear = cand[d]
    _within(diag, k, windows, base, [diag.lit(Group("candidate"))])
    _within(diag, k, clear, base, [diag.lit(Group("candidate_busy"))])
    if ss.session.pinned and ss.session.pinned.start is not None:
        _within(diag, k, ss.pinned, base, [diag.lit(Group("pinned"))])
    excluded = set(prep.problem.exclude_interviewers)
    need = ss.need
    hours = diag.lit(Group("hours", session=i))
    for pid in ss.required:
        if pid in excluded:
            need += 1  # required but excluded: only a stand-in can take the seat
            continue
        slots = prep.person(pid, d)
        _within(diag, k, slots.hours, base, [hours])
        _within(diag, k, slots.clear, base, [diag.lit(Group("busy", session=i))])
        _within(diag, k, slots.load, base, [diag.lit(Group("load", person=pid))])
        seats.setdefault(pid, []).append(1)
    chosen: list[cp_model.IntVar] = []
    extra = [p for p in offered if p not in ss.pool and p not in ss.required and p not in excluded]
    for pid in list(ss.pool) + extra:
        slots = person_slots(prep, pid, d)
        if not (slots.clear & base).any():
            continue
        y = m.new_bool_var(f"y{i}_{pid}")
        _within(diag, k, slots.clear, base, [y])
        _within(diag, k, slots.hours, base, [y, hours])
        _within(diag, k, slots.load, base, [y, diag.lit(Group("load", person=pid))])
        seats.setdefault(pid, []).append(y)
        chosen.append(y)
        if pid in extra:
            diag.extras[(i, pid)] = y
    stand_in = m.new_int_var(0, need, f"stand_in{i}")
    m.add(cp_model.LinearExpr.sum(chosen) + stand_in == need)
    if need:
        m.add(stand_in == 0).only_enforce_if(diag.lit(Group("pool", session=i)))
    if ss.session.room.required or (ss.session.pinned and ss.session.pinned.room):
        rooms = []
        for rid in ss.rooms:
            z = m.new_bool_var(f"z{i}_{rid}")
            _within(diag, k, ss.room_free[rid], base, [z])
            rooms.append(z)
        m.add(cp_model.LinearExpr.sum(rooms) == 1).only_enforce_if(diag.lit(Group("room", session=i)))
    return base


def candidate_masks(prep: Prepared, duration: int) -> tuple[Mask, Mask]:
    """Starts inside the candidate's windows (availability and hours), and starts clear of their busy time."""
    grid, cand = prep.grid, prep.problem.candidate
    windows = candidate_mask(
        grid, prep.problem.model_copy(update={"candidate": cand.model_copy(update={"busy": []})}), duration
    )
    clear = ~grid.starts_touching(grid.busy_minutes(cand.busy), duration) if cand.busy else grid.full()
    return windows, clear


def _sequence(diag: DiagModel, bases: list[Mask]) -> None:
    """Dates, the one-date rule, order and gaps, each behind its group literal."""
    prep, m = diag.prep, diag.model
    g = prep.grid.g
    loop = prep.problem.loop
    n = len(prep.sessions)
    dur = [ss.duration for ss in prep.sessions]
    start = [g * k for k in diag.start]
    end = [g * diag.start[i] + dur[i] for i in range(n)]
    lo_all = m.new_int_var(0, prep.grid.horizon, "first")
    hi_all = m.new_int_var(0, prep.grid.horizon + max(dur), "last")
    m.add_min_equality(lo_all, start)
    m.add_max_equality(hi_all, end)
    diag.first, diag.last = lo_all, hi_all
    m.add_no_overlap([m.new_fixed_size_interval_var(start[i], dur[i], f"iv{i}") for i in range(n)])
    days: list[cp_model.IntVar] = []
    used: dict[int, cp_model.IntVar] = {}
    for i, base in enumerate(bases):
        on_day: dict[int, cp_model.IntVar] = {}
        for d in np.unique(prep.cand_day[base]):
            b = m.new_bool_var(f"b{i}_{d}")
            m.add_linear_expression_in_domain(
                diag.start[i], domain(base & (prep.cand_day == d))
            ).only_enforce_if(b)
            if int(d) not in used:
                used[int(d)] = m.new_bool_var(f"used{d}")
            m.add_implication(b, used[int(d)])
            on_day[int(d)] = b
        if not on_day:
            m.add_bool_or([])
            days.append(m.new_constant(0))
            diag.on_day.append({})
            continue
        m.add_exactly_one(on_day.values())
        day = m.new_int_var(min(on_day), max(on_day), f"day{i}")
        m.add(day == cp_model.LinearExpr.weighted_sum(list(on_day.values()), list(on_day)))
        days.append(day)
        diag.on_day.append(on_day)
    max_days = 1 if loop.same_day else loop.max_days
    if n > 1 and max_days < n:
        m.add(cp_model.LinearExpr.sum(list(used.values())) <= max_days).only_enforce_if(
            diag.lit(Group("same_day"))
        )
    if n == 1:
        return
    gaps = diag.lit(Group("gaps"))
    arcs: list[tuple[int, int, cp_model.IntVar]] = []
    for i in range(n):
        first = m.new_bool_var(f"first{i}")
        arcs.append((0, i + 1, first))
        arcs.append((i + 1, 0, m.new_bool_var(f"last{i}")))
        if loop.ordered and i == 0:
            m.add(first == 1).only_enforce_if(gaps)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            arc = m.new_bool_var(f"a{i}_{j}")
            arcs.append((i + 1, j + 1, arc))
            if loop.ordered and j != i + 1:
                m.add(arc == 0).only_enforce_if(gaps)
            m.add(start[j] >= end[i]).only_enforce_if(arc)
            same = m.new_bool_var(f"same{i}_{j}")
            m.add(days[j] == days[i]).only_enforce_if([arc, same])
            m.add(days[j] >= days[i] + 1).only_enforce_if([arc, same.negated()])
            m.add(start[j] - end[i] >= loop.min_gap_minutes).only_enforce_if([arc, same, gaps])
            m.add(start[j] - end[i] <= loop.max_gap_minutes).only_enforce_if([arc, same, gaps])
    m.add_circuit(arcs)


def cores(diag: DiagModel, deadline: float) -> list[set[Group]] | None:
    """Minimal sets of groups that cannot hold together, in the order found; None when every group
    holds together (the model finds a loop: nothing to explain) or time ran out before any answer. An
    empty set means the fixed rules conflict by themselves (one person required in two sessions)."""
    active = set(diag.literal)
    found: list[set[Group]] = []
    while len(found) < MAX_CORES:
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        status, solver = diag.solve(active, left)
        if status != cp_model.INFEASIBLE:
            break
        core = diag.core(solver)
        if not core and active and diag.solve((), left)[0] != cp_model.INFEASIBLE:
            core = set(active)  # no core reported, yet the fixed rules alone hold: start from all
        core = _shrink(diag, core, deadline)
        found.append(core)
        if not core:
            break
        active -= core
    return found or None


def _shrink(diag: DiagModel, core: set[Group], deadline: float) -> set[Group]:
    """Deletion-based minimisation: a group stays only if the others hold together without it."""
    keep = set(core)
    for group in sorted(core, key=_order):
        if group not in keep:
            continue
        trial = keep - {group}
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        status, solver = diag.solve(trial, left)
        if status == cp_model.INFEASIBLE:
            keep = (diag.core(solver) & trial) or trial
    return keep


ORDER = (
    "candidate",
    "candidate_busy",
    "horizon",
    "pool",
    "hours",
    "load",
    "room",
    "busy",
    "same_day",
    "gaps",
    "pinned",
)


def _order(group: Group) -> tuple[int, int, int]:
    """Groups a recruiter can least change are tried for removal first, so the core keeps the
    actionable ones when several minimal cores exist (pins and loop rules before people and windows)."""
    rank = len(ORDER) - ORDER.index(group.kind)
    return (rank, group.session if group.session is not None else -1, group.person or 0)
