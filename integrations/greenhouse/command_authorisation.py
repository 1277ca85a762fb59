"""May this Greenhouse user give this @mention command on this application? A pure decision, and its reply.

Greenhouse shows every note to everyone on the candidate's profile, interviewers included, so a
mention alone proves nothing about its author. `decide` allows a command only for a grant the rule
lists (`models/command_authorisation.py`): a site admin (not on confidential jobs, which site admins
cannot see unless on the hiring team), the application's recruiter or coordinator, or a job permission
on the application's job whose role the rule names. Anyone else, and any author Harvest does not know
or has deactivated, is refused. Reading Harvest is the caller's job (`activities/mention_authorisation.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models.command_authorisation import ANY_JOB_ROLE, CommandRule
from models.greenhouse import Application, User
from models.inert_text import escape_markdown


@dataclass(frozen=True)
class HeldJobRole:
    """One job permission of the author: the job and the name of its `/v3/user_roles` role."""

    job_id: int
    role_name: str


@dataclass(frozen=True)
class Allowed:
    grant: str  # which grant allowed it: site_admin, recruiter, coordinator, job_admin:<role>


@dataclass(frozen=True)
class Refused:
    reason: str  # for the log: unknown_author, deactivated, no_grant


Decision = Allowed | Refused

_VERBS = {
    "status": "report the status",
    "send": "send an assessment",
    "extend": "extend an assessment",
    "event": "schedule a recruiting event",
}  # the other commands read as verbs already


def decide(
    author: User | None,
    application: Application,
    job_permissions: Sequence[HeldJobRole],
    rule: CommandRule,
    *,
    confidential_job: bool = False,
) -> Decision:
    """The first grant of `rule` the author holds on `application`, else why not."""
    if author is None:
        return Refused("unknown_author")
    if author.deactivated:
        return Refused("deactivated")
    if rule.site_admin and author.site_admin and not confidential_job:
        return Allowed("site_admin")
    if rule.recruiter and application.recruiter_id == author.id:
        return Allowed("recruiter")
    if rule.coordinator and application.coordinator_id == author.id:
        return Allowed("coordinator")
    if application.job_id is not None:
        for held in job_permissions:
            if held.job_id == application.job_id and rule.allows_job_role(held.role_name):
                return Allowed(f"job_admin:{held.role_name}")
    return Refused("no_grant")


def decide_on_job(
    author: User | None,
    job_id: int,
    job_permissions: Sequence[HeldJobRole],
    rule: CommandRule,
    *,
    confidential_job: bool = False,
) -> Decision:
    """The grant of `rule` the author holds on a whole job (a recruiting event): a site admin or a job
    permission on it. An application's recruiter and coordinator are no grant here: an event is about
    every candidate of the job's stage, not one application."""
    if author is None:
        return Refused("unknown_author")
    if author.deactivated:
        return Refused("deactivated")
    if rule.site_admin and author.site_admin and not confidential_job:
        return Allowed("site_admin")
    for held in job_permissions:
        if held.job_id == job_id and rule.allows_job_role(held.role_name):
            return Allowed(f"job_admin:{held.role_name}")
    return Refused("no_grant")


def job_rule(rule: CommandRule) -> CommandRule:
    """The rule as it applies to a whole job: without the grants of one application's team."""
    return rule.model_copy(update={"recruiter": False, "coordinator": False})


def refusal_reply(author: User | None, rule: CommandRule, job_name: str, mention_name: str) -> str:
    """The polite reply note: who may give the command instead, and that nothing changed."""
    verb = _VERBS.get(rule.command, rule.command)
    name = f"@{escape_markdown(author.name)}, " if author is not None and author.name else ""
    who = _who(rule, job_name)
    if not who:
        nobody = "nobody" if name else "Nobody"
        return f"{name}{nobody} can ask {mention_name} to {verb} here — nothing was changed."
    only = "only" if name else "Only"
    return f"{name}{only} {who} can ask {mention_name} to {verb} — nothing was changed."


def _who(rule: CommandRule, job_name: str) -> str:
    people = [
        label
        for allowed, label in (
            (rule.recruiter, "the recruiter"),
            (rule.coordinator, "coordinator" if rule.recruiter else "the coordinator"),
            (rule.site_admin, "site admins"),
        )
        if allowed
    ]
    on_job = f" on {escape_markdown(job_name)}" if job_name else " on this job"
    if ANY_JOB_ROLE in rule.job_roles:
        people.append(f"people with a job permission{on_job}")
    elif rule.job_role_labels:
        roles = " or ".join(f'"{label}"' for label in rule.job_role_labels)
        noun = "permission" if len(rule.job_role_labels) == 1 else "permissions"
        people.append(f"people with the {roles} job {noun}{on_job}")
    if len(people) <= 1:
        return "".join(people)
    return ", ".join(people[:-1]) + " or " + people[-1]
