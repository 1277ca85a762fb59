"""Microsoft Graph provider against an httpx.MockTransport fake that checks requests like Graph would."""

from __future__ import annotations

import itertools
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from integrations.calendar.base import (
    Attendee,
    CalendarPermissionError,
    CalendarProvider,
    CalendarUnavailableError,
    EventSpec,
    Interval,
    ResponseStatus,
    Room,
    booking_key,
)
from integrations.calendar.http import RetryPolicy
from integrations.calendar.microsoft import KEY_PROPERTY, GraphCalendar, GraphTokens, parse_graph_time

TENANT = "contoso-tenant"
TOKEN_URL = f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
T0 = datetime(2026, 12, 1, tzinfo=UTC)
ROOM = "cf100@contoso.com"


def gerror(
    status: int, code: str, message: str = "", headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"error": {"code": code, "message": message}})


class FakeGraph:
    """Token endpoint, getSchedule, events and places, with the checks Graph makes.

    `POST /events/{id}/cancel` does what Graph documents: the organizer's event gets `isCancelled`
    and moves to Deleted Items, so it leaves the calendar (events list, getSchedule) but stays
    readable by id; `isCancelled` is read-only and no PATCH reopens it. What a POST re-using the
    transactionId of a since-cancelled event returns is not documented; the fake returns that
    cancelled event (the case that must not pass for a booking). `cancelled_listed=True` instead
    keeps cancelled events in the calendar list with `isCancelled`, as attendees' copies appear.
    """

    def __init__(self, *, cancelled_listed: bool = False) -> None:
        self.cancelled_listed = cancelled_listed
        self.deleted_items: dict[str, dict[str, dict[str, Any]]] = {}
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.mailboxes = {"sched@contoso.com", "alice@contoso.com", ROOM}
        self.events: dict[str, dict[str, dict[str, Any]]] = {}
        self.by_transaction: dict[str, str] = {}
        self.items: dict[str, list[dict[str, Any]]] = {}
        self.faults: list[httpx.Response] = []
        self.calls: list[httpx.Request] = []
        self._n = itertools.count()

    def handler(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            self.token_requests += 1
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            assert form["grant_type"] == "client_credentials"
            assert form["scope"] == "https://graph.microsoft.com/.default"
            if form["client_secret"] != "s3cret":
                return httpx.Response(
                    401,
                    json={
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided.",
                    },
                )
            token = f"eyJ0.{next(self._n)}"
            self.tokens.add(token)
            return httpx.Response(
                200, json={"token_type": "Bearer", "expires_in": 3599, "access_token": token}
            )
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            return gerror(401, "InvalidAuthenticationToken", "Access token is empty.")
        self.calls.append(request)
        if self.faults:
            return self.faults.pop(0)
        path = request.url.path.removeprefix("/v1.0")
        if path == "/places/microsoft.graph.room":
            return self._places(request)
        m = re.fullmatch(r"/users/([^/]+)/(calendar/getSchedule|events)(?:/([^/]+))?(/cancel)?", path)
        assert m, path
        user, what, event_id, cancel = m.groups()
        if user not in self.mailboxes:
            return gerror(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        if what == "calendar/getSchedule":
            return self._schedule(request)
        return self._events(request, user, event_id, bool(cancel))

    def _schedule(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["Prefer"] == 'outlook.timezone="UTC"'
        body = json.loads(request.content)
        assert 5 <= body["availabilityViewInterval"] <= 1440 and len(body["schedules"]) <= 20
        start = parse_graph_time(body["startTime"])
        values = []
        for sid in body["schedules"]:
            if sid == "ghost@contoso.com":
                values.append(
                    {
                        "scheduleId": sid,
                        "error": {
                            "message": "The mailbox was not found.",
                            "responseCode": "ErrorMailboxNotFound",
                        },
                    }
                )
                continue
            items = list(self.items.get(sid, []))
            for cal in self.events.values():
                for ev in cal.values():
                    if not ev["isCancelled"] and any(
                        a["emailAddress"]["address"] == sid for a in ev["attendees"]
                    ):
                        items.append({"status": "busy", "start": ev["start"], "end": ev["end"]})
            view = "".join(
                "2"
                if any(
                    parse_graph_time(i["start"])
                    <= start + timedelta(minutes=15 * n)
                    < parse_graph_time(i["end"])
                    for i in items
                )
                else "0"
                for n in range(8)
            )
            values.append({"scheduleId": sid, "availabilityView": view, "scheduleItems": items})
        return httpx.Response(200, json={"value": values})

    def _events(
        self, request: httpx.Request, user: str, event_id: str | None, cancel: bool
    ) -> httpx.Response:
        cal = self.events.setdefault(user, {})
        if request.method == "GET" and event_id is None:
            flt = request.url.params["$filter"]
            m = re.fullmatch(
                r"singleValueExtendedProperties/Any\(ep: ep/id eq '(.+)' and ep/value eq '(.+)'\)", flt
            )
            assert m and m.group(1) == KEY_PROPERTY, flt
            assert KEY_PROPERTY in request.url.params["$expand"]
            found = [
                e
                for e in cal.values()
                if any(p["value"] == m.group(2) for p in e.get("singleValueExtendedProperties", []))
            ]
            return httpx.Response(200, json={"value": found})
        if request.method == "POST" and event_id is None:
            body = json.loads(request.content)
            assert body["start"]["timeZone"] == "UTC" and body["attendees"]
            tx = body.get("transactionId")
            if tx in self.by_transaction:  # Graph's de-duplication of client retries
                return httpx.Response(201, json=self._item(user, self.by_transaction[tx]))
            eid = f"AAMkAG{uuid.uuid4().hex}"
            body.update(
                id=eid,
                isCancelled=False,
                organizer={"emailAddress": {"address": user}},
                **{"@odata.etag": 'W/"1"'},
            )
            for a in body["attendees"]:
                a["status"] = {"response": "accepted" if a["type"] == "resource" else "none"}
            if body.get("isOnlineMeeting"):
                assert body["onlineMeetingProvider"] == "teamsForBusiness"
                body["onlineMeeting"] = {"joinUrl": f"https://teams.microsoft.com/l/meetup-join/{eid[-8:]}"}
            if tx:
                self.by_transaction[tx] = eid
            cal[eid] = body
            return httpx.Response(201, json=body)
        ev = self._item(user, event_id or "")
        if ev is None:
            return gerror(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        if cancel:
            assert request.method == "POST"
            if ev["isCancelled"]:
                return gerror(400, "ErrorInvalidRequest", "Your request can't be completed.")
            ev["isCancelled"] = True
            if not self.cancelled_listed:
                self.deleted_items.setdefault(user, {})[ev["id"]] = cal.pop(ev["id"])
            return httpx.Response(202)
        if request.method == "PATCH":
            body = json.loads(request.content)
            assert "onlineMeetingProvider" not in body or not ev.get("onlineMeeting")
            if "isCancelled" in body or "transactionId" in body:
                return gerror(400, "ErrorInvalidPropertyUpdateSentAsCreate", "read-only property")
            ev.update(body)
            return httpx.Response(200, json=ev)
        if request.method == "GET":
            return httpx.Response(200, json=ev)
        raise AssertionError(request.method)

    def _item(self, user: str, event_id: str) -> dict[str, Any] | None:
        """An event by id, in the calendar or in Deleted Items."""
        return self.events.get(user, {}).get(event_id) or self.deleted_items.get(user, {}).get(event_id)

    def _places(self, request: httpx.Request) -> httpx.Response:
        if request.url.params.get("$skip") == "1":
            return httpx.Response(
                200,
                json={
                    "value": [
                        {
                            "id": "2",
                            "emailAddress": "cf200@contoso.com",
                            "displayName": "Conf Room 200",
                            "capacity": "8",
                        }
                    ]
                },
            )
        assert request.url.params["$top"] == "100"
        return httpx.Response(
            200,
            json={
                "@odata.nextLink": "https://graph.microsoft.com/v1.0/places/microsoft.graph.room?$top=100&$skip=1",
                "value": [
                    {
                        "id": "1",
                        "emailAddress": ROOM,
                        "displayName": "Conf Room 100",
                        "capacity": 50,
                        "building": "1",
                    }
                ],
            },
        )


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def make(fake: FakeGraph, secret: str = "s3cret") -> tuple[GraphCalendar, Sleeps]:
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake.handler))
    sleeps = Sleeps()
    tokens = GraphTokens(TENANT, "app-id", secret, client=client)
    return GraphCalendar(
        tokens, mailbox="sched@contoso.com", client=client, sleep=sleeps, policy=RetryPolicy(attempts=4)
    ), sleeps


def spec(**kw: Any) -> EventSpec:
    base: dict[str, Any] = dict(
        key=booking_key("schedule-9-8", "s2"),
        organizer="sched@contoso.com",
        summary="Interview",
        start=T0 + timedelta(hours=1),
        end=T0 + timedelta(hours=2),
        time_zone="Europe/London",
        attendees=[Attendee(email="alice@contoso.com", name="Alice"), Attendee(email="jane@gmail.test")],
        rooms=[Room(id=ROOM, email=ROOM, name="Conf Room 100", capacity=50)],
        native_video=True,
    )
    base.update(kw)
    return EventSpec.model_validate(base)


@pytest.fixture
def fake() -> FakeGraph:
    return FakeGraph()


def test_graph_times_with_windows_zone() -> None:
    value = {"dateTime": "2019-03-15T12:00:00.0000000", "timeZone": "Pacific Standard Time"}
    assert parse_graph_time(value) == datetime(2019, 3, 15, 19, tzinfo=UTC)  # PDT, after the US change


async def test_get_schedule_items_view_and_per_schedule_errors(fake: FakeGraph) -> None:
    cal, _ = make(fake)
    assert isinstance(cal, CalendarProvider)
    fake.items["alice@contoso.com"] = [
        {
            "status": "busy",
            "start": {"dateTime": "2026-12-01T01:00:00.0000000", "timeZone": "GMT Standard Time"},
            "end": {"dateTime": "2026-12-01T01:30:00.0000000", "timeZone": "GMT Standard Time"},
        },
        {
            "status": "tentative",
            "start": {"dateTime": "2026-11-30T20:00:00.0000000", "timeZone": "Eastern Standard Time"},
            "end": {"dateTime": "2026-11-30T21:00:00.0000000", "timeZone": "Eastern Standard Time"},
        },
        {
            "status": "oof",
            "start": {"dateTime": "2026-12-01T01:30:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2026-12-01T02:00:00.0000000", "timeZone": "UTC"},
        },
        {
            "status": "free",
            "start": {"dateTime": "2026-12-01T00:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2026-12-01T00:30:00.0000000", "timeZone": "UTC"},
        },
    ]
    fb = await cal.free_busy(["alice@contoso.com", "ghost@contoso.com"], T0, T0 + timedelta(hours=2))
    assert fb["alice@contoso.com"].hard == [
        Interval(start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=2))
    ]
    assert fb["alice@contoso.com"].tentative == [
        Interval(start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=2))
    ]
    assert fb["ghost@contoso.com"].error and "ErrorMailboxNotFound" in fb["ghost@contoso.com"].error


