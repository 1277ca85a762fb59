"""Reading the assessment commands in notes: `send the <test> assessment`, `extend ... by N days`.

"send" and "extend" are ordinary English too, so they are commands only when their clause says what
for; the scheduling commands read exactly as before. Durations are bounded and parsed in linear time.
"""

from __future__ import annotations

import time

import pytest

from integrations.greenhouse.mention_arguments import (
    MAX_EXTENSION_DAYS,
    describe_hours,
    parse_extension,
)
from integrations.greenhouse.mentions import COMMANDS_HELP, parse_command
from models.assessment_io import ExtendAssessmentInput
from models.command_authorisation import CommandRoles


@pytest.mark.parametrize(
    ("text", "action", "argument", "notes"),
    [
        ("send the Python basics assessment", "send", "the Python basics assessment", ""),
        ("please send her the SQL quiz, she is keen", "send", "her the SQL quiz", "please, she is keen"),
        ("send the take-home", "send", "the take-home", ""),
        ("extend the assessment by 3 days", "extend", "the assessment by 3 days", ""),
        ("extend by a week - she is travelling", "extend", "by a week", "she is travelling"),
        (
            "extend the Python basics assessment by 1.5 days.",
            "extend",
            "the Python basics assessment by 1.5 days",
            ".",
        ),
        ("extend the deadline", "extend", "the deadline", ""),
    ],
)
def test_assessment_commands_are_read_with_their_argument(
    text: str, action: str, argument: str, notes: str
) -> None:
    parsed = parse_command(text)
    assert (parsed.action, parsed.argument, parsed.notes) == (action, argument, notes)


@pytest.mark.parametrize(
    ("text", "action", "argument"),
    [
        # The example: the first command word wins, "send" in the notes stays free text.
        ("schedule the onsite, and send her the agenda", "schedule", "the onsite"),
        # "send"/"extend" without an assessment (or a duration) is not a command: the next word is.
        ("send her the agenda and schedule the onsite", "schedule", "the onsite"),
        ("can you send me the status?", "status", ""),
        ("extend the loop to 4 interviewers - reschedule", "reschedule", ""),
        ("we must extend our offer, cancel it", "cancel", "it"),
        ("send the agenda", None, ""),
    ],
)
def test_send_and_extend_in_free_text_do_not_take_over_other_commands(
    text: str, action: str | None, argument: str
) -> None:
    parsed = parse_command(text)
    assert (parsed.action, parsed.argument) == (action, argument)


def test_a_clause_ends_at_a_full_stop_but_not_inside_a_number() -> None:
    assert parse_command("Please schedule Phone Screen. Thanks!").argument == "Phone Screen"
    assert parse_command("schedule the onsite. 2.5 hours is fine").argument == "the onsite"
    assert parse_command("extend by 2.5 days").argument == "by 2.5 days"


@pytest.mark.parametrize(
    ("argument", "hours", "phrase"),
    [
        ("the assessment by 3 days", 72, "the assessment"),
        ("by a week", 168, ""),
        ("by 2 weeks", 336, ""),
        ("by 36 hours", 36, ""),
        ("by 12h", 12, ""),
        ("by an hour", 1, ""),
        ("by three more days", 72, ""),
        ("by 1.5 days", 36, ""),
        ("the Python basics assessment by 2 days", 48, "the Python basics assessment"),
        ("by 2 days the SQL fundamentals test", 48, "the SQL fundamentals test"),
        ("by 30 days", 720, ""),
    ],
)
def test_durations_are_read_in_whole_hours(argument: str, hours: int, phrase: str) -> None:
    extension = parse_extension(argument)
    assert (extension.problem, extension.hours, extension.phrase) == ("", hours, phrase)


@pytest.mark.parametrize(
    ("argument", "says"),
    [
        ("by 0 days", '"0 days" is no extension'),
        ("by -3 days", '"-3 days" is a negative extension'),
        ("by minus 2 days", '"minus 2 days" is a negative extension'),
        ("by \u22122 days", "is a negative extension"),
        ("by 31 days", f"longer than I extend a deadline by ({MAX_EXTENSION_DAYS} days"),
        ("by 5 weeks", "longer than I extend a deadline by"),
        ("by 99999999999999999999999 days", "longer than I extend a deadline by"),
        ("by 2.5 hours", "is not a whole number of hours"),
        ("by 3 days or 4 days", 'more than one duration ("3 days", "4 days")'),
        ("the assessment", "I could not tell by how long to extend"),
        ("", "I could not tell by how long to extend"),
        ("until Friday", "I could not tell by how long to extend"),
    ],
)
def test_durations_that_cannot_be_done_are_refused_with_how_to_say_it(argument: str, says: str) -> None:
    extension = parse_extension(argument)
    assert says in extension.problem and extension.hours == 0
    assert (
        "by how long in hours, days or weeks" in extension.problem or "extend in steps" in extension.problem
    )


def test_hours_read_as_people_say_them() -> None:
    assert [describe_hours(h) for h in (1, 5, 24, 36, 48, 168)] == [
        "1 hour",
        "5 hours",
        "1 day",
        "1 day and 12 hours",
        "2 days",
        "7 days",
    ]


def test_the_extend_update_takes_hours_and_refuses_nothing() -> None:
    assert ExtendAssessmentInput(days=1, hours=12, request_id="n").by.total_seconds() == 36 * 3600
    assert ExtendAssessmentInput.model_validate({"days": 3, "request_id": "n"}).hours == 0  # older payloads
    with pytest.raises(ValueError, match="at least one hour"):
        ExtendAssessmentInput(days=0, hours=0, request_id="n")
    with pytest.raises(ValueError):
        ExtendAssessmentInput(days=0, hours=24, request_id="n")


def test_help_lists_the_new_commands_and_they_change_the_process() -> None:
    assert "`send the <test name> assessment`" in COMMANDS_HELP
    assert "`extend the [test name] assessment by <N> days`" in COMMANDS_HELP
    roles = CommandRoles.default()
    for command in ("send", "extend"):  # the same people who may schedule or cancel, not any job permission
        rule = roles.rule_for(command)
        assert rule == roles.rule_for("cancel").model_copy(update={"command": command})
        assert not rule.allows_job_role("Hiring Manager")
    assert CommandRoles.model_validate({"send": ["site_admin"]}).rule_for("send").recruiter is False


HOSTILE_UNITS = ["send ", "extend ", "send, ", "9", "1.", "a ", "- ", "minus ", "3 \u2003", "extend 3 "]


@pytest.mark.timeout(10)
@pytest.mark.parametrize("unit", HOSTILE_UNITS)
def test_hostile_notes_are_read_in_linear_time(unit: str) -> None:
    """200 KB (20 times the note cap) of each unit in well under a second for both parsers; a quadratic
    parse of it would take minutes (the benchmark measures 1 MB: benchmarks/parsers.py)."""
    text = (unit * (200_000 // len(unit) + 1))[:200_000]
    start = time.thread_time()
    parse_command(text)
    parse_extension(text)
    elapsed = time.thread_time() - start
    assert elapsed < 0.5, f"{unit!r}: {elapsed:.2f} s"
