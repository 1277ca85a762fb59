"""Property tests: random small problems (DST days, far-apart zones) against the validator and brute force.

- every option the planner returns passes the independent validator;
- the planner finds an option exactly when exhaustive enumeration does (so `infeasible` is confirmed),
  and then names blockers whose every relaxation, applied, lets the planner find valid options;
- the planner never fails where the greedy baseline finds an option;
- an `optimal` first option is as good as the best loop brute force can find.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.scheduling import Option, Placement, Problem, Score
from planner.greedy import greedy_plan
from planner.patch import apply_patch
from planner.prepare import prepare
from planner.score import Seat, make_option
from planner.search import plan
from planner.validate import validate, validate_option

settings.register_profile(
    "planner", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

# days with a daylight-saving change somewhere, plus ordinary ones
DAYS = [
    datetime(2026, 3, 8, tzinfo=UTC),  # America/New_York springs forward
    datetime(2026, 3, 29, tzinfo=UTC),  # Europe/London springs forward
    datetime(2026, 10, 4, tzinfo=UTC),  # Australia/Sydney springs forward
    datetime(2026, 10, 25, tzinfo=UTC),  # Europe/London falls back
    datetime(2026, 11, 1, tzinfo=UTC),  # America/New_York falls back
    datetime(2026, 4, 5, tzinfo=UTC),  # Australia/Sydney falls back
    datetime(2026, 12, 2, tzinfo=UTC),
]
ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Los_Angeles",
    "Pacific/Auckland",
    "UTC",
]
HOURS = [("00:00", "24:00"), ("06:00", "22:00"), ("09:00", "17:00"), ("01:00", "04:00"), ("13:00", "22:30")]


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


@st.composite
def problems(draw: Any) -> Problem:
    day = draw(st.sampled_from(DAYS))
    start = day - timedelta(hours=draw(st.sampled_from([0, 6, 12])))
    length = draw(st.sampled_from([24, 36, 48]))
    g = draw(st.sampled_from([30, 60]))
    end = start + timedelta(hours=length)

    def instant() -> datetime:
        return start + timedelta(minutes=15 * draw(st.integers(0, length * 4 - 1)))

    def interval(max_minutes: int, lengths: tuple[int, ...] = (15, 30, 60)) -> dict[str, str]:
        a = instant()
        return {
            "start": iso(a),
            "end": iso(a + timedelta(minutes=draw(st.sampled_from([*lengths, max_minutes])))),
        }

    n_people = draw(st.integers(3, 6))
    people = []
    for pid in range(1, n_people + 1):
        hours = draw(st.sampled_from(HOURS[:2] * 4 + HOURS))
        weekdays = draw(
            st.sampled_from(
                [["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] * 3
                + [["mon", "tue", "wed", "thu", "fri"], ["sun", "mon"]]
            )
        )
        people.append(
            {
                "id": pid,
                "time_zone": draw(st.sampled_from(ZONES)),
                "working_hours": {d: [list(hours)] for d in weekdays},
                "busy": [
                    {**interval(120), "soft": draw(st.booleans())} for _ in range(draw(st.integers(0, 2)))
                ],
                "buffer_minutes": draw(st.sampled_from([0, 0, 10, 15])),
                "max_per_day": draw(st.sampled_from([None, None, None, 1, 2])),
                "max_per_week": draw(st.sampled_from([None, None, None, 1, 3])),
                "existing_interviews": [interval(60) for _ in range(draw(st.integers(0, 1)))],
                "weight": draw(st.sampled_from([1.0, 0.5, 2.0])),
            }
        )
    ids = [p["id"] for p in people]
    sessions = []
    for s in range(draw(st.integers(1, 3))):
        required = draw(st.lists(st.sampled_from(ids), max_size=1, unique=True))
        others = [i for i in ids if i not in required]
        pool = draw(st.lists(st.sampled_from(others), min_size=0 if required else 1, max_size=3, unique=True))
        count = len(required) + draw(st.integers(0 if required else 1, min(2, len(pool))))
        session: dict[str, Any] = {
            "id": f"s{s}",
            "duration_minutes": draw(st.sampled_from([30, 45, 60, 90])),
            "interviewers": {"required": required, "pool": pool, "count": count},
            "room": {"required": draw(st.sampled_from([False, False, True]))},
        }
        if draw(st.booleans()):
            session["trainee"] = {
                "pool": draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
            }
        sessions.append(session)
    cand: dict[str, Any] = {"time_zone": draw(st.sampled_from(ZONES))}
    if draw(st.booleans()):
        cand["hours"] = dict(
            zip(("start", "end"), draw(st.sampled_from(HOURS[1:3] + HOURS[4:])), strict=True)
        )
    if draw(st.booleans()):
        cand["availability"] = [interval(900, (240, 480)) for _ in range(draw(st.integers(1, 3)))]
    if draw(st.booleans()):
        cand["busy"] = [interval(60)]
    max_gap = draw(st.sampled_from([0, 30, 120, 600, 600]))
    data = {
        "horizon": {"start": iso(start), "end": iso(end)},
        "granularity_minutes": g,
        "candidate": cand,
        "loop": {
            "same_day": draw(st.booleans()),
            "max_days": draw(st.integers(1, 2)),
            "min_gap_minutes": min(max_gap, draw(st.sampled_from([0, 0, 15]))),
            "max_gap_minutes": max_gap,
            "ordered": draw(st.booleans()),
        },
        "sessions": sessions,
        "interviewers": people,
        "rooms": [
            {"id": f"r{r}", "capacity": draw(st.sampled_from([3, 6, 6])), "busy": [interval(60)]}
            for r in range(draw(st.integers(1 if any(x["room"]["required"] for x in sessions) else 0, 2)))
        ],
        "exclude_interviewers": draw(st.sampled_from([[], [], [], [ids[0]]])),
        "options": draw(st.integers(1, 4)),
        "objective": draw(st.sampled_from(["earliest", "balanced"])),
    }
    return Problem.model_validate(data)


def _single(problem: Problem, index: int, *, full: bool) -> list[Seat]:
    """Every valid seat of one session on its own, checked by the validator (not the solver's masks).

    Without `full`, trainee seats and optional rooms are left out: they never make a loop possible.
    """
    s = problem.sessions[index]
    alone = problem.model_copy(update={"sessions": [s]})
    g = problem.granularity_minutes
    slots = problem.horizon_minutes // g + 1
    spec = s.interviewers
    need = spec.total - len(spec.required)
    groups = [
        list(spec.required) + list(c)
        for c in itertools.combinations([p for p in spec.pool if p not in spec.required], need)
    ]
    trainees: list[int | None] = [None, *(s.trainee.pool if s.trainee and full else [])]
    rooms: list[str | None] = [r.id for r in problem.rooms] if s.room.required else [None]
    seats = []
    for k in range(slots):
        begin = problem.horizon.start + timedelta(minutes=k * g)
        for people in groups:
            for trainee in trainees:
                if trainee in people:
                    continue
                for room in rooms:
                    pl = Placement(
                        session=s.id,
                        start=begin,
                        end=begin + timedelta(minutes=s.duration_minutes),
                        interviewers=people,
                        trainee=trainee,
                        room=room,
                    )
                    opt = Option(rank=1, start=pl.start, end=pl.end, placements=[pl], score=Score(total=0))
                    if not [v for v in validate_option(alone, opt) if v.rule != "score"]:
                        seats.append(
                            Seat(session=index, slot=k, interviewers=people, trainee=trainee, room=room)
                        )
    return seats


def _people(seat: Seat) -> set[int]:
    return set(seat.interviewers) | ({seat.trainee} if seat.trainee is not None else set())


def _search(problem: Problem, per_session: list[list[Seat]], prep: Any, *, first_only: bool) -> int | None:
    """Backtracking over sessions with pairwise pruning (overlap, shared people); leaves fully validated."""
    g = problem.granularity_minutes
    dur = [s.duration_minutes for s in problem.sessions]
    best: list[int | None] = [None]

    def rec(chosen: list[Seat]) -> bool:
        i = len(chosen)
        if i == len(per_session):
            option, total = make_option(prep, chosen)
            if [v for v in validate_option(problem, option) if v.rule != "score"]:
                return False
            best[0] = total if best[0] is None else min(best[0], total)
            return first_only
        for seat in per_session[i]:
            a0, a1 = seat.slot * g, seat.slot * g + dur[i]
            if any(
                (a0 < c.slot * g + dur[c.session] and c.slot * g < a1) or _people(c) & _people(seat)
                for c in chosen
            ):
                continue
            if rec([*chosen, seat]):
                return True
        return False

    rec([])
    return best[0]


def brute_force(problem: Problem) -> tuple[bool, int | None]:
    """(exists, best objective or None when enumerating every seat would take too long)."""
    prep = prepare(problem)
    lean = [_single(problem, i, full=False) for i in range(len(problem.sessions))]
    found = _search(problem, lean, prep, first_only=True)
    if found is None:
        return False, None
    full = [_single(problem, i, full=True) for i in range(len(problem.sessions))]
    size = 1
    for seats in full:
        size *= max(1, len(seats))
    return True, (_search(problem, full, prep, first_only=False) if size <= 20_000 else None)


@settings(settings.get_profile("planner"))
@given(problems())
def test_options_valid_and_infeasible_confirmed(problem: Problem) -> None:
    result = plan(problem, time_limit=5, workers=1)
    assert validate(problem, result) == []
    assert result.status != "unknown"
    exists, best = brute_force(problem)
    if not result.options:
        assert result.status == "infeasible"
        assert not exists, "brute force found a loop the planner missed"
        assert result.blockers, "no blockers explain the missing options"
        for relaxation in [r for b in result.blockers for r in b.relaxations]:
            patched = apply_patch(problem, relaxation.patch)
            again = plan(patched, time_limit=5, explain_blockers=False)
            assert again.options and validate(patched, again) == [], relaxation
    else:
        assert exists, "planner returned a loop brute force cannot reproduce"
        if result.status == "optimal" and best is not None:
            assert result.options[0].score.total <= best, "an 'optimal' option that brute force beats"
    greedy = greedy_plan(problem)
    assert validate(problem, greedy) == []
    if greedy.options:
        assert result.options, "greedy found a loop the planner missed"
