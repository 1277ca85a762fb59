"""The CP-SAT model of a whole recruiting event.

Every candidate gets one optional loop per candidate-local date on which each session has a start
inside their windows; the loop is present when the candidate is scheduled that day. Start domains are
the single-loop feasible start sets (`planner.prepare`, built once on the event) cut to the
candidate's windows and that date. Seats are booleans as in `planner.model`; what the single-loop model
could fold into masks because a person sits once per loop is here shared across candidates, so it is
modelled explicitly:

- each seat is an optional interval `[start, end + buffer)` of its person and one `AddNoOverlap` per
  person keeps them apart (a person's buffer separates two of their sessions, as it does a session
  from their busy time); each room has an `AddNoOverlap` over the sessions it hosts;
- daily and weekly limits are sums of seats per local date / ISO week of the person, on top of the
  existing interviews the masks already count;
- the loop's order and gaps are an `AddCircuit` whose session nodes all take their self-loop when the
  loop is absent.

Trainees are placed after the solve (`planner.event_plan`): they never decide whether a candidate fits.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
from ortools.sat.python import cp_model

from models.events import Event
from planner.event_problem import base_problem, candidate_problem
from planner.grid import Mask
from planner.model import domain
from planner.prepare import Prepared, SessionSlots, candidate_mask, prepare


@dataclass
class CandidateLoop:
    """One candidate's loop on one of their local dates."""

    candidate: int
    day: int
    present: cp_model.IntVar
    start: list[cp_model.IntVar]
    pool: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    room: dict[tuple[int, str], cp_model.IntVar] = field(default_factory=dict)
    idle: cp_model.IntVar | None = None


@dataclass
class EventModel:
    model: cp_model.CpModel
    prep: Prepared
    loops: list[CandidateLoop]
    scheduled: list[cp_model.LinearExprT]  # per candidate: 1 when scheduled
    weights: list[int]  # per candidate, lexicographic by priority
    value: cp_model.LinearExprT  # stage 1, maximised
    max_load: cp_model.IntVar  # stage 2, minimised
    idle: cp_model.LinearExprT  # stage 3, minimised
    seats: dict[int, list[cp_model.IntVar]] = field(default_factory=dict)  # interviewer seats per person
    # constraints that only order time (no overlaps, loop circuits and gaps): without them the model is
    # the time-free relaxation `planner.event_bound` proves its bounds on
    timing: list[int] = field(default_factory=list)


def priority_weights(priorities: list[int]) -> list[int]:
    """Per-candidate weights such that one candidate of a higher priority outweighs every lower one together."""
    sizes = Counter(priorities)
    tier: dict[int, int] = {}
    below = 0
    for p in sorted(sizes):
        tier[p] = below + 1
        below += tier[p] * sizes[p]
    return [tier[p] for p in priorities]


def candidate_masks(event: Event, prep: Prepared) -> list[list[Mask]]:
    """Per candidate and session: starts where the session alone fits and the candidate is available."""
    out = []
    for c in event.candidates:
        problem = candidate_problem(event, c)
        feasible = [ss.feasible for ss in prep.sessions]
        out.append(
            [
                f & candidate_mask(prep.grid, problem, ss.duration)
                for f, ss in zip(feasible, prep.sessions, strict=True)
                if f is not None
            ]
        )
    return out


