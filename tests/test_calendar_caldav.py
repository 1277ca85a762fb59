"""CalDAV provider against a real Radicale subprocess (no mocks)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from integrations.calendar import ical
from integrations.calendar.base import (
    Attendee,
    CalendarNotFoundError,
    CalendarProvider,
    CalendarRequestError,
    EventSpec,
    Interval,
    ResponseStatus,
    Room,
    VideoLink,
    booking_key,
)
from integrations.calendar.caldav import CalDAVCalendar
from sandbox.radicale.server import RadicaleError, RadicaleServer

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def at(hour: float, day: int = 0) -> datetime:
    return T0 + timedelta(days=day, hours=hour)


async def busy(
    cal: CalDAVCalendar,
    owner: str,
    start: datetime,
    end: datetime,
    *,
    status: str = "CONFIRMED",
    uid: str = "x",
) -> None:
    """Write a plain event straight into a calendar, as another client would."""
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{end:%Y%m%dT%H%M%SZ}\r\nSTATUS:{status}\r\nSUMMARY:Busy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    resp = await cal._put(owner, uid, ics.encode(), if_none_match=True)
    assert resp.status_code == 201, resp.text


def spec_for(u: str, **kw: object) -> EventSpec:
    base: dict[str, object] = dict(
        key=booking_key(f"schedule-{u}", "s1"),
        organizer=f"scheduler-{u}@hireflow.test",
        summary="Interview: System design",
        start=at(15),
        end=at(16),
        time_zone="America/New_York",
        attendees=[
            Attendee(email=f"alice-{u}@corp.test", name="Alice"),
            Attendee(email=f"cand-{u}@gmail.test", name="Cand"),
        ],
        rooms=[Room(id=f"room-{u}", name="Room A", capacity=6)],
        video=VideoLink(provider="jitsi", url=f"https://meet.jit.si/hf-{u}"),
    )
    base.update(kw)
    return EventSpec.model_validate(base)


async def setup_people(cal: CalDAVCalendar, u: str) -> None:
    await cal.ensure_calendar(f"alice-{u}@corp.test")
    await cal.ensure_room(Room(id=f"room-{u}", name="Room A", capacity=6, time_zone="America/New_York"))


async def test_is_a_calendar_provider(caldav: CalDAVCalendar) -> None:
    assert isinstance(caldav, CalendarProvider)


async def test_free_busy_matches_events_hard_and_tentative(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    alice, bob = f"alice-{cal_prefix}@corp.test", f"bob-{cal_prefix}@corp.test"
    for p in (alice, bob):
        await caldav.ensure_calendar(p)
    await busy(caldav, alice, at(14), at(15), uid="a1")
    await busy(caldav, alice, at(16), at(17), status="TENTATIVE", uid="a2")
    await busy(caldav, alice, at(18), at(19), status="CANCELLED", uid="a3")
    await busy(caldav, bob, at(9, day=1), at(10, day=1), uid="b1")  # outside the window
    result = await caldav.free_busy([alice, bob, f"nobody-{cal_prefix}@corp.test"], at(0), at(24))
    assert result[alice].hard == [Interval(start=at(14), end=at(15))]
    assert result[alice].tentative == [Interval(start=at(16), end=at(17))]
    assert result[bob].hard == [] and result[bob].error is None
    assert "notFound" in (result[f"nobody-{cal_prefix}@corp.test"].error or "")


async def test_free_busy_rejects_bad_window(caldav: CalDAVCalendar) -> None:
    with pytest.raises(CalendarRequestError):
        await caldav.free_busy(["a@b.test"], at(2), at(1))
    with pytest.raises(CalendarRequestError):
        await caldav.free_busy(["a@b.test"], datetime(2026, 1, 2), datetime(2026, 1, 3))


async def test_create_is_idempotent_and_blocks_attendees(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    await setup_people(caldav, cal_prefix)
    spec = spec_for(cal_prefix)
    first, second = await asyncio.gather(caldav.create_event(spec), caldav.create_event(spec))
    third = await caldav.create_event(spec)
    assert sorted([first.created, second.created]) == [False, True] and third.created is False
    assert first.event_id == second.event_id == third.event_id == spec.event_id
    assert third.video and third.video.url.endswith(cal_prefix)
    # exactly one event in each calendar
    for owner in (spec.organizer, f"alice-{cal_prefix}@corp.test", f"room-{cal_prefix}"):
        resp = await caldav._client.request(
            "PROPFIND",
            caldav.calendar_url(owner),
            headers={"Depth": "1"},
            content='<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>',
        )
        assert resp.text.count(".ics</href>") == 1, owner
    # the attendee and the room are now busy; the candidate has no calendar here
    fb = await caldav.free_busy([f"alice-{cal_prefix}@corp.test", f"room-{cal_prefix}"], at(0), at(24))
    assert all(f.hard == [Interval(start=at(15), end=at(16))] for f in fb.values())
    assert not await caldav.calendar_exists(f"cand-{cal_prefix}@gmail.test")


async def test_declined_partstat_is_seen_and_frees_time(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    await setup_people(caldav, cal_prefix)
    spec = spec_for(cal_prefix)
    await caldav.create_event(spec)
    event = await caldav.get_event(spec.organizer, spec.key)
    assert event and event.declined() == []
    assert {a.email: a.response for a in event.attendees}[
        f"alice-{cal_prefix}@corp.test"
    ] is ResponseStatus.NEEDS_ACTION
    await caldav.set_response(f"alice-{cal_prefix}@corp.test", spec.key, ResponseStatus.DECLINED)
    event = await caldav.get_event(spec.organizer, spec.key)
    assert event and event.declined() == [f"alice-{cal_prefix}@corp.test"]
    fb = await caldav.free_busy([f"alice-{cal_prefix}@corp.test"], at(0), at(24))
    assert fb[f"alice-{cal_prefix}@corp.test"].hard == []


async def test_partstat_flipped_by_raw_client_is_seen(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    """A calendar client that rewrites the attendee's copy (no Hireflow code) is read correctly."""
    await setup_people(caldav, cal_prefix)
    spec = spec_for(cal_prefix)
    await caldav.create_event(spec)
    alice = f"alice-{cal_prefix}@corp.test"
    url = caldav.event_url(alice, spec.event_id)
    async with httpx.AsyncClient() as raw:
        text = (await raw.get(url)).text.replace("\r\n ", "")  # unfold
        lines = [
            ln.replace("PARTSTAT=NEEDS-ACTION", "PARTSTAT=TENTATIVE")
            if ln.endswith(f"mailto:{alice}")
            else ln
            for ln in text.split("\r\n")
        ]
        edited = "\r\n".join(lines)
        assert edited != text
        assert (await raw.put(url, content=edited)).status_code in (201, 204)
    event = await caldav.get_event(spec.organizer, spec.key)
    assert event and {a.email: a.response for a in event.attendees}[alice] is ResponseStatus.TENTATIVE


