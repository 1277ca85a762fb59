"""MentionWatchWorkflow on the real dev server against the Greenhouse sandbox, Radicale and the SMTP sink.

A recruiter's note that @mentions Hireflow starts or messages the SchedulingWorkflow and gets a reply
note; a bad note gets a reply that says how to say it right; a note is never acted on twice; a
failing note is kept for the next run, whose cursor comes from the schedule's last completion result.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlmodel import Session, delete
from temporalio.client import Client, ScheduleActionExecutionStartWorkflow
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.greenhouse import note_reference
from integrations.greenhouse.client import HarvestClient
from integrations.mail.reply_address import ReplyAddressCodec
from models.greenhouse import AddNote, Application, Note
from models.mentions import MentionWatchInput, MentionWatchResult
from models.messages import CancelInput, SchedulingState, TaskQueues
from models.settings import Settings
from models.store import HandledMentionNote, create_engine_for
from sandbox.greenhouse.server import SandboxServer
from sandbox.radicale.server import RadicaleServer
from starters.mail_sink import SmtpSink
from starters.requests import start_scheduling
from starters.schedules import MENTION_WATCH_SCHEDULE_ID, ensure_schedules, trigger_mention_watch
from tests.fixtures.mail import MAIL_SECRET, REPLY_DOMAIN
from tests.support.histories import recording, save_history
from tests.support.stack import (
    lookback_since,
    module_workers,
    seeded_store,
    settings_environment,
    stack_settings,
    take_onsite_application,
    wait_for_state,
)
from workflows.mention_watch import MentionWatchWorkflow
from workflows.scheduling import SchedulingWorkflow

pytestmark = pytest.mark.integration


@dataclass
class Watch:
    client: Client
    settings: Settings
    sandbox: SandboxServer
    recorded: int = 0
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    async def post(self, candidate_id: int, body: str, application_id: int | None = None) -> Note:
        """A note by the application's recruiter (on the candidate alone: a site admin), who may command."""
        async with HarvestClient.from_settings(self.settings) as gh:
            author = self.sandbox.seed.admin_user_id
            if application_id is not None:
                author = (await gh.get_application(application_id)).recruiter_id or author
            return await gh.add_note(
                AddNote(candidate_id=candidate_id, application_id=application_id, body=body),
                as_user=author,
            )

    async def run_once(self) -> MentionWatchResult:
        """One run outside the schedule: no cursor, so it looks back an hour (notes already answered are skipped)."""
        handle = await self.client.start_workflow(
            MentionWatchWorkflow.run,
            MentionWatchInput(
                lookback=lookback_since(self.started),
                queues=TaskQueues(harvest=self.settings.harvest_task_queue),
            ),
            id=f"mention-watch-test-{uuid.uuid4().hex[:8]}",
            task_queue=self.settings.task_queue,
            execution_timeout=timedelta(minutes=2),
        )
        result = await handle.result()
        if recording() and result.handled:
            self.recorded += 1
            await save_history(handle, "mention_watch", f"run_{self.recorded}")
        return result

    async def replies_to(self, note: Note) -> list[str]:
        """Hireflow's replies to one note, found by the reference tag the reply carries."""
        reference = note_reference(f"mention-reply-{note.id}")
        async with HarvestClient.from_settings(self.settings) as gh:
            notes = [
                n.body or ""
                async for n in gh.list_notes(
                    candidate_ids=[note.candidate_id or 0], user_ids=[self.sandbox.hireflow_user_id]
                )
            ]
        return [body for body in notes if reference in body]

    async def reply_to(self, note: Note) -> str:
        replies = await self.replies_to(note)
        assert len(replies) == 1, f"expected one reply to note {note.id}, found {replies}"
        return replies[0]


@pytest_asyncio.fixture(scope="module")
async def watch(
    dev_server_env: WorkflowEnvironment,
    greenhouse_sandbox: SandboxServer,
    radicale: RadicaleServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Watch]:
    """One store and one set of workers for the module, as in production: answered notes stay answered."""
    state = tmp_path_factory.mktemp("mention-watch")
    codec = ReplyAddressCodec(MAIL_SECRET, REPLY_DOMAIN)
    async with SmtpSink(state / "mail", port=0, codec=codec) as sink:
        settings = stack_settings(greenhouse_sandbox, radicale.url, sink.port, state)
        engine = await seeded_store(settings, greenhouse_sandbox)
        async with module_workers(dev_server_env.client, settings):
            yield Watch(dev_server_env.client, settings, greenhouse_sandbox)
        engine.dispose()


