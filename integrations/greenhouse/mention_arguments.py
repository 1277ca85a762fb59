"""The arguments of the assessment commands: which test a note names and by how long to extend it.

Pure functions, no I/O, linear in the note's length like `mentions.py` (a note is anyone's text):
every pattern here starts only where a word or number starts and reads a bounded stretch after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
