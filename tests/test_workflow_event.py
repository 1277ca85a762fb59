"""EventWorkflow on the time-skipping server: invitations, answers, one plan for everyone, loops booked by
child SchedulingWorkflows through the single-loop saga, a cancellation refilled from the waitlist, an
outage of the planner longer than its retry budget, a worker replaced mid-event, a recruiter's cancel.

The activities are in-memory fakes that honour their contracts (tests/support/fake_scheduling.py for
the scheduling saga); the event planner itself is tested in tests/test_planner_events.py.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.event_io import (
    AvailabilityInput,
    EventApplicationsResult,
    EventCancelInput,
    EventPolicy,
    EventRequest,
    EventStatus,
    RunningRequestsResult,
    event_workflow_id,
)
from models.event_io import EventCandidateState as C
from models.event_io import EventState as E
from models.failure_policy import FailurePolicy, RetryBudget
from models.messages import (
    CancelInput,
    EventSlot,
    SchedulingPolicy,
    SchedulingRequest,
    SchedulingState,
    TaskQueues,
    scheduling_workflow_id,
)
from models.scheduling import Interval, Placement
from tests.support.fake_events import (
    APPLICATIONS,
    STAGE,
    EventWorld,
    event_activities,
    eventually,
    until_event,
)
from tests.support.fake_scheduling import CONTEXT
from tests.support.histories import recording, save_history
from workflows.event import EventWorkflow
from workflows.scheduling import SchedulingWorkflow


@asynccontextmanager
async def running_worker(
    env: WorkflowEnvironment, world: EventWorld, queue: str, *, cached: bool = True
) -> AsyncIterator[None]:
    """A worker; uncached, it replays each workflow's whole history on every step (a fresh worker each time)."""
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[EventWorkflow, SchedulingWorkflow],
        activities=event_activities(world),
        max_cached_workflows=100 if cached else 0,
    ):
        yield


@pytest_asyncio.fixture
async def harness(
    time_skipping_env: WorkflowEnvironment,
) -> AsyncIterator[tuple[WorkflowEnvironment, EventWorld, str]]:
    world = EventWorld()
    queue = f"event-{uuid.uuid4()}"
    yield time_skipping_env, world, queue


QUICK_FAILURE = FailurePolicy(
    planner=RetryBudget(
        initial=timedelta(seconds=1),
        maximum_interval=timedelta(minutes=1),
        give_up_after=timedelta(minutes=10),
        maximum_attempts=4,
    )
)


def _request(queue: str, *, in_days: int = 14, **policy: Any) -> EventRequest:
    day = (datetime.now(UTC) + timedelta(days=in_days)).date()
    return EventRequest(
        job_id=CONTEXT.job_id,
        job_interview_stage_id=STAGE,
        days=[day],
        time_zone="Europe/London",
        requested_by_user_id=11,
        policy=EventPolicy(failure=QUICK_FAILURE, **policy),
        loop_policy=SchedulingPolicy(rsvp_poll_interval=timedelta(hours=12)),
        queues=TaskQueues(harvest=queue, planner=queue),
    )


async def _start(
    env: WorkflowEnvironment, queue: str, request: EventRequest
) -> WorkflowHandle[Any, EventStatus]:
    return await env.client.start_workflow(
        EventWorkflow.run,
        request,
        id=event_workflow_id(request.job_id, request.job_interview_stage_id, request.days[0]),
        task_queue=queue,
    )


def _states(status: EventStatus) -> dict[int, C]:
    return {c.application_id: c.state for c in status.candidates}


def _window(request: EventRequest, hours: tuple[int, int] = (9, 17)) -> list[Interval]:
    day: date = request.days[0]
    start = datetime(day.year, day.month, day.day, hours[0], tzinfo=UTC)
    return [Interval(start=start, end=start.replace(hour=hours[1]))]


async def _refused(handle: WorkflowHandle[Any, EventStatus], answer: AvailabilityInput) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(EventWorkflow.submit_availability, answer)
    return str(refused.value.cause)