def test_availability_view_fallback() -> None:
    info = {"scheduleId": "x@y.z", "availabilityView": "01230000"}
    fb = GraphCalendar._schedule("x@y.z", info, T0, T0 + timedelta(hours=2))
    assert fb.tentative == [Interval(start=T0 + timedelta(minutes=15), end=T0 + timedelta(minutes=30))]
    assert fb.hard == [Interval(start=T0 + timedelta(minutes=30), end=T0 + timedelta(minutes=60))]


async def test_create_with_teams_is_idempotent(fake: FakeGraph) -> None:
    cal, _ = make(fake)
    first = await cal.create_event(spec())
    assert first.created and first.video and first.video.provider == "teams"
    assert first.rooms[0].id == ROOM and first.rooms[0].response is ResponseStatus.ACCEPTED
    post = next(r for r in fake.calls if r.method == "POST")
    body = json.loads(post.content)
    assert body["transactionId"] == spec().event_id and body["isOnlineMeeting"] is True
    assert {"emailAddress": {"address": ROOM, "name": "Conf Room 100"}, "type": "resource"} in body[
        "attendees"
    ]
    again = await cal.create_event(spec())
    assert again.created is False and again.event_id == first.event_id
    assert len(fake.events["sched@contoso.com"]) == 1
    assert not [r for r in fake.calls if r.method == "PATCH"]  # nothing to change: nothing sent
    # a lost response: the key lookup misses, transactionId still de-duplicates the POST
    fake.events["sched@contoso.com"][first.event_id]["singleValueExtendedProperties"] = []
    third = await cal.create_event(spec())
    assert third.event_id == first.event_id and len(fake.events["sched@contoso.com"]) == 1
    fb = await cal.free_busy(["alice@contoso.com"], T0, T0 + timedelta(hours=3))
    assert fb["alice@contoso.com"].hard == [Interval(start=spec().start, end=spec().end)]


