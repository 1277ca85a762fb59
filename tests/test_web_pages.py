"""The candidate pages over real HTTP (uvicorn on a free port) against the real SchedulingWorkflow.

The workflow runs on the Temporal dev server with the in-memory fake activities, so every page
state (options, booked, taken meanwhile, proposals, reschedule, cancel, finished) is the
workflow's own answer. The fixture `web` is reused by the browser tests.
"""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import uvicorn
from pydantic import SecretStr
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from integrations.links import LinkPurpose, make_link_token
from models.messages import SchedulingPolicy, SchedulingState, SchedulingStatusSnapshot, SelectOptionInput
from models.settings import Settings
from starters.ports import free_port
from starters.requests import start_scheduling
from tests.support.fake_scheduling import World, fake_activities
from web.app import create_app
from workflows.scheduling import SchedulingWorkflow

SIGNING = "page-test-signing-secret"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class WebHarness:
    client: Client
    settings: Settings
    world: World
    base_url: str
    started: list[str] = field(default_factory=list)

    async def start(self) -> WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot]:
        application_id = int(uuid.uuid4().int % 10**9)
        handle = await start_scheduling(self.client, self.settings, application_id, 201, source="webhook")
        self.started.append(handle.id)
        await until(handle, SchedulingState.OFFERED)
        return handle

    async def booked(self) -> tuple[str, WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot]]:
        """A request booked through its page (its first option); returns the pick link's token too."""
        handle = await self.start()
        token = self.token(handle.id)
        async with self.http() as http:
            page = await http.get(f"/s/{token}")
            option_id, version = first_option(page.text)
            form = {"csrf": csrf_of(page.text), "option_id": option_id, "offer_version": version}
            assert (await http.post(f"/s/{token}/pick", data=form)).status_code == 303
        await until(handle, SchedulingState.SCHEDULED)
        return token, handle

    def token(
        self, workflow_id: str, purpose: LinkPurpose = "pick", ttl: timedelta = timedelta(days=1)
    ) -> str:
        return make_link_token(workflow_id, purpose, datetime.now(UTC) + ttl, SIGNING)

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, follow_redirects=False, timeout=20)


async def until(
    handle: WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot],
    state: SchedulingState,
    timeout: float = 15,
) -> SchedulingStatusSnapshot:
    async def poll() -> SchedulingStatusSnapshot:
        while True:
            status = await handle.query(SchedulingWorkflow.status)
            if status.state == state:
                return status
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(poll(), timeout)


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def first_option(html: str) -> tuple[str, str]:
    option = re.search(r'name="option_id" id="[^"]+" value="([^"]+)"', html)
    version = re.search(r'name="offer_version" value="(\d+)"', html)
    assert option and version, "page shows no options"
    return option.group(1), version.group(1)


