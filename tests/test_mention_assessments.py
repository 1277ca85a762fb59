"""`@Hireflow send the <test> assessment` and `@Hireflow extend the assessment by N days` on real components.

The Temporal dev server with the worker, the Greenhouse sandbox over HTTP, the embedded assessment
provider. The activity tests call `resolve_mention` then `act_on_mention` as the mention watch does
(a problem from `resolve_mention` is the reply and nothing acts); the last test posts notes and lets
the MentionWatchWorkflow answer them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.engine import Engine
from sqlmodel import Session, delete
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.greenhouse import note_reference
from activities.mentions import MentionActivities
from integrations.assessment_client import AssessmentClient
from integrations.assessment_mappings import AssessmentMappings
from integrations.assessments.registry import ProviderCache
from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.mentions import mention_text
from integrations.mail.reply_address import ReplyAddressCodec
from integrations.mail.timefmt import format_instant
from models.assessment_io import (
    AssessmentRequest,
    AssessmentStatusSnapshot,
    DecisionRule,
    StopAssessmentInput,
)
from models.assessment_store import AssessmentMappingSpec
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
from models.store import HandledMentionNote, create_engine_for, init_db
from models.time_zones import to_iana
from sandbox.assessments.server import AssessmentSandboxServer
from sandbox.greenhouse.server import SandboxServer
from sandbox.radicale.server import RadicaleServer
from starters.mail_sink import SmtpSink
from starters.ports import free_port
from tests.fixtures.mail import MAIL_SECRET, REPLY_DOMAIN
from tests.support.stack import (
    lookback_since,
    module_workers,
    seeded_store,
    stack_settings,
    take_onsite_application,
)
from workflows.mention_watch import MentionWatchWorkflow

pytestmark = pytest.mark.integration

PYTHON = ("python-basics", "Python basics")
SQL = ("sql-fundamentals", "SQL fundamentals")


@dataclass(frozen=True)
class App:
    id: int
    job_id: int
    job_name: str
    candidate_id: int
    recruiter_id: int


@dataclass
class World:
    """The running stack, shared by the module: one store, one worker set, one provider."""

    client: Client
    settings: Settings
    sandbox: SandboxServer
    engine: Engine
    assessments: AssessmentClient
    apps: list[App] = field(default_factory=list)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    async def application(self) -> App:
        """An Onsite application no other test took, with an emailable candidate (the invite needs one)."""
        application_id, _, candidate_id = await take_onsite_application(self.settings)
        async with HarvestClient.from_settings(self.settings) as gh:
            application = await gh.get_application(application_id)
            assert application.job_id is not None and application.recruiter_id is not None
            job = await gh.get_job(application.job_id)
        app = App(application_id, application.job_id, job.name or "", candidate_id, application.recruiter_id)
        self.apps.append(app)
        return app

    async def post(self, app: App, body: str, author: int | None = None) -> Note:
        """A note on the application, by its recruiter unless `author` is given."""
        async with HarvestClient.from_settings(self.settings, user_id=None) as gh:
            return await gh.add_note(
                AddNote(candidate_id=app.candidate_id, application_id=app.id, body=body),
                as_user=author or app.recruiter_id,
            )

    async def interviewer(self, app: App) -> int:
        """A panel interviewer who holds nothing on the application's job and is not a site admin."""
        async with HarvestClient.from_settings(self.settings) as gh:
            application = await gh.get_application(app.id)
            team = {application.recruiter_id, application.coordinator_id}
            team |= {p.user_id async for p in gh.list_user_job_permissions(job_ids=[app.job_id])}
            for seeded in self.sandbox.seed.interviewers:
                user = await anext(aiter(gh.list_users(ids=[seeded.id])))
                if seeded.id not in team and not user.site_admin and not user.deactivated:
                    return user.id
        raise AssertionError("the seed has no interviewer outside this job's team")

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

    async def waiting(self, workflow_id: str, timeout: float = 60) -> AssessmentStatusSnapshot:
        """The assessment once the candidate is invited (state `waiting`)."""

        async def poll() -> AssessmentStatusSnapshot:
            while (status := await self.assessments.status(workflow_id)).state != "waiting":
                assert status.state in ("gathering", "inviting"), status
                await asyncio.sleep(0.2)
            return status

        return await asyncio.wait_for(poll(), timeout)

    async def start_input(self, workflow_id: str) -> AssessmentRequest:
        history = await self.client.get_workflow_handle(workflow_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        [request] = await self.client.data_converter.decode(started.input.payloads, [AssessmentRequest])
        assert isinstance(request, AssessmentRequest)
        return request


@pytest_asyncio.fixture(scope="module")
async def world(
    dev_server_env: WorkflowEnvironment,
    greenhouse_sandbox: SandboxServer,
    radicale: RadicaleServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[World]:
    state = tmp_path_factory.mktemp("mention-assessments")
    codec = ReplyAddressCodec(MAIL_SECRET, REPLY_DOMAIN)
    async with SmtpSink(state / "mail", port=0, codec=codec) as sink, AssessmentSandboxServer() as provider:
        settings = stack_settings(greenhouse_sandbox, radicale.url, sink.port, state).model_copy(
            update={"assessment_sandbox_url": provider.base_url}
        )
        engine = await seeded_store(settings, greenhouse_sandbox)
        client = dev_server_env.client
        async with module_workers(client, settings):
            found = World(client, settings, greenhouse_sandbox, engine, AssessmentClient(client, settings))
            yield found
            for app in found.apps:  # leave no invitation running for the rest of the session
                for status in await found.assessments.running_for_application(app.id):
                    await found.assessments.cancel(
                        status.workflow_id, StopAssessmentInput(request_id="test-over")
                    )
        engine.dispose()


@dataclass
class Commands:
    """The mention activities on their own mapping store (so each test decides what its job maps)."""

    world: World
    activities: MentionActivities
    mappings: AssessmentMappings

    def map(self, app: App, test: tuple[str, str], stage: str, test_id: str = "", **rule: object) -> None:
        """Map the embedded test `test` (key, name) to a stage of the application's job."""
        key, name = test
        self.mappings.add(
            AssessmentMappingSpec(
                job_id=app.job_id,
                stage_name=stage,
                test_key=key,
                provider="embedded",
                test_id=test_id or key,
                test_name=name,
                rule=DecisionRule.model_validate(rule),
            )
        )

    async def say(
        self, app: App, text: str, author: int | None = None
    ) -> tuple[ResolvedMention, MentionOutcome]:
        """Post `@Hireflow <text>` on the application and answer it as the watcher would."""
        note = await self.world.post(app, f"@Hireflow {text}", author)
        hireflow = self.world.sandbox.hireflow_user_id
        said = mention_text(note.body, note.body_with_tags, "Hireflow", hireflow)
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
    engine = create_engine_for(f"sqlite:///{tmp_path / 'mappings.db'}")
    init_db(engine)
    providers = ProviderCache(world.settings)
    async with HarvestClient.from_settings(world.settings) as harvest:
        activities = MentionActivities(harvest, world.client, world.settings, engine, providers=providers.get)
        yield Commands(world, activities, AssessmentMappings(engine))
    await providers.aclose()
    engine.dispose()


def wid(app: App, key: str) -> str:
    return f"assess-{app.id}-{key}"


# ------------------------------------------------------------------------------------------------ send


async def test_send_by_name_starts_the_mapped_test_with_its_rule_and_never_twice(
    commands: Commands, world: World
) -> None:
    app = await world.application()
    commands.map(app, PYTHON, "Take Home Test", threshold=70)
    commands.map(app, SQL, "Phone Screen")

    resolved, outcome = await commands.say(app, "send her the Python Basics assessment, she is keen")

    assert resolved.action == "send" and outcome.workflow_id == wid(app, "python-basics")
    assert outcome.reply.startswith(f"On it: I'm sending the Python basics assessment for {app.job_name}.")
    assert "at 70 or more I advance the application" in outcome.reply
    assert f"/workflows/{wid(app, 'python-basics')}" in outcome.reply
    request = await world.start_input(outcome.workflow_id)
    assert (request.source, request.requested_by, request.test_id) == (
        "mention",
        app.recruiter_id,
        "python-basics",
    )
    assert request.rule.threshold == 70
    status = await world.waiting(outcome.workflow_id)
    run_id = (await world.client.get_workflow_handle(outcome.workflow_id).describe()).run_id

    _, again = await commands.say(app, "send the python basics test again please")

    assert again.workflow_id == outcome.workflow_id
    assert again.reply.startswith(f"The Python basics assessment for {app.job_name} is already under way")
    assert "(state waiting" in again.reply and "I did not send it again" in again.reply
    assert (await world.client.get_workflow_handle(outcome.workflow_id).describe()).run_id == run_id
    assert [s.workflow_id for s in await world.assessments.running_for_application(app.id)] == [
        status.workflow_id
    ]


async def test_a_catalog_test_that_is_not_mapped_is_sent_with_the_safe_default_rule(
    commands: Commands, world: World
) -> None:
    app = await world.application()  # nothing mapped for the job in this test's store

    _, outcome = await commands.say(app, "send the system design lite assessment")

    assert outcome.workflow_id == wid(app, "system-design-lite")
    assert "change nothing else (no rule is mapped for this test)" in outcome.reply
    request = await world.start_input(outcome.workflow_id)
    assert request.rule == DecisionRule() and request.test_name == "System design lite"


async def test_an_unknown_test_is_answered_with_the_tests_there_are_and_starts_nothing(
    commands: Commands, world: World
) -> None:
    app = await world.application()
    commands.map(app, PYTHON, "Take Home Test", threshold=70)

    _, outcome = await commands.say(app, "send the Rust wizardry assessment")

    assert outcome.workflow_id is None
    assert outcome.reply.startswith('I did not recognise the test "the Rust wizardry assessment".')
    assert 'Mapped for this job: "Python basics".' in outcome.reply
    # The catalog lists what no mapping of the job covers.
    assert (
        'From the catalog (no rule: the score is only written back): "SQL fundamentals", "System design lite".'
        in (outcome.reply)
    )
    assert await world.assessments.running_for_application(app.id) == []


async def test_an_ambiguous_or_missing_name_gets_a_question_and_one_mapped_test_is_sent(
    commands: Commands, world: World
) -> None:
    app = await world.application()
    commands.map(app, PYTHON, "Take Home Test")
    commands.map(app, ("python-advanced", "Python advanced"), "Phone Screen", test_id=PYTHON[0])

    _, several = await commands.say(app, "send the python assessment")
    _, which = await commands.say(app, "send the assessment")

    assert several.reply == (
        '"the python assessment" matches several tests ("Python basics", "Python advanced"); say which one.'
    )
    assert which.reply.startswith('Which test? This job has 2 mapped: "Python basics", "Python advanced".')
    assert several.workflow_id is None and which.workflow_id is None
    assert await world.assessments.running_for_application(app.id) == []

    commands.mappings.remove(app.job_id, None, "Phone Screen")
    _, only = await commands.say(app, "send the assessment")
    assert only.workflow_id == wid(app, "python-basics") and only.reply.startswith("On it:")


async def test_an_interviewers_send_and_extend_are_refused_and_change_nothing(
    commands: Commands, world: World
) -> None:
    app = await world.application()
    commands.map(app, PYTHON, "Take Home Test", threshold=70)
    interviewer = await world.interviewer(app)

    refused, outcome = await commands.say(app, "send the python basics assessment", author=interviewer)

    assert refused.problem and refused.problem == outcome.reply
    assert outcome.reply.endswith("can ask Hireflow to send an assessment — nothing was changed.")
    assert await world.assessments.running(wid(app, "python-basics")) is None

    _, sent = await commands.say(app, "send the python basics assessment")
    assert sent.workflow_id is not None
    before = await world.waiting(sent.workflow_id)
    refused, _ = await commands.say(app, "extend the assessment by 3 days", author=interviewer)
    assert refused.problem.endswith("can ask Hireflow to extend an assessment — nothing was changed.")
    after = await world.assessments.status(sent.workflow_id)
    assert (after.deadline, after.extensions) == (before.deadline, 0)


# ---------------------------------------------------------------------------------------------- extend


async def test_extend_moves_the_deadline_once_per_note_and_says_it_in_the_candidates_zone(
    commands: Commands, world: World
) -> None:
    app = await world.application()
    commands.map(app, PYTHON, "Take Home Test")
    _, sent = await commands.say(app, "send the python basics assessment")
    assert sent.workflow_id is not None
    before = await world.waiting(sent.workflow_id)
    assert before.deadline is not None
    async with HarvestClient.from_settings(world.settings) as gh:
        known = to_iana((await gh.get_candidate(app.candidate_id)).time_zone)

    resolved, outcome = await commands.say(app, "extend the assessment by 3 days, she is travelling")

    after = await world.assessments.status(sent.workflow_id)
    assert after.deadline == before.deadline + timedelta(days=3) and after.extensions == 1
    assert resolved.candidate_time_zone == (known or "")
    assert outcome.reply.startswith(f"Extended the Python basics assessment for {app.job_name} by 3 days.")
    assert f"The new deadline is {format_instant(after.deadline, known or 'UTC')}." in outcome.reply
    assert outcome.workflow_id == sent.workflow_id

    # The same note delivered again (its mark was lost): the update's id is the note's, one effect.
    again = await commands.act(resolved)
    assert again == outcome
    status = await world.assessments.status(sent.workflow_id)
    assert (status.deadline, status.extensions) == (after.deadline, 1)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("extend the assessment by 0 days", '"0 days" is no extension'),
        ("extend the assessment by -2 days", '"-2 days" is a negative extension'),
        ("extend the assessment by 45 days", "longer than I extend a deadline by (30 days at a time)"),
        ("extend the assessment by 2.5 hours", "is not a whole number of hours"),
        ("extend the deadline please", "I could not tell by how long to extend"),
    ],
)
async def test_bad_durations_are_refused_before_anything_is_extended(
    commands: Commands, world: World, text: str, says: str
) -> None:
    app = await world.application()
    commands.map(app, PYTHON, "Take Home Test")
    _, sent = await commands.say(app, "send the python basics assessment")
    assert sent.workflow_id is not None
    before = await world.waiting(sent.workflow_id)

    resolved, outcome = await commands.say(app, text)

    assert resolved.action == "extend" and says in resolved.problem and outcome.reply == resolved.problem
    after = await world.assessments.status(sent.workflow_id)
    assert (after.deadline, after.extensions) == (before.deadline, 0)


