"""Reading the event form of `schedule` in notes: `schedule a hiring day on 24 March for the Backend Engineer onsite`.

A `schedule` whose clause names a kind of event is an `event` command whose argument runs to the end
of its sentence; the dates are read in many phrasings, resolved against today (a date without a year
is the next one on or after it) and bounded; hostile notes are read in linear time.
"""

from __future__ import annotations

import time
from datetime import date

import pytest

from activities.mention_events import _stage, _without_name, days_label
from integrations.greenhouse import mention_arguments
from integrations.greenhouse.command_authorisation import (
    Allowed,
    HeldJobRole,
    Refused,
    decide_on_job,
    job_rule,
    refusal_reply,
)
from integrations.greenhouse.mention_arguments import event_days, parse_event, subject_words
from integrations.greenhouse.mentions import COMMANDS_HELP, Named, parse_command
from models import event_io
from models.command_authorisation import CommandRoles
from models.greenhouse import User

TODAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("text", "argument", "notes"),
    [
        (
            "schedule a hiring day on 24 March for the Backend Engineer onsite",
            "a hiring day on 24 March for the Backend Engineer onsite",
            "",
        ),
        (
            "Please schedule a recruiting event on 2027-03-24 and 25 March for Backend Engineer, Onsite. Thanks!",
            "a recruiting event on 2027-03-24 and 25 March for Backend Engineer, Onsite",
            "Please. Thanks!",
        ),
        ("schedule our super day: March 24-26\nlet me know", "our super day: March 24-26", "let me know"),
        ("can you schedule the onsite day on 2.3.? ok", "the onsite day on 2.3", "can you.? ok"),
        ("schedule a superday on 3 April; cc Sam", "a superday on 3 April", "cc Sam"),
    ],
)
def test_a_schedule_naming_an_event_is_an_event_command_to_the_end_of_its_sentence(
    text: str, argument: str, notes: str
) -> None:
    parsed = parse_command(text)
    assert (parsed.action, parsed.argument, parsed.notes) == ("event", argument, notes)


@pytest.mark.parametrize(
    ("text", "action", "argument"),
    [
        ("schedule the onsite, hiring day is in March", "schedule", "the onsite"),
        ("schedule the onsite", "schedule", "the onsite"),
        ("status of the hiring day?", "status", "of the hiring day"),
        ("the hiring day on 24 March", None, ""),
        ("reschedule the hiring day", "reschedule", "the hiring day"),
    ],
)
def test_only_a_schedule_clause_that_names_an_event_is_one(
    text: str, action: str | None, argument: str
) -> None:
    parsed = parse_command(text)
    assert (parsed.action, parsed.argument) == (action, argument)


@pytest.mark.parametrize(
    ("argument", "days", "kind"),
    [
        ("a hiring day on 24 March", [date(2027, 3, 24)], "hiring day"),
        ("a hiring day on March 24", [date(2027, 3, 24)], "hiring day"),
        ("a hiring day on 24th of March", [date(2027, 3, 24)], "hiring day"),
        ("a hiring day on Tuesday 24 Mar 2027", [date(2027, 3, 24)], "hiring day"),
        ("a hiring day on March 24, 2027", [date(2027, 3, 24)], "hiring day"),
        ("a recruiting event on 2027-03-24 and 25 March", [date(2027, 3, 24), date(2027, 3, 25)], "recruiting event"),
        ("the super day on 24, 25 and 26 March", [date(2027, 3, d) for d in (24, 25, 26)], "super day"),
        ("the hiring days on March 24, 25, and 26", [date(2027, 3, d) for d in (24, 25, 26)], "hiring day"),
        ("the hiring days 24-26 March 2027", [date(2027, 3, d) for d in (24, 25, 26)], "hiring day"),
        ("a hiring event from 30 March to 2 April", [date(2027, 3, 30), date(2027, 3, 31), date(2027, 4, 1), date(2027, 4, 2)], "hiring event"),
        ("an onsite day on 20 November", [TODAY], "onsite day"),  # today is not past
        ("an onsite day on 19 November", [date(2027, 11, 19)], "onsite day"),  # passed this year: next
        ("a hiring day on 30 Dec to 2 Jan", [date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)], "hiring day"),
        ("a hiring day on 29 February", [date(2028, 2, 29)], "hiring day"),
        ("a hiring day on 24 March and 24 March", [date(2027, 3, 24)], "hiring day"),
    ],
)  # fmt: skip
def test_days_are_read_in_many_phrasings_and_the_year_is_the_next_one(
    argument: str, days: list[date], kind: str
) -> None:
    said = parse_event(argument)
    assert said.problem == "" and said.kind == kind
    assert event_days(said.dates, TODAY) == (days, "")


