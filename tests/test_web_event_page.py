"""The candidate's event page `/event/<token>` over real HTTP (uvicorn) against the real EventWorkflow.

workflows/event.py's EventWorkflow and the SchedulingWorkflows it starts run on the time-skipping
server (a fresh one per test), with the in-memory fakes of tests/support/fake_events.py behind their
activities, all on one task queue (also the request's harvest and planner queues). Each event invites
two candidates, Ada (London) and Ben (New York), to two days of 09:00 to 17:00 UTC two weeks ahead. Every
check reads back the workflow's own state (`event_status`): an invitee's windows, state and number of
answers, the plan, what was refused.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
import pytest_asyncio
import uvicorn
from pydantic import SecretStr
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from integrations.event_client import EventClient, event_link_subject
from integrations.links import LinkPurpose, make_link_token
from models.event_io import EventCandidateState as C
from models.event_io import EventInvitee, EventPolicy, EventRequest, EventStatus
from models.event_io import EventState as E
from models.messages import SchedulingRequest, TaskQueues, scheduling_workflow_id
from models.scheduling import Interval, Placement
from models.settings import Settings
from starters.ports import free_port
from tests.support.fake_events import (
    APPLICATIONS,
    STAGE,
    EventWorld,
    event_activities,
    eventually,
    until_event,
)
from web.app import create_app
from web.csrf import COOKIE_NAME, CsrfGuard
from web.event_views import block_key, planned_lines
from workflows.event import EventWorkflow
from workflows.scheduling import SchedulingWorkflow

SIGNING = "event-page-test-secret"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
NONCE_RE = re.compile(r'name="request_id" value="([^"]+)"')
ADA, BEN, CARL = APPLICATIONS[:3]  # Carl is only ever invited to another event
LONDON, NEW_YORK, TOKYO = "Europe/London", "America/New_York", "Asia/Tokyo"
FIRST_DAY = (datetime.now(UTC) + timedelta(days=14)).date()
SECOND_DAY = FIRST_DAY + timedelta(days=1)
DAY1, DAY2 = (
    Interval(start=datetime.combine(d, time(9), tzinfo=UTC), end=datetime.combine(d, time(17), tzinfo=UTC))
    for d in (FIRST_DAY, SECOND_DAY)
)
NOT_INVITED = "This link does not belong to a candidate of this event."
CLOSED = "Answers for this event are closed."
HOUR = timedelta(hours=1)


# -------------------------------------------------------------------- what a candidate should read


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def clock(moment: datetime, zone: str) -> str:
    return f"{_local(moment, zone):%H:%M}"


def heading(moment: datetime, zone: str) -> str:
    local = _local(moment, zone)
    return f"{local:%A} {local.day} {local:%B}"


def zone_words(moment: datetime, zone: str) -> str:
    """'London time, GMT': the city and the abbreviation in force at `moment`."""
    return f"{zone.rsplit('/', 1)[1].replace('_', ' ')} time, {_local(moment, zone).tzname()}"


def when(placement: Placement, zone: str) -> str:
    """'Wednesday 24 March, 06:00\u201307:00 (New York time, EDT)'."""
    return (
        f"{heading(placement.start, zone)}, {clock(placement.start, zone)}\u2013{clock(placement.end, zone)}"
        f" ({zone_words(placement.start, zone)})"
    )


# ---------------------------------------------------------------------------------------- harness


@dataclass
class EventHarness:
    client: Client
    world: EventWorld
    settings: Settings
    base_url: str
    jobs: itertools.count[int] = field(default_factory=lambda: itertools.count(7001))

    async def start(self, *, candidates: int = 2, **policy: Any) -> WorkflowHandle[Any, EventStatus]:
        """An event of the first `candidates` applications, collecting answers once everyone is invited."""
        request = EventRequest(
            job_id=next(self.jobs),
            job_interview_stage_id=STAGE,
            days=[FIRST_DAY, SECOND_DAY],
            time_zone="UTC",
            requested_by_user_id=11,
            policy=EventPolicy(day_start=time(9), day_end=time(17), max_candidates=candidates, **policy),
        )
        handle = await EventClient(self.client, self.settings).start(request)
        await until_event(handle, lambda s: s.state == E.COLLECTING)
        await eventually(lambda: len(self.invitations(handle)) == candidates)
        return handle

    def invitations(self, handle: WorkflowHandle[Any, EventStatus]) -> dict[int, Any]:
        return {
            e.context.application_id: e
            for e in self.world.emails
            if e.template == "availability_request" and e.key.startswith(f"{handle.id}/")
        }

    def link(self, handle: WorkflowHandle[Any, EventStatus], application_id: int = ADA) -> str:
        """The token of the candidate's emailed link, made as the mail activity makes it."""
        email = self.invitations(handle)[application_id]
        assert email.reply_token_workflow_id == event_link_subject(handle.id, application_id)
        assert email.expires_at is not None
        return make_link_token(
            email.reply_token_workflow_id,
            "availability",
            email.expires_at,
            SIGNING,
            chain_id=email.chain_id or None,
        )

    def token(
        self,
        handle: WorkflowHandle[Any, EventStatus],
        application_id: int = ADA,
        purpose: LinkPurpose = "availability",
        ttl: timedelta = timedelta(days=1),
        chain: str | None = "",
    ) -> str:
        """A link made by hand: another purpose, an expiry, a chain, an application the event lacks."""
        return make_link_token(
            event_link_subject(handle.id, application_id),
            purpose,
            datetime.now(UTC) + ttl,
            SIGNING,
            chain_id=handle.first_execution_run_id if chain == "" else chain,
        )

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, follow_redirects=False, timeout=20)


