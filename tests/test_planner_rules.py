"""Rule-by-rule planner tests on hand-made problems: defaults, DST, loops, limits, top-K, blockers."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from models.scheduling import Problem
from planner.greedy import greedy_plan
from planner.search import plan
from planner.validate import validate, validate_option

MON = "2026-12-07"  # a Monday


def base(**over: Any) -> dict[str, Any]:
    """One 60-minute session with one UTC interviewer, a day's horizon, the candidate in UTC."""
    data: dict[str, Any] = {
        "format": "hireflow.problem/v1",
        "horizon": {"start": f"{MON}T00:00:00Z", "end": "2026-12-12T00:00:00Z"},
        "candidate": {"time_zone": "UTC"},
        "sessions": [{"id": "s1", "duration_minutes": 60, "interviewers": {"required": [1]}}],
        "interviewers": [{"id": 1, "time_zone": "UTC"}],
    }
    data.update(over)
    return data


def solve(data: dict[str, Any], **kw: Any) -> Any:
    problem = Problem.model_validate(data)
    result = plan(problem, time_limit=5, **kw)
    assert validate(problem, result) == [], validate(problem, result)
    return result


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ------------------------------------------------------------------ format and defaults


def test_defaults_follow_the_format() -> None:
    p = Problem.model_validate(base())
    assert p.granularity_minutes == 15 and p.options == 10 and p.objective == "earliest"
    assert (
        p.loop.same_day,
        p.loop.max_days,
        p.loop.min_gap_minutes,
        p.loop.max_gap_minutes,
        p.loop.ordered,
    ) == (True, 1, 0, 30, False)
    person = p.interviewers[0]
    assert person.working_hours == {d: [("09:00", "17:00")] for d in ("mon", "tue", "wed", "thu", "fri")}
    assert (person.buffer_minutes, person.weight, person.max_per_day, person.busy) == (0, 1.0, None, [])
    s = p.sessions[0]
    assert s.interviewers.count == 1 and s.room.required is False and s.pinned is None and s.trainee is None
    assert p.candidate.availability is None and p.candidate.busy == [] and p.rooms == []


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"candidate": {"time_zone": "Mars/Olympus"}}, "candidate.time_zone"),
        ({"granularity_minutes": 0}, "granularity_minutes"),
        ({"horizon": {"start": "2026-12-07T00:00:00Z", "end": "2026-12-06T00:00:00Z"}}, "horizon"),
        ({"horizon": {"start": "2026-12-07T00:00:00", "end": "2026-12-08T00:00:00Z"}}, "horizon.start"),
        ({"objective": "cheapest"}, "objective"),
        (
            {"sessions": [{"id": "s1", "duration_minutes": 60, "interviewers": {"pool": [9], "count": 1}}]},
            "sessions.0.interviewers.pool",
        ),
        ({"sessions": [{"id": "s1", "duration_minutes": -5}]}, "sessions.0.duration_minutes"),
        (
            {
                "sessions": [
                    {"id": "s1", "duration_minutes": 30, "interviewers": {"required": [1], "count": 0}}
                ]
            },
            "sessions.0.interviewers",
        ),
        (
            {"interviewers": [{"id": 1, "time_zone": "UTC", "working_hours": {"mon": [["17:00", "09:00"]]}}]},
            "interviewers.0.working_hours",
        ),
        (
            {"interviewers": [{"id": 1, "time_zone": "UTC", "working_hours": {"mon": [["9am", "17:00"]]}}]},
            "interviewers.0.working_hours.mon.0.0",
        ),
        ({"candidate": {"time_zone": "UTC", "hourz": {}}}, "candidate.hourz"),
    ],
)
def test_validation_errors_name_the_field(patch: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        Problem.model_validate(base(**patch))
    text = "\n".join(".".join(map(str, e["loc"])) + ": " + e["msg"] for e in err.value.errors())
    assert field in text


def test_reference_example_plans_and_validates() -> None:
    data = base(
        horizon={"start": "2026-12-01T00:00:00Z", "end": "2026-12-15T00:00:00Z"},
        candidate={
            "time_zone": "America/New_York",
            "hours": {"start": "08:00", "end": "19:00"},
            "availability": [{"start": "2026-12-02T13:00:00Z", "end": "2026-12-02T22:00:00Z"}],
        },
        sessions=[
            {
                "id": "s1",
                "name": "System design",
                "duration_minutes": 60,
                "interviewers": {"required": [101], "pool": [102, 103, 104], "count": 2},
                "trainee": {"pool": [201, 202]},
                "room": {"required": True, "min_capacity": 3},
            }
        ],
        interviewers=[
            {
                "id": 101,
                "time_zone": "America/Los_Angeles",
                "working_hours": {
                    "mon": [["09:00", "17:00"]],
                    "wed": [["09:00", "12:00"], ["13:00", "17:00"]],
                },
                "busy": [{"start": "2026-12-02T17:00:00Z", "end": "2026-12-02T18:00:00Z", "soft": False}],
                "buffer_minutes": 10,
                "max_per_day": 3,
                "max_per_week": 8,
                "existing_interviews": [{"start": "2026-12-01T16:00:00Z", "end": "2026-12-01T17:00:00Z"}],
            },
            *({"id": i, "time_zone": "America/New_York"} for i in (102, 103, 104, 201, 202)),
        ],
        rooms=[{"id": "r-boston-4a", "capacity": 6, "busy": []}],
    )
    result = solve(data)
    assert result.status == "optimal"
    first = result.options[0].placements[0]
    # 101 is busy 17:00-18:00Z plus a 10-minute buffer, so the earliest start is 18:15Z (grid 15)
    assert first.start == at("2026-12-02T18:15:00Z")
    assert 101 in first.interviewers and first.trainee in (201, 202) and first.room == "r-boston-4a"
    # 101 works 09-12 and 13-17 PST on Wednesday and the window closes 22:00Z: exactly five starts exist
    assert [o.start.strftime("%H:%M") for o in result.options] == [
        "18:15",
        "18:30",
        "18:45",
        "19:00",
        "21:00",
    ]
    assert [b.kind for b in result.blockers] == ["fewer_options"]


# ------------------------------------------------------------------ time zones and DST


@pytest.mark.parametrize(
    ("zone", "monday", "expected"),
    [
        ("America/New_York", "2026-03-09", "2026-03-09T13:00:00Z"),  # EDT after 2026-03-08
        ("America/New_York", "2026-03-02", "2026-03-02T14:00:00Z"),  # EST before
        ("Europe/London", "2026-03-30", "2026-03-30T08:00:00Z"),  # BST after 2026-03-29
        ("Australia/Sydney", "2026-10-05", "2026-10-04T22:00:00Z"),  # AEDT after 2026-10-04
        ("Asia/Kolkata", "2026-03-09", "2026-03-09T03:30:00Z"),  # half-hour offset, no DST
    ],
)
def test_working_hours_follow_the_local_offset(zone: str, monday: str, expected: str) -> None:
    start = at(f"{monday}T00:00:00Z") - timedelta(days=1)
    data = base(
        horizon={"start": start.isoformat(), "end": (start + timedelta(days=3)).isoformat()},
        interviewers=[{"id": 1, "time_zone": zone}],
        options=1,
    )
    result = solve(data)
    assert result.options[0].start == at(expected)


def test_spring_forward_day_is_23_hours() -> None:
    # 01:00-04:00 local on 2026-03-08 in New York is 06:00Z-08:00Z: only two real hours
    person = {"id": 1, "time_zone": "America/New_York", "working_hours": {"sun": [["01:00", "04:00"]]}}
    window = {
        "horizon": {"start": "2026-03-08T00:00:00Z", "end": "2026-03-09T00:00:00Z"},
        "interviewers": [person],
    }
    fits = solve(
        base(**window, sessions=[{"id": "s1", "duration_minutes": 120, "interviewers": {"required": [1]}}])
    )
    assert [o.start for o in fits.options] == [at("2026-03-08T06:00:00Z")]
    late = solve(
        base(**window, sessions=[{"id": "s1", "duration_minutes": 150, "interviewers": {"required": [1]}}])
    )
    # both bind: the 23-hour day holds two working hours, and a longer horizon reaches a normal Sunday
    assert late.status == "infeasible" and {b.kind for b in late.blockers} == {"working_hours", "horizon"}


def test_far_apart_zones_meet_in_their_overlap() -> None:
    # Sydney 08:00-18:00 AEDT (21:00Z-07:00Z) and Los Angeles 09:00-17:00 PST (17:00Z-01:00Z) overlap 21Z-01Z
    sessions = [{"id": "s1", "duration_minutes": 60, "interviewers": {"required": [1, 2]}}]
    people = [
        {
            "id": 1,
            "time_zone": "Australia/Sydney",
            "working_hours": {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        },
        {"id": 2, "time_zone": "America/Los_Angeles"},
    ]
    result = solve(base(sessions=sessions, interviewers=people, options=3))
    for o in result.options:
        assert o.start.astimezone(UTC).hour in (21, 22, 23, 0)


# ------------------------------------------------------------------ loop rules


def loop_problem(**loop: Any) -> dict[str, Any]:
    people = [
        {
            "id": i,
            "time_zone": "UTC",
            "working_hours": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]},
        }
        for i in (1, 2, 3)
    ]
    sessions = [{"id": f"s{i}", "duration_minutes": 60, "interviewers": {"required": [i]}} for i in (1, 2, 3)]
    return base(sessions=sessions, interviewers=people, loop=loop, options=4)


