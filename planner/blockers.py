"""Blockers: why no (or too few) options exist, computed by relaxing rule groups and re-checking.

For a session with no feasible start, rule groups are added back one at a time (horizon and pins,
candidate windows, working hours, busy time, load limits, pool size, rooms) and the first group that
empties the start set is reported. When every session fits alone but the loop does not, the loop-level
rules (one date, gaps, one seat per person) are relaxed in turn and the loop re-solved.
"""

from __future__ import annotations

import time

import numpy as np

from models.scheduling import Blocker, BlockerKind, Problem
from planner.grid import Mask
from planner.prepare import Prepared, SessionSlots, feasible_starts

ALL = frozenset({"candidate", "hours", "busy", "load", "room", "pool"})


def explain(prep: Prepared, *, found: int, want: int, exhausted: bool, deadline: float) -> list[Blocker]:
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
    out: list[Blocker] = []
    for ss in prep.sessions:
        assert ss.feasible is not None
        if not ss.feasible.any():
            out.extend(_session(prep, ss))
    if out:
        return out
    return _loop(prep, deadline)


def _who(prep: Prepared, pid: int) -> str:
    return f"interviewer {pid} ({prep.problem.interviewer(pid).time_zone})"


def _session(prep: Prepared, ss: SessionSlots) -> list[Blocker]:
    s, sid, d = ss.session, ss.session.id, ss.duration
    excluded = set(prep.problem.exclude_interviewers)
    if not feasible_starts(prep, ss, relax=ALL).any():
        return [_no_start(prep, ss)]
    cand = feasible_starts(prep, ss, relax=ALL - {"candidate"})
    if not cand.any():
        return [_candidate(prep, ss)]
    for pid in ss.required:
        if pid in excluded:
            return [
                Blocker(
                    kind="pool_exhausted",
                    session=sid,
                    detail=(f"{_who(prep, pid)} is required for {s.label} but is excluded from this loop"),
                )
            ]
    mask = cand.copy()
    stages: tuple[tuple[str, BlockerKind, str], ...] = (
        ("hours", "working_hours", "working hours never overlap the candidate's windows"),
        ("busy", "interviewer_busy", "is busy (buffers included) whenever the candidate is available"),
        (
            "load",
            "load_limit",
            "has reached the daily or weekly interview limit on every day the candidate is available",
        ),
    )
    for attr, kind, words in stages:
        for pid in ss.required:
            slots = prep.person(pid, d)
            nxt = mask & getattr(slots, attr if attr != "busy" else "clear")
            if not nxt.any():
                what = f"{_who(prep, pid)}'s {words}" if attr == "hours" else f"{_who(prep, pid)} {words}"
                return [Blocker(kind=kind, session=sid, detail=f"{what} for session {s.label}")]
            mask = nxt
    if ss.need:
        pool = _pool(prep, ss, mask, excluded)
        if pool is not None:
            return [pool]
    if ss.session.room.required or (s.pinned and s.pinned.room):
        if not ss.rooms:
            return [
                Blocker(
                    kind="room",
                    session=sid,
                    detail=(f"no room holds {s.room_capacity_needed()} people for session {s.label}"),
                )
            ]
        return [
            Blocker(
                kind="room",
                session=sid,
                detail=(
                    f"every room big enough for {s.label} is booked whenever the interviewers and candidate are free"
                ),
            )
        ]
    return [
        Blocker(
            kind="pool_exhausted",
            session=sid,
            detail=(f"the interviewers of {s.label} are never free together inside the candidate's windows"),
        )
    ]


def _no_start(prep: Prepared, ss: SessionSlots) -> Blocker:
    """The session has no start at all, whoever is free: a pin off the horizon or grid, or too long."""
    s, sid = ss.session, ss.session.id
    if s.pinned and s.pinned.start is not None:
        return Blocker(
            kind="pinned",
            session=sid,
            detail=(
                f"session {s.label} is pinned to {s.pinned.start.isoformat()}, which is outside the horizon "
                f"or not on the {prep.grid.g}-minute grid"
            ),
        )
    return Blocker(
        kind="horizon",
        session=sid,
        detail=f"the {ss.duration}-minute session {s.label} does not fit in the horizon",
    )


