"""The candidate's event page `/event/<token>` over real HTTP (uvicorn) against a workflow on real Temporal.

workflows/event.py's EventWorkflow did not exist when this was written, so a tiny test-only workflow
registered under the same name ("EventWorkflow") implements what the page uses: the
`availability_view` query and the `submit_availability` update (with a validator that refuses closed
answers, unknown applications and windows outside the days), with the interface's models. It keeps
one effect per request id, so the page's form nonce is what makes a repeated post one answer. It runs
unsandboxed (a test double, not product code) on the Temporal dev server.
"""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest_asyncio
import uvicorn
from pydantic import BaseModel, SecretStr
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from integrations.event_client import EventClient, event_link_subject
from integrations.links import LinkPurpose, make_link_token
from models.event_io import (
    AvailabilityInput,
    AvailabilityResult,
    AvailabilityView,
    EventCandidateState,
    EventState,
)
from models.scheduling import Interval, Placement
from models.settings import Settings
from starters.ports import free_port
from web.app import create_app
from web.event_views import block_key

SIGNING = "event-page-test-secret"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
NONCE_RE = re.compile(r'name="request_id" value="([^"]+)"')
DAY1 = Interval(start=datetime(2027, 3, 24, 9, tzinfo=UTC), end=datetime(2027, 3, 24, 17, tzinfo=UTC))
DAY2 = Interval(start=datetime(2027, 3, 25, 9, tzinfo=UTC), end=datetime(2027, 3, 25, 13, tzinfo=UTC))
ADA, BEN = 52877001001, 52877001002
ZONES = {ADA: "Europe/London", BEN: "America/New_York"}


# ------------------------------------------------------------------------- the test-only workflow


class FakeEventInput(BaseModel):
    days: list[Interval]
    zones: dict[int, str]
    answer_by: datetime
    name: str = "hiring day"


class FakeEventLog(BaseModel):
    effects: int = 0
    time_zones: list[str | None] = []


@workflow.defn(name="EventWorkflow")
class EventWorkflow:
    """What the page needs of the EventWorkflow, and nothing more."""

    @workflow.init
    def __init__(self, request: FakeEventInput) -> None:
        self.request = request
        self.open = True
        self.done = False
        self.windows: dict[int, list[Interval]] = {}
        self.answered: set[int] = set()
        self.placements: dict[int, list[Placement]] = {}
        self.request_ids: set[str] = set()
        self.excluded: set[int] = set()
        self.log = FakeEventLog()

    @workflow.run
    async def run(self, request: FakeEventInput) -> None:
        await workflow.wait_condition(lambda: self.done)

    @workflow.query(name="availability_view")
    def availability_view(self, application_id: int) -> AvailabilityView:
        if application_id not in self.request.zones:
            raise ValueError(f"application {application_id} is not invited to this event")
        state = EventCandidateState.INVITED
        if application_id in self.answered:
            state = (
                EventCandidateState.ANSWERED
                if self.windows[application_id]
                else EventCandidateState.UNAVAILABLE
            )
        if self.placements.get(application_id):
            state = EventCandidateState.SCHEDULED
        if application_id in self.excluded:
            state = EventCandidateState.EXCLUDED
        refused = "You are not invited to this event." if application_id in self.excluded else ""
        return AvailabilityView(
            state=EventState.COLLECTING if self.open else EventState.RUNNING,
            open=self.open and not refused,
            candidate_state=state,
            first_name="Ada" if application_id == ADA else "Ben",
            job_name="Backend Engineer",
            event_name=self.request.name,
            days=self.request.days,
            candidate_time_zone=self.request.zones[application_id],
            granularity_minutes=15,
            windows=self.windows.get(application_id, []),
            answer_by=self.request.answer_by,
            placements=self.placements.get(application_id, []),
            message=refused or ("" if self.open else "We are planning the event and will email you."),
            chain_id=workflow.info().first_execution_run_id,
        )

    @workflow.query(name="fake_log")
    def fake_log(self) -> FakeEventLog:
        return self.log

    @workflow.update(name="submit_availability")
    def submit_availability(self, answer: AvailabilityInput) -> AvailabilityResult:
        if answer.request_id not in self.request_ids:
            self.request_ids.add(answer.request_id)
            self.log.effects += 1
            self.log.time_zones.append(answer.time_zone)
            self.windows[answer.application_id] = answer.windows
            self.answered.add(answer.application_id)
        if not answer.windows:
            return AvailabilityResult(
                outcome="recorded", message="Thank you, we have noted that you can't come."
            )
        return AvailabilityResult(outcome="recorded", message="Thank you, we have your times.")

    @submit_availability.validator
    def _check(self, answer: AvailabilityInput) -> None:
        if not self.open:
            raise ValueError("The answers for this event are closed")
        if answer.application_id not in self.request.zones or answer.application_id in self.excluded:
            raise ValueError("You are not invited to this event")
        for w in answer.windows:
            if not any(d.start <= w.start and w.end <= d.end for d in self.request.days):
                raise ValueError("A time is outside the event's days")

    @workflow.signal(name="fake_close")
    def fake_close(self) -> None:
        self.open = False

    @workflow.signal(name="fake_exclude")
    def fake_exclude(self, application_id: int) -> None:
        self.excluded.add(application_id)

    @workflow.signal(name="fake_plan")
    def fake_plan(self, placements: dict[int, list[Placement]]) -> None:
        self.open = False
        self.placements = placements

    @workflow.signal(name="fake_finish")
    def fake_finish(self) -> None:
        self.done = True


