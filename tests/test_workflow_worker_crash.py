"""A worker process killed (SIGKILL) in the middle of booking, then restarted: exactly one of each effect.

Runs on the real dev server with `hireflow worker` as a child process, the Greenhouse sandbox slowed
down so the kill lands while `POST /v3/interviews` is in flight, Radicale and the SMTP sink.
"""

from __future__ import annotations

import asyncio
import email
import mailbox
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from integrations.calendar.caldav import CalDAVCalendar
from integrations.greenhouse.client import HarvestClient
from models.messages import CancelInput, SchedulingPolicy, SchedulingState, SelectOptionInput
from models.settings import Settings
from sandbox.greenhouse.server import SandboxServer
from sandbox.radicale.server import RadicaleServer
from tests.fixtures.mail import SinkHandle
from tests.support.stack import seeded_store, settings_environment, settle, stack_settings, start_offered
from workflows.scheduling import SchedulingWorkflow

pytestmark = pytest.mark.integration


@contextmanager
def worker_process(settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`hireflow worker` as a child process with these settings; killed on exit if still alive."""
    # development: the local test stack's secrets are short fixtures `hireflow worker` refuses in production
    env = {
        **os.environ,
        **settings_environment(settings),
        "HIREFLOW_LOG_FORMAT": "json",
        "HIREFLOW_ENVIRONMENT": "development",
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "starters.cli", "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


async def _eventually(check: object, timeout: float = 60, what: str = "condition") -> None:
    async def poll() -> None:
        while not await check():  # type: ignore[operator]
            await asyncio.sleep(0.2)

    try:
        await asyncio.wait_for(poll(), timeout)
    except TimeoutError as error:
        raise AssertionError(f"timed out waiting for {what}") from error


async def test_worker_killed_mid_booking_then_restarted_leaves_exactly_one_of_each(
    dev_server_env: WorkflowEnvironment,
    greenhouse_sandbox: SandboxServer,
    radicale: RadicaleServer,
    smtp_sink: SinkHandle,
    tmp_path: Path,
) -> None:
    target = dev_server_env.client.service_client.config.target_host
    settings = stack_settings(greenhouse_sandbox, radicale.url, smtp_sink.sink.port, tmp_path, target)
    engine = await seeded_store(settings, greenhouse_sandbox)
    client = dev_server_env.client
    policy = SchedulingPolicy(activity_timeout=timedelta(seconds=6), options=3)
    log = tmp_path / "worker.log"

    with worker_process(settings, log) as first:
        handle, application_id, candidate_id = await start_offered(client, settings, policy)
        status = await handle.query(SchedulingWorkflow.status)
        assert status.offer is not None
        option = status.offer.options[0]
        # Every POST /v3/interviews now takes 4 s: the kill lands while the first one is in flight.
        await greenhouse_sandbox.add_fault("/v3/interviews", latency_ms=4000, method="POST", count=1)
        pick = asyncio.create_task(
            handle.execute_update(
                SchedulingWorkflow.select_option,
                SelectOptionInput(option_id=option.option_id, offer_version=status.offer.version),
            )
        )
        keys = [f"{handle.id}-b1-{p.session}" for p in option.placements]
        async with CalDAVCalendar(radicale.url) as caldav:

            async def events_created() -> bool:
                found = [await caldav.get_event(settings.calendar_organizer, k) for k in keys]
                return all(e is not None for e in found)

            await _eventually(events_created, what="calendar events of the booking")
        await asyncio.sleep(1.5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL

    await greenhouse_sandbox.clear_faults()
    with worker_process(settings, log):
        result = await asyncio.wait_for(pick, 120)
        # The pick answered within seconds ("confirming"); the booking finishes on the new worker.
        assert result.outcome in ("booked", "confirming"), result.message
        settled = await settle(handle, timeout=120)
        assert settled.state == SchedulingState.SCHEDULED and settled.booking is not None, settled.history[
            -3:
        ]
        booking = settled.booking

        async with HarvestClient.from_settings(settings) as gh:
            interviews = [i async for i in gh.list_interviews(application_ids=[application_id])]
            ours = [
                i
                for i in interviews
                if i.external_event_id in {s.calendar_event_id for s in booking.sessions}
            ]
            assert len(ours) == len(booking.sessions), "one Greenhouse interview per session, no duplicate"
            notes = [n async for n in gh.list_notes(candidate_ids=[candidate_id])]
            candidate = await gh.get_candidate(candidate_id)
            assert sum(1 for n in notes if n.body and "Hireflow booked" in n.body) == 1
        async with CalDAVCalendar(radicale.url) as caldav:
            for session in booking.sessions:
                event = await caldav.get_event(settings.calendar_organizer, session.event_key)
                assert event is not None and event.start == session.start
                for interviewer in session.interviewers:
                    person = next(p for p in greenhouse_sandbox.seed.interviewers if p.id == interviewer)
                    busy = await caldav.free_busy([person.email.lower()], session.start, session.end)
                    assert busy[person.email.lower()].hard, "the interviewer's calendar shows the session"
        address = candidate.email_addresses[0].value.lower()
        box = mailbox.Maildir(smtp_sink.maildir, create=False)
        messages = [email.message_from_bytes(box.get_bytes(k)) for k in box.keys()]
        subjects = sorted(m.get("Subject", "") for m in messages if address in str(m.get("To", "")).lower())
        assert len(subjects) == 2, f"the candidate gets one invitation and one confirmation, got {subjects}"
        assert subjects[0].startswith("Confirmed") and subjects[1].startswith("Pick a time")

        await handle.signal(SchedulingWorkflow.cancel, CancelInput(reason="test over"))
        final = await asyncio.wait_for(handle.result(), 60)
        assert final.state == SchedulingState.CANCELLED
    engine.dispose()
