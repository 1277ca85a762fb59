"""Blockers: why no (or too few) options exist, named by the solver, each with verified relaxations.

When no loop exists, `planner.diagnose` finds the minimal sets of rule groups that cannot hold
together, every group of them becomes a blocker in a recruiter's words, and `planner.relax` attaches
the smallest changes that, applied, let `plan` find options. When some options exist but fewer than
asked after an exhaustive search, one `fewer_options` blocker says so.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping

import numpy as np

from models.scheduling import Blocker, Problem
from planner import words
from planner.diagnose import ORDER, DiagModel, Group, build, cores
from planner.prepare import Prepared
from planner.relax import Context, free_minutes, relaxations

EXPLAIN_SECONDS = 2.0  # the whole explanation: diagnosis, relaxation search and verification
DIAGNOSIS_SHARE = 0.4  # of that, at most this for finding the conflicts


def explain(
    prep: Prepared,
    *,
    found: int,
    want: int,
    exhausted: bool,
    names: Mapping[int, str] | None = None,
    seconds: float = EXPLAIN_SECONDS,
) -> list[Blocker]:
    if found >= want:
        return []
    if found:
        if not exhausted:
            return []
        return [
            Blocker(
                kind="fewer_options",
                detail=(
                    f"only {found} distinct loop start(s) satisfy every rule inside the horizon; widen the "
                    "candidate's availability, the horizon or the interviewer pools for more"
                ),
            )
        ]
    found_why = diagnose(prep.problem, names=names, seconds=seconds)
    if not found_why and exhausted:
        # Proven infeasible, but the diagnosis ran out of its time (a busy machine): say so rather than
        # answer "infeasible" with nothing to act on.
        return [
            Blocker(
                kind="not_explained",
                detail="no loop fits every rule, and the diagnosis ran out of time before it found which "
                "rules conflict; plan again, or with a longer time limit, to see why",
            )
        ]
    return found_why


def diagnose(
    problem: Problem, *, names: Mapping[int, str] | None = None, seconds: float = EXPLAIN_SECONDS
) -> list[Blocker]:
    """The blockers of a problem without options; [] when the rules do not conflict (a search that ran
    out of time) or the diagnosis itself ran out of time."""
    began = time.perf_counter()
    diag = build(problem)
    conflicts = cores(diag, began + seconds * DIAGNOSIS_SHARE)
    if conflicts is None:
        return []
    if conflicts == [set()]:
        return [_fixed_conflict(problem)]
    people = words.People(problem, names)
    fixes = relaxations(Context(problem, diag, conflicts, people, deadline=began + seconds))
    out: list[Blocker] = []
    for core in conflicts:
        for group in sorted(core, key=lambda g: (ORDER.index(g.kind), g.session or 0, g.person or 0)):
            blocker = _describe(problem, diag, group, people, core)
            out.append(blocker.model_copy(update={"relaxations": fixes.get(group, [])}))
    return out


def _fixed_conflict(problem: Problem) -> Blocker:
    required: dict[int, int] = {}
    for s in problem.sessions:
        for pid in s.interviewers.required:
            required[pid] = required.get(pid, 0) + 1
    twice = sorted(pid for pid, n in required.items() if n > 1)
    detail = (
        f"interviewer(s) {twice} are required in more than one session, but a person attends at most one "
        "session of a loop"
        if twice
        else "the loop's fixed rules conflict by themselves"
    )
    return Blocker(kind="pool_exhausted", detail=detail)


def _describe(
    problem: Problem, diag: DiagModel, group: Group, people: words.People, core: set[Group]
) -> Blocker:
    """One group of a conflict in a recruiter's words (`core`: the groups that bind with it)."""
    kind = group.kind
    if kind in ("candidate", "candidate_busy"):
        return Blocker(kind="candidate_window", detail=_candidate_words(problem, diag, kind))
    if kind == "horizon":
        return Blocker(kind="horizon", detail=_horizon_words(problem))
    if kind == "pinned":
        return Blocker(
            kind="pinned",
            detail="the pinned parts of the loop (kept from the booked loop) cannot be kept together with the other rules",
        )
    if kind == "same_day":
        days = "one day" if problem.loop.same_day else f"{problem.loop.max_days} days"
        return Blocker(kind="same_day", detail=f"the sessions never all fit within {days} of the candidate")
    if kind == "gaps":
        loop = problem.loop
        order = " or in another order" if loop.ordered else ""
        return Blocker(
            kind="loop_gaps",
            detail=f"the sessions only fit with breaks outside {loop.min_gap_minutes}-{loop.max_gap_minutes} minutes{order}",
        )
    if kind == "load":
        assert group.person is not None
        return _load_words(problem, group.person, people)
    assert group.session is not None
    s = problem.sessions[group.session]
    label = words.session(s)
    if kind == "hours":
        required = [p for p in s.interviewers.required if p not in problem.exclude_interviewers]
        pooled = s.interviewers.total > len(s.interviewers.required)
        who = people.many(required) if required else f"the {label} interviewers"
        if required and pooled:
            who += f" and the {label} pool"
        if Group("candidate") in core:
            where = "never overlap the candidate's windows (check time zones)"
        elif len(core) > 1:
            where = f"leave no time for {label} that fits the rest of the loop"
        else:
            where = f"leave no time for {label} inside the horizon"
        return Blocker(kind="working_hours", session=s.id, detail=f"the working hours of {who} {where}")
    if kind == "busy":
        return Blocker(
            kind="interviewer_busy",
            session=s.id,
            detail=f"{people.many(list(s.interviewers.required))} (required) is busy, buffers included, whenever {label} could take place",
        )
    if kind == "pool":
        return Blocker(
            kind="pool_exhausted", session=s.id, detail=_pool_words(problem, group.session, people)
        )
    cap = s.room_capacity_needed()
    if not any(r.capacity >= cap for r in problem.rooms):
        return Blocker(kind="room", session=s.id, detail=f"no room holds the {cap} people of {label}")
    return Blocker(
        kind="room",
        session=s.id,
        detail=f"every room big enough for {label} ({cap} people) is booked whenever the interviewers and the candidate are free",
    )


