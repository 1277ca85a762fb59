"""SchedulingWorkflow end to end with its real activities: Greenhouse sandbox over HTTP, Radicale, SMTP sink.

Runs on the time-skipping server, so reminders and loop ends take no wall time, while every calendar
event, Greenhouse interview, note and email is real and checked where it landed.
"""

from __future__ import annotations

import asyncio
import email
import email.utils
import mailbox
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import icalendar
import pytest
import pytest_asyncio
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from integrations.calendar.caldav import CalDAVCalendar
from integrations.calendar.radicale_server import RadicaleServer
from integrations.greenhouse.client import HarvestClient
from models.messages import CancelInput, SchedulingState, SelectOptionInput
from models.settings import Settings
from sandbox.greenhouse.server import SandboxServer
from starters.requests import start_scheduling
from tests.fixtures.mail import SinkHandle
from tests.support.stack import onsite_application, seeded_store, stack_settings
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
) -> AsyncIterator[Stack]:
    settings = stack_settings(greenhouse_sandbox, radicale.url, smtp_sink.sink.port, tmp_path)
    engine = await seeded_store(settings, greenhouse_sandbox)
    async with running_workers(time_skipping_env.client, settings):
        yield Stack(time_skipping_env, settings, greenhouse_sandbox, engine, smtp_sink.maildir, radicale.url)
    engine.dispose()


async def _until(handle: WorkflowHandle, *states: SchedulingState, timeout: float = 60) -> None:
    async def poll() -> None:
        while (await handle.query(SchedulingWorkflow.status)).state not in states:
            await asyncio.sleep(0.1)

    await asyncio.wait_for(poll(), timeout)


def _mails(maildir: Path, to: str) -> list[email.message.Message]:
    """Messages delivered to `to`, oldest first (by our Date header, then arrival)."""
    box = mailbox.Maildir(maildir, create=False)
    found = [email.message_from_bytes(box.get_bytes(key)) for key in box.keys()]
    found = [m for m in found if to.lower() in str(m.get("To", "")).lower()]
    return sorted(found, key=lambda m: email.utils.parsedate_to_datetime(m["Date"]))


def _ics(message: email.message.Message) -> bytes | None:
    """The text/calendar part of a message, decoded."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else None
    return None


async def test_happy_path_books_real_events_interviews_note_and_email_then_cancels(stack: Stack) -> None:
    settings = stack.settings
    application_id, stage_id, candidate_id = await onsite_application(settings, nth=0)
    handle = await start_scheduling(stack.env.client, settings, application_id, stage_id)
    await _until(handle, SchedulingState.OFFERED, SchedulingState.ESCALATED)
    status = await handle.query(SchedulingWorkflow.status)
    assert status.state == SchedulingState.OFFERED, status.escalation_reason
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

    await handle.signal(SchedulingWorkflow.cancel, CancelInput(by="recruiter", reason="position filled"))
    final = await asyncio.wait_for(handle.result(), 60)
    assert final.state == SchedulingState.CANCELLED
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
