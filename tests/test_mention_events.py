"""`@Hireflow schedule a hiring day on <days> [for <job>] [<stage>]` on real components.

The Temporal dev server and the Greenhouse sandbox over HTTP. The activity tests call
`resolve_mention` then `act_on_mention` as the mention watch does (a problem from `resolve_mention` is
the reply and nothing acts) and read back the EventWorkflow execution the act started: its id and its
start input, through the Temporal client. No worker runs the EventWorkflow here (its execution exists
all the same); the last test lets the MentionWatchWorkflow answer a note and not answer it twice.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.greenhouse import note_reference
from activities.mentions import MentionActivities
from integrations.event_client import WORKFLOW
from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.mentions import mention_text
from integrations.mail.reply_address import ReplyAddressCodec
from integrations.org_store import OrgConfigStore
from models.event_io import EventRequest, event_workflow_id
from models.greenhouse import AddNote, Note
from models.mentions import (
    MentionNote,
    MentionOutcome,
    MentionWatchInput,
    MentionWatchResult,
    ResolvedMention,
)
from models.messages import TaskQueues
from models.settings import Settings
from sandbox.greenhouse.seed import HIRING_MANAGER_ROLE_ID, JOB_ADMIN_ROLE_ID
from sandbox.greenhouse.server import SandboxServer
from sandbox.radicale.server import RadicaleServer
from starters.mail_sink import SmtpSink
from tests.fixtures.mail import MAIL_SECRET, REPLY_DOMAIN
from tests.support.stack import (
    lookback_since,
    module_workers,
    seeded_store,
    stack_settings,
    take_onsite_application,
    terminate_running,
)
from workflows.mention_watch import MentionWatchWorkflow

pytestmark = pytest.mark.integration

# Event ids are per job stage and first day on a server other modules share: days far off, per module.
_FIRST = date.today() + timedelta(days=800 + random.randrange(4000))


def event_day(n: int) -> date:
    """The n-th test's first day: a week apart, so no two tests share an event id."""
    return _FIRST + timedelta(days=7 * n)


@dataclass(frozen=True)
class App:
    id: int
    job_id: int
    job_name: str
    stage_id: int
    candidate_id: int


