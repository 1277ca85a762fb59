"""Why a candidate was left out of an event, and what would let them in, verified by planning again.

A candidate whose loop does not fit even with the event to themselves gets the single-loop planner's
blockers for their own problem (`planner.blockers`, same kinds and wording). A candidate who would fit
alone was crowded out: they get an `event_capacity` blocker plus the single-loop blockers of their
problem with every seat of the scheduled candidates taken (people and rooms then busy), which name the
session, pool or room that ran out.

Relaxations are tried on the event itself (the patch applied, the candidate's loop planned against the
seats of everyone scheduled, who all keep theirs): the candidate's window widened to a whole event day,
one more interviewer in a blocked session's pool, a limit raised by one. Each is kept only when that
plan finds options, and `options_found` counts them (up to `VERIFY_OPTIONS`).

All of it runs against the plan's deadline: a candidate the deadline leaves no time for gets one
`not_explained` blocker saying so, instead of a diagnosis that would overrun the caller's time limit.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from models.events import Event, EventBlocker, EventCandidate, UnscheduledCandidate
from models.scheduling import Blocker, Placement, Plan, Problem, Relaxation
from planner.blockers import EXPLAIN_SECONDS
from planner.event_problem import candidate_problem
from planner.search import plan

VERIFY_OPTIONS = 3
MAX_TRIES = 6  # relaxation checks per candidate
SOLVE_LIMIT = 1.0  # seconds per single-loop solve
MIN_CHECK_SECONDS = 0.05  # less time than this left: the candidate is not diagnosed at all
NOT_EXPLAINED = "not_explained"


def explain_unscheduled(
    event: Event,
    missing: list[EventCandidate],
    taken: list[Placement],
    *,
    deadline: float,
    relax: bool = True,
) -> list[UnscheduledCandidate]:
    """Blockers for every candidate left out, diagnosed while `deadline` allows (relaxations too when
    `relax`); a candidate reached after it gets a `not_explained` blocker, so the time limit holds."""
    out = []
    load = Counter(pid for pl in taken for pid in pl.interviewers)
    for c in missing:
        blockers = _blockers(event, c, taken, deadline)
        if relax and time.perf_counter() < deadline and blockers[0].kind != NOT_EXPLAINED:
            _Relaxer(event, c, taken, load, deadline).attach(blockers)
        out.append(UnscheduledCandidate(candidate=c.id, blockers=blockers))
    return out


def _convert(blockers: list[Blocker]) -> list[EventBlocker]:
    return [EventBlocker(kind=b.kind, session=b.session, detail=b.detail) for b in blockers]


def _not_explained() -> list[EventBlocker]:
    return [
        EventBlocker(
            kind=NOT_EXPLAINED,
            detail="not diagnosed: the time limit went to the plan itself; plan again with more time to see why",
        )
    ]


def _blockers(event: Event, c: EventCandidate, taken: list[Placement], deadline: float) -> list[EventBlocker]:
    """Why one candidate is out: their loop fails alone (its own blockers), or only beside the others."""

    explained = True

    def check(problem: Problem) -> Plan:
        nonlocal explained
        left = deadline - time.perf_counter()
        explained = left > SOLVE_LIMIT + EXPLAIN_SECONDS  # a diagnosis may take EXPLAIN_SECONDS on top
        return plan(problem, options=1, time_limit=min(SOLVE_LIMIT, left), explain_blockers=explained)

    if time.perf_counter() + MIN_CHECK_SECONDS >= deadline:
        return _not_explained()
    alone = check(candidate_problem(event, c))
    if not alone.options:
        if not alone.blockers and not explained:
            return _not_explained()
        return _convert(alone.blockers) or [
            EventBlocker(kind="unknown", detail="the planner ran out of time on this candidate's loop")
        ]
    if time.perf_counter() + MIN_CHECK_SECONDS >= deadline:
        return _not_explained()
    crowded = check(candidate_problem(event, c, taken=taken))
    if crowded.options:  # only when stage 1 was cut short: the plan is not proven optimal
        return [
            EventBlocker(
                kind="time_limit",
                detail="a loop for this candidate still fits; the event was not solved to optimality in time",
            )
        ]
    head = EventBlocker(
        kind="event_capacity",
        detail=(
            "the loop fits with the event to themselves, but not beside the candidates scheduled "
            f"({len(taken)} sessions booked): the interviewers and rooms it needs are taken"
        ),
    )
    return [head, *_convert(crowded.blockers)]


def apply_patch(event: Event, patch: dict[str, Any]) -> Event:
    """The event with each dotted path (list indexes as numbers) set to its new value."""
    data = event.model_dump(mode="json")
    for path, value in patch.items():
        parts = path.split(".")
        node: Any = data
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return Event.model_validate(data)


class _Relaxer:
    """Tries a few cheap changes for one candidate and keeps those verified by planning again."""

    def __init__(
        self, event: Event, c: EventCandidate, taken: list[Placement], load: Counter[int], deadline: float
    ) -> None:
        self.event, self.c, self.taken, self.load, self.deadline = event, c, taken, load, deadline
        self.index = next(i for i, x in enumerate(event.candidates) if x.id == c.id)
        self.tries = 0

    def attach(self, blockers: list[EventBlocker]) -> None:
        sessions = [b.session for b in blockers if b.session is not None] or [
            s.id for s in self.event.sessions
        ]
        found = [*self._window(), *self._people(sessions), *self._limits(sessions)]
        for change, r in found:
            home = next((b for b in blockers if b.kind in _HOME.get(change, ())), blockers[0])
            home.relaxations.append(r)

    def _verify(self, patch: dict[str, Any]) -> int:
        if self.tries >= MAX_TRIES or time.perf_counter() >= self.deadline:
            return 0
        self.tries += 1
        patched = apply_patch(self.event, patch)
        problem = candidate_problem(patched, patched.candidates[self.index], taken=self.taken)
        limit = min(SOLVE_LIMIT, max(0.05, self.deadline - time.perf_counter()))
        result = plan(problem, options=VERIFY_OPTIONS, time_limit=limit, explain_blockers=False)
        return len(result.options)

    def _window(self) -> list[tuple[str, Relaxation]]:
        if self.c.availability is None:
            return []
        zone = ZoneInfo(self.c.time_zone)
        own = [w.model_dump(mode="json") for w in self.c.availability]
        for day in sorted(self.event.days, key=lambda d: d.start):
            if any(w.start <= day.start and day.end <= w.end for w in self.c.availability):
                continue
            patch = {f"candidates.{self.index}.availability": [*own, day.model_dump(mode="json")]}
            found = self._verify(patch)
            if found:
                a, b = day.start.astimezone(zone), day.end.astimezone(zone)
                words = f"ask the candidate to be available all of {a:%a %d %b} ({a:%H:%M}-{b:%H:%M} {self.c.time_zone})"
                return [
                    ("extend_candidate_window", _relaxation("extend_candidate_window", words, patch, found))
                ]
        return []

    def _people(self, sessions: list[str]) -> list[tuple[str, Relaxation]]:
        out = []
        for sid in dict.fromkeys(sessions):
            i, s = next((i, s) for i, s in enumerate(self.event.sessions) if s.id == sid)
            inside = set(s.interviewers.pool) | set(s.interviewers.required)
            others = sorted(
                (p.id for p in self.event.interviewers if p.id not in inside), key=lambda p: (self.load[p], p)
            )
            for pid in others[:2]:
                patch = {f"sessions.{i}.interviewers.pool": [*s.interviewers.pool, pid]}
                found = self._verify(patch)
                if found:
                    words = f"add interviewer {pid} to the pool of {s.label}"
                    out.append(("add_interviewer", _relaxation("add_interviewer", words, patch, found)))
                    break
        return out

    def _limits(self, sessions: list[str]) -> list[tuple[str, Relaxation]]:
        """Raise the daily limit of someone in a blocked session who has reached it."""
        index = {p.id: n for n, p in enumerate(self.event.interviewers)}
        for sid in dict.fromkeys(sessions):
            s = next(s for s in self.event.sessions if s.id == sid)
            for pid in [*s.interviewers.required, *s.interviewers.pool]:
                who = self.event.interviewers[index[pid]]
                limit = who.max_per_day
                if limit is None or self.load[pid] + len(who.existing_interviews) < limit:
                    continue
                patch = {f"interviewers.{index[pid]}.max_per_day": limit + 1}
                found = self._verify(patch)
                if found:
                    words = f"let interviewer {pid} take {limit + 1} interviews a day instead of {limit}"
                    return [("raise_limit", _relaxation("raise_limit", words, patch, found))]
        return []


_HOME = {
    "extend_candidate_window": ("candidate_window", "horizon", "same_day"),
    "add_interviewer": ("pool_exhausted", "working_hours", "interviewer_busy"),
    "raise_limit": ("load_limit",),
}


def _relaxation(change: str, detail: str, patch: dict[str, Any], found: int) -> Relaxation:
    return Relaxation(change=change, detail=detail, patch=patch, options_found=found)