async def test_retry_after_is_honoured(fake: FakeGraph) -> None:
    cal, sleeps = make(fake)
    fake.faults = [
        gerror(429, "TooManyRequests", "throttled", {"Retry-After": "3"}),
        gerror(503, "ServiceUnavailable", "", {"Retry-After": "2"}),
    ]
    await cal.free_busy(["alice@contoso.com"], T0, T0 + timedelta(hours=1))
    assert sleeps.delays == [3.0, 2.0]
    fake.faults = [gerror(429, "TooManyRequests", "", {"Retry-After": "600"})]
    with pytest.raises(CalendarUnavailableError) as err:  # too long to wait in-process: hand to Temporal
        await cal.free_busy(["alice@contoso.com"], T0, T0 + timedelta(hours=1))
    assert err.value.retry_after == 600


async def test_permission_errors_are_clear(fake: FakeGraph) -> None:
    cal, _ = make(fake, secret="wrong")
    with pytest.raises(CalendarPermissionError, match=r"AADSTS7000215.*client id and secret"):
        await cal.free_busy(["alice@contoso.com"], T0, T0 + timedelta(hours=1))
    cal, _ = make(fake)
    with pytest.raises(
        CalendarPermissionError, match=r"ErrorAccessDenied.*Calendars\.ReadWrite.*access policy"
    ):
        await cal.create_event(spec(organizer="bob@contoso.com"))