@dataclass
class World:
    client: Client
    settings: Settings
    sandbox: SandboxServer
    engine: Engine
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    async def application(self) -> App:
        application_id, stage_id, candidate_id = await take_onsite_application(self.settings)
        async with HarvestClient.from_settings(self.settings) as gh:
            application = await gh.get_application(application_id)
            assert application.job_id is not None
            job = await gh.get_job(application.job_id)
        return App(application_id, application.job_id, job.name or "", stage_id, candidate_id)

    async def holder(self, app: App, role_id: int) -> int:
        """A user holding the job permission `role_id` on the application's job, not a site admin."""
        async with HarvestClient.from_settings(self.settings) as gh:
            async for permission in gh.list_user_job_permissions(job_ids=[app.job_id], role_ids=[role_id]):
                if permission.user_id is None or permission.job_id != app.job_id:
                    continue
                user = await gh.get_user(permission.user_id)
                if not user.site_admin and not user.deactivated:
                    return user.id
        raise AssertionError(f"nobody holds role {role_id} on job {app.job_id}")

    async def interviewer(self, app: App) -> int:
        """A panel interviewer who holds nothing on the application's job and is not a site admin."""
        async with HarvestClient.from_settings(self.settings) as gh:
            team = {p.user_id async for p in gh.list_user_job_permissions(job_ids=[app.job_id])}
            for seeded in self.sandbox.seed.interviewers:
                user = await gh.get_user(seeded.id)
                if seeded.id not in team and not user.site_admin and not user.deactivated:
                    return user.id
        raise AssertionError("the seed has no interviewer outside this job's team")

    async def post(self, app: App, body: str, author: int) -> Note:
        async with HarvestClient.from_settings(self.settings, user_id=None) as gh:
            return await gh.add_note(
                AddNote(candidate_id=app.candidate_id, application_id=app.id, body=body), as_user=author
            )

    async def replies_to(self, note: Note) -> list[str]:
        reference = note_reference(f"mention-reply-{note.id}")
        async with HarvestClient.from_settings(self.settings) as gh:
            bodies = [
                n.body or ""
                async for n in gh.list_notes(
                    candidate_ids=[note.candidate_id or 0], user_ids=[self.sandbox.hireflow_user_id]
                )
            ]
        return [body for body in bodies if reference in body]

    async def office_zone(self, job_id: int) -> str:
        async with HarvestClient.from_settings(self.settings) as gh:
            job = await gh.get_job(job_id)
        store = OrgConfigStore(self.engine)
        office_id = job.office_ids[0] if job.office_ids else store.org().onsite_office_id
        office = store.office(office_id) if office_id is not None else None
        return office.time_zone if office else store.org().default_time_zone or "UTC"

    async def start_input(self, workflow_id: str) -> EventRequest:
        history = await self.client.get_workflow_handle(workflow_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        assert started.workflow_type.name == WORKFLOW
        [request] = await self.client.data_converter.decode(started.input.payloads, [EventRequest])
        assert isinstance(request, EventRequest)
        return request

    async def exists(self, workflow_id: str) -> bool:
        try:
            await self.client.get_workflow_handle(workflow_id).describe()
        except RPCError:
            return False
        return True


@pytest_asyncio.fixture(scope="module")
async def world(
    dev_server_env: WorkflowEnvironment,
    greenhouse_sandbox: SandboxServer,
    radicale: RadicaleServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[World]:
    state = tmp_path_factory.mktemp("mention-events")
    codec = ReplyAddressCodec(MAIL_SECRET, REPLY_DOMAIN)
    async with SmtpSink(state / "mail", port=0, codec=codec) as sink:
        settings = stack_settings(greenhouse_sandbox, radicale.url, sink.port, state)
        engine = await seeded_store(settings, greenhouse_sandbox)
        found = World(dev_server_env.client, settings, greenhouse_sandbox, engine)
        try:
            yield found
        finally:  # the events started here have no worker: leave none running for later modules
            await terminate_running(found.client, settings.task_queue)
            engine.dispose()


@dataclass
class Commands:
    world: World
    activities: MentionActivities

    async def say(self, app: App, text: str, author: int) -> tuple[ResolvedMention, MentionOutcome]:
        """Post `@Hireflow <text>` on the application and answer it as the watcher would."""
        note = await self.world.post(app, f"@Hireflow {text}", author)
        said = mention_text(note.body, note.body_with_tags, "Hireflow", self.world.sandbox.hireflow_user_id)
        assert said is not None and note.created_at is not None
        mention = MentionNote(
            note_id=note.id,
            created_at=note.created_at,
            candidate_id=app.candidate_id,
            application_id=app.id,
            user_id=note.user_id,
            text=said,
        )
        resolved = await ActivityEnvironment().run(self.activities.resolve_mention, mention)
        if resolved.problem:
            return resolved, MentionOutcome(reply=resolved.problem)
        return resolved, await self.act(resolved)

    async def act(self, resolved: ResolvedMention) -> MentionOutcome:
        return await ActivityEnvironment().run(self.activities.act_on_mention, resolved)


@pytest_asyncio.fixture
async def commands(world: World, tmp_path: Path) -> AsyncIterator[Commands]:
    async with HarvestClient.from_settings(world.settings) as harvest:
        yield Commands(world, MentionActivities(harvest, world.client, world.settings, world.engine))


def said(day: date) -> str:
    return f"{day.day} {day:%B} {day.year}"


# ------------------------------------------------------------------------------------------ start


async def test_a_hiring_day_on_the_notes_job_and_stage_starts_one_event_and_a_second_note_reports_it(
    commands: Commands, world: World
) -> None:
    app = await world.application()
    admin = await world.holder(app, JOB_ADMIN_ROLE_ID)
    day = event_day(0)

    resolved, outcome = await commands.say(app, f"schedule a hiring day on {said(day)}, thanks", admin)

    wid = event_workflow_id(app.job_id, app.stage_id, day)
    assert resolved.action == "event" and resolved.problem == ""
    assert (resolved.job_id, resolved.job_interview_stage_id, resolved.stage_name) == (
        app.job_id,
        app.stage_id,
        "Onsite",
    )
    assert outcome.workflow_id == wid
    zone = await world.office_zone(app.job_id)
    assert outcome.reply.startswith(
        f"On it: I'm planning the hiring day for {app.job_name}, Onsite on {day:%a} {day.day} {day:%b %Y} "
        f"({zone} time). Every candidate in Onsite gets an email asking for their availability"
    )
    assert f"Event `{wid}`." in outcome.reply and f"/workflows/{wid}" in outcome.reply
    request = await world.start_input(wid)
    assert request.model_dump(
        include={"job_id", "job_interview_stage_id", "days", "time_zone", "source"}
    ) == {
        "job_id": app.job_id,
        "job_interview_stage_id": app.stage_id,
        "days": [day],
        "time_zone": zone,
        "source": "mention",
    }
    assert (request.requested_by_user_id, request.name) == (admin, "hiring day")
    assert request.queues.harvest == world.settings.harvest_task_queue
    described = await world.client.get_workflow_handle(wid).describe()
    assert described.status == WorkflowExecutionStatus.RUNNING

    # The same note acted on again (its mark was lost), then another note: one execution, reported.
    again = await commands.act(resolved)
    _, other = await commands.say(app, f"schedule the hiring day on {day:%B} {day.day}, {day.year}", admin)
    for reply in (again, other):
        assert reply.workflow_id == wid
        assert reply.reply.startswith(
            f"A recruiting event for {app.job_name}, Onsite from {day:%a} {day.day} {day:%b %Y} is already under way ("
        )
        assert "I did not start another." in reply.reply
    assert (await world.client.get_workflow_handle(wid).describe()).run_id == described.run_id


async def test_a_named_job_stage_and_several_days_in_two_phrasings(commands: Commands, world: World) -> None:
    app = await world.application()
    admin = await world.holder(app, JOB_ADMIN_ROLE_ID)
    first = event_day(1)
    second = first + timedelta(days=1)
    text = (
        f"schedule a recruiting event on {first.isoformat()} and {said(second)} "
        f"for {app.job_name.upper()}, phone  screen. She can host"
    )

    resolved, outcome = await commands.say(app, text, admin)

    assert resolved.problem == "" and resolved.stage_name == "Phone Screen"
    assert resolved.recruiter_notes.strip(". ") == "She can host"
    assert resolved.event_days == [first, second]
    assert outcome.workflow_id == event_workflow_id(app.job_id, resolved.job_interview_stage_id or 0, first)
    request = await world.start_input(outcome.workflow_id)
    assert (request.days, request.name, request.job_id) == ([first, second], "recruiting event", app.job_id)
    assert 'Your notes: "She can host"' in outcome.reply


# ---------------------------------------------------------------------------------------- refusals


async def test_people_without_a_grant_on_the_job_are_refused_and_nothing_starts(
    commands: Commands, world: World
) -> None:
    app = await world.application()
    day = event_day(2)
    wid = event_workflow_id(app.job_id, app.stage_id, day)
    interviewer = await world.interviewer(app)
    manager = await world.holder(app, HIRING_MANAGER_ROLE_ID)

    for author in (interviewer, manager):
        resolved, outcome = await commands.say(app, f"schedule a hiring day on {said(day)}", author)
        assert resolved.action == "event" and resolved.problem == outcome.reply
        assert outcome.reply.endswith(
            f'only site admins or people with the "Standard" or "Private" job permissions on {app.job_name} '
            "can ask Hireflow to schedule a recruiting event — nothing was changed."
        )
        assert outcome.workflow_id is None
    assert not await world.exists(wid)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("schedule a hiring day on {day} for the Backend Wizard onsite", 'I did not find an open job named "Backend Wizard onsite".'),
        ("schedule a hiring day on {day} for {job}, final panel", 'I did not recognise the stage "final panel". The stages of {job} are "Application Review"'),
        ("schedule a hiring day on 2 January 2020", "Thursday 2 January 2020 has passed; give days from today ("),
        ("schedule a hiring day on 31 February", '"31 February" is not a date.'),
        ("schedule a hiring day soon", "I could not tell on which days."),
        ("schedule a super day from {day} to {late}", "That is 8 days; an event has at most 5."),
    ],
)  # fmt: skip
async def test_bad_input_is_answered_with_what_was_wrong_and_nothing_starts(
    commands: Commands, world: World, text: str, says: str
) -> None:
    app = await world.application()
    admin = await world.holder(app, JOB_ADMIN_ROLE_ID)
    day = event_day(3)
    note = text.format(day=said(day), late=said(day + timedelta(days=7)), job=app.job_name)

    resolved, outcome = await commands.say(app, note, admin)

    assert resolved.action == "event" and outcome.workflow_id is None
    assert outcome.reply.startswith(says.format(job=app.job_name)), outcome.reply
    assert not await world.exists(event_workflow_id(app.job_id, app.stage_id, day))