def test_same_day_loop_is_compact_and_distinct() -> None:
    result = solve(loop_problem(max_gap_minutes=0))
    first = result.options[0]
    assert first.start == at(f"{MON}T09:00:00Z") and first.end == at(f"{MON}T12:00:00Z")
    assert first.score.idle_minutes == 0
    assert len({o.start for o in result.options}) == 4


def test_ordered_loop_keeps_the_listed_order() -> None:
    people = [
        {"id": 3, "time_zone": "UTC", "busy": [{"start": f"{MON}T09:00:00Z", "end": f"{MON}T11:00:00Z"}]},
        {"id": 1, "time_zone": "UTC"},
        {"id": 2, "time_zone": "UTC"},
    ]
    data = loop_problem(ordered=True, max_gap_minutes=0)
    data["interviewers"] = people
    result = solve(data)
    pls = result.options[0].placements
    assert pls[0].start < pls[1].start < pls[2].start


def test_min_gap_is_respected() -> None:
    result = solve(loop_problem(min_gap_minutes=15, max_gap_minutes=15))
    pls = sorted(result.options[0].placements, key=lambda p: p.start)
    assert all((b.start - a.end) == timedelta(minutes=15) for a, b in itertools.pairwise(pls))


def test_multi_day_split_when_one_day_is_too_short() -> None:
    # session a can only happen on Monday, b and c only on Tuesday
    hours = {
        1: {"mon": [["09:00", "10:00"]]},
        2: {"tue": [["09:00", "10:00"]]},
        3: {"tue": [["10:00", "11:00"]]},
    }
    people = [{"id": i, "time_zone": "UTC", "working_hours": hours[i]} for i in (1, 2, 3)]
    sessions = [
        {"id": "a", "duration_minutes": 60, "interviewers": {"required": [1]}},
        {"id": "b", "duration_minutes": 60, "interviewers": {"required": [2]}},
        {"id": "c", "duration_minutes": 60, "interviewers": {"required": [3]}},
    ]
    same = solve(base(sessions=sessions, interviewers=people))
    assert same.status == "infeasible" and "same_day" in {b.kind for b in same.blockers}
    split = solve(base(sessions=sessions, interviewers=people, loop={"same_day": False, "max_days": 2}))
    assert split.options and len({p.start.date() for p in split.options[0].placements}) == 2