class _Builder:
    def __init__(self, event: Event) -> None:
        self.event = event
        self.prep = prepare(base_problem(event))
        self.m = cp_model.CpModel()
        self.g = self.prep.grid.g
        self.loops: list[CandidateLoop] = []
        self.busy: dict[int, list[cp_model.IntervalVar]] = {}
        self.rooms: dict[str, list[cp_model.IntervalVar]] = {}
        self.per_date: dict[tuple[int, int], list[cp_model.IntVar]] = {}  # (person, local date index)
        self.seats: dict[int, list[cp_model.IntVar]] = {}
        self.timing: list[int] = []
        self.attend: dict[tuple[int, int], list[cp_model.IntVar]] = {}  # (loop, person)
        # (person or room, event day) -> (minutes, literal, free slots) of the seats that day, for energy cuts
        self.energy: dict[tuple[object, int], list[tuple[int, cp_model.IntVar, Mask]]] = {}
        self.event_day = self._event_days()
        required = [pid for ss in self.prep.sessions for pid in ss.required]
        self.impossible = len(required) != len(set(required))  # someone required twice: no loop exists

    def build(self) -> EventModel:
        m, event = self.m, self.event
        masks = candidate_masks(event, self.prep)
        scheduled: list[cp_model.LinearExprT] = []
        for ci, c in enumerate(event.candidates):
            day = self.prep.grid.day_index(c.time_zone)
            present = []
            for d in [] if self.impossible else sorted({int(x) for x in np.unique(day[masks[ci][0]])}):
                allowed = [mk & (day == d) for mk in masks[ci]]
                if all(a.any() for a in allowed):
                    present.append(self._loop(ci, d, allowed).present)
            if len(present) > 1:
                m.add_at_most_one(present)
            scheduled.append(cp_model.LinearExpr.sum(present) if present else 0)
        self._shared()
        self._energy_cuts()
        self._symmetry(masks, scheduled)
        weights = priority_weights([c.priority for c in event.candidates])
        top = max(1, len(event.candidates) * len(event.sessions))
        max_load = m.new_int_var(0, top, "max_load")
        for pid, seats in self.seats.items():
            m.add(max_load >= cp_model.LinearExpr.sum(seats)).with_name(f"load{pid}")
        return EventModel(
            model=m,
            prep=self.prep,
            loops=self.loops,
            scheduled=scheduled,
            weights=weights,
            value=cp_model.LinearExpr.weighted_sum(scheduled, weights),
            max_load=max_load,
            idle=cp_model.LinearExpr.sum([lp.idle for lp in self.loops if lp.idle is not None]),
            seats=self.seats,
            timing=self.timing,
        )

    # ------------------------------------------------------------------ one loop
    def _loop(self, ci: int, d: int, allowed: list[Mask]) -> CandidateLoop:
        m, g, sessions = self.m, self.g, self.prep.sessions
        x = m.new_bool_var(f"x{ci}_{d}")
        on = np.flatnonzero(np.logical_or.reduce(allowed))
        span = (int(on[0]), int(on[-1]))
        starts = [m.new_int_var_from_domain(domain(a, span), f"k{ci}_{d}_{i}") for i, a in enumerate(allowed)]
        lp = CandidateLoop(candidate=ci, day=d, present=x, start=starts)
        self.loops.append(lp)
        li = len(self.loops) - 1
        own = [
            m.new_optional_fixed_size_interval_var(g * k, ss.duration, x, f"c{ci}_{d}_{i}")
            for i, (k, ss) in enumerate(zip(starts, sessions, strict=True))
        ]
        self.timing.append(m.add_no_overlap(own).index)
        for ss, a in zip(sessions, allowed, strict=True):
            k = starts[ss.index]
            for pid in ss.required:
                self._seat(li, ss, k, pid, x, a)
            chosen = []
            for pid in ss.pool:
                if pid in self._required_anywhere():
                    continue
                free = self.prep.person(pid, ss.duration).free & a
                if not free.any():
                    continue
                y = m.new_bool_var(f"y{ci}_{d}_{ss.index}_{pid}")
                m.add_implication(y, x)
                if (free != a).any():
                    m.add_linear_expression_in_domain(k, domain(free, span)).only_enforce_if(y)
                lp.pool[(ss.index, pid)] = y
                chosen.append(y)
                self._seat(li, ss, k, pid, y, free)
            m.add(cp_model.LinearExpr.sum(chosen) == ss.need * x)
            if ss.rooms and ss.session.room.required:
                self._rooms(lp, ss, k, a, span)
        for taken in (v for (loop, _), v in self.attend.items() if loop == li):
            if len(taken) > 1:
                m.add_at_most_one(taken)
        lp.idle = self._sequence(lp, span)
        return lp

    def _required_anywhere(self) -> set[int]:
        if not hasattr(self, "_req"):
            self._req = {pid for ss in self.prep.sessions for pid in ss.required}
        return self._req

    def _seat(
        self, li: int, ss: SessionSlots, k: cp_model.IntVar, pid: int, lit: cp_model.IntVar, free: Mask
    ) -> None:
        """A person's seat: their time (with buffer), their daily/weekly count, their load."""
        who = self.prep.problem.interviewer(pid)
        iv = self.m.new_optional_fixed_size_interval_var(
            self.g * k, ss.duration + who.buffer_minutes, lit, f"p{pid}_{li}_{ss.index}"
        )
        self.busy.setdefault(pid, []).append(iv)
        self._energy(("person", pid), ss.duration, lit, free)
        self.seats.setdefault(pid, []).append(lit)
        self.attend.setdefault((li, pid), []).append(lit)
        if who.max_per_day is None and who.max_per_week is None:
            return
        local = self.prep.grid.day_index(who.time_zone)
        dates = sorted({int(x) for x in np.unique(local[free])})
        if len(dates) == 1:
            self.per_date.setdefault((pid, dates[0]), []).append(lit)
            return
        split = []
        for date in dates:
            b = self.m.new_bool_var(f"on{pid}_{li}_{ss.index}_{date}")
            self.m.add_linear_expression_in_domain(k, domain(free & (local == date))).only_enforce_if(b)
            self.per_date.setdefault((pid, date), []).append(b)
            split.append(b)
        self.m.add(cp_model.LinearExpr.sum(split) == lit)

    def _rooms(
        self, lp: CandidateLoop, ss: SessionSlots, k: cp_model.IntVar, a: Mask, span: tuple[int, int]
    ) -> None:
        options = []
        for rid in ss.rooms:
            free = ss.room_free[rid] & a
            if not free.any():
                continue
            z = self.m.new_bool_var(f"z{lp.candidate}_{lp.day}_{ss.index}_{rid}")
            if (free != a).any():
                self.m.add_linear_expression_in_domain(k, domain(free, span)).only_enforce_if(z)
            iv = self.m.new_optional_fixed_size_interval_var(
                self.g * k, ss.duration, z, f"r{rid}_{lp.candidate}"
            )
            self.rooms.setdefault(rid, []).append(iv)
            self._energy(("room", rid), ss.duration, z, free)
            lp.room[(ss.index, rid)] = z
            options.append(z)
        self.m.add(cp_model.LinearExpr.sum(options) == lp.present)

    def _sequence(self, lp: CandidateLoop, span: tuple[int, int]) -> cp_model.IntVar:
        """Order and gaps between consecutive sessions; returns the candidate's idle minutes that day."""
        m, g, x = self.m, self.g, lp.present
        loop = self.event.loop
        dur = [ss.duration for ss in self.prep.sessions]
        n = len(dur)
        start = [g * k for k in lp.start]
        end = [g * lp.start[i] + dur[i] for i in range(n)]
        idle = m.new_int_var(0, loop.max_gap_minutes * max(0, n - 1), f"idle{lp.candidate}_{lp.day}")
        if n == 1:
            m.add(idle == 0)
            return idle
        pairs: list[tuple[int, int, list[cp_model.IntVar]]] = []
        if loop.ordered:
            pairs = [(i, i + 1, [x]) for i in range(n - 1)]
        else:
            arcs: list[tuple[int, int, cp_model.LiteralT]] = [(0, 0, x.negated())]
            for i in range(n):
                arcs += [
                    (0, i + 1, m.new_bool_var("")),
                    (i + 1, 0, m.new_bool_var("")),
                    (i + 1, i + 1, x.negated()),
                ]
                for j in range(n):
                    if i != j:
                        a = m.new_bool_var(f"a{lp.candidate}_{lp.day}_{i}_{j}")
                        arcs.append((i + 1, j + 1, a))
                        pairs.append((i, j, [a]))
            self.timing.append(m.add_circuit(arcs).index)
        for i, j, on in pairs:
            for gap in (start[j] - end[i] >= loop.min_gap_minutes, start[j] - end[i] <= loop.max_gap_minutes):
                ct = m.add(gap)
                ct.only_enforce_if(on)
                self.timing.append(ct.index)
        lo, hi = g * span[0], g * span[1] + max(dur)
        first = m.new_int_var(lo, hi, "")
        last = m.new_int_var(lo, hi, "")
        for i in range(n):
            m.add(first <= start[i])
            m.add(last >= end[i])
        m.add(idle >= last - first - sum(dur)).only_enforce_if(x)
        return idle

    # ------------------------------------------------------------------ across candidates
    def _shared(self) -> None:
        m = self.m
        for ivs in [*self.busy.values(), *self.rooms.values()]:
            if len(ivs) > 1:
                self.timing.append(m.add_no_overlap(ivs).index)
        grid = self.prep.grid
        week_sums: dict[tuple[int, tuple[int, int]], list[cp_model.IntVar]] = {}
        for (pid, date), lits in self.per_date.items():
            who = self.prep.problem.interviewer(pid)
            zone = ZoneInfo(who.time_zone)
            _, days = grid.local_days(who.time_zone)
            existing = [iv.start.astimezone(zone).date() for iv in who.existing_interviews]
            day = days[date]
            if who.max_per_day is not None:
                room = who.max_per_day - sum(e == day for e in existing)
                if len(lits) > room:
                    m.add(cp_model.LinearExpr.sum(lits) <= max(0, room))
            if who.max_per_week is not None:
                week_sums.setdefault((pid, day.isocalendar()[:2]), []).extend(lits)
        for (pid, week), lits in week_sums.items():
            who = self.prep.problem.interviewer(pid)
            zone = ZoneInfo(who.time_zone)
            weeks = [iv.start.astimezone(zone).date().isocalendar()[:2] for iv in who.existing_interviews]
            assert who.max_per_week is not None
            room = who.max_per_week - sum(w == week for w in weeks)
            if len(lits) > room:
                m.add(cp_model.LinearExpr.sum(lits) <= max(0, room))

    def _event_days(self) -> np.ndarray:
        """For each slot, the index of the event day holding it (-1 outside every day)."""
        grid = self.prep.grid
        out = np.full(grid.slots, -1, dtype=np.int64)
        for n, day in enumerate(self.event.days):
            a, b = grid.minute(day.start, up=True), grid.minute(day.end)
            out[max(0, -(-a // grid.g)) : max(0, b // grid.g + 1)] = n
        return out

    def _energy(self, owner: tuple[object, object], minutes: int, lit: cp_model.IntVar, free: Mask) -> None:
        days = np.unique(self.event_day[free])
        if len(days) == 1 and days[0] >= 0:
            self.energy.setdefault((owner, int(days[0])), []).append((minutes, lit, free))

    def _energy_cuts(self) -> None:
        """Redundant: the minutes a person or room spends in sessions on an event day fit in the minutes
        they could be in one at all. This gives the LP (and so the bound) the capacity NoOverlap hides."""
        g = self.g
        for terms in self.energy.values():
            covered = np.zeros(self.prep.grid.slots * g + 24 * 60, dtype=bool)
            for minutes, _, free in terms:
                for k in np.flatnonzero(free):
                    covered[k * g : k * g + minutes] = True
            cap = int(covered.sum())
            if sum(minutes for minutes, _, _ in terms) > cap:
                self.m.add(
                    cp_model.LinearExpr.weighted_sum([t[1] for t in terms], [t[0] for t in terms]) <= cap
                )

    def _symmetry(self, masks: list[list[Mask]], scheduled: list[cp_model.LinearExprT]) -> None:
        """Candidates with the same priority, zone dates and start sets are interchangeable: the earlier
        arrival is scheduled first, which removes their swaps without losing any plan up to renaming."""
        groups: dict[tuple[object, ...], list[int]] = {}
        for ci, c in enumerate(self.event.candidates):
            day = self.prep.grid.day_index(c.time_zone)
            key = (c.priority, day.tobytes(), *(mk.tobytes() for mk in masks[ci]))
            groups.setdefault(key, []).append(ci)
        for members in groups.values():
            for a, b in itertools.pairwise(members):
                if not isinstance(scheduled[b], int):
                    self.m.add(scheduled[a] >= scheduled[b])


def build_event(event: Event) -> EventModel:
    """The whole event as one CP-SAT model (objectives are set by the caller, stage by stage)."""
    return _Builder(event).build()