async def test_update_cancel_and_declines(fake: FakeGraph) -> None:
    cal, _ = make(fake)
    created = await cal.create_event(spec())
    fake.events["sched@contoso.com"][created.event_id]["attendees"][0]["status"] = {"response": "declined"}
    got = await cal.get_event("sched@contoso.com", spec().key)
    assert got and got.declined() == ["alice@contoso.com"]
    moved = await cal.update_event(spec(start=T0 + timedelta(hours=3), end=T0 + timedelta(hours=4)))
    assert moved.start == T0 + timedelta(hours=3) and moved.video is not None
    await cal.cancel_event("sched@contoso.com", spec().key)
    await cal.cancel_event("sched@contoso.com", spec().key)
    assert sum(1 for r in fake.calls if r.url.path.endswith("/cancel")) == 1
    assert await cal.get_event("sched@contoso.com", spec().key) is None  # in Deleted Items now
    listed = FakeGraph(cancelled_listed=True)
    cal, _ = make(listed)
    await cal.create_event(spec())
    await cal.cancel_event("sched@contoso.com", spec().key)
    await cal.cancel_event("sched@contoso.com", spec().key)
    got = await cal.get_event("sched@contoso.com", spec().key)
    assert got and got.status == "cancelled"


async def test_rooms_from_places_with_paging(fake: FakeGraph) -> None:
    cal, _ = make(fake)
    rooms = await cal.list_rooms()
    assert [(r.id, r.capacity) for r in rooms] == [(ROOM, 50), ("cf200@contoso.com", 8)]
    assert fake.token_requests == 1