# ------------------------------------------------------------------ people, limits, rooms


def test_pool_count_trainee_and_exclusion() -> None:
    people = [{"id": i, "time_zone": "UTC"} for i in (1, 2, 3, 4, 9)]
    sessions = [
        {
            "id": "s1",
            "duration_minutes": 45,
            "interviewers": {"required": [1], "pool": [2, 3, 4], "count": 3},
            "trainee": {"pool": [9]},
        }
    ]
    result = solve(base(sessions=sessions, interviewers=people, exclude_interviewers=[3], options=2))
    for o in result.options:
        pl = o.placements[0]
        assert sorted(pl.interviewers) == [1, 2, 4] and pl.trainee == 9


def test_trainee_is_optional_when_busy() -> None:
    people = [
        {"id": 1, "time_zone": "UTC"},
        {"id": 9, "time_zone": "UTC", "busy": [{"start": f"{MON}T00:00:00Z", "end": "2026-12-12T00:00:00Z"}]},
    ]
    sessions = [
        {"id": "s1", "duration_minutes": 45, "interviewers": {"required": [1]}, "trainee": {"pool": [9]}}
    ]
    result = solve(base(sessions=sessions, interviewers=people, options=1))
    assert result.options[0].placements[0].trainee is None


def test_daily_limit_counts_existing_interviews_on_the_local_date() -> None:
    # Monday 20:00Z-21:00Z is already Tuesday in Kolkata: the limit bites on Tuesday local, not Monday
    person = {
        "id": 1,
        "time_zone": "Asia/Kolkata",
        "max_per_day": 1,
        "working_hours": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed")},
        "existing_interviews": [{"start": f"{MON}T20:00:00Z", "end": f"{MON}T21:00:00Z"}],
    }
    result = solve(
        base(
            interviewers=[person],
            options=1,
            horizon={"start": f"{MON}T00:00:00Z", "end": "2026-12-10T00:00:00Z"},
        )
    )
    start = result.options[0].start
    assert start == at(f"{MON}T00:00:00Z")  # Monday local (05:30 IST) is free
    person["working_hours"] = {"tue": [["00:00", "24:00"]], "wed": [["00:00", "24:00"]]}
    result = solve(
        base(
            interviewers=[person],
            options=1,
            horizon={"start": f"{MON}T00:00:00Z", "end": "2026-12-10T00:00:00Z"},
        )
    )
    assert result.options[0].start == at("2026-12-08T18:30:00Z")  # Wednesday 00:00 IST


