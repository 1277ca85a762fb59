"""The CP-SAT model of one loop inside a window of candidate-local dates.

Per session: one start variable (in slots) whose domain is the precomputed feasible start set, and a
fixed-size interval on it (in minutes) for the candidate's `AddNoOverlap`. Choices are booleans: pool
members, trainee seats and rooms, each implying that the start lies in that person's/room's free set
(`add_linear_expression_in_domain(...).only_enforce_if(choice)`). A person attends at most one session of
the loop, so their own no-overlap, buffers against other sessions and load limits reduce to
precomputed masks plus one `AddAtMostOne` per person. Session order is an `AddCircuit` path (or the
listed order) that carries the gap rules between consecutive sessions of one date.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from planner.cp_sat import cp_model
from planner.grid import Mask, runs
from planner.prepare import Prepared, SessionSlots


def domain(mask: Mask, span: tuple[int, int] | None = None) -> cp_model.Domain:
    """The slots of a mask as a CP-SAT domain; `span` limits the scan to a window known to hold them all."""
    if span is None:
        return cp_model.Domain.from_intervals(runs(mask))
    lo, hi = span
    return cp_model.Domain.from_intervals([[a + lo, b + lo] for a, b in runs(mask[lo : hi + 1])])


@dataclass
class Weights:
    """Lexicographic tiers folded into one integer objective; bounds come from the problem itself."""

    soft: int
    start: int
    idle: int
    trainee: int
    load: int
    max_load: int


def weights(prep: Prepared) -> Weights:
    if "weights" not in prep.memo:
        prep.memo["weights"] = _weights(prep)
    return prep.memo["weights"]


def _weights(prep: Prepared) -> Weights:
    p = prep.problem
    n = len(prep.sessions)
    idle_max = p.loop.max_gap_minutes * max(0, n - 1) + 1
    costs = [load_cost(prep, x.id) for x in p.interviewers] or [0]
    load_max = sum(ss.session.interviewers.total for ss in prep.sessions) * max(costs) + 1
    max_load_max = max([v + 1 for v in prep.load.values()] or [1]) + 1
    slots = prep.grid.slots + 1
    if p.objective == "earliest":
        w_load = 1
        w_tr = load_max
        w_idle = w_tr * (n + 1)
        w_start = w_idle * idle_max
        w_soft = w_start * slots
        return Weights(soft=w_soft, start=w_start, idle=w_idle, trainee=w_tr, load=w_load, max_load=0)
    w_idle = 1
    w_start = idle_max
    w_tr = w_start * slots
    w_load = w_tr * (n + 1)
    w_ml = w_load * load_max
    w_soft = w_ml * max_load_max
    return Weights(soft=w_soft, start=w_start, idle=w_idle, trainee=w_tr, load=w_load, max_load=w_ml)


def load_cost(prep: Prepared, pid: int) -> int:
    """Preference cost of assigning a person: grows with their existing load, shrinks with weight."""
    costs = prep.memo.setdefault("load_cost", {})
    if pid not in costs:
        weight = prep.problem.interviewer(pid).weight
        costs[pid] = max(1, round(10 * (prep.load.get(pid, 0) + 1) / weight))
    return costs[pid]


@dataclass
class LoopModel:
    model: cp_model.CpModel
    start: list[cp_model.IntVar]  # slot per session
    loop_start: cp_model.IntVar
    span: tuple[int, int] | None = None  # slot range holding every start of this model
    pool: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    trainee: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    room: dict[tuple[int, str], cp_model.IntVar] = field(default_factory=dict)
    soft: list[cp_model.IntVar] = field(default_factory=list)
    objective: cp_model.LinearExpr | int = 0

    def exclude_start(self, slot: int, spread: int = 1) -> None:
        """Cut: the loop must not start within `spread - 1` slots of `slot`."""
        if spread <= 1:
            self.model.add(self.loop_start != slot)
        else:
            self.model.add_linear_expression_in_domain(
                self.loop_start,
                cp_model.Domain.from_intervals([[slot - spread + 1, slot + spread - 1]]).complement(),
            )

    def exclude_start_all(self, slots: list[int], spread: int) -> None:
        for slot in slots:
            self.exclude_start(slot, spread)


def build(prep: Prepared, window: Mask, anchor: Mask | None = None) -> LoopModel | None:
    """Model the loop with every session starting inside `window`; the loop starts inside `anchor`.

    Returns None when some session has no start in the window (nothing to solve).
    """
    g = prep.grid.g
    m = cp_model.CpModel()
    n = len(prep.sessions)
    allowed: list[Mask] = []
    for ss in prep.sessions:
        assert ss.feasible is not None
        mask = ss.feasible & window
        if not mask.any():
            return None
        allowed.append(mask)
    on = np.flatnonzero(window)
    span = (int(on[0]), int(on[-1]))
    starts = [m.new_int_var_from_domain(domain(a, span), f"k{i}") for i, a in enumerate(allowed)]
    durations = [ss.duration for ss in prep.sessions]
    intervals = [m.new_fixed_size_interval_var(g * starts[i], durations[i], f"iv{i}") for i in range(n)]
    m.add_no_overlap(intervals)
    lo = min(int(np.flatnonzero(a)[0]) for a in allowed)
    hi = max(int(np.flatnonzero(a)[-1]) for a in allowed)
    loop_start = m.new_int_var(lo, hi, "loop_start")
    m.add_min_equality(loop_start, starts)
    if anchor is not None:
        m.add_linear_expression_in_domain(loop_start, domain(anchor & window, span))
    lm = LoopModel(model=m, start=starts, loop_start=loop_start, span=span)

    seats = _Seats(prep, lm, weights(prep))
    for ss, a in zip(prep.sessions, allowed, strict=True):
        seats.required(ss, a)
        seats.pool(ss, a)
        if ss.session.trainee is not None:
            seats.trainees(ss, a)
        if ss.rooms and (ss.session.room.required or (ss.session.pinned and ss.session.pinned.room)):
            seats.rooms(ss, a)
    for taken in seats.attend.values():
        if len(taken) > 1:
            m.add_at_most_one(taken)
    _break_symmetry(prep, lm, allowed)

    w, terms = seats.w, seats.terms
    idle = _sequence(prep, lm, allowed)
    terms.append(w.idle * idle)
    terms.append(w.start * loop_start)
    if w.max_load and seats.max_load_terms:
        top = m.new_int_var(0, max(prep.load.values() or [0]) + 1, "max_load")
        m.add_max_equality(top, seats.max_load_terms)
        terms.append(w.max_load * top)
    lm.objective = cp_model.LinearExpr.sum(terms)
    m.minimize(lm.objective)
    return lm


class _Seats:
    """The seat choices of one loop model (required people, pool members, trainees, rooms) and the
    objective terms they bring, added session by session in a fixed order."""

    def __init__(self, prep: Prepared, lm: LoopModel, w: Weights) -> None:
        self.prep, self.lm, self.m, self.w = prep, lm, lm.model, w
        self.terms: list[cp_model.LinearExprT] = []
        self.max_load_terms: list[cp_model.LinearExprT] = []
        self.attend: dict[int, list[cp_model.IntVar]] = {}
        self.required_in: dict[int, int] = {}
        for ss in prep.sessions:
            for pid in ss.required:
                if pid in self.required_in:  # one person required twice: no loop can exist
                    self.m.add_bool_or([])
                self.required_in[pid] = ss.index

    def _dom(self, mask: Mask) -> cp_model.Domain:
        return domain(mask, self.lm.span)

    def _choice(self, name: str, k: cp_model.IntVar, free: Mask, allowed: Mask) -> cp_model.IntVar:
        """A seat's boolean; taking it puts the session's start inside `free`."""
        var = self.m.new_bool_var(name)
        if (free != allowed).any():
            self.m.add_linear_expression_in_domain(k, self._dom(free)).only_enforce_if(var)
        return var

    def required(self, ss: SessionSlots, a: Mask) -> None:
        k, w = self.lm.start[ss.index], self.w
        for pid in ss.required:
            slots = self.prep.person(pid, ss.duration)
            _soft(self.lm, k, slots.soft & a, a, None, self.terms, w)
            self.terms.append(w.load * load_cost(self.prep, pid))
            self.max_load_terms.append(self.prep.load.get(pid, 0) + 1)

    def pool(self, ss: SessionSlots, a: Mask) -> None:
        i, k, w = ss.index, self.lm.start[ss.index], self.w
        chosen = []
        for pid in [pid for pid in ss.pool if pid not in self.required_in]:
            slots = self.prep.person(pid, ss.duration)
            free = slots.free & a
            if not free.any():
                continue
            y = self._choice(f"y{i}_{pid}", k, free, a)
            _soft(self.lm, k, slots.soft & free, free, y, self.terms, w)
            self.lm.pool[(i, pid)] = y
            self.attend.setdefault(pid, []).append(y)
            chosen.append(y)
            self.terms.append(w.load * load_cost(self.prep, pid) * y)
            if w.max_load:
                self.max_load_terms.append((self.prep.load.get(pid, 0) + 1) * y)
        self.m.add(sum(chosen) == ss.need)

    def trainees(self, ss: SessionSlots, a: Mask) -> None:
        i, k = ss.index, self.lm.start[ss.index]
        seats = []
        for pid in ss.trainees:
            if pid in self.required_in:
                continue
            slots = self.prep.person(pid, ss.duration)
            free = slots.free & a
            if not free.any():
                continue
            t = self._choice(f"t{i}_{pid}", k, free, a)
            _soft(self.lm, k, slots.soft & free, free, t, self.terms, self.w)
            self.lm.trainee[(i, pid)] = t
            self.attend.setdefault(pid, []).append(t)
            seats.append(t)
        if seats:
            self.m.add_at_most_one(seats)
        self.terms.append(self.w.trainee * (1 - cp_model.LinearExpr.sum(seats)))

    def rooms(self, ss: SessionSlots, a: Mask) -> None:
        i, k = ss.index, self.lm.start[ss.index]
        options = []
        for rid in ss.rooms:
            free = ss.room_free[rid] & a
            if not free.any():
                continue
            z = self._choice(f"z{i}_{rid}", k, free, a)
            self.lm.room[(i, rid)] = z
            options.append(z)
        self.m.add_exactly_one(options)


def _break_symmetry(prep: Prepared, lm: LoopModel, allowed: list[Mask]) -> None:
    """Interchangeable people (same seats offered, same free and soft starts, same cost and load) are
    ordered by the seat they take, so the search never revisits a swap of two of them."""
    n = len(prep.sessions)
    seats: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    for (i, pid), y in lm.pool.items():
        seats.setdefault(pid, []).append((i + 1, y))
    for (i, pid), t in lm.trainee.items():
        seats.setdefault(pid, []).append((n + i + 1, t))
    groups: dict[tuple[object, ...], list[int]] = {}
    for pid, offered in seats.items():
        parts: list[object] = [load_cost(prep, pid), prep.load.get(pid, 0)]
        for code, _ in sorted(offered, key=lambda x: x[0]):
            ss = prep.sessions[(code - 1) % n]
            slots = prep.person(pid, ss.duration)
            here = allowed[ss.index]
            parts += [code, (slots.free & here).tobytes(), (slots.soft & slots.free & here).tobytes()]
        groups.setdefault(tuple(parts), []).append(pid)
    for members in groups.values():
        members.sort()
        for first, second in itertools.pairwise(members):
            value = [
                cp_model.LinearExpr.weighted_sum([v for _, v in seats[p]], [c for c, _ in seats[p]])
                for p in (first, second)
            ]
            lm.model.add(value[0] >= value[1])


def _soft(
    lm: LoopModel,
    k: cp_model.IntVar,
    soft: Mask,
    allowed: Mask,
    seat: cp_model.IntVar | None,
    terms: list[cp_model.LinearExprT],
    w: Weights,
) -> None:
    """A soft-conflict flag that must be set when the seat is taken at a start touching soft busy time."""
    if not soft.any():
        return
    flag = lm.model.new_bool_var("soft")
    clean = allowed & ~soft
    enforce = [flag.negated()] if seat is None else [seat, flag.negated()]
    lm.model.add_linear_expression_in_domain(k, domain(clean, lm.span)).only_enforce_if(enforce)
    lm.soft.append(flag)
    terms.append(w.soft * flag)


def _days(
    prep: Prepared, lm: LoopModel, allowed: list[Mask], days_used: list[int], max_days: int
) -> list[cp_model.IntVar]:
    """Each session's candidate-local date as a variable, and at most `max_days` dates used."""
    m = lm.model
    day: list[cp_model.IntVar] = []
    used = {d: m.new_bool_var(f"used{d}") for d in days_used}
    for i, a in enumerate(allowed):
        on_day = {}
        for d in np.unique(prep.cand_day[a]):
            b = m.new_bool_var(f"b{i}_{d}")
            m.add_linear_expression_in_domain(
                lm.start[i], domain(a & (prep.cand_day == d), lm.span)
            ).only_enforce_if(b)
            m.add_implication(b, used[int(d)])
            on_day[int(d)] = b
        m.add_exactly_one(on_day.values())
        dv = m.new_int_var(days_used[0], days_used[-1], f"day{i}")
        m.add(dv == sum(d * b for d, b in on_day.items()))
        day.append(dv)
    m.add(sum(used.values()) <= max_days)
    return day


