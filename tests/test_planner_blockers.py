"""Blockers named by the solver and the relaxations that fix them, one test per blocker kind.

Each test builds a problem with one known cause, checks that the cause is named (and, where the
cause is alone, that nothing else is), and applies every reported relaxation to check that the
planner then finds valid options: a relaxation is a promise to a recruiter.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any, get_args

import pytest

from models.scheduling import Plan, Problem, RelaxationChange
from planner.patch import PatchError, apply_patch
from planner.search import plan
from planner.validate import validate

MON = "2027-03-22"  # a Monday
WED = "2027-03-24"
NAMES = {101: "Priya Shah", 102: "Tom Berg", 103: "Ana Ruiz", 104: "Li Wei", 105: "Sam Cole", 106: "Jo Park"}


def person(pid: int, **over: Any) -> dict[str, Any]:
    return {"id": pid, "time_zone": "America/New_York", **over}


def loop_problem(**over: Any) -> dict[str, Any]:
    """A 4-hour loop of five sessions (one interviewer each, pools of two) and six free interviewers."""
    lengths = [
        ("Coding", 60),
        ("System Design", 60),
        ("Behavioural", 45),
        ("Culture", 30),
        ("Hiring manager", 45),
    ]
    data: dict[str, Any] = {
        "horizon": {"start": f"{MON}T00:00:00Z", "end": "2027-03-27T00:00:00Z"},
        "candidate": {"time_zone": "America/New_York"},
        "loop": {"max_gap_minutes": 15},
        "sessions": [
            {
                "id": f"s{i}",
                "name": name,
                "duration_minutes": minutes,
                "interviewers": {"pool": [101 + i, 102 + (i + 1) % 5], "count": 1},
            }
            for i, (name, minutes) in enumerate(lengths)
        ],
        "interviewers": [person(pid) for pid in range(101, 107)],
    }
    data.update(over)
    return data


def run(data: dict[str, Any], **kw: Any) -> tuple[Problem, Plan]:
    problem = Problem.model_validate(data)
    result = plan(problem, time_limit=5, names=NAMES, **kw)
    assert validate(problem, result) == []
    return problem, result


def kinds(result: Plan) -> set[str]:
    return {b.kind for b in result.blockers}


def assert_relaxations_work(problem: Problem, result: Plan) -> None:
    """Every relaxation, applied, yields at least `options_found` valid options."""
    for blocker in result.blockers:
        for relaxation in blocker.relaxations:
            patched = apply_patch(problem, relaxation.patch)
            again = plan(patched, time_limit=5, explain_blockers=False)
            assert len(again.options) >= relaxation.options_found >= 1, relaxation
            assert validate(patched, again) == []


def window(day: str, start: str, end: str) -> dict[str, str]:
    return {"start": f"{day}T{start}:00Z", "end": f"{day}T{end}:00Z"}


# ------------------------------------------------------------------ the issue's instance


def test_short_candidate_window_is_named_not_the_pool() -> None:
    # 90 minutes offered on Wednesday (10:00-11:30 New York), a 4-hour loop, plenty of interviewers
    data = loop_problem(
        candidate={"time_zone": "America/New_York", "availability": [window(WED, "14:00", "15:30")]}
    )
    problem, result = run(data)
    assert result.status == "infeasible"
    assert [b.kind for b in result.blockers] == ["candidate_window"]
    blocker = result.blockers[0]
    assert "1 h 30 min" in blocker.detail and "4 h 00 min" in blocker.detail
    first = blocker.relaxations[0]
    assert first.change == "extend_candidate_window"
    assert first.detail.startswith("ask the candidate for 2 h 30 min more on Wed 24 Mar")
    assert first.patch["candidate.availability"][0]["start"] <= "2027-03-24T14:00:00Z"
    assert_relaxations_work(problem, result)


def test_no_blockers_when_options_exist() -> None:
    _, result = run(loop_problem(options=2))
    assert len(result.options) == 2 and result.blockers == []


# ------------------------------------------------------------------ one test per kind


def test_pool_exhausted_names_who_to_add() -> None:
    # System Design draws only from Tom Berg and Ana Ruiz, both busy all week; Priya Shah is free
    busy_week = [{"start": f"{MON}T00:00:00Z", "end": "2027-04-30T00:00:00Z"}]  # past the horizon too
    people = [person(pid, busy=busy_week if pid in (102, 103) else []) for pid in range(101, 107)]
    sessions = loop_problem()["sessions"]
    sessions[1]["interviewers"] = {"pool": [102, 103], "count": 1}
    sessions[0]["interviewers"] = {"pool": [104], "count": 1}
    sessions[2]["interviewers"] = {"pool": [105], "count": 1}
    sessions[3]["interviewers"] = {"pool": [106], "count": 1}
    sessions[4]["interviewers"] = {"pool": [101], "count": 1}
    sessions[4]["duration_minutes"] = 30
    extra = person(107)
    problem, result = run(loop_problem(sessions=sessions, interviewers=[*people, extra]))
    assert result.status == "infeasible"
    assert [(b.kind, b.session) for b in result.blockers] == [("pool_exhausted", "s1")]
    details = [r.detail for r in result.blockers[0].relaxations]
    assert details and all(r.change == "add_interviewer" for r in result.blockers[0].relaxations)
    assert details[0] == "add interviewer 107 to the System Design pool"
    assert_relaxations_work(problem, result)


def test_add_interviewer_uses_names_and_never_someone_needed_elsewhere() -> None:
    busy_week = [{"start": f"{MON}T00:00:00Z", "end": "2027-04-30T00:00:00Z"}]  # past the horizon too
    people = [person(101), person(102, busy=busy_week), person(103)]
    sessions = [
        {"id": "a", "name": "Coding", "duration_minutes": 60, "interviewers": {"required": [101]}},
        {
            "id": "b",
            "name": "System Design",
            "duration_minutes": 60,
            "interviewers": {"pool": [102], "count": 1},
        },
    ]
    problem, result = run(loop_problem(sessions=sessions, interviewers=people))
    relaxations = result.blockers[0].relaxations
    # Priya Shah (101) sits in Coding: only Ana Ruiz (103) can join System Design
    assert [r.detail for r in relaxations] == ["add Ana Ruiz to the System Design pool"]
    assert relaxations[0].patch == {"sessions.1.interviewers.pool": [102, 103]}
    assert_relaxations_work(problem, result)


def test_horizon_too_short() -> None:
    data = loop_problem(
        horizon={"start": f"{MON}T00:00:00Z", "end": f"{MON}T12:00:00Z"},
        candidate={"time_zone": "America/New_York", "availability": [window("2027-03-23", "13:00", "22:00")]},
    )
    problem, result = run(data)
    assert "horizon" in kinds(result)
    horizon = next(b for b in result.blockers if b.kind == "horizon")
    assert "outside the scheduling horizon" in horizon.detail
    fix = horizon.relaxations[0]
    assert fix.change == "extend_horizon" and fix.patch["horizon.end"] == "2027-03-24T04:00:00Z"
    assert_relaxations_work(problem, result)


def test_working_hours_against_the_candidates_hours() -> None:
    # the candidate takes calls 18:00-22:00 New York; the interviewers work 09:00-17:00
    data = loop_problem(
        candidate={"time_zone": "America/New_York", "hours": {"start": "18:00", "end": "22:00"}}
    )
    problem, result = run(data)
    assert kinds(result) >= {"candidate_window", "working_hours"}
    window_fix = next(b for b in result.blockers if b.kind == "candidate_window").relaxations[0]
    assert window_fix.change == "extend_candidate_window" and "candidate.hours" in window_fix.patch
    assert_relaxations_work(problem, result)


def test_load_limit_raised_by_one() -> None:
    # one interview on every local date from before the horizon to well after it
    days = [date(2027, 3, 21) + timedelta(days=n) for n in range(40)]
    existing = [{"start": f"{d}T20:00:00Z", "end": f"{d}T20:30:00Z"} for d in days]
    people = [person(101, max_per_day=1, existing_interviews=existing), person(102)]
    sessions = [
        {"id": "a", "name": "Coding", "duration_minutes": 60, "interviewers": {"required": [101]}},
        {"id": "b", "name": "Culture", "duration_minutes": 30, "interviewers": {"required": [102]}},
    ]
    problem, result = run(loop_problem(sessions=sessions, interviewers=people))
    assert [b.kind for b in result.blockers] == ["load_limit"]
    fix = result.blockers[0].relaxations[0]
    assert (fix.change, fix.patch) == ("raise_limit", {"interviewers.0.max_per_day": 2})
    assert fix.detail == "raise Priya Shah's daily interview limit from 1 to 2"
    assert_relaxations_work(problem, result)


def test_room_booked_all_week() -> None:
    sessions = loop_problem()["sessions"]
    sessions[2]["room"] = {"required": True}
    rooms = [
        {"id": "r1", "capacity": 4, "busy": [{"start": f"{MON}T00:00:00Z", "end": "2027-04-05T00:00:00Z"}]}
    ]
    problem, result = run(loop_problem(sessions=sessions, rooms=rooms))
    assert [(b.kind, b.session) for b in result.blockers] == [("room", "s2")]
    fix = result.blockers[0].relaxations[0]
    assert fix.change == "drop_room" and fix.patch == {"sessions.2.room.required": False}
    assert_relaxations_work(problem, result)


def test_same_day_split_over_two_days() -> None:
    hours = {101: {"mon": [["09:00", "10:00"]]}, 102: {"tue": [["09:00", "10:00"]]}}
    people = [person(pid, working_hours=h) for pid, h in hours.items()]
    sessions = [
        {"id": "a", "duration_minutes": 60, "interviewers": {"required": [101]}},
        {"id": "b", "duration_minutes": 60, "interviewers": {"required": [102]}},
    ]
    problem, result = run(loop_problem(sessions=sessions, interviewers=people))
    assert "same_day" in kinds(result)
    fix = next(b for b in result.blockers if b.kind == "same_day").relaxations[0]
    assert fix.change == "allow_multi_day" and fix.patch == {"loop.same_day": False, "loop.max_days": 2}
    assert_relaxations_work(problem, result)


def test_gaps_widened_to_the_smallest_break_that_works() -> None:
    hours = {101: {"mon": [["09:00", "10:00"]]}, 102: {"mon": [["11:00", "12:00"]]}}
    people = [person(pid, working_hours=h) for pid, h in hours.items()]
    sessions = [
        {"id": "a", "duration_minutes": 60, "interviewers": {"required": [101]}},
        {"id": "b", "duration_minutes": 60, "interviewers": {"required": [102]}},
    ]
    problem, result = run(loop_problem(sessions=sessions, interviewers=people, loop={"max_gap_minutes": 15}))
    assert "loop_gaps" in kinds(result)
    fix = next(b for b in result.blockers if b.kind == "loop_gaps").relaxations[0]
    assert fix.change == "widen_gap" and fix.patch == {"loop.max_gap_minutes": 60}
    assert_relaxations_work(problem, result)


def test_required_interviewer_busy() -> None:
    busy = [{"start": f"{MON}T00:00:00Z", "end": "2027-04-05T00:00:00Z"}]
    people = [person(101, busy=busy), person(102)]
    sessions = [{"id": "a", "name": "Coding", "duration_minutes": 60, "interviewers": {"required": [101]}}]
    _, result = run(loop_problem(sessions=sessions, interviewers=people))
    assert [b.kind for b in result.blockers] == ["interviewer_busy"]
    assert "Priya Shah" in result.blockers[0].detail and result.blockers[0].relaxations == []


def test_pinned_start_outside_the_candidates_window() -> None:
    sessions = [
        {
            "id": "a",
            "duration_minutes": 60,
            "interviewers": {"required": [101]},
            "pinned": {"start": f"{MON}T14:00:00Z"},
        }
    ]
    data = loop_problem(
        sessions=sessions,
        interviewers=[person(101)],
        candidate={"time_zone": "America/New_York", "availability": [window(WED, "14:00", "18:00")]},
    )
    _, result = run(data)
    assert kinds(result) == {"pinned", "candidate_window"}


def test_two_independent_causes_are_both_named_and_fixed_together() -> None:
    busy_week = [{"start": f"{MON}T00:00:00Z", "end": "2027-04-30T00:00:00Z"}]  # past the horizon too
    people = [person(101), person(102, busy=busy_week), person(103)]
    sessions = [
        {"id": "a", "name": "Coding", "duration_minutes": 60, "interviewers": {"required": [101]}},
        {"id": "b", "name": "Design", "duration_minutes": 60, "interviewers": {"pool": [102], "count": 1}},
    ]
    data = loop_problem(
        sessions=sessions,
        interviewers=people,
        candidate={"time_zone": "America/New_York", "availability": [window(WED, "14:00", "15:00")]},
    )
    problem, result = run(data)
    assert kinds(result) == {"candidate_window", "pool_exhausted"}
    fixes = [r for b in result.blockers for r in b.relaxations]
    assert fixes and all("together with" in r.detail for r in fixes)
    assert_relaxations_work(problem, result)


def test_one_person_required_twice_is_a_fixed_conflict() -> None:
    sessions = [
        {"id": "a", "duration_minutes": 30, "interviewers": {"required": [101]}},
        {"id": "b", "duration_minutes": 30, "interviewers": {"required": [101]}},
    ]
    _, result = run(loop_problem(sessions=sessions, interviewers=[person(101)]))
    assert result.status == "infeasible"
    assert [b.kind for b in result.blockers] == ["pool_exhausted"] and "[101]" in result.blockers[0].detail


def test_explanation_is_fast_on_the_issue_instance() -> None:
    data = loop_problem(
        candidate={"time_zone": "America/New_York", "availability": [window(WED, "14:00", "15:30")]}
    )
    _, result = run(data)
    assert result.stats.explain_ms < 2500  # EXPLAIN_SECONDS plus one verification's overrun


# ------------------------------------------------------------------ contract


def test_plan_json_carries_relaxations_per_the_contract() -> None:
    data = loop_problem(
        candidate={"time_zone": "America/New_York", "availability": [window(WED, "14:00", "15:30")]}
    )
    problem, result = run(data)
    doc = json.loads(result.model_dump_json())
    assert doc["format"] == "hireflow.plan/v1" and doc["status"] == "infeasible" and doc["options"] == []
    blocker = doc["blockers"][0]
    assert set(blocker) == {"kind", "session", "detail", "relaxations"}
    for relaxation in blocker["relaxations"]:
        assert set(relaxation) == {"change", "detail", "patch", "options_found"}
        assert relaxation["change"] in get_args(RelaxationChange)
        assert isinstance(relaxation["options_found"], int) and relaxation["options_found"] >= 1
        assert all(isinstance(path, str) and path for path in relaxation["patch"])
        assert plan(apply_patch(problem, relaxation["patch"]), explain_blockers=False).options
    assert Plan.model_validate(doc) == result  # the JSON reads back as the same plan
    old = {"kind": "candidate_window", "detail": "before relaxations existed"}
    assert Plan.model_validate({"status": "infeasible", "blockers": [old]}).blockers[0].relaxations == []


@pytest.mark.parametrize(
    "patch",
    [
        {"sessions.9.interviewers.pool": [1]},
        {"loop.max_days.deeper": 2},
        {"nonsense": 1},
        {"loop.max_gap_minutes": -5},
        {"sessions.x.room.required": True},
    ],
)
def test_bad_patches_are_refused(patch: dict[str, Any]) -> None:
    with pytest.raises(PatchError):
        apply_patch(Problem.model_validate(loop_problem()), patch)