async def test_schedule_note_starts_the_request_with_the_notes_and_replies_once(watch: Watch) -> None:
    application_id, stage_id, candidate_id = await take_onsite_application(watch.settings)
    tag = f"@[Hireflow](user:{watch.sandbox.hireflow_user_id})"
    note = await watch.post(candidate_id, f"{tag} schedule the onsite, she prefers mornings", application_id)

    result = await watch.run_once()

    handled = {h.note_id: h for h in result.handled}
    workflow_id = f"schedule-{application_id}-{stage_id}"
    assert handled[note.id].action == "schedule" and handled[note.id].workflow_id == workflow_id
    handle = watch.client.get_workflow_handle_for(SchedulingWorkflow.run, workflow_id)
    # The panel may or may not be able to meet (earlier tests booked the shared calendars); either is under way.
    state = await wait_for_state(handle, SchedulingState.OFFERED, SchedulingState.ESCALATED)
    assert state in (SchedulingState.OFFERED, SchedulingState.ESCALATED)
    summary = await (await handle.describe()).static_summary()
    assert summary and str(stage_id) in summary
    reply = await watch.reply_to(note)
    assert reply.startswith("On it: I'm scheduling the Onsite for ")
    assert "she prefers mornings" in reply and f"/workflows/{workflow_id}" in reply

    again = await watch.run_once()
    assert note.id not in {h.note_id for h in again.handled}
    assert len(await watch.replies_to(note)) == 1, "the same note was acted on twice"

    # A second `schedule` for the same stage finds the request under way; `status` and `cancel` reach it.
    twice = await watch.post(candidate_id, "@Hireflow schedule onsite please", application_id)
    status = await watch.post(candidate_id, "@Hireflow status?", application_id)
    await watch.run_once()
    reply = await watch.reply_to(twice)
    assert (
        reply.startswith("Scheduling of the Onsite for ")
        and f"already under way (state {state.value}" in reply
    )
    assert (await watch.reply_to(status)).startswith("The Onsite for ")
    cancel = await watch.post(candidate_id, "@Hireflow cancel: the role was filled", application_id)
    await watch.run_once()
    assert await wait_for_state(handle, SchedulingState.CANCELLED) == SchedulingState.CANCELLED
    assert (await watch.reply_to(cancel)).startswith(
        ("Cancelled the Onsite for ", "Cancelling the Onsite for ")
    )
    assert "the role was filled" in (await handle.query(SchedulingWorkflow.status)).history[-1].detail


async def test_pause_and_resume_reach_the_running_request(watch: Watch) -> None:
    # An offered request (one whose panel cannot meet escalates, and "resume" then answers otherwise).
    for _ in range(6):
        application_id, stage_id, candidate_id = await take_onsite_application(watch.settings)
        await watch.post(candidate_id, "@Hireflow schedule", application_id)
        await watch.run_once()
        handle = watch.client.get_workflow_handle_for(
            SchedulingWorkflow.run, f"schedule-{application_id}-{stage_id}"
        )
        state = await wait_for_state(handle, SchedulingState.OFFERED, SchedulingState.ESCALATED)
        if state == SchedulingState.OFFERED:
            break
    else:
        raise AssertionError("no Onsite application whose panel can meet in 6 tries")

    pause = await watch.post(candidate_id, "@Hireflow pause, candidate is travelling", application_id)
    await watch.run_once()
    await _eventually(lambda: _paused(handle, True))
    resume = await watch.post(candidate_id, "@Hireflow resume", application_id)
    await watch.run_once()
    await _eventually(lambda: _paused(handle, False))
    assert (await watch.reply_to(pause)).startswith("Paused the Onsite")
    assert (await watch.reply_to(resume)).startswith("Resumed the Onsite")
    await watch.post(candidate_id, "@Hireflow cancel", application_id)
    await watch.run_once()
    await wait_for_state(handle, SchedulingState.CANCELLED)


