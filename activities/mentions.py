"""Activities of the MentionWatchWorkflow: find notes that @mention Hireflow, resolve and act on them.

`list_mentions` and `resolve_mention` read Harvest (Harvest task queue); `resolve_mention` also
checks that the note's author may give the command (`mention_authorisation.py`: a refusal is the reply
and nothing acts; a Harvest outage fails the note for a later run). `act_on_mention` starts or
messages the SchedulingWorkflow, or for `send`/`extend` the AssessmentWorkflow
(`mention_assessments.py`), or for `schedule a hiring day ...` starts the EventWorkflow
(`mention_events.py`), through the Temporal client and `mark_mention_handled` records the
note in the SQL store (main queue). Each is safe to retry: starts use the business workflow id with
USE_EXISTING, signals and updates to a request are idempotent in effect (updates carry the note id),
the reply note carries a reference tag.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError

from activities.assessments import ProviderFactory
from activities.errors import from_harvest
from activities.greenhouse import REFERENCE_PREFIX
from activities.mention_assessments import MentionAssessments
from activities.mention_authorisation import authorise_mention
from activities.mention_events import EventMentions
from integrations.assessment_mappings import AssessmentMappings
from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.errors import HarvestError, NotFoundError
from integrations.greenhouse.mention_arguments import parse_extension
from integrations.greenhouse.mentions import (
    COMMANDS_HELP,
    NOTE_TOO_LONG,
    Named,
    jobs_named_in,
    match_named,
    meaningful_words,
    mention_text,
    parse_command,
)
from integrations.greenhouse.query import TimeRange
from integrations.logs import get_logger
from integrations.scheduling_client import SchedulingClient
from models.greenhouse import Application, Job
from models.inert_text import quote_plain
from models.mentions import (
    ASSESSMENT_ACTIONS,
    ListMentionsInput,
    ListMentionsResult,
    MarkMentionInput,
    MentionAction,
    MentionNote,
    MentionOutcome,
    ResolvedMention,
)
from models.messages import (
    CommandResult,
    RecruiterCommandInput,
    SchedulingStatusSnapshot,
    scheduling_workflow_id,
)
from models.settings import Settings
from models.store import HandledMentionNote
from models.time_zones import to_iana

log = get_logger(__name__)


class MentionActivities:
    """One instance per worker: the shared Harvest client, Temporal client, settings and SQL store.

    `providers` builds assessment providers (the worker's `ProviderCache.get`); without it `send` only
    knows the tests mapped for the job, not the provider's catalog.
    """

    def __init__(
        self,
        harvest: HarvestClient,
        client: Client,
        settings: Settings,
        engine: Engine,
        *,
        providers: ProviderFactory | None = None,
    ) -> None:
        self.harvest = harvest
        self.scheduling = SchedulingClient(client, settings)
        self.assessment_commands = MentionAssessments(client, settings, AssessmentMappings(engine), providers)
        self.event_commands = EventMentions(harvest, client, settings, engine)
        self.settings = settings
        self.engine = engine

    # ---------------------------------------------------------------------------------------- list

    @activity.defn
    async def list_mentions(self, request: ListMentionsInput) -> ListMentionsResult:
        """Notes created in [since, now] that mention Hireflow, oldest first, minus those answered already."""
        until = datetime.now(UTC)
        since = request.since or until - request.lookback
        name, me = self.settings.mention_name, self.settings.greenhouse_user_id
        found: list[MentionNote] = []
        scanned = 0
        try:
            async for note in self.harvest.list_notes(
                type="NOTE", created_at=TimeRange(gte=since, lte=until)
            ):
                scanned += 1
                if note.candidate_id is None or (me is not None and note.user_id == me):
                    continue  # Hireflow's own replies are never commands
                if REFERENCE_PREFIX in (note.body or ""):
                    continue  # nor is any note Hireflow wrote, whoever the token acted as
                text = await asyncio.to_thread(mention_text, note.body, note.body_with_tags, name, me)
                if text is None:
                    continue
                found.append(
                    MentionNote(
                        note_id=note.id,
                        created_at=note.created_at or until,
                        candidate_id=note.candidate_id,
                        application_id=note.application_id,
                        user_id=note.user_id,
                        text=text,
                    )
                )
        except HarvestError as error:
            raise from_harvest(error) from error
        handled = await asyncio.to_thread(self._handled_ids, [n.note_id for n in found])
        fresh = sorted(
            (n for n in found if n.note_id not in handled), key=lambda n: (n.created_at, n.note_id)
        )
        log.info("mentions_listed", scanned=scanned, mentions=len(found), new=len(fresh))
        return ListMentionsResult(notes=fresh, until=until, scanned=scanned)

    def _handled_ids(self, note_ids: list[int]) -> set[int]:
        if not note_ids:
            return set()
        with Session(self.engine) as session:
            rows = session.exec(
                select(HandledMentionNote.note_id).where(col(HandledMentionNote.note_id).in_(note_ids))
            )
            return set(rows.all())

    # ------------------------------------------------------------------------------------- resolve

    @activity.defn
    async def resolve_mention(self, note: MentionNote) -> ResolvedMention:
        """The command, application and stage a note is about; `problem` says what is missing."""
        try:
            return await self._resolve(note)
        except NotFoundError:
            return ResolvedMention(
                note=note, problem="I could not find this candidate's application any more."
            )
        except HarvestError as error:
            raise from_harvest(error) from error

    async def _resolve(self, note: MentionNote) -> ResolvedMention:
        if note.too_long:  # only its first characters were kept: acting on a part could be wrong
            return ResolvedMention(note=note, problem=NOTE_TOO_LONG)
        helptext = COMMANDS_HELP.format(name="@" + self.settings.mention_name)
        parsed = parse_command(note.text)
        if parsed.action is None:
            return ResolvedMention(note=note, problem=f"I did not find a command in this note. {helptext}")
        resolved = ResolvedMention(note=note, action=parsed.action, recruiter_notes=parsed.notes)
        if parsed.action == "event":  # a whole job stage's recruiting event, not this application's loop
            return await self.event_commands.resolve(resolved, parsed.argument)
        application, problem = await self._application(note, parsed.action)
        if application is None:
            return resolved.model_copy(update={"problem": problem})
        job = await self.harvest.get_job(application.job_id) if application.job_id is not None else None
        job_name = (job.name if job else None) or ""
        refusal = await self._refusal(note, parsed.action, application, job)
        if refusal:
            return resolved.model_copy(
                update={"application_id": application.id, "job_name": job_name, "problem": refusal}
            )
        if parsed.action in ASSESSMENT_ACTIONS:
            about = {"application_id": application.id, "job_id": application.job_id, "job_name": job_name}
            return await self._assessment_arguments(resolved.model_copy(update=about), parsed.argument)
        stages = [
            Named(s.id, s.name or "")
            async for s in self.harvest.list_job_interview_stages(job_ids=[application.job_id or 0])
            if s.active
        ]
        current = next((s for s in stages if s.id == application.job_interview_stage_id), None)
        stage, problem = self._stage(parsed.action, parsed.argument, job_name, stages, current)
        return resolved.model_copy(
            update={
                "application_id": application.id,
                "job_name": job_name,
                "job_interview_stage_id": stage.id if stage else None,
                "stage_name": stage.name if stage else "",
                "problem": problem,
            }
        )

    async def _refusal(
        self, note: MentionNote, action: MentionAction, application: Application, job: Job | None
    ) -> str:
        """The polite refusal when the note's author may not give this command here; empty when allowed."""
        verdict = await authorise_mention(self.harvest, self.settings, note, action, application, job)
        return verdict.reply

    async def _assessment_arguments(self, resolved: ResolvedMention, argument: str) -> ResolvedMention:
        """`send`: the words naming the test. `extend`: the duration (bounded) and the candidate's zone."""
        if resolved.action == "send":
            return resolved.model_copy(update={"test_phrase": argument})
        extension = parse_extension(argument)
        if extension.problem:
            return resolved.model_copy(update={"problem": extension.problem})
        candidate = await self.harvest.get_candidate(resolved.note.candidate_id)
        return resolved.model_copy(
            update={
                "test_phrase": extension.phrase,
                "extend_hours": extension.hours,
                "candidate_time_zone": to_iana(candidate.time_zone) or "",
            }
        )

    async def _application(self, note: MentionNote, action: MentionAction) -> tuple[Application | None, str]:
        """The note's application, else the candidate's only active one, else the one whose job is named."""
        nothing = _NOTHING_TO.get(action, "nothing to schedule")
        if note.application_id is not None:
            application = await self.harvest.get_application(note.application_id)
            if application.status == "in_process":
                return application, ""
            return None, f"This application is {application.status}, so there is {nothing}."
        active = [
            a
            async for a in self.harvest.list_applications(candidate_ids=[note.candidate_id], status="active")
            if not a.prospect and a.job_id is not None
        ]
        if len(active) == 1:
            return active[0], ""
        if not active:
            return None, f"This candidate has no active application, so there is {nothing}."
        jobs = {
            a.job_id: (await self.harvest.get_job(a.job_id)).name or f"job {a.job_id}"
            for a in active
            if a.job_id
        }
        named = jobs_named_in(note.text, [Named(job_id, name) for job_id, name in jobs.items()])
        if len(named) == 1:
            return next(a for a in active if a.job_id == named[0].id), ""
        listing = ", ".join(f'"{name}"' for name in sorted(jobs.values()))
        return None, (
            f"This candidate has {len(active)} active applications ({listing}). "
            'Name the job in your note, for example "schedule the onsite for <job name>".'
        )

    @staticmethod
    def _stage(
        action: str, argument: str, job_name: str, stages: list[Named], current: Named | None
    ) -> tuple[Named | None, str]:
        """Stage named after `schedule`, else the application's current stage."""
        phrase = argument.lower().replace(job_name.lower(), " ") if job_name else argument
        hits = match_named(phrase, stages) if action == "schedule" else []
        if len(hits) == 1:
            return hits[0], ""
        names_list = ", ".join(f'"{s.name}"' for s in stages)
        if len(hits) > 1:
            return (
                None,
                f"{quote_plain(argument, 200)} matches several stages "
                f"({', '.join(h.name for h in hits)}); say which one.",
            )
        if action == "schedule" and meaningful_words(phrase):
            return (
                None,
                f"I did not recognise the stage {quote_plain(argument, 200)}. The stages of this job are {names_list}.",
            )
        if current is None:
            return None, f"I could not tell which stage this application is in; name one of {names_list}."
        return current, ""

    # ----------------------------------------------------------------------------------------- act

    @activity.defn
    async def act_on_mention(self, resolved: ResolvedMention) -> MentionOutcome:
        """Start or message the request and say, in the reply note's words, what happened."""
        if resolved.action in ASSESSMENT_ACTIONS:
            return await self.assessment_commands.act(resolved)
        if resolved.action == "event":
            return await self.event_commands.act(resolved)
        assert resolved.action and resolved.application_id and resolved.job_interview_stage_id
        workflow_id = scheduling_workflow_id(resolved.application_id, resolved.job_interview_stage_id)
        link = self.settings.workflow_ui_url(workflow_id)
        what = f"the {resolved.stage_name}" + (f" for {resolved.job_name}" if resolved.job_name else "")
        if resolved.action == "schedule":
            running = await self._running(workflow_id)
            if running is not None:
                return MentionOutcome(
                    reply=f"Scheduling of {what} is already under way ({_state_line(running)}). Progress: {link}",
                    workflow_id=workflow_id,
                )
            await self.scheduling.start(
                resolved.application_id,
                resolved.job_interview_stage_id,
                requested_by_user_id=resolved.note.user_id,
                source="mention",
                recruiter_notes=resolved.recruiter_notes,
            )
            log.info("mention_started_request", workflow_id=workflow_id, note_id=resolved.note.note_id)
            kept = resolved.recruiter_notes.rstrip(". ")
            notes = f" Your notes are with the request: {quote_plain(kept, 500)}." if kept else ""
            return MentionOutcome(
                reply=(
                    f"On it: I'm scheduling {what}. The candidate gets an email with live options to pick from; "
                    f"I'll book the calendars and the interviews here and tell you if anything needs you.{notes} "
                    f"Progress: {link}"
                ),
                workflow_id=workflow_id,
            )
        status = await self._running(workflow_id)
        if status is None:
            return MentionOutcome(
                reply=(
                    f"There is no scheduling request running for {what}, so there is nothing to "
                    f"{resolved.action}. Mention me with `schedule` to start one."
                )
            )
        if resolved.action == "status":
            return MentionOutcome(
                reply=f"{what[0].upper()}{what[1:]}: {_state_line(status)}. {link}", workflow_id=workflow_id
            )
        command = RecruiterCommandInput(
            command=resolved.action,
            user_id=resolved.note.user_id,
            note=resolved.recruiter_notes[:2000],
            request_id=f"note-{resolved.note.note_id}",
        )
        try:
            result = await self.scheduling.command(workflow_id, command)
        except WorkflowUpdateFailedError as error:
            return MentionOutcome(
                reply=f"I could not {resolved.action} {what}: {error.cause or error}. {link}"
            )
        log.info(
            "mention_messaged_request",
            workflow_id=workflow_id,
            action=resolved.action,
            outcome=result.outcome,
            duplicate=result.duplicate,
        )
        return MentionOutcome(reply=f"{_reply_line(what, result)} {link}", workflow_id=workflow_id)

    async def _running(self, workflow_id: str) -> SchedulingStatusSnapshot | None:
        return await self.scheduling.running(workflow_id)

    # ---------------------------------------------------------------------------------------- mark

    @activity.defn
    async def mark_mention_handled(self, request: MarkMentionInput) -> None:
        """Remember the note; a second attempt that finds it there already is fine."""
        await asyncio.to_thread(self._mark, request)

    def _mark(self, request: MarkMentionInput) -> None:
        row = HandledMentionNote(
            note_id=request.note_id,
            action=request.action[:32],
            workflow_id=request.workflow_id,
            outcome=request.outcome[:500],
        )
        with Session(self.engine) as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()


_NOTHING_TO: dict[str, str] = {"send": "no assessment to send", "extend": "nothing to extend"}


def _reply_line(what: str, result: CommandResult) -> str:
    """The workflow's own answer about `what`: "Paused the Onsite: no reminders ...", "The Onsite: ..."."""
    head, colon, rest = result.message.partition(": ")
    if colon and " " not in head:
        return f"{head} {what}: {rest}"
    return f"{what[0].upper()}{what[1:]}: {result.message}"


def _state_line(status: SchedulingStatusSnapshot) -> str:
    line = f"state {status.state.value}"
    if status.paused:
        line += ", paused"
    if status.waiting_for:
        line += f", waiting for {status.waiting_for}"
    if status.deadline:
        line += f" until {status.deadline:%Y-%m-%d %H:%M} UTC"
    if status.booking:
        first = min(s.start for s in status.booking.sessions)
        line += f"; booked, first session {first:%Y-%m-%d %H:%M} UTC"
    return line