async def _answer_all(
    handle: WorkflowHandle[Any, EventStatus], request: EventRequest, apps: list[int]
) -> None:
    for app in apps:
        result = await handle.execute_update(
            EventWorkflow.submit_availability,
            AvailabilityInput(application_id=app, windows=_window(request), request_id=f"form-{app}"),
        )
        assert result.outcome == "recorded", result.message


async def test_an_event_invites_plans_books_and_refills_a_cancelled_place_from_the_waitlist(
    harness: tuple[WorkflowEnvironment, EventWorld, str],
) -> None:
    env, world, queue = harness
    request = _request(queue)
    async with running_worker(env, world, queue, cached=False):
        handle = await _start(env, queue, request)
        status = await until_event(handle, lambda s: s.state == E.COLLECTING)
        assert sorted(_states(status)) == APPLICATIONS
        await eventually(lambda: len(world.emails) == len(APPLICATIONS))
        invitations = [e for e in world.emails if e.template == "availability_request"]
        assert sorted(e.to[0] for e in invitations) == [f"cand{a}@example.com" for a in APPLICATIONS]
        assert all(
            e.reply_token_workflow_id == f"{handle.id}~{e.context.application_id}" for e in invitations
        )

        # A repeated form post has one effect; a stranger's application is refused before anything is written.
        await _answer_all(handle, request, APPLICATIONS[:1])
        again = await handle.execute_update(
            EventWorkflow.submit_availability,
            AvailabilityInput(application_id=501, windows=[], request_id="form-501"),
        )
        assert (
            again.outcome == "recorded"
            and _states(await handle.query(EventWorkflow.event_status))[501] == C.ANSWERED
        )
        stranger = AvailabilityInput(application_id=999, windows=_window(request))
        assert "does not belong" in await _refused(handle, stranger)
        far = [Interval(start=datetime(2030, 1, 1, tzinfo=UTC), end=datetime(2030, 1, 1, 2, tzinfo=UTC))]
        assert "not on the event's days" in await _refused(
            handle, AvailabilityInput(application_id=502, windows=far)
        )

    # The worker goes away mid-collection; a new one picks the event up where it was (replaying it).
    async with running_worker(env, world, queue, cached=False):
        await _answer_all(handle, request, APPLICATIONS[1:])
        status = await until_event(
            handle, lambda s: s.state == E.RUNNING and list(_states(s).values()).count(C.BOOKED) == 3
        )
        states = _states(status)
        assert [a for a in APPLICATIONS if states[a] == C.BOOKED] == [501, 502, 503]
        assert [a for a in APPLICATIONS if states[a] == C.UNSCHEDULED] == [504, 505]
        assert all(
            "interviewer's day is full" in c.reason for c in status.candidates if c.state == C.UNSCHEDULED
        )
        assert len(world.plans) == 1 and [c.application_id for c in world.plans[0].candidates] == APPLICATIONS
        assert sorted(n.application_id or 0 for n in world.notes if "/unscheduled/" in n.key) == [504, 505]

        # Each loop was booked by the application's own SchedulingWorkflow through the single-loop saga.
        child = env.client.get_workflow_handle(scheduling_workflow_id(502, STAGE))
        child_status = await child.query(SchedulingWorkflow.status)
        assert child_status.state == SchedulingState.SCHEDULED and child_status.booking is not None
        planned = next(c for c in status.candidates if c.application_id == 502).placements
        assert [s.start for s in child_status.booking.sessions] == [p.start for p in planned]
        assert [e.template for e in world.emails].count("confirmation") == 3
        assert "invitation" not in [e.template for e in world.emails]  # no options were offered to pick

        # The candidate cancels their loop: the place goes to the first on the waitlist, the rest kept.
        await child.signal(
            SchedulingWorkflow.cancel, CancelInput(by="candidate", reason="took another offer")
        )
        status = await until_event(handle, lambda s: _states(s)[504] == C.BOOKED, timeout=40)
        states = _states(status)
        assert states[502] == C.CANCELLED and states[505] == C.UNSCHEDULED
        assert len(world.plans) == 2
        assert [c.application_id for c in world.plans[1].candidates] == [504, 505]
        kept = {
            (p.session, p.start)
            for app in (501, 503)
            for p in next(c for c in status.candidates if c.application_id == app).placements
        }
        assert {(p.session, p.start) for p in world.plans[1].reserved} == kept

        cancelled = await handle.execute_update(
            EventWorkflow.cancel_event, EventCancelInput(reason="test over")
        )
        assert cancelled.outcome == "done"
        final = await asyncio.wait_for(handle.result(), 30)
        assert final.state == E.CANCELLED
        if recording():
            await save_history(handle, "event", "event_refill_then_cancel")
            await save_history(child, "scheduling", "sm_event_slot_cancelled_by_candidate")