@pytest.mark.parametrize(
    ("argument", "says"),
    [
        ("a hiring day next week", "I could not tell on which days."),
        ("a hiring day for Backend Engineer", "I could not tell on which days."),
        ("a hiring day on 3 of the candidates", "I could not tell on which days."),
    ],
)
def test_a_note_without_days_says_how_to_give_them(argument: str, says: str) -> None:
    said = parse_event(argument)
    assert said.problem.startswith(says) and '"on 24 March"' in said.problem and not said.dates


@pytest.mark.parametrize(
    ("argument", "says"),
    [
        ("a hiring day on 3 December 2025", "Wednesday 3 December 2025 has passed; give days from today (20 November 2026) on."),
        ("a hiring day on 2026-11-19", "Thursday 19 November 2026 has passed"),
        ("a hiring day on 31 February", '"31 February" is not a date.'),
        ("a hiring day on 2027-13-01", '"2027-13-01" is not a date.'),
        ("a hiring day on 1-9 March", "That is 9 days; an event has at most 5."),
        ("a hiring day on 1, 2, 3, 4, 5 and 8 March", "That is 6 days; an event has at most 5."),
        ("a hiring day from 5 April to 2 April 2027", "\"5 April to 2 April 2027\" runs backwards."),
    ],
)  # fmt: skip
def test_days_that_cannot_be_an_event_are_refused_with_what_would_work(argument: str, says: str) -> None:
    said = parse_event(argument)
    assert said.problem == ""
    days, problem = event_days(said.dates, TODAY)
    assert days == [] and problem.startswith(says), problem


def test_the_subject_keeps_the_words_that_name_the_job_and_stage() -> None:
    said = parse_event("a recruiting event on 2027-03-24 and 25 March for Backend Engineer, Onsite, thanks")
    assert subject_words(said.subject) == "Backend Engineer, Onsite,"
    assert _without_name("the Senior Backend Engineer onsite", "Senior Backend Engineer") == "the onsite"
    assert _without_name("Backend Engineer, Onsite,", "Backend Engineer") == "Onsite,"
    assert _without_name("onsite", "Designer") == "onsite"


STAGES = [Named(1, "Application Review"), Named(2, "Phone Screen"), Named(3, "Onsite")]


def test_stages_are_named_or_taken_from_the_application() -> None:
    assert _stage("Onsite,", "Backend Engineer", STAGES, None, job_named=True) == (STAGES[2], "")
    assert _stage("", "Backend Engineer", STAGES, STAGES[1], job_named=False) == (STAGES[1], "")
    missing, asks = _stage("", "Backend Engineer", STAGES, None, job_named=True)
    assert missing is None and asks.startswith("Which stage of Backend Engineer is the event for?")
    unknown, says = _stage("the final round", "Backend Engineer", STAGES, None, job_named=True)
    assert unknown is None and says.startswith('I did not recognise the stage "the final round".')
    assert '"Application Review", "Phone Screen", "Onsite"' in says
    # The job was not named and words are left over beside the stage's: those were meant as a job.
    job, says = _stage("Backend Enginer onsite", "Designer", STAGES, None, job_named=False)
    assert job is None and says.startswith('I did not find an open job named "Backend Enginer onsite".')
    neither, says = _stage("frobnicator", "Designer", STAGES, STAGES[2], job_named=False)
    assert neither is None and "as an open job or as a stage of Designer" in says


