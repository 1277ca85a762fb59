"""Top-K search: one small CP-SAT model per candidate-local date (or multi-day window), then cuts.

Round 1 solves each date window for its best loop, which spreads options over days and ranks them by
the global objective (all windows share one objective scale). For `earliest`, windows are visited in
date order and the scan stops once K options without soft conflicts are in hand (no later window can
beat them). Later rounds re-solve windows that produced options with a cut that keeps the new loop
start at least an hour away from the starts already taken there (then merely distinct), reusing the
model and hinting the previous choices.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from models.scheduling import Option, Plan, Problem, Stats
from planner.blockers import explain
from planner.model import LoopModel, build
from planner.prepare import Prepared, prepare
from planner.score import Seat, make_option

SPREAD_MINUTES = 60


@dataclass
class Found:
    option: Option
    total: int
    window: int


@dataclass
class Window:
    index: int
    mask: np.ndarray
    anchor: np.ndarray | None
    complete: bool  # covers every loop that may start on its anchor date
    model: LoopModel | None = None
    built: bool = False
    starts: list[int] = field(default_factory=list)
    exhausted: bool = False
    proven: bool = True  # its first solve ended OPTIMAL or INFEASIBLE


def plan(
    problem: Problem,
    *,
    options: int | None = None,
    time_limit: float = 10.0,
    workers: int = 1,
    explain_blockers: bool = True,
    decompose: bool = True,
) -> Plan:
    """Find up to `options` (default: `problem.options`) ranked loop options, or explain why none exist.

    `decompose=False` solves one model over the whole horizon (slower; used to cross-check).
    """
    began = time.perf_counter()
    deadline = began + max(0.05, time_limit)
    want = options if options is not None else problem.options
    if want < 1 or workers < 1:
        raise ValueError("options and workers must be at least 1")
    prep = prepare(problem)
    windows = _windows(prep)
    if not decompose and windows:
        windows = [Window(index=0, mask=np.ones(prep.grid.slots, dtype=bool), anchor=None, complete=True)]
    stats = Stats()
    found: list[Found] = []
    incomplete = False

    # until the first option is found a solve may use all the time left; later ones are capped so that
    # one hard window cannot starve the others (their options stay valid, just not proven best)
    follow_up = max(0.15, time_limit / (3 * max(1, want)))

    def remaining() -> float:
        return deadline - time.perf_counter()

    def run(win: Window, spread: int, cutoff: int | None = None) -> Found | None:
        nonlocal incomplete
        if not win.built:
            win.model = build(prep, win.mask, win.anchor)
            win.built = True
            if win.model is not None:
                stats.variables += len(win.model.model.proto.variables)
        lm = win.model
        if lm is None or win.exhausted or remaining() <= 0:
            if lm is not None and not win.exhausted:
                incomplete = True
                win.proven = win.proven and bool(win.starts)
            return None
        if cutoff is not None:
            # only a loop that beats the K-th best so far matters; proving "none" is quick
            lm.model.add(lm.objective <= cutoff)
        cut = lm.model
        if spread > 1:
            cut = lm.model.clone()
            ls = cut.get_int_var_from_proto_index(lm.loop_start.index)
            LoopModel(model=cut, start=[], loop_start=ls).exclude_start_all(win.starts, spread)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = workers
        solver.parameters.cp_model_probing_level = 0  # probing costs more than it saves on these models
        solver.parameters.symmetry_level = 0
        cap = follow_up if found else remaining()
        solver.parameters.max_time_in_seconds = max(0.01, min(remaining(), cap))
        first_solve = not win.starts
        status = solver.solve(cut)
        stats.solutions_seen += 1 if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else 0
        if status == cp_model.INFEASIBLE:
            if spread <= 1 and cutoff is None:
                win.exhausted = True
            return None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            incomplete = True
            win.proven = win.proven and not first_solve
            return None
        if status != cp_model.OPTIMAL and first_solve:
            win.proven = False
        option, total = _extract(prep, lm, solver)
        slot = solver.value(lm.loop_start)
        win.starts.append(slot)
        lm.exclude_start(slot, 1)
        _hint(lm, solver)
        return Found(option=option, total=total, window=win.index)

    # round 1: best loop per window
    scanned = 0
    for win in windows:
        if (
            len(found) >= want
            and problem.objective == "earliest"
            and all(f.option.score.soft_conflicts == 0 for f in found)
        ):
            break
        scanned += 1
        totals = sorted(f.total for f in found)
        hit = run(win, 1, cutoff=totals[want - 1] - 1 if len(totals) >= want else None)
        if hit:
            found.append(hit)
    fallback_needed = not found and windows and not all(w.complete for w in windows[:scanned])
    if fallback_needed and remaining() > 0:
        full = Window(
            index=len(windows), mask=np.ones(prep.grid.slots, dtype=bool), anchor=None, complete=True
        )
        windows.append(full)
        hit = run(full, 1)
        if hit:
            found.append(hit)
        scanned = len(windows)
    # later rounds: more starts in the windows that have loops, best windows first
    spread = max(2, -(-SPREAD_MINUTES // prep.grid.g))
    while len(found) < want and remaining() > 0:
        productive = sorted(
            {f.window for f in found if not windows[f.window].exhausted},
            key=lambda w: min(f.total for f in found if f.window == w),
        )
        if not productive:
            break
        progress = False
        for w in productive:
            if len(found) >= want or remaining() <= 0:
                break
            hit = run(windows[w], spread) or run(windows[w], 1)
            if hit:
                found.append(hit)
                progress = True
        if not progress:
            break

    found.sort(key=lambda f: (f.total, f.option.start))
    found = found[:want]
    for rank, f in enumerate(found, start=1):
        f.option.rank = rank
    all_scanned = scanned >= len(windows)
    if found:
        best = windows[found[0].window]
        if best.anchor is None and bool(best.mask.all()):
            rivals = [best]  # one model over the whole horizon
        elif problem.objective == "earliest" and found[0].option.score.soft_conflicts == 0:
            # nothing in a later window can beat it: only the windows up to its own must be settled
            rivals = windows[: best.index + 1]
        else:
            rivals = windows if all_scanned else []
        settled = bool(rivals) and all(w.proven and w.complete for w in rivals)
        status = "optimal" if settled else "feasible"
    else:
        status = "unknown" if incomplete else "infeasible"
    blockers = []
    if explain_blockers:
        blockers = explain(
            prep, found=len(found), want=want, exhausted=not incomplete and all_scanned, deadline=deadline
        )
    stats.wall_ms = int((time.perf_counter() - began) * 1000)
    return Plan(status=status, options=[f.option for f in found], blockers=blockers, stats=stats)


def _windows(prep: Prepared) -> list[Window]:
    """Date windows in chronological order: one per date (same day) or per first date (multi-day)."""
    loop = prep.problem.loop
    day = prep.cand_day
    feasible = [ss.feasible for ss in prep.sessions]
    assert all(f is not None for f in feasible)
    masks = [f for f in feasible if f is not None]
    if not masks or not all(m.any() for m in masks):
        return []
    multi = not loop.same_day and loop.max_days > 1 and len(masks) > 1
    days = sorted({int(d) for m in masks for d in np.unique(day[m])})
    out: list[Window] = []
    if not multi:
        for d in days:
            on = day == d
            if all((m & on).any() for m in masks):
                out.append(Window(index=len(out), mask=on, anchor=None, complete=True))
        return out
    for n, d in enumerate(days):
        on = day == d
        if not any((m & on).any() for m in masks):
            continue
        # the anchor date plus the next few dates that have any start: real loops split over near days
        later = days[n : n + 1 + loop.max_days]
        mask = (day >= d) & (day <= later[-1])
        out.append(Window(index=len(out), mask=mask, anchor=on, complete=later[-1] == days[-1]))
    return out


def _hint(lm: LoopModel, solver: cp_model.CpSolver) -> None:
    """Hint the last choices of people and rooms: the next option usually keeps most of them."""
    lm.model.clear_hints()
    for var in [*lm.pool.values(), *lm.trainee.values(), *lm.room.values()]:
        lm.model.add_hint(var, solver.value(var))


def _extract(prep: Prepared, lm: LoopModel, solver: cp_model.CpSolver) -> tuple[Option, int]:
    """Read one solution and score it from the assignment itself (not from the solver's flags)."""
    seats = []
    for ss in prep.sessions:
        i = ss.index
        seats.append(
            Seat(
                session=i,
                slot=solver.value(lm.start[i]),
                interviewers=list(ss.required)
                + [pid for (j, pid), y in lm.pool.items() if j == i and solver.value(y)],
                trainee=next((pid for (j, pid), t in lm.trainee.items() if j == i and solver.value(t)), None),
                room=next((rid for (j, rid), z in lm.room.items() if j == i and solver.value(z)), None),
            )
        )
    return make_option(prep, seats)
