"""Google Calendar provider against an httpx.MockTransport fake that checks requests like Google would."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

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
from integrations.calendar.google import CALENDAR_SCOPE, JWT_BEARER, GoogleCalendar, ServiceAccountTokens
from integrations.calendar.http import RetryPolicy

TOKEN_URI = "https://oauth2.googleapis.com/token"
API = "https://www.googleapis.com/calendar/v3"
ADMIN = "https://admin.googleapis.com/admin/directory/v1"
SA_EMAIL = "scheduler@proj.iam.gserviceaccount.com"
T0 = datetime(2026, 12, 1, tzinfo=UTC)
ROOM = "c_1888abcd@resource.calendar.google.com"


def _key() -> tuple[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key.public_key()


PEM, PUBLIC = _key()
SA_INFO = {
    "type": "service_account",
    "project_id": "proj",
    "private_key_id": "kid1",
    "private_key": PEM,
    "client_email": SA_EMAIL,
    "client_id": "1234567890",
    "token_uri": TOKEN_URI,
}


def gerror(code: int, reason: str, message: str = "", domain: str = "global") -> httpx.Response:
    return httpx.Response(
        code,
        json={
            "error": {
                "errors": [{"domain": domain, "reason": reason, "message": message}],
                "code": code,
                "message": message,
            }
        },
    )


class FakeGoogle:
    """Token endpoint, Calendar v3 (freeBusy, events) and Directory resources, with checks.

    Deleted events behave as Google documents them: `events.delete` only marks the event
    `status: cancelled`; `events.get` still returns it (with `strip_deleted`, only the fields
    Google guarantees for a deleted event: id and status); inserting its id again answers 409
    `duplicate`; a PATCH setting `status: confirmed` brings it back. freeBusy skips cancelled events.
    """

    def __init__(self, delegated: set[str], *, strip_deleted: bool = False) -> None:
        self.delegated = delegated
        self.strip_deleted = strip_deleted
        self.tokens: dict[str, str] = {}
        self.token_requests = 0
        self.events: dict[str, dict[str, dict[str, Any]]] = {}
        self.busy: dict[str, list[tuple[str, str]]] = {}
        self.faults: list[httpx.Response] = []
        self.calls: list[httpx.Request] = []
        self._n = itertools.count()

    def handler(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URI:
            return self._token(request)
        auth = request.headers.get("Authorization", "")
        subject = self.tokens.get(auth.removeprefix("Bearer "))
        if subject is None:
            return gerror(401, "authError", "Invalid Credentials")
        self.calls.append(request)
        if self.faults:
            return self.faults.pop(0)
        path = request.url.path
        if path == "/calendar/v3/freeBusy" and request.method == "POST":
            return self._freebusy(json.loads(request.content))
        if path.startswith("/admin/directory/v1/customer/my_customer/resources/calendars"):
            return self._rooms(request)
        m = re.fullmatch(
            r"/calendar/v3/calendars/([^/]+)/events(?:/([^/]+))?", request.url.raw_path.decode().split("?")[0]
        )
        assert m, f"unexpected path {path}"
        calendar, event_id = unquote(m.group(1)), m.group(2)
        if calendar != subject:
            return gerror(403, "requiredAccessLevel", "You need to have writer access to this calendar.")
        return self._events(request, calendar, event_id)

    def _token(self, request: httpx.Request) -> httpx.Response:
        self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        assert form["grant_type"] == JWT_BEARER
        claims = jwt.decode(form["assertion"], PUBLIC, algorithms=["RS256"], audience=TOKEN_URI)
        assert jwt.get_unverified_header(form["assertion"])["kid"] == "kid1"
        assert claims["iss"] == SA_EMAIL and CALENDAR_SCOPE in claims["scope"].split()
        if claims["sub"] not in self.delegated:
            return httpx.Response(
                401,
                json={
                    "error": "unauthorized_client",
                    "error_description": "Client is unauthorized to retrieve access tokens using this method, "
                    "or client not authorized for any of the scopes requested.",
                },
            )
        token = f"ya29.{next(self._n)}"
        self.tokens[token] = claims["sub"]
        return httpx.Response(200, json={"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _freebusy(self, body: dict[str, Any]) -> httpx.Response:
        tmin = datetime.fromisoformat(body["timeMin"].replace("Z", "+00:00"))
        tmax = datetime.fromisoformat(body["timeMax"].replace("Z", "+00:00"))
        if tmax <= tmin:
            return gerror(400, "timeRangeEmpty", "The specified time range is empty.")
        if len(body["items"]) > 50:
            return gerror(400, "tooManyCalendarsRequested")
        calendars: dict[str, Any] = {}
        for item in body["items"]:
            cid = item["id"]
            if cid not in self.busy and cid not in self.delegated:
                calendars[cid] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
                continue
            busy = [{"start": s, "end": e} for s, e in self.busy.get(cid, [])]
            for cal in self.events.values():
                for ev in cal.values():
                    if ev["status"] != "cancelled" and any(
                        a["email"] == cid for a in ev.get("attendees", [])
                    ):
                        busy.append({"start": ev["start"]["dateTime"], "end": ev["end"]["dateTime"]})
            calendars[cid] = {"busy": busy}
        return httpx.Response(
            200,
            json={
                "kind": "calendar#freeBusy",
                "timeMin": body["timeMin"],
                "timeMax": body["timeMax"],
                "calendars": calendars,
            },
        )

    def _events(self, request: httpx.Request, calendar: str, event_id: str | None) -> httpx.Response:
        cal = self.events.setdefault(calendar, {})
        if request.method == "POST":
            return self._insert(request, calendar, cal)
        return self._event(request, cal, event_id)

    def _insert(self, request: httpx.Request, calendar: str, cal: dict[str, Any]) -> httpx.Response:
        """events.insert: a new id, or 409 for one that exists (a cancelled event's id included)."""
        params = request.url.params
        assert params.get("sendUpdates") in ("all", "externalOnly", "none")
        body = json.loads(request.content)
        if not re.fullmatch(r"[a-v0-9]{5,1024}", body.get("id", "")):
            return gerror(400, "invalid", "Invalid resource id value.")
        if body["id"] in cal:
            return gerror(409, "duplicate", "The requested identifier already exists.")
        for key in ("start", "end"):
            datetime.fromisoformat(body[key]["dateTime"].replace("Z", "+00:00"))
            assert body[key]["timeZone"]
        if params.get("conferenceDataVersion") != "1":
            body.pop("conferenceData", None)  # silently ignored without the parameter
        elif "conferenceData" in body:
            req = body["conferenceData"]["createRequest"]
            assert req["conferenceSolutionKey"]["type"] == "hangoutsMeet" and req["requestId"]
            req["status"] = {"statusCode": "pending"}
        for a in body.get("attendees", []):
            a["responseStatus"] = "accepted" if a.get("resource") else "needsAction"
        body.update(
            status="confirmed",
            sequence=0,
            etag='"1"',
            organizer={"email": calendar, "self": True},
            iCalUID=f"{body['id']}@google.com",
        )
        cal[body["id"]] = body
        return httpx.Response(200, json=body)

    def _event(self, request: httpx.Request, cal: dict[str, Any], event_id: str | None) -> httpx.Response:
        """events.get, patch and delete of one event."""
        params = request.url.params
        assert event_id is not None
        ev = cal.get(event_id)
        if ev is None:
            return gerror(404, "notFound", "Not Found")
        if request.method == "GET":
            if ev["status"] == "cancelled" and self.strip_deleted:
                return httpx.Response(
                    200,
                    json={
                        "kind": "calendar#event",
                        "etag": ev["etag"],
                        "id": ev["id"],
                        "status": "cancelled",
                    },
                )
            conf = ev.get("conferenceData")
            if conf and conf["createRequest"]["status"]["statusCode"] == "pending":
                conf["createRequest"]["status"]["statusCode"] = "success"
                conf["entryPoints"] = [
                    {"entryPointType": "video", "uri": "https://meet.google.com/abc-defg-hij"}
                ]
                conf["conferenceId"] = "abc-defg-hij"
                ev["hangoutLink"] = "https://meet.google.com/abc-defg-hij"
            return httpx.Response(200, json=ev)
        if request.method == "PATCH":
            body = json.loads(request.content)
            assert body.get("status", "confirmed") in ("confirmed", "tentative", "cancelled")
            if any(k in body and body[k] != ev.get(k) for k in ("start", "end", "status")):
                ev["sequence"] += 1
            ev.update({k: v for k, v in body.items() if k != "conferenceData"})
            request_id = ((body.get("conferenceData") or {}).get("createRequest") or {}).get("requestId")
            old_id = ((ev.get("conferenceData") or {}).get("createRequest") or {}).get("requestId")
            if params.get("conferenceDataVersion") == "1" and request_id and request_id != old_id:
                ev.pop("hangoutLink", None)
                ev["conferenceData"] = {
                    "createRequest": {
                        **body["conferenceData"]["createRequest"],
                        "status": {"statusCode": "pending"},
                    }
                }
            ev["etag"] = f'"{int(ev["etag"].strip(chr(34))) + 1}"'
            return httpx.Response(200, json=ev)
        if request.method == "DELETE":
            if ev["status"] == "cancelled":
                return gerror(410, "deleted", "Resource has been deleted")
            ev["status"] = "cancelled"
            ev["sequence"] += 1
            return httpx.Response(204)
        raise AssertionError(request.method)

    def _rooms(self, request: httpx.Request) -> httpx.Response:
        assert request.url.params["maxResults"] == "500"
        if request.url.params.get("pageToken") == "p2":
            return httpx.Response(
                200,
                json={
                    "items": [
                        {
                            "resourceId": "2",
                            "resourceName": "Phone booth",
                            "resourceEmail": "c_2@resource.calendar.google.com",
                            "resourceCategory": "OTHER",
                            "capacity": 1,
                        }
                    ]
                },
            )
        return httpx.Response(
            200,
            json={
                "nextPageToken": "p2",
                "items": [
                    {
                        "resourceId": "1",
                        "resourceName": "Boston 4A",
                        "resourceEmail": ROOM,
                        "resourceCategory": "CONFERENCE_ROOM",
                        "capacity": 6,
                        "buildingId": "BOS",
                    }
                ],
            },
        )


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def make(fake: FakeGoogle, **kw: Any) -> tuple[GoogleCalendar, Sleeps]:
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake.handler))
    sleeps = Sleeps()
    tokens = ServiceAccountTokens(SA_INFO, client=client)
    return GoogleCalendar(
        tokens, subject="admin@corp.test", client=client, sleep=sleeps, policy=RetryPolicy(attempts=4), **kw
    ), sleeps