def test_weekly_limit_counts_the_local_iso_week() -> None:
    person: dict[str, Any] = {
        "id": 1,
        "time_zone": "UTC",
        "max_per_week": 1,
        "existing_interviews": [{"start": "2026-12-06T10:00:00Z", "end": "2026-12-06T11:00:00Z"}],
    }
    result = solve(base(interviewers=[person]))
    assert result.options  # Sunday 2026-12-06 belongs to the previous ISO week
    person["existing_interviews"] = [{"start": "2026-12-08T10:00:00Z", "end": "2026-12-08T11:00:00Z"}]
    result = solve(base(interviewers=[person]))
    assert result.status == "infeasible" and "load_limit" in {b.kind for b in result.blockers}


def test_rooms_capacity_and_busy() -> None:
    sessions = [
        {"id": "s1", "duration_minutes": 60, "interviewers": {"required": [1]}, "room": {"required": True}}
    ]
    rooms = [
        {"id": "small", "capacity": 1},
        {"id": "big", "capacity": 4, "busy": [{"start": f"{MON}T09:00:00Z", "end": f"{MON}T12:00:00Z"}]},
    ]
    result = solve(base(sessions=sessions, rooms=rooms, options=1))
    assert result.options[0].start == at(f"{MON}T12:00:00Z") and result.options[0].placements[0].room == "big"
    none = solve(base(sessions=sessions, rooms=rooms[:1]))
    assert none.status == "infeasible" and none.blockers[0].kind == "room"


def test_soft_conflicts_are_avoided_then_counted() -> None:
    soft = {"start": f"{MON}T09:00:00Z", "end": f"{MON}T10:00:00Z", "soft": True}
    person = {"id": 1, "time_zone": "UTC", "busy": [soft], "working_hours": {"mon": [["09:00", "11:00"]]}}
    result = solve(base(interviewers=[person], options=2))
    assert result.options[0].start == at(f"{MON}T10:00:00Z") and result.options[0].score.soft_conflicts == 0
    assert result.options[1].score.soft_conflicts == 1  # the only other start touches the soft block


def test_pinned_parts_are_kept() -> None:
    people = [{"id": i, "time_zone": "UTC"} for i in (1, 2, 3)]
    sessions = [
        {
            "id": "s1",
            "duration_minutes": 60,
            "interviewers": {"pool": [1, 2, 3], "count": 1},
            "room": {"required": True},
            "pinned": {"start": f"{MON}T14:00:00Z", "interviewers": [3], "room": "b"},
        }
    ]
    rooms = [{"id": "a", "capacity": 5}, {"id": "b", "capacity": 5}]
    result = solve(base(sessions=sessions, interviewers=people, rooms=rooms))
    assert len(result.options) == 1
    pl = result.options[0].placements[0]
    assert (pl.start, pl.interviewers, pl.room) == (at(f"{MON}T14:00:00Z"), [3], "b")