@pytest.mark.parametrize("cancelled_listed", [False, True], ids=["deleted-items", "listed-cancelled"])
async def test_create_after_cancel_books_a_live_event(cancelled_listed: bool) -> None:
    fake = FakeGraph(cancelled_listed=cancelled_listed)
    cal, _ = make(fake)
    first = await cal.create_event(spec())
    await cal.cancel_event("sched@contoso.com", spec().key)
    fb = await cal.free_busy(["alice@contoso.com"], T0, T0 + timedelta(hours=6))
    assert fb["alice@contoso.com"].hard == []
    later = spec(start=T0 + timedelta(hours=4), end=T0 + timedelta(hours=5))
    revived = await cal.create_event(later)
    assert revived.created and revived.revived and revived.status == "confirmed"
    assert (revived.start, revived.end) == (later.start, later.end) and revived.video is not None
    assert revived.event_id != first.event_id  # a cancelled Graph meeting cannot be reopened
    live = [e for e in fake.events["sched@contoso.com"].values() if not e["isCancelled"]]
    assert len(live) == 1 and live[0]["id"] == revived.event_id
    fb = await cal.free_busy(["alice@contoso.com"], T0, T0 + timedelta(hours=6))
    assert fb["alice@contoso.com"].hard == [Interval(start=later.start, end=later.end)]
    posts = len([r for r in fake.calls if r.method == "POST" and r.url.path.endswith("/events")])
    again = await cal.create_event(later)  # a retry of the revival finds the live event by key
    assert again.event_id == revived.event_id and not again.created and not again.revived
    got = await cal.get_event("sched@contoso.com", later.key)
    assert got and got.event_id == revived.event_id and got.status == "confirmed"
    # lost response on the revival: the key lookup misses, and the POST lands on the same event
    live[0]["singleValueExtendedProperties"] = []
    third = await cal.create_event(later)
    assert third.event_id == revived.event_id
    assert len([e for e in fake.events["sched@contoso.com"].values() if not e["isCancelled"]]) == 1
    assert len([r for r in fake.calls if r.method == "POST" and r.url.path.endswith("/events")]) > posts
    # a second cancel and create walks past both cancelled events to a third, live one
    live[0]["singleValueExtendedProperties"] = [{"id": KEY_PROPERTY, "value": later.key}]
    await cal.cancel_event("sched@contoso.com", later.key)
    fourth = await cal.create_event(spec())
    assert fourth.revived and fourth.event_id not in (first.event_id, revived.event_id)
    assert (fourth.start, fourth.end) == (spec().start, spec().end)


async def test_create_updates_a_live_event_of_the_same_key_to_the_spec(fake: FakeGraph) -> None:
    cal, _ = make(fake)
    first = await cal.create_event(spec())
    other = spec(
        start=T0 + timedelta(hours=5),
        end=T0 + timedelta(hours=6),
        attendees=[Attendee(email="alice@contoso.com")],
    )
    event = await cal.create_event(other)
    assert event.event_id == first.event_id and not event.created and not event.revived
    assert (event.start, event.end) == (other.start, other.end)
    assert [a.email for a in event.attendees] == ["alice@contoso.com"]
    patches = [r for r in fake.calls if r.method == "PATCH"]
    assert len(patches) == 1 and "onlineMeetingProvider" not in json.loads(patches[0].content)
    await cal.create_event(other)
    assert len([r for r in fake.calls if r.method == "PATCH"]) == 1
