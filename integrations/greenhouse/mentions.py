"""Reading recruiters' notes: is Hireflow @mentioned, which command, which stage and job.

Pure functions, no I/O. A mention is matched two ways, since Greenhouse renders it both ways:
`body_with_tags` carries `@[Display Name](user:<id>)` for a user picked from the @ dropdown, and
`body` the plain `@Display Name` (also what a note posted through the API holds).
Free text around the command is fine; it becomes the recruiter's notes on the request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from models.mentions import MENTION_ACTIONS, MentionAction

TAG = re.compile(r"@\[(?P<name>[^\]]+)\]\(user:(?P<id>\d+)\)")
COMMAND = re.compile(
    r"\b(" + "|".join(sorted(MENTION_ACTIONS, key=len, reverse=True)) + r")\b", re.IGNORECASE
)
CLAUSE_END = re.compile(
    r"[.;:!?,\n()]|\s[-\u2013\u2014]\s|\s(?:and|but|because|since|she|he|they)\s", re.IGNORECASE
)
FILLER = frozenset(
    "a an the her his him them their this that candidate please pls now asap again for of stage stages "
    "interview interviews loop round rounds next one with me us it".split()
)
COMMANDS_HELP = (
    "Write a note that mentions {name} with one of: `schedule [stage]`, `reschedule`, `cancel`, "
    '`status`, `pause`, `resume`. For example: "@{name} schedule the onsite, she prefers mornings".'
)


def mention_text(body: str | None, body_with_tags: str | None, name: str, user_id: int | None) -> str | None:
    """The note without the mention of Hireflow, or None when Hireflow is not mentioned."""
    tagged = body_with_tags or ""
    for tag in TAG.finditer(tagged):
        if (user_id is not None and int(tag["id"]) == user_id) or tag["name"].strip().lower() == name.lower():
            rest = tagged[: tag.start()] + tagged[tag.end() :]
            return _tidy(TAG.sub(lambda m: "@" + m["name"], rest))
    plain = re.compile(r"@" + re.escape(name) + r"(?![\w])", re.IGNORECASE)
    text = body or tagged
    found = plain.search(text)
    if found is None:
        return None
    return _tidy(text[: found.start()] + text[found.end() :])


@dataclass(frozen=True)
class ParsedCommand:
    """The command in a note: `argument` is the words after it up to the end of its clause."""

    action: MentionAction | None
    argument: str = ""
    notes: str = ""


def parse_command(text: str) -> ParsedCommand:
    """The first command word in `text`; the rest of the note becomes the recruiter's notes."""
    found = COMMAND.search(text)
    if found is None:
        return ParsedCommand(None, "", text.strip())
    action: MentionAction = found.group(1).lower()  # type: ignore[assignment]
    tail = text[found.end() :]
    end = CLAUSE_END.search(tail)
    argument = (tail[: end.start()] if end else tail).strip()
    after = tail[end.start() :] if end else ""
    notes = _tidy(text[: found.start()] + " " + after)
    return ParsedCommand(action, argument, notes)


def meaningful_words(phrase: str) -> list[str]:
    """Lower-case words of a phrase without filler ("the", "her", "stage", ...)."""
    return [w for w in _words(phrase) if w not in FILLER]


@dataclass(frozen=True)
class Named:
    id: int
    name: str


def match_named(phrase: str, choices: Sequence[Named]) -> list[Named]:
    """Choices named in the phrase, else choices whose name holds every meaningful word of it.

    "the onsite" matches "Onsite"; "phone screen" matches "Phone Screen" (not "Technical Phone
    Screen", which only holds it); "screen" matches both. Among names in the phrase the longest wins.
    """
    words = set(meaningful_words(phrase))
    if not words:
        return []
    said = set(_words(phrase))
    named = [c for c in choices if (cw := set(_words(c.name))) and cw <= said]
    if named:
        longest = max(len(_words(c.name)) for c in named)
        return [c for c in named if len(_words(c.name)) == longest]
    return [c for c in choices if words <= set(_words(c.name))]


def jobs_named_in(text: str, jobs: Sequence[Named]) -> list[Named]:
    """Jobs whose full name appears in the note (case-insensitive, on word boundaries), most specific only."""
    lowered = f" {' '.join(_words(text))} "
    hits = [(j, f" {' '.join(_words(j.name))} ") for j in jobs]
    hits = [(j, name) for j, name in hits if name.strip() and name in lowered]
    # "Senior Backend Engineer" in the note also contains "Backend Engineer": the longer name is meant.
    return [j for j, name in hits if not any(name != other and name in other for _, other in hits)]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9+#]+", text.lower())


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\s*\n\s*", "\n", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return text.strip(" \t\n,;:-\u2013\u2014")
