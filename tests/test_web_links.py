"""Link tokens, CSRF tags, time-zone views and calendar links: the web app's pure parts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.links import (
    ExpiredLinkTokenError,
    MalformedLinkTokenError,
    TamperedLinkTokenError,
    link_url,
    make_link_token,
    verify_link_token,
)
from models.messages import BookedSession, Booking, OfferedOption
from models.scheduling import Placement
from tests.support.fake_scheduling import CONTEXT
from web.calendar_links import booking_ics, google_calendar_url
from web.views import WindowError, group_options, local_instant, parse_window, valid_zone
from web.webhooks import sign_body, signature_valid

SECRET = "test-secret"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=7)


def test_token_round_trip_is_compact_and_url_safe() -> None:
    token = make_link_token("schedule-501-201", "pick", LATER, SECRET)
    claims = verify_link_token(token, SECRET, NOW)
    assert (claims.workflow_id, claims.purpose, claims.expires_at) == ("schedule-501-201", "pick", LATER)
    assert len(token) < 80
    assert all(c.isalnum() or c in "-_." for c in token)
    assert link_url("https://x.example/", token) == f"https://x.example/s/{token}"


@settings(max_examples=40, deadline=None)
@given(
    workflow_id=st.text(
        st.characters(exclude_categories=("Zs", "Zl", "Zp", "Cc", "Cs")), min_size=1, max_size=60
    ),
    purpose=st.sampled_from(["pick", "reschedule", "cancel"]),
)
def test_any_workflow_id_round_trips(workflow_id: str, purpose: str) -> None:
    token = make_link_token(workflow_id, purpose, LATER, SECRET)  # type: ignore[arg-type]
    assert verify_link_token(token, SECRET, NOW).workflow_id == workflow_id


def test_expired_token_says_so_and_names_its_workflow() -> None:
    token = make_link_token("wf-1", "cancel", NOW, SECRET)
    with pytest.raises(ExpiredLinkTokenError) as caught:
        verify_link_token(token, SECRET, NOW)
    assert caught.value.claims.workflow_id == "wf-1"


def test_tampered_tokens_are_rejected() -> None:
    token = make_link_token("schedule-501-201", "pick", LATER, SECRET)
    body, tag = token.split(".")
    other_body = make_link_token("schedule-999-201", "cancel", LATER, SECRET).split(".")[0]
    with pytest.raises(TamperedLinkTokenError):
        verify_link_token(f"{other_body}.{tag}", SECRET, NOW)
    with pytest.raises(TamperedLinkTokenError):
        verify_link_token(token, "another-secret", NOW)
    flipped = tag[:-2] + ("A" if tag[-2] != "A" else "B") + tag[-1]
    with pytest.raises(TamperedLinkTokenError):
        verify_link_token(f"{body}.{flipped}", SECRET, NOW)


@pytest.mark.parametrize("bad", ["", "abc", "a.b.c", "!!!.???", "x" * 700, "aGVsbG8.c2hvcnQ"])
def test_malformed_tokens_are_rejected(bad: str) -> None:
    with pytest.raises(MalformedLinkTokenError):
        verify_link_token(bad, SECRET, NOW)


def test_bad_token_inputs_are_refused_at_creation() -> None:
    with pytest.raises(ValueError, match="purpose"):
        make_link_token("wf", "delete", LATER, SECRET)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        make_link_token("wf", "pick", datetime(2026, 1, 1), SECRET)
    with pytest.raises(ValueError, match="whitespace"):
        make_link_token("w f", "pick", LATER, SECRET)


def test_webhook_signature_is_hmac_of_the_raw_body() -> None:
    body = b'{"action":"ping","payload":{"x":"\\u003cp\\u003e"}}'
    header = sign_body(body, "s3cret")
    assert header.startswith("sha256 ") and len(header) == 7 + 64
    assert signature_valid(body, header, "s3cret")
    assert signature_valid(body, header.upper().replace("SHA256", "sha256"), "s3cret")
    assert not signature_valid(body + b" ", header, "s3cret")
    assert not signature_valid(body, header, "other")
    assert not signature_valid(body, header.replace("sha256", "sha1"), "s3cret")
    assert not signature_valid(body, None, "s3cret")
    assert not signature_valid(body, "sha256", "s3cret")


def _option(option_id: str, start: datetime, minutes: int = 60) -> OfferedOption:
    end = start + timedelta(minutes=minutes)
    return OfferedOption(
        option_id=option_id,
        rank=1,
        start=start,
        end=end,
        placements=[Placement(session="s1", start=start, end=end, interviewers=[21])],
    )


def test_options_group_by_local_day_and_name_the_zone_across_a_dst_change() -> None:
    # New York leaves daylight time on Sunday 1 November 2026 at 02:00 local.
    options = [
        _option("a", datetime(2026, 10, 31, 14, 0, tzinfo=UTC)),  # Sat 10:00 EDT
        _option("b", datetime(2026, 11, 2, 15, 0, tzinfo=UTC)),  # Mon 10:00 EST
        _option("c", datetime(2026, 11, 3, 3, 30, tzinfo=UTC)),  # Mon 22:30 EST (Tue in London)
    ]
    ny = group_options(options, "America/New_York", CONTEXT)
    assert [g.day for g in ny] == ["Saturday 31 October", "Monday 2 November"]
    assert ny[0].options[0].when == "10:00\u201311:00 (New York time, EDT)"
    assert ny[1].options[0].when == "10:00\u201311:00 (New York time, EST)"
    assert [o.option_id for o in ny[1].options] == ["b", "c"]
    assert ny[0].options[0].sessions[0].name == "System design"
    assert ny[0].options[0].sessions[0].people == "Interviewer 21"
    london = group_options(options, "Europe/London", CONTEXT)
    assert [g.day for g in london] == ["Saturday 31 October", "Monday 2 November", "Tuesday 3 November"]
    assert london[0].options[0].when == "14:00\u201315:00 (London time, GMT)"


def test_proposed_windows_are_read_in_the_chosen_zone() -> None:
    window = parse_window(1, "2026-12-02", "09:00", "12:30", "America/New_York")
    assert window is not None
    assert window.start == datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    assert parse_window(2, "", "", "", "UTC") is None
    with pytest.raises(WindowError, match="end time must be after"):
        parse_window(1, "2026-12-02", "10:00", "09:00", "UTC")
    with pytest.raises(WindowError, match="fill in"):
        parse_window(3, "2026-12-02", "", "10:00", "UTC")
    with pytest.raises(WindowError, match="date like"):
        parse_window(1, "02/12/2026", "09:00", "10:00", "UTC")
    with pytest.raises(ValueError, match="does not exist"):  # 02:30 is skipped in spring
        local_instant(date(2027, 3, 14), time(2, 30), "America/New_York")
    assert valid_zone("Asia/Kolkata") == "Asia/Kolkata"
    assert valid_zone("Mars/Olympus") is None
    assert valid_zone("../../etc/passwd") is None


def test_calendar_file_and_google_link_cover_every_session() -> None:
    start = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    sessions = [
        BookedSession(
            session_id=f"s{i}",
            job_interview_id=i,
            name=name,
            start=start + timedelta(hours=i),
            end=start + timedelta(hours=i + 1),
            interviewers=[21],
            event_key=f"schedule-1-2-b1-s{i}",
            video_url="https://meet.example/x" if i == 0 else None,
        )
        for i, name in enumerate(["System design", "Coding"])
    ]
    booking = Booking(booking_id="b1", sessions=sessions, confirmed_at=start)
    cal = icalendar.Calendar.from_ical(booking_ics(booking, CONTEXT, domain="hireflow.local", now=start))
    events = list(cal.walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == [
        "Interview: Backend Engineer — System design",
        "Interview: Backend Engineer — Coding",
    ]
    assert events[0].decoded("dtstart") == start
    assert len({str(e["uid"]) for e in events}) == 2
    query = parse_qs(urlsplit(google_calendar_url(booking, CONTEXT)).query)
    assert query["dates"] == ["20261202T150000Z/20261202T170000Z"]
    assert query["action"] == ["TEMPLATE"]
