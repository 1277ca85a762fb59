"""The pure command-authorisation rule (`decide`), its setting and its reply (issue 10, finding 5)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from integrations.greenhouse.command_authorisation import (
    Allowed,
    HeldJobRole,
    Refused,
    decide,
    refusal_reply,
)
from models.command_authorisation import CommandRoles
from models.greenhouse import Application, User
from models.settings import Settings

RECRUITER, COORDINATOR, JOB = 11, 12, 700
APPLICATION = Application(id=1, job_id=JOB, recruiter_id=RECRUITER, coordinator_id=COORDINATOR)
DEFAULT = CommandRoles.default()


def person(user_id: int, **fields: object) -> User:
    return User.model_validate({"id": user_id, "name": f"User {user_id}", **fields})


@pytest.mark.parametrize(
    ("author", "held", "command", "expected"),
    [
        (person(1, site_admin=True), [], "cancel", Allowed("site_admin")),
        (person(RECRUITER), [], "cancel", Allowed("recruiter")),
        (person(COORDINATOR), [], "reschedule", Allowed("coordinator")),
        (person(2), [HeldJobRole(JOB, "Standard")], "cancel", Allowed("job_admin:Standard")),
        (person(2), [HeldJobRole(JOB, "private")], "schedule", Allowed("job_admin:private")),
        (person(2), [HeldJobRole(JOB, "Hiring Manager")], "status", Allowed("job_admin:Hiring Manager")),
        (person(2), [HeldJobRole(JOB, "Hiring Manager")], "cancel", Refused("no_grant")),
        (person(2), [HeldJobRole(JOB + 1, "Standard")], "cancel", Refused("no_grant")),  # another job's
        (person(2), [], "status", Refused("no_grant")),  # an interviewer
        (None, [], "status", Refused("unknown_author")),
        (person(RECRUITER, deactivated=True), [], "cancel", Refused("deactivated")),
        (person(1, site_admin=True, deactivated=True), [], "status", Refused("deactivated")),
    ],
)
def test_decide_with_the_default_rule(
    author: User | None, held: list[HeldJobRole], command: str, expected: object
) -> None:
    assert decide(author, APPLICATION, held, DEFAULT.rule_for(command)) == expected


def test_site_admins_do_not_reach_confidential_jobs_unless_on_the_team() -> None:
    admin = person(1, site_admin=True)
    rule = DEFAULT.rule_for("cancel")
    assert decide(admin, APPLICATION, [], rule, confidential_job=True) == Refused("no_grant")
    on_team = APPLICATION.model_copy(update={"recruiter_id": 1})
    assert decide(admin, on_team, [], rule, confidential_job=True) == Allowed("recruiter")


def test_a_configured_rule_narrows_or_widens_per_command() -> None:
    roles = CommandRoles.model_validate(
        {"cancel": ["recruiter"], "pause": ["job_admin:hiring manager"], "*": ["site_admin"]}
    )
    manager = person(2)
    held = [HeldJobRole(JOB, "Hiring Manager")]
    assert decide(person(COORDINATOR), APPLICATION, [], roles.rule_for("cancel")) == Refused("no_grant")
    assert decide(person(RECRUITER), APPLICATION, [], roles.rule_for("cancel")) == Allowed("recruiter")
    assert decide(manager, APPLICATION, held, roles.rule_for("pause")) == Allowed("job_admin:Hiring Manager")
    assert decide(person(RECRUITER), APPLICATION, [], roles.rule_for("status")) == Refused("no_grant")
    nobody = CommandRoles.model_validate({"cancel": []}).rule_for("cancel")
    assert decide(person(1, site_admin=True), APPLICATION, [], nobody) == Refused("no_grant")
    # Commands a configured rule leaves out (and no `*`) keep the built-in default.
    assert CommandRoles.model_validate({"cancel": []}).rule_for("status") == DEFAULT.rule_for("status")


@pytest.mark.parametrize(
    "raw",
    [
        "site_admin, Recruiter",
        '["site_admin", "recruiter"]',
        '{"*": ["site_admin", "recruiter"]}',
    ],
)
def test_the_setting_reads_json_or_csv(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIREFLOW_MENTION_COMMAND_ROLES", raw)
    rule = Settings().mention_command_roles.rule_for("schedule")
    assert (rule.site_admin, rule.recruiter, rule.coordinator, rule.job_roles) == (
        True,
        True,
        False,
        frozenset(),
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"cancel": ["boss"]}', "unknown grant 'boss'"),
        ('{"delete": ["site_admin"]}', "unknown commands ['delete']"),
        ('{"cancel": "site_admin"}', "must be a list of strings"),
        ('{"cancel": ["job_admin:"]}', "unknown grant 'job_admin:'"),
        ("{not json", "is not valid JSON"),
    ],
)
def test_a_bad_setting_fails_at_start_up_naming_it(
    raw: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIREFLOW_MENTION_COMMAND_ROLES", raw)
    with pytest.raises(ValidationError) as error:
        Settings()
    assert "HIREFLOW_MENTION_COMMAND_ROLES" in str(error.value) and message in str(error.value)


def test_the_refusal_names_who_may_and_says_nothing_changed() -> None:
    sam = person(3, name="Sam Lee")
    assert refusal_reply(sam, DEFAULT.rule_for("cancel"), "Data Scientist", "Hireflow") == (
        '@Sam Lee, only the recruiter, coordinator, site admins or people with the "Standard" or "Private" '
        "job permissions on Data Scientist can ask Hireflow to cancel — nothing was changed."
    )
    assert refusal_reply(None, DEFAULT.rule_for("status"), "Data Scientist", "Hireflow") == (
        "Only the recruiter, coordinator, site admins or people with a job permission on Data Scientist "
        "can ask Hireflow to report the status — nothing was changed."
    )
    nobody = CommandRoles.model_validate({"cancel": []}).rule_for("cancel")
    assert refusal_reply(sam, nobody, "", "Hireflow") == (
        "@Sam Lee, nobody can ask Hireflow to cancel here — nothing was changed."
    )