async def invitees(handle: WorkflowHandle[Any, EventStatus]) -> dict[int, EventInvitee]:
    status = await handle.query(EventWorkflow.event_status)
    return {c.application_id: c for c in status.candidates}


async def nothing_recorded(handle: WorkflowHandle[Any, EventStatus]) -> bool:
    """No invitee answered: no windows, no answer counted, nobody past `invited`."""
    return all(
        c.state == C.INVITED and c.answers == 0 and not c.windows for c in (await invitees(handle)).values()
    )


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
async def events(time_skipping_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[EventHarness]:
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
    client = time_skipping_env.client
    world = EventWorld(first_names={ADA: "Ada", BEN: "Ben"}, time_zones={ADA: LONDON, BEN: NEW_YORK})

    async def factory() -> Client:
        return client

    app = create_app(settings, factory)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    async with Worker(
        client,
        task_queue=queue,
        workflows=[EventWorkflow, SchedulingWorkflow],
        activities=event_activities(world),
    ):
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        try:
            yield EventHarness(client, world, settings, settings.web_base_url)
        finally:
            server.should_exit = True
            await serving


# ------------------------------------------------------------------------------------------ tests


async def test_the_form_shows_each_day_in_hourly_blocks_in_the_candidates_zone(events: EventHarness) -> None:
    handle = await events.start()
    async with events.http() as http:
        london = await http.get(f"/event/{events.link(handle, ADA)}")
        assert london.status_code == 200, london.text[:500]
        page = html.unescape(london.text)
        assert "Which times can you come?" in page and "Hi Ada" in page and "hiring day" in page
        assert "Backend Engineer" in page
        assert "London time (Europe/London)" in page
        assert (
            f'{heading(DAY1.start, LONDON)} <span class="muted">({zone_words(DAY1.start, LONDON)})</span>'
            in page
        )
        assert heading(DAY2.start, LONDON) in page
        assert page.count('name="block"') == 8 + 8 and page.count('name="day"') == 2
        first, last = DAY1.start, DAY1.end - HOUR
        assert f"{clock(first, LONDON)}\u2013{clock(first + HOUR, LONDON)}" in page
        assert f"{clock(last, LONDON)}\u2013{clock(last + HOUR, LONDON)}" in page
        assert "I can't make any of these times" in page
        assert checked(page) == []
        assert london.headers["cache-control"] == "no-store"
        assert "path=/event/" in london.headers["set-cookie"].lower()
        assert "httponly" in london.headers["set-cookie"].lower()

        ben = html.unescape((await http.get(f"/event/{events.link(handle, BEN)}")).text)
        assert "Hi Ben" in ben and "New York time (America/New_York)" in ben
        assert f"{clock(first, NEW_YORK)}\u2013{clock(first + HOUR, NEW_YORK)}" in ben
        assert f"({zone_words(DAY1.start, NEW_YORK)})" in ben  # the zone names its summer or winter time
        tokyo = await http.get(f"/event/{events.link(handle, ADA)}", params={"tz": TOKYO})
        # 16:00 UTC is past midnight in Tokyo: the block names its weekday
        late = f"{_local(last, TOKYO):%a} {clock(last, TOKYO)}\u2013{clock(last + HOUR, TOKYO)}"
        assert "Tokyo time (Asia/Tokyo)" in tokyo.text and late in html.unescape(tokyo.text)
    assert await nothing_recorded(handle)


async def test_checked_blocks_are_recorded_as_merged_windows_once_per_form(events: EventHarness) -> None:
    handle = await events.start()
    token = events.link(handle, ADA)
    async with events.http() as http:
        page = (await http.get(f"/event/{token}")).text
        form = form_of(page, block=hours(DAY1, 0, 1, 2, 5), day=[block_key(DAY2.start)], send="1")
        answered = await http.post(f"/event/{token}", data=form)
        assert answered.status_code == 200, answered.text[:500]
        assert "Thank you: we have your times." in answered.text
        again = await http.post(f"/event/{token}", data=form)  # the browser posts the same form again
        assert again.status_code == 200 and "Thank you" in again.text

        ada = (await invitees(handle))[ADA]
        assert ada.state == C.ANSWERED and ada.answers == 1, "one form, one answer"
        assert ada.windows == [
            Interval(start=DAY1.start, end=DAY1.start + 3 * HOUR),
            Interval(start=DAY1.start + 5 * HOUR, end=DAY1.start + 6 * HOUR),
            DAY2,
        ]
        shown = await http.get(f"/event/{token}")
        assert sorted(checked(shown.text)) == sorted(hours(DAY1, 0, 1, 2, 5) + hours(DAY2, *range(8)))
        assert "So far you told us you can come" in shown.text

        changed = await http.post(f"/event/{token}", data=form_of(shown.text, block=hours(DAY1, 7)))
        assert changed.status_code == 200 and checked(changed.text) == hours(DAY1, 7)
    now = await invitees(handle)
    assert now[ADA].answers == 2 and now[ADA].windows == [Interval(start=DAY1.end - HOUR, end=DAY1.end)]
    assert now[BEN].state == C.INVITED and now[BEN].windows == []
    status = await handle.query(EventWorkflow.event_status)
    assert status.state == E.COLLECTING and status.plans_made == 0, "Ben has not answered yet"


async def test_i_cant_make_any_of_these_times_records_no_windows(events: EventHarness) -> None:
    handle = await events.start()
    token = events.link(handle, BEN)
    async with events.http() as http:
        page = (await http.get(f"/event/{token}")).text
        answered = await http.post(f"/event/{token}", data=form_of(page, block=hours(DAY1, 0), none="1"))
        assert answered.status_code == 200
        text = html.unescape(answered.text)
        assert "Thank you for letting us know" in text and "none of the times work for you" in text
    ben = (await invitees(handle))[BEN]
    assert ben.windows == [] and ben.state == C.UNAVAILABLE and ben.answers == 1


async def test_odd_answers_are_refused_and_nothing_is_recorded(events: EventHarness) -> None:
    handle = await events.start()
    token = events.link(handle, ADA)
    async with events.http() as http:
        page = (await http.get(f"/event/{token}")).text
        outside = block_key(DAY1.end)  # the hour after the day
        odd = {
            "unknown value": form_of(page, block=["nonsense"]),
            "outside the day": form_of(page, block=[outside]),
            "between blocks": form_of(page, block=[block_key(DAY1.start + timedelta(minutes=30))]),
            "not a day": form_of(page, day=[block_key(DAY1.start + HOUR)]),
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
            f"/event/{events.link(handle, BEN)}", data=form_of(page, block=hours(DAY1, 0))
        )
        assert other_link.status_code == 403, "a form's CSRF tag is bound to its own link"
        as_file = await http.post(
            f"/event/{token}", data=form_of(page), files={"block": ("x.txt", block_key(DAY1.start).encode())}
        )
        assert as_file.status_code == 400
    assert await nothing_recorded(handle)


async def test_bad_links_get_friendly_pages_with_the_right_status(events: EventHarness) -> None:
    handle = await events.start()
    good = events.link(handle, ADA)
    other = events.link(handle, BEN)
    cases = {
        "not-a-token": (400, "We don't recognise this link"),
        f"{other.split('.')[0]}.{good.split('.')[1]}": (403, "doesn't look right"),
        events.token(handle, ttl=timedelta(seconds=-5)): (410, "The answers for this event are closed"),
        events.token(handle, purpose="pick"): (403, "This link can't do that"),
        make_link_token("schedule-1-2", "availability", datetime.now(UTC) + timedelta(days=1), SIGNING): (
            400,
            "We don't recognise this link",
        ),
        events.token(handle, chain="another-run"): (410, "This event has moved on"),
        make_link_token(
            event_link_subject(f"event-404-404-{FIRST_DAY:%Y%m%d}", ADA),
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
    assert await nothing_recorded(handle)


async def test_closed_answers_are_the_workflows_refusal(events: EventHarness) -> None:
    """Once everyone answered and the event is planned, too close to its day to plan again, it is closed."""
    handle = await events.start(replan_until=timedelta(days=30))
    ada, ben = events.link(handle, ADA), events.link(handle, BEN)
    async with events.http() as http:
        answering = (await http.get(f"/event/{ada}")).text
        other_tab = (await http.get(f"/event/{ada}")).text  # a second form, its own nonce
        said = await http.post(f"/event/{ada}", data=form_of(answering, none="1"))
        assert said.status_code == 200
        ben_page = (await http.get(f"/event/{ben}")).text
        await http.post(f"/event/{ben}", data=form_of(ben_page, day=[block_key(DAY1.start)]))
        status = await until_event(handle, lambda s: s.state == E.RUNNING)
        assert {c.application_id: c.state for c in status.candidates}[ADA] == C.UNAVAILABLE

        late = await http.post(f"/event/{ada}", data=form_of(other_tab, block=hours(DAY1, 0)))
        assert late.status_code == 409
        text = html.unescape(late.text)
        assert CLOSED in text and "The answers for this event are closed" in text
        assert 'name="block"' not in text, "a closed event shows no form"
        shown = await http.get(f"/event/{ada}")
        assert shown.status_code == 200
        text = html.unescape(shown.text)
        assert CLOSED in text and "You told us none of the times work for you." in text
    after = (await invitees(handle))[ADA]
    assert after.state == C.UNAVAILABLE and after.answers == 1 and after.windows == []


async def test_after_everyone_answers_the_page_shows_the_planned_loop_by_name_in_time_order(
    events: EventHarness,
) -> None:
    events.world.plan_order_against_the_clock = True  # each loop's second session comes first
    handle = await events.start()
    async with events.http() as http:
        for app in (ADA, BEN):
            token = events.link(handle, app)
            form_page = (await http.get(f"/event/{token}")).text
            answered = await http.post(
                f"/event/{token}", data=form_of(form_page, day=[block_key(DAY1.start)])
            )
            assert answered.status_code == 200, answered.text[:300]
        # The last answer plans the event from the page's answers; each loop is booked by its own request.
        status = await until_event(handle, lambda s: all(c.state == C.BOOKED for c in s.candidates))
        assert status.plans_made == 1
        (plan,) = events.world.plans
        assert [(c.application_id, c.windows) for c in plan.candidates] == [(ADA, [DAY1]), (BEN, [DAY1])]
        planned = {c.application_id: c.placements for c in status.candidates}

        page = await http.get(f"/event/{events.link(handle, BEN)}")
        assert page.status_code == 200
        text = html.unescape(page.text)
        assert "Your interviews at our hiring day" in text and 'name="block"' not in text
        coding, design = planned[BEN]  # the plan's times, in time order: Coding, then System design
        assert (coding.session, design.session) == ("s2", "s1") and coding.start < design.start
        first = f"<strong>Coding</strong><br>{when(coding, NEW_YORK)}"
        second = f"<strong>System design</strong><br>{when(design, NEW_YORK)}"
        assert first in text and second in text and text.index(first) < text.index(second)
        assert "Interview 1" not in text

        ada = html.unescape((await http.get(f"/event/{events.link(handle, ADA)}")).text)
        assert f"<strong>Coding</strong><br>{when(planned[ADA][0], LONDON)}" in ada
        assert f"<strong>System design</strong><br>{when(planned[ADA][1], LONDON)}" in ada


def test_a_session_the_view_does_not_name_is_numbered_in_time_order() -> None:
    start = DAY1.start
    late = Placement(session="s2", start=start + 3 * HOUR, end=start + 4 * HOUR, interviewers=[21])
    early = Placement(session="s1", start=start + HOUR, end=start + 2 * HOUR, interviewers=[22])
    lines = planned_lines([late, early], NEW_YORK, {"s2": "Coding", "s1": " "})
    assert [line.name for line in lines] == ["Interview 1", "Coding"]
    assert [line.when for line in lines] == [when(early, NEW_YORK), when(late, NEW_YORK)]
    assert [line.name for line in planned_lines([late, early], LONDON)] == ["Interview 1", "Interview 2"]


async def test_a_candidate_the_event_left_out_is_told_so_and_cannot_answer(events: EventHarness) -> None:
    """Ben's own scheduling request for the stage started after he was asked: the event cannot book him."""
    handle = await events.start()
    ada, ben = events.link(handle, ADA), events.link(handle, BEN)
    async with events.http() as http:
        page = (await http.get(f"/event/{ben}")).text
        other_tab = (await http.get(f"/event/{ben}")).text
        queue = events.settings.task_queue
        await events.client.start_workflow(
            SchedulingWorkflow.run,
            SchedulingRequest(
                application_id=BEN,
                job_interview_stage_id=STAGE,
                queues=TaskQueues(harvest=queue, planner=queue),
            ),
            id=scheduling_workflow_id(BEN, STAGE),
            task_queue=queue,
        )
        await http.post(f"/event/{ben}", data=form_of(page, day=[block_key(DAY1.start)]))
        ada_page = (await http.get(f"/event/{ada}")).text
        await http.post(f"/event/{ada}", data=form_of(ada_page, day=[block_key(DAY1.start)]))
        status = await until_event(
            handle, lambda s: {c.application_id: c.state for c in s.candidates}[BEN] == C.EXCLUDED
        )
        left_out = next(c for c in status.candidates if c.application_id == BEN)
        assert "already running" in left_out.reason

        shown = await http.get(f"/event/{ben}")
        assert shown.status_code == 200
        text = html.unescape(shown.text)
        assert "There is nothing to answer here" in text and NOT_INVITED in text
        assert 'name="block"' not in text
        posted = await http.post(f"/event/{ben}", data=form_of(other_tab, block=hours(DAY1, 0)))
        assert posted.status_code == 409 and NOT_INVITED in html.unescape(posted.text)
    after = (await invitees(handle))[BEN]
    assert after.state == C.EXCLUDED and after.answers == 1 and after.windows == [DAY1]


async def test_a_link_answers_only_for_its_own_application_and_event(events: EventHarness) -> None:
    """A token names one event and one application; nothing in a form or another link changes that."""
    first = await events.start()  # Ada and Ben
    second = await events.start(candidates=3)  # another job's event: Ada, Ben and Carl
    async with events.http() as http:
        # Ada's form, with fields naming Ben and the other event, answers for Ada in her event only.
        ada = events.link(first, ADA)
        page = (await http.get(f"/event/{ada}")).text
        posted = await http.post(
            f"/event/{ada}",
            data=form_of(
                page,
                block=hours(DAY1, 0),
                application_id=str(BEN),
                workflow_id=second.id,
                token=events.link(first, BEN),
            ),
        )
        assert posted.status_code == 200, posted.text[:300]
        now = await invitees(first)
        assert now[ADA].windows == [Interval(start=DAY1.start, end=DAY1.start + HOUR)]
        assert now[BEN].state == C.INVITED and now[BEN].windows == [] and now[BEN].answers == 0
        assert await nothing_recorded(second)

        # Carl's link of the other event, its subject swapped for Ben's in this one: refused as tampered.
        carl = events.link(second, CARL)
        swapped = f"{events.token(first, BEN).split('.')[0]}.{carl.split('.')[1]}"
        assert (await http.get(f"/event/{swapped}")).status_code == 403
        assert (await http.post(f"/event/{swapped}", data={"block": hours(DAY1, 0)})).status_code == 403

        # A genuine link naming this event and Carl, who is not in it: nothing to answer, and the
        # workflow refuses an answer even when the browser's form is in order.
        stranger = events.token(first, CARL)
        shown = await http.get(f"/event/{stranger}")
        assert shown.status_code == 200
        text = html.unescape(shown.text)
        assert "There is nothing to answer here" in text and NOT_INVITED in text
        nonce = http.cookies.get(COOKIE_NAME, path="/event/")
        assert nonce, "the page set its CSRF cookie"
        form = {
            "csrf": CsrfGuard(SIGNING, secure_cookie=False).form_token(nonce, stranger),
            "request_id": "stranger-1",
            "block": hours(DAY1, 0),
        }
        refused = await http.post(f"/event/{stranger}", data=form)
        assert refused.status_code == 409 and NOT_INVITED in html.unescape(refused.text)
        assert CARL not in await invitees(first)

        # The same application in the other event answers there, not here.
        theirs = events.link(second, ADA)
        page = (await http.get(f"/event/{theirs}")).text
        await http.post(f"/event/{theirs}", data=form_of(page, day=[block_key(DAY2.start)]))
    assert (await invitees(second))[ADA].windows == [DAY2]
    here = (await invitees(first))[ADA]
    assert here.windows == [Interval(start=DAY1.start, end=DAY1.start + HOUR)] and here.answers == 1
    assert (await invitees(first))[BEN].answers == 0
