"""SchedulingWorkflow end to end with its real activities: Greenhouse sandbox over HTTP, Radicale, SMTP sink.

Runs on the time-skipping server, so reminders and loop ends take no wall time, while every calendar
event, Greenhouse interview, note and email is real and checked where it landed.
"""

from __future__ import annotations

import asyncio
import email
import email.utils
import mailbox
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import icalendar
import pytest
import pytest_asyncio
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from integrations.calendar.base import EventSpec, ResponseStatus
from integrations.calendar.caldav import CalDAVCalendar
from integrations.greenhouse.client import HarvestClient
from models.greenhouse import Interview
from models.messages import (
    Booking,
    CancelInput,
    ProposeTimesInput,
    RecruiterCommandInput,
    RescheduleInput,
    SchedulingPolicy,
    SchedulingState,
    SelectOptionInput,
)
from models.scheduling import Interval
from models.settings import Settings
from sandbox.greenhouse.server import SandboxServer
from sandbox.radicale.server import RadicaleServer
from tests.fixtures.mail import SinkHandle
from tests.support.histories import recording, save_history
from tests.support.stack import STARTED, seeded_store, settle, stack_settings, start_offered, wait_for_state
from workers.main import running_workers
from workflows.scheduling import SchedulingWorkflow

pytestmark = pytest.mark.integration


@dataclass
class Stack:
    env: WorkflowEnvironment
    settings: Settings
    sandbox: SandboxServer
    engine: Engine
    maildir: Path
    radicale_url: str


@pytest_asyncio.fixture
async def stack(
    time_skipping_env: WorkflowEnvironment,
    greenhouse_sandbox: SandboxServer,
    radicale: RadicaleServer,
    smtp_sink: SinkHandle,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Stack]:
    settings = stack_settings(greenhouse_sandbox, radicale.url, smtp_sink.sink.port, tmp_path)
    engine = await seeded_store(settings, greenhouse_sandbox)
    STARTED.clear()
    async with running_workers(time_skipping_env.client, settings):
        yield Stack(time_skipping_env, settings, greenhouse_sandbox, engine, smtp_sink.maildir, radicale.url)
        if recording():
            for n, handle in enumerate(STARTED):
                await asyncio.wait_for(handle.result(), 60)
                await save_history(handle, "scheduling", f"sm_integration_{request.node.name}_{n}")
    engine.dispose()


async def _until(handle: WorkflowHandle, *states: SchedulingState, timeout: float = 60) -> None:
    async def poll() -> None:
        while (await handle.query(SchedulingWorkflow.status)).state not in states:
            await asyncio.sleep(0.1)

    await asyncio.wait_for(poll(), timeout)


def _delivery_order(key: str) -> tuple[int, int]:
    """Maildir keys start `<seconds>.M<microseconds>`: the sink's delivery order."""
    seconds, rest = key.split(".", 1)
    micro = rest[1:].split("P", 1)[0] if rest.startswith("M") else "0"
    return int(seconds), int(micro) if micro.isdigit() else 0


def _mails(maildir: Path, to: str) -> list[email.message.Message]:
    """Messages delivered to `to`, in delivery order."""
    box = mailbox.Maildir(maildir, create=False)
    found = [email.message_from_bytes(box.get_bytes(key)) for key in sorted(box.keys(), key=_delivery_order)]
    return [m for m in found if to.lower() in str(m.get("To", "")).lower()]


