"""Microsoft Graph provider: an Entra app with client credentials (application permissions).

* free/busy: `POST /users/{mailbox}/calendar/getSchedule`. `scheduleItems` give exact
  boundaries (busy and oof are hard, tentative soft); when a schedule has no items the
  `availabilityView` digits are used. Item times carry a Windows zone name, mapped to IANA.
* Events: `transactionId` (our event id) makes a retried POST return the first event instead of
  a second one, and the booking key is stored in a single-value extended property so the event
  can be found again by key. Teams links via `isOnlineMeeting` + `teamsForBusiness`.
* Cancel moves the organizer's event to Deleted Items with `isCancelled` (read-only) set, and no
  PATCH reopens it. A create whose key only has cancelled events, or whose POST Graph
  de-duplicates onto a cancelled event, books a fresh event (new transactionId derived from the
  cancelled one) and reports it `revived`; a live event of the key is patched to the spec.
* Rooms from the places API (`/places/microsoft.graph.room`), booked as `resource` attendees.
* 429/503/504 honour `Retry-After`; 403 names the missing permission or mailbox policy.
Permissions: Calendars.ReadWrite, Place.Read.All (application), admin consent granted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from integrations.calendar.base import (
    Attendee,
    CalendarError,
    CalendarEvent,
    CalendarNotFoundError,
    CalendarPermissionError,
    CalendarRequestError,
    EventSpec,
    FreeBusy,
    Interval,
    ResponseStatus,
    Room,
    RoomResponse,
    VideoLink,
    check_window,
    event_id_for,
    merge_intervals,
)
from integrations.calendar.http import CachedToken, RetryPolicy, Sleep, send
from integrations.calendar.timezones import UnknownTimeZoneError, zone
from integrations.logs import get_logger

log = get_logger(__name__)

GRAPH = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"
# A named MAPI string property in the PS_PUBLIC_STRINGS set holding the booking key.
KEY_PROPERTY = "String {00020329-0000-0000-C000-000000000046} Name HireflowKey"
SCHEDULE_BATCH = 20
VIEW_INTERVAL = 15
MAILBOX_CONCURRENCY = 4
# Bounds the walk over cancelled events a re-used transactionId leads to (one per earlier cancel).
MAX_REVIVALS = 10
_RESPONSES = {
    "accepted": ResponseStatus.ACCEPTED,
    "organizer": ResponseStatus.ACCEPTED,
    "declined": ResponseStatus.DECLINED,
    "tentativelyAccepted": ResponseStatus.TENTATIVE,
    "none": ResponseStatus.NEEDS_ACTION,
    "notResponded": ResponseStatus.NEEDS_ACTION,
}


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _retryable(resp: httpx.Response) -> bool:
    return resp.status_code in (429, 500, 502, 503, 504)


def parse_graph_time(value: dict[str, Any]) -> datetime:
    """A Graph `dateTimeTimeZone` (7 fractional digits, no offset, zone name beside it) in UTC."""
    text = str(value["dateTime"])
    if "." in text:
        head, frac = text.split(".", 1)
        text = f"{head}.{frac[:6]}"
    naive = datetime.fromisoformat(text.rstrip("Z"))
    tz_name = str(value.get("timeZone") or "UTC")
    try:
        tz = zone(tz_name)
    except UnknownTimeZoneError as exc:
        raise CalendarError(f"Graph returned an unknown time zone {tz_name!r}") from exc
    return naive.replace(tzinfo=tz).astimezone(UTC)


def _graph_time(value: datetime) -> dict[str, str]:
    return {"dateTime": value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


class GraphTokens:
    """Client-credentials tokens for one Entra app, cached until shortly before expiry."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        *,
        client: httpx.AsyncClient | None = None,
        login_url: str = LOGIN,
    ) -> None:
        if not (tenant_id and client_id and client_secret):
            raise CalendarRequestError("Microsoft Graph needs tenant id, client id and client secret")
        self.url = f"{login_url.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        self.client_id = client_id
        self._secret = client_secret
        self._client = client or httpx.AsyncClient(timeout=15)
        self._cached: CachedToken | None = None
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._cached = None

    async def token(self) -> str:
        async with self._lock:
            if self._cached and self._cached.fresh:
                return self._cached.value
            resp = await send(
                self._client,
                "POST",
                self.url,
                retryable=_retryable,
                what="Graph token",
                data={
                    "client_id": self.client_id,
                    "client_secret": self._secret,
                    "scope": "https://graph.microsoft.com/.default",
                    "grant_type": "client_credentials",
                },
            )
            body = _json(resp)
            if resp.status_code != 200:
                raise CalendarPermissionError(
                    f"Microsoft identity platform refused app {self.client_id}: {body.get('error', resp.status_code)} "
                    f"({str(body.get('error_description', '')).splitlines()[0] if body.get('error_description') else ''}); "
                    "check the tenant id, client id and secret"
                )
            self._cached = CachedToken(str(body["access_token"]), float(body.get("expires_in", 3600)))
            return self._cached.value