async def test_extend_with_nothing_running_says_so(commands: Commands, world: World) -> None:
    app = await world.application()
    _, outcome = await commands.say(app, "extend the assessment by 2 days")
    assert outcome.reply == (
        f"There is no assessment running for {app.job_name}, so there is nothing to extend. "
        "Mention me with `send the <test name> assessment` to start one."
    )
    assert outcome.workflow_id is None


async def test_extend_with_several_running_needs_the_test_named(commands: Commands, world: World) -> None:
    app = await world.application()
    commands.map(app, PYTHON, "Take Home Test")
    commands.map(app, SQL, "Phone Screen")
    _, python = await commands.say(app, "send the python basics assessment")
    _, sql = await commands.say(app, "send the SQL fundamentals assessment")
    assert python.workflow_id and sql.workflow_id
    await world.waiting(python.workflow_id)
    before = await world.waiting(sql.workflow_id)
    assert before.deadline is not None

    _, unnamed = await commands.say(app, "extend the assessment by 2 days")
    _, unknown = await commands.say(app, "extend the Rust assessment by 2 days")
    _, named = await commands.say(app, "extend the SQL fundamentals assessment by 2 days")

    assert unnamed.reply.startswith("Several assessments are running (") and unnamed.workflow_id is None
    assert "Python basics (waiting)" in unnamed.reply and "SQL fundamentals (waiting)" in unnamed.reply
    assert 'for example "extend the ' in unnamed.reply
    assert unknown.reply.startswith('No running assessment matches "the Rust assessment".')
    assert named.workflow_id == sql.workflow_id and named.reply.startswith("Extended the SQL fundamentals")
    assert (await world.assessments.status(sql.workflow_id)).deadline == before.deadline + timedelta(days=2)
    assert (await world.assessments.status(python.workflow_id)).extensions == 0