@pytest_asyncio.fixture
async def web(dev_server_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[WebHarness]:
    world = World()
    queue = f"web-{uuid.uuid4().hex[:8]}"
    port = free_port()
    settings = Settings(
        state_dir=tmp_path,
        task_queue=queue,
        harvest_task_queue=queue,
        planner_task_queue=queue,
        web_base_url=f"http://127.0.0.1:{port}",
        signing_secret=SecretStr(SIGNING),
        database_url=f"sqlite:///{tmp_path / 'web.db'}",
    )
    client = dev_server_env.client

    async def factory() -> Client:
        return client

    app = create_app(settings, factory)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    async with Worker(
        client, task_queue=queue, workflows=[SchedulingWorkflow], activities=fake_activities(world)
    ):
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        harness = WebHarness(client, settings, world, settings.web_base_url)
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


async def test_bad_links_get_friendly_pages_with_the_right_status(web: WebHarness) -> None:
    handle = await web.start()
    good = web.token(handle.id)
    tag = good.split(".")[1]
    cases = {
        "not-a-token": (404, "We don't recognise this link"),
        f"{web.token('schedule-1-2').split('.')[0]}.{tag}": (403, "doesn't look right"),
        web.token(handle.id, ttl=timedelta(seconds=-5)): (410, "This link has expired"),
        web.token("schedule-404-404"): (404, "We can't find this interview request"),
    }
    async with web.http() as http:
        for token, (status, text) in cases.items():
            response = await http.get(f"/s/{token}")
            assert response.status_code == status, (token, response.text[:300])
            assert text in html.unescape(response.text)
            assert "contact your recruiter" in response.text.lower()
            assert "Traceback" not in response.text
        wrong_purpose = await http.get(f"/s/{good}/calendar.ics")
        assert wrong_purpose.status_code == 404  # nothing booked yet, said kindly
        cancel_with_pick_link = await http.post(f"/s/{good}/cancel", data={"confirm": "yes"})
        assert cancel_with_pick_link.status_code == 403
    assert (await handle.query(SchedulingWorkflow.status)).state == SchedulingState.OFFERED


async def test_options_render_by_day_in_the_candidates_zone_and_another(web: WebHarness) -> None:
    handle = await web.start()
    token = web.token(handle.id)
    async with web.http() as http:
        london = await http.get(f"/s/{token}")
        assert london.status_code == 200
        page = london.text
        assert '<html lang="en">' in page
        assert page.count("<legend>") == 3  # three days, one option each
        assert "(London time, GMT)" in page
        assert "System design" in page and "Coding" in page and "with Interviewer 21" in page
        assert "@acme.example" not in page  # roles, not calendars or addresses
        assert "selected>London time, GMT — Europe/London" in page
        new_york = await http.get(f"/s/{token}", params={"tz": "America/New_York"})
        assert "(New York time, EST)" in new_york.text and "(London time" not in new_york.text
        kolkata = await http.get(f"/s/{token}", params={"tz": "Asia/Kolkata"})
        assert "(Kolkata time, IST)" in kolkata.text
        unknown = await http.get(f"/s/{token}", params={"tz": "Mars/Base"})
        assert unknown.status_code == 200
        assert (
            "We don't know the time zone" in html.unescape(unknown.text)
            and "(London time, GMT)" in unknown.text
        )


async def test_pick_books_and_confirms_with_calendar_links(web: WebHarness) -> None:
    handle = await web.start()
    token = web.token(handle.id)
    async with web.http() as http:
        page = await http.get(f"/s/{token}", params={"tz": "America/New_York"})
        option_id, version = first_option(page.text)
        no_csrf = await http.post(f"/s/{token}/pick", data={"option_id": option_id, "offer_version": version})
        assert no_csrf.status_code == 403 and "nothing was changed" in no_csrf.text
        assert (await handle.query(SchedulingWorkflow.status)).state == SchedulingState.OFFERED
        form = {
            "csrf": csrf_of(page.text),
            "option_id": option_id,
            "offer_version": version,
            "tz": "America/New_York",
        }
        picked = await http.post(f"/s/{token}/pick", data=form)
        assert picked.status_code == 303
        booked = await http.get(picked.headers["location"])
        assert booked.status_code == 200
        assert "Your interviews are booked" in booked.text and "(New York time, EST)" in booked.text
        assert "calendar.google.com/calendar/render?action=TEMPLATE" in booked.text
        ics = await http.get(f"/s/{token}/calendar.ics")
        assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
        assert ics.text.count("BEGIN:VEVENT") == 2
        links = re.findall(r'href="(/s/[^"]+)"', booked.text)
        assert any(link != f"/s/{token}/calendar.ics" for link in links)
    status = await handle.query(SchedulingWorkflow.status)
    assert status.state == SchedulingState.SCHEDULED and status.booking is not None
    assert status.booking.sessions[0].start.isoformat() in {o.start.isoformat() for o in status.offer.options}  # type: ignore[union-attr]


async def test_a_loop_whose_plan_order_is_not_the_clocks_reads_in_time_order(web: WebHarness) -> None:
    """The plan lists System design then Coding, but Coding starts an hour earlier: every page (the
    options, the booked loop, its .ics) and the booking note put Coding first; the data keeps the plan."""
    web.world.plan_order_against_the_clock = True
    handle = await web.start()
    offered = await handle.query(SchedulingWorkflow.status)
    assert offered.offer is not None
    first = offered.offer.options[0]
    assert [p.session for p in first.placements] == ["s1", "s2"]  # the plan's order stays in the data
    assert first.placements[1].start < first.placements[0].start
    token = web.token(handle.id)
    async with web.http() as http:
        page = (await http.get(f"/s/{token}")).text
        cards = re.findall(r'<ul class="sessions"[^>]*>(.*?)</ul>', page, flags=re.S)
        assert len(cards) == 3
        for card in cards:
            assert card.index("Coding") < card.index("System design"), card
        form = {
            "csrf": csrf_of(page),
            "option_id": first.option_id,
            "offer_version": str(offered.offer.version),
        }
        picked = await http.post(f"/s/{token}/pick", data=form)
        assert picked.status_code == 303
        booked = (await http.get(picked.headers["location"])).text
        assert booked.index("Coding") < booked.index("System design")
        ics = (await http.get(f"/s/{token}/calendar.ics")).text
        assert ics.index("Coding") < ics.index("System design")
    status = await until(handle, SchedulingState.SCHEDULED)
    assert status.booking is not None and [s.session_id for s in status.booking.sessions] == ["s1", "s2"]
    [note] = [n for n in web.world.notes if n.body.startswith("Hireflow booked")]
    assert note.body.index("Coding") < note.body.index("System design")


async def test_a_time_taken_meanwhile_shows_fresh_options(web: WebHarness) -> None:
    handle = await web.start()
    token = web.token(handle.id)
    async with web.http() as http:
        page = await http.get(f"/s/{token}")
        option_id, version = first_option(page.text)
        web.world.taken.add(option_id)
        form = {"csrf": csrf_of(page.text), "option_id": option_id, "offer_version": version}
        taken = await http.post(f"/s/{token}/pick", data=form)
        assert taken.status_code == 409
        assert "That time was just taken" in taken.text
        fresh_option, fresh_version = first_option(taken.text)
        assert int(fresh_version) > int(version) and fresh_option != option_id
        stale = await http.post(f"/s/{token}/pick", data=form)  # the old page again
        assert stale.status_code == 409 and "replaced by newer ones" in stale.text
    assert (await handle.query(SchedulingWorkflow.status)).booking is None


async def test_propose_times_validates_rows_and_replans_inside_them(web: WebHarness) -> None:
    handle = await web.start()
    token = web.token(handle.id)
    day = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    async with web.http() as http:
        form_page = await http.get(f"/s/{token}/propose", params={"tz": "America/New_York"})
        assert form_page.status_code == 200 and form_page.text.count("<legend>Window") == 3
        assert (await http.get(f"/s/{token}/propose", params={"rows": 6})).text.count("<legend>Window") == 6
        base = {
            "csrf": csrf_of(form_page.text),
            "tz": "America/New_York",
            "rows": "3",
            "note": "mornings please",
        }
        bad = await http.post(
            f"/s/{token}/propose", data={**base, "date_1": day, "from_1": "11:00", "to_1": "10:00"}
        )
        assert bad.status_code == 422 and "end time must be after" in bad.text
        assert 'value="mornings please"' in bad.text or "mornings please</textarea>" in bad.text  # input kept
        good = await http.post(
            f"/s/{token}/propose",
            data={
                **base,
                "date_1": day,
                "from_1": "09:00",
                "to_1": "12:00",
                "date_2": day,
                "from_2": "14:00",
                "to_2": "17:00",
            },
        )
        assert good.status_code == 200, good.text[:500]
        assert "Here are the options inside the times you gave" in good.text
    status = await handle.query(SchedulingWorkflow.status)
    assert status.state == SchedulingState.NEGOTIATING
    windows = web.world.finds[-1].candidate_windows
    assert [w.start.astimezone(UTC).hour for w in windows] == [14, 19]  # 09:00 and 14:00 EST


async def test_reschedule_page_asks_the_workflow_and_shows_new_options(web: WebHarness) -> None:
    handle = await web.start()
    status = await handle.query(SchedulingWorkflow.status)
    assert status.offer is not None
    await handle.execute_update(
        SchedulingWorkflow.select_option,
        SelectOptionInput(option_id=status.offer.options[0].option_id, offer_version=status.offer.version),
    )
    token = web.token(handle.id, "reschedule")
    async with web.http() as http:
        page = await http.get(f"/s/{token}")
        assert page.status_code == 200 and "Reschedule your interviews" in page.text
        asked = await http.post(
            f"/s/{token}/reschedule", data={"csrf": csrf_of(page.text), "reason": "flight moved"}
        )
        assert asked.status_code == 303
        options = await http.get(asked.headers["location"])
        assert "Choose a new time" in options.text
        assert (await handle.query(SchedulingWorkflow.status)).state == SchedulingState.RESCHEDULING
        option_id, version = first_option(options.text)
        form = {"csrf": csrf_of(options.text), "option_id": option_id, "offer_version": version}
        picked = await http.post(f"/s/{token}/pick", data=form)
        assert picked.status_code == 303
        booked = await http.get(picked.headers["location"])
        assert "Your interviews are booked" in booked.text
    status = await handle.query(SchedulingWorkflow.status)
    assert status.state == SchedulingState.SCHEDULED and status.reschedules == 1


async def test_cancel_confirms_then_cancels_and_old_links_say_so(web: WebHarness) -> None:
    handle = await web.start()
    cancel_token = web.token(handle.id, "cancel")
    async with web.http() as http:
        page = await http.get(f"/s/{cancel_token}")
        assert page.status_code == 200 and "Cancel your interviews?" in page.text
        assert (await handle.query(SchedulingWorkflow.status)).state == SchedulingState.OFFERED
        done = await http.post(
            f"/s/{cancel_token}/cancel",
            data={"csrf": csrf_of(page.text), "confirm": "yes", "reason": "took another offer"},
        )
        assert done.status_code == 200 and "Your interviews are cancelled" in done.text
        await handle.result()
        after = await http.get(f"/s/{web.token(handle.id)}")
        assert after.status_code == 410 and "cancelled" in after.text
    history = (await handle.query(SchedulingWorkflow.status)).history
    assert any(e.event == "cancelled" and "took another offer" in e.detail for e in history)


async def test_healthz_reports_temporal(web: WebHarness, tmp_path: Path) -> None:
    async with web.http() as http:
        ok = await http.get("/healthz")
    assert ok.status_code == 200 and ok.json()["temporal"] == "ok"

    async def broken() -> Client:
        raise ConnectionRefusedError("no server")

    app = create_app(web.settings, broken)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        down = await http.get("/healthz")
    assert down.status_code == 503 and down.json()["temporal"].startswith("unreachable")


async def test_names_survive_continue_as_new(web: WebHarness) -> None:
    application_id = int(uuid.uuid4().int % 10**9)
    policy = SchedulingPolicy(continue_as_new_after_events=10)
    handle = await start_scheduling(web.client, web.settings, application_id, 201, policy=policy)
    web.started.append(handle.id)
    first_run = (await handle.describe()).run_id
    for _ in range(200):
        if (await web.client.get_workflow_handle(handle.id).describe()).run_id != first_run:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the workflow never continued as new")
    latest = web.client.get_workflow_handle_for(SchedulingWorkflow.run, handle.id)
    await until(latest, SchedulingState.OFFERED)
    async with web.http() as http:
        page = await http.get(f"/s/{web.token(handle.id)}")
    assert page.status_code == 200 and "System design" in page.text and "with Interviewer 21" in page.text


NONCE_RE = re.compile(r'name="request_id" value="([^"]+)"')


async def _history_length(handle: WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot]) -> int:
    return len((await handle.fetch_history()).events)


