"""A recruiting event end to end with its real activities: the Greenhouse sandbox over HTTP, Radicale, the
SMTP sink and the event planner (CP-SAT), on the time-skipping server.

A small Onsite stage is planned as one event: every candidate is emailed a link to the event page, answers,
and the whole event is planned at once; each planned loop is booked by the application's own
SchedulingWorkflow (calendar events, Greenhouse interviews, a confirmation); nobody is double-booked
across candidates; a cancelled event cancels every loop it booked.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import mailbox
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from itertools import combinations
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.engine import Engine
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from activities.mention_events import office_zone
from integrations.event_client import EventClient
from integrations.greenhouse.client import HarvestClient
from integrations.org_store import OrgConfigStore
from models import temporal_keys as keys
from models.event_io import (
    AvailabilityInput,
    EventCancelInput,
    EventPolicy,
    EventRequest,
)
from models.event_io import EventCandidateState as C
from models.event_io import EventState as E
from models.messages import SchedulingState, scheduling_workflow_id
from models.scheduling import Interval, Placement
from models.settings import Settings
from sandbox.greenhouse.server import SandboxServer
from sandbox.radicale.server import RadicaleServer
from tests.fixtures.mail import SinkHandle
from tests.support.fake_events import until_event
from tests.support.stack import mark_taken, seeded_store, stack_settings
from workers.main import running_workers
from workflows.scheduling import SchedulingWorkflow

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def stack(
    time_skipping_env: WorkflowEnvironment,
    greenhouse_sandbox: SandboxServer,
    radicale: RadicaleServer,
    smtp_sink: SinkHandle,
    tmp_path: Path,
) -> AsyncIterator[tuple[WorkflowEnvironment, Settings, Engine, Path]]:
    settings = stack_settings(greenhouse_sandbox, radicale.url, smtp_sink.sink.port, tmp_path)
    engine = await seeded_store(settings, greenhouse_sandbox)
    async with running_workers(time_skipping_env.client, settings):
        yield time_skipping_env, settings, engine, smtp_sink.maildir
    engine.dispose()


async def _small_onsite_stage(settings: Settings) -> tuple[int, int, list[int]]:
    """A job whose Onsite stage holds 2 to 6 active applications: (job, stage, applications)."""
    by_stage: dict[tuple[int, int], list[int]] = {}
    async with HarvestClient.from_settings(settings) as gh:
        async for app in gh.list_applications(status="active", stage_name="Onsite", prospect=False):
            if app.job_id and app.job_interview_stage_id:
                by_stage.setdefault((app.job_id, app.job_interview_stage_id), []).append(app.id)
    fitting = sorted((len(apps), key) for key, apps in by_stage.items() if 2 <= len(apps) <= 6)
    assert fitting, "the seed has no job with a small Onsite stage"
    job_id, stage_id = fitting[0][1]
    return job_id, stage_id, sorted(by_stage[(job_id, stage_id)])


def _event_day() -> date:
    day = date.today() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _overlap(a: Placement, b: Placement) -> bool:
    return a.start < b.end and b.start < a.end


async def test_an_event_is_planned_as_a_whole_and_every_loop_booked_for_real(
    stack: tuple[WorkflowEnvironment, Settings, Engine, Path],
) -> None:
    env, settings, engine, maildir = stack
    job_id, stage_id, applications = await _small_onsite_stage(settings)
    mark_taken(applications)
    async with HarvestClient.from_settings(settings) as gh:
        job = await gh.get_job(job_id)
    zone = await office_zone(OrgConfigStore(engine), job)
    request = EventRequest(
        job_id=job_id,
        job_interview_stage_id=stage_id,
        days=[_event_day()],
        time_zone=zone,
        name="hiring day",
        policy=EventPolicy(
            planner_time_limit_seconds=3, answer_window=timedelta(hours=12), answer_lead=timedelta(hours=6)
        ),
    )
    events = EventClient(env.client, settings)
    handle = await events.start(request)
    assert (await events.start(request)).id == handle.id  # starting again finds the running event

    status = await until_event(handle, lambda s: s.state == E.COLLECTING, timeout=120)
    assert sorted(c.application_id for c in status.candidates) == applications
    invited = [c for c in status.candidates if c.state == C.INVITED]
    assert invited, [c.reason for c in status.candidates]

    # Every invited candidate got the event page's link by email (the sink saw it, in their own zone).
    async def mailed() -> int:
        box = mailbox.Maildir(maildir, create=False)
        bodies = [email.message_from_bytes(box.get_bytes(k)).as_string() for k in box.keys()]
        return sum(f"{settings.web_base_url}/event/" in body for body in bodies)

    deadline = asyncio.get_running_loop().time() + 30
    while await mailed() < len(invited) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.2)
    assert await mailed() == len(invited)

    whole_day = [Interval(start=d.start, end=d.end) for d in status.days]
    for n, candidate in enumerate(invited):
        answer = AvailabilityInput(
            application_id=candidate.application_id, windows=whole_day, request_id=f"f{n}"
        )
        result = await events.submit_availability(handle.id, answer)
        assert result.outcome == "recorded", result.message

    settled = await until_event(
        handle,
        lambda s: (
            s.state == E.RUNNING and not any(c.state in (C.SCHEDULED, C.ANSWERED) for c in s.candidates)
        ),
        timeout=120,
    )
    booked = [c for c in settled.candidates if c.state == C.BOOKED]
    assert booked, [(c.state, c.reason) for c in settled.candidates]
    assert settled.plans_made == 1 and settled.bound_candidates is not None
    assert settled.bound_candidates >= len(booked) + sum(c.state == C.HANDED_OVER for c in settled.candidates)
    for candidate in settled.candidates:
        if candidate.state == C.UNSCHEDULED:
            assert candidate.reason and candidate.blockers  # the planner says why, with its blockers

    # Nobody is in two places at once across the whole event, and every loop sits inside the day.
    placements = [p for c in booked for p in c.placements]
    for a, b in combinations(placements, 2):
        if _overlap(a, b):
            assert not set(a.interviewers) & set(b.interviewers), (a, b)
            assert a.room is None or a.room != b.room, (a, b)
    assert all(status.days[0].start <= p.start and p.end <= status.days[0].end for p in placements)

    # Each loop was booked by its own SchedulingWorkflow: real calendar events and Greenhouse interviews.
    async with HarvestClient.from_settings(settings) as gh:
        for candidate in booked:
            child = env.client.get_workflow_handle(scheduling_workflow_id(candidate.application_id, stage_id))
            child_status = await child.query(SchedulingWorkflow.status)
            assert child_status.state == SchedulingState.SCHEDULED and child_status.booking is not None
            assert sorted(s.start for s in child_status.booking.sessions) == sorted(
                p.start for p in candidate.placements
            )
            recorded = await gh.list_interviews(application_ids=[candidate.application_id]).collect()
            events_booked = {s.calendar_event_id for s in child_status.booking.sessions}
            assert None not in events_booked and events_booked <= {i.external_event_id for i in recorded}

    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    page = metadata.current_details  # the Temporal UI's details: a row per application, no names or addresses
    assert "| application | state |" in page
    assert all(f"| {c.application_id} | booked |" in page for c in booked)
    assert "@" not in page
    described = await handle.describe()
    assert described.typed_search_attributes.get(keys.SCHEDULING_STATUS) == "running"
    assert described.typed_search_attributes.get(keys.JOB_ID) == job_id

    cancelled = await events.cancel(handle.id, EventCancelInput(reason="the office is closed"))
    assert cancelled.outcome == "done"
    final = await asyncio.wait_for(handle.result(), 60)
    assert final.state == E.CANCELLED
    for candidate in booked:
        child = env.client.get_workflow_handle(scheduling_workflow_id(candidate.application_id, stage_id))
        with contextlib.suppress(WorkflowFailureError):  # a Temporal cancel ends it Canceled, all released
            await asyncio.wait_for(child.result(), 60)
        assert (await child.query(SchedulingWorkflow.status)).state == SchedulingState.CANCELLED
    assert datetime.now(UTC) < status.days[0].start  # the event was planned ahead, not in the past