async def test_bad_notes_get_a_reply_that_says_how_to_say_it_right(watch: Watch) -> None:
    application_id, _, candidate_id = await take_onsite_application(watch.settings)
    vague = await watch.post(candidate_id, "@Hireflow what do you think of her?", application_id)
    typo = await watch.post(candidate_id, "@Hireflow schedule the onsight", application_id)
    nothing = await watch.post(candidate_id, "@Hireflow reschedule", application_id)
    unmentioned = await watch.post(candidate_id, "a note that mentions nobody: schedule", application_id)
    # Hireflow's own words (say, posted under another account's token) are never read as commands.
    ours = await watch.post(
        candidate_id,
        "Reply in a note with '@Hireflow resume' once sorted.\n\n[hireflow ref 0123456789ab]",
        application_id,
    )

    result = await watch.run_once()

    assert {h.note_id: h.action for h in result.handled} == {
        vague.id: "unknown",
        typo.id: "schedule",
        nothing.id: "reschedule",
    }
    reply = await watch.reply_to(vague)
    assert reply.startswith("I did not find a command in this note.") and "`schedule [stage]`" in reply
    reply = await watch.reply_to(typo)
    assert reply.startswith('I did not recognise the stage "the onsight".') and '"Onsite"' in reply
    assert (await watch.reply_to(nothing)).startswith("There is no scheduling request running for the Onsite")
    assert await watch.replies_to(unmentioned) == [] and await watch.replies_to(ours) == []


async def test_several_active_applications_need_the_job_named(watch: Watch) -> None:
    candidate_id, job_names = await _candidate_with_two_jobs(watch.settings)

    unclear = await watch.post(candidate_id, "@Hireflow status")  # on the candidate, not on an application
    await watch.run_once()
    reply = await watch.reply_to(unclear)
    assert f"has {len(job_names)} active applications" in reply and "Name the job in your note" in reply
    assert all(f'"{name}"' in reply for name in job_names)

    named = await watch.post(candidate_id, f"@Hireflow status of the {job_names[0]} application")
    await watch.run_once()
    reply = await watch.reply_to(named)
    assert (
        reply.startswith("There is no scheduling request running for the ") and f"for {job_names[0]}" in reply
    )


async def _candidate_with_two_jobs(settings: Settings) -> tuple[int, list[str]]:
    """A seeded candidate with active applications to jobs of different names, none of them in Onsite.

    Taken from the seed rather than created, so the shared sandbox keeps the counts other tests rely on.
    """
    async with HarvestClient.from_settings(settings) as gh:
        jobs = {j.id: j.name or "" async for j in gh.list_jobs()}
        by_candidate: dict[int, list[Application]] = {}
        async for app in gh.list_applications(status="active", prospect=False):
            if app.candidate_id and app.job_id:
                by_candidate.setdefault(app.candidate_id, []).append(app)
    for candidate_id, apps in sorted(by_candidate.items()):
        names = sorted({jobs[a.job_id] for a in apps if a.job_id})
        distinct = len(names) == len(apps) >= 2 and not any(n in m for n in names for m in names if n != m)
        if distinct and all(a.stage_name != "Onsite" for a in apps):
            return candidate_id, names
    raise AssertionError("the seed has no candidate with two active applications outside Onsite")


async def test_a_failing_note_is_retried_by_the_next_scheduled_run_and_answered_once(watch: Watch) -> None:
    _, _, candidate_id = await take_onsite_application(watch.settings)
    await ensure_schedules(
        watch.client, watch.settings.model_copy(update={"mention_watch_interval_seconds": 3600})
    )
    await ensure_schedules(
        watch.client, watch.settings.model_copy(update={"mention_watch_interval_seconds": 3600})
    )
    schedule = watch.client.get_schedule_handle(MENTION_WATCH_SCHEDULE_ID)
    spec = (await schedule.describe()).schedule.spec
    assert [i.every for i in spec.intervals] == [timedelta(hours=1)], "ensure_schedules is idempotent"
    try:
        await _scheduled_run(watch)  # a first run sets the cursor
        note = await watch.post(candidate_id, "@Hireflow what now?")
        # Greenhouse refuses the reply note (422): the run fails the note and keeps it for later.
        await watch.sandbox.add_fault("/v3/notes", status=422, method="POST")
        failed = await _scheduled_run(watch)
        assert failed.failed == [note.id] and failed.cursor.watermark is not None
        assert note.created_at and failed.cursor.watermark <= note.created_at
        assert failed.cursor.failed_runs == {note.id: 1}
        await watch.sandbox.clear_faults()
        recovered = await _scheduled_run(watch)
        assert [h.note_id for h in recovered.handled] == [note.id] and recovered.failed == []
        assert recovered.cursor.watermark and recovered.cursor.watermark > note.created_at
        assert recovered.cursor.failed_runs == {}
        assert (await watch.reply_to(note)).startswith("I did not find a command")
    finally:
        await watch.sandbox.clear_faults()
        await schedule.delete()


