"""Issue 10, finding 3: one hostile mail or note must not freeze the web app or the worker.

Every parser of untrusted text (reply classification and times, mentions in notes, quoted-text
stripping, HTML to text, auto-reply subjects) handles a megabyte of the worst input we know in well
under a second, and async callers parse in a worker thread so the event loop keeps serving. On the
base commit these inputs took seconds to minutes: each test carries a timeout so that such a run
fails fast instead of hanging.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from email.message import EmailMessage
from itertools import pairwise
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.greenhouse import mentions
from integrations.mail import classify, inbound, timeparse
from integrations.mail.classify import ReplyIntent, classify_reply
from models.greenhouse import Note
from models.mentions import ListMentionsInput, ListMentionsResult, MentionNote
from models.settings import Settings

MB = 1_000_000
BUDGET = 1.0  # seconds for a megabyte: generous for a loaded 2-CPU runner, far below the old times
TIMEOUT = 10  # seconds before pytest-timeout stops a call that is still running (the base commit)
REF = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 23 November 2026
TZ = "Europe/London"

pytestmark = pytest.mark.timeout(TIMEOUT)


def hostile(unit: str, size: int = MB) -> str:
    """`unit` repeated to exactly `size` characters."""
    return (unit * (size // len(unit) + 1))[:size]


def timed(call: Callable[[str], object], text: str) -> tuple[float, object]:
    """CPU seconds of this thread: what the parse costs, not how busy the machine around it is."""
    start = time.thread_time()
    result = call(text)
    return time.thread_time() - start, result


def classify_text(text: str) -> object:
    return classify_reply(text, TZ, REF)


def mention(text: str) -> object:
    return mentions.mention_text("@Hireflow " + text, "@[Hireflow](user:7) " + text, "Hireflow", 7)


def mention_elsewhere(text: str) -> object:
    return mentions.mention_text(text, text, "Hireflow", 7)


# ------------------------------------------------------------------------------------------------
# A megabyte of hostile text, parser by parser
# ------------------------------------------------------------------------------------------------

HOSTILE: list[tuple[str, Callable[[str], object], str]] = [
    ("reply times: 'monday 2pm - ' repeated", classify_text, "monday 2pm - "),
    ("reply: blank lines (question check from every line start)", classify_text, "\n"),
    ("reply: days between em-spaces", classify_text, "monday\u2003"),
    ("reply: dates", classify_text, "dec 3 "),
    ("times alone", lambda t: timeparse.parse_time_windows(t, TZ, REF), "3 dec 2pm - "),
    ("note tags: '@[' repeated", mention_elsewhere, "@["),
    ("note: em-spaces after the mention", mention, "\u2003"),
    ("note: carriage returns after the mention", mention, "\r"),
    ("note command: em-spaces", lambda t: mentions.parse_command("schedule " + t), "\u2003"),
    ("quoted text: 'On ...' header lookalikes", inbound.strip_quoted, "on x\n"),
    ("quoted text: '>' lines", inbound.strip_quoted, ">\n"),
    ("quoted text: empty lines", inbound.strip_quoted, "\n"),
    ("html: lone '<'", inbound.html_to_text, "<"),
    ("html: nested unclosed tags", inbound.html_to_text, "<b>"),
    ("html: '<![' junk (raised AssertionError)", inbound.html_to_text, "<!["),
    ("subject", lambda t: inbound.auto_reply_reason([], t, "jane@example.com"), " "),
]


@pytest.mark.parametrize(("what", "parse", "unit"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_megabyte_of_hostile_text_is_parsed_in_well_under_a_second(
    what: str, parse: Callable[[str], object], unit: str
) -> None:
    elapsed, _ = timed(parse, hostile(unit))
    assert elapsed < BUDGET, f"{what}: {elapsed:.2f} s for 1 MB"


def test_the_issues_reply_is_fast_and_still_read_as_proposed_times() -> None:
    """The 52 KB reply of the report (13 s, /healthz blocked 12 s) proposes Monday 2pm, quickly."""
    elapsed, verdict = timed(classify_text, "monday 2pm - " * 4000)
    assert elapsed < BUDGET / 4, f"{elapsed:.2f} s"
    assert getattr(verdict, "intent", None) == ReplyIntent.PROPOSE_TIMES
    windows = getattr(verdict, "windows", [])
    assert [(w.start.isoformat(), w.end.isoformat()) for w in windows] == [
        ("2026-11-30T14:00:00+00:00", "2026-11-30T15:00:00+00:00")
    ]


@pytest.mark.parametrize("unit", ["monday 2pm - ", "monday\u2003", "not monday, ", "dec 3 2pm to "])
def test_time_parsing_is_linear_without_its_length_cap(monkeypatch: pytest.MonkeyPatch, unit: str) -> None:
    """The cap is a second line of defence: the parse itself is linear (52 KB took 13 s)."""
    monkeypatch.setattr(timeparse, "MAX_TEXT_CHARS", 10**9, raising=False)
    monkeypatch.setattr(classify, "MAX_REPLY_CHARS", 10**9, raising=False)
    elapsed, _ = timed(classify_text, hostile(unit, 52_000))
    assert elapsed < BUDGET, f"{elapsed:.2f} s for 52 KB"


@pytest.mark.parametrize(
    ("what", "note"),
    [("'@[' * 40000", "@[" * 40_000), ("80,000 em-spaces", "@Hireflow schedule" + "\u2003" * 80_000)],
)
def test_the_issues_notes_are_fast(what: str, note: str) -> None:
    """The report's notes (10.8 s and 50 s): the mention is found or not, quickly."""
    start = time.thread_time()
    text = mentions.mention_text(note, note, "Hireflow", 7)
    elapsed = time.thread_time() - start
    assert elapsed < BUDGET / 4, f"{what}: {elapsed:.2f} s"
    assert (text if text is None else text.strip()) == (None if note.startswith("@[") else "schedule")


