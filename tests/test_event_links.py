"""The event page's pure parts: the `availability` link purpose, and blocks in and out of the form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integrations.event_client import event_link_subject, parse_event_link_subject
from integrations.links import (
    ExpiredLinkTokenError,
    LinkPurpose,
    MalformedLinkTokenError,
    TamperedLinkTokenError,
    event_link_url,
    link_url,
    make_link_token,
    verify_link_token,
)
from models.event_io import AvailabilityView, EventCandidateState, EventState
from models.scheduling import Interval, Placement
from web.event_views import (
    MAX_WINDOWS,
    AnswerError,
    block_key,
    block_minutes,
    blocks_view,
    merge,
    parse_answer,
    planned_lines,
)

SECRET = "event-link-secret"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(days=3)
EVENT = "event-3485-71416-20261202"
SUBJECT = event_link_subject(EVENT, 52877001001)
CHAIN = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
DAY1 = Interval(start=datetime(2026, 12, 2, 9, tzinfo=UTC), end=datetime(2026, 12, 2, 17, tzinfo=UTC))
DAY2 = Interval(start=datetime(2026, 12, 3, 9, tzinfo=UTC), end=datetime(2026, 12, 3, 12, 30, tzinfo=UTC))


def _view(**fields: object) -> AvailabilityView:
    base: dict[str, object] = {
        "state": EventState.COLLECTING,
        "open": True,
        "candidate_state": EventCandidateState.INVITED,
        "days": [DAY2, DAY1],
        "candidate_time_zone": "Europe/London",
        "granularity_minutes": 15,
    }
    return AvailabilityView.model_validate({**base, **fields})


# ---------------------------------------------------------------------------------------- tokens


def test_availability_token_round_trips_with_its_chain_and_names_the_event_and_application() -> None:
    token = make_link_token(SUBJECT, "availability", DEADLINE, SECRET, chain_id=CHAIN)
    claims = verify_link_token(token, SECRET, NOW)
    assert (claims.purpose, claims.workflow_id, claims.chain_id) == ("availability", SUBJECT, CHAIN)
    assert claims.expires_at == DEADLINE
    assert parse_event_link_subject(claims.workflow_id) == (EVENT, 52877001001)
    assert all(c.isalnum() or c in "-_." for c in token) and len(token) < 200
    assert event_link_url("https://x.example/", token) == f"https://x.example/event/{token}"
    assert link_url("https://x.example", token) == f"https://x.example/s/{token}"  # unchanged for the others


def test_old_purposes_and_version_1_tokens_stay_valid() -> None:
    purposes: tuple[LinkPurpose, ...] = ("pick", "reschedule", "cancel")
    for purpose in purposes:
        v1 = make_link_token("schedule-501-201", purpose, DEADLINE, SECRET)
        v2 = make_link_token("schedule-501-201", purpose, DEADLINE, SECRET, chain_id="run1")
        assert verify_link_token(v1, SECRET, NOW).purpose == purpose
        assert verify_link_token(v2, SECRET, NOW).chain_id == "run1"


def test_a_tampered_availability_token_is_refused_and_its_purpose_cannot_be_swapped() -> None:
    token = make_link_token(SUBJECT, "availability", DEADLINE, SECRET, chain_id=CHAIN)
    other_subject = make_link_token(
        event_link_subject(EVENT, 52877001002), "availability", DEADLINE, SECRET, chain_id=CHAIN
    )
    as_pick = make_link_token(SUBJECT, "pick", DEADLINE, SECRET, chain_id=CHAIN)
    with pytest.raises(TamperedLinkTokenError):  # another candidate's body under this tag
        verify_link_token(f"{other_subject.split('.')[0]}.{token.split('.')[1]}", SECRET, NOW)
    with pytest.raises(TamperedLinkTokenError):  # the pick body under the availability tag
        verify_link_token(f"{as_pick.split('.')[0]}.{token.split('.')[1]}", SECRET, NOW)
    with pytest.raises(TamperedLinkTokenError):
        verify_link_token(token, "another-secret", NOW)
    with pytest.raises(MalformedLinkTokenError):
        verify_link_token(token[:-3] + "!!!", SECRET, NOW)


def test_an_expired_availability_token_says_so_and_still_names_its_subject() -> None:
    token = make_link_token(SUBJECT, "availability", DEADLINE, SECRET, chain_id=CHAIN)
    with pytest.raises(ExpiredLinkTokenError) as caught:
        verify_link_token(token, SECRET, DEADLINE)
    assert caught.value.claims.workflow_id == SUBJECT and caught.value.claims.purpose == "availability"


# ---------------------------------------------------------------------------------------- blocks


def test_blocks_are_hourly_in_the_candidates_zone_and_prechecked_from_their_windows() -> None:
    view = _view(
        candidate_time_zone="Asia/Kolkata",
        windows=[Interval(start=DAY1.start, end=DAY1.start + timedelta(hours=2))],
    )
    days = blocks_view(view, "Asia/Kolkata")
    assert [d.heading for d in days] == ["Wednesday 2 December", "Thursday 3 December"]  # time order
    assert days[0].zone == "Kolkata time, IST"
    first = days[0].blocks
    assert len(first) == 8 and first[0].label == "14:30\u201315:30"
    assert [b.checked for b in first[:3]] == [True, True, False]
    second = days[1].blocks  # 3 h 30: three hours and a half-hour block
    assert [b.label for b in second][-1] == "17:30\u201318:00"
    assert block_minutes(15) == 60 and block_minutes(45) == 45


def test_a_day_crossing_midnight_in_the_candidates_zone_names_the_next_day() -> None:
    days = blocks_view(_view(days=[DAY1]), "Asia/Tokyo")  # 18:00 to 02:00 the next day
    labels = [b.label for b in days[0].blocks]
    assert labels[0] == "18:00\u201319:00" and labels[-1] == "Thu 01:00\u201302:00"


def test_checked_blocks_merge_into_windows_and_a_whole_day_counts() -> None:
    view = _view()
    keys = [block_key(DAY1.start + timedelta(hours=h)) for h in (0, 1, 3)]
    windows = parse_answer(view, keys, [block_key(DAY2.start)], none=False)
    assert windows == [
        Interval(start=DAY1.start, end=DAY1.start + timedelta(hours=2)),
        Interval(start=DAY1.start + timedelta(hours=3), end=DAY1.start + timedelta(hours=4)),
        DAY2,
    ]
    assert parse_answer(view, keys + keys, [], none=False) == windows[:2]  # a repeated value is one block
    assert parse_answer(view, keys, [], none=True) == []  # "I can't make any of these times"
    assert merge([DAY2, DAY1]) == [DAY1, DAY2]


@pytest.mark.parametrize(
    ("blocks", "days"),
    [
        ([block_key(DAY1.start + timedelta(minutes=30))], []),  # not a block start
        ([block_key(DAY1.end)], []),  # just outside the day
        ([block_key(DAY1.start - timedelta(days=1))], []),  # another day
        (["<script>"], []),
        ([], [block_key(DAY1.start + timedelta(hours=1))]),  # not a day
        ([], []),  # nothing chosen and not "none"
        ([block_key(DAY1.start)] * 200, []),  # more values than the event has blocks
    ],
)
def test_odd_answers_are_refused_as_a_whole(blocks: list[str], days: list[str]) -> None:
    with pytest.raises(AnswerError):
        parse_answer(_view(), blocks, days, none=False)


def test_more_than_sixty_windows_are_refused() -> None:
    day = Interval(start=DAY1.start, end=DAY1.start + timedelta(hours=24))
    days = [Interval(start=day.start + timedelta(days=i), end=day.end + timedelta(days=i)) for i in range(6)]
    view = _view(days=days)
    every_other = [block_key(d.start + timedelta(hours=h)) for d in days for h in range(0, 24, 2)]
    assert len(every_other) == 72 > MAX_WINDOWS
    with pytest.raises(AnswerError, match="more than 60"):
        parse_answer(view, every_other, [], none=False)


def test_the_planned_loop_reads_in_time_order_in_the_candidates_zone() -> None:
    late = Placement(
        session="s2",
        start=DAY1.start + timedelta(hours=2),
        end=DAY1.start + timedelta(hours=3),
        interviewers=[1],
    )
    early = Placement(session="s1", start=DAY1.start, end=DAY1.start + timedelta(hours=1), interviewers=[2])
    lines = planned_lines([late, early], "America/New_York")
    assert [line.when for line in lines] == [
        "Wednesday 2 December, 04:00\u201305:00 (New York time, EST)",
        "Wednesday 2 December, 06:00\u201307:00 (New York time, EST)",
    ]