async def _quiet_history_length(handle: WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot]) -> int:
    """The history's length once the workflow has stopped writing (the invitation follows the offer)."""
    length = await _history_length(handle)
    for _ in range(50):
        await asyncio.sleep(0.2)
        now = await _history_length(handle)
        if now == length:
            return now
        length = now
    return length


async def test_a_burst_of_page_views_writes_nothing_to_the_history(web: WebHarness) -> None:
    handle = await web.start()
    token = web.token(handle.id)
    before = await _quiet_history_length(handle)
    async with web.http() as http:
        views = await asyncio.gather(*(http.get(f"/s/{token}") for _ in range(40)))
    assert all(v.status_code == 200 for v in views), {v.status_code for v in views}
    assert await _history_length(handle) == before, "a page view ran an update (history grew)"
    assert len(web.world.finds) == 1, "fresh options are never re-planned for a view"


async def test_stale_options_are_refreshed_once_for_a_burst_of_views(
    web: WebHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import web.pages as pages_module

    handle = await web.start()
    monkeypatch.setattr(pages_module, "OPTIONS_MAX_AGE_SECONDS", 0)  # every option on show is stale
    token = web.token(handle.id)
    async with web.http() as http:
        views = await asyncio.gather(*(http.get(f"/s/{token}") for _ in range(20)))
    assert all(v.status_code == 200 for v in views), {v.status_code for v in views}
    assert len(web.world.finds) <= 3, f"{len(web.world.finds)} plans for one burst of 20 views"
    assert web.world.templates() == ["invitation"], "a refresh is not an invitation"


async def test_a_double_submitted_pick_books_once_and_both_answers_agree(web: WebHarness) -> None:
    handle = await web.start()
    token = web.token(handle.id)
    async with web.http() as http:
        page = await http.get(f"/s/{token}")
        option_id, version = first_option(page.text)
        nonce = NONCE_RE.search(page.text)
        assert nonce, "the pick form carries no request id"
        form = {
            "csrf": csrf_of(page.text),
            "option_id": option_id,
            "offer_version": version,
            "request_id": nonce[1],
        }
        first, second = await asyncio.gather(
            http.post(f"/s/{token}/pick", data=form), http.post(f"/s/{token}/pick", data=form)
        )
    assert first.status_code == second.status_code == 303, (first.text[:200], second.text[:200])
    status = await until(handle, SchedulingState.SCHEDULED)
    assert status.booking is not None and len(web.world.events) == len(status.booking.sessions)
    assert web.world.templates().count("confirmation") <= 1


async def test_cancel_and_reschedule_answers_are_the_workflows_own(web: WebHarness) -> None:
    handle = await web.start()
    await handle.execute_update(
        SchedulingWorkflow.select_option, SelectOptionInput(option_id="v1-o1", offer_version=1)
    )
    await until(handle, SchedulingState.SCHEDULED)
    token = web.token(handle.id, "cancel")
    async with web.http() as http:
        page = await http.get(f"/s/{token}")
        nonce = NONCE_RE.search(page.text)
        assert nonce
        form = {
            "csrf": csrf_of(page.text),
            "confirm": "yes",
            "reason": "took another offer",
            "request_id": nonce[1],
        }
        done = await http.post(f"/s/{token}/cancel", data=form)
        again = await http.post(f"/s/{token}/cancel", data=form)  # the same form sent twice
    assert done.status_code == 200 and again.status_code in (200, 410)
    final = await until(handle, SchedulingState.CANCELLED)
    assert sum(1 for h in final.history if h.event == "cancel_requested") == 1
    assert sorted(web.world.cancelled_events) == sorted(web.world.events)
