"""Large-neighbourhood search on the event model: keep most of a plan, re-solve the rest, keep the better.

One CP-SAT solve of a whole event (30 candidates, 4 sessions, 25 people, 6 rooms) barely moves off its
warm start in seconds, but the same model with most candidates' loops fixed solves quickly and finds
the swaps that let one more candidate in. Each round fixes the loops (day, starts, interviewers, room)
of the scheduled candidates outside a neighbourhood and re-solves the rest from the incumbent as a hint,
with the weighted value held at least at the incumbent's; candidates left out are always free to come
in. Neighbourhoods, in turn:

- a whole event day (everyone scheduled that day may move or make room, every other day stays);
- everyone who sits with one interviewer (the binding resource is people's time and daily limits);
- a band of hours on one day;
- a few scheduled candidates drawn at random.

A neighbourhood proven to hold nothing better (the sub-solve ends OPTIMAL at the incumbent's value) is
skipped until the incumbent changes. The random draws use a fixed seed; the result still depends on the
time each sub-solve gets, as CP-SAT's does.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import structlog
from ortools.sat.python import cp_model

from models.events import Event
from planner.event_model import CandidateLoop, EventModel

log = structlog.get_logger(__name__)

SUB_SECONDS = 0.8  # at most per sub-solve
MIN_SUB_SECONDS = 0.15  # less time than this left: stop
KINDS = ("fill", "day", "insert", "person", "band", "random")
STRICT = 0
WAITING = 5  # candidates left out who may come in, per round
INTERLEAVE = True
LINEARIZATION = 1
RANDOM_SIZE = 6  # scheduled candidates freed by a random neighbourhood
BAND_SLOTS_MINUTES = 180  # width of an hours band


@dataclass
class SearchStats:
    rounds: int = 0
    improved: int = 0
    kinds: dict[str, int] = field(default_factory=dict)  # neighbourhood kind -> rounds


def weighted_value(em: EventModel, solution: list[int]) -> int:
    return sum(em.weights[lp.candidate] * solution[lp.present.index] for lp in em.loops)


def improve(
    em: EventModel, event: Event, incumbent: list[int], *, until: float, workers: int = 1, seed: int = 0
) -> tuple[list[int], SearchStats]:
    """The incumbent improved by neighbourhood rounds until `until` (perf_counter time); never worse."""
    return _Search(em, event, incumbent, workers, seed).run(until)


class _Search:
    def __init__(self, em: EventModel, event: Event, incumbent: list[int], workers: int, seed: int) -> None:
        self.em, self.event, self.workers = em, event, workers
        self.best = incumbent
        self.value = weighted_value(em, incumbent)
        self.rng = random.Random(seed)
        self.stats = SearchStats()
        grid = em.prep.grid
        self.day_ranges = [
            (grid.minute(d.start, up=True), grid.minute(d.end))
            for d in sorted(event.days, key=lambda d: d.start)
        ]
        self.exhausted: set[tuple[object, ...]] = set()  # neighbourhoods proven to hold nothing better
        self.version = 0  # bumped whenever the incumbent changes
        self.filled = -1  # the version the last "fill" round ran on

    # ------------------------------------------------------------------ the loop
    def run(self, until: float) -> tuple[list[int], SearchStats]:
        kinds = list(KINDS)
        turn = 0
        stale = 0
        while until - time.perf_counter() > MIN_SUB_SECONDS:
            kind = kinds[turn % len(kinds)]
            turn += 1
            picked = self._neighbourhood(kind)
            if picked is None:
                stale += 1
                if stale > 3 * len(kinds):  # every neighbourhood exhausted: nothing left to try
                    break
                continue
            key, free = picked
            stale = 0
            self._round(kind, key, free, until)
        return self.best, self.stats

    def _round(self, kind: str, key: tuple[object, ...], free: set[int], until: float) -> None:
        em, best = self.em, self.best
        model = em.model.clone()
        model.clear_hints()
        placed = {lp.candidate for lp in em.loops if best[lp.present.index]}
        waiting = sorted({lp.candidate for lp in em.loops} - placed)
        # a few of the candidates left out (higher priority first, then at random) may come in
        self.rng.shuffle(waiting)
        waiting.sort(key=lambda c: -em.weights[c])
        free = free | set(waiting if kind == "fill" else waiting[:WAITING])
        for lp in em.loops:
            if lp.candidate in free:
                continue
            if not best[lp.present.index]:
                model.add(lp.present == 0)
                continue
            for var in _decisions(lp):
                model.add(var == best[var.index])
        model.add(em.value >= self.value + STRICT)
        model.maximize(em.value)
        model.proto.solution_hint.vars.extend(range(len(best)))
        model.proto.solution_hint.values.extend(best)
        solver = cp_model.CpSolver()
        p = solver.parameters
        p.num_workers = self.workers
        p.max_time_in_seconds = max(0.05, min(SUB_SECONDS, until - time.perf_counter()))
        p.interleave_search = INTERLEAVE  # one thread, several strategies and CP-SAT's own LNS in turn
        p.linearization_level = LINEARIZATION
        p.cp_model_probing_level = 0
        p.symmetry_level = 0
        began = time.perf_counter()
        status = solver.solve(model)
        log.debug(
            "event_search_round",
            kind=kind,
            free=len(free),
            status=solver.status_name(status),
            value=round(solver.objective_value) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None,
            ms=int((time.perf_counter() - began) * 1000),
        )
        self.stats.rounds += 1
        self.stats.kinds[kind] = self.stats.kinds.get(kind, 0) + 1
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return
        found = list(solver.response_proto.solution)
        value = weighted_value(em, found)
        if kind == "fill":
            self.filled = self.version + (found != best)
        if value > self.value:
            self.best, self.value = found, value
            self.version += 1
            self.stats.improved += 1
            self.exhausted.clear()
            return
        if value == self.value and found != best:
            self.best = found  # a sideways move: another plan of the same value to search around
            self.version += 1
        if status == cp_model.OPTIMAL:
            self.exhausted.add(key)

    # ------------------------------------------------------------------ neighbourhoods
    def _neighbourhood(self, kind: str) -> tuple[tuple[object, ...], set[int]] | None:
        """(key, candidates set free) of a neighbourhood of this kind not yet exhausted, or None."""
        if kind == "fill":  # everyone scheduled stays put: does anyone left out fit in the gaps?
            return None if self.filled == self.version else (("fill", self.version), set())
        placed = self._placed()
        if not placed:
            return None
        options: list[tuple[tuple[object, ...], set[int]]] = []
        if kind == "day":
            for day in sorted({d for d, _ in placed.values()}):
                options.append((("day", day), {c for c, (d, _) in placed.items() if d == day}))
        elif kind == "person":
            sitting: dict[int, set[int]] = {}
            for lp in self._present():
                for (_, pid), y in lp.pool.items():
                    if self.best[y.index]:
                        sitting.setdefault(pid, set()).add(lp.candidate)
            options = [(("person", pid), cands) for pid, cands in sorted(sitting.items())]
        elif kind == "band":
            for c, (day, minute) in sorted(placed.items()):
                lo = minute - BAND_SLOTS_MINUTES // 2
                hi = minute + BAND_SLOTS_MINUTES // 2
                band = {o for o, (d, m) in placed.items() if d == day and lo <= m < hi}
                options.append((("band", day, lo // 60), band | {c}))
        elif kind == "insert":
            waiting = sorted({lp.candidate for lp in self.em.loops} - set(placed))
            if not waiting:
                return None
            top = max(self.em.weights[c] for c in waiting)
            u = self.rng.choice([c for c in waiting if self.em.weights[c] == top])
            days = {self._day(lp) for lp in self.em.loops if lp.candidate == u}
            near = sorted(c for c, (d, _) in placed.items() if d in days)
            chosen = self.rng.sample(near, min(RANDOM_SIZE, len(near)))
            return ("insert", self.stats.rounds), {u, *chosen}
        else:
            chosen = self.rng.sample(sorted(placed), min(RANDOM_SIZE, len(placed)))
            return ("random", self.stats.rounds), set(chosen)
        options = [o for o in options if o[0] not in self.exhausted]
        if not options:
            return None
        return self.rng.choice(options)

    def _day(self, lp: CandidateLoop) -> int:
        """The event day of a loop (from its first possible start)."""
        lo = int(self.em.model.proto.variables[lp.start[0].index].domain[0]) * self.em.prep.grid.g
        return next((n for n, (a, b) in enumerate(self.day_ranges) if a <= lo < b), -1)

    def _present(self) -> list[CandidateLoop]:
        return [lp for lp in self.em.loops if self.best[lp.present.index]]

    def _placed(self) -> dict[int, tuple[int, int]]:
        """Scheduled candidate -> (event day, first start in minutes) in the incumbent."""
        g = self.em.prep.grid.g
        out = {}
        for lp in self._present():
            minute = min(self.best[k.index] for k in lp.start) * g
            day = next((n for n, (a, b) in enumerate(self.day_ranges) if a <= minute < b), -1)
            out[lp.candidate] = (day, minute)
        return out


def _decisions(lp: CandidateLoop) -> list[cp_model.IntVar]:
    """The variables that pin a loop down: presence, starts, interviewers, rooms."""
    return [lp.present, *lp.start, *lp.pool.values(), *lp.room.values()]
