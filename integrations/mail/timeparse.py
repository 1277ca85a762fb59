"""Parse the times a candidate proposes in a reply into UTC windows, by rules (no clock reads).

Understands day words (weekdays with `next`/`this`, today, tomorrow, `next week`, `Dec 3`,
`3rd December`, ISO dates), times (`9am-11am`, `10-12`, `between 2 and 4`, `after 2pm`,
`before noon`, `at 3`), and parts of the day (morning, afternoon, evening, any time / all day).
Tokens are grouped the way people write: "next Monday or Wednesday 9am-11am" is one group (both days,
one time), "Tuesday after 2pm or Thursday morning" is two. Local times are built per local date in
the candidate's zone, so windows are right across daylight-saving changes. Bare hours 1-7 mean pm.

The text is untrusted (anyone can mail a reply address), so every step is linear in its length: the
patterns cannot backtrack over a run of spaces more than once, negation looks at a bounded window
of its own clause, and only the first `MAX_TEXT_CHARS` characters and `MAX_WINDOWS` windows are used.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice, product

from pydantic import BaseModel, ConfigDict

from integrations.mail.timefmt import zone

MAX_TEXT_CHARS = 10_000
"""Only this many leading characters are read: proposals sit at the top of a reply, and a bound on the
text bounds the time and memory any input can cost (the parse is linear, a few milliseconds per KB)."""

MAX_WINDOWS = 500
"""At most this many windows are built (before merging). Real replies propose a handful; without a cap,
hundreds of distinct dates times hundreds of distinct times would build hundreds of thousands."""

NEGATION_WINDOW = 120
"""Characters before and after a day that may say it is excluded ("not Monday", "Monday doesn't work").
Enough for a negation and three words; the bound keeps each check constant-time in a long clause."""

WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}  # fmt: skip
MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
PARTS_OF_DAY = {
    "morning": (time(9), time(12)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), time(20)),
    "lunch": (time(12), time(13)),
    "lunchtime": (time(12), time(13)),
}

_WD = r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
_MON = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
# The spaces before am/pm are taken only together with am/pm: an optional `\s*` followed by another
# `\s*` (or `\s+`) in the patterns below would try every split of a run of spaces (quadratic).
_T = r"(?:\d{1,2}(?:[:.]\d{2})?(?:\s*(?:a\.?m\.?|p\.?m\.?))?|noon|midday|midnight)"
_DASH = r"(?:-|\u2013|\u2014|to|until|till)"
# "1-2 hours", "about 3 interviews": numbers that are not clock times
_NOT_A_QUANTITY = (
    r"(?!\s*(?:h\b|hours?|hrs?|mins?|minutes?|days?|weeks?|months?|years?|people|persons?|interviews?|"
    r"rounds?|%|percent))"
)

DAY_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")),
    (
        "dm",
        re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MON})\b\.?(?:,?\s+(\d{{4}})\b)?", re.I),
    ),
    ("md", re.compile(rf"\b({_MON})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}})\b)?", re.I)),
    ("week", re.compile(r"\b(next|this|the\s+following)\s+week\b", re.I)),
    ("dayafter", re.compile(r"\bday\s+after\s+tomorrow\b", re.I)),
    ("rel", re.compile(r"\b(today|tomorrow|tmrw|tmr)\b", re.I)),
    ("wd", re.compile(rf"\b(?:(next|this|coming)\s+)?({_WD})s?\b\.?", re.I)),
]
TIME_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("between", re.compile(rf"\bbetween\s+({_T})\s+(?:and|{_DASH})\s+({_T})", re.I)),
    (
        "range",
        re.compile(rf"(?:\bfrom\s+)?(?<![\w:])({_T})\s*{_DASH}\s*({_T})(?![\w:]){_NOT_A_QUANTITY}", re.I),
    ),
    ("after", re.compile(rf"\b(?:after|from|past|later\s+than|starting(?:\s+at)?)\s+({_T})", re.I)),
    ("before", re.compile(rf"\b(?:before|until|till|by|up\s+to|no\s+later\s+than)\s+({_T})", re.I)),
    ("part", re.compile(r"\b(morning|afternoon|evening|lunch(?:time)?)s?\b", re.I)),
    ("allday", re.compile(r"\b(any\s*time|all\s+day|whole\s+day|any\s+time\s+of\s+(?:the\s+)?day)\b", re.I)),
    ("at", re.compile(rf"\b(?:at|around|about)\s+({_T})(?![\w:]){_NOT_A_QUANTITY}", re.I)),
    ("clock", re.compile(r"\b(\d{1,2}(?::\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)|\d{1,2}:\d{2}|noon|midday)", re.I)),
]


class TimeWindow(BaseModel):
    """A proposed window, as UTC instants."""

    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime


@dataclass
class _Day:
    kind: str  # "date", "weekday" or "week"
    value: date | int | str
    modifier: str | None = None  # "next", "this", "coming", or "not" (excluded by the writer)


@dataclass
class _Group:
    days: list[_Day] = field(default_factory=list)
    times: list[tuple[time, time]] = field(default_factory=list)


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int
    meridiem: str | None  # "am", "pm" or None


def _clock(text: str) -> _Clock:
    t = re.sub(r"\s+", "", text.lower())
    t = re.sub(r"^(\d{1,2})\.(\d{2})", r"\1:\2", t)  # 10.30 → 10:30
    t = t.replace(".", "")  # a.m. → am
    if t in {"noon", "midday"}:
        return _Clock(12, 0, "pm")
    if t == "midnight":
        return _Clock(0, 0, "am")
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(am|pm)?", t)
    if not m:
        raise ValueError(f"not a time: {text!r}")
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"not a time: {text!r}")
    return _Clock(hour, minute, m.group(3))


def _resolve(c: _Clock, meridiem: str | None = None) -> time:
    """24-hour time; a bare 1-7 is afternoon (nobody proposes 3 am interviews)."""
    mer = c.meridiem or meridiem
    hour = c.hour
    if hour > 12 or (mer is None and hour == 0):
        return time(hour % 24, c.minute)
    if mer == "pm":
        hour = 12 if hour == 12 else hour + 12
    elif mer == "am":
        hour = 0 if hour == 12 else hour
    elif 1 <= hour <= 7:
        hour += 12
    return time(hour, c.minute)


def _range(a: str, b: str) -> tuple[time, time] | None:
    start_c, end_c = _clock(a), _clock(b)
    end = _resolve(end_c)
    start = _resolve(start_c, end_c.meridiem)
    if start_c.meridiem is None and start >= end:
        alt = _resolve(start_c, "am")  # "11-1pm" → 11 am to 1 pm
        if alt < end:
            start = alt
    if start >= end:
        return None
    return start, end


def _year_for(month: int, day: int, today: date) -> date:
    candidate = date(today.year, month, day)
    return candidate if candidate >= today - timedelta(days=1) else date(today.year + 1, month, day)


_NEG_BEFORE = re.compile(
    r"(\b(not|except|unavailable|busy|away|off|out|cannot|can'?t|won'?t)\b|n't)\W+(\w+\W+){0,3}$", re.I
)
_NEG_AFTER = re.compile(  # used with .match(text, pos, endpos): anchored at the day's end
    r"\W*(\w+\W+){0,2}?(is|are|'s)?\s*(out|bad|busy|no good|not good|not possible|impossible|"
    r"(does|do|will|would)\s*n[o']t\s+work|won'?t work)\b",
    re.I,
)


_CLAUSE_BREAK_BEFORE = re.compile(r"[.;!?,\n]|\bbut\b|\bor\b")
_CLAUSE_BREAK_AFTER = re.compile(r"[.;!?,\n]|\bbut\b")
_WORD = re.compile(r"\w+")
_WORDS_BEFORE = 6  # a negation and three words span at most five runs of \w ("can't" is two)


def _is_word(char: str) -> bool:
    """What `\\w` matches in a str pattern."""
    return char.isalnum() or char == "_"


class _Negations:
    """'not Monday', 'except Friday', 'Monday doesn't work' within the same clause.

    Clause breaks and words are found once for the whole text and looked up by bisection, and each
    check reads at most `NEGATION_WINDOW` characters either side (and before, no more words than a
    negation can span): splitting the text before and after every day, as this once did, made a reply
    full of days quadratic.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.break_ends = [m.end() for m in _CLAUSE_BREAK_BEFORE.finditer(text)]
        self.break_starts = [m.start() for m in _CLAUSE_BREAK_AFTER.finditer(text)]
        self.word_starts = [m.start() for m in _WORD.finditer(text)]

    def __call__(self, start: int, end: int) -> bool:
        text = self.text
        i = bisect_right(self.break_ends, start)
        lo = max(self.break_ends[i - 1] if i else 0, start - NEGATION_WINDOW)
        k = bisect_left(self.word_starts, start)
        if k >= _WORDS_BEFORE:
            lo = max(lo, self.word_starts[k - _WORDS_BEFORE])
        j = bisect_left(self.break_starts, end)
        clause_end = self.break_starts[j] if j < len(self.break_starts) else len(text)
        hi = min(clause_end, end + NEGATION_WINDOW)
        while end < hi < clause_end and _is_word(text[hi - 1]) and _is_word(text[hi]):
            hi -= 1  # never end the window inside a word: "out" must not match "outside"
        # pos/endpos instead of slices: no copies, and `\b` at `lo` still sees the character before it
        return bool(_NEG_BEFORE.search(text, lo, start) or _NEG_AFTER.match(text, end, hi))


