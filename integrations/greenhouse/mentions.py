"""Reading recruiters' notes: is Hireflow @mentioned, which command, which stage and job.

Pure functions, no I/O. A mention is matched two ways, since Greenhouse renders it both ways:
`body_with_tags` carries `@[Display Name](user:<id>)` for a user picked from the @ dropdown, and
`body` the plain `@Display Name` (also what a note posted through the API holds).
Free text around the command is fine; it becomes the recruiter's notes on the request.

Any Greenhouse user can write a note, so every function here runs in linear time in the note's length
(no pattern can rescan a run of characters from each of its positions). Long notes are still work:
async callers run `mention_text` in a thread, and `MentionNote` keeps at most `NOTE_TEXT_MAX_CHARS`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from integrations.greenhouse.mention_arguments import ASSESSMENT_NOUN, DEADLINE, DURATION, EVENT_NOUN
from models.mentions import COMMAND_WORDS, NOTE_TEXT_MAX_CHARS, MentionAction

# A name holds no bracket: `[^\]]+` ran from every "@[" to the end of the note ("@[" * 40000: 10 s).
TAG = re.compile(r"@\[(?P<name>[^\[\]]+)\]\(user:(?P<id>\d+)\)")
COMMAND = re.compile(r"\b(" + "|".join(sorted(COMMAND_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
# A "." between digits ("1.5 days") does not end a clause.
CLAUSE_END = re.compile(
    r"[;:!?,\n()]|(?<!\d)\.|\.(?!\d)|\s[-\u2013\u2014]\s|\s(?:and|but|because|since|she|he|they)\s",
    re.IGNORECASE,
)
# "send" and "extend" are ordinary words too: they are commands only when their clause says what for
# (an assessment noun; for extend also a deadline or a duration). Otherwise the next command word counts.
GUARDS: dict[str, tuple[re.Pattern[str], ...]] = {
    "send": (ASSESSMENT_NOUN,),
    "extend": (ASSESSMENT_NOUN, DEADLINE, DURATION),
}
# A `schedule` whose clause names a kind of event ("a hiring day", "the super day") is a recruiting
# event: its argument runs on to the end of the sentence, so that "24 and 25 March" and
# "Backend Engineer, Onsite" stay in it.
SENTENCE_END = re.compile(r"[;!?\n]|(?<!\d)\.|\.(?!\d)")
FILLER = frozenset(
    "a an the her his him them their this that candidate please pls now asap again for of stage stages "
    "interview interviews loop round rounds next one with me us it".split()
)
NOTE_TOO_LONG = (
    f"This note is too long for me to read: I read notes of up to {NOTE_TEXT_MAX_CHARS:,} characters. "
    "Please mention me again in a shorter note with the command and your notes."
)
COMMANDS_HELP = (
    "Write a note that mentions {name} with one of: `schedule [stage]`, `reschedule`, `cancel`, "
    "`status`, `pause`, `resume`, `send the <test name> assessment`, "
    "`extend the [test name] assessment by <N> days`, "
    "`schedule a hiring day on <day(s)> [for <job>] [<stage>]` (a recruiting event for every candidate "
    "in the stage; up to 5 days). "
    'For example: "@{name} schedule the onsite, she prefers mornings" or '
    '"@{name} schedule a hiring day on 24 March for the Backend Engineer onsite".'
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
    """The first command word in `text` (see GUARDS); the rest of the note becomes the recruiter's notes.

    Linear: clause ends and guard words are each searched forward from a cursor that only moves on,
    so a note of a thousand bare "send"s reads each character a bounded number of times.
    """
    ends = _Cursor(CLAUSE_END, text)
    guards = {action: [_Cursor(p, text) for p in patterns] for action, patterns in GUARDS.items()}
    events = _Cursor(EVENT_NOUN, text)
    for found in COMMAND.finditer(text):
        action: MentionAction = found.group(1).lower()  # type: ignore[assignment]
        end = ends.next_at(found.end())
        clause_end = end.start() if end else len(text)
        if action in guards and not any(
            (hit := g.next_at(found.end())) is not None and hit.start() < clause_end for g in guards[action]
        ):
            continue
        if (
            action == "schedule"
            and (noun := events.next_at(found.end())) is not None
            and noun.start() < clause_end
        ):
            return _event_command(text, found)
        tail = text[found.end() :]
        argument = text[found.end() : clause_end].strip()
        after = tail[clause_end - found.end() :] if end else ""
        notes = _tidy(text[: found.start()] + " " + after)
        return ParsedCommand(action, argument, notes)
    return ParsedCommand(None, "", text.strip())


def _event_command(text: str, found: re.Match[str]) -> ParsedCommand:
    """`schedule a hiring day ...`: the argument is the rest of the sentence (one search: it returns)."""
    end = SENTENCE_END.search(text, found.end())
    sentence_end = end.start() if end else len(text)
    argument = text[found.end() : sentence_end].strip()
    notes = _tidy(text[: found.start()] + " " + text[sentence_end:])
    return ParsedCommand("event", argument, notes)


class _Cursor:
    """The first match of `pattern` at or after a position that only grows, searched again only when passed."""

    def __init__(self, pattern: re.Pattern[str], text: str) -> None:
        self.pattern, self.text = pattern, text
        self.match: re.Match[str] | None = None
        self.searched_from = -1

    def next_at(self, pos: int) -> re.Match[str] | None:
        if self.searched_from < 0 or (self.match is not None and self.match.start() < pos):
            self.match = self.pattern.search(self.text, pos)
            self.searched_from = pos
        return self.match


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


# Each whitespace pattern starts only where a run of whitespace starts: searched from every position of
# a long run (80,000 em-spaces), `\s*\n\s*` and `\s+[.,]` read the rest of the run each time (50 s).
_SPACE_AROUND_NEWLINE = re.compile(r"(?<!\s)\s*\n\s*")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"(?<!\s)\s+([.,;:!?])")


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+", " ", text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    return text.strip(" \t\n,;:-\u2013\u2014")