# ------------------------------------------------------------------------------------------ end to end


async def test_notes_on_greenhouse_start_the_assessment_and_extend_it_once(world: World) -> None:
    """The MentionWatchWorkflow reads the notes from the sandbox, starts and extends, replies once each."""
    app = await world.application()
    AssessmentMappings(world.engine).add(
        AssessmentMappingSpec(
            job_id=app.job_id,
            stage_name="Take Home Test",
            test_key=PYTHON[0],
            provider="embedded",
            test_id=PYTHON[0],
            test_name=PYTHON[1],
            rule=DecisionRule(threshold=70),
        )
    )
    tag = f"@[Hireflow](user:{world.sandbox.hireflow_user_id})"
    send = await world.post(app, f"{tag} send the python basics assessment, thanks")

    result = await _run_watch(world)

    handled = {h.note_id: h for h in result.handled}
    assert handled[send.id].action == "send" and handled[send.id].workflow_id == wid(app, "python-basics")
    before = await world.waiting(wid(app, "python-basics"))
    [reply] = await world.replies_to(send)
    assert reply.startswith(f"On it: I'm sending the Python basics assessment for {app.job_name}.")

    extend = await world.post(app, "@Hireflow extend the assessment by 2 days")
    await _run_watch(world)
    after = await world.assessments.status(wid(app, "python-basics"))
    assert before.deadline and after.deadline == before.deadline + timedelta(days=2) and after.extensions == 1
    [reply] = await world.replies_to(extend)
    assert reply.startswith(f"Extended the Python basics assessment for {app.job_name} by 2 days.")

    with Session(world.engine) as session:  # the note's mark was lost: the next run sees it again
        session.exec(delete(HandledMentionNote).where(HandledMentionNote.note_id == extend.id))  # type: ignore[arg-type]
        session.commit()
    again = await _run_watch(world)
    assert extend.id in {h.note_id for h in again.handled}
    status = await world.assessments.status(wid(app, "python-basics"))
    assert (status.deadline, status.extensions) == (after.deadline, 1)
    assert len(await world.replies_to(extend)) == 1