def _scan_days(text: str, today: date) -> list[tuple[int, int, _Day]]:
    found: list[tuple[int, int, _Day]] = []
    negated = _Negations(text)
    taken = [False] * len(text)
    for kind, pattern in DAY_PATTERNS:
        for m in pattern.finditer(text):
            if any(taken[m.start() : m.end()]):
                continue
            day: _Day | None = None
            try:
                if kind == "iso":
                    day = _Day("date", date(int(m[1]), int(m[2]), int(m[3])))
                elif kind in {"md", "dm"}:
                    mon_s, day_s = (m[1], m[2]) if kind == "md" else (m[2], m[1])
                    if mon_s == "may":
                        continue  # "at 2 may work": the verb, not the month (needs "May")
                    month = MONTHS[mon_s.lower()[:3]]
                    d = int(day_s)
                    day = _Day("date", date(int(m[3]), month, d) if m[3] else _year_for(month, d, today))
                elif kind == "week":
                    day = _Day("week", "this" if m[1].lower() == "this" else "next")
                elif kind == "dayafter":
                    day = _Day("date", today + timedelta(days=2))
                elif kind == "rel":
                    word = m[1].lower()
                    day = _Day("date", today if word == "today" else today + timedelta(days=1))
                elif kind == "wd":
                    mod = m[1].lower() if m[1] else None
                    day = _Day("weekday", WEEKDAYS[m[2].lower()], "next" if mod == "next" else mod)
            except (ValueError, KeyError):
                day = None  # e.g. "Feb 30": not a date, ignore
            if day is not None:
                if negated(m.start(), m.end()):
                    day.modifier = "not"
                found.append((m.start(), m.end(), day))
                for i in range(m.start(), m.end()):
                    taken[i] = True
    return sorted(found, key=lambda f: f[0])