def spec(**kw: Any) -> EventSpec:
    base: dict[str, Any] = dict(
        key=booking_key("schedule-1-2", "s1"),
        organizer="sched@corp.test",
        summary="Interview",
        start=T0 + timedelta(hours=15),
        end=T0 + timedelta(hours=16),
        time_zone="America/New_York",
        attendees=[Attendee(email="alice@corp.test"), Attendee(email="jane@gmail.test", name="Jane")],
        rooms=[Room(id=ROOM, email=ROOM, name="Boston 4A", capacity=6)],
        native_video=True,
    )
    base.update(kw)
    return EventSpec.model_validate(base)


@pytest.fixture
def fake() -> FakeGoogle:
    return FakeGoogle(delegated={"admin@corp.test", "sched@corp.test", "alice@corp.test"})


async def test_free_busy_with_partial_errors_and_batches(fake: FakeGoogle) -> None:
    cal, _ = make(fake)
    assert isinstance(cal, CalendarProvider)
    fake.busy["alice@corp.test"] = [("2026-12-01T14:00:00Z", "2026-12-01T15:00:00Z")]
    ids = ["alice@corp.test", "ghost@corp.test"] + [f"p{i}@corp.test" for i in range(60)]
    for i in range(60):
        fake.busy[f"p{i}@corp.test"] = []
    result = await cal.free_busy(ids, T0, T0 + timedelta(days=1))
    assert result["alice@corp.test"].hard == [
        Interval(start=T0 + timedelta(hours=14), end=T0 + timedelta(hours=15))
    ]
    assert result["ghost@corp.test"].error == "global:notFound" and result["ghost@corp.test"].hard == []
    assert len(result) == 62 and len(fake.calls) == 2  # two batches of <= 50
    assert fake.token_requests == 1  # token cached per subject