async def test_update_moves_every_copy_and_is_idempotent(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    await setup_people(caldav, cal_prefix)
    spec = spec_for(cal_prefix)
    await caldav.create_event(spec)
    moved = spec.model_copy(update={"start": at(17), "end": at(18)})
    updated = await caldav.update_event(moved)
    again = await caldav.update_event(moved)
    assert updated.sequence == 1 and again.sequence == 1
    assert (updated.start, updated.end) == (at(17), at(18))
    fb = await caldav.free_busy([f"alice-{cal_prefix}@corp.test", f"room-{cal_prefix}"], at(0), at(24))
    assert all(f.hard == [Interval(start=at(17), end=at(18))] for f in fb.values())
    # dropping the room removes its copy
    no_room = moved.model_copy(update={"rooms": []})
    await caldav.update_event(no_room)
    fb = await caldav.free_busy([f"room-{cal_prefix}"], at(0), at(24))
    assert fb[f"room-{cal_prefix}"].hard == []


async def test_cancel_frees_everyone_and_is_idempotent(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    await setup_people(caldav, cal_prefix)
    spec = spec_for(cal_prefix)
    await caldav.create_event(spec)
    await caldav.cancel_event(spec.organizer, spec.key)
    await caldav.cancel_event(spec.organizer, spec.key)
    event = await caldav.get_event(spec.organizer, spec.key)
    assert event and event.status == "cancelled" and event.sequence == 1
    fb = await caldav.free_busy([f"alice-{cal_prefix}@corp.test", f"room-{cal_prefix}"], at(0), at(24))
    assert all(f.hard == [] for f in fb.values())
    with pytest.raises(CalendarRequestError, match="cancelled"):
        await caldav.update_event(spec)
    await caldav.cancel_event(spec.organizer, booking_key("never", "booked"))  # missing: no error


async def test_busy_room_declines(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    await setup_people(caldav, cal_prefix)
    await busy(caldav, f"room-{cal_prefix}", at(15), at(15.5), uid="other")
    event = await caldav.create_event(spec_for(cal_prefix))
    assert event.declined() == [f"room-{cal_prefix}"]


async def test_missing_room_and_native_video_are_clear_errors(
    caldav: CalDAVCalendar, cal_prefix: str
) -> None:
    with pytest.raises(CalendarNotFoundError, match="rooms without a calendar"):
        await caldav.create_event(spec_for(cal_prefix))
    with pytest.raises(CalendarRequestError, match="video"):
        await caldav.create_event(spec_for(cal_prefix, video=None, native_video=True))
    with pytest.raises(CalendarNotFoundError):
        await caldav.update_event(spec_for(cal_prefix, rooms=[]))


async def test_rooms_listed_with_capacity(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    await caldav.ensure_room(
        Room(id=f"room-{cal_prefix}-big", name="Big <Board> & Co", capacity=12, building="HQ")
    )
    await caldav.ensure_room(Room(id=f"room-{cal_prefix}-small", name="Phone booth", capacity=1))
    await caldav.ensure_calendar(f"person-{cal_prefix}@corp.test")
    rooms = {r.id: r for r in await caldav.list_rooms()}
    assert (
        rooms[f"room-{cal_prefix}-big"].capacity == 12
        and rooms[f"room-{cal_prefix}-big"].name == "Big <Board> & Co"
    )
    assert rooms[f"room-{cal_prefix}-small"].capacity == 1
    assert f"person-{cal_prefix}@corp.test" not in rooms


def test_ics_round_trip_keeps_instants() -> None:
    spec = spec_for("rt")
    event = ical.parse_event(ical.build_event(spec, copies={"alice-rt@corp.test"}))
    assert (event.start, event.end, event.key, event.event_id) == (
        spec.start,
        spec.end,
        spec.key,
        spec.event_id,
    )
    assert ical.copy_holders(ical.build_event(spec, copies={"alice-rt@corp.test"})) == {
        "alice-rt@corp.test": "alice-rt@corp.test"
    }


async def test_radicale_server_htpasswd_and_clean_stop(tmp_path: object) -> None:
    from pathlib import Path

    async with RadicaleServer(Path(str(tmp_path)), port=0, user="svc", password="pw") as srv:
        async with httpx.AsyncClient() as anon:
            assert (await anon.request("MKCOL", f"{srv.url}/x/")).status_code == 401
        async with CalDAVCalendar(srv.url, username="svc", password="pw") as cal:
            assert await cal.ensure_calendar("alice@corp.test") is True
            assert await cal.ensure_calendar("alice@corp.test") is False
        proc = srv._proc
        assert proc is not None
    assert proc.returncode is not None
    with pytest.raises(ValueError):
        RadicaleServer(Path(str(tmp_path)), user="svc")


async def test_radicale_server_reports_failed_start(tmp_path: object) -> None:
    from pathlib import Path

    async with RadicaleServer(Path(str(tmp_path)) / "a", port=0) as first:
        with pytest.raises(RadicaleError):
            await RadicaleServer(Path(str(tmp_path)) / "b", port=first.port, startup_timeout=5).start()


async def test_update_keeps_answers_unless_time_moves(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    await setup_people(caldav, cal_prefix)
    alice, bob = f"alice-{cal_prefix}@corp.test", f"bob-{cal_prefix}@corp.test"
    await caldav.ensure_calendar(bob)
    spec = spec_for(cal_prefix)
    await caldav.create_event(spec)
    await caldav.set_response(alice, spec.key, ResponseStatus.DECLINED)
    renamed = spec.model_copy(
        update={"summary": "Interview: Coding", "attendees": [*spec.attendees, Attendee(email=bob)]}
    )
    event = await caldav.update_event(renamed)
    answers = {a.email: a.response for a in event.attendees}
    assert event.sequence == 1 and event.summary == "Interview: Coding"
    assert answers[alice] is ResponseStatus.DECLINED and answers[bob] is ResponseStatus.NEEDS_ACTION
    fb = await caldav.free_busy([alice, bob], at(0), at(24))
    assert fb[alice].hard == [] and fb[bob].hard == [Interval(start=at(15), end=at(16))]
    moved = await caldav.update_event(renamed.model_copy(update={"start": at(18), "end": at(19)}))
    assert {a.email: a.response for a in moved.attendees}[alice] is ResponseStatus.NEEDS_ACTION
    fb = await caldav.free_busy([alice], at(0), at(24))
    assert fb[alice].hard == [Interval(start=at(18), end=at(19))]


async def test_set_response_errors(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    await setup_people(caldav, cal_prefix)
    spec = spec_for(cal_prefix)
    with pytest.raises(CalendarNotFoundError):
        await caldav.set_response(f"alice-{cal_prefix}@corp.test", spec.key, ResponseStatus.DECLINED)
    with pytest.raises(CalendarRequestError, match="invalid calendar id"):
        await caldav.ensure_calendar("../etc")


async def count_events(cal: CalDAVCalendar, owner: str) -> int:
    resp = await cal._client.request(
        "PROPFIND",
        cal.calendar_url(owner),
        headers={"Depth": "1"},
        content='<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>',
    )
    return resp.text.count(".ics</href>")


async def test_create_after_cancel_revives_the_event(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    await setup_people(caldav, cal_prefix)
    alice, room = f"alice-{cal_prefix}@corp.test", f"room-{cal_prefix}"
    spec = spec_for(cal_prefix)
    await caldav.create_event(spec)
    await caldav.set_response(alice, spec.key, ResponseStatus.DECLINED)
    await caldav.cancel_event(spec.organizer, spec.key)
    later = spec.model_copy(update={"start": at(18), "end": at(19)})
    revived = await caldav.create_event(later)
    assert revived.created and revived.revived and revived.status == "confirmed"
    assert (revived.start, revived.end) == (
        at(18),
        at(19),
    ) and revived.sequence == 2  # create, cancel, revive
    answers = {a.email: a.response for a in revived.attendees}
    assert answers[alice] is ResponseStatus.NEEDS_ACTION  # a new invitation: the old decline is void
    assert revived.declined() == []
    for owner in (spec.organizer, alice, room):
        assert await count_events(caldav, owner) == 1, owner
        copy = ical.parse_event((await caldav._get(owner, spec.event_id) or (b"", None))[0])
        assert (copy.status, copy.sequence, copy.start) == ("confirmed", 2, at(18)), owner
    fb = await caldav.free_busy([alice, room], at(0), at(24))
    assert all(f.hard == [Interval(start=at(18), end=at(19))] for f in fb.values())
    again = await caldav.create_event(later)  # a retry of the revival: already booked
    assert not again.created and not again.revived and again.sequence == 2


async def test_concurrent_creates_revive_once(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    await setup_people(caldav, cal_prefix)
    spec = spec_for(cal_prefix)
    await caldav.create_event(spec)
    await caldav.cancel_event(spec.organizer, spec.key)
    first, second = await asyncio.gather(caldav.create_event(spec), caldav.create_event(spec))
    assert sorted([first.revived, second.revived]) == [False, True]
    assert first.sequence == second.sequence == 2 and first.status == second.status == "confirmed"
    assert first.declined() == [] and second.declined() == []  # the room's own booking is no conflict
    fb = await caldav.free_busy([f"room-{cal_prefix}"], at(0), at(24))
    assert fb[f"room-{cal_prefix}"].hard == [Interval(start=at(15), end=at(16))]


async def test_revival_into_a_busy_room_declines_it(caldav: CalDAVCalendar, cal_prefix: str) -> None:
    await setup_people(caldav, cal_prefix)
    spec = spec_for(cal_prefix)
    await caldav.create_event(spec)
    await caldav.cancel_event(spec.organizer, spec.key)
    await busy(caldav, f"room-{cal_prefix}", at(15), at(16), uid="taken-meanwhile")
    revived = await caldav.create_event(spec)
    assert revived.revived and revived.declined() == [f"room-{cal_prefix}"]


async def test_create_updates_a_live_event_of_the_same_key_to_the_spec(
    caldav: CalDAVCalendar, cal_prefix: str
) -> None:
    await setup_people(caldav, cal_prefix)
    alice, bob = f"alice-{cal_prefix}@corp.test", f"bob-{cal_prefix}@corp.test"
    await caldav.ensure_calendar(bob)
    spec = spec_for(cal_prefix)
    await caldav.create_event(spec)
    other = spec.model_copy(
        update={"start": at(17), "end": at(18), "attendees": [Attendee(email=bob)], "rooms": []}
    )
    event = await caldav.create_event(other)
    assert not event.created and not event.revived and event.sequence == 1
    assert (event.start, event.end) == (at(17), at(18)) and [a.email for a in event.attendees] == [bob]
    fb = await caldav.free_busy([alice, bob, f"room-{cal_prefix}"], at(0), at(24))
    assert fb[alice].hard == [] and fb[f"room-{cal_prefix}"].hard == []
    assert fb[bob].hard == [Interval(start=at(17), end=at(18))]
    again = await caldav.create_event(other)
    assert again.sequence == 1 and not again.created