def _scan_times(text: str, day_start: time, day_end: time) -> list[tuple[int, int, tuple[time, time]]]:
    found: list[tuple[int, int, tuple[time, time]]] = []
    taken = [False] * len(text)
    for kind, pattern in TIME_PATTERNS:
        for m in pattern.finditer(text):
            if any(taken[m.start() : m.end()]):
                continue
            window: tuple[time, time] | None = None
            try:
                if kind in {"between", "range"}:
                    if kind == "range" and not _plausible_range(m[1], m[2]):
                        continue
                    window = _range(m[1], m[2])
                elif kind == "after":
                    start = _resolve(_clock(m[1]))
                    window = (start, day_end) if start < day_end else None
                elif kind == "before":
                    end = _resolve(_clock(m[1]))
                    window = (day_start, end) if end > day_start else None
                elif kind == "part":
                    window = PARTS_OF_DAY[m[1].lower()]
                elif kind == "allday":
                    window = (day_start, day_end)
                elif kind in {"at", "clock"}:
                    start = _resolve(_clock(m[1]))
                    window = (start, start)  # a start time; widened by the caller's duration
            except ValueError:
                window = None
            if window is not None:
                found.append((m.start(), m.end(), window))
                for i in range(m.start(), m.end()):
                    taken[i] = True
    return sorted(found, key=lambda f: f[0])


def _plausible_range(a: str, b: str) -> bool:
    """Reject '2026-12' style number pairs: both sides must be clock-like hours."""
    try:
        ca, cb = _clock(a), _clock(b)
    except ValueError:
        return False
    return ca.hour <= 23 and cb.hour <= 24