async def test_silence_gets_a_reminder_then_planning_at_the_deadline_and_late_answers_join_the_waitlist(
    harness: tuple[WorkflowEnvironment, EventWorld, str],
) -> None:
    env, world, queue = harness
    world.no_email = {505}
    request = _request(queue)
    async with running_worker(env, world, queue):
        handle = await _start(env, queue, request)
        status = await until_event(handle, lambda s: s.state == E.COLLECTING)
        assert _states(status)[505] == C.UNREACHABLE
        await _answer_all(handle, request, [501, 502])
        # Time passes to the deadline: one reminder each to those who did not answer, then the plan.
        await env.sleep(timedelta(days=2, hours=1))
        assert (await handle.query(EventWorkflow.event_status)).state == E.COLLECTING
        await env.sleep(timedelta(days=1))
        status = await until_event(handle, lambda s: s.state == E.RUNNING)
        await eventually(lambda: sum(e.key.endswith("/reminder") for e in world.emails) == 2)
        reminders = sorted(e.context.application_id for e in world.emails if e.key.endswith("/reminder"))
        assert reminders == [503, 504]
        assert [c.application_id for c in world.plans[0].candidates] == [501, 502]
        assert _states(status)[503] == C.INVITED  # no answer: not booked for a time they never gave

        late = await handle.execute_update(
            EventWorkflow.submit_availability,
            AvailabilityInput(application_id=503, windows=_window(request), request_id="late"),
        )
        assert late.outcome == "recorded" and "already planned" in late.message
        status = await until_event(handle, lambda s: _states(s)[503] == C.BOOKED)
        assert [c.application_id for c in world.plans[-1].candidates] == [503]
        assert len(world.plans[-1].reserved) == 2 * len(CONTEXT.sessions)

        # The answers close a day before the event; the event completes when its day ends.
        final = await asyncio.wait_for(handle.result(), 60)
        assert final.state == E.COMPLETED
        if recording():
            await save_history(handle, "event", "event_deadline_late_answer_completed")


async def test_a_planner_outage_longer_than_its_budget_escalates_and_retries_hourly(
    harness: tuple[WorkflowEnvironment, EventWorld, str],
) -> None:
    env, world, queue = harness
    world.outages["plan_event"] = -1
    request = _request(queue)
    async with running_worker(env, world, queue):
        handle = await _start(env, queue, request)
        await until_event(handle, lambda s: s.state == E.COLLECTING)
        await _answer_all(handle, request, APPLICATIONS)
        status = await until_event(handle, lambda s: s.state == E.ESCALATED)
        assert "could not be planned" in status.escalation
        await eventually(lambda: "recruiter_escalation" in [e.template for e in world.emails])
        told = next(e for e in world.emails if e.template == "recruiter_escalation")
        assert told.to == ["rita@acme.example"] and "could not be planned" in told.reason
        world.outages["plan_event"] = 0
        await env.sleep(timedelta(hours=1, minutes=5))
        status = await until_event(
            handle, lambda s: s.state == E.RUNNING and C.BOOKED in _states(s).values(), 40
        )
        assert status.plans_made == 1 and status.escalation == ""
        await handle.cancel()
        with pytest.raises(WorkflowFailureError):
            await asyncio.wait_for(handle.result(), 30)
        # A Temporal cancel request is the recruiter's cancel: every booked loop is cancelled and released.
        for app in (501, 502, 503):
            child = env.client.get_workflow_handle(scheduling_workflow_id(app, STAGE))
            with pytest.raises(WorkflowFailureError):
                await asyncio.wait_for(child.result(), 30)
            assert (await child.query(SchedulingWorkflow.status)).state == SchedulingState.CANCELLED


