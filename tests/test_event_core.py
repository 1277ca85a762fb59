"""EventCore on its own (pure, milliseconds): the table, the docs' diagram, and every event in any order.

The property test drives the core with random outcomes, answers, loop reports, cancels and timers, in any
order, with `strict=True` (a move the table does not list raises) and checks the invariants after each step.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.event_io import (
    AvailabilityInput,
    EventApplicationsResult,
    EventCancelInput,
    EventRequest,
    LoopUpdateInput,
    RunningRequestsResult,
)
from models.event_io import EventCandidateState as C
from models.event_io import EventState as E
from models.events import EventPlan, EventStats, ScheduledCandidate, UnscheduledCandidate
from models.scheduling import Blocker, Interval, Placement
from tests.support.fake_scheduling import CONTEXT
from workflows.event_core import EventCommand, EventCommandKind, EventCore, EventOutcome
from workflows.event_core.table import mermaid

DAY = date(2031, 3, 24)
START = datetime(2031, 3, 10, 9, tzinfo=UTC)
APPS = [1, 2, 3, 4]


def test_the_docs_diagram_is_the_table() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "workflows.md").read_text()
    found = re.search(
        r"<!-- event-diagram:begin -->\n```mermaid\n(.*?)\n```\n<!-- event-diagram:end -->", text, re.S
    )
    assert found and found.group(1) == mermaid(), (
        "paste workflows/event_core/table.mermaid() into docs/workflows.md"
    )


def _core() -> EventCore:
    request = EventRequest(job_id=301, job_interview_stage_id=201, days=[DAY], time_zone="Europe/London")
    core = EventCore(request, "event-301-201-20310324", chain_id="chain", strict=True)
    core.start(START)
    return core


def _plan(candidates: list[int], fits: int) -> EventPlan:
    day = datetime(2031, 3, 24, 9, tzinfo=UTC)
    scheduled = [
        ScheduledCandidate(
            candidate=str(app),
            placements=[
                Placement(
                    session="s1",
                    start=day + timedelta(hours=n),
                    end=day + timedelta(hours=n + 1),
                    interviewers=[21],
                )
            ],
        )
        for n, app in enumerate(candidates[:fits])
    ]
    unscheduled = [
        UnscheduledCandidate(candidate=str(app), blockers=[Blocker(kind="pool_exhausted", detail="full")])
        for app in candidates[fits:]
    ]
    return EventPlan(
        status="feasible",
        scheduled=scheduled,
        unscheduled=unscheduled,
        stats=EventStats(bound_candidates=fits),
    )


def _whole_day(core: EventCore) -> list[Interval]:
    return [Interval(start=d.start, end=d.end) for d in core.days]


def _gathered_core() -> EventCore:
    core = _core()
    (listing,) = core.take_commands()
    core.complete(listing, EventOutcome.success(EventApplicationsResult(application_ids=APPS)), START)
    for command in core.take_commands():
        app = command.application_id or 0
        context = CONTEXT.model_copy(update={"application_id": app, "candidate_id": app + 100})
        core.complete(command, EventOutcome.success(context), START)
    (running,) = core.take_commands()
    assert running.kind == EventCommandKind.FIND_RUNNING and running.input.application_ids == APPS
    core.complete(running, EventOutcome.success(RunningRequestsResult()), START)
    return core


def test_answers_then_one_plan_then_loops_then_a_refill_around_the_kept_loops() -> None:
    core = _gathered_core()
    assert core.state == E.COLLECTING
    emails = core.take_commands()
    assert sorted(c.application_id or 0 for c in emails) == APPS
    for command in emails:
        core.complete(command, EventOutcome.success(), START)
    for app in APPS:
        core.answer(AvailabilityInput(application_id=app, windows=_whole_day(core)), START)
    assert core.state == E.PLANNING
    (plan,) = core.take_commands()
    assert [c.application_id for c in plan.input.candidates] == APPS and plan.input.reserved == []
    core.complete(plan, EventOutcome.success(_plan(APPS, 2)), START)
    assert core.state == E.BOOKING
    starts = [c for c in core.take_commands() if c.kind == EventCommandKind.START_LOOP]
    assert [c.application_id for c in starts] == [1, 2]
    assert starts[0].input.event_slot.placements == core.invitees[1].placements
    for command in starts:
        core.complete(command, EventOutcome.success(), START)
    assert core.state == E.RUNNING
    core.loop_update(LoopUpdateInput(application_id=1, state="booked"), START)
    core.loop_update(LoopUpdateInput(application_id=2, state="cancelled", detail="by candidate"), START)
    core.loop_update(LoopUpdateInput(application_id=2, state="booked"), START)  # late, out of order: ignored
    assert core.invitees[2].state == C.CANCELLED
    assert core.state == E.PLANNING
    (replan,) = core.take_commands()
    assert [c.application_id for c in replan.input.candidates] == [3, 4]
    assert replan.input.reserved == core.invitees[1].placements


def test_an_event_cancelled_while_loops_are_starting_cancels_them_too() -> None:
    core = _gathered_core()
    for command in core.take_commands():
        core.complete(command, EventOutcome.success(), START)
    for app in APPS:
        core.answer(AvailabilityInput(application_id=app, windows=_whole_day(core)), START)
    (plan,) = core.take_commands()
    core.complete(plan, EventOutcome.success(_plan(APPS, 3)), START)
    starts = [c for c in core.take_commands() if c.kind == EventCommandKind.START_LOOP]
    core.complete(starts[0], EventOutcome.success(), START)
    core.cancel(EventCancelInput(reason="office closed"), START)  # two starts still in flight
    for command in starts[1:]:
        core.complete(command, EventOutcome.success(), START)
    cancels = {c.application_id for c in core.take_commands() if c.kind == EventCommandKind.CANCEL_LOOP}
    assert cancels == {1, 2, 3}
    assert core.state == E.CANCELLED


def _result(command: EventCommand, fits: int) -> object:
    """What the activity would answer."""
    if command.kind == EventCommandKind.LIST:
        return EventApplicationsResult(application_ids=APPS)
    if command.kind == EventCommandKind.GATHER:
        app = command.application_id or 0
        return CONTEXT.model_copy(update={"application_id": app, "candidate_id": app + 100})
    if command.kind == EventCommandKind.PLAN:
        return _plan([c.application_id for c in command.input.candidates], fits)
    if command.kind == EventCommandKind.FIND_RUNNING:
        return RunningRequestsResult(application_ids=command.input.application_ids[:1])
    return None


def _check_invariants(core: EventCore) -> None:
    """No loop planned twice; a live event always waits with a deadline; no loop starts after a cancel."""
    live = [i for i in core.invitees.values() if i.state in (C.SCHEDULED, C.BOOKED, C.HANDED_OVER)]
    assert len({i.application_id for i in live}) == len(live)
    if not core.terminal:
        assert core.deadline() is not None
    if core.state == E.CANCELLED:
        assert not any(c.kind == EventCommandKind.START_LOOP for c in core.queue)


EVENTS = st.one_of(
    st.tuples(st.just("complete"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("answer"), st.sampled_from([*APPS, 99]), st.booleans()),
    st.tuples(
        st.just("loop"),
        st.sampled_from(APPS),
        st.sampled_from(["booked", "handed_over", "cancelled", "completed"]),
    ),
    st.tuples(st.just("cancel"), st.just(0), st.just(False)),
    st.tuples(st.just("timer"), st.integers(0, 30 * 24), st.just(False)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EVENTS, max_size=60), st.integers(0, 4))
def test_any_order_of_events_keeps_the_invariants(steps: list[tuple[str, int, object]], fits: int) -> None:
    core = _core()
    now = START
    inflight = []
    started: set[int] = set()
    for kind, n, flag in steps:
        taken = core.take_commands()
        for command in taken:  # a loop is only ever cancelled after its start was confirmed
            if command.kind == EventCommandKind.CANCEL_LOOP:
                assert command.application_id in started
        inflight += taken
        if kind == "complete" and inflight:
            command = inflight.pop(n % len(inflight))
            outcome = (
                EventOutcome.success(_result(command, fits)) if flag else EventOutcome.failure("Boom", "down")
            )
            if flag and command.kind == EventCommandKind.START_LOOP:
                started.add(command.application_id or 0)
            core.complete(command, outcome, now)
        elif kind == "answer":
            core.answer(AvailabilityInput(application_id=n, windows=_whole_day(core) if flag else []), now)
        elif kind == "loop":
            core.loop_update(LoopUpdateInput(application_id=n, state=flag), now)
        elif kind == "cancel":
            core.cancel(EventCancelInput(), now)
        elif kind == "timer":
            now = max(now, START + timedelta(hours=n))
            core.timer(now)
        _check_invariants(core)
    # Everything queued can run out: a finished core has nothing left.
    for _ in range(200):
        inflight += core.take_commands()
        if not inflight:
            break
        command = inflight.pop(0)
        core.complete(command, EventOutcome.failure("Boom", "down"), now)
    assert not core.queue and not core.inflight


def test_the_same_times_again_plan_nothing_new_and_changes_of_mind_are_capped() -> None:
    core = _gathered_core()
    for command in core.take_commands():
        core.complete(command, EventOutcome.success(), START)
    for app in APPS[1:]:
        core.answer(AvailabilityInput(application_id=app, windows=[]), START)
    first = core.answer(AvailabilityInput(application_id=1, windows=_whole_day(core), request_id="a"), START)
    assert first.outcome == "recorded" and core.state == E.PLANNING
    (plan,) = core.take_commands()
    core.complete(plan, EventOutcome.success(_plan([1], 0)), START)  # nobody fits: 1 is waitlisted
    assert core.state == E.RUNNING and core.invitees[1].state == C.UNSCHEDULED
    assert [c.kind for c in core.take_commands()] == [
        EventCommandKind.NOTE
    ]  # why they wait, on their profile
    same = core.answer(AvailabilityInput(application_id=1, windows=_whole_day(core), request_id="b"), START)
    assert same.message == "Thank you: those are the times we already have." and core.state == E.RUNNING
    assert not core.take_commands()
    morning = [Interval(start=core.days[0].start, end=core.days[0].start + timedelta(hours=3))]
    for n in range(20):
        window = morning if n % 2 else _whole_day(core)
        result = core.answer(AvailabilityInput(application_id=1, windows=window, request_id=f"c{n}"), START)
        for command in core.take_commands():
            core.complete(command, EventOutcome.success(_plan([1], 0)), START)
    assert result.outcome == "refused" and "many times" in result.message
    assert core.invitees[1].answers == 10


def test_greenhouse_down_for_every_application_escalates_and_lists_again_later() -> None:
    core = _core()
    (listing,) = core.take_commands()
    core.complete(listing, EventOutcome.success(EventApplicationsResult(application_ids=APPS)), START)
    for command in core.take_commands():
        core.complete(command, EventOutcome.failure("RetryBudgetExhausted", "503 for 2 h"), START)
    assert core.state == E.ESCALATED and "503" in core.escalation
    deadline = core.deadline()
    assert deadline is not None and deadline[0] == START + timedelta(hours=1)
    core.timer(START + timedelta(hours=1))
    assert core.state == E.GATHERING
    (again,) = core.take_commands()
    assert again.kind == EventCommandKind.LIST


def test_a_list_failure_is_retried_hourly_not_left_until_the_day() -> None:
    core = _core()
    (listing,) = core.take_commands()
    core.complete(listing, EventOutcome.failure("HarvestServerError", "500"), START)
    assert core.state == E.ESCALATED
    assert core.deadline() == (START + timedelta(hours=1), "try again")


def test_an_answer_deadline_after_the_first_day_ends_with_the_first_days_start() -> None:
    late = datetime(2031, 4, 30, tzinfo=UTC)
    request = EventRequest(job_id=301, job_interview_stage_id=201, days=[DAY], answer_by=late)
    core = EventCore(request, "event-x", strict=True)
    core.start(START)
    assert core.answer_by == core.days[0].start


def test_a_candidate_whose_request_is_already_running_is_not_asked() -> None:
    core = _core()
    (listing,) = core.take_commands()
    core.complete(listing, EventOutcome.success(EventApplicationsResult(application_ids=APPS)), START)
    for command in core.take_commands():
        app = command.application_id or 0
        core.complete(
            command, EventOutcome.success(CONTEXT.model_copy(update={"application_id": app})), START
        )
    (running,) = core.take_commands()
    core.complete(running, EventOutcome.success(RunningRequestsResult(application_ids=[2])), START)
    assert core.invitees[2].state == C.EXCLUDED and "already running" in core.invitees[2].reason
    emails = core.take_commands()
    assert sorted(c.application_id or 0 for c in emails) == [1, 3, 4]