def _group(
    days: list[tuple[int, int, _Day]], times: list[tuple[int, int, tuple[time, time]]]
) -> list[_Group]:
    tokens: list[tuple[int, str, object]] = [(s, "d", d) for s, _, d in days] + [
        (s, "t", t) for s, _, t in times
    ]
    tokens.sort(key=lambda t: t[0])
    groups: list[_Group] = []
    current = _Group()
    prev: str | None = None
    for _, kind, value in tokens:
        if kind == "d":
            assert isinstance(value, _Day)
            if current.days and current.times and prev == "t":
                groups.append(current)
                current = _Group()
            if value.kind == "weekday" and value.modifier is None and current.days:
                last = current.days[-1]
                if last.kind == "weekday" and last.modifier == "next":
                    value = _Day("weekday", value.value, "next")  # "next Monday or Wednesday"
            current.days.append(value)
        else:
            current.times.append(value)  # type: ignore[arg-type]
        prev = kind
    if current.days or current.times:
        groups.append(current)
    return groups


def _dates_for(day: _Day, today: date) -> list[date]:
    if day.kind == "date":
        assert isinstance(day.value, date)
        return [day.value]
    monday = today - timedelta(days=today.weekday())
    if day.kind == "week":
        start = monday if day.value == "this" else monday + timedelta(days=7)
        return [d for d in (start + timedelta(days=i) for i in range(5)) if d > today or day.value == "next"]
    assert isinstance(day.value, int)
    if day.modifier == "next":
        return [monday + timedelta(days=7 + day.value)]
    if day.modifier == "this":
        this = monday + timedelta(days=day.value)
        return [this] if this >= today else [this + timedelta(days=7)]
    target = monday + timedelta(days=day.value)
    if target <= today:
        target += timedelta(days=7)
    return [target]


def _next_workdays(today: date, count: int) -> list[date]:
    out: list[date] = []
    d = today
    while len(out) < count:
        d += timedelta(days=1)
        if d.weekday() < 5:
            out.append(d)
    return out


def parse_time_windows(
    text: str,
    tz_name: str,
    reference: datetime,
    *,
    default_duration: timedelta = timedelta(hours=1),
    day_start: time = time(9),
    day_end: time = time(17),
) -> list[TimeWindow]:
    """Windows proposed in `text`, read in `tz_name`, relative to `reference` (an aware instant).

    Windows that ended before `reference` are dropped, overlapping ones merged, result sorted.
    A lone start time ("at 3pm") becomes a window of `default_duration`. Only the first
    `MAX_TEXT_CHARS` characters are read and at most `MAX_WINDOWS` windows built.
    """
    if reference.tzinfo is None or reference.utcoffset() is None:
        raise ValueError("reference must be an aware datetime")
    tz = zone(tz_name)
    today = reference.astimezone(tz).date()
    text = text[:MAX_TEXT_CHARS]
    days = _scan_days(text, today)
    masked = list(text)
    for s, e, _ in days:
        masked[s:e] = " " * (e - s)
    times = _scan_times("".join(masked), day_start, day_end)
    excluded_days = [day for _, _, day in days if day.modifier == "not"]
    excluded = {d for day in excluded_days if day.kind == "date" for d in _dates_for(day, today)}
    excluded_weekdays = {day.value for day in excluded_days if day.kind == "weekday"}
    days = [entry for entry in days if entry[2].modifier != "not"]
    windows: list[tuple[datetime, datetime]] = []
    for group in _group(days, times):
        dates = [d for day in group.days for d in _dates_for(day, today)] or (
            _next_workdays(today, 5) if group.times else []
        )
        # each date and span once: "Monday Monday ... 2pm 2pm ..." is one window, not a square of them
        dates = list(
            dict.fromkeys(d for d in dates if d not in excluded and d.weekday() not in excluded_weekdays)
        )
        spans = list(dict.fromkeys(group.times)) or [(day_start, day_end)]
        if len(spans) > 1:  # "any time Thursday morning": the specific part wins
            spans = [span for span in spans if span != (day_start, day_end)] or spans
        for d, (start_t, end_t) in islice(product(dates, spans), MAX_WINDOWS - len(windows)):
            local_start = datetime.combine(d, start_t, tzinfo=tz)
            utc_end = (
                local_start.astimezone(UTC) + default_duration
                if start_t == end_t
                else datetime.combine(d, end_t, tzinfo=tz).astimezone(UTC)
            )
            windows.append((local_start.astimezone(UTC), utc_end))
    ref = reference.astimezone(UTC)
    clipped = sorted((max(w_start, ref), w_end) for w_start, w_end in windows if w_end > ref)
    merged: list[tuple[datetime, datetime]] = []
    for w_start, w_end in clipped:
        if merged and w_start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], w_end))
        else:
            merged.append((w_start, w_end))
    return [TimeWindow(start=w_start, end=w_end) for w_start, w_end in merged]
