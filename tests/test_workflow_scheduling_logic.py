"""SchedulingWorkflow's state machine on the time-skipping server, with an in-memory world behind its activities.

These tests pin the workflow's decisions (which state, which email, which compensation) quickly and
exhaustively; the integration tests run the same paths against the sandbox, Radicale and the SMTP sink.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
import pytest_asyncio
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.messages import (
    BookedSession,
    Booking,
    CancelInput,
    CandidateRepliedInput,
    CarriedState,
    Offer,
    OfferedOption,
    ProposeTimesInput,
    RecruiterCommandInput,
    RefreshOptionsInput,
    RescheduleInput,
    SchedulingPolicy,
    SchedulingRequest,
    SchedulingState,
    SelectOptionInput,
    TaskQueues,
)
from models.scheduling import Interval, Placement
from tests.support.fake_scheduling import CONTEXT, FROM_CANDIDATE, World, fake_activities
from tests.support.histories import recording, save_history
from workflows.scheduling import SchedulingWorkflow

_STARTED: list[WorkflowHandle] = []


@pytest_asyncio.fixture
async def harness(
    time_skipping_env: WorkflowEnvironment, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[WorkflowEnvironment, World, str]]:
    world = World()
    queue = f"sched-{uuid.uuid4()}"
    async with Worker(
        time_skipping_env.client,
        task_queue=queue,
        workflows=[SchedulingWorkflow],
        activities=fake_activities(world),
    ):
        _STARTED.clear()
        yield time_skipping_env, world, queue
        if recording():
            for n, handle in enumerate(_STARTED):
                await asyncio.wait_for(handle.result(), 30)
                await save_history(handle, "scheduling", f"sm_{request.node.name}_{n}")


POLICY = SchedulingPolicy(max_replacements=1, max_reschedules=1, rsvp_poll_interval=timedelta(hours=6))


async def _start(env: WorkflowEnvironment, queue: str, policy: SchedulingPolicy = POLICY) -> WorkflowHandle:
    request = SchedulingRequest(
        application_id=501,
        job_interview_stage_id=201,
        policy=policy,
        queues=TaskQueues(harvest=queue, planner=queue),
    )
    handle = await env.client.start_workflow(
        SchedulingWorkflow.run, request, id=f"schedule-501-201-{uuid.uuid4().hex[:6]}", task_queue=queue
    )
    _STARTED.append(handle)
    return handle


async def _until(handle: WorkflowHandle, state: SchedulingState, timeout: float = 20) -> None:
    async def poll() -> None:
        while (await handle.query(SchedulingWorkflow.status)).state != state:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def test_happy_path_books_and_completes(harness: tuple[WorkflowEnvironment, World, str]) -> None:
    env, world, queue = harness
    handle = await _start(env, queue)
    await _until(handle, SchedulingState.OFFERED)
    status = await handle.query(SchedulingWorkflow.status)
    assert status.offer is not None and len(status.offer.options) == 3
    assert world.templates() == ["invitation"]

    result = await handle.execute_update(
        SchedulingWorkflow.select_option,
        SelectOptionInput(option_id=status.offer.options[0].option_id, offer_version=status.offer.version),
    )
    assert result.outcome == "booked" and result.booking is not None
    assert len(world.events) == 2 and len(world.interviews) == 2
    await _until_emails(
        world, ["invitation", "confirmation"]
    )  # the answer comes first, the email right after
    assert world.emails[-1].booking_sessions and world.emails[-1].ics_method == "REQUEST"
    await _until_notes(world, 1)
    assert [n.key.rsplit("/", 2)[-2] for n in world.notes] == ["booked"]

    final = await asyncio.wait_for(handle.result(), 30)
    assert final.state == SchedulingState.COMPLETED
    assert final.booking is not None and all(s.greenhouse_interview_id for s in final.booking.sessions)


async def test_stale_or_unknown_picks_are_rejected_before_anything_is_written(
    harness: tuple[WorkflowEnvironment, World, str],
) -> None:
    env, world, queue = harness
    handle = await _start(env, queue)
    await _until(handle, SchedulingState.OFFERED)
    with pytest.raises(WorkflowUpdateFailedError) as unknown:
        await handle.execute_update(
            SchedulingWorkflow.select_option, SelectOptionInput(option_id="nope", offer_version=1)
        )
    assert "not among the current options" in str(unknown.value.cause)
    with pytest.raises(WorkflowUpdateFailedError) as stale:
        await handle.execute_update(
            SchedulingWorkflow.select_option, SelectOptionInput(option_id="v1-o1", offer_version=7)
        )
    assert "replaced by newer ones" in str(stale.value.cause)
    assert world.events == {}
    await handle.signal(SchedulingWorkflow.cancel, CancelInput(by="recruiter", reason="test over"))
    assert (await asyncio.wait_for(handle.result(), 30)).state == SchedulingState.CANCELLED


async def test_silence_sends_reminders_then_escalates_and_resume_reoffers(
    harness: tuple[WorkflowEnvironment, World, str],
) -> None:
    env, world, queue = harness
    handle = await _start(env, queue)
    await _until(handle, SchedulingState.OFFERED)
    await env.sleep(timedelta(hours=25))
    await _until_emails(world, ["invitation", "reminder"])
    await env.sleep(timedelta(hours=24))
    await _until_emails(world, ["invitation", "reminder", "reminder"])
    await env.sleep(timedelta(hours=25))
    await _until(handle, SchedulingState.ESCALATED)
    assert world.templates()[-1] == "recruiter_escalation"
    assert world.emails[-1].to == ["rita@acme.example"]
    assert any("escalation" in n.key for n in world.notes)

    await handle.signal(SchedulingWorkflow.recruiter_command, RecruiterCommandInput(command="resume"))
    await _until(handle, SchedulingState.OFFERED)
    status = await handle.query(SchedulingWorkflow.status)
    assert status.offer is not None and status.offer.version == 2 and status.reminders_sent == 0
    await handle.signal(SchedulingWorkflow.cancel, CancelInput())
    await asyncio.wait_for(handle.result(), 30)


async def _until_emails(world: World, expected: list[str], timeout: float = 20) -> None:
    async def poll() -> None:
        while world.templates() != expected:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def _until_notes(world: World, count: int, timeout: float = 20) -> None:
    await _until_true(lambda: len(world.notes) >= count, timeout)


async def _until_true(check: Callable[[], bool], timeout: float = 20) -> None:
    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def test_proposed_times_replan_and_widen(harness: tuple[WorkflowEnvironment, World, str]) -> None:
    env, world, queue = harness
    handle = await _start(env, queue)
    await _until(handle, SchedulingState.OFFERED)
    world.free = False
    now = await env.get_current_time()
    window = Interval(start=now + timedelta(days=2), end=now + timedelta(days=9))
    result = await handle.execute_update(
        SchedulingWorkflow.propose_times, ProposeTimesInput(windows=[window])
    )
    assert result.outcome == "options" and result.offer_version == 2
    assert [f.widen for f in world.finds[-2:]] == [False, True]
    assert world.finds[-1].candidate_windows == [window]
    assert (await handle.query(SchedulingWorkflow.status)).state == SchedulingState.NEGOTIATING
    await handle.signal(SchedulingWorkflow.cancel, CancelInput())
    await asyncio.wait_for(handle.result(), 30)


async def test_taken_option_returns_fresh_options(harness: tuple[WorkflowEnvironment, World, str]) -> None:
    env, world, queue = harness
    handle = await _start(env, queue)
    await _until(handle, SchedulingState.OFFERED)
    world.taken.add("v1-o1")
    result = await handle.execute_update(
        SchedulingWorkflow.select_option, SelectOptionInput(option_id="v1-o1", offer_version=1)
    )
    assert result.outcome == "unavailable" and result.offer_version == 2 and result.options
    assert world.events == {}
    booked = await handle.execute_update(
        SchedulingWorkflow.select_option,
        SelectOptionInput(option_id=result.options[1].option_id, offer_version=2),
    )
    assert booked.outcome == "booked"
    await handle.signal(SchedulingWorkflow.cancel, CancelInput(by="candidate", reason="took another offer"))
    final = await asyncio.wait_for(handle.result(), 30)
    assert final.state == SchedulingState.CANCELLED
    assert sorted(world.cancelled_events) == sorted(world.events)
    assert sorted(world.deleted_interviews) == sorted(world.interviews.values())
    to_candidate = [e for e in world.emails if e.template != "interviewer_notice"]
    assert to_candidate[-1].template == "cancellation" and to_candidate[-1].ics_method == "CANCEL"
    booked_panel = {i for s in booked.booking.sessions for i in s.interviewers} if booked.booking else set()
    told = {
        e.to[0] for e in world.emails if e.template == "interviewer_notice" and e.notice_action == "cancelled"
    }
    assert booked_panel and len(told) == len(booked_panel), "every interviewer hears of the cancellation"


async def test_greenhouse_failure_during_booking_is_retried_without_duplicates(
    harness: tuple[WorkflowEnvironment, World, str],
) -> None:
    env, world, queue = harness
    world.greenhouse_failures = 2
    handle = await _start(env, queue)
    await _until(handle, SchedulingState.OFFERED)
    result = await handle.execute_update(
        SchedulingWorkflow.select_option, SelectOptionInput(option_id="v1-o1", offer_version=1)
    )
    # Greenhouse's retries outlast the pick's answer window: the candidate hears "confirming" at once.
    assert result.outcome == "confirming"
    await _until(handle, SchedulingState.SCHEDULED)
    await _until_emails(world, ["invitation", "confirmation"])
    assert len(world.interviews) == 2 and len(world.events) == 2
    await handle.signal(SchedulingWorkflow.cancel, CancelInput())
    await asyncio.wait_for(handle.result(), 30)


async def test_reschedule_keeps_old_loop_until_new_one_is_booked(
    harness: tuple[WorkflowEnvironment, World, str],
) -> None:
    env, world, queue = harness
    handle = await _start(env, queue)
    await _until(handle, SchedulingState.OFFERED)
    first = await handle.execute_update(
        SchedulingWorkflow.select_option, SelectOptionInput(option_id="v1-o1", offer_version=1)
    )
    assert first.booking is not None
    await handle.signal(
        SchedulingWorkflow.request_reschedule, RescheduleInput(by="candidate", reason="conflict")
    )
    await _until(handle, SchedulingState.RESCHEDULING)
    assert world.cancelled_events == []
    assert world.templates()[-1] == "invitation" and "reschedule" in world.emails[-1].reason
    assert world.finds[-1].ignore_event_keys == [s.event_key for s in first.booking.sessions]

    second = await handle.execute_update(
        SchedulingWorkflow.select_option, SelectOptionInput(option_id="v2-o2", offer_version=2)
    )
    assert second.outcome == "booked" and second.booking is not None
    await _until_emails(world, ["invitation", "confirmation", "invitation", "reschedule"])
    old_keys = sorted(s.event_key for s in first.booking.sessions)
    await _until_true(lambda: sorted(world.cancelled_events) == old_keys)
    moved = world.emails[-1]
    assert moved.template == "reschedule" and moved.previous_sessions == first.booking.sessions
    assert moved.ics_method == "REQUEST" and moved.ics_sequence == 1 and moved.ics_uid == f"{handle.id}-loop"

    # The cap (1) is reached: the next request escalates and the new loop stays booked.
    await handle.signal(SchedulingWorkflow.request_reschedule, RescheduleInput(by="candidate"))
    await _until(handle, SchedulingState.ESCALATED)
    assert (await handle.query(SchedulingWorkflow.status)).booking == second.booking
    await handle.signal(SchedulingWorkflow.cancel, CancelInput())
    await asyncio.wait_for(handle.result(), 30)


async def test_early_decline_is_replaced_and_late_decline_escalates(
    harness: tuple[WorkflowEnvironment, World, str],
) -> None:
    env, world, queue = harness
    handle = await _start(env, queue)
    await _until(handle, SchedulingState.OFFERED)
    booked = await handle.execute_update(
        SchedulingWorkflow.select_option, SelectOptionInput(option_id="v1-o3", offer_version=1)
    )
    assert booked.booking is not None
    world.responses = [("s1", 21, "declined")]
    await env.sleep(timedelta(hours=7))
    await _until_replaced(handle)
    status = await handle.query(SchedulingWorkflow.status)
    assert status.booking is not None
    s1 = next(s for s in status.booking.sessions if s.session_id == "s1")
    assert 21 not in s1.interviewers and s1.start == booked.booking.sessions[0].start
    assert "interviewer_notice" in world.templates()

    # Second decline, close to the loop: escalation, the booking stays.
    loop_start = status.booking.start
    now = await env.get_current_time()
    await env.sleep(loop_start - now - timedelta(hours=30))
    world.responses.append(("s2", 23, "declined"))
    await env.sleep(timedelta(hours=7))
    await _until(handle, SchedulingState.ESCALATED)
    assert (
        "less than the replacement cut-off"
        in (await handle.query(SchedulingWorkflow.status)).escalation_reason
    )
    final = await asyncio.wait_for(handle.result(), 30)
    assert final.state == SchedulingState.COMPLETED


async def _until_replaced(handle: WorkflowHandle, timeout: float = 20) -> None:
    async def poll() -> None:
        while (await handle.query(SchedulingWorkflow.status)).replacements < 1:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def test_email_reply_yes_books_the_only_option_and_question_escalates(
    harness: tuple[WorkflowEnvironment, World, str],
) -> None:
    env, world, queue = harness
    single = await _start(env, queue, POLICY.model_copy(update={"options": 1}))
    await _until(single, SchedulingState.OFFERED)
    await single.signal(
        SchedulingWorkflow.candidate_replied,
        CandidateRepliedInput(intent="confirm", excerpt="Yes", **FROM_CANDIDATE),
    )
    await _until(single, SchedulingState.SCHEDULED)
    assert len(world.events) == 2

    handle = await _start(env, queue)
    await _until(handle, SchedulingState.OFFERED)
    await handle.signal(
        SchedulingWorkflow.candidate_replied,
        CandidateRepliedInput(intent="question", excerpt="Is parking available?", **FROM_CANDIDATE),
    )
    await _until(handle, SchedulingState.ESCALATED)
    assert "Is parking available?" in (await handle.query(SchedulingWorkflow.status)).escalation_reason
    for h in (single, handle):
        await h.signal(SchedulingWorkflow.cancel, CancelInput())
        await asyncio.wait_for(h.result(), 30)


async def test_live_refresh_replans_old_options_without_a_new_email(
    harness: tuple[WorkflowEnvironment, World, str],
) -> None:
    env, world, queue = harness
    handle = await _start(env, queue)
    await _until(handle, SchedulingState.OFFERED)
    fresh = await handle.execute_update(
        SchedulingWorkflow.refresh_options, RefreshOptionsInput(max_age_seconds=3600)
    )
    assert fresh.offer_version == 1 and len(world.finds) == 1
    assert fresh.candidate_time_zone == "Europe/London"

    await env.sleep(timedelta(minutes=5))
    view = await handle.execute_update(
        SchedulingWorkflow.refresh_options, RefreshOptionsInput(max_age_seconds=60)
    )
    assert view.offer_version == 2 and len(world.finds) == 2
    assert world.templates() == ["invitation"], "a page refresh is not a new invitation"
    status = await handle.query(SchedulingWorkflow.status)
    assert status.offer is not None and status.offer.expires_at == fresh.expires_at

    booked = await handle.execute_update(
        SchedulingWorkflow.select_option,
        SelectOptionInput(option_id=view.options[0].option_id, offer_version=2),
    )
    assert booked.outcome == "booked"
    after = await handle.execute_update(SchedulingWorkflow.refresh_options, RefreshOptionsInput())
    assert after.state == SchedulingState.SCHEDULED and after.options == [] and after.booking is not None
    await handle.signal(SchedulingWorkflow.cancel, CancelInput())
    await asyncio.wait_for(handle.result(), 30)


async def test_long_negotiation_continues_as_new_and_keeps_its_state(
    harness: tuple[WorkflowEnvironment, World, str],
) -> None:
    env, world, queue = harness
    handle = await _start(env, queue, POLICY.model_copy(update={"continue_as_new_after_events": 60}))
    await _until(handle, SchedulingState.OFFERED)
    first_run = (await handle.describe()).run_id
    for _ in range(8):
        await handle.execute_update(
            SchedulingWorkflow.refresh_options, RefreshOptionsInput(max_age_seconds=0)
        )

    async def next_run() -> str:
        while (run := (await handle.describe()).run_id) == first_run:
            await asyncio.sleep(0.05)
        return run

    second_run = await asyncio.wait_for(next_run(), 20)
    assert second_run != first_run
    status = await handle.query(SchedulingWorkflow.status)
    assert status.state == SchedulingState.OFFERED and status.offer is not None and status.offer.version >= 8
    assert world.templates() == ["invitation"], "continuing as new sends nothing again"
    metadata = await handle.query("__temporal_workflow_metadata")
    assert metadata.current_details.startswith("**Interview scheduling: application 501"), (
        "the continued run lost its summary"
    )
    booked = await handle.execute_update(
        SchedulingWorkflow.select_option,
        SelectOptionInput(option_id=status.offer.options[0].option_id, offer_version=status.offer.version),
    )
    assert booked.outcome == "booked"
    await handle.signal(SchedulingWorkflow.cancel, CancelInput())
    await asyncio.wait_for(handle.result(), 30)


async def test_a_run_continued_from_the_old_code_resumes_its_reschedule(
    harness: tuple[WorkflowEnvironment, World, str],
) -> None:
    """A pre-state-machine run that continued as new mid-reschedule (its old loop in `replaced_booking`)."""
    env, world, queue = harness
    now = await env.get_current_time()
    start = now.replace(microsecond=0) + timedelta(days=3)
    old_sessions = [
        BookedSession(
            session_id=spec.session_id,
            job_interview_id=spec.job_interview_id,
            name=spec.name,
            start=start + timedelta(hours=i),
            end=start + timedelta(hours=i + 1),
            interviewers=spec.pool[:1],
            event_key=f"legacy-b1-{spec.session_id}",
            greenhouse_interview_id=8000 + i,
        )
        for i, spec in enumerate(CONTEXT.sessions)
    ]
    for session in old_sessions:
        world.event_status[session.event_key] = "live"
    placements = [
        Placement(
            session=s.session_id,
            start=s.start + timedelta(days=1),
            end=s.end + timedelta(days=1),
            interviewers=s.interviewers,
        )
        for s in old_sessions
    ]
    option = OfferedOption(
        option_id="v2-o1", rank=1, start=placements[0].start, end=placements[-1].end, placements=placements
    )
    carried = CarriedState(  # only the fields the old code had
        state=SchedulingState.RESCHEDULING,
        context=CONTEXT,
        offer=Offer(version=2, options=[option], offered_at=now, expires_at=now + timedelta(days=7)),
        replaced_booking=Booking(booking_id="legacy-b1", sessions=old_sessions, confirmed_at=now),
        bookings_made=1,
        reschedules=1,
    )
    request = SchedulingRequest(
        application_id=501,
        job_interview_stage_id=201,
        policy=POLICY,
        queues=TaskQueues(harvest=queue, planner=queue),
        carried=carried,
    )
    handle = await env.client.start_workflow(
        SchedulingWorkflow.run, request, id=f"schedule-501-201-{uuid.uuid4().hex[:6]}", task_queue=queue
    )
    _STARTED.append(handle)
    status = await handle.query(SchedulingWorkflow.status)
    assert status.state == SchedulingState.RESCHEDULING and status.booking is not None
    assert [s.event_key for s in status.booking.sessions] == [s.event_key for s in old_sessions]
    booked = await handle.execute_update(
        SchedulingWorkflow.select_option, SelectOptionInput(option_id="v2-o1", offer_version=2)
    )
    assert booked.outcome == "booked" and booked.booking is not None
    assert not booked.booking.booking_id.endswith(("-b1", "-b2")), (
        "keys the old code may have used are skipped"
    )
    new_keys = {s.event_key for s in booked.booking.sessions}
    await _until_true(lambda: world.live_events() == new_keys)
    await handle.signal(SchedulingWorkflow.cancel, CancelInput())
    await asyncio.wait_for(handle.result(), 30)
    assert world.live_events() == set()


async def test_a_paused_request_nudges_the_recruiter_then_closes_with_notice(
    harness: tuple[WorkflowEnvironment, World, str],
) -> None:
    env, world, queue = harness
    handle = await _start(env, queue)
    await _until(handle, SchedulingState.OFFERED)
    await handle.signal(
        SchedulingWorkflow.recruiter_command, RecruiterCommandInput(command="pause", request_id="note-pause")
    )
    for _ in range(31):
        await env.sleep(timedelta(days=1))
    final = await asyncio.wait_for(handle.result(), 30)
    assert final.state == SchedulingState.CANCELLED
    assert "reminder" not in world.templates(), "a paused request sends the candidate nothing"
    nudges = [n for n in world.notes if "/nudge/" in n.key]
    assert len(nudges) >= 5 and "paused" in nudges[0].body
    assert any("closed automatically" in n.body for n in world.notes)
