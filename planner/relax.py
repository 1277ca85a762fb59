"""The smallest changes that would make a loop exist, each verified by planning again with it applied.

For every group of a conflict (`planner.diagnose`), a search proposes changes in a recruiter's terms,
smallest first, using the grouped model with that group left free and an objective that measures the
change: the fewest minutes the candidate must add on one date (per date, in one solve each), the
fewest people added to a session's pool, the earliest end past the horizon. Limits are raised by one,
multi-day loops allowed over the fewest dates, gaps widened step by step, a room requirement dropped.
A proposal is reported only when `plan` on the patched problem finds options; when the problem holds
several independent conflicts, each proposal is verified together with the first proposal of every
other conflict (the detail says so), since no single change can fix them all.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from models.scheduling import Interval, Problem, Relaxation, parse_hhmm
from planner import words
from planner.cp_sat import cp_model
from planner.diagnose import DiagModel, Group, build
from planner.patch import PatchError, apply_patch

PER_GROUP = 2  # verified relaxations kept per group
VERIFY_OPTIONS = 3  # options asked for when verifying (a count to show, not the full top-K)
OTHER_DAYS = 5  # dates without any candidate time tried after the offered ones
DAY_SECONDS = 0.15  # per candidate date in the window search (the best found so far is good enough)
GAP_STEPS = (45, 60, 90, 120, 180, 240, 360, 480)


@dataclass
class Proposal:
    change: str
    detail: str
    patch: dict[str, Any]
    family: str = ""  # proposals of one family grow step by step: the first that verifies is the smallest


@dataclass
class Context:
    """What every search needs: the problem, the grouped model, the conflicts, names and time."""

    problem: Problem
    diag: DiagModel
    conflicts: list[set[Group]]
    people: words.People
    deadline: float

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def enforced(self, group: Group) -> set[Group]:
        """Every group except `group` and the groups of the other conflicts (relaxed here, fixed by
        their own proposals at verification)."""
        others = {g for core in self.conflicts if group not in core for g in core}
        return set(self.diag.literal) - {group} - others


def relaxations(ctx: Context) -> dict[Group, list[Relaxation]]:
    """Verified relaxations per group of every conflict, in the order of the conflicts."""
    first: dict[int, Proposal] = {}
    proposals: dict[Group, list[Proposal]] = {}
    for n, core in enumerate(ctx.conflicts):
        for group in sorted(core, key=_rank):
            if ctx.left() <= 0:
                break
            found = list(_limited(_propose(ctx, group), ctx))
            proposals[group] = found
            if found and n not in first:
                first[n] = found[0]
    out: dict[Group, list[Relaxation]] = {}
    for n, core in enumerate(ctx.conflicts):
        companions = [p for m, p in first.items() if m != n]
        for group in sorted(core, key=_rank):
            kept: list[Relaxation] = []
            settled: set[str] = set()
            for proposal in proposals.get(group, []):
                if len(kept) >= PER_GROUP or ctx.left() <= 0:
                    break
                if proposal.family and proposal.family in settled:
                    continue
                relaxation = _verify(ctx, proposal, companions)
                if relaxation is not None:
                    kept.append(relaxation)
                    settled.add(proposal.family)
            out[group] = kept
    return out


def _rank(group: Group) -> tuple[str, int, int]:
    return (group.kind, group.session if group.session is not None else -1, group.person or 0)


def _limited(found: Iterator[Proposal], ctx: Context, most: int = 10) -> Iterator[Proposal]:
    for n, proposal in enumerate(found):
        if n >= most or ctx.left() <= 0:
            return
        yield proposal


def _verify(ctx: Context, proposal: Proposal, companions: list[Proposal]) -> Relaxation | None:
    from planner.search import plan  # local import: search imports blockers, which imports this

    patch = dict(proposal.patch)
    detail = proposal.detail
    for other in companions:
        if set(other.patch) & set(patch):
            return None  # two changes to one field cannot be combined blindly
        patch |= other.patch
    if companions:
        detail += ", together with: " + "; ".join(o.detail for o in companions)
    try:
        patched = apply_patch(ctx.problem, patch)
    except PatchError:
        return None
    want = min(ctx.problem.options, VERIFY_OPTIONS)
    result = plan(patched, options=want, time_limit=max(0.05, ctx.left()), explain_blockers=False)
    if not result.options:
        return None
    return Relaxation(change=proposal.change, detail=detail, patch=patch, options_found=len(result.options))


def _propose(ctx: Context, group: Group) -> Iterator[Proposal]:
    searches: dict[str, Callable[[Context, Group], Iterator[Proposal]]] = {
        "candidate": _candidate,
        "horizon": _horizon,
        "pool": _add_interviewer,
        "hours": _add_interviewer,
        "load": _raise_limit,
        "room": _drop_room,
        "same_day": _multi_day,
        "gaps": _widen_gap,
    }
    search = searches.get(group.kind)
    if search is not None:
        yield from search(ctx, group)


# ------------------------------------------------------------------------------ candidate's time


def _candidate(ctx: Context, group: Group) -> Iterator[Proposal]:
    """Per candidate-local date (those the candidate offered time on first): the loop that needs the
    fewest minutes outside the candidate's time, each date in its own small model."""
    diag, p = ctx.diag, ctx.problem
    prep = diag.prep
    zone = p.candidate.time_zone
    free = free_minutes(diag)
    marks, _ = prep.grid.local_days(zone)
    found: list[tuple[int, int, int, int]] = []  # (uncovered, day, first, last)
    days = sorted(set.intersection(*(set(on) for on in diag.on_day)) if diag.on_day else set())
    offered = [d for d in days if free[max(0, marks[d]) : max(0, marks[d + 1])].any()]
    others = [d for d in days if d not in offered][:OTHER_DAYS]
    for d in offered + others:
        if ctx.left() <= 0 or (d not in offered and len(found) >= PER_GROUP):
            break
        lo, hi = max(0, int(marks[d])), min(diag.limit, int(marks[d + 1]))
        if hi <= lo:
            continue
        day = build(p, prep=prep, within=prep.cand_day == d)
        assert day.first is not None and day.last is not None
        m = day.model
        cum = [int(x) for x in np.concatenate(([0], np.cumsum(free[lo:hi])))]
        a = m.new_int_var(0, hi - lo, "a")
        b = m.new_int_var(0, hi - lo, "b")
        ca, cb = m.new_int_var(0, cum[-1], "ca"), m.new_int_var(0, cum[-1], "cb")
        m.add(a == day.first - lo)
        m.add(b == day.last - lo)
        m.add_element(a, cum, ca)
        m.add_element(b, cum, cb)
        uncovered = (b - a) - (cb - ca)
        status, solver = day.solve(ctx.enforced(group), min(DAY_SECONDS, ctx.left()), minimize=uncovered)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found.append((int(solver.value(uncovered)), d, solver.value(day.first), solver.value(day.last)))
    found.sort()
    for extra, _day, first, last in found:
        start, end = p.at(first), p.at(last)
        when = words.day(start, zone)
        patch: dict[str, Any] = {}
        if p.candidate.availability is not None:
            window = Interval(start=start, end=end)
            kept = [w for w in p.candidate.availability if not (w.start >= start and w.end <= end)]
            patch["candidate.availability"] = [
                w.model_dump(mode="json") for w in sorted([*kept, window], key=lambda w: w.start)
            ]
        hours = p.candidate.hours
        if hours is not None:
            a_local, b_local = words.clock(start, zone), words.clock(end, zone)
            b_local = "24:00" if b_local == "00:00" else b_local
            if a_local < hours.start or b_local > hours.end:
                patch["candidate.hours"] = {
                    "start": min(a_local, hours.start),
                    "end": max(b_local, hours.end),
                }
        if not patch:
            continue
        span = f"{words.clock(start, zone)}\u2013{words.clock(end, zone)} their time"
        more = f"{words.span(extra)} more" if extra else "time"
        yield Proposal(
            change="extend_candidate_window",
            detail=f"ask the candidate for {more} on {when} ({span})",
            patch=patch,
        )


