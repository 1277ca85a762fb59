"""CalDAV through the outage proxy to a real Radicale: every outage is a retryable error, and it ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from activities.errors import from_calendar
from integrations.calendar.base import Attendee, CalendarUnavailableError, EventSpec, Interval, booking_key
from integrations.calendar.caldav import CalDAVCalendar
from sandbox.outage import OutageMode, OutageProxy
from sandbox.radicale.server import RadicaleServer

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 2, 15, tzinfo=UTC)


@pytest.fixture
async def radicale_proxy(radicale: RadicaleServer) -> AsyncIterator[OutageProxy]:
    async with OutageProxy("127.0.0.1", radicale.port, name="radicale") as proxy:
        yield proxy


@pytest.mark.parametrize("mode", list(OutageMode.__members__.values()), ids=lambda m: m.value)
async def test_outage_is_transient_and_the_client_recovers(
    radicale_proxy: OutageProxy, cal_prefix: str, mode: OutageMode
) -> None:
    alice = f"alice-{cal_prefix}@corp.test"
    spec = EventSpec(
        key=booking_key(f"outage-{cal_prefix}", "s1"),
        organizer=f"scheduler-{cal_prefix}@hireflow.test",
        summary="Interview",
        start=T0,
        end=T0 + timedelta(hours=1),
        attendees=[Attendee(email=alice)],
    )
    async with CalDAVCalendar(radicale_proxy.url(), timeout=1.0) as cal:
        await cal.ensure_calendar(alice)  # leaves a keep-alive connection the outage must cut
        await radicale_proxy.down(mode, retry_after=7)
        for call in (cal.create_event(spec), cal.free_busy([alice], T0, T0 + timedelta(hours=2))):
            with pytest.raises(CalendarUnavailableError) as err:
                await call
            assert err.value.retryable
            temporal = from_calendar(err.value)
            assert temporal.non_retryable is False
            if mode is OutageMode.HTTP_503:
                assert err.value.retry_after == 7 and temporal.next_retry_delay == timedelta(seconds=7)
        counted = radicale_proxy.stats.refused
        assert counted == 0 if mode is OutageMode.REFUSE else counted >= 2
        await radicale_proxy.up()
        event = await cal.create_event(spec)
        assert event.created and event.status == "confirmed"
        fb = await cal.free_busy([alice], T0, T0 + timedelta(hours=2))
        assert fb[alice].hard == [Interval(start=T0, end=T0 + timedelta(hours=1))]
