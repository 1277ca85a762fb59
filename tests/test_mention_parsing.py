"""Reading recruiters' notes: the mention, the command, the stage and the job."""

from __future__ import annotations

import pytest

from integrations.greenhouse.mentions import (
    Named,
    jobs_named_in,
    match_named,
    mention_text,
    parse_command,
)

HIREFLOW = 4080011001


def test_a_tag_by_user_id_is_a_mention_and_other_tags_read_as_names() -> None:
    tagged = "@[Hireflow](user:4080011001) schedule the onsite, loop in @[Sam Lee](user:77)"
    assert mention_text("ignored", tagged, "Hireflow", HIREFLOW) == "schedule the onsite, loop in @Sam Lee"


def test_a_tag_renamed_user_still_matches_by_id_and_a_tag_of_someone_else_does_not() -> None:
    assert mention_text("", "@[Scheduling Bot](user:4080011001) status", "Hireflow", HIREFLOW) == "status"
    assert mention_text("@Sam Lee schedule", "@[Sam Lee](user:77) schedule", "Hireflow", HIREFLOW) is None


def test_plain_display_name_is_a_mention_case_insensitively_but_not_inside_a_longer_name() -> None:
    assert mention_text("Hi @hireflow please cancel", None, "Hireflow", HIREFLOW) == "Hi please cancel"
    assert mention_text("cc @HireflowAdmin cancel", None, "Hireflow", HIREFLOW) is None
    assert mention_text("no mention here: schedule", None, "Hireflow", HIREFLOW) is None


def test_the_configured_name_is_matched() -> None:
    assert mention_text("@Scheduling Bot reschedule", None, "Scheduling Bot", None) == "reschedule"


@pytest.mark.parametrize(
    ("text", "action", "argument", "notes"),
    [
        ("schedule the onsite, she prefers mornings", "schedule", "the onsite", "she prefers mornings"),
        ("Please schedule Phone Screen. Thanks!", "schedule", "Phone Screen", "Please. Thanks!"),
        ("schedule", "schedule", "", ""),
        ("reschedule - the candidate is travelling", "reschedule", "", "the candidate is travelling"),
        ("can you give me the status?", "status", "", "can you give me the?"),
        ("PAUSE until Monday", "pause", "until Monday", ""),
        ("resume", "resume", "", ""),
        ("cancel: role was filled", "cancel", "", "role was filled"),
    ],
)
def test_commands_are_found_among_free_text(text: str, action: str, argument: str, notes: str) -> None:
    parsed = parse_command(text)
    assert (parsed.action, parsed.argument, parsed.notes) == (action, argument, notes)


def test_reschedule_is_not_read_as_schedule_and_no_command_says_so() -> None:
    assert parse_command("we need to reschedule her").action == "reschedule"
    assert parse_command("what a great candidate").action is None


STAGES = [
    Named(1, "Application Review"),
    Named(2, "Phone Screen"),
    Named(3, "Onsite"),
    Named(4, "Technical Phone Screen"),
]


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("the onsite", [3]),
        ("onsite interviews", [3]),
        ("phone screen", [2]),
        ("technical phone screen", [4]),
        ("screen", [2, 4]),
        ("her", []),
        ("", []),
        ("onsight", []),
    ],
)
def test_stages_match_by_their_words(phrase: str, expected: list[int]) -> None:
    assert [s.id for s in match_named(phrase, STAGES)] == expected


def test_jobs_are_found_by_their_full_name() -> None:
    jobs = [Named(10, "Backend Engineer"), Named(11, "Senior Backend Engineer"), Named(12, "Designer")]
    assert [j.id for j in jobs_named_in("onsite for the Designer role", jobs)] == [12]
    assert [j.id for j in jobs_named_in("schedule the senior backend engineer onsite", jobs)] == [11]
    assert jobs_named_in("schedule the onsite", jobs) == []