def _pool(prep: Prepared, ss: SessionSlots, mask: Mask, excluded: set[int]) -> Blocker | None:
    """Why no `ss.need` people of the pool can sit in at once inside `mask`, if that is the reason."""
    s, sid = ss.session, ss.session.id
    if len(ss.pool) < ss.need:
        gone = len([p for p in s.interviewers.pool if p in excluded])
        return Blocker(
            kind="pool_exhausted",
            session=sid,
            detail=(
                f"session {s.label} needs {ss.need} interviewer(s) from its pool but only {len(ss.pool)} are "
                f"eligible ({gone} excluded); add people to the pool"
            ),
        )
    count = np.zeros(prep.grid.slots, dtype=np.int32)
    cum = {"hours": count.copy(), "busy": count.copy(), "load": count.copy()}
    for pid in ss.pool:
        slots = prep.person(pid, ss.duration)
        cum["hours"] += slots.hours
        cum["busy"] += slots.hours & slots.clear
        cum["load"] += slots.free
    phrases = {
        "working_hours": "work at the same time inside the candidate's windows (check time zones)",
        "pool_exhausted": "are free at the same time inside the candidate's windows",
        "load_limit": "are free and under their interview limits at the same time inside the candidate's windows",
    }
    pool_stages: tuple[tuple[str, BlockerKind], ...] = (
        ("hours", "working_hours"),
        ("busy", "pool_exhausted"),
        ("load", "load_limit"),
    )
    for attr, kind in pool_stages:
        if not (mask & (cum[attr] >= ss.need)).any():
            return Blocker(
                kind=kind,
                session=sid,
                detail=(f"no {ss.need} interviewer(s) from the pool of {s.label} {phrases[kind]}"),
            )
    return None


def _candidate(prep: Prepared, ss: SessionSlots) -> Blocker:
    p = prep.problem
    s = ss.session
    avail = p.candidate.availability
    if avail is not None and not any(iv.end > p.horizon.start and iv.start < p.horizon.end for iv in avail):
        return Blocker(
            kind="horizon",
            session=s.id,
            detail=(
                "the candidate's availability lies entirely outside the scheduling horizon "
                f"({p.horizon.start.isoformat()} to {p.horizon.end.isoformat()})"
            ),
        )
    return Blocker(
        kind="candidate_window",
        session=s.id,
        detail=(
            f"the candidate's availability, hours and busy times leave no {ss.duration}-minute slot for "
            f"session {s.label} inside the horizon; ask the candidate for more availability"
        ),
    )


def _loop(prep: Prepared, deadline: float) -> list[Blocker]:
    from planner.search import plan  # local import: search imports this module

    p = prep.problem
    budget = max(0.2, min(2.0, deadline - time.perf_counter()))

    def fits(relaxed: Problem) -> bool:
        return bool(plan(relaxed, options=1, time_limit=budget / 3, explain_blockers=False).options)

    loop = p.loop
    one_day = loop.same_day or loop.max_days == 1
    n = len(p.sessions)
    if one_day and n > 1:
        split = p.model_copy(update={"loop": loop.model_copy(update={"same_day": False, "max_days": n})})
        if fits(split):
            return [
                Blocker(
                    kind="same_day",
                    detail=(
                        "each session fits on some day, but never all of them on one day of the candidate; "
                        "allow a multi-day loop or widen availability"
                    ),
                )
            ]
    wide = loop.model_copy(update={"min_gap_minutes": 0, "max_gap_minutes": 24 * 60, "ordered": False})
    if fits(p.model_copy(update={"loop": wide})):
        return [
            Blocker(
                kind="loop_gaps",
                detail=(
                    f"the sessions only fit with gaps outside {loop.min_gap_minutes}-{loop.max_gap_minutes} minutes"
                    + (" or in another order" if loop.ordered else "")
                ),
            )
        ]
    return [
        Blocker(
            kind="pool_exhausted",
            detail=(
                "every session fits alone, but not enough distinct interviewers and rooms are free for all of "
                "them together (a person attends at most one session of a loop)"
            ),
        )
    ]