# ------------------------------------------------------------------------------------------ end to end


async def test_the_mention_watch_starts_the_event_replies_once_and_never_acts_twice(world: World) -> None:
    app = await world.application()
    admin = await world.holder(app, JOB_ADMIN_ROLE_ID)
    day = event_day(4)
    wid = event_workflow_id(app.job_id, app.stage_id, day)
    tag = f"@[Hireflow](user:{world.sandbox.hireflow_user_id})"
    note = await world.post(
        app, f"{tag} schedule a hiring day on {said(day)} for the {app.job_name} onsite", admin
    )

    async with module_workers(world.client, world.settings):
        first = await _run_watch(world)
        second = await _run_watch(world)

    handled = {h.note_id: h for h in first.handled}
    assert handled[note.id].action == "event" and handled[note.id].workflow_id == wid
    assert note.id not in {h.note_id for h in second.handled}
    [reply] = await world.replies_to(note)
    assert reply.startswith(f"On it: I'm planning the hiring day for {app.job_name}, Onsite on ")
    history = await world.client.get_workflow_handle(wid).fetch_history()
    assert history.events[0].workflow_execution_started_event_attributes.workflow_type.name == WORKFLOW


async def _run_watch(world: World) -> MentionWatchResult:
    handle = await world.client.start_workflow(
        MentionWatchWorkflow.run,
        MentionWatchInput(
            lookback=lookback_since(world.started),
            queues=TaskQueues(harvest=world.settings.harvest_task_queue),
        ),
        id=f"mention-watch-event-{uuid.uuid4().hex[:8]}",
        task_queue=world.settings.task_queue,
        execution_timeout=timedelta(minutes=2),
    )
    return await handle.result()