def _sequence(prep: Prepared, lm: LoopModel, allowed: list[Mask]) -> cp_model.LinearExprT:
    """Order and gap rules; returns the candidate's idle minutes between consecutive same-date sessions."""
    m, g = lm.model, prep.grid.g
    loop = prep.problem.loop
    n = len(prep.sessions)
    dur = [ss.duration for ss in prep.sessions]
    days_used = sorted({int(d) for a in allowed for d in np.unique(prep.cand_day[a])})
    one_day = len(days_used) == 1
    max_days = 1 if (loop.same_day or loop.max_days == 1) else loop.max_days
    day = [] if one_day else _days(prep, lm, allowed, days_used, max_days)
    start = [g * k for k in lm.start]
    end = [g * lm.start[i] + dur[i] for i in range(n)]
    if n == 1:
        return 0
    if one_day and not loop.ordered:
        first = m.new_int_var(0, prep.grid.horizon, "first")
        last = m.new_int_var(0, prep.grid.horizon + max(dur), "last")
        m.add_min_equality(first, start)
        m.add_max_equality(last, end)
    arcs: list[tuple[int, int, cp_model.IntVar]] = []
    pairs: list[tuple[int, int, cp_model.IntVar | None]] = []
    if loop.ordered:
        pairs = [(i, i + 1, None) for i in range(n - 1)]
    else:
        for i in range(n):
            arcs.append((0, i + 1, m.new_bool_var(f"first{i}")))
            arcs.append((i + 1, 0, m.new_bool_var(f"last{i}")))
        for i in range(n):
            for j in range(n):
                if i != j:
                    lit = m.new_bool_var(f"a{i}_{j}")
                    arcs.append((i + 1, j + 1, lit))
                    pairs.append((i, j, lit))
        m.add_circuit(arcs)
    idle_terms: list[cp_model.LinearExprT] = []
    for i, j, arc in pairs:
        on = [] if arc is None else [arc]
        m.add(start[j] >= end[i]).only_enforce_if(on)
        if one_day:
            m.add(start[j] - end[i] >= loop.min_gap_minutes).only_enforce_if(on)
            m.add(start[j] - end[i] <= loop.max_gap_minutes).only_enforce_if(on)
            if loop.ordered:
                idle_terms.append(start[j] - end[i])
            continue
        same = m.new_bool_var(f"same{i}_{j}")
        m.add(day[i] == day[j]).only_enforce_if([*on, same])
        m.add(day[j] >= day[i] + 1).only_enforce_if([*on, same.negated()])
        m.add(start[j] - end[i] >= loop.min_gap_minutes).only_enforce_if([*on, same])
        m.add(start[j] - end[i] <= loop.max_gap_minutes).only_enforce_if([*on, same])
        gap = m.new_int_var(0, loop.max_gap_minutes, f"gap{i}_{j}")
        both = m.new_bool_var(f"gapon{i}_{j}")
        if arc is None:
            m.add(both == same)
        else:
            m.add_bool_and([arc, same]).only_enforce_if(both)
            m.add_bool_or([arc.negated(), same.negated()]).only_enforce_if(both.negated())
        m.add(gap == start[j] - end[i]).only_enforce_if(both)
        m.add(gap == 0).only_enforce_if(both.negated())
        idle_terms.append(gap)
    if one_day and not loop.ordered:
        return last - first - sum(dur)
    return sum(idle_terms)