class GraphCalendar:
    """CalendarProvider for Microsoft 365. `mailbox` is the scheduling account used for getSchedule."""

    name = "microsoft"

    def __init__(
        self,
        tokens: GraphTokens,
        *,
        mailbox: str,
        base_url: str = GRAPH,
        client: httpx.AsyncClient | None = None,
        policy: RetryPolicy = RetryPolicy(),
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.tokens = tokens
        self.mailbox = mailbox
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.AsyncClient(timeout=30)
        self._owns_client = client is None
        self._policy = policy
        self._sleep = sleep
        self._mailbox_limits: dict[str, asyncio.Semaphore] = {}

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _call(
        self, method: str, path: str, *, ok: Sequence[int] = (200,), what: str, **kwargs: Any
    ) -> httpx.Response:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        # Outlook allows 4 concurrent requests per app and mailbox; stay inside that.
        mailbox = path.split("/")[2].lower() if path.startswith("/users/") else ""
        async with self._mailbox_limits.setdefault(mailbox, asyncio.Semaphore(MAILBOX_CONCURRENCY)):
            return await self._call_limited(method, url, ok=ok, what=what, **kwargs)

    async def _call_limited(
        self, method: str, url: str, *, ok: Sequence[int], what: str, **kwargs: Any
    ) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        for attempt in range(2):
            token = await self.tokens.token()
            resp = await send(
                self._client,
                method,
                url,
                retryable=_retryable,
                policy=self._policy,
                sleep=self._sleep,
                what=f"Graph {what}",
                headers={**headers, "Authorization": f"Bearer {token}"},
                **kwargs,
            )
            if resp.status_code == 401 and attempt == 0:
                self.tokens.invalidate()
                continue
            break
        if resp.status_code in ok:
            return resp
        err = _json(resp).get("error") or {}
        code, message = str(err.get("code", resp.status_code)), str(err.get("message", ""))
        if resp.status_code in (401, 403):
            raise CalendarPermissionError(
                f"Graph {what} refused ({code}): {message}. The app needs application permissions "
                "Calendars.ReadWrite and Place.Read.All with admin consent, and any Exchange application "
                "access policy must include this mailbox."
            )
        if resp.status_code in (404, 410):
            raise CalendarNotFoundError(f"Graph {what}: not found ({code})")
        if resp.status_code == 400:
            raise CalendarRequestError(f"Graph {what}: bad request ({code}): {message}")
        raise CalendarError(f"Graph {what}: unexpected {resp.status_code} {code} {message}")

    # -- free/busy -----------------------------------------------------------------------------

    async def free_busy(
        self, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, FreeBusy]:
        start, end = check_window(start, end)
        ids = list(dict.fromkeys(calendar_ids))
        out: dict[str, FreeBusy] = {}
        for i in range(0, len(ids), SCHEDULE_BATCH):
            batch = ids[i : i + SCHEDULE_BATCH]
            body = {
                "schedules": batch,
                "startTime": _graph_time(start),
                "endTime": _graph_time(end),
                "availabilityViewInterval": VIEW_INTERVAL,
            }
            resp = await self._call(
                "POST",
                f"/users/{self.mailbox}/calendar/getSchedule",
                json=body,
                headers={"Prefer": 'outlook.timezone="UTC"'},
                what="getSchedule",
            )
            seen = {str(s.get("scheduleId", "")).lower(): s for s in _json(resp).get("value", [])}
            for cid in batch:
                info = seen.get(cid.lower())
                out[cid] = (
                    FreeBusy(calendar_id=cid, error="missing from the getSchedule reply")
                    if info is None
                    else self._schedule(cid, info, start, end)
                )
        return out

    @staticmethod
    def _schedule(cid: str, info: dict[str, Any], start: datetime, end: datetime) -> FreeBusy:
        if info.get("error"):
            err = info["error"]
            return FreeBusy(
                calendar_id=cid, error=f"{err.get('responseCode', 'error')}: {err.get('message', '')}"
            )
        hard: list[Interval] = []
        tentative: list[Interval] = []
        if "scheduleItems" in info and (
            info["scheduleItems"] or not info.get("availabilityView", "").strip("0")
        ):
            for item in info["scheduleItems"]:
                s, e = parse_graph_time(item["start"]), parse_graph_time(item["end"])
                s, e = max(s, start), min(e, end)
                if s >= e:
                    continue
                status = str(item.get("status", "busy"))
                if status in ("busy", "oof"):
                    hard.append(Interval(start=s, end=e))
                elif status == "tentative":
                    tentative.append(Interval(start=s, end=e))
        else:
            for n, digit in enumerate(str(info.get("availabilityView", ""))):
                s = start + timedelta(minutes=VIEW_INTERVAL * n)
                e = min(s + timedelta(minutes=VIEW_INTERVAL), end)
                if s >= e:
                    break
                if digit in "23":
                    hard.append(Interval(start=s, end=e))
                elif digit == "1":
                    tentative.append(Interval(start=s, end=e))
        return FreeBusy(calendar_id=cid, hard=merge_intervals(hard), tentative=merge_intervals(tentative))

    # -- events --------------------------------------------------------------------------------

    def _body(self, spec: EventSpec) -> dict[str, Any]:
        description = spec.description
        if spec.video is not None:
            description = f"{description}\n\nJoin the video call: {spec.video.url}".strip()
        attendees: list[dict[str, Any]] = [
            {
                "emailAddress": {"address": a.email, **({"name": a.name} if a.name else {})},
                "type": "optional" if a.optional else "required",
            }
            for a in spec.attendees
        ]
        attendees += [
            {"emailAddress": {"address": r.email or r.id, "name": r.name}, "type": "resource"}
            for r in spec.rooms
        ]
        body: dict[str, Any] = {
            "subject": spec.summary,
            "body": {"contentType": "text", "content": description},
            "start": _graph_time(spec.start),
            "end": _graph_time(spec.end),
            "attendees": attendees,
            "allowNewTimeProposals": False,
            "showAs": "busy",
        }
        if spec.rooms:
            room = spec.rooms[0]
            body["location"] = {"displayName": room.name, "locationEmailAddress": room.email or room.id}
        elif spec.video is not None:
            body["location"] = {"displayName": spec.video.url}
        if spec.native_video:
            body["isOnlineMeeting"] = True
            body["onlineMeetingProvider"] = "teamsForBusiness"
        return body

    def _parse(
        self, data: dict[str, Any], *, key: str | None = None, created: bool = False, revived: bool = False
    ) -> CalendarEvent:
        attendees: list[Attendee] = []
        rooms: list[RoomResponse] = []
        for a in data.get("attendees", []):
            address = a.get("emailAddress") or {}
            status = _RESPONSES.get(
                str((a.get("status") or {}).get("response", "none")), ResponseStatus.NEEDS_ACTION
            )
            if a.get("type") == "resource":
                rooms.append(RoomResponse(id=str(address.get("address", "")).lower(), response=status))
            else:
                attendees.append(
                    Attendee(
                        email=address["address"],
                        name=address.get("name"),
                        optional=a.get("type") == "optional",
                        response=status,
                    )
                )
        meeting = data.get("onlineMeeting") or {}
        video = VideoLink(provider="teams", url=str(meeting["joinUrl"])) if meeting.get("joinUrl") else None
        props = {p.get("id"): p.get("value") for p in data.get("singleValueExtendedProperties") or []}
        return CalendarEvent(
            key=str(key or props.get(KEY_PROPERTY) or data.get("transactionId") or ""),
            event_id=str(data["id"]),
            organizer=str(
                ((data.get("organizer") or {}).get("emailAddress") or {}).get("address", "")
            ).lower(),
            summary=str(data.get("subject", "")),
            start=parse_graph_time(data["start"]),
            end=parse_graph_time(data["end"]),
            attendees=attendees,
            rooms=rooms,
            video=video,
            status="cancelled" if data.get("isCancelled") else "confirmed",
            etag=data.get("@odata.etag"),
            created=created,
            revived=revived,
        )

    async def _find_all(self, organizer: str, key: str) -> list[dict[str, Any]]:
        flt = f"singleValueExtendedProperties/Any(ep: ep/id eq '{KEY_PROPERTY}' and ep/value eq '{key}')"
        resp = await self._call(
            "GET",
            f"/users/{organizer}/events",
            what="events.list",
            params={
                "$filter": flt,
                "$expand": f"singleValueExtendedProperties($filter=id eq '{KEY_PROPERTY}')",
            },
        )
        return [e for e in _json(resp).get("value", []) if isinstance(e, dict)]

    async def _find(self, organizer: str, key: str) -> dict[str, Any] | None:
        """The live event booked under `key`, else a cancelled one still listed, else None."""
        items = await self._find_all(organizer, key)
        return next((e for e in items if not e.get("isCancelled")), items[0] if items else None)

    def _drift(self, data: dict[str, Any], spec: EventSpec) -> list[str]:
        """Fields where the stored event differs from the spec. The body is not compared: Graph
        hands it back as HTML, so a description-only change is left to `update_event`."""
        want = self._body(spec)
        fields = []
        if data.get("subject", "") != want["subject"]:
            fields.append("subject")
        try:
            times = (parse_graph_time(data["start"]), parse_graph_time(data["end"]))
        except (KeyError, TypeError, ValueError, CalendarError):
            times = None
        if times != (spec.start, spec.end):
            fields.append("time")

        def people(items: list[dict[str, Any]]) -> set[tuple[str, str]]:
            return {
                (str((a.get("emailAddress") or {}).get("address", "")).lower(), str(a.get("type", "")))
                for a in items
            }

        if people(data.get("attendees") or []) != people(want["attendees"]):
            fields.append("attendees")
        stored_place = (data.get("location") or {}).get("displayName") or ""
        if stored_place != (want.get("location") or {}).get("displayName", ""):
            fields.append("location")
        if spec.native_video and not data.get("isOnlineMeeting"):
            fields.append("video")
        return fields

    async def _patch(self, organizer: str, spec: EventSpec, current: dict[str, Any]) -> dict[str, Any]:
        body = self._body(spec)
        if current.get("onlineMeeting") or current.get("onlineMeetingProvider") not in (None, "unknown"):
            body.pop("onlineMeetingProvider", None)  # fixed once set
        resp = await self._call(
            "PATCH", f"/users/{organizer}/events/{current['id']}", json=body, what="events.update"
        )
        return _json(resp)

    async def create_event(self, spec: EventSpec) -> CalendarEvent:
        organizer = spec.organizer.lower()
        listed = await self._find_all(organizer, spec.key)
        live = next((e for e in listed if not e.get("isCancelled")), None)
        if live is not None:
            return await self._reconciled(organizer, spec, live, created=False, revived=False)
        revived = bool(listed)  # only cancelled events are listed under this key
        transaction = spec.event_id
        for _ in range(MAX_REVIVALS):
            body = self._body(spec)
            body["transactionId"] = transaction
            body["singleValueExtendedProperties"] = [{"id": KEY_PROPERTY, "value": spec.key}]
            resp = await self._call(
                "POST", f"/users/{organizer}/events", ok=(200, 201), json=body, what="events.create"
            )
            data = _json(resp)
            if not data.get("isCancelled"):
                break
            # Graph de-duplicated the POST onto an event of this key that was cancelled since. A
            # cancelled meeting cannot be reopened (isCancelled is read-only; cancel moved it to
            # Deleted Items), so book a fresh one under a transactionId derived from the cancelled
            # event's id: a retry meets the same cancelled event and so reuses the same id.
            revived = True
            transaction = event_id_for(f"{spec.key}#after#{data.get('id', '')}")
        else:
            raise CalendarError(f"Graph keeps returning cancelled events for key {spec.key!r}")
        if revived:
            log.info("graph.event_revived", key=spec.key, event_id=data.get("id"))
        return await self._reconciled(
            organizer, spec, data, created=revived or resp.status_code == 201, revived=revived
        )

    async def _reconciled(
        self, organizer: str, spec: EventSpec, data: dict[str, Any], *, created: bool, revived: bool
    ) -> CalendarEvent:
        """The live event of this key, patched to the spec when an earlier attempt wrote other details."""
        drift = self._drift(data, spec)
        if drift:
            log.info("graph.event_reconciled", key=spec.key, fields=drift)
            data = await self._patch(organizer, spec, data)
        if spec.native_video and not (data.get("onlineMeeting") or {}).get("joinUrl"):
            log.warning("graph.no_teams_link", event_id=data.get("id"))
        return self._parse(data, key=spec.key, created=created, revived=revived)

    async def get_event(self, organizer: str, key: str) -> CalendarEvent | None:
        data = await self._find(organizer.lower(), key)
        return None if data is None else self._parse(data, key=key)

    async def update_event(self, spec: EventSpec) -> CalendarEvent:
        organizer = spec.organizer.lower()
        current = await self._find(organizer, spec.key)
        if current is None:
            raise CalendarNotFoundError(f"no Graph event booked under key {spec.key!r}")
        if current.get("isCancelled"):
            raise CalendarRequestError(
                f"event {spec.key!r} is cancelled; book a new key instead of updating it"
            )
        return self._parse(await self._patch(organizer, spec, current), key=spec.key)

    async def cancel_event(self, organizer: str, key: str) -> None:
        organizer = organizer.lower()
        current = await self._find(organizer, key)
        if current is None or current.get("isCancelled"):
            return
        try:
            await self._call(
                "POST",
                f"/users/{organizer}/events/{current['id']}/cancel",
                ok=(200, 202, 204),
                json={"comment": "This interview has been cancelled."},
                what="events.cancel",
            )
        except CalendarNotFoundError:
            return

    # -- rooms ---------------------------------------------------------------------------------

    async def list_rooms(self) -> list[Room]:
        rooms: list[Room] = []
        url: str | None = "/places/microsoft.graph.room"
        params: dict[str, str] | None = {"$top": "100"}
        while url:
            data = _json(await self._call("GET", url, params=params, what="places.list"))
            for item in data.get("value", []):
                email = str(item["emailAddress"]).lower()
                try:
                    capacity = int(item.get("capacity") or 0)
                except (TypeError, ValueError):
                    capacity = 0
                rooms.append(
                    Room(
                        id=email,
                        email=email,
                        name=str(item.get("displayName", email)),
                        capacity=capacity,
                        building=item.get("building"),
                    )
                )
            url, params = data.get("@odata.nextLink"), None
        return rooms
