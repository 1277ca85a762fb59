"""Recruiting events: the neighbourhood search, the proven count bound, and the plan against FCFS."""

from __future__ import annotations

import itertools
import time

from benchmarks.planner import generate_event
from models.events import Event
from planner.event_baseline import fcfs_plan
from planner.event_bound import count_bound, relaxation
from planner.event_model import build_event
from planner.event_plan import _warm_start, solve_event
from planner.event_search import improve, weighted_value
from planner.event_validate import validate_event
from tests.test_planner_events import brute_force, cand, event, weighted


def _high(ev: Event, ids: list[str]) -> int:
    top = max(c.priority for c in ev.candidates)
    return sum(1 for c in ev.candidates if c.id in ids and c.priority == top)


def test_the_search_moves_an_early_loop_to_let_a_second_candidate_in() -> None:
    # FCFS books c1 at 09:00 (its earliest hour), which is the only hour c2 has: one candidate
    data = event([cand("c1"), cand("c2", "09:00", "10:00")])
    data["interviewers"] = data["interviewers"][:1]
    data["sessions"][0]["interviewers"]["pool"] = [1]
    ev = Event.model_validate(data)
    assert len(fcfs_plan(ev).scheduled) == 1
    em = build_event(ev)
    em.model.maximize(em.value)
    start = _warm_start(em, ev, 1, time.perf_counter() + 2)
    assert start is not None and weighted_value(em, start) == 1
    best, stats = improve(em, ev, start, until=time.perf_counter() + 3)
    assert weighted_value(em, best) == 2 and stats.improved >= 1


def test_the_search_never_returns_less_than_it_was_given() -> None:
    ev = generate_event(1, candidates=12)
    em = build_event(ev)
    em.model.maximize(em.value)
    start = _warm_start(em, ev, 1, time.perf_counter() + 3)
    assert start is not None
    best, _ = improve(em, ev, start, until=time.perf_counter() + 1.5)
    assert weighted_value(em, best) >= weighted_value(em, start)


def test_the_count_bound_is_tight_when_one_room_is_the_limit() -> None:
    # five candidates, one room, four hour-long slots: the room's minutes prove four at most
    ev = Event.model_validate(event([cand(f"c{i}") for i in range(5)]))
    em = build_event(ev)
    bound = count_bound(em, at_least=0, time_limit=5)
    assert bound.candidates == 4 and bound.status == "OPTIMAL"
    plan = solve_event(ev, time_limit=5).plan
    assert plan.status == "optimal" and len(plan.scheduled) == plan.stats.bound_candidates == 4


def test_the_count_bound_is_never_below_the_true_optimum() -> None:
    windows = [("09:00", "11:00"), ("10:00", "12:00"), ("09:00", "13:00"), ("12:00", "13:00")]
    for n, shift in itertools.product((3, 4, 5), range(3)):
        cands = [cand(f"c{i}", *windows[(i + shift) % 4]) for i in range(n)]  # one priority: value = count
        data = event(cands)
        data["interviewers"][0]["max_per_day"] = 1 + shift % 2
        data["interviewers"][1]["buffer_minutes"] = 30 * (shift % 2)
        ev = Event.model_validate(data)
        truth = brute_force(ev)
        em = build_event(ev)
        bound = count_bound(em, at_least=truth, time_limit=5)
        assert truth <= bound.candidates <= n, (n, shift)


def test_the_relaxation_drops_only_timing_constraints() -> None:
    ev = generate_event(0, candidates=6)
    em = build_event(ev)
    relaxed = relaxation(em)
    kinds = [
        (ct.has_no_overlap(), ct.has_circuit(), ct.has_linear(), len(ct.enforcement_literal))
        for ct in relaxed.proto.constraints
    ]
    assert em.timing and all(kinds[i] == (False, False, False, 0) for i in em.timing)
    untouched = set(range(len(kinds))) - set(em.timing)
    assert all(str(relaxed.proto.constraints[i]) == str(em.model.proto.constraints[i]) for i in untouched)


def test_generated_events_beat_or_match_fcfs_with_a_proven_bound() -> None:
    for seed in range(2):
        ev = generate_event(seed, candidates=12)
        plan = solve_event(ev, time_limit=5, explain=False).plan
        baseline = fcfs_plan(ev)
        assert validate_event(ev, plan) == []
        assert weighted(ev, plan) >= weighted(ev, baseline)
        ids = [s.candidate for s in plan.scheduled]
        assert _high(ev, ids) >= _high(ev, [s.candidate for s in baseline.scheduled])
        assert len(plan.scheduled) <= plan.stats.bound_candidates <= len(ev.candidates)
        assert (plan.status == "optimal") <= (plan.stats.bound_candidates == len(plan.scheduled))


def test_a_benchmark_sized_event_schedules_more_than_fcfs_within_its_time_limit() -> None:
    ev = generate_event(3)  # FCFS: 18 of 30, 6 of the 9 high-priority candidates
    began = time.perf_counter()
    plan = solve_event(ev, time_limit=8).plan
    wall = time.perf_counter() - began
    baseline = fcfs_plan(ev)
    assert wall <= 8.0, f"{wall:.2f} s for an 8 s limit"
    assert validate_event(ev, plan) == []
    assert weighted(ev, plan) > weighted(ev, baseline)
    assert len(plan.scheduled) >= len(baseline.scheduled)
    assert len(plan.scheduled) <= plan.stats.bound_candidates < len(ev.candidates)
    assert all(u.blockers for u in plan.unscheduled)
