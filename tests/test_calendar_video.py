"""Video links: deterministic Jitsi rooms, Zoom meetings created once (MockTransport fake of Zoom)."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from sqlmodel import create_engine

from integrations.calendar.base import CalendarPermissionError, CalendarRequestError, CalendarUnavailableError
from integrations.calendar.http import RetryPolicy
from integrations.calendar.video import VideoLinks, ZoomMeetings, jitsi_link
from integrations.calendar.zoom_store import MemoryZoomStore, SQLZoomStore, ZoomRecord

T0 = datetime(2026, 12, 3, 9, tzinfo=UTC)


def test_jitsi_links_are_stable_and_unguessable() -> None:
    a = jitsi_link("hf-wf-1-s1", "secret")
    assert a == jitsi_link("hf-wf-1-s1", "secret")
    assert a.url.startswith("https://meet.jit.si/Hireflow-") and a.provider == "jitsi"
    assert jitsi_link("hf-wf-1-s2", "secret").url != a.url
    assert jitsi_link("hf-wf-1-s1", "other").url != a.url
    assert "wf-1" not in a.url and len(a.url.rsplit("/", 1)[1]) == len("Hireflow-") + 26
    with pytest.raises(ValueError):
        jitsi_link("k", "")


class FakeZoom:
    def __init__(self) -> None:
        self.meetings: dict[int, dict[str, Any]] = {}
        self.tokens: set[str] = set()
        self.faults: list[httpx.Response] = []
        self.calls: list[httpx.Request] = []
        self._ids = itertools.count(85746065432)

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "zoom.us":
            assert request.url.path == "/oauth/token"
            basic = base64.b64decode(request.headers["Authorization"].removeprefix("Basic ")).decode()
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            assert form == {"grant_type": "account_credentials", "account_id": "acct"}
            if basic != "cid:csecret":
                return httpx.Response(
                    400, json={"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
                )
            token = f"zt{len(self.tokens)}"
            self.tokens.add(token)
            return httpx.Response(
                200, json={"access_token": token, "token_type": "bearer", "expires_in": 3599}
            )
        assert request.headers["Authorization"].removeprefix("Bearer ") in self.tokens
        self.calls.append(request)
        if self.faults:
            return self.faults.pop(0)
        path = request.url.path
        if path == "/v2/users/me/meetings" and request.method == "GET":
            assert request.url.params["type"] == "upcoming"
            return httpx.Response(200, json={"meetings": list(self.meetings.values()), "next_page_token": ""})
        if path == "/v2/users/me/meetings" and request.method == "POST":
            body = json.loads(request.content)
            assert body["type"] == 2 and body["start_time"].endswith("Z") and body["duration"] > 0
            mid = next(self._ids)
            meeting = {
                **body,
                "id": mid,
                "uuid": f"u{mid}",
                "join_url": f"https://us02web.zoom.us/j/{mid}",
                "start_url": "https://us02web.zoom.us/s/secret",
            }
            self.meetings[mid] = meeting
            return httpx.Response(201, json=meeting)
        mid = int(path.rsplit("/", 1)[1])
        if mid not in self.meetings:
            return httpx.Response(404, json={"code": 3001, "message": "Meeting does not exist"})
        if request.method == "PATCH":
            self.meetings[mid].update(json.loads(request.content))
            return httpx.Response(204)
        if request.method == "DELETE":
            del self.meetings[mid]
            return httpx.Response(204)
        raise AssertionError(request.method)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def zoom(fake: FakeZoom, store: Any = None, secret: str = "csecret") -> ZoomMeetings:
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake.handler))
    return ZoomMeetings(
        "acct",
        "cid",
        secret,
        store or MemoryZoomStore(),
        client=client,
        sleep=Sleeps(),
        policy=RetryPolicy(attempts=3),
    )


async def test_zoom_meeting_created_once() -> None:
    fake = FakeZoom()
    z = zoom(fake)
    link = await z.ensure_meeting("hf-wf-1-s1", "Interview", T0, T0 + timedelta(minutes=45), "Europe/Berlin")
    again = await z.ensure_meeting("hf-wf-1-s1", "Interview", T0, T0 + timedelta(minutes=45))
    assert link == again and link.provider == "zoom" and len(fake.meetings) == 1
    [meeting] = fake.meetings.values()
    assert meeting["duration"] == 45 and meeting["start_time"] == "2026-12-03T09:00:00Z"
    assert "start_url" not in link.url


async def test_zoom_lost_record_found_by_agenda_tag() -> None:
    fake = FakeZoom()
    store = MemoryZoomStore()
    z = zoom(fake, store)
    first = await z.ensure_meeting("hf-wf-2-s1", "Interview", T0, T0 + timedelta(hours=1))
    store.records.clear()  # the crash between Zoom's 201 and our write
    second = await z.ensure_meeting("hf-wf-2-s1", "Interview", T0, T0 + timedelta(hours=1))
    assert second == first and len(fake.meetings) == 1 and await store.get("hf-wf-2-s1")


async def test_zoom_throttle_update_delete_and_errors() -> None:
    fake = FakeZoom()
    z = zoom(fake)
    fake.faults = [
        httpx.Response(429, headers={"Retry-After": "1"}, json={"code": 429, "message": "slow down"})
    ]
    await z.ensure_meeting("hf-wf-3-s1", "Interview", T0, T0 + timedelta(hours=1))
    await z.update_meeting("hf-wf-3-s1", T0 + timedelta(hours=2), T0 + timedelta(hours=3))
    [meeting] = fake.meetings.values()
    assert meeting["start_time"] == "2026-12-03T11:00:00Z" and meeting["duration"] == 60
    await z.delete_meeting("hf-wf-3-s1")
    await z.delete_meeting("hf-wf-3-s1")
    assert fake.meetings == {}
    fake.faults = [httpx.Response(503, json={})] * 3
    with pytest.raises(CalendarUnavailableError):
        await z.ensure_meeting("hf-wf-4-s1", "Interview", T0, T0 + timedelta(hours=1))
    with pytest.raises(CalendarPermissionError, match="Invalid client_id"):
        await zoom(FakeZoom(), secret="bad").ensure_meeting("k", "t", T0, T0 + timedelta(hours=1))
    with pytest.raises(CalendarRequestError):
        await z.ensure_meeting("k", "t", T0, T0)


async def test_sql_zoom_store_round_trip(tmp_path: Path) -> None:
    store = SQLZoomStore(create_engine(f"sqlite:///{tmp_path / 'z.db'}"))
    assert await store.get("k") is None
    await store.put(ZoomRecord(key="k", meeting_id="1", join_url="https://zoom.us/j/1"))
    await store.put(ZoomRecord(key="k", meeting_id="2", join_url="https://zoom.us/j/2"))
    assert (await store.get("k")) == ZoomRecord(key="k", meeting_id="2", join_url="https://zoom.us/j/2")
    await store.delete("k")
    assert await store.get("k") is None


async def test_video_choice() -> None:
    jitsi = VideoLinks("jitsi", signing_secret="s")
    link, native = await jitsi.for_booking("k", "t", T0, T0 + timedelta(hours=1))
    assert link and link.provider == "jitsi" and native is False
    assert await VideoLinks("native", signing_secret="s").for_booking("k", "t", T0, T0) == (None, True)
    with pytest.raises(CalendarRequestError, match="HIREFLOW_ZOOM"):
        VideoLinks("zoom", signing_secret="s")


def test_factory_builds_configured_providers(tmp_path: Path) -> None:
    from integrations.calendar.caldav import CalDAVCalendar
    from integrations.calendar.factory import build_calendar, build_video
    from integrations.calendar.google import GoogleCalendar
    from integrations.calendar.microsoft import GraphCalendar
    from models.settings import Settings

    assert isinstance(build_calendar(Settings(caldav_url="http://127.0.0.1:1")), CalDAVCalendar)
    with pytest.raises(CalendarRequestError, match="HIREFLOW_GOOGLE_SERVICE_ACCOUNT_FILE"):
        build_calendar(Settings(calendar_provider="google"))
    with pytest.raises(CalendarRequestError, match="cannot read"):
        build_calendar(
            Settings(
                calendar_provider="google",
                google_service_account_file=tmp_path / "none.json",
                google_delegated_subject="admin@corp.test",
            )
        )
    from tests.test_calendar_google import SA_INFO

    key = tmp_path / "sa.json"
    key.write_text(json.dumps(SA_INFO))
    google = build_calendar(
        Settings(
            calendar_provider="google",
            google_service_account_file=key,
            google_delegated_subject="admin@corp.test",
        )
    )
    assert isinstance(google, GoogleCalendar)
    with pytest.raises(CalendarRequestError, match="HIREFLOW_MICROSOFT_CLIENT_SECRET"):
        build_calendar(
            Settings(calendar_provider="microsoft", microsoft_tenant_id="t", microsoft_client_id="c")
        )
    assert isinstance(
        build_calendar(
            Settings(
                calendar_provider="microsoft",
                microsoft_tenant_id="t",
                microsoft_client_id="c",
                microsoft_client_secret="s",
            )
        ),
        GraphCalendar,
    )
    assert build_video(Settings()).choice == "jitsi"
    with pytest.raises(CalendarRequestError, match="HIREFLOW_ZOOM_ACCOUNT_ID"):
        build_video(Settings(video_provider="zoom"))
    with pytest.raises(CalendarRequestError, match="native"):
        build_video(Settings(video_provider="native"))
    zoom = build_video(
        Settings(video_provider="zoom", zoom_account_id="a", zoom_client_id="c", zoom_client_secret="s"),
        create_engine(f"sqlite:///{tmp_path / 'v.db'}"),
    )
    assert zoom.zoom is not None and isinstance(zoom.zoom.store, SQLZoomStore)
