"""Google Calendar v3 provider: a service account with domain-wide delegation, over httpx.

* Tokens: a JWT assertion signed with google-auth's signer for the impersonated user (`sub`),
  exchanged at the token endpoint and cached per user. An `unauthorized_client` answer means
  the Workspace admin has not granted delegation; the error says exactly that.
* Events carry a client-chosen id (`event_id_for(key)`, base32hex), so a retried insert gets 409
  and the existing event is fetched: returned as is, or patched to the spec if it differs. A
  deleted event keeps its id (status `cancelled`, still readable by id), so a 409 may point at a
  cancelled event: it is revived by a PATCH to the spec with `status: confirmed`. Meet links come
  from `conferenceData.createRequest` with `conferenceDataVersion=1` and the event id as `requestId`.
* Rooms are resource attendees; the room list comes from the Admin SDK Directory API.
* Throttling (403 `rateLimitExceeded`/`userRateLimitExceeded`, 429, 5xx) is retried with
  backoff; 403 `quotaExceeded` is surfaced at once with a long retry delay (it lasts hours).
* freeBusy reports no tentative state: everything busy is hard. Per-calendar errors come back
  in `FreeBusy.error`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol
from urllib.parse import quote

import httpx

from integrations.calendar.base import (
    Attendee,
    CalendarError,
    CalendarEvent,
    CalendarNotFoundError,
    CalendarPermissionError,
    CalendarRequestError,
    CalendarUnavailableError,
    EventSpec,
    FreeBusy,
    Interval,
    ResponseStatus,
    Room,
    RoomResponse,
    VideoLink,
    check_window,
    event_id_for,
)
from integrations.calendar.http import CachedToken, RetryPolicy, Sleep, send
from integrations.logs import get_logger

log = get_logger(__name__)

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
ROOMS_SCOPE = "https://www.googleapis.com/auth/admin.directory.resource.calendar.readonly"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FREEBUSY_BATCH = 50
SendUpdates = Literal["all", "externalOnly", "none"]
_RETRY_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "backendError"}
_RESPONSES = {
    "accepted": ResponseStatus.ACCEPTED,
    "declined": ResponseStatus.DECLINED,
    "tentative": ResponseStatus.TENTATIVE,
    "needsAction": ResponseStatus.NEEDS_ACTION,
}


class TokenSource(Protocol):
    """Bearer tokens per impersonated user."""

    async def token(self, subject: str) -> str: ...

    def invalidate(self, subject: str) -> None: ...


class ServiceAccountTokens:
    """Domain-wide-delegation tokens for a service account key (the JSON file's contents)."""

    def __init__(
        self,
        info: Mapping[str, Any],
        *,
        scopes: Sequence[str] = (CALENDAR_SCOPE, ROOMS_SCOPE),
        client: httpx.AsyncClient | None = None,
    ) -> None:
        from google.oauth2 import service_account

        try:
            self._creds = service_account.Credentials.from_service_account_info(
                dict(info), scopes=list(scopes)
            )
        except (ValueError, KeyError) as exc:
            raise CalendarRequestError(f"invalid Google service-account key: {exc}") from exc
        self.client_id = str(info.get("client_id", "?"))
        self.token_uri = str(info.get("token_uri") or "https://oauth2.googleapis.com/token")
        self.scopes = list(scopes)
        self._client = client or httpx.AsyncClient(timeout=15)
        self._cache: dict[str, CachedToken] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _assertion(self, subject: str) -> str:
        from google.auth import jwt

        now = int(time.time())
        payload = {
            "iss": self._creds.service_account_email,
            "sub": subject,
            "aud": self.token_uri,
            "scope": " ".join(self.scopes),
            "iat": now,
            "exp": now + 3600,
        }
        return jwt.encode(self._creds.signer, payload).decode()

    def invalidate(self, subject: str) -> None:
        self._cache.pop(subject, None)

    async def token(self, subject: str) -> str:
        cached = self._cache.get(subject)
        if cached and cached.fresh:
            return cached.value
        async with self._locks.setdefault(subject, asyncio.Lock()):
            cached = self._cache.get(subject)
            if cached and cached.fresh:
                return cached.value
            resp = await send(
                self._client,
                "POST",
                self.token_uri,
                retryable=lambda r: r.status_code == 429 or r.status_code >= 500,
                data={"grant_type": JWT_BEARER, "assertion": self._assertion(subject)},
                what="Google token",
            )
            body = _json(resp)
            if resp.status_code != 200:
                error = str(body.get("error", resp.status_code))
                detail = body.get("error_description", "")
                if error == "unauthorized_client":
                    raise CalendarPermissionError(
                        f"Google refused to let the service account act as {subject}: domain-wide delegation "
                        f"is not granted. In the Google Admin console (Security > API controls > Domain-wide "
                        f"delegation) authorise client id {self.client_id} for scopes {','.join(self.scopes)}."
                    )
                if error == "invalid_grant":
                    raise CalendarPermissionError(
                        f"Google rejected the token request for {subject} ({detail or error}): check that the "
                        "user exists in the Workspace domain and the key is not revoked."
                    )
                raise CalendarPermissionError(f"Google token request failed for {subject}: {error} {detail}")
            self._cache[subject] = CachedToken(str(body["access_token"]), float(body.get("expires_in", 3600)))
            return self._cache[subject].value


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _reason(resp: httpx.Response) -> tuple[str, str]:
    err = _json(resp).get("error", {})
    if not isinstance(err, dict):
        return str(err), ""
    errors = err.get("errors") or [{}]
    return str(errors[0].get("reason") or err.get("status") or ""), str(err.get("message", ""))


def _retryable(resp: httpx.Response) -> bool:
    if resp.status_code == 429 or resp.status_code >= 500:
        return True
    return resp.status_code == 403 and _reason(resp)[0] in _RETRY_REASONS


def _rfc3339(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _parse_time(value: Mapping[str, Any]) -> datetime:
    if "dateTime" in value:
        return datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
    return datetime.fromisoformat(f"{value['date']}T00:00:00+00:00")


class GoogleCalendar:
    """CalendarProvider for Google Workspace.

    `subject` is the user impersonated for freeBusy and the room directory (a Workspace admin or
    a user allowed to read resources); events are written as their `organizer`.
    """

    name = "google"

    def __init__(
        self,
        tokens: TokenSource,
        *,
        subject: str,
        send_updates: SendUpdates = "all",
        base_url: str = "https://www.googleapis.com/calendar/v3",
        admin_url: str = "https://admin.googleapis.com/admin/directory/v1",
        customer: str = "my_customer",
        client: httpx.AsyncClient | None = None,
        policy: RetryPolicy = RetryPolicy(),
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.tokens = tokens
        self.subject = subject
        self.send_updates = send_updates
        self.base_url = base_url.rstrip("/")
        self.admin_url = admin_url.rstrip("/")
        self.customer = customer
        self._client = client or httpx.AsyncClient(timeout=30)
        self._owns_client = client is None
        self._policy = policy
        self._sleep = sleep

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _call(
        self, method: str, url: str, subject: str, *, ok: Sequence[int] = (200,), what: str, **kwargs: Any
    ) -> httpx.Response:
        for attempt in range(2):
            token = await self.tokens.token(subject)
            resp = await send(
                self._client,
                method,
                url,
                retryable=_retryable,
                policy=self._policy,
                sleep=self._sleep,
                headers={"Authorization": f"Bearer {token}"},
                what=f"Google {what}",
                **kwargs,
            )
            if resp.status_code == 401 and attempt == 0:
                self.tokens.invalidate(subject)
                continue
            break
        if resp.status_code in ok:
            return resp
        reason, message = _reason(resp)
        if resp.status_code == 403 and reason == "quotaExceeded":
            raise CalendarUnavailableError(
                f"Google {what}: Calendar usage limits exceeded for {subject} ({message}); retry much later",
                retry_after=1800,
            )
        if resp.status_code == 403 and reason == "forbiddenForServiceAccounts":
            raise CalendarPermissionError(
                f"Google {what}: the service account may not invite attendees without domain-wide delegation; "
                "grant delegation in the Admin console and configure the organizer as the delegated user."
            )
        if resp.status_code in (401, 403):
            raise CalendarPermissionError(
                f"Google {what} as {subject} was refused ({resp.status_code} {reason}): {message}. Check the "
                "delegation scopes and that this user may access the calendar."
            )
        if resp.status_code in (404, 410):
            raise CalendarNotFoundError(f"Google {what}: not found ({reason or resp.status_code})")
        if resp.status_code == 400:
            raise CalendarRequestError(f"Google {what}: bad request ({reason}): {message}")
        raise CalendarError(f"Google {what}: unexpected {resp.status_code} {reason} {message}")

    def _events_url(self, calendar_id: str, event_id: str | None = None) -> str:
        url = f"{self.base_url}/calendars/{quote(calendar_id, safe='')}/events"
        return f"{url}/{event_id}" if event_id else url

    # -- free/busy -----------------------------------------------------------------------------

    async def free_busy(
        self, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, FreeBusy]:
        start, end = check_window(start, end)
        ids = list(dict.fromkeys(calendar_ids))
        out: dict[str, FreeBusy] = {}
        for i in range(0, len(ids), FREEBUSY_BATCH):
            batch = ids[i : i + FREEBUSY_BATCH]
            body = {
                "timeMin": _rfc3339(start),
                "timeMax": _rfc3339(end),
                "timeZone": "UTC",
                "items": [{"id": c} for c in batch],
            }
            resp = await self._call(
                "POST", f"{self.base_url}/freeBusy", self.subject, json=body, what="freeBusy"
            )
            calendars = _json(resp).get("calendars", {})
            for cid in batch:
                entry = calendars.get(cid)
                if entry is None:
                    out[cid] = FreeBusy(calendar_id=cid, error="missing from the freeBusy reply")
                    continue
                errors = entry.get("errors") or []
                busy = [
                    Interval(
                        start=_parse_time({"dateTime": b["start"]}), end=_parse_time({"dateTime": b["end"]})
                    )
                    for b in entry.get("busy", [])
                ]
                error = ", ".join(f"{e.get('domain', '')}:{e.get('reason', '')}" for e in errors) or None
                out[cid] = FreeBusy(calendar_id=cid, hard=busy, error=error)
        return out

    # -- events --------------------------------------------------------------------------------

    def _body(
        self, spec: EventSpec, *, with_conference: bool, request_id: str | None = None
    ) -> dict[str, Any]:
        description = spec.description
        if spec.video is not None:
            description = f"{description}\n\nJoin the video call: {spec.video.url}".strip()
        attendees: list[dict[str, Any]] = [
            {"email": a.email, **({"displayName": a.name} if a.name else {}), "optional": a.optional}
            for a in spec.attendees
        ]
        attendees += [{"email": r.email or r.id, "displayName": r.name, "resource": True} for r in spec.rooms]
        body: dict[str, Any] = {
            "id": spec.event_id,
            "summary": spec.summary,
            "description": description,
            "start": {"dateTime": _rfc3339(spec.start), "timeZone": spec.time_zone},
            "end": {"dateTime": _rfc3339(spec.end), "timeZone": spec.time_zone},
            "attendees": attendees,
            "extendedProperties": {"private": {"hireflowKey": spec.key}},
            "guestsCanModify": False,
            "guestsCanInviteOthers": False,
            "transparency": "opaque",
            "reminders": {"useDefault": True},
        }
        location = ", ".join(r.name for r in spec.rooms) or (spec.video.url if spec.video else "")
        if location:
            body["location"] = location
        if spec.native_video and with_conference:
            body["conferenceData"] = {
                "createRequest": {
                    "requestId": request_id or spec.event_id,
                    "conferenceSolutionKey": {"type": "hangoutsMeet"},
                }
            }
        return body

    def _parse(
        self, data: Mapping[str, Any], *, created: bool = False, revived: bool = False
    ) -> CalendarEvent:
        attendees: list[Attendee] = []
        rooms: list[RoomResponse] = []
        for a in data.get("attendees", []):
            status = _RESPONSES.get(str(a.get("responseStatus", "needsAction")), ResponseStatus.NEEDS_ACTION)
            if a.get("resource"):
                rooms.append(RoomResponse(id=str(a["email"]), response=status))
            else:
                attendees.append(
                    Attendee(
                        email=a["email"],
                        name=a.get("displayName"),
                        optional=bool(a.get("optional", False)),
                        response=status,
                    )
                )
        video = None
        conf = data.get("conferenceData") or {}
        uri = data.get("hangoutLink") or next(
            (e.get("uri") for e in conf.get("entryPoints", []) if e.get("entryPointType") == "video"), None
        )
        if uri:
            video = VideoLink(provider="meet", url=str(uri), meeting_id=conf.get("conferenceId"))
        private = (data.get("extendedProperties") or {}).get("private") or {}
        return CalendarEvent(
            key=str(private.get("hireflowKey", data.get("id", ""))),
            event_id=str(data["id"]),
            organizer=str((data.get("organizer") or {}).get("email", "")).lower(),
            summary=str(data.get("summary", "")),
            start=_parse_time(data["start"]),
            end=_parse_time(data["end"]),
            attendees=attendees,
            rooms=rooms,
            video=video,
            status="cancelled" if data.get("status") == "cancelled" else "confirmed",
            sequence=int(data.get("sequence", 0)),
            etag=data.get("etag"),
            created=created,
            revived=revived,
        )

    def _params(self) -> dict[str, str]:
        return {"conferenceDataVersion": "1", "sendUpdates": self.send_updates}

    async def _wait_for_meet(self, organizer: str, data: dict[str, Any]) -> dict[str, Any]:
        """Meet creation may be asynchronous: poll while the request is `pending`."""
        for _ in range(5):
            status = ((data.get("conferenceData") or {}).get("createRequest") or {}).get("status") or {}
            if status.get("statusCode") != "pending":
                break
            await self._sleep(1.0)
            resp = await self._call(
                "GET", self._events_url(organizer, data["id"]), organizer, what="events.get"
            )
            data = _json(resp)
        return data

    async def create_event(self, spec: EventSpec) -> CalendarEvent:
        organizer = spec.organizer.lower()
        resp = await self._call(
            "POST",
            self._events_url(organizer),
            organizer,
            ok=(200, 409),
            params=self._params(),
            json=self._body(spec, with_conference=True),
            what="events.insert",
        )
        if resp.status_code == 200:
            data = await self._wait_for_meet(organizer, _json(resp))
            log.info("google.event_created", event_id=spec.event_id)
            return self._parse(data, created=True)
        # 409 duplicate: the id is taken by an earlier attempt of this booking, live or deleted.
        # Google keeps deleted events (status "cancelled", readable by id) and never frees their id.
        current = await self._get_raw(organizer, spec.event_id)
        if current is None:
            raise CalendarError(f"Google reports event {spec.event_id} exists but it cannot be read")
        if current.get("status") == "cancelled":
            data = await self._patch(organizer, spec, current, revive=True)
            log.info("google.event_revived", event_id=spec.event_id)
            return self._parse(data, created=True, revived=True)
        drift = self._drift(current, spec)
        if drift:
            log.info("google.event_reconciled", event_id=spec.event_id, fields=drift)
            current = await self._patch(organizer, spec, current, revive=False)
        return self._parse(current)

    async def _get_raw(self, organizer: str, event_id: str) -> dict[str, Any] | None:
        try:
            resp = await self._call(
                "GET", self._events_url(organizer, event_id), organizer, what="events.get"
            )
        except CalendarNotFoundError:
            return None
        return _json(resp)

    @staticmethod
    def _has_meet(data: Mapping[str, Any]) -> bool:
        conf = data.get("conferenceData") or {}
        return bool(data.get("hangoutLink") or conf.get("entryPoints") or conf.get("createRequest"))

    def _drift(self, data: Mapping[str, Any], spec: EventSpec) -> list[str]:
        """The fields where the stored event differs from what `spec` would write (empty: it matches)."""
        want = self._body(spec, with_conference=False)
        fields = [k for k in ("summary", "description", "location") if data.get(k, "") != want.get(k, "")]
        try:
            times = (_parse_time(data["start"]), _parse_time(data["end"]))
        except (KeyError, TypeError, ValueError):
            times = None
        if times != (spec.start, spec.end):
            fields.append("time")

        def people(items: Sequence[Mapping[str, Any]]) -> set[tuple[str, bool, bool]]:
            return {
                (str(a.get("email", "")).lower(), bool(a.get("optional")), bool(a.get("resource")))
                for a in items
            }

        wanted = people(want["attendees"])
        # Google may list the organizer among the attendees; that is not a difference
        listed = data.get("attendees", [])
        organizers = {str(a.get("email", "")).lower() for a in listed if a.get("organizer")}
        stored = {p for p in people(listed) if p in wanted or p[0] not in organizers}
        if stored != wanted:
            fields.append("attendees")
        if spec.native_video and not self._has_meet(data):
            fields.append("video")
        return fields

    async def _patch(
        self, organizer: str, spec: EventSpec, current: Mapping[str, Any], *, revive: bool
    ) -> dict[str, Any]:
        """PATCH the event to the spec; `revive` also sets it `confirmed` again (undeletes it).

        A revived event gets a Meet only if the deleted one lost its own; the request id must be new,
        since Google ignores a createRequest whose id it has seen.
        """
        with_conference = spec.native_video and not self._has_meet(current)
        request_id = f"{spec.event_id}-r{int(current.get('sequence', 0)) + 1}" if revive else None
        body = self._body(spec, with_conference=with_conference, request_id=request_id)
        body.pop("id")
        if revive:
            body["status"] = "confirmed"
        resp = await self._call(
            "PATCH",
            self._events_url(organizer, spec.event_id),
            organizer,
            params=self._params(),
            json=body,
            what="events.patch",
        )
        return await self._wait_for_meet(organizer, _json(resp))

    async def get_event(self, organizer: str, key: str) -> CalendarEvent | None:
        data = await self._get_raw(organizer.lower(), event_id_for(key))
        if data is None or ("start" not in data and data.get("status") == "cancelled"):
            return None  # a deleted event Google only guarantees the id of: nothing left to report
        return self._parse(data)

    async def update_event(self, spec: EventSpec) -> CalendarEvent:
        organizer = spec.organizer.lower()
        current = await self._get_raw(organizer, spec.event_id)
        if current is None:
            raise CalendarNotFoundError(f"no Google event booked under key {spec.key!r}")
        if current.get("status") == "cancelled":
            raise CalendarRequestError(
                f"event {spec.key!r} is cancelled; book a new key instead of updating it"
            )
        return self._parse(await self._patch(organizer, spec, current, revive=False))

    async def cancel_event(self, organizer: str, key: str) -> None:
        organizer = organizer.lower()
        try:
            await self._call(
                "DELETE",
                self._events_url(organizer, event_id_for(key)),
                organizer,
                ok=(200, 204),
                params={"sendUpdates": self.send_updates},
                what="events.delete",
            )
        except CalendarNotFoundError:
            return  # already gone (404) or deleted earlier (410)

    # -- rooms ---------------------------------------------------------------------------------

    async def list_rooms(self) -> list[Room]:
        rooms: list[Room] = []
        page: str | None = None
        url = f"{self.admin_url}/customer/{self.customer}/resources/calendars"
        while True:
            params = {"maxResults": "500", **({"pageToken": page} if page else {})}
            data = _json(
                await self._call("GET", url, self.subject, params=params, what="resources.calendars.list")
            )
            for item in data.get("items", []):
                if item.get("resourceCategory", "CONFERENCE_ROOM") != "CONFERENCE_ROOM":
                    continue
                email = str(item["resourceEmail"])
                rooms.append(
                    Room(
                        id=email,
                        email=email,
                        name=str(item.get("resourceName", email)),
                        capacity=int(item.get("capacity") or 0),
                        building=item.get("buildingId"),
                    )
                )
            page = data.get("nextPageToken")
            if not page:
                return rooms
