"""SchedulingWorkflow's state machine on the time-skipping server, with an in-memory world behind its activities.

These tests pin the workflow's decisions (which state, which email, which compensation) quickly and
exhaustively; the integration tests run the same paths against the sandbox, Radicale and the SMTP sink.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import names
from models.activity_io import (
    BookEventsInput,
    CancelEventsInput,
    CheckOptionInput,
    CheckOptionResult,
    EmailInput,
    EmailResult,
    FindOptionsInput,
    FindOptionsResult,
    GatherInput,
    InterviewsInput,
    NoteInput,
    ReadResponsesInput,
    ReadResponsesResult,
    SessionsResult,
    UpdateInterviewInput,
)
from models.messages import (
    CancelInput,
    CandidateRepliedInput,
    OfferedOption,
    Person,
    ProposeTimesInput,
    RecruiterCommandInput,
    RefreshOptionsInput,
    RescheduleInput,
    SchedulingContext,
    SchedulingPolicy,
    SchedulingRequest,
    SchedulingState,
    SelectOptionInput,
    SessionSpec,
    TaskQueues,
)
from models.scheduling import Blocker, Interval, Placement
from workflows.scheduling import SchedulingWorkflow


@dataclass
class World:
    """What the fake activities see and record."""

    now: datetime | None = None
    free: bool = True
    taken: set[str] = field(default_factory=set)
    responses: list[tuple[str, int, str]] = field(default_factory=list)
    greenhouse_failures: int = 0
    emails: list[EmailInput] = field(default_factory=list)
    notes: list[NoteInput] = field(default_factory=list)
    events: dict[str, BookEventsInput] = field(default_factory=dict)
    cancelled_events: list[str] = field(default_factory=list)
    interviews: dict[str, int] = field(default_factory=dict)
    deleted_interviews: list[int] = field(default_factory=list)
    finds: list[FindOptionsInput] = field(default_factory=list)

    def templates(self) -> list[str]:
        return [e.template for e in self.emails]


CONTEXT = SchedulingContext(
    application_id=501,
    candidate_id=401,
    job_id=301,
    job_name="Backend Engineer",
    job_interview_stage_id=201,
    stage_name="Onsite",
    recruiter_id=11,
    candidate_first_name="Ada",
    candidate_email="ada@example.com",
    candidate_time_zone="Europe/London",
    sessions=[
        SessionSpec(
            session_id="s1", job_interview_id=1001, name="System design", duration_minutes=60, pool=[21, 22]
        ),
        SessionSpec(
            session_id="s2",
            job_interview_id=1002,
            name="Coding",
            duration_minutes=60,
            pool=[23, 24],
            alternates=[25],
        ),
    ],
    people=[
        Person(user_id=11, name="Rita Recruiter", email="rita@acme.example"),
        *[
            Person(user_id=i, name=f"Interviewer {i}", email=f"i{i}@acme.example")
            for i in (21, 22, 23, 24, 25)
        ],
    ],
)


def _activities(world: World) -> list[Callable[..., Any]]:
    @activity.defn(name=names.GATHER_SCHEDULING_CONTEXT)
    async def gather(_: GatherInput) -> SchedulingContext:
        return CONTEXT

    @activity.defn(name=names.FIND_OPTIONS)
    async def find(request: FindOptionsInput) -> FindOptionsResult:
        world.finds.append(request)
        if not world.free and not request.widen:
            return FindOptionsResult(
                status="infeasible", blockers=[Blocker(kind="pool_exhausted", detail="busy")]
            )
        base = request.window_start.replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
        pins = {p.session_id: p for p in request.pinned}
        options = []
        for n in range(min(3, request.policy.options)):
            start = base + timedelta(days=n)
            placements = []
            for i, spec in enumerate(request.context.sessions):
                pin = pins.get(spec.session_id)
                chosen = [p for p in spec.pool if p not in request.excluded_interviewers]
                if pin and pin.interviewers is not None:
                    chosen = (
                        list(pin.interviewers)
                        + [p for p in spec.pool + spec.alternates if p not in request.excluded_interviewers][
                            : max(0, spec.count - len(pin.interviewers))
                        ]
                    )
                if not chosen:
                    return FindOptionsResult(
                        status="infeasible", blockers=[Blocker(kind="pool_exhausted", detail="no one")]
                    )
                session_start = pin.start if pin and pin.start else start + timedelta(hours=i)
                placements.append(
                    Placement(
                        session=spec.session_id,
                        start=session_start,
                        end=session_start + timedelta(minutes=spec.duration_minutes),
                        interviewers=chosen[: spec.count] if not pin else chosen,
                    )
                )
            options.append(
                OfferedOption(
                    option_id=f"v{request.offer_version}-o{n + 1}",
                    rank=n + 1,
                    start=placements[0].start,
                    end=placements[-1].end,
                    placements=placements,
                )
            )
        return FindOptionsResult(status="optimal", options=options)

    @activity.defn(name=names.CHECK_OPTION)
    async def check(request: CheckOptionInput) -> CheckOptionResult:
        if request.option.option_id in world.taken:
            return CheckOptionResult(valid=False, violations=["interviewer 21 is now busy"])
        return CheckOptionResult(valid=True)

    @activity.defn(name=names.BOOK_CALENDAR_EVENTS)
    async def book(request: BookEventsInput) -> SessionsResult:
        sessions = []
        for s in request.sessions:
            world.events[s.event_key] = request
            sessions.append(
                s.model_copy(update={"calendar_event_id": s.event_key, "video_url": "https://meet/x"})
            )
        return SessionsResult(sessions=sessions)

    @activity.defn(name=names.CANCEL_CALENDAR_EVENTS)
    async def cancel_events(request: CancelEventsInput) -> None:
        world.cancelled_events += [s.event_key for s in request.sessions]

    @activity.defn(name=names.READ_ATTENDEE_RESPONSES)
    async def responses(_: ReadResponsesInput) -> ReadResponsesResult:
        return ReadResponsesResult.model_validate(
            {"responses": [{"session_id": s, "user_id": u, "response": r} for s, u, r in world.responses]}
        )

    @activity.defn(name=names.RECORD_GREENHOUSE_INTERVIEWS)
    async def record(request: InterviewsInput) -> SessionsResult:
        if world.greenhouse_failures:
            world.greenhouse_failures -= 1
            raise ApplicationError("Greenhouse said 500", type="HarvestServerError")
        out = []
        for s in request.sessions:
            world.interviews.setdefault(s.event_key, 9000 + len(world.interviews))
            out.append(s.model_copy(update={"greenhouse_interview_id": world.interviews[s.event_key]}))
        return SessionsResult(sessions=out)

    @activity.defn(name=names.UPDATE_GREENHOUSE_INTERVIEW)
    async def update(_: UpdateInterviewInput) -> None:
        return None

    @activity.defn(name=names.DELETE_GREENHOUSE_INTERVIEWS)
    async def delete(request: InterviewsInput) -> None:
        world.deleted_interviews += [
            s.greenhouse_interview_id for s in request.sessions if s.greenhouse_interview_id
        ]

    @activity.defn(name=names.ADD_CANDIDATE_NOTE)
    async def note(request: NoteInput) -> None:
        if request.key not in {n.key for n in world.notes}:
            world.notes.append(request)

    @activity.defn(name=names.SEND_EMAIL)
    async def email(request: EmailInput) -> EmailResult:
        if request.key not in {e.key for e in world.emails}:
            world.emails.append(request)
        return EmailResult(message_id=f"<{request.key}>", sent=True)

    return [gather, find, check, book, cancel_events, responses, record, update, delete, note, email]


@pytest_asyncio.fixture
async def harness(
    time_skipping_env: WorkflowEnvironment,
) -> AsyncIterator[tuple[WorkflowEnvironment, World, str]]:
    world = World()
    queue = f"sched-{uuid.uuid4()}"
    async with Worker(
        time_skipping_env.client,
        task_queue=queue,
        workflows=[SchedulingWorkflow],
        activities=_activities(world),
    ):
        yield time_skipping_env, world, queue


POLICY = SchedulingPolicy(max_replacements=1, max_reschedules=1, rsvp_poll_interval=timedelta(hours=6))


async def _start(env: WorkflowEnvironment, queue: str, policy: SchedulingPolicy = POLICY) -> WorkflowHandle:
    request = SchedulingRequest(
        application_id=501,
        job_interview_stage_id=201,
        policy=policy,
        queues=TaskQueues(harvest=queue, planner=queue),
    )
    return await env.client.start_workflow(
        SchedulingWorkflow.run, request, id=f"schedule-501-201-{uuid.uuid4().hex[:6]}", task_queue=queue
    )


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
    assert world.templates() == ["invitation", "confirmation"]
    assert world.emails[-1].booking_sessions and world.emails[-1].ics_method == "REQUEST"
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
    assert world.templates()[-1] == "cancellation" and world.emails[-1].ics_method == "CANCEL"


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
    assert result.outcome == "booked"
    assert len(world.interviews) == 2 and len(world.events) == 2
    assert world.templates().count("confirmation") == 1
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
    assert world.templates()[-1] == "reschedule"
    assert world.finds[-1].ignore_event_keys == [s.event_key for s in first.booking.sessions]

    second = await handle.execute_update(
        SchedulingWorkflow.select_option, SelectOptionInput(option_id="v2-o2", offer_version=2)
    )
    assert second.outcome == "booked" and second.booking is not None
    assert sorted(world.cancelled_events) == sorted(s.event_key for s in first.booking.sessions)

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
        SchedulingWorkflow.candidate_replied, CandidateRepliedInput(intent="confirm", excerpt="Yes")
    )
    await _until(single, SchedulingState.SCHEDULED)
    assert len(world.events) == 2

    handle = await _start(env, queue)
    await _until(handle, SchedulingState.OFFERED)
    await handle.signal(
        SchedulingWorkflow.candidate_replied,
        CandidateRepliedInput(intent="question", excerpt="Is parking available?"),
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
    fresh = await handle.execute_update(SchedulingWorkflow.refresh_options, RefreshOptionsInput(max_age_seconds=3600))
    assert fresh.offer_version == 1 and len(world.finds) == 1
    assert fresh.candidate_time_zone == "Europe/London"

    await env.sleep(timedelta(minutes=5))
    view = await handle.execute_update(SchedulingWorkflow.refresh_options, RefreshOptionsInput(max_age_seconds=60))
    assert view.offer_version == 2 and len(world.finds) == 2
    assert world.templates() == ["invitation"], "a page refresh is not a new invitation"
    status = await handle.query(SchedulingWorkflow.status)
    assert status.offer is not None and status.offer.expires_at == fresh.expires_at

    booked = await handle.execute_update(
        SchedulingWorkflow.select_option, SelectOptionInput(option_id=view.options[0].option_id, offer_version=2)
    )
    assert booked.outcome == "booked"
    after = await handle.execute_update(SchedulingWorkflow.refresh_options, RefreshOptionsInput())
    assert after.state == SchedulingState.SCHEDULED and after.options == [] and after.booking is not None
    await handle.signal(SchedulingWorkflow.cancel, CancelInput())
    await asyncio.wait_for(handle.result(), 30)
