"""The arguments of the assessment commands: which test a note names and by how long to extend it.

Pure functions, no I/O, linear in the note's length like `mentions.py` (a note is anyone's text):
every pattern here starts only where a word or number starts and reads a bounded stretch after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as date_type
from datetime import timedelta

MAX_EXTENSION_DAYS = 30
"""Longest extension one note may ask for. Longer is almost always a typo ("by 300 days")."""

# A word that makes "send" or "extend" an assessment command rather than free text around another one
# ("send me the status", "extend the loop, schedule the onsite" stay `status` and `schedule`).
ASSESSMENT_NOUN = re.compile(
    r"\b(?:assessments?|tests?|quiz(?:zes)?|challenges?|exercises?|assignments?|homework|take[- ]?home)\b",
    re.IGNORECASE,
)
DEADLINE = re.compile(r"\bdeadlines?\b", re.IGNORECASE)

_WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "hundred": 100,
}  # fmt: skip
_UNIT_HOURS = {"h": 1, "hr": 1, "hrs": 1, "hour": 1, "hours": 1, "d": 24, "day": 24, "days": 24}
_UNIT_HOURS |= {"w": 168, "wk": 168, "wks": 168, "week": 168, "weeks": 168}
_NUMBER_WORDS = "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True))
_UNITS = "|".join(sorted(_UNIT_HOURS, key=len, reverse=True))
# Starts only where a number or word starts (no digit, letter or "." before it), so a run of digits is
# read once, not from each of its positions; every gap is bounded.
DURATION = re.compile(
    r"(?<![\w.])(?P<sign>[-+\u2212]\s{0,2}|minus\s{1,3})?"
    rf"(?P<number>\d+(?:[.,]\d+)?|(?:{_NUMBER_WORDS})\b)"
    r"\s{0,3}(?:-\s{0,2})?(?:(?:more|extra|additional|further)\s{1,3})?"
    rf"(?P<unit>{_UNITS})(?!\w)",
    re.IGNORECASE,
)
_BY = re.compile(r"\b(?:by|for|with|of)\s*$", re.IGNORECASE)
HOW_TO_EXTEND = (
    'Say by how long in hours, days or weeks, for example "extend the assessment by 3 days" '
    f"(at most {MAX_EXTENSION_DAYS} days at a time)."
)


@dataclass(frozen=True)
class Extension:
    """The extension a note asks for: whole hours, or `problem` (the reply) when it cannot be done."""

    hours: int = 0
    phrase: str = ""  # the argument without the duration: what names the test, if anything
    problem: str = ""


def parse_extension(argument: str) -> Extension:
    """The duration in `extend <argument>`: "by 3 days", "by a week", "2 weeks", "36 hours", "1.5 days"."""
    found = list(DURATION.finditer(argument))
    if not found:
        return Extension(phrase=argument, problem=f"I could not tell by how long to extend. {HOW_TO_EXTEND}")
    said = found[0]
    hours = _hours(said)
    if any(_hours(other) != hours for other in found[1:]):
        listed = ", ".join(f'"{m.group(0).strip()}"' for m in found[:5])
        return Extension(problem=f"I read more than one duration ({listed}); give one. {HOW_TO_EXTEND}")
    phrase = _without(argument, found)
    quoted = said.group(0).strip()
    if hours is None:
        return Extension(phrase=phrase, problem=f'"{quoted}" is not a whole number of hours. {HOW_TO_EXTEND}')
    if hours <= 0:
        sign = "a negative" if hours < 0 else "no"
        return Extension(
            phrase=phrase,
            problem=f'"{quoted}" is {sign} extension: a deadline only moves later. {HOW_TO_EXTEND}',
        )
    if hours > MAX_EXTENSION_DAYS * 24:
        return Extension(
            phrase=phrase,
            problem=(
                f'"{quoted}" is longer than I extend a deadline by ({MAX_EXTENSION_DAYS} days at a time). '
                "If that is really meant, extend in steps or send the assessment again."
            ),
        )
    return Extension(hours=hours, phrase=phrase)


def _without(argument: str, durations: list[re.Match[str]]) -> str:
    """The argument with each duration (and the "by" before it) taken out: what may name the test."""
    pieces, start = [], 0
    for match in durations:
        pieces.append(_BY.sub("", argument[start : match.start()]))
        start = match.end()
    pieces.append(argument[start:])
    return " ".join(" ".join(pieces).split())


def describe_hours(hours: int) -> str:
    """36 → "1 day and 12 hours", 168 → "7 days", 5 → "5 hours"."""
    days, rest = divmod(hours, 24)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{rest} hour{'s' if rest != 1 else ''}"] if rest else []
    return " and ".join(parts)


def _hours(match: re.Match[str]) -> int | None:
    """Whole hours said by a DURATION match (negative when it carries a minus), None when not whole."""
    number = match["number"].lower().replace(",", ".")
    if len(number) > 9:  # far beyond any bound, and int() of a long digit string is itself work
        value = 10.0**9
    else:
        value = float(_WORD_NUMBERS[number]) if number in _WORD_NUMBERS else float(number)
    total = value * _UNIT_HOURS[match["unit"].lower()]
    if (match["sign"] or "").strip().lower() in ("-", "\u2212", "minus"):
        total = -total
    return int(total) if total == int(total) else None


# ------------------------------------------------------------------------------------------- events

# What makes `schedule` a recruiting event rather than one candidate's loop: the clause names a kind
# of event ("schedule a hiring day", "schedule the super day", "schedule a recruiting event"). A bare
# "onsite" stays a single loop; "onsite day" is an event. Starts only at a word start, reads <= 3 spaces.
EVENT_NOUN = re.compile(
    r"\b(?:(?:hiring|recruiting|recruitment|onsite|on-site|interview|interviewing|assessment|super|career)"
    r"[\s-]{0,3}(?:days?|events?)|superdays?)\b",
    re.IGNORECASE,
)
MAX_EVENT_DAYS = 5  # as models.event_io.MAX_EVENT_DAYS (a test keeps them equal)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_WEEKDAYS = frozenset(
    "monday mon tuesday tue tues wednesday wed thursday thu thur thurs friday fri saturday sat sunday sun".split()
)
_LIST_WORDS = frozenset({"and", "&", ","})
_RANGE_WORDS = frozenset({"-", "\u2013", "\u2014", "to", "until", "till", "through", "thru"})
# One token per match; no pattern rescans a run: digits, letters and single marks are each read once.
_TOKEN = re.compile(
    r"(?<!\d)(?:(?P<iso>\d{4}-\d{1,2}-\d{1,2})(?![\d-])|(?P<num>\d++)(?P<ord>st|nd|rd|th)?(?!\w))"
    r"|(?P<word>[^\W\d_]+)|(?P<mark>[,&\-\u2013\u2014])",
    re.IGNORECASE,
)
EVENT_FILLER = frozenset(
    "on at in and or from to for the a an our we our us of by between this next coming week weeks "
    "day days event events please pls let lets let's is be thanks thank you cheers".split()
)
HOW_TO_DATE = (
    'Give the days like "on 24 March", "on March 24 and 25", "on 24-26 March 2027" or "on 2027-03-24" '
    f"(at most {MAX_EVENT_DAYS} days)."
)


@dataclass(frozen=True)
class SaidDate:
    """A date as the note says it: the year is None when the note leaves it out."""

    day: int
    month: int
    year: int | None
    text: str

    def label(self) -> str:
        if not 1 <= self.month <= 12:
            return self.text
        month = next(name for name, n in _MONTHS.items() if n == self.month).capitalize()
        return f"{self.day} {month}" + (f" {self.year}" if self.year is not None else "")


@dataclass(frozen=True)
class EventArguments:
    """The dates an event note names (single days and first-last ranges), its kind, and the rest of
    the words (what names the job and stage); `problem` when no date was found."""

    dates: tuple[tuple[SaidDate, SaidDate | None], ...] = ()
    kind: str = "hiring day"
    subject: str = ""
    problem: str = ""


@dataclass
class _Tok:
    kind: str  # iso, num, word, mark
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()


def parse_event(argument: str) -> EventArguments:
    """Read `schedule <argument>` of an event note: "a hiring day on 24 March for the Backend Engineer onsite".

    Dates: ISO (2027-03-24), "24 March [2027]", "24th of March", "March 24[, 2027]", lists ("24 and 25
    March", "March 24, 25 and 26") and ranges ("24-26 March", "30 March to 2 April"). Linear: the
    note is cut into tokens once, and every token is looked at a bounded number of times.
    """
    noun = EVENT_NOUN.search(argument)
    kind = " ".join(noun.group(0).lower().replace("-", " ").split()) if noun else "hiring day"
    kind = kind.removesuffix("s") if kind.endswith(("days", "events")) else kind
    # "24th" is a number token whose text carries its ordinal (its last group is "ord").
    tokens = [
        _Tok("num" if m.lastgroup == "ord" else str(m.lastgroup), m.group(0), m.start(), m.end())
        for m in _TOKEN.finditer(argument)
    ]
    dates: list[tuple[SaidDate, SaidDate | None]] = []
    taken: list[tuple[int, int]] = [(noun.start(), noun.end())] if noun else []
    open_range = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if (
            token.kind == "mark"
        ):  # starts no date (as `_date_at` would say): skipped cheaply, hostile notes are full of them
            open_range = False
            i += 1
            continue
        found, end = _date_at(tokens, i)
        if found:
            if open_range and dates and dates[-1][1] is None and len(found) == 1 and found[0][1] is None:
                dates[-1] = (dates[-1][0], found[0][0])  # "30 March to 2 April": closes the open range
            else:
                dates.extend(found)
            taken.append((token.start, tokens[end - 1].end))
            open_range = end < len(tokens) and tokens[end].lower in _RANGE_WORDS
            i = end + 1 if open_range else end  # the range word is read with the range
            continue
        if token.lower in _WEEKDAYS:
            taken.append((token.start, token.end))  # "Tuesday 24 March": the weekday says nothing more
        else:
            open_range = False
        i = max(end, i + 1)
    subject = _without_spans(argument, taken)
    if not dates:
        return EventArguments(
            kind=kind, subject=subject, problem=f"I could not tell on which days. {HOW_TO_DATE}"
        )
    return EventArguments(dates=tuple(dates), kind=kind, subject=subject)


def _date_at(tokens: list[_Tok], i: int) -> tuple[list[tuple[SaidDate, SaidDate | None]], int]:
    """The dates starting at token i and the token after them; none (and where to go on) when none starts."""
    token = tokens[i]
    if token.kind == "iso":
        iso_year, iso_month, iso_day = (int(part) for part in token.text.split("-"))
        return [(SaidDate(iso_day, iso_month, iso_year, token.text), None)], i + 1
    if token.kind == "word" and token.lower in _MONTHS:  # "March 24", "March 24, 25 and 26", "March 24-26"
        days, end = _day_list(tokens, i + 1)
        if not days:
            return [], i + 1
        month = _MONTHS[token.lower]
        year, end = _year(tokens, end)
        return _group(days, month, year, tokens, i, end), end
    if token.kind == "num":  # "24 March", "24 and 25 March", "24-26 March", "24th of March"
        days, end = _day_list(tokens, i)
        if not days:
            return [], i + 1
        at = end + 1 if end < len(tokens) and tokens[end].lower == "of" else end
        if at < len(tokens) and tokens[at].lower in _MONTHS:
            year, after = _year(tokens, at + 1)
            return _group(days, _MONTHS[tokens[at].lower], year, tokens, i, after), after
        return [], end  # the same numbers read from a later one end the same way: go on after them
    return [], i + 1


def _day_list(tokens: list[_Tok], i: int) -> tuple[list[tuple[int, bool]], int]:
    """Day numbers joined by "," / "and" / "&" (False) or a range word (True: a range to this day)."""
    days: list[tuple[int, bool]] = []
    ranged = False
    while i < len(tokens):
        day = _day(tokens[i])
        if day is None:
            break
        days.append((day, ranged))
        i += 1
        if i + 1 < len(tokens) and _day(tokens[i + 1]) is not None:
            word = tokens[i].lower
            if word in _LIST_WORDS or word in _RANGE_WORDS:
                ranged = word in _RANGE_WORDS
                i += 1
                continue
        if i + 2 < len(tokens) and tokens[i].lower == "," and tokens[i + 1].lower == "and":
            if _day(tokens[i + 2]) is not None:  # "24, 25, and 26 March"
                ranged = False
                i += 2
                continue
        break
    return days, i


def _day(token: _Tok) -> int | None:
    if token.kind != "num":
        return None
    digits = token.text.rstrip("stndrhSTNDRH")
    return int(digits) if len(digits) <= 2 and 1 <= int(digits) <= 31 else None


def _year(tokens: list[_Tok], i: int) -> tuple[int | None, int]:
    """A year after a date ("24 March 2027", "March 24, 2027"), and the token after it."""
    at = i + 1 if i < len(tokens) and tokens[i].lower == "," else i
    if (
        at < len(tokens)
        and tokens[at].kind == "num"
        and len(tokens[at].text) == 4
        and tokens[at].text.isdigit()
    ):
        return int(tokens[at].text), at + 1
    return None, i


def _group(
    days: list[tuple[int, bool]], month: int, year: int | None, tokens: list[_Tok], start: int, end: int
) -> list[tuple[SaidDate, SaidDate | None]]:
    text = " ".join(t.text for t in tokens[start:end])
    said = [(SaidDate(day, month, year, text), ranged) for day, ranged in days]
    group: list[tuple[SaidDate, SaidDate | None]] = []
    for date_said, ranged in said:
        if ranged and group and group[-1][1] is None:
            group[-1] = (group[-1][0], date_said)
        else:
            group.append((date_said, None))
    return group


def _without_spans(text: str, spans: list[tuple[int, int]]) -> str:
    pieces, at = [], 0
    for start, end in sorted(spans):
        if start >= at:
            pieces.append(text[at:start])
            at = end
    pieces.append(text[at:])
    return " ".join(" ".join(pieces).split())


def event_days(
    dates: tuple[tuple[SaidDate, SaidDate | None], ...], today: date_type
) -> tuple[list[date_type], str]:
    """The days the dates name; a date without a year is the next one on or after `today`.

    The problem (a reply) when a date does not exist, has passed, a range runs backwards or there are
    more than MAX_EVENT_DAYS days.
    """
    days: set[date_type] = set()
    for first, last in dates:
        start, problem = _resolve(first, today)
        if problem:
            return [], problem
        if last is None:
            days.add(start)
            continue
        end, problem = _resolve(last, start)
        if problem and not (last.year is not None and "has passed" in problem):
            return [], problem
        if problem or end < start:
            return [], f'"{first.label()} to {last.label()}" runs backwards. {HOW_TO_DATE}'
        if (end - start).days >= MAX_EVENT_DAYS:
            return [], _too_many((end - start).days + 1)
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
        if len(days) > MAX_EVENT_DAYS:
            break
    if len(days) > MAX_EVENT_DAYS:
        return [], _too_many(len(days))
    return sorted(days), ""


def _too_many(count: int) -> str:
    return (
        f"That is {count} days; an event has at most {MAX_EVENT_DAYS}. "
        "Split it into events of a few days each, one note per event."
    )


def _resolve(said: SaidDate, today: date_type) -> tuple[date_type, str]:
    if said.year is not None:
        try:
            found = date_type(said.year, said.month, said.day)
        except ValueError:
            return today, f'"{said.text}" is not a date. {HOW_TO_DATE}'
        if found < today:
            return today, (
                f"{found:%A} {found.day} {found:%B %Y} has passed; "
                f"give days from today ({today.day} {today:%B %Y}) on."
            )
        return found, ""
    for year in range(today.year, today.year + 9):  # 29 February waits for a leap year
        try:
            found = date_type(year, said.month, said.day)
        except ValueError:
            if said.day > 29 or said.month != 2:
                return today, f'"{said.label()}" is not a date. {HOW_TO_DATE}'
            continue
        if found >= today:
            return found, ""
    return today, f'"{said.label()}" is not a date. {HOW_TO_DATE}'


def subject_words(subject: str) -> str:
    """The subject without event filler ("on", "for", "day", ...): the words that name a job and stage."""
    return " ".join(w for w in subject.split() if w.lower().strip(",.;:!?") not in EVENT_FILLER)