def _candidate_words(problem: Problem, diag: DiagModel, kind: str) -> str:
    if kind == "candidate_busy":
        return "the candidate's own busy times leave no room for the loop"
    free = free_minutes(diag)[: diag.limit]
    marks, _ = diag.prep.grid.local_days(problem.candidate.time_zone)
    longest = 0
    for a, b in itertools.pairwise(marks):
        day = free[max(0, int(a)) : max(0, min(diag.limit, int(b)))]
        longest = max(longest, _longest_run(day))
    loop = problem.loop
    need = sum(s.duration_minutes for s in problem.sessions) + loop.min_gap_minutes * (
        len(problem.sessions) - 1
    )
    if loop.same_day and longest < need:
        held = "no time" if longest == 0 else f"at most {words.span(longest)}"
        return f"the candidate's windows hold {held} on any one day; the loop needs at least {words.span(need)} on one day"
    return "the candidate's windows leave no time where the sessions fit with the interviewers, rooms and loop rules"


def _longest_run(mask: np.ndarray) -> int:
    if not mask.any():
        return 0
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max())


def _horizon_words(problem: Problem) -> str:
    h, zone = problem.horizon, problem.candidate.time_zone
    avail = problem.candidate.availability
    if avail is not None and not any(w.end > h.start and w.start < h.end for w in avail):
        return (
            "the candidate's availability lies entirely outside the scheduling horizon "
            f"({words.day(h.start, zone)} to {words.day(h.end, zone)})"
        )
    return f"no loop fits before the scheduling horizon ends ({words.day(h.end, zone)} {words.clock(h.end, zone)})"


def _pool_words(problem: Problem, index: int, people: words.People) -> str:
    s = problem.sessions[index]
    excluded = set(problem.exclude_interviewers)
    gone_required = [p for p in s.interviewers.required if p in excluded]
    if gone_required:
        return (
            f"{people.many(gone_required)} must attend {words.session(s)} but cannot (declined or excluded)"
        )
    need = s.interviewers.total - len(s.interviewers.required)
    pool = [p for p in s.interviewers.pool if p not in s.interviewers.required]
    gone = len([p for p in pool if p in excluded])
    left = len(pool) - gone
    out = f"not enough interviewers from the {words.session(s)} pool are free: it needs {need} of {left} eligible"
    if gone:
        out += f" ({gone} excluded)"
    return out + ", and a person attends at most one session of a loop"


def _load_words(problem: Problem, pid: int, people: words.People) -> Blocker:
    who = problem.interviewer(pid)
    limits = []
    if who.max_per_day is not None:
        limits.append(f"{who.max_per_day} a day")
    if who.max_per_week is not None:
        limits.append(f"{who.max_per_week} a week")
    session = next(
        (s.id for s in problem.sessions if pid in s.interviewers.required or pid in s.interviewers.pool), None
    )
    return Blocker(
        kind="load_limit",
        session=session,
        detail=f"{people(pid)} has reached the interview limit ({' and '.join(limits)}) on the days the loop could take place",
    )