def free_minutes(diag: DiagModel) -> np.ndarray:
    """Per minute of the (extended) horizon: inside the candidate's availability and hours, not busy."""
    grid, cand = diag.prep.grid, diag.prep.problem.candidate
    size = grid.horizon
    if cand.availability is None:
        out = np.ones(size, dtype=bool)
    else:
        out = np.zeros(size, dtype=bool)
        for a, b in grid.window_minutes(cand.availability):
            out[max(0, a) : max(0, min(size, b))] = True
    if cand.hours is not None:
        span = (parse_hhmm(cand.hours.start), parse_hhmm(cand.hours.end))
        inside = np.zeros(size, dtype=bool)
        for a, b in grid.local_ranges(cand.time_zone, {key: [span] for key in range(7)}):
            inside[max(0, a) : max(0, min(size, b))] = True
        out &= inside
    for a, b in grid.busy_minutes(cand.busy):
        out[max(0, a) : max(0, min(size, b))] = False
    return out


# ------------------------------------------------------------------------------ horizon


def _horizon(ctx: Context, group: Group) -> Iterator[Proposal]:
    """The earliest loop past the horizon; the horizon then ends at the close of that candidate date."""
    diag, p = ctx.diag, ctx.problem
    assert diag.last is not None
    status, solver = diag.solve(ctx.enforced(group), min(0.5, ctx.left()), minimize=diag.last)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return
    last = solver.value(diag.last)
    marks, _ = diag.prep.grid.local_days(p.candidate.time_zone)
    close = int(marks[np.searchsorted(marks, last, side="left")]) if last <= marks[-1] else last
    end = max(p.at(close), p.at(last))
    if end <= p.horizon.end:
        return
    iso = end.isoformat().replace("+00:00", "Z")
    yield Proposal(
        change="extend_horizon",
        detail=(
            f"look further ahead: extend the scheduling horizon to {words.day(end - timedelta(minutes=1), p.candidate.time_zone)}"
            f" (the first loop that fits ends {words.day(p.at(last), p.candidate.time_zone)} "
            f"{words.clock(p.at(last), p.candidate.time_zone)} the candidate's time)"
        ),
        patch={"horizon.end": iso},
    )