# ---------------------------------------------------------------------------------------- harness


@dataclass
class EventHarness:
    client: Client
    settings: Settings
    base_url: str
    started: list[str]

    async def start(self) -> WorkflowHandle[Any, Any]:
        workflow_id = f"event-{uuid.uuid4().int % 10**6}-71416-20270324"
        request = FakeEventInput(
            days=[DAY1, DAY2], zones=ZONES, answer_by=datetime(2027, 3, 20, 17, tzinfo=UTC)
        )
        handle = await self.client.start_workflow(
            "EventWorkflow", request, id=workflow_id, task_queue=self.settings.task_queue
        )
        self.started.append(workflow_id)
        return handle

    def token(
        self,
        handle: WorkflowHandle[Any, Any],
        application_id: int = ADA,
        purpose: LinkPurpose = "availability",
        ttl: timedelta = timedelta(days=1),
        chain: str | None = "",
    ) -> str:
        return make_link_token(
            event_link_subject(handle.id, application_id),
            purpose,
            datetime.now(UTC) + ttl,
            SIGNING,
            chain_id=handle.first_execution_run_id if chain == "" else chain,
        )

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, follow_redirects=False, timeout=20)


async def effects(handle: WorkflowHandle[Any, Any]) -> FakeEventLog:
    return await handle.query("fake_log", result_type=FakeEventLog)


async def view_of(
    harness: EventHarness, handle: WorkflowHandle[Any, Any], application_id: int = ADA
) -> AvailabilityView:
    return await EventClient(harness.client).availability_view(handle.id, application_id)


def csrf_of(page: str) -> str:
    match = CSRF_RE.search(page)
    assert match, "page has no CSRF field"
    return match.group(1)


def form_of(page: str, **fields: Any) -> dict[str, Any]:
    nonce = NONCE_RE.search(page)
    assert nonce, "page has no form nonce"
    return {"csrf": csrf_of(page), "request_id": nonce.group(1), **fields}


def checked(page: str) -> list[str]:
    return re.findall(r'name="block" id="[^"]+" value="([^"]+)" checked', page)


def hours(day: Interval, *offsets: int) -> list[str]:
    return [block_key(day.start + timedelta(hours=h)) for h in offsets]


