"""CalDAV provider (the embedded default, Radicale >= 3.8.2) over plain httpx + icalendar.

Layout: one calendar per person and per room at `<base>/<email-or-room-id>/calendar/`; the
event booked under key K lives at `<calendar>/<event_id_for(K)>.ics` with UID `<event_id>@hireflow`.

* Create: PUT the organizer's copy with `If-None-Match: *`; a 412 means a previous attempt already
  wrote it, so it is read back and returned (rewritten to the spec if it differs). Then each
  internal attendee and each room gets its own copy (same UID) so their free/busy shows the
  booking. Attendees without a calendar here (candidates) get no copy; the mail integration
  invites them. A cancelled event under the key is revived: every copy is rewritten CONFIRMED to
  the spec with SEQUENCE bumped, answers reset, and rooms checked for conflicts again.
* Responses: each attendee's PARTSTAT is read from their *own* copy (flip it with
  `set_response`, as a calendar client would); a deleted copy counts as a decline. A room whose
  calendar is already hard-busy at booking time declines, like an Exchange/Google resource.
* Cancel: every copy is set to STATUS:CANCELLED with SEQUENCE bumped rather than deleted, so the
  record and its sequence survive for the ICS CANCEL mail; Radicale reports cancelled events as
  free. Cancelling twice is a no-op.
"""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote, unquote

import httpx
import icalendar

from integrations.calendar import ical
from integrations.calendar.base import (
    CalendarConflictError,
    CalendarError,
    CalendarEvent,
    CalendarNotFoundError,
    CalendarPermissionError,
    CalendarRequestError,
    CalendarUnavailableError,
    EventSpec,
    FreeBusy,
    ResponseStatus,
    Room,
    check_window,
    event_id_for,
)
from integrations.calendar.http import retry_after_seconds
from integrations.logs import get_logger

log = get_logger(__name__)