# ------------------------------------------------------------------------------ people


def _add_interviewer(ctx: Context, group: Group) -> Iterator[Proposal]:
    """The fewest people from outside a session's pool who would make the loop fit, a few alternatives."""
    p = ctx.problem
    i = group.session
    assert i is not None
    s = p.sessions[i]
    if not s.interviewers.total - len(s.interviewers.required) and group.kind == "hours":
        return  # only required people sit in: nobody added to the pool takes a seat
    taken = set(s.interviewers.pool) | set(s.interviewers.required) | set(p.exclude_interviewers)
    outsiders = [x.id for x in p.interviewers if x.id not in taken]
    if not outsiders:
        return
    diag = build(p, extras={i: outsiders}, prep=ctx.diag.prep)
    seats = {pid: y for (j, pid), y in diag.extras.items() if j == i}
    if not seats:
        return
    enforced = ctx.enforced(group) | {group, Group("pool", session=i)}  # new people, in their hours
    count = cp_model.LinearExpr.sum(list(seats.values()))
    for _ in range(PER_GROUP + 1):
        if ctx.left() <= 0:
            return
        status, solver = diag.solve(enforced, min(0.3, ctx.left()), minimize=count)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return
        chosen = sorted(pid for pid, y in seats.items() if solver.value(y))
        if not chosen:
            return
        diag.model.add_bool_or([seats[pid].negated() for pid in chosen])  # next: someone else
        pool = list(s.interviewers.pool) + chosen
        label = words.session(s)
        yield Proposal(
            change="add_interviewer",
            detail=f"add {ctx.people.many(chosen)} to the {label} pool",
            patch={f"sessions.{i}.interviewers.pool": pool},
        )


def _raise_limit(ctx: Context, group: Group) -> Iterator[Proposal]:
    """The person's daily or weekly limit raised to the fewest interviews that leave room for one more
    on some date (week) of the horizon, then one above that."""
    p = ctx.problem
    pid = group.person
    index = next((n for n, x in enumerate(p.interviewers) if x.id == pid), None)
    if pid is None or index is None:
        return
    who = p.interviewers[index]
    zone = ZoneInfo(who.time_zone)
    first, last = p.horizon.start.astimezone(zone).date(), p.horizon.end.astimezone(zone).date()
    dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    held = [iv.start.astimezone(zone).date() for iv in who.existing_interviews]
    per_day = Counter(held)
    per_week = Counter(d.isocalendar()[:2] for d in held)
    limits = [
        ("max_per_day", "daily", who.max_per_day, min(per_day[d] for d in dates)),
        ("max_per_week", "weekly", who.max_per_week, min(per_week[d.isocalendar()[:2]] for d in dates)),
    ]
    for field, word, value, fewest in limits:
        if value is None:
            continue
        lowest = max(value + 1, fewest + 1)
        for new in (lowest, lowest + 1):
            yield Proposal(
                change="raise_limit",
                detail=f"raise {ctx.people(pid)}'s {word} interview limit from {value} to {new}",
                patch={f"interviewers.{index}.{field}": new},
                family=field,
            )


# ------------------------------------------------------------------------------ loop rules and rooms


def _drop_room(ctx: Context, group: Group) -> Iterator[Proposal]:
    i = group.session
    assert i is not None
    s = ctx.problem.sessions[i]
    patch: dict[str, Any] = {f"sessions.{i}.room.required": False}
    if s.pinned and s.pinned.room:
        patch[f"sessions.{i}.pinned.room"] = None
    yield Proposal(
        change="drop_room",
        detail=f"hold {words.session(s)} without a room from the list (or book one by hand)",
        patch=patch,
    )


def _multi_day(ctx: Context, group: Group) -> Iterator[Proposal]:
    p = ctx.problem
    n = len(p.sessions)
    start = 2 if p.loop.same_day else p.loop.max_days + 1
    for days in range(start, n + 1):
        yield Proposal(
            change="allow_multi_day",
            detail=f"split the loop over {days} days",
            patch={"loop.same_day": False, "loop.max_days": days},
            family="days",
        )


def _widen_gap(ctx: Context, group: Group) -> Iterator[Proposal]:
    loop = ctx.problem.loop
    if loop.ordered:
        yield Proposal(
            change="widen_gap",
            detail="let the sessions take place in any order",
            patch={"loop.ordered": False},
        )
    if loop.min_gap_minutes:
        yield Proposal(
            change="widen_gap",
            detail=f"allow back-to-back sessions (now at least {loop.min_gap_minutes} min apart)",
            patch={"loop.min_gap_minutes": 0},
        )
    for step in GAP_STEPS:
        if step > loop.max_gap_minutes:
            yield Proposal(
                change="widen_gap",
                detail=f"allow breaks of up to {words.span(step)} between sessions (now {loop.max_gap_minutes} min)",
                patch={"loop.max_gap_minutes": step},
                family="max_gap",
            )
