"""Issue 10, finding 5: only authorised Greenhouse users command Hireflow by @mention.

On the real dev server against the Greenhouse sandbox over HTTP: an interviewer's "@Hireflow cancel"
changes nothing and gets a polite reply note; the recruiter, the coordinator and a site admin act; a
hiring manager's job permission allows what the rule gives it (status) and nothing more; an author
Harvest does not know is refused; while Harvest cannot say who the author is, the note is neither
refused nor acted on, and is answered once Harvest is back. The pure rule: test_command_authorisation_rule.py.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from sqlmodel import Session, select
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.greenhouse import note_reference
from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.errors import NotFoundError
from integrations.mail.reply_address import ReplyAddressCodec
from models.greenhouse import AddNote, Application, HarvestObject, Note, User
from models.mentions import MentionWatchInput, MentionWatchResult
from models.messages import CancelInput, SchedulingState, SchedulingStatusSnapshot, TaskQueues
from models.settings import Settings
from models.store import HandledMentionNote, create_engine_for
from sandbox.greenhouse.server import SandboxServer
from sandbox.radicale.server import RadicaleServer
from starters.mail_sink import SmtpSink
from starters.requests import start_scheduling
from tests.fixtures.mail import MAIL_SECRET, REPLY_DOMAIN
from tests.support.stack import (
    lookback_since,
    module_workers,
    seeded_store,
    stack_settings,
    take_onsite_application,
    wait_for_state,
)
from workflows.mention_watch import MentionWatchWorkflow
from workflows.scheduling import SchedulingWorkflow

Request = WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot]


class Role(HarvestObject):
    """A `/v3/user_roles` row, read through the generic listing so this file imports on older code too."""

    name: str = ""


@dataclass
class Team:
    """Who is who on one application, read from Harvest."""

    application: Application
    job_name: str
    stage_id: int
    interviewer: User  # sits on panels, holds no permission on this job, not a site admin
    hiring_manager: User | None  # holds the job permission "Hiring Manager" on this job (None on old seeds)

    @property
    def id(self) -> int:
        return self.application.id

    @property
    def candidate_id(self) -> int:
        assert self.application.candidate_id is not None
        return self.application.candidate_id


@dataclass
class Watch:
    client: Client
    settings: Settings
    sandbox: SandboxServer
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    def harvest(self, **overrides: object) -> HarvestClient:
        return HarvestClient.from_settings(self.settings, **overrides)

    async def post(self, team: Team, body: str, author: int | None) -> Note:
        """A note on the application written as `author` (None: the credential's own service account)."""
        async with self.harvest(user_id=None) as gh:
            return await gh.add_note(
                AddNote(candidate_id=team.candidate_id, application_id=team.id, body=body), as_user=author
            )

    async def start_run(self) -> WorkflowHandle[MentionWatchWorkflow, MentionWatchResult]:
        return await self.client.start_workflow(
            MentionWatchWorkflow.run,
            MentionWatchInput(
                lookback=lookback_since(self.started),
                queues=TaskQueues(harvest=self.settings.harvest_task_queue),
            ),
            id=f"mention-watch-authz-{uuid.uuid4().hex[:8]}",
            task_queue=self.settings.task_queue,
            execution_timeout=timedelta(minutes=4),
        )

    async def run_once(self) -> MentionWatchResult:
        return await (await self.start_run()).result()

    async def replies_to(self, note: Note) -> list[str]:
        reference = note_reference(f"mention-reply-{note.id}")
        async with self.harvest() as gh:
            bodies = [
                n.body or ""
                async for n in gh.list_notes(
                    candidate_ids=[note.candidate_id or 0], user_ids=[self.sandbox.hireflow_user_id]
                )
            ]
        return [body for body in bodies if reference in body]

    async def reply_to(self, note: Note) -> str:
        replies = await self.replies_to(note)
        assert len(replies) == 1, f"expected one reply to note {note.id}, found {replies}"
        return replies[0]

    def marked(self, note: Note) -> HandledMentionNote | None:
        engine = create_engine_for(self.settings.resolved_database_url())
        try:
            with Session(engine) as session:
                return session.exec(
                    select(HandledMentionNote).where(HandledMentionNote.note_id == note.id)
                ).first()
        finally:
            engine.dispose()

    async def team(self) -> Team:
        application_id, stage_id, _ = await take_onsite_application(self.settings)
        async with self.harvest() as gh:
            application = await gh.get_application(application_id)
            assert application.job_id is not None
            job = await gh.get_job(application.job_id)
            permitted = {
                p.user_id: p.role_id async for p in gh.list_user_job_permissions(job_ids=[application.job_id])
            }
            team_ids = {application.recruiter_id, application.coordinator_id, *permitted}
            interviewer: User | None = None
            for seeded in self.sandbox.seed.interviewers:
                user = await anext(aiter(gh.list_users(ids=[seeded.id])))
                if seeded.id not in team_ids and not user.site_admin and not user.deactivated:
                    interviewer = user
                    break
            assert interviewer is not None, "the seed has interviewers outside this job's team"
            hiring_manager = None
            try:
                roles = {r.id: r.name async for r in gh.list_resource("/v3/user_roles", Role)}
            except NotFoundError:
                roles = {}  # a Greenhouse (or sandbox) that does not serve user roles
            for user_id, role_id in permitted.items():
                if user_id is not None and roles.get(role_id or 0) == "Hiring Manager":
                    hiring_manager = await anext(aiter(gh.list_users(ids=[user_id])))
        return Team(application, job.name or "", stage_id, interviewer, hiring_manager)

    async def request(self, team: Team) -> Request:
        """A running scheduling request for the team's application, settled in a waiting state."""
        handle = await start_scheduling(self.client, self.settings, team.id, team.stage_id)
        await wait_for_state(handle, SchedulingState.OFFERED, SchedulingState.ESCALATED)
        return handle


@pytest_asyncio.fixture(scope="module")
async def watch(
    dev_server_env: WorkflowEnvironment,
    greenhouse_sandbox: SandboxServer,
    radicale: RadicaleServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Watch]:
    state = tmp_path_factory.mktemp("command-authorisation")
    codec = ReplyAddressCodec(MAIL_SECRET, REPLY_DOMAIN)
    async with SmtpSink(state / "mail", port=0, codec=codec) as sink:
        settings = stack_settings(greenhouse_sandbox, radicale.url, sink.port, state)
        engine = await seeded_store(settings, greenhouse_sandbox)
        async with module_workers(dev_server_env.client, settings):
            yield Watch(dev_server_env.client, settings, greenhouse_sandbox)
        engine.dispose()


async def _not_cancelled(handle: Request) -> SchedulingStatusSnapshot:
    status = await handle.query(SchedulingWorkflow.status)
    assert status.state not in (SchedulingState.CANCELLING, SchedulingState.CANCELLED), status.state
    assert not any(h.event == "cancel_requested" for h in status.history), "a cancel reached the request"
    return status


async def _cancel(handle: Request) -> None:
    await handle.execute_update(
        SchedulingWorkflow.cancel_scheduling, CancelInput(reason="test over", request_id="test-over")
    )


@pytest.mark.integration
async def test_an_interviewers_cancel_changes_nothing_and_gets_a_polite_reply(watch: Watch) -> None:
    team = await watch.team()
    handle = await watch.request(team)
    note = await watch.post(team, "@Hireflow cancel, I can't make it", team.interviewer.id)

    result = await watch.run_once()

    reply = await watch.reply_to(note)
    assert reply.startswith(
        f"@{team.interviewer.name}, only the recruiter, coordinator, site admins or people with the "
        f'"Standard" or "Private" job permissions on {team.job_name} can ask Hireflow to cancel '
        "— nothing was changed."
    ), reply
    await _not_cancelled(handle)
    handled = {h.note_id: h for h in result.handled}
    assert handled[note.id].action == "cancel" and handled[note.id].workflow_id is None
    mark = watch.marked(note)
    assert mark is not None and mark.action == "cancel:refused", "the refused note must not come back"
    again = await watch.run_once()
    assert note.id not in {h.note_id for h in again.handled}
    assert len(await watch.replies_to(note)) == 1

    # The application's recruiter may: the same words from them cancel the request.
    recruiter = await watch.post(team, "@Hireflow cancel, the role was filled", team.application.recruiter_id)
    await watch.run_once()
    assert await wait_for_state(handle, SchedulingState.CANCELLED) == SchedulingState.CANCELLED
    assert (await watch.reply_to(recruiter)).startswith(("Cancelled the Onsite", "Cancelling the Onsite"))


@pytest.mark.integration
async def test_a_site_admin_and_the_coordinator_may_command(watch: Watch) -> None:
    team = await watch.team()
    handle = await watch.request(team)
    pause = await watch.post(team, "@Hireflow pause", watch.sandbox.seed.admin_user_id)
    await watch.run_once()
    assert (await watch.reply_to(pause)).startswith("Paused the Onsite")
    assert (await handle.query(SchedulingWorkflow.status)).paused
    resume = await watch.post(team, "@Hireflow resume", team.application.coordinator_id)
    await watch.run_once()
    answer = await watch.reply_to(resume)
    # Acted on, not refused. Resuming re-plans: on some dates and hours the seeded calendars leave no
    # loop for this panel, and the truthful answer is then that a recruiter takes over.
    assert answer.startswith("Resumed the Onsite") or "No other loop fits" in answer, answer
    assert "nothing was changed" not in answer
    status = await handle.query(SchedulingWorkflow.status)
    assert not status.paused and any(
        h.event == "recruiter_command" and h.detail == "resume" for h in status.history
    )
    await _cancel(handle)


@pytest.mark.integration
async def test_a_hiring_managers_job_permission_allows_status_but_not_cancel(watch: Watch) -> None:
    team = await watch.team()
    assert team.hiring_manager is not None, "the seed gives every job a hiring manager (job permission)"
    handle = await watch.request(team)
    status = await watch.post(team, "@Hireflow status?", team.hiring_manager.id)
    cancel = await watch.post(team, "@Hireflow cancel", team.hiring_manager.id)
    await watch.run_once()
    assert (await watch.reply_to(status)).startswith("The Onsite for ")
    reply = await watch.reply_to(cancel)
    assert (
        reply.startswith(f"@{team.hiring_manager.name}, only the recruiter")
        and "nothing was changed" in reply
    )
    await _not_cancelled(handle)
    await _cancel(handle)


@pytest.mark.integration
async def test_an_author_harvest_does_not_know_is_refused(watch: Watch) -> None:
    """A note written by the credential's own integration service user, which /v3/users never lists."""
    team = await watch.team()
    handle = await watch.request(team)
    note = await watch.post(team, "@Hireflow cancel", None)
    await watch.run_once()
    reply = await watch.reply_to(note)
    assert reply.startswith("Only the recruiter, coordinator, site admins") and "nothing was changed" in reply
    await _not_cancelled(handle)
    await _cancel(handle)


@pytest.mark.integration
async def test_a_harvest_outage_neither_refuses_nor_acts_and_the_note_is_answered_later(watch: Watch) -> None:
    team = await watch.team()
    handle = await watch.request(team)
    note = await watch.post(team, "@Hireflow cancel", team.interviewer.id)
    await watch.sandbox.add_fault("/v3/user_job_permissions", status=503)
    try:
        run = await watch.start_run()

        async def resolve_is_retrying() -> None:
            while True:
                pending = (await run.describe()).raw_description.pending_activities
                if any(p.activity_type.name == "resolve_mention" and p.attempt >= 2 for p in pending):
                    return
                await asyncio.sleep(0.3)

        await asyncio.wait_for(resolve_is_retrying(), 60)
        assert await watch.replies_to(note) == [], "a note was answered while Harvest was down"
        assert watch.marked(note) is None, "a note was recorded as handled while Harvest was down"
        await _not_cancelled(handle)
    finally:
        await watch.sandbox.clear_faults()
    result = await asyncio.wait_for(run.result(), 120)
    assert note.id in {h.note_id for h in result.handled}
    assert "nothing was changed" in await watch.reply_to(note)
    await _not_cancelled(handle)
    await _cancel(handle)