async def _run_watch(world: World) -> MentionWatchResult:
    handle = await world.client.start_workflow(
        MentionWatchWorkflow.run,
        MentionWatchInput(
            lookback=lookback_since(world.started),
            queues=TaskQueues(harvest=world.settings.harvest_task_queue),
        ),
        id=f"mention-watch-assess-{uuid.uuid4().hex[:8]}",
        task_queue=world.settings.task_queue,
        execution_timeout=timedelta(minutes=2),
    )
    return await handle.result()


async def test_a_provider_outage_is_answered_at_once_and_holds_no_later_note(
    commands: Commands, world: World
) -> None:
    """The watch reads notes in order: a note that waited on a provider outage would hold every later one."""
    app = await world.application()
    commands.map(app, PYTHON, "Take Home Test", threshold=70)
    down = world.settings.model_copy(update={"assessment_sandbox_url": f"http://127.0.0.1:{free_port()}"})
    providers = ProviderCache(down)
    outage = MentionActivities(
        commands.activities.harvest, world.client, down, commands.mappings.engine, providers=providers.get
    )
    try:
        resolved, _ = await commands.say(app, "send the Rust wizardry assessment")
        outcome = await ActivityEnvironment().run(outage.act_on_mention, resolved)
    finally:
        await providers.aclose()
    assert outcome.workflow_id is None
    assert "could not reach the embedded catalog just now" in outcome.reply
    assert 'Mapped for this job: "Python basics".' in outcome.reply
    assert await world.assessments.running_for_application(app.id) == []
