"""The event is built by the single-loop rules, so the loops it plans pass their request's re-check.

Pure tests of `planner.event_inputs` plus one through the real event planner and the single-loop
validator: every loop an event plans is a valid option of the single-loop problem its request re-checks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.event_io import PlanEventCandidate, PlanEventInput
from models.messages import SchedulingPolicy
from models.org_config import OrgSettings
from models.scheduling import Interval, LocalHours, Option, Score
from planner.event_inputs import candidate_windows, event_days, event_from
from planner.event_plan import plan_event
from planner.problem_builder import Busy, CandidateDay, RequestInputs, build_problem
from planner.validate import validate_option
from tests.support.fake_scheduling import CONTEXT

DAY = Interval(start=datetime(2031, 3, 24, 8, tzinfo=UTC), end=datetime(2031, 3, 24, 18, tzinfo=UTC))


def test_a_candidate_day_is_their_hours_cut_to_their_answer() -> None:
    los_angeles = CandidateDay("America/Los_Angeles", LocalHours(start="08:00", end="18:00"))
    whole = candidate_windows(PlanEventCandidate(application_id=1), los_angeles, [DAY])
    # 08:00 in Los Angeles is 15:00 UTC in March (PDT): only 15:00-18:00 UTC of the day is theirs.
    assert whole == [Interval(start=datetime(2031, 3, 24, 15, tzinfo=UTC), end=DAY.end)]
    answer = [Interval(start=datetime(2031, 3, 24, 9, tzinfo=UTC), end=datetime(2031, 3, 24, 16, tzinfo=UTC))]
    cut = candidate_windows(PlanEventCandidate(application_id=1, windows=answer), los_angeles, [DAY])
    assert cut == [
        Interval(start=datetime(2031, 3, 24, 15, tzinfo=UTC), end=datetime(2031, 3, 24, 16, tzinfo=UTC))
    ]
    office = CandidateDay("Europe/London", LocalHours(start="09:00", end="17:00"))
    assert candidate_windows(PlanEventCandidate(application_id=1), office, [DAY]) == [
        Interval(start=datetime(2031, 3, 24, 9, tzinfo=UTC), end=datetime(2031, 3, 24, 17, tzinfo=UTC))
    ]


def test_nothing_is_planned_before_the_earliest_start() -> None:
    earliest = datetime(2031, 3, 24, 13, tzinfo=UTC)
    assert event_days([DAY], earliest) == [Interval(start=earliest, end=DAY.end)]
    assert event_days([DAY], DAY.end) == []


def test_every_loop_the_event_plans_passes_the_single_loop_re_check() -> None:
    org = OrgSettings(min_notice_hours=0, candidate_hours_start="08:00", candidate_hours_end="18:00")
    now = datetime(2031, 3, 20, 9, tzinfo=UTC)
    policy = SchedulingPolicy(mode="video", horizon_days=10, options=1)
    inputs = RequestInputs(org=org, people={}, busy={f"i{u}@acme.example": Busy() for u in range(20, 26)})
    context = CONTEXT.model_copy(
        update={"people": [p.model_copy(update={"time_zone": "Europe/London"}) for p in CONTEXT.people]}
    )
    problem = build_problem(context, policy, inputs, window_start=now, options=1)
    candidates = [
        PlanEventCandidate(application_id=n, time_zone=zone)
        for n, zone in enumerate(
            ["Europe/London", "America/New_York", "Europe/Berlin", "Asia/Tokyo"], start=1
        )
    ]
    request = PlanEventInput(
        workflow_id="event-x", days=[DAY], mode="video", context=context, candidates=candidates
    )
    day_of = {
        c.application_id: CandidateDay(c.time_zone, LocalHours(start="08:00", end="18:00"))
        for c in candidates
    }
    plan = plan_event(event_from(request, problem, day_of, now), time_limit=5)
    assert plan.scheduled
    for scheduled in plan.scheduled:
        candidate = next(c for c in candidates if str(c.application_id) == scheduled.candidate)
        single = build_problem(
            context.model_copy(update={"candidate_time_zone": candidate.time_zone}),
            policy,
            inputs,
            window_start=now,
            candidate_windows=[DAY],
            widen=True,
            options=1,
        )
        option = Option(
            rank=1,
            start=min(p.start for p in scheduled.placements),
            end=max(p.end for p in scheduled.placements),
            placements=scheduled.placements,
            score=Score(total=0),
        )
        violations = [str(v) for v in validate_option(single, option) if v.rule != "score"]
        assert not violations, (candidate.time_zone, violations)
    assert all(timedelta(0) < p.end - p.start for s in plan.scheduled for p in s.placements)