def _ics(message: email.message.Message) -> bytes | None:
    """The text/calendar part of a message, decoded."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else None
    return None


async def test_happy_path_books_real_events_interviews_note_and_email_then_cancels(stack: Stack) -> None:
    settings = stack.settings
    handle, application_id, candidate_id = await start_offered(stack.env.client, settings)
    status = await handle.query(SchedulingWorkflow.status)
    assert status.offer is not None and status.offer.options

    async with HarvestClient.from_settings(settings) as gh:
        candidate = await gh.get_candidate(candidate_id)
    address = candidate.email_addresses[0].value
    invitations = _mails(stack.maildir, address)
    assert len(invitations) == 1
    assert f"{settings.web_base_url}/s/" in invitations[0].as_string()

    option = status.offer.options[0]
    result = await handle.execute_update(
        SchedulingWorkflow.select_option,
        SelectOptionInput(option_id=option.option_id, offer_version=status.offer.version),
    )
    history = (await handle.query(SchedulingWorkflow.status)).history
    assert result.outcome == "booked", [h.detail for h in history]
    booking = result.booking
    assert booking is not None and len(booking.sessions) == len(option.placements)

    # Calendars: every interviewer is busy exactly then.
    context = (await handle.query(SchedulingWorkflow.status)).booking
    assert context is not None
    async with CalDAVCalendar(stack.radicale_url) as caldav:
        for session in booking.sessions:
            event = await caldav.get_event(stack.settings.calendar_organizer, session.event_key)
            assert event is not None and event.start == session.start and event.end == session.end
            assert event.video is not None and event.video.url.startswith("https://")

    # Greenhouse: one interview per session, found by external_event_id; a note on the candidate.
    async with HarvestClient.from_settings(settings) as gh:
        interviews = [i async for i in gh.list_interviews(application_ids=[application_id])]
        ours = {i.external_event_id: i for i in interviews if i.external_event_id}
        for session in booking.sessions:
            recorded = ours[session.calendar_event_id or session.event_key]
            assert recorded.id == session.greenhouse_interview_id
            assert recorded.starts_at == session.start
        notes = [n async for n in gh.list_notes(candidate_ids=[candidate_id])]
        assert any(n.body and "Hireflow booked" in n.body for n in notes)

    # The confirmation carries an ICS that parses back to the loop's instants.
    mails = _mails(stack.maildir, address)
    assert len(mails) == 2 and _ics(mails[0]) is None
    ics = _ics(mails[1])
    assert ics is not None, "the confirmation has a text/calendar part"
    calendar = icalendar.Calendar.from_ical(ics)
    vevent = next(c for c in calendar.walk("VEVENT"))
    assert vevent.decoded("DTSTART") == booking.start and vevent.decoded("DTEND") == booking.end

    # The candidate cancels (a recruiter's cancel by @mention is tests/test_mention_watch.py).
    await handle.signal(
        SchedulingWorkflow.cancel, CancelInput(by="candidate", reason="accepted another offer")
    )
    final = await asyncio.wait_for(handle.result(), 60)
    assert final.state == SchedulingState.CANCELLED
    async with HarvestClient.from_settings(settings) as gh:
        bodies = [n.body or "" async for n in gh.list_notes(candidate_ids=[candidate_id])]
    assert any('Hireflow cancelled scheduling (candidate): "accepted another offer".' in b for b in bodies)
    async with HarvestClient.from_settings(settings) as gh:
        left = [i async for i in gh.list_interviews(application_ids=[application_id])]
        assert not {i.id for i in left} & {s.greenhouse_interview_id for s in booking.sessions}
    async with CalDAVCalendar(stack.radicale_url) as caldav:
        for session in booking.sessions:
            event = await caldav.get_event(stack.settings.calendar_organizer, session.event_key)
            assert event is None or event.status == "cancelled"
    mails = _mails(stack.maildir, address)
    assert len(mails) == 3
    cancellation = _ics(mails[2])
    assert cancellation is not None and b"METHOD:CANCEL" in cancellation
    assert timedelta(0) < booking.end - booking.start <= timedelta(hours=8)
    # Every interviewer hears of it by email too: CalDAV cancels an event without telling anyone.
    seed = {p.id: p.email for p in stack.sandbox.seed.interviewers}
    for session in booking.sessions:
        for interviewer in session.interviewers:
            notices = [
                m
                for m in _mails(stack.maildir, seed[interviewer])
                if str(m["Subject"]).startswith("Cancelled: ")
            ]
            assert any(session.name in str(m["Subject"]) for m in notices), (interviewer, session.name)


async def _candidate_address(settings: Settings, candidate_id: int) -> str:
    async with HarvestClient.from_settings(settings) as gh:
        candidate = await gh.get_candidate(candidate_id)
    return candidate.email_addresses[0].value.lower()


async def _book(handle: WorkflowHandle, option_index: int = 0) -> Booking:
    status = await handle.query(SchedulingWorkflow.status)
    assert status.offer is not None
    option = status.offer.options[option_index]
    result = await handle.execute_update(
        SchedulingWorkflow.select_option,
        SelectOptionInput(option_id=option.option_id, offer_version=status.offer.version),
    )
    # "booked" when the saga finished within the answer window, "confirming" when it takes longer.
    assert result.outcome in ("booked", "confirming"), result.message
    settled = await settle(handle)
    assert settled.state == SchedulingState.SCHEDULED and settled.booking is not None, settled.history[-3:]
    return settled.booking


async def _our_interviews(settings: Settings, application_id: int) -> list[Interview]:
    """Interviews Hireflow recorded on the application (the seed's own carry `seed-` event ids)."""
    async with HarvestClient.from_settings(settings) as gh:
        return [
            i
            async for i in gh.list_interviews(application_ids=[application_id])
            if i.external_event_id and not i.external_event_id.startswith("seed-")
        ]


async def _finish(handle: WorkflowHandle) -> None:
    await handle.signal(SchedulingWorkflow.cancel, CancelInput(reason="test over"))
    await asyncio.wait_for(handle.result(), 60)


async def test_silence_reminds_twice_escalates_then_recruiter_resumes(stack: Stack) -> None:
    settings = stack.settings
    handle, _, candidate_id = await start_offered(stack.env.client, settings)
    address = await _candidate_address(settings, candidate_id)
    await stack.env.sleep(timedelta(hours=25))
    await stack.env.sleep(timedelta(hours=24))
    await stack.env.sleep(timedelta(hours=25))
    await wait_for_state(handle, SchedulingState.ESCALATED)
    subjects = [m["Subject"] for m in _mails(stack.maildir, address)]
    assert len(subjects) == 3 and "Reminder" in subjects[1] and "Reminder" in subjects[2], subjects
    status = await handle.query(SchedulingWorkflow.status)
    assert status.reminders_sent == 2 and "did not answer" in status.escalation_reason
    async with HarvestClient.from_settings(settings) as gh:
        notes = [n async for n in gh.list_notes(candidate_ids=[candidate_id])]
    assert any(n.body and "needs a recruiter" in n.body for n in notes)

    await handle.signal(SchedulingWorkflow.recruiter_command, RecruiterCommandInput(command="resume"))
    await wait_for_state(handle, SchedulingState.OFFERED)
    resumed = await handle.query(SchedulingWorkflow.status)
    assert resumed.offer is not None and resumed.offer.version == 2 and resumed.reminders_sent == 0

    async def reinvited() -> bool:
        return len(_mails(stack.maildir, address)) == 4

    await _eventually(reinvited)
    await _finish(handle)


async def test_proposed_windows_get_options_inside_them(stack: Stack) -> None:
    handle, _, _ = await start_offered(stack.env.client, stack.settings)
    status = await handle.query(SchedulingWorkflow.status)
    assert status.offer is not None
    # Around the latest option offered, which the panel can meet: a window the seeded calendars (which
    # depend on the application the test got) may leave empty would escalate instead.
    latest = max(status.offer.options, key=lambda o: o.start)
    window = Interval(start=latest.start, end=latest.start + timedelta(days=2))
    result = await handle.execute_update(
        SchedulingWorkflow.propose_times, ProposeTimesInput(windows=[window], note="after Tuesday please")
    )
    assert result.outcome == "options", result.message
    assert result.options and all(window.start <= o.start and o.end <= window.end for o in result.options)
    assert (await handle.query(SchedulingWorkflow.status)).state == SchedulingState.NEGOTIATING
    booking = await _book(handle)
    assert window.start <= booking.start and booking.end <= window.end
    await _finish(handle)


async def test_option_taken_between_offer_and_pick_returns_fresh_options(stack: Stack) -> None:
    settings = stack.settings
    handle, _, _ = await start_offered(stack.env.client, settings)
    status = await handle.query(SchedulingWorkflow.status)
    assert status.offer is not None
    option = status.offer.options[0]
    placement = option.placements[0]
    person = next(p for p in stack.sandbox.seed.interviewers if p.id == placement.interviewers[0])
    async with CalDAVCalendar(stack.radicale_url) as caldav:
        await caldav.create_event(
            EventSpec(
                key=f"conflict-{uuid.uuid4().hex[:8]}",
                organizer=person.email.lower(),
                summary="Board meeting",
                start=placement.start,
                end=placement.end,
            )
        )
    result = await handle.execute_update(
        SchedulingWorkflow.select_option,
        SelectOptionInput(option_id=option.option_id, offer_version=status.offer.version),
    )
    assert result.outcome == "unavailable" and "just taken" in result.message
    assert result.offer_version == status.offer.version + 1 and result.options
    for fresh in result.options:
        for p in fresh.placements:
            clash = p.start < placement.end and placement.start < p.end
            assert not (clash and person.id in p.interviewers), "the new options avoid the new conflict"
    assert (
        await _our_interviews(settings, (await handle.query(SchedulingWorkflow.status)).application_id) == []
    )
    await _finish(handle)


async def test_reschedule_moves_the_loop_and_releases_the_old_one(stack: Stack) -> None:
    settings = stack.settings
    handle, application_id, candidate_id = await start_offered(stack.env.client, settings)
    first = await _book(handle)
    await handle.signal(
        SchedulingWorkflow.request_reschedule, RescheduleInput(by="candidate", reason="conflict")
    )
    await wait_for_state(handle, SchedulingState.RESCHEDULING)
    async with CalDAVCalendar(stack.radicale_url) as caldav:
        kept = await caldav.get_event(settings.calendar_organizer, first.sessions[0].event_key)
    assert kept is not None and kept.status == "confirmed", "the old loop stays booked until the new one is"
    second = await _book(handle, option_index=1)
    assert second.start != first.start
    async with CalDAVCalendar(stack.radicale_url) as caldav:
        for session in first.sessions:
            old = await caldav.get_event(settings.calendar_organizer, session.event_key)
            assert old is None or old.status == "cancelled"
    recorded = {i.id for i in await _our_interviews(settings, application_id)}
    assert recorded == {s.greenhouse_interview_id for s in second.sessions}
    mails = _mails(stack.maildir, await _candidate_address(settings, candidate_id))
    ics = _ics(mails[-1])
    assert ics is not None and b"SEQUENCE:1" in ics, "the moved loop updates the same calendar entry"
    await _finish(handle)


async def test_early_decline_replaces_the_interviewer_and_late_decline_escalates(stack: Stack) -> None:
    settings = stack.settings
    # RSVPs are polled every 12 h here so that skipping days does not run hundreds of real polls.
    policy = SchedulingPolicy(horizon_days=21, rsvp_poll_interval=timedelta(hours=12))
    # The seeded calendars depend on today's date and the hour: on some days nobody in a session's pool
    # is free at the booked time, and escalating is then the right answer. Another application is tried.
    for _ in range(4):
        handle, _, _ = await start_offered(stack.env.client, settings, policy)
        status = await handle.query(SchedulingWorkflow.status)
        assert status.offer is not None
        now = await stack.env.get_current_time()
        far = next(i for i, o in enumerate(status.offer.options) if o.start - now > timedelta(days=3))
        booking = await _book(handle, far)
        session = booking.sessions[0]
        decliner = next(p for p in stack.sandbox.seed.interviewers if p.id == session.interviewers[0])
        async with CalDAVCalendar(stack.radicale_url) as caldav:
            await caldav.set_response(decliner.email, session.event_key, ResponseStatus.DECLINED)
        await stack.env.sleep(timedelta(hours=12, minutes=1))
        if await _replaced_unless_nobody_can(handle):
            break
        await _finish(handle)
    else:
        raise AssertionError("in four applications nobody from the pool could ever replace a decliner")
    after = await handle.query(SchedulingWorkflow.status)
    assert after.booking is not None and after.state == SchedulingState.SCHEDULED
    moved = next(s for s in after.booking.sessions if s.session_id == session.session_id)
    assert decliner.id not in moved.interviewers and moved.start == session.start
    async with CalDAVCalendar(stack.radicale_url) as caldav:
        event = await caldav.get_event(settings.calendar_organizer, session.event_key)
    assert event is not None and decliner.email.lower() not in {a.email for a in event.attendees}
    async with HarvestClient.from_settings(settings) as gh:
        panel = [
            i.user_id async for i in gh.list_interviewers(interview_ids=[moved.greenhouse_interview_id or 0])
        ]
    assert sorted(u for u in panel if u is not None) == sorted(moved.interviewers)

    # A decline within the 48-hour cut-off escalates and keeps the booking.
    late = after.booking.sessions[-1]
    now = await stack.env.get_current_time()
    await _skip(stack.env, late.start - now - timedelta(hours=40))
    other = next(p for p in stack.sandbox.seed.interviewers if p.id == late.interviewers[0])
    async with CalDAVCalendar(stack.radicale_url) as caldav:
        await caldav.set_response(other.email, late.event_key, ResponseStatus.DECLINED)
    await stack.env.sleep(timedelta(hours=12, minutes=1))
    await wait_for_state(handle, SchedulingState.ESCALATED)
    escalated = await handle.query(SchedulingWorkflow.status)
    assert "cut-off" in escalated.escalation_reason and escalated.booking == after.booking
    await _finish(handle)


async def test_greenhouse_errors_during_booking_leave_no_duplicates(stack: Stack) -> None:
    settings = stack.settings
    handle, application_id, candidate_id = await start_offered(stack.env.client, settings)
    await stack.sandbox.add_fault("/v3/interviews", status=500, method="POST", count=2)
    await stack.sandbox.add_fault("/v3/notes", status=429, method="POST", count=1)
    try:
        booking = await _book(handle)
    finally:
        await stack.sandbox.clear_faults()
    interviews = await _our_interviews(settings, application_id)
    assert sorted(i.id for i in interviews) == sorted(
        s.greenhouse_interview_id or 0 for s in booking.sessions
    )
    async with HarvestClient.from_settings(settings) as gh:
        notes = [n async for n in gh.list_notes(candidate_ids=[candidate_id])]
    assert sum(1 for n in notes if n.body and "Hireflow booked" in n.body) == 1
    mails = _mails(stack.maildir, await _candidate_address(settings, candidate_id))
    assert [_ics(m) is not None for m in mails] == [False, True], "one invitation, one confirmation"
    await _finish(handle)


async def _skip(env: WorkflowEnvironment, span: timedelta) -> None:
    """Skip time a day at a time: one long jump over many timers upsets the Java test server."""
    while span > timedelta(0):
        step = min(span, timedelta(days=1))
        await env.sleep(step)
        span -= step


async def _replaced_unless_nobody_can(handle: WorkflowHandle) -> bool:
    """True once the decliner is replaced; False when it escalated because nobody in the pool is free."""
    outcome: list[bool] = []

    async def settled() -> bool:
        status = await handle.query(SchedulingWorkflow.status)
        if status.state == SchedulingState.ESCALATED:
            assert "nobody from the pool can replace" in status.escalation_reason, status.escalation_reason
            outcome.append(False)
        elif status.replacements == 1:
            outcome.append(True)
        return bool(outcome)

    await _eventually(settled)
    return outcome[0]


async def _eventually(check: Callable[[], Awaitable[bool]], timeout: float = 60) -> None:
    async def poll() -> None:
        while not await check():
            await asyncio.sleep(0.1)

    await asyncio.wait_for(poll(), timeout)