HF_NS = "urn:hireflow:calendar"
DAV_NS = "DAV:"
_MKCALENDAR = (
    '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
    "<D:displayname>{name}</D:displayname><C:supported-calendar-component-set>"
    '<C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>'
)
_FREEBUSY = (
    '<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">'
    '<C:time-range start="{start}" end="{end}"/></C:free-busy-query>'
)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ical_time(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


class CalDAVCalendar:
    """CalendarProvider for a CalDAV server laid out one calendar per person and room."""

    name = "caldav"

    def __init__(
        self,
        base_url: str,
        *,
        username: str = "hireflow",
        password: str = "",
        client: httpx.AsyncClient | None = None,
        concurrency: int = 6,
        timeout: float = 15.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.AsyncClient(auth=(username, password), timeout=timeout)
        self._owns_client = client is None
        # Radicale serves at most 8 connections at once; stay under it.
        self._sem = asyncio.Semaphore(concurrency)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> CalDAVCalendar:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- paths and HTTP ------------------------------------------------------------------------

    @staticmethod
    def _segment(calendar_id: str) -> str:
        if (
            not calendar_id
            or "/" in calendar_id
            or calendar_id.startswith(".")
            or calendar_id != calendar_id.strip()
        ):
            raise CalendarRequestError(f"invalid calendar id {calendar_id!r}: use an email or a room id")
        # Emails are case-insensitive; room ids are kept as given.
        return quote(calendar_id.lower() if "@" in calendar_id else calendar_id, safe="@")

    def principal_url(self, calendar_id: str) -> str:
        return f"{self.base_url}/{self._segment(calendar_id)}/"

    def calendar_url(self, calendar_id: str) -> str:
        return f"{self.principal_url(calendar_id)}calendar/"

    def event_url(self, calendar_id: str, event_id: str) -> str:
        return f"{self.calendar_url(calendar_id)}{event_id}.ics"

    async def _request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        async with self._sem:
            try:
                resp = await self._client.request(method, url, content=content, headers=headers)
            except httpx.TransportError as exc:
                raise CalendarUnavailableError(f"CalDAV server {self.base_url} unreachable: {exc!r}") from exc
        if resp.status_code in (401, 403):
            raise CalendarPermissionError(
                f"CalDAV {method} {url} refused ({resp.status_code}): check the CalDAV user and its rights"
            )
        if resp.status_code >= 500 or resp.status_code == 429:
            # down, overloaded or behind a proxy whose backend is gone: retry, when the server says
            raise CalendarUnavailableError(
                f"CalDAV {method} {url} failed with {resp.status_code}", retry_after=retry_after_seconds(resp)
            )
        return resp

    # -- calendars and rooms -------------------------------------------------------------------

    async def ensure_calendar(self, calendar_id: str, *, display_name: str | None = None) -> bool:
        """Create the person's or room's calendar if missing; True when it was created."""
        resp = await self._request("MKCOL", self.principal_url(calendar_id))
        if resp.status_code not in (201, 405, 409):
            raise CalendarError(f"cannot create CalDAV principal {calendar_id}: {resp.status_code}")
        body = _MKCALENDAR.format(name=_xml_escape(display_name or calendar_id))
        resp = await self._request(
            "MKCALENDAR",
            self.calendar_url(calendar_id),
            content=body,
            headers={"Content-Type": "application/xml"},
        )
        if resp.status_code == 201:
            return True
        if resp.status_code in (405, 409) and await self.calendar_exists(calendar_id):
            return False
        raise CalendarError(f"cannot create CalDAV calendar {calendar_id}: {resp.status_code}")

    async def calendar_exists(self, calendar_id: str) -> bool:
        resp = await self._request(
            "PROPFIND",
            self.calendar_url(calendar_id),
            content='<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>',
            headers={"Depth": "0", "Content-Type": "application/xml"},
        )
        return resp.status_code == 207

    async def ensure_room(self, room: Room) -> None:
        """Create the room's calendar and publish its name and capacity for `list_rooms`."""
        await self.ensure_calendar(room.id, display_name=room.name)
        record = json.dumps(
            {
                "name": room.name,
                "capacity": room.capacity,
                "time_zone": room.time_zone,
                "building": room.building,
                "email": room.email,
            }
        )
        body = (
            f'<D:propertyupdate xmlns:D="DAV:" xmlns:H="{HF_NS}"><D:set><D:prop>'
            f"<H:room>{_xml_escape(record)}</H:room><D:displayname>{_xml_escape(room.name)}</D:displayname>"
            "</D:prop></D:set></D:propertyupdate>"
        )
        resp = await self._request(
            "PROPPATCH",
            self.principal_url(room.id),
            content=body,
            headers={"Content-Type": "application/xml"},
        )
        if resp.status_code != 207:
            raise CalendarError(f"cannot record room {room.id}: {resp.status_code}")

    async def publish_room(self, room_id: str, name: str, capacity: int, time_zone: str) -> None:
        """`ensure_room` with plain values (the sandbox seeder's `CalendarSink` method)."""
        await self.ensure_room(Room(id=room_id, name=name, capacity=capacity, time_zone=time_zone))

    async def list_rooms(self) -> list[Room]:
        body = f'<D:propfind xmlns:D="DAV:" xmlns:H="{HF_NS}"><D:prop><H:room/></D:prop></D:propfind>'
        resp = await self._request(
            "PROPFIND",
            f"{self.base_url}/",
            content=body,
            headers={"Depth": "1", "Content-Type": "application/xml"},
        )
        if resp.status_code != 207:
            raise CalendarError(f"cannot list CalDAV principals: {resp.status_code}")
        rooms: list[Room] = []
        for response in ET.fromstring(resp.content).findall(f"{{{DAV_NS}}}response"):
            href = unquote(response.findtext(f"{{{DAV_NS}}}href", "")).strip("/")
            for propstat in response.findall(f"{{{DAV_NS}}}propstat"):
                status = propstat.findtext(f"{{{DAV_NS}}}status", "")
                text = propstat.findtext(f"{{{DAV_NS}}}prop/{{{HF_NS}}}room")
                if " 200 " in status and text:
                    rec = json.loads(text)
                    rooms.append(Room(id=href, **{k: v for k, v in rec.items() if v is not None}))
        return sorted(rooms, key=lambda r: r.id)

    async def replace_calendar(self, calendar_id: str, ics: bytes) -> None:
        """Replace a whole calendar with the VCALENDAR `ics` in one request (used by the seeder)."""
        resp = await self._request("MKCOL", self.principal_url(calendar_id))
        resp = await self._request(
            "PUT", self.calendar_url(calendar_id), content=ics, headers={"Content-Type": "text/calendar"}
        )
        if resp.status_code not in (200, 201, 204):
            raise CalendarError(f"cannot write calendar {calendar_id}: {resp.status_code} {resp.text[:200]}")

    # -- free/busy -----------------------------------------------------------------------------

    async def free_busy(
        self, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, FreeBusy]:
        start, end = check_window(start, end)
        body = _FREEBUSY.format(start=_ical_time(start), end=_ical_time(end))

        async def one(cid: str) -> FreeBusy:
            try:
                url = self.calendar_url(cid)
            except CalendarRequestError as exc:
                return FreeBusy(calendar_id=cid, error=str(exc))
            resp = await self._request(
                "REPORT", url, content=body, headers={"Depth": "1", "Content-Type": "application/xml"}
            )
            if resp.status_code == 404:
                return FreeBusy(calendar_id=cid, error="notFound: no calendar for this id")
            if resp.status_code != 200:
                return FreeBusy(calendar_id=cid, error=f"free-busy REPORT failed with {resp.status_code}")
            hard, tentative = ical.parse_freebusy(resp.content)
            return FreeBusy(calendar_id=cid, hard=hard, tentative=tentative)

        results = await asyncio.gather(*(one(c) for c in dict.fromkeys(calendar_ids)))
        return {fb.calendar_id: fb for fb in results}

    # -- events --------------------------------------------------------------------------------

    async def _get(self, calendar_id: str, event_id: str) -> tuple[bytes, str | None] | None:
        resp = await self._request("GET", self.event_url(calendar_id, event_id))
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise CalendarError(f"cannot read event {event_id} in {calendar_id}: {resp.status_code}")
        return resp.content, resp.headers.get("ETag")

    async def _put(
        self,
        calendar_id: str,
        event_id: str,
        ics: bytes,
        *,
        if_none_match: bool = False,
        etag: str | None = None,
    ) -> httpx.Response:
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if if_none_match:
            headers["If-None-Match"] = "*"
        if etag:
            headers["If-Match"] = etag
        return await self._request("PUT", self.event_url(calendar_id, event_id), content=ics, headers=headers)

    async def _holders(self, spec: EventSpec) -> set[str]:
        """Attendees and rooms whose calendar lives on this server; rooms must have one."""
        ids = [a.email for a in spec.attendees if a.email != spec.organizer.lower()] + [
            r.id for r in spec.rooms
        ]
        exists = await asyncio.gather(*(self.calendar_exists(i) for i in ids))
        missing_rooms = [r.id for r in spec.rooms if not dict(zip(ids, exists, strict=True))[r.id]]
        if missing_rooms:
            raise CalendarNotFoundError(f"rooms without a calendar: {', '.join(missing_rooms)}")
        return {i for i, ok in zip(ids, exists, strict=True) if ok}

    async def _busy_rooms(self, spec: EventSpec) -> set[str]:
        if not spec.rooms:
            return set()
        fb = await self.free_busy([r.id for r in spec.rooms], spec.start, spec.end)
        return {rid for rid, f in fb.items() if f.hard}

    @staticmethod
    def _copy_for(master: bytes, holder: str, response: ResponseStatus) -> bytes:
        """The holder's copy; a declined copy is TRANSPARENT so it no longer blocks their time."""
        if response is not ResponseStatus.DECLINED:
            return master

        def transparent(ev: icalendar.Event) -> None:
            ev.pop("TRANSP", None)
            ev.add("transp", "TRANSPARENT")

        return ical.mutate(master, transparent)

    @staticmethod
    def _no_native_video(spec: EventSpec) -> None:
        if spec.native_video:
            raise CalendarRequestError(
                "CalDAV has no built-in video meetings: pass a Jitsi or Zoom VideoLink"
            )

    async def create_event(self, spec: EventSpec) -> CalendarEvent:
        self._no_native_video(spec)
        organizer, event_id = spec.organizer.lower(), spec.event_id
        # Each pass either settles the booking or lost a race (412) to a concurrent attempt; re-read then.
        for _ in range(3):
            stored = await self._get(organizer, event_id)
            if stored is None:
                if await self._put_new(spec):
                    return await self._result(organizer, event_id, created=True)
                continue
            master, etag = stored
            current = ical.parse_event(master)
            if current.status == "cancelled":
                if await self._rewrite(spec, master, etag, revive=True):
                    log.info("caldav.event_revived", event_id=event_id, sequence=current.sequence + 1)
                    return await self._result(organizer, event_id, created=True, revived=True)
                continue
            if self._matches(current, master, spec):
                await self._sync_copies(master)
                return await self._result(organizer, event_id, created=False)
            # an earlier attempt of this booking wrote other details: bring it to the spec
            if await self._rewrite(spec, master, etag, revive=False):
                log.info("caldav.event_reconciled", event_id=event_id)
                return await self._result(organizer, event_id, created=False)
        raise CalendarConflictError(f"event {spec.key!r} keeps changing while booking it; retry")

    async def _put_new(self, spec: EventSpec) -> bool:
        """Write a brand-new event and its copies; False when another attempt wrote it first (412)."""
        organizer, event_id = spec.organizer.lower(), spec.event_id
        await self.ensure_calendar(organizer)
        holders = await self._holders(spec)
        declined_rooms = await self._busy_rooms(spec)
        holders -= declined_rooms
        responses = {rid: ResponseStatus.DECLINED for rid in declined_rooms}
        master = ical.build_event(spec, responses=responses, copies=holders)
        resp = await self._put(organizer, event_id, master, if_none_match=True)
        if resp.status_code == 412:
            return False
        if resp.status_code == 409:
            raise CalendarConflictError(f"UID of event {event_id} already used elsewhere in {organizer}")
        if resp.status_code not in (200, 201, 204):
            raise CalendarError(f"cannot create event {event_id}: {resp.status_code} {resp.text[:200]}")
        log.info("caldav.event_created", event_id=event_id, holders=len(holders))
        await self._sync_copies(master)
        return True

    async def _result(
        self, organizer: str, event_id: str, *, created: bool, revived: bool = False
    ) -> CalendarEvent:
        event = await self._read(organizer, event_id)
        if event is None:
            raise CalendarError(f"event {event_id} vanished right after it was written")
        return event.model_copy(update={"created": created, "revived": revived})

    async def _rewrite(self, spec: EventSpec, old_master: bytes, etag: str | None, *, revive: bool) -> bool:
        """Replace the event with the spec's (SEQUENCE + 1) and sync every copy; False on a stale ETag.

        `revive` brings a cancelled event back: it is CONFIRMED again, every room is checked for
        conflicts (a cancelled copy no longer blocks its own room) and earlier answers are dropped,
        since the revived booking is a new invitation.
        """
        organizer, event_id = spec.organizer.lower(), spec.event_id
        current = ical.parse_event(old_master)
        old_holders = set(ical.copy_holders(old_master))
        holders = await self._holders(spec)
        # Removed people and rooms lose their copy first, so a retry after a crash still finds them.
        for gone in old_holders - holders:
            resp = await self._request("DELETE", self.event_url(gone, event_id))
            if resp.status_code not in (200, 204, 404):
                raise CalendarError(f"cannot remove {event_id} from {gone}: {resp.status_code}")
        times_changed = (current.start, current.end) != (spec.start, spec.end)
        responses: dict[str, ResponseStatus] = {}
        if revive or times_changed:
            # rooms holding a live copy already would see their own booking as a conflict
            to_check = spec.rooms if revive else [r for r in spec.rooms if r.id not in old_holders]
            declined_rooms = await self._busy_rooms(spec.model_copy(update={"rooms": to_check}))
            holders -= declined_rooms
            responses = {rid: ResponseStatus.DECLINED for rid in declined_rooms}
        else:
            own = await self._own_responses(old_master, event_id)
            responses = {a.email: own.get(a.email, a.response) for a in current.attendees}
            responses.update({r.id: own.get(r.id, r.response) for r in current.rooms})
        master = ical.build_event(spec, sequence=current.sequence + 1, responses=responses, copies=holders)
        resp = await self._put(organizer, event_id, master, etag=etag)
        if resp.status_code == 412:
            return False
        if resp.status_code not in (200, 201, 204):
            raise CalendarError(f"cannot write event {event_id}: {resp.status_code}")
        await self._sync_copies(master)
        return True

    async def _sync_copies(self, master: bytes) -> None:
        """Write the master into every holder's calendar where the copy is missing or older."""
        parsed = ical.parse_event(master)
        responses = ical.responses_in(master)

        async def once(holder: str) -> bool:
            """One attempt; False when the copy changed underneath us (412) and must be re-read."""
            current = await self._get(holder, parsed.event_id)
            if current is not None:
                cur = ical.parse_event(current[0])
                if cur.sequence >= parsed.sequence and cur.status == parsed.status:
                    return True
                # keep the holder's own answer when only non-time fields of a live event changed
                own = ical.responses_in(current[0]).get(holder)
                copy = master
                if (
                    own is not None
                    and cur.status != "cancelled"
                    and cur.start == parsed.start
                    and cur.end == parsed.end
                ):
                    answer = own

                    def keep_answer(ev: icalendar.Event) -> None:
                        ical.set_partstat(ev, holder, answer)

                    copy = self._copy_for(ical.mutate(master, keep_answer), holder, own)
                else:
                    copy = self._copy_for(master, holder, responses.get(holder, ResponseStatus.NEEDS_ACTION))
                resp = await self._put(holder, parsed.event_id, copy, etag=current[1])
            else:
                copy = self._copy_for(master, holder, responses.get(holder, ResponseStatus.NEEDS_ACTION))
                resp = await self._put(holder, parsed.event_id, copy, if_none_match=True)
            if resp.status_code == 412:
                return False
            if resp.status_code not in (200, 201, 204):
                raise CalendarError(
                    f"cannot write copy of {parsed.event_id} for {holder}: {resp.status_code}"
                )
            return True

        async def one(holder: str) -> None:
            for _ in range(3):
                if await once(holder):
                    return
            raise CalendarConflictError(f"copy of {parsed.event_id} for {holder} keeps changing; retry")

        await asyncio.gather(*(one(h) for h in ical.copy_holders(master)))

    async def _own_responses(self, master: bytes, event_id: str) -> dict[str, ResponseStatus]:
        """Each holder's answer as its own copy records it; a deleted copy counts as a decline."""
        holders = list(ical.copy_holders(master))
        copies = await asyncio.gather(*(self._get(h, event_id) for h in holders))
        return {
            holder: ResponseStatus.DECLINED
            if copy is None
            else ical.responses_in(copy[0]).get(holder, ResponseStatus.DECLINED)
            for holder, copy in zip(holders, copies, strict=True)
        }

    async def _read(self, organizer: str, event_id: str) -> CalendarEvent | None:
        stored = await self._get(organizer, event_id)
        if stored is None:
            return None
        master, etag = stored
        event = ical.parse_event(master, etag=etag)
        own = await self._own_responses(master, event_id)
        attendees = [a.model_copy(update={"response": own.get(a.email, a.response)}) for a in event.attendees]
        rooms = [r.model_copy(update={"response": own.get(r.id, r.response)}) for r in event.rooms]
        return event.model_copy(update={"attendees": attendees, "rooms": rooms})

    async def get_event(self, organizer: str, key: str) -> CalendarEvent | None:
        return await self._read(organizer.lower(), event_id_for(key))

    async def update_event(self, spec: EventSpec) -> CalendarEvent:
        self._no_native_video(spec)
        organizer, event_id = spec.organizer.lower(), spec.event_id
        stored = await self._get(organizer, event_id)
        if stored is None:
            raise CalendarNotFoundError(f"no event booked under key {spec.key!r} in {organizer}'s calendar")
        master, etag = stored
        current = ical.parse_event(master)
        if current.status == "cancelled":
            raise CalendarRequestError(
                f"event {spec.key!r} is cancelled; book a new key instead of updating it"
            )
        if self._matches(current, master, spec):
            await self._sync_copies(master)
        elif not await self._rewrite(spec, master, etag, revive=False):
            raise CalendarConflictError(f"event {spec.key!r} changed while updating it; re-read and retry")
        event = await self._read(organizer, event_id)
        assert event is not None
        return event

    @staticmethod
    def _matches(current: CalendarEvent, master: bytes, spec: EventSpec) -> bool:
        """Whether the stored event already says what the spec says (times, people, rooms, text, video)."""
        ev = ical._vevent(master)
        return (
            (current.start, current.end) == (spec.start, spec.end)
            and current.summary == spec.summary
            and str(ev.get("DESCRIPTION", "")) == spec.description
            and {a.email for a in current.attendees} == {a.email for a in spec.attendees}
            and {r.id for r in current.rooms} == {r.id for r in spec.rooms}
            and (current.video.url if current.video else None) == (spec.video.url if spec.video else None)
        )

    async def cancel_event(self, organizer: str, key: str) -> None:
        organizer, event_id = organizer.lower(), event_id_for(key)
        stored = await self._get(organizer, event_id)
        if stored is None:
            return
        master, etag = stored
        if ical.parse_event(master).status != "cancelled":
            resp = await self._put(organizer, event_id, ical.mutate(master, ical.cancel), etag=etag)
            if resp.status_code == 412:
                raise CalendarConflictError(f"event {key!r} changed while cancelling it; retry")
            if resp.status_code not in (200, 201, 204):
                raise CalendarError(f"cannot cancel event {event_id}: {resp.status_code}")

        async def one(holder: str) -> None:
            copy = await self._get(holder, event_id)
            if copy is None or ical.parse_event(copy[0]).status == "cancelled":
                return
            resp = await self._put(holder, event_id, ical.mutate(copy[0], ical.cancel), etag=copy[1])
            if resp.status_code not in (200, 201, 204, 412):
                raise CalendarError(f"cannot cancel copy of {event_id} for {holder}: {resp.status_code}")

        await asyncio.gather(*(one(h) for h in ical.copy_holders(master)))
        log.info("caldav.event_cancelled", event_id=event_id)

    async def set_response(self, holder: str, key: str, status: ResponseStatus) -> None:
        """Answer the invitation as attendee (email) or room (id) `holder` does in its own copy.

        What a calendar client does when its user accepts or declines; used by the demo and tests.
        """
        event_id = event_id_for(key)
        holder = holder.lower() if "@" in holder else holder
        copy = await self._get(holder, event_id)
        if copy is None:
            raise CalendarNotFoundError(f"{holder} has no copy of the event booked under {key!r}")

        def answer(ev: icalendar.Event) -> None:
            if not ical.set_partstat(ev, holder, status):
                raise CalendarRequestError(f"{holder} is not an attendee of {key!r}")
            ev.pop("TRANSP", None)
            ev.add("transp", "TRANSPARENT" if status is ResponseStatus.DECLINED else "OPAQUE")

        resp = await self._put(holder, event_id, ical.mutate(copy[0], answer), etag=copy[1])
        if resp.status_code == 412:
            raise CalendarConflictError(f"{holder}'s copy of {key!r} changed meanwhile; retry")
        if resp.status_code not in (200, 201, 204):
            raise CalendarError(f"cannot record the response of {holder}: {resp.status_code}")