def test_balanced_prefers_the_less_loaded_interviewer() -> None:
    busy_day = [{"start": f"2026-12-0{d}T10:00:00Z", "end": f"2026-12-0{d}T11:00:00Z"} for d in (1, 2, 3)]
    people = [{"id": 1, "time_zone": "UTC", "existing_interviews": busy_day}, {"id": 2, "time_zone": "UTC"}]
    sessions = [{"id": "s1", "duration_minutes": 60, "interviewers": {"pool": [1, 2], "count": 1}}]
    result = solve(base(sessions=sessions, interviewers=people, objective="balanced", options=3))
    assert all(o.placements[0].interviewers == [2] for o in result.options)
    assert result.options[0].score.max_interviewer_load == 1


# ------------------------------------------------------------------ top-K and blockers


def test_options_spread_over_days() -> None:
    result = solve(base(options=3))
    assert len({o.start.date() for o in result.options}) == 3


def test_fewer_options_than_asked_are_explained() -> None:
    person = {"id": 1, "time_zone": "UTC", "working_hours": {"mon": [["09:00", "10:30"]]}}
    result = solve(base(interviewers=[person], options=5))
    assert len(result.options) == 3 and result.blockers and result.blockers[0].kind == "fewer_options"


@pytest.mark.parametrize(
    ("patch", "kind"),
    [
        (
            {
                "candidate": {
                    "time_zone": "UTC",
                    "availability": [{"start": "2026-12-07T09:00:00Z", "end": "2026-12-07T09:30:00Z"}],
                }
            },
            "candidate_window",
        ),
        (
            {
                "candidate": {
                    "time_zone": "UTC",
                    "availability": [{"start": "2027-01-04T09:00:00Z", "end": "2027-01-04T17:00:00Z"}],
                }
            },
            "horizon",
        ),
        ({"candidate": {"time_zone": "UTC", "hours": {"start": "18:00", "end": "22:00"}}}, "working_hours"),
        ({"exclude_interviewers": [1]}, "pool_exhausted"),
        (
            {"sessions": [{"id": "s1", "duration_minutes": 60, "interviewers": {"pool": [1], "count": 2}}]},
            "pool_exhausted",
        ),
    ],
)
def test_blockers_name_the_cause(patch: dict[str, Any], kind: str) -> None:
    result = solve(base(**patch))
    assert result.status == "infeasible" and not result.options
    assert kind in {b.kind for b in result.blockers} and all(b.detail for b in result.blockers)


# ------------------------------------------------------------------ validator and greedy


def test_validator_catches_broken_options() -> None:
    problem = Problem.model_validate(loop_problem(max_gap_minutes=0))
    option = plan(problem, options=1).options[0]
    assert validate_option(problem, option) == []

    def rules(mutate: Any) -> set[str]:
        bad = copy.deepcopy(option)
        mutate(bad)
        return {v.rule for v in validate_option(problem, bad)}

    def shift(o: Any, minutes: int) -> None:
        o.placements[0].start += timedelta(minutes=minutes)
        o.placements[0].end += timedelta(minutes=minutes)

    assert "grid" in rules(lambda o: shift(o, 5))
    assert "no_overlap" in rules(
        lambda o: shift(o, 60 * (1 if o.placements[0].start < o.placements[1].start else -1))
    )
    assert "working_hours" in rules(lambda o: shift(o, -12 * 60))
    assert "interviewers" in rules(lambda o: o.placements[0].interviewers.append(2))
    assert "same_day" in rules(lambda o: shift(o, 24 * 60))
    assert "duration" in rules(
        lambda o: setattr(o.placements[0], "end", o.placements[0].end + timedelta(minutes=1))
    )


def test_greedy_misses_what_the_solver_finds() -> None:
    # first-fit gives session A interviewer 1, the only one who can do session B
    people = [{"id": 1, "time_zone": "UTC"}, {"id": 2, "time_zone": "UTC"}]
    sessions = [
        {"id": "A", "duration_minutes": 60, "interviewers": {"pool": [1, 2], "count": 1}},
        {"id": "B", "duration_minutes": 60, "interviewers": {"pool": [1], "count": 1}},
    ]
    problem = Problem.model_validate(base(sessions=sessions, interviewers=people, options=1))
    greedy = greedy_plan(problem)
    solver = plan(problem)
    assert validate(problem, solver) == [] and validate(problem, greedy) == []
    assert solver.options[0].start == at(f"{MON}T09:00:00Z")
    assert not greedy.options or greedy.options[0].score.total >= solver.options[0].score.total
