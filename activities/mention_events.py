"""The event form of `schedule`: `@Hireflow schedule a hiring day on 24 March for the Backend Engineer onsite`.

`MentionActivities.resolve_mention` (Harvest queue) hands the note here when `parse_command` read an
event (`action == "event"`): the days (`mention_arguments.parse_event`), the job (an open job named in
the note, else the note's application's job), who may ask (`authorise_event`: a site admin or a job
permission the `event` rule allows, on that job), the stage (named within the job's interview plan, else
the application's current stage) and the zone the days are read in (the job's office, else the org's
onsite office, else the org's default zone, else UTC: as a single in-person loop is planned). A date
without a year is the next one on or after today in that zone.

`MentionActivities.act_on_mention` (main queue) then starts the EventWorkflow through
`EventClient.start` (one per job stage and first day, USE_EXISTING): an event already running is
reported with its state, not started again. A note delivered twice therefore starts one event.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from activities.mention_authorisation import authorise_event
from integrations.event_client import EventClient
from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.errors import NotFoundError
from integrations.greenhouse.mention_arguments import (
    EVENT_FILLER,
    EventArguments,
    event_days,
    parse_event,
    subject_words,
)
from integrations.greenhouse.mentions import Named, jobs_named_in, match_named, meaningful_words
from integrations.logs import get_logger
from integrations.org_store import OrgConfigStore
from models.event_io import EventRequest, EventState, EventStatus, event_workflow_id
from models.greenhouse import Application, Job
from models.inert_text import escape_markdown, quote_plain
from models.mentions import MentionNote, MentionOutcome, ResolvedMention
from models.settings import Settings

log = get_logger(__name__)

LISTED = 10  # a reply names at most this many jobs or stages
STATUS_TIMEOUT_SECONDS = 5.0  # an event whose workflow cannot answer yet is reported as running


def days_label(days: list[date]) -> str:
    """[2027-03-24, 2027-03-25] → "Wed 24 Mar 2027 and Thu 25 Mar 2027"."""
    labels = [f"{d:%a} {d.day} {d:%b %Y}" for d in days]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def event_state_line(status: EventStatus) -> str:
    """ "state collecting, answers by 2027-03-22 09:00 UTC; 12 candidates: 4 answered, 8 invited"."""
    line = f"state {status.state.value}"
    if status.answer_by and status.state in (EventState.GATHERING, EventState.COLLECTING):
        line += f", answers by {status.answer_by:%Y-%m-%d %H:%M} UTC"
    if status.escalation and status.state == EventState.ESCALATED:
        line += f", needs a recruiter: {status.escalation}"
    if status.candidates:
        counts: dict[str, int] = {}
        for candidate in status.candidates:
            counts[candidate.state.value] = counts.get(candidate.state.value, 0) + 1
        listed = ", ".join(f"{n} {state.replace('_', ' ')}" for state, n in counts.items())
        line += f"; {len(status.candidates)} candidate(s): {listed}"
    return line


class EventMentions:
    """Resolve and start recruiting events for mentions."""

    def __init__(self, harvest: HarvestClient, client: Client, settings: Settings, engine: Engine) -> None:
        self.harvest = harvest
        self.events = EventClient(client, settings)
        self.org = OrgConfigStore(engine)
        self.settings = settings

    # ------------------------------------------------------------------------------------- resolve

    async def resolve(self, resolved: ResolvedMention, argument: str) -> ResolvedMention:
        """The event a note asks for, authorised; `problem` (the reply) when it cannot be started."""
        note = resolved.note
        said = await asyncio.to_thread(parse_event, argument)
        if said.problem:
            return resolved.model_copy(update={"problem": said.problem})
        application = await self._application(note)
        update: dict[str, object] = {"application_id": application.id if application else None}
        job, stage_phrase, problem = await self._job(said, application)
        if job is None:
            return resolved.model_copy(update={**update, "problem": problem})
        job_name = job.name or f"job {job.id}"
        update |= {"job_id": job.id, "job_name": job_name}
        verdict = await authorise_event(self.harvest, self.settings, note, job)
        if verdict.reply:
            return resolved.model_copy(update={**update, "problem": verdict.reply})
        plan = [s async for s in self.harvest.list_job_interview_stages(job_ids=[job.id]) if s.active]
        stages = [Named(s.id, s.name or "") for s in sorted(plan, key=lambda s: (s.sort_order, s.id))]
        current = None
        if application is not None and application.job_id == job.id:
            current = next((s for s in stages if s.id == application.job_interview_stage_id), None)
        stage, problem = _stage(stage_phrase, job_name, stages, current, job_named=problem == "named")
        if stage is None:
            return resolved.model_copy(update={**update, "problem": problem})
        update |= {"job_interview_stage_id": stage.id, "stage_name": stage.name}
        zone = await self._zone(job)
        today = datetime.now(ZoneInfo(zone)).date()
        days, problem = event_days(said.dates, today)
        if problem:
            return resolved.model_copy(update={**update, "problem": problem})
        return resolved.model_copy(
            update={**update, "event_days": days, "event_time_zone": zone, "event_name": said.kind[:80]}
        )

    async def _application(self, note: MentionNote) -> Application | None:
        """The note's application (whatever its status), else the candidate's only active one: the defaults."""
        if note.application_id is not None:
            try:
                return await self.harvest.get_application(note.application_id)
            except NotFoundError:
                return None
        active = [
            a
            async for a in self.harvest.list_applications(candidate_ids=[note.candidate_id], status="active")
            if not a.prospect and a.job_id is not None
        ]
        return active[0] if len(active) == 1 else None

    async def _job(
        self, said: EventArguments, application: Application | None
    ) -> tuple[Job | None, str, str]:
        """(job, the words left to name the stage, "named" or "default"), or (None, "", the reply)."""
        jobs = [j async for j in self.harvest.list_jobs(status="open")]
        named = jobs_named_in(said.subject, [Named(j.id, j.name or "") for j in jobs])
        phrase = subject_words(said.subject)
        if len(named) > 1:
            listing = ", ".join(f'"{escape_markdown(j.name)}"' for j in named[:LISTED])
            return None, "", f"The note names several jobs ({listing}); name one per event."
        if named:
            job = next(j for j in jobs if j.id == named[0].id)
            return job, _without_name(phrase, job.name or ""), "named"
        if application is None or application.job_id is None:
            return (
                None,
                "",
                (
                    "I could not tell which job the event is for. Name the job as Greenhouse shows it, for "
                    'example "schedule a hiring day on 24 March for <job name>, onsite", or write the note on '
                    "an application of that job."
                ),
            )
        known = next((j for j in jobs if j.id == application.job_id), None)
        return known or await self.harvest.get_job(application.job_id), phrase, "default"

    async def _zone(self, job: Job) -> str:
        return await office_zone(self.org, job)

    # ----------------------------------------------------------------------------------------- act

    async def act(self, resolved: ResolvedMention) -> MentionOutcome:
        """Start the event, or say how the one already running for this stage and first day stands."""
        assert resolved.job_id and resolved.job_interview_stage_id and resolved.event_days
        days = sorted(resolved.event_days)
        workflow_id = event_workflow_id(resolved.job_id, resolved.job_interview_stage_id, days[0])
        link = self.settings.workflow_ui_url(workflow_id)
        name = resolved.event_name or "hiring day"
        what = f"the {name} for {escape_markdown(resolved.job_name)}, {escape_markdown(resolved.stage_name)}"
        zone = resolved.event_time_zone or "UTC"
        running = await self._running(workflow_id)
        if running is not None:
            return MentionOutcome(
                reply=(
                    f"A recruiting event for {escape_markdown(resolved.job_name)}, "
                    f"{escape_markdown(resolved.stage_name)} from {days_label(days[:1])} is already under way "
                    f"({running}); I did not start another. Event `{workflow_id}`. Progress: {link}"
                ),
                workflow_id=workflow_id,
            )
        request = EventRequest(
            job_id=resolved.job_id,
            job_interview_stage_id=resolved.job_interview_stage_id,
            days=days,
            time_zone=zone,
            name=name,
            requested_by_user_id=resolved.note.user_id,
            source="mention",
        )
        await self.events.start(request)
        log.info(
            "mention_started_event", workflow_id=workflow_id, note_id=resolved.note.note_id, days=len(days)
        )
        kept = resolved.recruiter_notes.strip(" .;")
        notes = f" Your notes: {quote_plain(kept, 300)} (they are not sent to candidates)." if kept else ""
        return MentionOutcome(
            reply=(
                f"On it: I'm planning {what} on {days_label(days)} ({zone} time). Every candidate in "
                f"{escape_markdown(resolved.stage_name)} gets an email asking for their availability on "
                "those days; when they have answered I plan the event, book the interviews and tell you "
                f"here if anything needs you.{notes} Event `{workflow_id}`. Progress: {link}"
            ),
            workflow_id=workflow_id,
        )

    async def _running(self, workflow_id: str) -> str | None:
        """How the running event stands ("state collecting, ..."), or None when none is running."""
        try:
            described = await self.events.handle(workflow_id).describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        if described.status != WorkflowExecutionStatus.RUNNING:
            return None
        try:
            status = await asyncio.wait_for(self.events.status(workflow_id), STATUS_TIMEOUT_SECONDS)
        except (RPCError, WorkflowQueryFailedError, TimeoutError):  # not answering yet: say what we know
            return f"running since {described.start_time:%Y-%m-%d %H:%M} UTC"
        return event_state_line(status)


async def office_zone(org_store: OrgConfigStore, job: Job) -> str:
    """The zone an event's days are read in, found as a single in-person loop's office (planning.py): the
    job's first office, else the org's onsite office; else the org's default zone; else UTC."""
    org = await org_store.aorg()
    office_id = (job.office_ids[0] if job.office_ids else None) or org.onsite_office_id
    office = await org_store.aoffice(office_id) if office_id is not None else None
    for zone in (office.time_zone if office else "", org.default_time_zone):
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return zone
    return "UTC"