@pytest_asyncio.fixture
async def events(dev_server_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[EventHarness]:
    queue = f"event-page-{uuid.uuid4().hex[:8]}"
    port = free_port()
    settings = Settings(
        state_dir=tmp_path,
        task_queue=queue,
        harvest_task_queue=queue,
        planner_task_queue=queue,
        web_base_url=f"http://127.0.0.1:{port}",
        signing_secret=SecretStr(SIGNING),
        database_url=f"sqlite:///{tmp_path / 'web.db'}",
        web_max_body_bytes=64 * 1024,
    )
    client = dev_server_env.client

    async def factory() -> Client:
        return client

    app = create_app(settings, factory)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    async with Worker(
        client, task_queue=queue, workflows=[EventWorkflow], workflow_runner=UnsandboxedWorkflowRunner()
    ):
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        harness = EventHarness(client, settings, settings.web_base_url, [])
        try:
            yield harness
        finally:
            server.should_exit = True
            await serving
            for workflow_id in harness.started:
                try:
                    await client.get_workflow_handle(workflow_id).terminate("test over")
                except Exception:
                    pass


# ------------------------------------------------------------------------------------------ tests


async def test_the_form_shows_each_day_in_hourly_blocks_in_the_candidates_zone(events: EventHarness) -> None:
    handle = await events.start()
    async with events.http() as http:
        london = await http.get(f"/event/{events.token(handle)}")
        assert london.status_code == 200, london.text[:500]
        page = html.unescape(london.text)
        assert "Which times can you come?" in page and "Hi Ada" in page and "hiring day" in page
        assert "London time (Europe/London)" in page
        assert 'Wednesday 24 March <span class="muted">(London time, GMT)</span>' in page
        assert "Thursday 25 March" in page
        assert page.count('name="block"') == 8 + 4 and page.count('name="day"') == 2
        assert "09:00\u201310:00" in page and "16:00\u201317:00" in page
        assert "I can't make any of these times" in page
        assert checked(page) == []
        assert london.headers["cache-control"] == "no-store"
        assert "path=/event/" in london.headers["set-cookie"].lower()
        assert "httponly" in london.headers["set-cookie"].lower()

        ben = await http.get(f"/event/{events.token(handle, BEN)}")
        assert "New York time (America/New_York)" in ben.text and "05:00\u201306:00" in html.unescape(
            ben.text
        )
        # 09:00 UTC on 24 March 2027 is 05:00 EDT: the zone names its summer time
        assert "(New York time, EDT)" in ben.text
        tokyo = await http.get(f"/event/{events.token(handle)}", params={"tz": "Asia/Tokyo"})
        assert "Tokyo time (Asia/Tokyo)" in tokyo.text and "Thu 01:00\u201302:00" in html.unescape(tokyo.text)


async def test_checked_blocks_are_recorded_as_merged_windows_once_per_form(events: EventHarness) -> None:
    handle = await events.start()
    token = events.token(handle)
    async with events.http() as http:
        page = (await http.get(f"/event/{token}")).text
        form = form_of(page, block=hours(DAY1, 0, 1, 2, 5), day=[block_key(DAY2.start)], send="1")
        answered = await http.post(f"/event/{token}", data=form)
        assert answered.status_code == 200, answered.text[:500]
        assert "Thank you, we have your times." in answered.text
        again = await http.post(f"/event/{token}", data=form)  # the browser posts the same form again
        assert again.status_code == 200 and "Thank you" in again.text
        log = await effects(handle)
        assert log.effects == 1 and log.time_zones == ["Europe/London"]
        view = await view_of(events, handle)
        assert view.windows == [
            Interval(start=DAY1.start, end=DAY1.start + timedelta(hours=3)),
            Interval(start=DAY1.start + timedelta(hours=5), end=DAY1.start + timedelta(hours=6)),
            DAY2,
        ]
        shown = await http.get(f"/event/{token}")
        assert sorted(checked(shown.text)) == sorted(hours(DAY1, 0, 1, 2, 5) + hours(DAY2, 0, 1, 2, 3))
        assert "So far you told us you can come" in shown.text

        changed = await http.post(f"/event/{token}", data=form_of(shown.text, block=hours(DAY1, 7)))
        assert changed.status_code == 200 and checked(changed.text) == hours(DAY1, 7)
        assert (await effects(handle)).effects == 2


async def test_i_cant_make_any_of_these_times_records_no_windows(events: EventHarness) -> None:
    handle = await events.start()
    token = events.token(handle, BEN)
    async with events.http() as http:
        page = (await http.get(f"/event/{token}")).text
        answered = await http.post(f"/event/{token}", data=form_of(page, block=hours(DAY1, 0), none="1"))
        assert answered.status_code == 200
        text = html.unescape(answered.text)
        assert "we have noted that you can't come" in text and "none of the times work for you" in text
    view = await view_of(events, handle, BEN)
    assert view.windows == [] and view.candidate_state == EventCandidateState.UNAVAILABLE
    assert (await effects(handle)).time_zones == ["America/New_York"]


async def test_odd_answers_are_refused_and_nothing_is_recorded(events: EventHarness) -> None:
    handle = await events.start()
    token = events.token(handle)
    async with events.http() as http:
        page = (await http.get(f"/event/{token}")).text
        outside = block_key(DAY1.end)  # the hour after the day
        odd = {
            "unknown value": form_of(page, block=["nonsense"]),
            "outside the day": form_of(page, block=[outside]),
            "between blocks": form_of(page, block=[block_key(DAY1.start + timedelta(minutes=30))]),
            "not a day": form_of(page, day=[block_key(DAY1.start + timedelta(hours=1))]),
            "nothing chosen": form_of(page),
        }
        for case, form in odd.items():
            answer = await http.post(f"/event/{token}", data=form)
            assert answer.status_code == 400, (case, answer.text[:300])
            assert "Nothing was recorded" in answer.text, case
        too_many = urlencode([("block", hours(DAY1, 0)[0])] * 500 + [("csrf", csrf_of(page))])
        answer = await http.post(
            f"/event/{token}",
            content=too_many.encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 400
        huge = await http.post(f"/event/{token}", data=form_of(page, padding="x" * 100_000))
        assert huge.status_code == 413
        no_csrf = await http.post(f"/event/{token}", data={"block": hours(DAY1, 0)})
        assert no_csrf.status_code == 403 and "nothing was recorded" in no_csrf.text
        other_link = await http.post(
            f"/event/{events.token(handle, BEN)}", data=form_of(page, block=hours(DAY1, 0))
        )
        assert other_link.status_code == 403, "a form's CSRF tag is bound to its own link"
        as_file = await http.post(
            f"/event/{token}", data=form_of(page), files={"block": ("x.txt", b"20270324T0900Z")}
        )
        assert as_file.status_code == 400
    assert (await effects(handle)).effects == 0


async def test_bad_links_get_friendly_pages_with_the_right_status(events: EventHarness) -> None:
    handle = await events.start()
    good = events.token(handle)
    other = events.token(handle, BEN)
    cases = {
        "not-a-token": (400, "We don't recognise this link"),
        f"{other.split('.')[0]}.{good.split('.')[1]}": (403, "doesn't look right"),
        events.token(handle, ttl=timedelta(seconds=-5)): (410, "The answers for this event are closed"),
        events.token(handle, purpose="pick"): (403, "This link can't do that"),
        make_link_token("schedule-1-2", "availability", datetime.now(UTC) + timedelta(days=1), SIGNING): (
            400,
            "We don't recognise this link",
        ),
        events.token(handle, 99): (404, "We can't find your invitation to this event"),
        events.token(handle, chain="another-run"): (410, "This event has moved on"),
        make_link_token(
            event_link_subject("event-404-404-20270324", ADA),
            "availability",
            datetime.now(UTC) + timedelta(days=1),
            SIGNING,
        ): (404, "We can't find this event"),
    }
    async with events.http() as http:
        for token, (status, text) in cases.items():
            response = await http.get(f"/event/{token}")
            assert response.status_code == status, (token, response.text[:300])
            assert text in html.unescape(response.text)
            assert "Traceback" not in response.text
            posted = await http.post(f"/event/{token}", data={"block": hours(DAY1, 0)})
            assert posted.status_code in (status, 403), (token, posted.status_code)
        on_scheduling_page = await http.get(f"/s/{good}")
        assert on_scheduling_page.status_code == 403, "the /s/ pages refuse an event's link"
    assert (await effects(handle)).effects == 0


async def test_closed_answers_are_the_workflows_refusal(events: EventHarness) -> None:
    handle = await events.start()
    token = events.token(handle)
    async with events.http() as http:
        page = (await http.get(f"/event/{token}")).text
        await handle.signal("fake_close")
        late = await http.post(f"/event/{token}", data=form_of(page, block=hours(DAY1, 0)))
        assert late.status_code == 409
        text = html.unescape(late.text)
        assert "The answers for this event are closed" in text
        assert 'name="block"' not in text, "a closed event shows no form"
        shown = await http.get(f"/event/{token}")
        assert shown.status_code == 200 and "We are planning the event and will email you." in shown.text
    assert (await effects(handle)).effects == 0


async def test_after_planning_the_page_shows_the_loop_in_time_order_in_the_candidates_zone(
    events: EventHarness,
) -> None:
    handle = await events.start()
    late = Placement(
        session="s2",
        start=DAY1.start + timedelta(hours=3),
        end=DAY1.start + timedelta(hours=4),
        interviewers=[21],
    )
    early = Placement(
        session="s1",
        start=DAY1.start + timedelta(hours=1),
        end=DAY1.start + timedelta(hours=2),
        interviewers=[22],
    )
    await handle.signal("fake_plan", {BEN: [late, early]})
    async with events.http() as http:
        page = await http.get(f"/event/{events.token(handle, BEN)}")
        assert page.status_code == 200
        text = html.unescape(page.text)
        assert "Your interviews at our hiring day" in text and 'name="block"' not in text
        first = "Wednesday 24 March, 06:00\u201307:00 (New York time, EDT)"
        second = "Wednesday 24 March, 08:00\u201309:00 (New York time, EDT)"
        assert first in text and second in text and text.index(first) < text.index(second)
        ada = await http.get(f"/event/{events.token(handle, ADA)}")
        assert "The answers for this event are closed" in html.unescape(ada.text)


async def test_a_candidate_the_event_left_out_is_told_so_and_cannot_answer(events: EventHarness) -> None:
    handle = await events.start()
    token = events.token(handle, BEN)
    async with events.http() as http:
        page = (await http.get(f"/event/{token}")).text
        await handle.signal("fake_exclude", BEN)
        shown = await http.get(f"/event/{token}")
        assert shown.status_code == 200
        text = html.unescape(shown.text)
        assert "There is nothing to answer here" in text and "You are not invited to this event." in text
        assert 'name="block"' not in text
        posted = await http.post(f"/event/{token}", data=form_of(page, block=hours(DAY1, 0)))
        assert posted.status_code == 409 and "You are not invited to this event" in posted.text
    assert (await effects(handle)).effects == 0