def test_tags_and_tidying_keep_their_meaning() -> None:
    tagged = "@[" * 1000 + "x @[Hireflow](user:7) schedule   \u2003\n\u2003 the onsite ."
    assert mentions.mention_text(None, tagged, "Hireflow", 7) == "@[" * 1000 + "x schedule\nthe onsite."


# ------------------------------------------------------------------------------------------------
# Caps that bound what one input can cost, and what they keep
# ------------------------------------------------------------------------------------------------


def test_a_reply_is_classified_on_its_head() -> None:
    head = "Monday 2pm works for me. "
    verdict = classify_reply(head + hostile("x ", MB) + " I withdraw my application", TZ, REF)
    assert verdict.intent == ReplyIntent.CONFIRM  # the withdrawal sits past the cap and is not read


def test_a_reply_cannot_build_hundreds_of_thousands_of_windows() -> None:
    """300 distinct dates times 300 distinct times used to be 90,000 windows; the cap bounds them."""
    dates = " ".join(f"2027-{m:02d}-{d:02d}" for m in range(1, 12) for d in range(1, 28))[:3300]
    times = " ".join(f"{h}:{m:02d}-{h}:{m + 1:02d}" for h in range(9, 17) for m in range(0, 58, 2))[:4000]
    elapsed, windows = timed(lambda t: timeparse.parse_time_windows(t, TZ, REF), f"{dates} {times}")
    assert elapsed < BUDGET / 2, f"{elapsed:.2f} s"
    assert 0 < len(windows) <= 500  # type: ignore[arg-type]


def test_an_over_long_note_is_kept_short_and_marked_too_long() -> None:
    cap = 10_000
    note = MentionNote(note_id=1, created_at=REF, candidate_id=2, text="schedule " + "x" * MB)
    assert note.too_long is True
    assert len(note.text) == cap and note.text.startswith("schedule ")
    normal = MentionNote(note_id=1, created_at=REF, candidate_id=2, text="schedule the onsite")
    assert (normal.too_long, normal.text) == (False, "schedule the onsite")
    assert f"{cap:,}" in mentions.NOTE_TOO_LONG


RSVP = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
    "UID:hf-1@replies.hireflow.test\r\nDTSTAMP:20261123T160000Z\r\n{filler}"
    "ATTENDEE;PARTSTAT=DECLINED;CN=Jane Doe:mailto:jane.doe@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def with_calendar(ics: str) -> EmailMessage:
    msg = EmailMessage()
    msg.set_content("Jane Doe has declined this invitation.")
    msg.add_alternative(ics, subtype="calendar", params={"method": "REPLY"})
    return msg


def test_a_megabyte_calendar_part_is_not_parsed_and_a_real_rsvp_still_is() -> None:
    """icalendar spent 5 s on a megabyte of properties; an iTIP REPLY is a few KB."""
    hostile_rsvp = with_calendar(RSVP.format(filler=hostile("X-A:b\r\n")))
    elapsed, rsvp = timed(lambda _: inbound.calendar_rsvp(hostile_rsvp), "")
    assert elapsed < BUDGET, f"{elapsed:.2f} s"
    assert rsvp is None
    assert inbound.calendar_rsvp(with_calendar(RSVP.format(filler="X-A:b\r\n" * 100))) == "DECLINED"


def test_a_megabyte_subject_is_still_recognised() -> None:
    assert inbound.auto_reply_reason([], "Out of office " + "x" * MB) == "out-of-office subject"


def test_html_to_text_keeps_the_text_of_a_body_with_stray_markup() -> None:
    html = "<p>Friday 10 < 12 works<![ junk ]></p><p>a <<< b</p><![if !supportLists]>x<![endif]>"
    assert inbound.html_to_text(html) == "Friday 10 < 12 works\na <<< bx"


def joined(tokens: list[str], max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(tokens), max_size=max_size).map("".join)