def _without_name(phrase: str, name: str) -> str:
    """The phrase without the job's name (its words, in order, wherever they stand)."""
    words, name_words = phrase.split(), meaningful_words(name)
    if not name_words:
        return phrase
    lowered = [" ".join(meaningful_words(w)) for w in words]
    for start in range(len(words)):
        if not lowered[start]:
            continue
        end, matched = start, 0
        while end < len(words) and matched < len(name_words):
            if lowered[end] == "":
                end += 1
                continue
            if lowered[end] != name_words[matched]:
                break
            matched, end = matched + 1, end + 1
        if matched == len(name_words):
            return " ".join(words[:start] + words[end:])
    return phrase


def _stage(
    phrase: str, job_name: str, stages: list[Named], current: Named | None, *, job_named: bool
) -> tuple[Named | None, str]:
    """The stage the words name, else the application's current stage; the reply when neither."""
    names = ", ".join(f'"{escape_markdown(s.name)}"' for s in stages[:LISTED])
    job = escape_markdown(job_name)
    words = [w for w in meaningful_words(phrase) if w not in EVENT_FILLER]
    hits = match_named(phrase, stages) if words else []
    if len(hits) > 1:
        several = ", ".join(f'"{escape_markdown(h.name)}"' for h in hits)
        return None, f"{quote_plain(phrase, 200)} matches several stages of {job} ({several}); say which one."
    if len(hits) == 1:
        left = set(words) - set(meaningful_words(hits[0].name))
        if job_named or not left:
            return hits[0], ""
        return None, (
            f"I did not find an open job named {quote_plain(phrase, 200)}. Name the job as Greenhouse shows "
            f'it, for example "schedule a hiring day on 24 March for {job}, {escape_markdown(hits[0].name)}".'
        )
    if words:
        if job_named:
            return (
                None,
                f"I did not recognise the stage {quote_plain(phrase, 200)}. The stages of {job} are {names}.",
            )
        return None, (
            f"I did not recognise {quote_plain(phrase, 200)} as an open job or as a stage of {job} "
            f"(this application's job). Its stages are {names}; name another job as Greenhouse shows it."
        )
    if current is None:
        return None, f"Which stage of {job} is the event for? Name one of {names}."
    return current, ""