async def test_an_application_already_being_scheduled_is_left_out_with_the_reason(
    harness: tuple[WorkflowEnvironment, EventWorld, str],
) -> None:
    env, world, queue = harness
    world.capacity = 5
    request = _request(queue, in_days=2, answer_window=timedelta(hours=1), answer_lead=timedelta(hours=1))
    async with running_worker(env, world, queue):
        await env.client.start_workflow(
            SchedulingWorkflow.run,
            _loop_request(queue, 503),
            id=scheduling_workflow_id(503, STAGE),
            task_queue=queue,
        )
        handle = await _start(env, queue, request)
        await until_event(handle, lambda s: s.state == E.COLLECTING)
        await _answer_all(handle, request, APPLICATIONS)
        status = await until_event(
            handle, lambda s: s.state == E.RUNNING and list(_states(s).values()).count(C.BOOKED) == 4
        )
        left_out = next(c for c in status.candidates if c.application_id == 503)
        assert left_out.state == C.EXCLUDED and "already running" in left_out.reason
        details = await handle.query(EventWorkflow.event_status)
        assert details.bound_candidates == 5


def _loop_request(queue: str, application_id: int) -> SchedulingRequest:
    return SchedulingRequest(
        application_id=application_id,
        job_interview_stage_id=STAGE,
        queues=TaskQueues(harvest=queue, planner=queue),
    )


def test_a_failed_gather_is_an_exclusion_not_a_failure() -> None:
    """The core on its own: one unreadable application does not hold up or fail the event."""
    from workflows.event_core import EventCore, EventOutcome
    from workflows.event_core.commands import EventCommandKind

    request = EventRequest(job_id=301, job_interview_stage_id=STAGE, days=[date(2031, 3, 24)])
    core = EventCore(request, "event-x", strict=True)
    now = datetime(2031, 3, 1, 9, tzinfo=UTC)
    core.start(now)
    (listing,) = core.take_commands()
    core.complete(listing, EventOutcome.success(EventApplicationsResult(application_ids=[1, 2])), now)
    first, second = core.take_commands()
    assert {first.kind, second.kind} == {EventCommandKind.GATHER}
    core.complete(second, EventOutcome.failure("HarvestNotFoundError", "404"), now)
    assert core.state == E.GATHERING
    core.complete(first, EventOutcome.success(CONTEXT.model_copy(update={"application_id": 1})), now)
    (running,) = core.take_commands()
    assert running.kind == EventCommandKind.FIND_RUNNING and running.input.application_ids == [1]
    core.complete(running, EventOutcome.success(RunningRequestsResult()), now)
    assert core.state == E.COLLECTING
    assert core.invitees[2].state == C.EXCLUDED and "404" in core.invitees[2].reason
    (email,) = core.take_commands()
    assert email.kind == EventCommandKind.EMAIL and email.application_id == 1


async def test_a_slot_from_an_older_interview_plan_is_planned_afresh_not_booked(
    harness: tuple[WorkflowEnvironment, EventWorld, str],
) -> None:
    """The stage's interviews changed after the event planned: the request offers fresh options instead."""
    env, world, queue = harness
    start = datetime.now(UTC) + timedelta(days=5)
    stale = Placement(session="s9", start=start, end=start + timedelta(hours=1), interviewers=[21])
    request = _loop_request(queue, 502).model_copy(
        update={"event_slot": EventSlot(event_workflow_id="event-gone", placements=[stale])}
    )
    async with running_worker(env, world, queue):
        child = await env.client.start_workflow(
            SchedulingWorkflow.run, request, id=scheduling_workflow_id(502, STAGE), task_queue=queue
        )

        async def offered() -> bool:
            return (await child.query(SchedulingWorkflow.status)).state == SchedulingState.OFFERED

        deadline = asyncio.get_running_loop().time() + 20
        while not await offered() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        status = await child.query(SchedulingWorkflow.status)
        assert status.state == SchedulingState.OFFERED and status.booking is None
        assert status.offer is not None and all(o.option_id != "event-1" for o in status.offer.options)
        assert any(h.event == "event_slot_stale" for h in status.history)
        await child.signal(SchedulingWorkflow.cancel, CancelInput(reason="test over"))
        await asyncio.wait_for(child.result(), 30)
