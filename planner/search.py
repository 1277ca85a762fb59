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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from models.scheduling import Option, Plan, Problem, Stats
from planner.blockers import explain
from planner.cp_sat import cp_model
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
    names: Mapping[int, str] | None = None,
) -> Plan:
    """Find up to `options` (default: `problem.options`) ranked loop options, or explain why none exist.

    `decompose=False` solves one model over the whole horizon (slower; used to cross-check). `names`
    (interviewer id to name) lets blockers and relaxations name people; the explanation of a problem
    without options takes at most `planner.blockers.EXPLAIN_SECONDS` on top of `time_limit`.
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
    # until the first option is found a solve may use all the time left; later ones are capped so that
    # one hard window cannot starve the others (their options stay valid, just not proven best)
    follow_up = max(0.15, time_limit / (3 * max(1, want)))
    search = _Search(prep, windows, want=want, workers=workers, deadline=deadline, follow_up=follow_up)
    scanned = search.best_per_window(problem)
    search.more_starts()
    found = search.ranked()
    all_scanned = scanned >= len(windows)
    status = _status(problem, windows, found, all_scanned=all_scanned, incomplete=search.incomplete)
    blockers = []
    if explain_blockers:
        explained = time.perf_counter()
        blockers = explain(
            prep, found=len(found), want=want, exhausted=not search.incomplete and all_scanned, names=names
        )
        search.stats.explain_ms = int((time.perf_counter() - explained) * 1000)
    search.stats.wall_ms = int((time.perf_counter() - began) * 1000)
    return Plan(status=status, options=[f.option for f in found], blockers=blockers, stats=search.stats)


class _Search:
    """The solves of one `plan` call: the windows, the options found so far and the time left."""

    def __init__(
        self,
        prep: Prepared,
        windows: list[Window],
        *,
        want: int,
        workers: int,
        deadline: float,
        follow_up: float,
    ) -> None:
        self.prep, self.windows, self.want, self.workers = prep, windows, want, workers
        self.deadline, self.follow_up = deadline, follow_up
        self.stats = Stats()
        self.found: list[Found] = []
        self.incomplete = False

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    def best_per_window(self, problem: Problem) -> int:
        """Round 1: the best loop per window, in order; returns how many windows were scanned.

        When nothing was found and some scanned window was incomplete, one model over the whole horizon
        is added and solved too.
        """
        found, want = self.found, self.want
        scanned = 0
        for win in self.windows:
            if (
                len(found) >= want
                and problem.objective == "earliest"
                and all(f.option.score.soft_conflicts == 0 for f in found)
            ):
                break
            scanned += 1
            totals = sorted(f.total for f in found)
            hit = self.run(win, 1, cutoff=totals[want - 1] - 1 if len(totals) >= want else None)
            if hit:
                found.append(hit)
        fallback_needed = not found and self.windows and not all(w.complete for w in self.windows[:scanned])
        if fallback_needed and self.remaining() > 0:
            full = Window(
                index=len(self.windows),
                mask=np.ones(self.prep.grid.slots, dtype=bool),
                anchor=None,
                complete=True,
            )
            self.windows.append(full)
            hit = self.run(full, 1)
            if hit:
                found.append(hit)
            scanned = len(self.windows)
        return scanned

    def more_starts(self) -> None:
        """Later rounds: more starts in the windows that have loops, best windows first."""
        found, windows = self.found, self.windows
        spread = max(2, -(-SPREAD_MINUTES // self.prep.grid.g))
        while len(found) < self.want and self.remaining() > 0:
            productive = sorted(
                {f.window for f in found if not windows[f.window].exhausted},
                key=lambda w: min(f.total for f in found if f.window == w),
            )
            if not productive:
                break
            progress = False
            for w in productive:
                if len(found) >= self.want or self.remaining() <= 0:
                    break
                hit = self.run(windows[w], spread) or self.run(windows[w], 1)
                if hit:
                    found.append(hit)
                    progress = True
            if not progress:
                break

    def ranked(self) -> list[Found]:
        """The best `want` options, ranked 1..n."""
        self.found.sort(key=lambda f: (f.total, f.option.start))
        found = self.found[: self.want]
        for rank, f in enumerate(found, start=1):
            f.option.rank = rank
        return found

    def run(self, win: Window, spread: int, cutoff: int | None = None) -> Found | None:
        """One solve of a window's model: a new loop start at least `spread` slots from those taken."""
        prep, stats = self.prep, self.stats
        if not win.built:
            win.model = build(prep, win.mask, win.anchor)
            win.built = True
            if win.model is not None:
                stats.variables += len(win.model.model.proto.variables)
        lm = win.model
        if lm is None or win.exhausted or self.remaining() <= 0:
            if lm is not None and not win.exhausted:
                self.incomplete = True
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
        solver.parameters.num_workers = self.workers
        solver.parameters.cp_model_probing_level = 0  # probing costs more than it saves on these models
        solver.parameters.symmetry_level = 0
        cap = self.follow_up if self.found else self.remaining()
        solver.parameters.max_time_in_seconds = max(0.01, min(self.remaining(), cap))
        first_solve = not win.starts
        status = solver.solve(cut)
        stats.solutions_seen += 1 if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else 0
        if status == cp_model.INFEASIBLE:
            if spread <= 1 and cutoff is None:
                win.exhausted = True
            return None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.incomplete = True
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


def _status(
    problem: Problem, windows: list[Window], found: list[Found], *, all_scanned: bool, incomplete: bool
) -> Literal["optimal", "feasible", "infeasible", "unknown"]:
    """Optimal when every window that could hold a better loop was solved to the end."""
    if not found:
        return "unknown" if incomplete else "infeasible"
    best = windows[found[0].window]
    if best.anchor is None and bool(best.mask.all()):
        rivals = [best]  # one model over the whole horizon
    elif problem.objective == "earliest" and found[0].option.score.soft_conflicts == 0:
        # nothing in a later window can beat it: only the windows up to its own must be settled
        rivals = windows[: best.index + 1]
    else:
        rivals = windows if all_scanned else []
    settled = bool(rivals) and all(w.proven and w.complete for w in rivals)
    return "optimal" if settled else "feasible"


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