MARKUP = joined(
    [
        "<",
        "<!",
        "<![",
        "]>",
        "]]>",
        "<p>",
        "</p>",
        "<b",
        ">",
        "&",
        "&lt",
        ";",
        "a",
        " ",
        "<!--",
        "-->",
        "<?",
        "if",
        "CDATA[",
        "<script>",
        "\n",
    ],
    30,
)
PROSE = joined(
    ["monday", " ", "\n", "\u2003", "2pm", "-", "not", ",", "@[", "](user:7)", "on ", ">", "wrote:", "?"], 40
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(html=MARKUP)
def test_html_to_text_never_raises(html: str) -> None:
    """Any markup gives text (an AssertionError here was a 500 from the inbound webhook)."""
    assert isinstance(inbound.html_to_text(html), str)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(text=PROSE)
def test_the_parsers_accept_any_text(text: str) -> None:
    assert isinstance(classify_reply(text, TZ, REF).intent, ReplyIntent)
    assert isinstance(inbound.strip_quoted(text), str)
    mentions.parse_command(text)
    mentions.mention_text(text, text, "Hireflow", 7)


# ------------------------------------------------------------------------------------------------
# Off the event loop
# ------------------------------------------------------------------------------------------------


async def largest_gap(work: Coroutine[Any, Any, object]) -> tuple[float, object]:
    """Run `work` next to a 10 ms ticker; the longest the ticker waited, and `work`'s result."""
    stamps: list[float] = []
    stop = asyncio.Event()

    async def tick() -> None:
        while not stop.is_set():
            stamps.append(time.perf_counter())
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.02)
    try:
        result = await work
    finally:
        stop.set()
        await ticker
    stamps.append(time.perf_counter())
    return max(b - a for a, b in pairwise(stamps)), result


def off_loop() -> Callable[..., Coroutine[Any, Any, object]]:
    function = getattr(classify, "classify_reply_off_loop", None)
    assert function is not None, "integrations.mail.classify has no classify_reply_off_loop"
    return function


async def test_a_hostile_reply_classified_off_loop_gets_the_same_answer() -> None:
    text = "Tuesday after 2pm or Thursday morning. " + hostile("monday\u2003", MB)
    gap, verdict = await largest_gap(off_loop()(text, TZ, REF))
    assert verdict == classify_reply(text, TZ, REF)
    assert gap < 0.25, f"the event loop stalled {gap:.2f} s"


async def test_the_event_loop_keeps_ticking_while_a_reply_is_classified(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A classification that holds its thread for half a second leaves the loop free."""

    def slow_classify(*args: object, **kwargs: object) -> object:
        time.sleep(0.5)
        return "classified"

    classify_off_loop = off_loop()
    monkeypatch.setattr(classify, "classify_reply", slow_classify)
    gap, verdict = await largest_gap(classify_off_loop("monday 2pm", TZ, REF))
    assert verdict == "classified"
    assert gap < 0.2, f"the event loop stalled {gap:.2f} s"


async def test_listing_mentions_parses_notes_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mention watcher's worker keeps serving while a long note is parsed."""
    import activities.mentions as activity_module

    def slow_mention_text(*args: object) -> str:
        time.sleep(0.5)
        return "schedule the onsite"

    class Harvest:
        async def list_notes(self, **query: object) -> AsyncIterator[Note]:
            yield Note(id=1, candidate_id=2, application_id=3, user_id=4, created_at=REF, body="@Hireflow x")

    monkeypatch.setattr(activity_module, "mention_text", slow_mention_text)
    monkeypatch.setattr(activity_module.MentionActivities, "_handled_ids", lambda self, ids: set())
    settings = Settings(mention_name="Hireflow", greenhouse_user_id=99)
    watcher = activity_module.MentionActivities(
        cast(Any, Harvest()), cast(Any, None), settings, cast(Any, None)
    )
    gap, result = await largest_gap(watcher.list_mentions(ListMentionsInput()))
    assert [n.text for n in cast(ListMentionsResult, result).notes] == ["schedule the onsite"]
    assert gap < 0.2, f"the event loop stalled {gap:.2f} s"


async def test_an_over_long_note_is_answered_too_long_and_not_acted_on() -> None:
    """The parser keeps only the first characters; acting on a part of a note could be wrong."""
    from activities.mentions import MentionActivities
    from integrations.greenhouse.mentions import NOTE_TOO_LONG

    note = MentionNote(
        note_id=1,
        created_at=REF,
        candidate_id=2,
        application_id=3,
        user_id=4,
        text="cancel " + "x" * (2 * MB),
    )
    assert note.too_long
    activities = MentionActivities.__new__(MentionActivities)  # no Harvest call may happen
    activities.settings = Settings()
    resolved = await activities._resolve(note)
    assert resolved.problem == NOTE_TOO_LONG and resolved.action is None