async def test_create_with_meet_is_idempotent(fake: FakeGoogle) -> None:
    cal, sleeps = make(fake)
    first = await cal.create_event(spec())
    assert first.created and first.video and first.video.url == "https://meet.google.com/abc-defg-hij"
    assert sleeps.delays == [1.0]  # polled once while the Meet was pending
    post = next(r for r in fake.calls if r.method == "POST")
    assert post.url.params["conferenceDataVersion"] == "1" and post.url.params["sendUpdates"] == "all"
    body = json.loads(post.content)
    assert body["conferenceData"]["createRequest"]["requestId"] == spec().event_id
    assert {"email": ROOM, "displayName": "Boston 4A", "resource": True} in body["attendees"]
    assert first.rooms[0].response is ResponseStatus.ACCEPTED
    again = await cal.create_event(spec())
    assert again.created is False and again.event_id == first.event_id and again.key == spec().key
    assert len(fake.events["sched@corp.test"]) == 1
    assert not [r for r in fake.calls if r.method == "PATCH"]  # nothing to change: nothing sent
    fb = await cal.free_busy(["alice@corp.test"], T0, T0 + timedelta(days=1))
    assert fb["alice@corp.test"].hard == [Interval(start=spec().start, end=spec().end)]


async def test_throttling_is_retried_with_backoff_and_retry_after(fake: FakeGoogle) -> None:
    cal, sleeps = make(fake)
    fake.faults = [
        gerror(403, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"),
        httpx.Response(429, headers={"Retry-After": "7"}, json={"error": {"code": 429}}),
        gerror(503, "backendError"),
    ]
    await cal.free_busy(["alice@corp.test"], T0, T0 + timedelta(hours=1))
    assert len(fake.calls) == 4 and sleeps.delays[1] == 7.0 and len(sleeps.delays) == 3
    fake.faults = [gerror(403, "userRateLimitExceeded", domain="usageLimits")] * 4
    with pytest.raises(CalendarUnavailableError, match="after 4 attempts"):
        await cal.free_busy(["alice@corp.test"], T0, T0 + timedelta(hours=1))


async def test_quota_exceeded_is_not_hot_retried(fake: FakeGoogle) -> None:
    cal, sleeps = make(fake)
    fake.faults = [gerror(403, "quotaExceeded", "Calendar usage limits exceeded.", "usageLimits")]
    with pytest.raises(CalendarUnavailableError) as err:
        await cal.create_event(spec())
    assert err.value.retry_after == 1800 and err.value.retryable and sleeps.delays == []


async def test_missing_delegation_is_a_clear_permission_error(fake: FakeGoogle) -> None:
    cal, _ = make(fake)
    with pytest.raises(CalendarPermissionError, match=r"domain-wide delegation is not granted.*1234567890"):
        await cal.create_event(spec(organizer="bob@corp.test"))
    fake.faults = [
        gerror(
            403,
            "forbiddenForServiceAccounts",
            "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority.",
            "calendar",
        )
    ]
    with pytest.raises(CalendarPermissionError, match="without domain-wide delegation") as err:
        await cal.create_event(spec())
    assert not err.value.retryable
    fake.faults = [gerror(403, "requiredAccessLevel", "You need to have writer access to this calendar.")]
    with pytest.raises(CalendarPermissionError, match="writer access"):
        await cal.create_event(spec())


async def test_update_cancel_and_declines(fake: FakeGoogle) -> None:
    cal, _ = make(fake, send_updates="none")
    await cal.create_event(spec())
    ev = fake.events["sched@corp.test"][spec().event_id]
    ev["attendees"][0]["responseStatus"] = "declined"
    got = await cal.get_event("sched@corp.test", spec().key)
    assert got and got.declined() == ["alice@corp.test"]
    moved = await cal.update_event(spec(start=T0 + timedelta(hours=17), end=T0 + timedelta(hours=18)))
    assert moved.sequence == 1 and moved.start == T0 + timedelta(hours=17)
    patch = next(r for r in fake.calls if r.method == "PATCH")
    assert "conferenceData" not in json.loads(patch.content)  # keep the existing Meet
    await cal.cancel_event("sched@corp.test", spec().key)
    await cal.cancel_event("sched@corp.test", spec().key)  # 410 on the second delete: fine
    await cal.cancel_event("sched@corp.test", booking_key("x", "y"))  # 404: fine
    assert all(r.url.params.get("sendUpdates") == "none" for r in fake.calls if r.method == "DELETE")
    assert await cal.get_event("sched@corp.test", booking_key("x", "y")) is None


async def test_rooms_paged_and_filtered(fake: FakeGoogle) -> None:
    cal, _ = make(fake)
    rooms = await cal.list_rooms()
    assert [(r.id, r.capacity, r.building) for r in rooms] == [(ROOM, 6, "BOS")]


def test_bad_service_account_key() -> None:
    with pytest.raises(Exception, match="service-account"):
        ServiceAccountTokens({"type": "service_account", "client_email": "x"})


@pytest.mark.parametrize("strip_deleted", [False, True], ids=["full-deleted", "id-only-deleted"])
async def test_create_after_cancel_revives_the_event(strip_deleted: bool) -> None:
    fake = FakeGoogle(
        delegated={"admin@corp.test", "sched@corp.test", "alice@corp.test"}, strip_deleted=strip_deleted
    )
    cal, _ = make(fake)
    await cal.create_event(spec())
    await cal.cancel_event("sched@corp.test", spec().key)
    fb = await cal.free_busy(["alice@corp.test"], T0, T0 + timedelta(days=1))
    assert fb["alice@corp.test"].hard == []
    gone = await cal.get_event("sched@corp.test", spec().key)
    assert gone is None if strip_deleted else gone and gone.status == "cancelled"
    later = spec(start=T0 + timedelta(hours=18), end=T0 + timedelta(hours=19))
    revived = await cal.create_event(later)
    assert revived.created and revived.revived and revived.status == "confirmed"
    assert (revived.start, revived.end) == (later.start, later.end) and revived.sequence == 2
    assert revived.video and revived.video.provider == "meet"
    stored = fake.events["sched@corp.test"]
    assert list(stored) == [spec().event_id] and stored[spec().event_id]["status"] == "confirmed"
    patch = next(r for r in fake.calls if r.method == "PATCH")
    assert json.loads(patch.content)["status"] == "confirmed" and patch.url.params["sendUpdates"] == "all"
    fb = await cal.free_busy(["alice@corp.test"], T0, T0 + timedelta(days=1))
    assert fb["alice@corp.test"].hard == [Interval(start=later.start, end=later.end)]
    again = await cal.create_event(later)  # a retry of the revival: already booked
    assert not again.created and not again.revived and again.sequence == 2
    got = await cal.get_event("sched@corp.test", later.key)
    assert got and got.status == "confirmed" and got.start == later.start


async def test_create_updates_a_live_event_of_the_same_key_to_the_spec(fake: FakeGoogle) -> None:
    cal, _ = make(fake)
    await cal.create_event(spec())
    other = spec(
        start=T0 + timedelta(hours=9),
        end=T0 + timedelta(hours=10),
        attendees=[Attendee(email="alice@corp.test"), Attendee(email="bob@corp.test")],
    )
    event = await cal.create_event(other)
    assert not event.created and not event.revived and event.sequence == 1
    assert (event.start, event.end) == (other.start, other.end)
    assert {a.email for a in event.attendees} == {"alice@corp.test", "bob@corp.test"}
    assert len(fake.events["sched@corp.test"]) == 1
    patches = [r for r in fake.calls if r.method == "PATCH"]
    assert len(patches) == 1 and "conferenceData" not in json.loads(patches[0].content)  # Meet kept
    await cal.create_event(other)
    assert len([r for r in fake.calls if r.method == "PATCH"]) == 1
