"""Reply classification and proposed-time parsing (rule-based, relative to a given instant)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from integrations.mail.classify import ReplyIntent, classify_reply
from integrations.mail.timeparse import TimeWindow, parse_time_windows

REF = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 23 November 2026, 10:00 in New York
NY = "America/New_York"


def local(windows: list[TimeWindow], tz: str = NY) -> list[str]:
    z = ZoneInfo(tz)
    return [
        f"{w.start.astimezone(z):%a %d %b %H:%M}-{w.end.astimezone(z):%H:%M}"
        if w.start.astimezone(z).date() == w.end.astimezone(z).date()
        else f"{w.start.astimezone(z):%a %d %b %H:%M}-{w.end.astimezone(z):%a %H:%M}"
        for w in windows
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tuesday after 2pm", ["Tue 24 Nov 14:00-17:00"]),
        ("Dec 3 10-12", ["Thu 03 Dec 10:00-12:00"]),
        ("December 3rd, 10am to noon", ["Thu 03 Dec 10:00-12:00"]),
        ("3rd of December 9-11am", ["Thu 03 Dec 09:00-11:00"]),
        ("2026-12-04 any time", ["Fri 04 Dec 09:00-17:00"]),
        ("any time Thursday morning", ["Thu 26 Nov 09:00-12:00"]),
        ("next Monday or Wednesday 9am\u201311am", ["Mon 30 Nov 09:00-11:00", "Wed 02 Dec 09:00-11:00"]),
        ("Tuesday after 2pm or Thursday morning", ["Tue 24 Nov 14:00-17:00", "Thu 26 Nov 09:00-12:00"]),
        ("Monday 9-11, Tuesday 2-4", ["Tue 24 Nov 14:00-16:00", "Mon 30 Nov 09:00-11:00"]),
        ("between 2 and 4 on Friday", ["Fri 27 Nov 14:00-16:00"]),
        ("Fri between 10:30 and 11:45 am", ["Fri 27 Nov 10:30-11:45"]),
        ("tomorrow at 3", ["Tue 24 Nov 15:00-16:00"]),
        ("tomorrow at 3:30pm", ["Tue 24 Nov 15:30-16:30"]),
        ("Wednesday 10.30-12", ["Wed 25 Nov 10:30-12:00"]),
        ("I'm free 11-1pm Wed", ["Wed 25 Nov 11:00-13:00"]),
        ("Friday before noon", ["Fri 27 Nov 09:00-12:00"]),
        ("Thursday from 1 p.m.", ["Thu 26 Nov 13:00-17:00"]),
        ("Thursday evening", ["Thu 26 Nov 17:00-20:00"]),
        ("this Wednesday afternoon", ["Wed 25 Nov 12:00-17:00"]),
        ("Thursday all day", ["Thu 26 Nov 09:00-17:00"]),
        ("today after 3pm", ["Mon 23 Nov 15:00-17:00"]),
        ("today at 9am", []),  # already past at the reference instant
        ("today morning", ["Mon 23 Nov 10:00-12:00"]),  # clipped to the reference instant
        (
            "next week mornings",
            [
                f"{d} 09:00-12:00"
                for d in ("Mon 30 Nov", "Tue 01 Dec", "Wed 02 Dec", "Thu 03 Dec", "Fri 04 Dec")
            ],
        ),
        (
            "after 4pm",
            [
                f"{d} 16:00-17:00"
                for d in ("Tue 24 Nov", "Wed 25 Nov", "Thu 26 Nov", "Fri 27 Nov", "Mon 30 Nov")
            ],
        ),
        ("I can't do Monday but Tuesday 10:30-12 works", ["Tue 24 Nov 10:30-12:00"]),
        ("Monday doesn't work, but Wednesday afternoon is fine", ["Wed 25 Nov 12:00-17:00"]),
        (
            "any day next week except Friday, mornings",
            [f"{d} 09:00-12:00" for d in ("Mon 30 Nov", "Tue 01 Dec", "Wed 02 Dec", "Thu 03 Dec")],
        ),
        ("Tues or Thurs 1-3", ["Tue 24 Nov 13:00-15:00", "Thu 26 Nov 13:00-15:00"]),
        ("Jan 5 2027 at 10am", ["Tue 05 Jan 10:00-11:00"]),
        ("Jan 5 at 10am", ["Tue 05 Jan 10:00-11:00"]),  # January is next year from November
        ("Monday 9-11 and Monday 10-12", ["Mon 30 Nov 09:00-12:00"]),  # merged
        ("call me at 555-1234", []),
        ("call me on +1 (212) 555-0134", []),
        ("the loop takes 2-3 hours, is that right?", []),
        ("I have about 3 interviews elsewhere", []),
        ("Friday 14:00-16:00", ["Fri 27 Nov 14:00-16:00"]),
        ("Friday noon-2", ["Fri 27 Nov 12:00-14:00"]),
        ("Thanks for the email!", []),
        ("Feb 30", []),
        ("Thursday at 2 may work", ["Thu 26 Nov 14:00-15:00"]),
        ("May 4 at 10am", ["Tue 04 May 10:00-11:00"]),
    ],
)
def test_time_phrasings(text: str, expected: list[str]) -> None:
    assert local(parse_time_windows(text, NY, REF)) == expected


def test_parser_reads_no_clock() -> None:
    later = REF + timedelta(days=7)
    a = local(parse_time_windows("Tuesday after 2pm", NY, REF))
    b = local(parse_time_windows("Tuesday after 2pm", NY, later))
    assert a == ["Tue 24 Nov 14:00-17:00"] and b == ["Tue 01 Dec 14:00-17:00"]


@pytest.mark.parametrize(
    ("tz", "reference", "text", "utc_starts"),
    [
        # New York falls back on 1 Nov 2026: 9:00 is 13:00Z before, 14:00Z after
        (NY, "2026-10-29T15:00", "tomorrow 9-11", ["2026-10-30T13:00"]),
        (NY, "2026-10-29T15:00", "next Monday 9-11", ["2026-11-02T14:00"]),
        # London falls back on 25 Oct 2026
        (
            "Europe/London",
            "2026-10-22T12:00",
            "Friday 9-10 or next Monday 9-10",
            ["2026-10-23T08:00", "2026-10-26T09:00"],
        ),
        # Sydney springs forward on 4 Oct 2026 (+10 → +11)
        (
            "Australia/Sydney",
            "2026-10-01T00:00",
            "Friday 10-11 or next Monday 10-11",
            ["2026-10-02T00:00", "2026-10-04T23:00"],
        ),
        # Kolkata has no DST: same UTC time on both sides of others' transitions
        (
            "Asia/Kolkata",
            "2026-10-29T05:00",
            "tomorrow 10-11 or next Monday 10-11",
            ["2026-10-30T04:30", "2026-11-02T04:30"],
        ),
    ],
)
def test_windows_across_dst(tz: str, reference: str, text: str, utc_starts: list[str]) -> None:
    ref = datetime.fromisoformat(reference).replace(tzinfo=UTC)
    windows = parse_time_windows(text, tz, ref)
    assert [w.start.strftime("%Y-%m-%dT%H:%M") for w in windows] == utc_starts
    assert all(w.start.tzinfo == UTC for w in windows)


def test_parser_rejects_naive_reference_and_unknown_zone() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_time_windows("Tuesday", NY, datetime(2026, 11, 23, 10))
    with pytest.raises(ValueError, match="IANA"):
        parse_time_windows("Tuesday", "Eastern", REF)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Yes, that works for me!", ReplyIntent.CONFIRM),
        ("Confirmed, thank you.", ReplyIntent.CONFIRM),
        ("Sounds good, see you then", ReplyIntent.CONFIRM),
        ("Great, see you on Tuesday!", ReplyIntent.CONFIRM),
        ("I'll be there.", ReplyIntent.CONFIRM),
        ("ok", ReplyIntent.CONFIRM),
        ("Sorry, I can't make it then.", ReplyIntent.DECLINE),
        ("Unfortunately that time doesn't work for me.", ReplyIntent.DECLINE),
        ("None of these times work", ReplyIntent.DECLINE),
        ("I need to reschedule my interview", ReplyIntent.DECLINE),
        ("I'm not available then, sorry", ReplyIntent.DECLINE),
        ("Could we do Tuesday after 2pm instead?", ReplyIntent.PROPOSE_TIMES),
        ("That doesn't work, but Dec 3 10-12 would", ReplyIntent.PROPOSE_TIMES),
        ("Tuesday doesn't work, Thursday 2-4?", ReplyIntent.PROPOSE_TIMES),
        ("any time Thursday morning", ReplyIntent.PROPOSE_TIMES),
        ("I have accepted another offer, please withdraw my application.", ReplyIntent.CANCEL),
        ("I'm no longer interested in the role, thanks", ReplyIntent.CANCEL),
        ("Please cancel the interview.", ReplyIntent.CANCEL),
        ("I've decided not to proceed.", ReplyIntent.CANCEL),
        ("Will the interview be on Zoom?", ReplyIntent.QUESTION),
        ("Thanks! What is the dress code?", ReplyIntent.QUESTION),
        ("Who will I be meeting", ReplyIntent.QUESTION),
        ("", ReplyIntent.QUESTION),
    ],
)
def test_intents(text: str, intent: ReplyIntent) -> None:
    assert classify_reply(text, "Europe/London", REF).intent == intent


def test_classification_carries_windows_and_question_flag() -> None:
    result = classify_reply("Tuesday doesn't work. Is Thursday 2-4 ok?", NY, REF)
    assert result.intent == ReplyIntent.PROPOSE_TIMES and result.has_question
    assert local(result.windows) == ["Thu 26 Nov 14:00-16:00"]
    confirm = classify_reply("Sounds good. Is there parking?", NY, REF)
    assert confirm.intent == ReplyIntent.CONFIRM and confirm.has_question
