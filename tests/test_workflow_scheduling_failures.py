"""Issue 9's reproductions on the time-skipping server: the world misbehaves, the request survives.

Each test runs twice: on the current SchedulingWorkflow, and on today's code before the state
machine (`LegacyScheduling`, kept frozen for old executions) where it must fail, so every test
here is a regression that was real. Outages are activity attempts that fail like a 503 would;
"longer than any retry budget" uses budgets scaled down so the test server skips minutes, not days.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import pytest_asyncio
from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.failure_policy import FailurePolicy
from models.messages import (
    CancelInput,
    ProposeTimesInput,
    RecruiterCommandInput,
    RescheduleInput,
    SchedulingPolicy,
    SchedulingRequest,
    SchedulingState,
    SchedulingStatusSnapshot,
    SelectOptionInput,
    TaskQueues,
)
from models.scheduling import Interval
from tests.support.fake_scheduling import World, fake_activities
from tests.support.histories import recording, save_history
from tests.support.todays_code import TodaysCode
from workflows.scheduling import SchedulingWorkflow

S = SchedulingState
SHORT = FailurePolicy().scaled(1 / 120)  # hours become minutes: "longer than any budget" in minutes


@dataclass
class Harness:
    env: WorkflowEnvironment
    world: World
    queue: str
    legacy: bool
    started: list[WorkflowHandle]

    async def start(self, **policy: object) -> WorkflowHandle:
        request = SchedulingRequest(
            application_id=501,
            job_interview_stage_id=201,
            policy=SchedulingPolicy(
                max_reschedules=1,
                rsvp_poll_interval=timedelta(hours=12),
                pick_answer_within=timedelta(seconds=1),
                command_answer_within=timedelta(seconds=1),
                **policy,
            ),
            queues=TaskQueues(harvest=self.queue, planner=self.queue),
        )
        handle = await self.env.client.start_workflow(
            SchedulingWorkflow.run,
            request,
            id=f"schedule-501-201-{uuid.uuid4().hex[:6]}",
            task_queue=self.queue,
        )
        self.started.append(handle)
        return handle

    async def status(self, handle: WorkflowHandle) -> SchedulingStatusSnapshot:
        return await handle.query(SchedulingWorkflow.status)

    async def until(
        self, handle: WorkflowHandle, check: Callable[[SchedulingStatusSnapshot], bool], timeout: float = 15
    ) -> SchedulingStatusSnapshot:
        async def poll() -> SchedulingStatusSnapshot:
            while True:
                described = await handle.describe()
                if (
                    described.status != WorkflowExecutionStatus.RUNNING
                    and described.status != WorkflowExecutionStatus.COMPLETED
                ):
                    raise AssertionError(f"the workflow ended {described.status}")
                status = await self.status(handle)
                if check(status):
                    return status
                await asyncio.sleep(0.05)

        return await asyncio.wait_for(poll(), timeout)

    async def offered(self, **policy: object) -> WorkflowHandle:
        handle = await self.start(**policy)
        await self.until(handle, lambda s: s.state == S.OFFERED)
        return handle

    async def book(self, handle: WorkflowHandle, option: int = 0) -> SchedulingStatusSnapshot:
        status = await self.status(handle)
        assert status.offer is not None
        pick = SelectOptionInput(
            option_id=status.offer.options[option].option_id, offer_version=status.offer.version
        )
        await handle.execute_update(SchedulingWorkflow.select_option, pick)
        return await self.until(
            handle,
            lambda s: s.state == S.SCHEDULED and "under way" not in s.waiting_for and s.pending_releases == 0,
        )

    async def skip(self, span: timedelta, step: timedelta = timedelta(hours=6)) -> None:
        while span > timedelta(0):
            await self.env.sleep(min(span, step))
            span -= step


@pytest_asyncio.fixture(params=["current", "todays_code"])
async def harness(
    time_skipping_env: WorkflowEnvironment, request: pytest.FixtureRequest
) -> AsyncIterator[Harness]:
    legacy = request.param == "todays_code"
    if legacy:
        request.applymarker(
            pytest.mark.xfail(strict=True, reason="issue 9: reproduced on the code before the fix")
        )
    world = World()
    queue = f"failures-{uuid.uuid4().hex[:8]}"
    harness = Harness(time_skipping_env, world, queue, legacy, [])
    async with Worker(
        time_skipping_env.client,
        task_queue=queue,
        workflows=[TodaysCode if legacy else SchedulingWorkflow],
        activities=fake_activities(world),
    ):
        try:
            yield harness
            if recording() and not legacy:
                await _record(harness, request.node.name)
        finally:
            world.outages.clear()
            for handle in harness.started:  # leave nothing running on the shared test server
                try:
                    await asyncio.wait_for(handle.terminate("test over"), 5)
                except Exception:  # already closed
                    pass


async def _record(harness: Harness, name: str) -> None:
    """Close every request the test started (a cancel), then save its history for the replay tests."""
    harness.world.outages.clear()
    for n, handle in enumerate(harness.started):
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            await handle.execute_update(
                SchedulingWorkflow.cancel_scheduling, CancelInput(reason="recorded", request_id="recorded")
            )
        try:
            await asyncio.wait_for(handle.result(), 30)
        except WorkflowFailureError:
            pass  # ended Canceled by a Temporal cancel: recorded all the same
        await save_history(handle, "scheduling", f"sm_failures_{name.replace('[current]', '')}_{n}")


def keys_of(status: SchedulingStatusSnapshot) -> set[str]:
    return {s.event_key for s in status.booking.sessions} if status.booking else set()


# ------------------------------------------------------------------ 1. outages past the old budget


async def test_a_mail_outage_longer_than_the_old_budget_at_reminder_time_ends_with_the_reminder(
    harness: Harness,
) -> None:
    handle = await harness.offered()
    harness.world.outages["send_email:reminder"] = 12  # ~10 min of failures; the old budget was 8 attempts
    await harness.skip(timedelta(hours=25))
    await harness.skip(timedelta(minutes=30), step=timedelta(minutes=5))
    status = await harness.until(
        handle, lambda s: s.reminders_sent == 1 and "reminder" in harness.world.templates()
    )
    assert status.state == S.OFFERED
    assert harness.world.templates().count("reminder") == 1


async def test_a_planner_outage_during_a_reschedule_keeps_the_loop_owned_and_escalates(
    harness: Harness,
) -> None:
    handle = await harness.offered(failure=SHORT)
    booked = await harness.book(handle)
    harness.world.outages["find_options"] = -1
    await handle.signal(
        SchedulingWorkflow.request_reschedule, RescheduleInput(by="candidate", reason="conflict")
    )
    await harness.skip(timedelta(minutes=30), step=timedelta(minutes=5))
    status = await harness.until(handle, lambda s: s.state == S.ESCALATED)
    assert status.booking == booked.booking and "could not be planned" in status.escalation_reason
    assert harness.world.live_events() == keys_of(booked)
    harness.world.outages.clear()
    await handle.execute_update(
        SchedulingWorkflow.cancel_scheduling, CancelInput(by="recruiter", reason="done", request_id="done")
    )
    await harness.until(handle, lambda s: s.state == S.CANCELLED)
    assert harness.world.live_events() == set() and harness.world.live_interviews() == set()


async def test_a_refused_candidate_address_escalates_instead_of_failing(harness: Harness) -> None:
    harness.world.refused.add("ada@example.com")
    handle = await harness.start()
    status = await harness.until(handle, lambda s: s.state == S.ESCALATED)
    assert "refused" in status.escalation_reason


async def test_a_404_while_gathering_closes_the_request_instead_of_failing(harness: Harness) -> None:
    harness.world.missing_application = True
    handle = await harness.start()
    final = await asyncio.wait_for(handle.result(), 15)
    assert final.state == S.CANCELLED
    assert harness.world.attempts["gather"] == 1, "a 404 is not retried"


# ------------------------------------------------------------- 2. a failed pick never strands "booking"


async def test_a_failing_option_check_ends_the_booking_state(harness: Harness) -> None:
    handle = await harness.offered(failure=SHORT)
    harness.world.outages["check_option"] = -1
    status = await harness.status(handle)
    assert status.offer is not None
    pick = SelectOptionInput(option_id=status.offer.options[0].option_id, offer_version=status.offer.version)
    answer = asyncio.create_task(handle.execute_update(SchedulingWorkflow.select_option, pick))
    await harness.until(handle, lambda s: s.state != S.OFFERED)  # the pick is in before time moves
    await harness.skip(timedelta(minutes=30), step=timedelta(minutes=5))
    status = await harness.until(handle, lambda s: s.state == S.ESCALATED, timeout=8)
    result = await asyncio.wait_for(answer, 15)
    assert result.outcome in ("confirming", "unavailable")
    assert "could not be checked" in status.escalation_reason


# ---------------------------------------------------------------- 3. a retried booking uses new keys


async def test_a_booking_after_a_failed_one_never_reuses_its_keys(harness: Harness) -> None:
    handle = await harness.offered(failure=SHORT)
    harness.world.outages["record_greenhouse_interviews"] = -1
    status = await harness.status(handle)
    assert status.offer is not None
    first_keys = {f"{handle.id}-b1-{p.session}" for p in status.offer.options[0].placements}
    pick = SelectOptionInput(option_id=status.offer.options[0].option_id, offer_version=status.offer.version)
    answer = asyncio.create_task(handle.execute_update(SchedulingWorkflow.select_option, pick))
    await harness.until(handle, lambda s: s.state != S.OFFERED)  # the pick is in before time moves
    await harness.skip(timedelta(minutes=30), step=timedelta(minutes=5))
    await asyncio.wait({answer}, timeout=15)
    await harness.until(handle, lambda s: s.state == S.ESCALATED and s.pending_releases == 0)
    harness.world.outages.clear()
    assert harness.world.live_events() == set(), "the failed attempt's events were released"
    await handle.signal(SchedulingWorkflow.recruiter_command, RecruiterCommandInput(command="resume"))
    await harness.until(handle, lambda s: s.state == S.OFFERED)
    booked = await harness.book(handle)
    assert keys_of(booked).isdisjoint(first_keys), "the second attempt reused the first one's event keys"
    assert harness.world.live_events() == keys_of(booked)


# --------------------------------------------------------------------- 4. negotiation never double-books


async def test_times_proposed_after_the_reschedule_limit_never_leave_two_loops(harness: Harness) -> None:
    handle = await harness.offered()
    await harness.book(handle)
    await handle.signal(SchedulingWorkflow.request_reschedule, RescheduleInput(by="candidate"))
    await harness.until(handle, lambda s: s.state == S.RESCHEDULING)
    await harness.book(handle, option=1)
    await handle.signal(SchedulingWorkflow.request_reschedule, RescheduleInput(by="candidate"))
    await harness.until(handle, lambda s: s.state == S.ESCALATED)  # the limit (1) is reached
    now = await harness.env.get_current_time()
    window = Interval(start=now + timedelta(days=1), end=now + timedelta(days=9))
    try:
        result = await handle.execute_update(
            SchedulingWorkflow.propose_times, ProposeTimesInput(windows=[window])
        )
        if result.offer_version is not None and result.options:
            pick = SelectOptionInput(
                option_id=result.options[0].option_id, offer_version=result.offer_version
            )
            await handle.execute_update(SchedulingWorkflow.select_option, pick)
    except WorkflowUpdateFailedError as refused:
        assert "booked" in str(refused.cause)
    status = await harness.until(handle, lambda s: "under way" not in s.waiting_for and s.state != S.BOOKING)
    assert harness.world.live_events() == keys_of(status), (
        "a loop Hireflow booked is live but no longer owned"
    )


# ----------------------------------------------------------------------------- 5. every wait ends


async def test_escalated_without_a_booking_nudges_then_closes(harness: Harness) -> None:
    harness.world.free = False  # nothing fits: escalated with nothing booked
    handle = await harness.start()
    await harness.until(handle, lambda s: s.state == S.ESCALATED)
    await harness.skip(timedelta(days=31), step=timedelta(days=1))
    final = await asyncio.wait_for(handle.result(), 15)
    assert final.state == S.CANCELLED
    nudges = [n for n in harness.world.notes if "/nudge/" in n.key]
    assert len(nudges) >= 5 and "closes the request" in nudges[0].body


# --------------------------------------------------------------------- 6. one effect per command id


async def test_a_retried_reschedule_command_has_one_effect(harness: Harness) -> None:
    handle = await harness.offered()
    await harness.book(handle)
    asked = RescheduleInput(by="recruiter", reason="panel change", request_id="note-777")
    first = await handle.execute_update(SchedulingWorkflow.reschedule_loop, asked)
    await harness.until(handle, lambda s: s.state == S.RESCHEDULING and "under way" not in s.waiting_for)
    again = await handle.execute_update(
        SchedulingWorkflow.reschedule_loop, asked
    )  # the mention watch retried
    await harness.until(handle, lambda s: "under way" not in s.waiting_for)
    assert harness.world.templates().count("invitation") == 2, "one invitation, then one for the reschedule"
    assert again.message == first.message or again.duplicate


# ------------------------------------------------------------------ 8. a Temporal cancel is a cancel


async def test_a_cancel_request_from_the_temporal_ui_releases_everything(harness: Harness) -> None:
    handle = await harness.offered()
    booked = await harness.book(handle)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await asyncio.wait_for(handle.result(), 15)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    assert harness.world.live_events() == set() and harness.world.live_interviews() == set()
    assert "cancellation" in harness.world.templates()
    told = {e.to[0] for e in harness.world.emails if e.template == "interviewer_notice"}
    assert (
        told == {f"i{i}@acme.example" for s in booked.booking.sessions for i in s.interviewers}
        if booked.booking
        else False
    )


async def test_a_command_without_a_request_id_is_refused_before_anything_happens(harness: Harness) -> None:
    if harness.legacy:
        pytest.xfail("the code before the fix had no commands with answers")
    handle = await harness.offered()
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(SchedulingWorkflow.cancel_scheduling, CancelInput(reason="no id"))
    assert "request id is required" in str(refused.value.cause)
    assert (await harness.status(handle)).state == S.OFFERED
