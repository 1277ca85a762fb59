"""Read from Harvest who wrote a mention and what they hold on its job, then apply the rule.

Up to three reads per command: the author (`/v3/users`), their permissions on the application's job
(`/v3/user_job_permissions`) and those permissions' role names (`/v3/user_roles`). An author Harvest
does not return (deleted user, hidden service account, no user id) is refused; any other Harvest
error propagates, so the note is retried through the mention watch's failure path rather than
refused or acted on while Greenhouse cannot say who may act.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.command_authorisation import (
    Allowed,
    Decision,
    HeldJobRole,
    decide,
    decide_on_job,
    job_rule,
    refusal_reply,
)
from integrations.greenhouse.errors import NotFoundError
from integrations.logs import get_logger
from models.greenhouse import Application, Job, User
from models.mentions import MentionAction, MentionNote
from models.settings import Settings

log = get_logger(__name__)


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reply: str = ""  # the refusal note, empty when allowed


async def authorise_mention(
    harvest: HarvestClient,
    settings: Settings,
    note: MentionNote,
    action: MentionAction,
    application: Application,
    job: Job | None,
) -> Verdict:
    """Whether the note's author may give `action` on `application`; a refusal carries its reply."""
    rule = settings.mention_command_roles.rule_for(action)
    author = await _author(harvest, note.user_id)
    confidential = bool(job and job.confidential)
    decision = decide(author, application, [], rule, confidential_job=confidential)
    if not isinstance(decision, Allowed) and rule.job_roles:  # only then are job permissions worth a read
        held = await _job_roles(harvest, author, application.job_id)
        decision = decide(author, application, held, rule, confidential_job=confidential)
    if isinstance(decision, Allowed):
        return Verdict(decision)
    log.warning(
        "mention_refused",
        note_id=note.note_id,
        user_id=note.user_id,
        action=action,
        application_id=application.id,
        job_id=application.job_id,
        reason=decision.reason,
    )
    job_name = (job.name if job else None) or ""
    return Verdict(decision, refusal_reply(author, rule, job_name, settings.mention_name))


async def authorise_event(harvest: HarvestClient, settings: Settings, note: MentionNote, job: Job) -> Verdict:
    """Whether the note's author may start a recruiting event on `job` (the `event` rule, job-wide)."""
    rule = job_rule(settings.mention_command_roles.rule_for("event"))
    author = await _author(harvest, note.user_id)
    decision = decide_on_job(author, job.id, [], rule, confidential_job=job.confidential)
    if not isinstance(decision, Allowed) and rule.job_roles:
        held = await _job_roles(harvest, author, job.id)
        decision = decide_on_job(author, job.id, held, rule, confidential_job=job.confidential)
    if isinstance(decision, Allowed):
        return Verdict(decision)
    log.warning(
        "mention_refused",
        note_id=note.note_id,
        user_id=note.user_id,
        action="event",
        job_id=job.id,
        reason=decision.reason,
    )
    return Verdict(decision, refusal_reply(author, rule, job.name or "", settings.mention_name))


async def _author(harvest: HarvestClient, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    try:
        return await harvest.get_user(user_id)
    except NotFoundError:
        return None


async def _job_roles(harvest: HarvestClient, author: User | None, job_id: int | None) -> list[HeldJobRole]:
    """The author's job permissions on this job, with role names; none to read for unknown authors."""
    if author is None or job_id is None or author.deactivated:
        return []
    permissions = [
        p
        async for p in harvest.list_user_job_permissions(job_ids=[job_id], user_ids=[author.id])
        if p.job_id == job_id and p.role_id is not None
    ]
    if not permissions:
        return []
    role_ids = sorted({p.role_id for p in permissions if p.role_id is not None})
    names = {r.id: r.name or "" async for r in harvest.list_user_roles(ids=role_ids)}
    return [HeldJobRole(job_id, names[p.role_id]) for p in permissions if p.role_id in names]
