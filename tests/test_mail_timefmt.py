"""Times in the reader's zone with the zone named, across DST transitions (tzdata pinned)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integrations.mail.contexts import ConfirmationContext, Session
from integrations.mail.ics import parse_ics
from integrations.mail.render import TemplateRenderer
from integrations.mail.timefmt import format_instant, format_range, zone_city

DST_CASES = [
    # America/New_York: DST ends 2026-11-01, starts 2026-03-08
    ("America/New_York", "2026-10-30T14:00", "Friday 30 October, 10:00\u201311:00 (New York time, EDT)"),
    ("America/New_York", "2026-11-02T14:00", "Monday 2 November, 09:00\u201310:00 (New York time, EST)"),
    ("America/New_York", "2026-03-06T15:00", "Friday 6 March, 10:00\u201311:00 (New York time, EST)"),
    ("America/New_York", "2026-03-09T15:00", "Monday 9 March, 11:00\u201312:00 (New York time, EDT)"),
    # Europe/London: BST ends 2026-10-25, starts 2026-03-29
    ("Europe/London", "2026-10-23T09:00", "Friday 23 October, 10:00\u201311:00 (London time, BST)"),
    ("Europe/London", "2026-10-26T09:00", "Monday 26 October, 09:00\u201310:00 (London time, GMT)"),
    ("Europe/London", "2026-03-27T09:00", "Friday 27 March, 09:00\u201310:00 (London time, GMT)"),
    ("Europe/London", "2026-03-30T09:00", "Monday 30 March, 10:00\u201311:00 (London time, BST)"),
    # Asia/Kolkata: no DST, half-hour offset, same local time whatever the others do
    ("Asia/Kolkata", "2026-03-08T04:30", "Sunday 8 March, 10:00\u201311:00 (Kolkata time, IST)"),
    ("Asia/Kolkata", "2026-11-02T04:30", "Monday 2 November, 10:00\u201311:00 (Kolkata time, IST)"),
    # Australia/Sydney: southern hemisphere, DST starts 2026-10-04, ends 2026-04-05; local date differs
    ("Australia/Sydney", "2026-10-02T23:00", "Saturday 3 October, 09:00\u201310:00 (Sydney time, AEST)"),
    ("Australia/Sydney", "2026-10-05T23:00", "Tuesday 6 October, 10:00\u201311:00 (Sydney time, AEDT)"),
    ("Australia/Sydney", "2026-04-02T23:00", "Friday 3 April, 10:00\u201311:00 (Sydney time, AEDT)"),
    ("Australia/Sydney", "2026-04-06T23:00", "Tuesday 7 April, 09:00\u201310:00 (Sydney time, AEST)"),
]

RENDERER = TemplateRenderer()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("tz", "start", "expected"), DST_CASES)
def test_range_across_dst(tz: str, start: str, expected: str) -> None:
    begin = utc(start)
    assert format_range(begin, begin + timedelta(hours=1), tz) == expected


@pytest.mark.parametrize(("tz", "start", "expected"), DST_CASES)
def test_confirmation_email_names_the_zone(tz: str, start: str, expected: str) -> None:
    begin = utc(start)
    ctx = ConfirmationContext(
        recipient_name="Jane",
        company_name="Acme",
        job_title="Engineer",
        time_zone=tz,
        sessions=[Session(title="Panel", start=begin, end=begin + timedelta(hours=1))],
        reschedule_url="https://hireflow.example/r",
    )
    rendered = RENDERER.render(ctx)
    assert expected in rendered.text
    assert expected in rendered.html


def test_interview_spanning_the_fall_back_hour_names_both_abbreviations() -> None:
    start = utc("2026-11-01T05:30")  # 01:30 EDT, the repeated hour begins
    text = format_range(start, start + timedelta(hours=1), "America/New_York")
    assert text == "Sunday 1 November, 01:30\u201301:30 (New York time, EDT/EST)"


def test_range_over_midnight_names_both_days_and_12h_clock() -> None:
    start = utc("2026-12-01T04:00")  # 23:00 EST on 30 November
    text = format_range(start, start + timedelta(hours=2), "America/New_York", "12h")
    assert text == "Monday 30 November, 11:00 pm \u2013 Tuesday 1 December, 1:00 am (New York time, EST)"


def test_numeric_abbreviations_and_utc() -> None:
    at = utc("2026-11-01T12:00")
    assert format_instant(at, "America/Sao_Paulo").endswith("(Sao Paulo time, UTC\u221203:00)")
    assert format_instant(at, "UTC") == "Sunday 1 November, 12:00 (UTC)"
    assert zone_city("America/Argentina/Buenos_Aires") == "Buenos Aires"


def test_bad_inputs_are_rejected_clearly() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_instant(datetime(2026, 1, 1, 9), "Europe/London")
    with pytest.raises(ValueError, match="IANA"):
        format_instant(utc("2026-01-01T09:00"), "Pacific Standard Time")
    with pytest.raises(ValueError, match="before it starts"):
        format_range(utc("2026-01-01T09:00"), utc("2026-01-01T08:00"), "Europe/London")


def test_ics_instants_are_utc_whatever_the_reader_zone() -> None:
    from integrations.mail.ics import Attendee, CalendarInvite, build_ics

    start = utc("2026-10-05T23:00")
    invite = CalendarInvite(
        uid="hf-1@x.test",
        sequence=0,
        start=start.astimezone(),
        end=start + timedelta(hours=1),
        summary="Interview",
        organizer_email="s@x.test",
        attendees=[Attendee(email="c@x.test")],
    )
    raw = build_ics(invite, "REQUEST", dtstamp=start)
    assert b"DTSTART:20261005T230000Z" in raw and b"VTIMEZONE" not in raw
    assert parse_ics(raw).start == start