def test_days_read_as_people_say_them() -> None:
    assert days_label([date(2027, 3, 24)]) == "Wed 24 Mar 2027"
    assert days_label([date(2027, 3, 24), date(2027, 3, 25), date(2027, 3, 26)]) == (
        "Wed 24 Mar 2027, Thu 25 Mar 2027 and Fri 26 Mar 2027"
    )


def test_help_names_the_event_form_and_the_bound_is_the_models() -> None:
    assert "`schedule a hiring day on <day(s)> [for <job>] [<stage>]`" in COMMANDS_HELP
    assert mention_arguments.MAX_EVENT_DAYS == event_io.MAX_EVENT_DAYS


def _user(uid: int, *, site_admin: bool = False, deactivated: bool = False) -> User:
    return User.model_validate(
        {"id": uid, "name": "Ada Lovelace", "site_admin": site_admin, "deactivated": deactivated}
    )


def test_an_event_is_allowed_on_the_job_to_site_admins_and_job_permissions_only() -> None:
    roles = CommandRoles.default()
    rule = job_rule(roles.rule_for("event"))
    assert not (rule.recruiter or rule.coordinator) and rule.site_admin
    assert decide_on_job(_user(1, site_admin=True), 10, [], rule) == Allowed("site_admin")
    assert decide_on_job(_user(1, site_admin=True), 10, [], rule, confidential_job=True) == Refused(
        "no_grant"
    )
    assert decide_on_job(_user(2), 10, [HeldJobRole(10, "Standard")], rule) == Allowed("job_admin:Standard")
    assert decide_on_job(_user(2), 10, [HeldJobRole(11, "Standard")], rule) == Refused("no_grant")
    assert decide_on_job(_user(2), 10, [HeldJobRole(10, "Interviewer")], rule) == Refused("no_grant")
    assert decide_on_job(_user(2, deactivated=True), 10, [HeldJobRole(10, "Standard")], rule) == Refused(
        "deactivated"
    )
    assert decide_on_job(None, 10, [], rule) == Refused("unknown_author")
    reply = refusal_reply(_user(2), rule, "Backend Engineer", "Hireflow")
    assert reply == (
        '@Ada Lovelace, only site admins or people with the "Standard" or "Private" job permissions on '
        "Backend Engineer can ask Hireflow to schedule a recruiting event — nothing was changed."
    )
    configured = job_rule(
        CommandRoles.model_validate({"event": ["job_admin:Hiring Manager"]}).rule_for("event")
    )
    assert decide_on_job(_user(2), 10, [HeldJobRole(10, "hiring manager")], configured) == Allowed(
        "job_admin:hiring manager"
    )


HOSTILE_UNITS = [
    "24 ", "24, ", "24 and ", "March ", "March 24, ", "2027-03-24 ", "-", "24-", "of ", "24th of ",
    "30 March to ", "hiring day ", "9" * 40 + "a ", "\u2003", "schedule a hiring day on 24 March, ",
]  # fmt: skip


@pytest.mark.timeout(20)
@pytest.mark.parametrize("unit", HOSTILE_UNITS)
def test_hostile_event_notes_are_read_in_linear_time(unit: str) -> None:
    """200 KB (20 times the note cap) of each unit within a second for the whole event parse; a quadratic
    one would take minutes."""
    text = (unit * (200_000 // len(unit) + 1))[:200_000]
    start = time.thread_time()
    parsed = parse_command("schedule a hiring day " + text)
    said = parse_event(parsed.argument)
    event_days(said.dates, TODAY)
    subject_words(said.subject)
    elapsed = time.thread_time() - start
    assert parsed.action == "event"
    assert elapsed < 1.0, f"{unit!r}: {elapsed:.2f} s"