async def _scheduled_run(watch: Watch) -> MentionWatchResult:
    """Trigger the schedule and wait for the run it starts."""
    schedule = watch.client.get_schedule_handle(MENTION_WATCH_SCHEDULE_ID)
    before = {
        a.action.workflow_id
        for a in (await schedule.describe()).info.recent_actions
        if isinstance(a.action, ScheduleActionExecutionStartWorkflow)
    }
    await asyncio.sleep(1.1)  # the schedule names runs by the second: two triggers in one second are one run
    await trigger_mention_watch(watch.client)

    async def started() -> str:
        while True:
            for action in (await schedule.describe()).info.recent_actions:
                if (
                    isinstance(action.action, ScheduleActionExecutionStartWorkflow)
                    and action.action.workflow_id not in before
                ):
                    return action.action.workflow_id
            await asyncio.sleep(0.2)

    workflow_id = await asyncio.wait_for(started(), 30)
    handle = watch.client.get_workflow_handle_for(MentionWatchWorkflow.run, workflow_id)
    return await asyncio.wait_for(handle.result(), 60)


async def _paused(handle: object, paused: bool) -> bool:
    status = await handle.query(SchedulingWorkflow.status)  # type: ignore[attr-defined]
    return bool(status.paused == paused)


async def _eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    async def poll() -> None:
        while not await check():
            await asyncio.sleep(0.2)

    await asyncio.wait_for(poll(), timeout)


async def test_worker_with_schedules_creates_the_schedule_and_stops_gracefully(
    watch: Watch, tmp_path: Path
) -> None:
    settings = watch.settings.model_copy(
        update={"temporal_address": watch.client.service_client.config.target_host}
    )
    # development: the local test stack's secrets are short fixtures `hireflow worker` refuses in production
    env = {
        **os.environ,
        **settings_environment(settings),
        "HIREFLOW_LOG_FORMAT": "json",
        "HIREFLOW_ENVIRONMENT": "development",
    }
    with (tmp_path / "worker.log").open("wb") as log:
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "starters.cli",
            "worker",
            "--with-schedules",
            env=env,
            stdout=log,
            stderr=log,
        )
    schedule = watch.client.get_schedule_handle(MENTION_WATCH_SCHEDULE_ID)
    try:

        async def exists() -> bool:
            try:
                described = await schedule.describe()
            except RPCError:
                return False
            return [i.every for i in described.schedule.spec.intervals] == [timedelta(seconds=30)]

        await _eventually(exists, timeout=60)
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(worker.wait(), 60) == 0, (tmp_path / "worker.log").read_text()[-2000:]
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
        await schedule.delete()


async def test_a_note_acted_on_again_after_a_lost_mark_has_one_effect(watch: Watch) -> None:
    """The mention run replied, then failed to record the note: the next run acts again, with no second effect."""
    application_id, stage_id, candidate_id = await take_onsite_application(watch.settings)
    handle = await start_scheduling(watch.client, watch.settings, application_id, stage_id)
    state = await wait_for_state(handle, SchedulingState.OFFERED, SchedulingState.ESCALATED)
    if state != SchedulingState.OFFERED:
        pytest.skip("no loop fits this seeded candidate")
    note = await watch.post(candidate_id, "@Hireflow reschedule please, the panel changed", application_id)
    await watch.run_once()
    first = await handle.query(SchedulingWorkflow.status)
    engine = create_engine_for(watch.settings.resolved_database_url())
    with Session(engine) as session:  # the mark never happened
        session.exec(delete(HandledMentionNote).where(HandledMentionNote.note_id == note.id))  # type: ignore[arg-type]
        session.commit()
    await watch.run_once()
    again = await handle.query(SchedulingWorkflow.status)
    assert again.offer is not None and first.offer is not None
    assert again.offer.version == first.offer.version, "the retried note planned and sent options again"
    assert sum(1 for h in again.history if h.event == "reschedule_requested") <= 1
    assert len(await watch.replies_to(note)) == 1
    await handle.execute_update(
        SchedulingWorkflow.cancel_scheduling, CancelInput(reason="test over", request_id="test-over")
    )
