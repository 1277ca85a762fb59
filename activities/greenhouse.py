"""Harvest v3 activities: read what a request needs, record interviews, write notes.

They run on the Harvest task queue, whose server-side rate limit keeps the whole fleet under the
customer's Harvest limit. Greenhouse has no idempotency keys, so every write first looks for what an
earlier attempt may already have done: interviews by `external_event_id`, notes by a reference tag.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from temporalio import activity

from activities.errors import from_harvest
from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.errors import HarvestError, NotFoundError, ValidationError
from integrations.greenhouse.query import TimeRange
from integrations.interview_index import InterviewIndex
from integrations.logs import get_logger
from integrations.mirror import MirrorReader
from integrations.mirror_first import MirrorFirstReads
from integrations.org_store import OrgConfigStore
from models.activity_io import GatherInput, InterviewsInput, NoteInput, SessionsResult, UpdateInterviewInput
from models.event_io import EventApplicationsInput, EventApplicationsResult
from models.greenhouse import AddNote, CreateInterview, InterviewerInput, UpdateInterview, User
from models.messages import BookedSession, Person, SchedulingContext, SessionSpec
from models.time_zones import to_iana

log = get_logger(__name__)
T = TypeVar("T")

MAX_ALTERNATES = 12


REFERENCE_PREFIX = "[hireflow ref "


def note_reference(key: str) -> str:
    """The tag that makes a note findable again: `[hireflow ref <12 hex>]`."""
    return f"{REFERENCE_PREFIX}{hashlib.sha256(key.encode()).hexdigest()[:12]}]"


def _display_name(user: User) -> str:
    return user.name or " ".join(p for p in (user.first_name, user.last_name) if p) or f"user {user.id}"


def _email(user: User) -> str | None:
    return user.primary_email or (user.emails[0] if user.emails else None)


class GreenhouseActivities:
    """Activities that talk to Harvest v3 through one shared client (and its token cache and pacing)."""

    def __init__(
        self,
        harvest: HarvestClient,
        org: OrgConfigStore | None = None,
        index: InterviewIndex | None = None,
        mirror: MirrorReader | None = None,
    ) -> None:
        self.harvest = harvest
        self.org = org
        self.index = index
        self.mirror = mirror  # the gather reads the mirror first when given (integrations/mirror_first.py)

    async def _guard(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except HarvestError as error:
            raise from_harvest(error) from error

    # ----------------------------------------------------------------------------------- gathering

    @activity.defn
    async def list_event_applications(self, request: EventApplicationsInput) -> EventApplicationsResult:
        """The active applications now in a job's stage, oldest stage entry first, for a recruiting event.

        Read through the documented stage history (`current` rows of the stage), then kept to the job's
        active applications: a stage id is per job already, the job check guards against a mistyped one.
        """
        return await self._guard(lambda: self._event_applications(request))

    async def _event_applications(self, request: EventApplicationsInput) -> EventApplicationsResult:
        rows = await self.harvest.list_application_stages(
            job_interview_stage_ids=[request.job_interview_stage_id], current=True, per_page=500
        ).collect()
        rows.sort(key=lambda r: (r.entered_at or r.created_at or datetime.min.replace(tzinfo=UTC), r.id))
        order = list(dict.fromkeys(r.application_id for r in rows if r.application_id is not None))
        active: set[int] = set()
        for chunk in (order[i : i + 100] for i in range(0, len(order), 100)):
            listing = self.harvest.list_applications(ids=chunk, job_ids=[request.job_id], status="active")
            active |= {a.id for a in await listing.collect() if not a.prospect}
        kept = [a for a in order if a in active]
        return EventApplicationsResult(
            application_ids=kept[: request.limit], more=max(0, len(kept) - request.limit)
        )

    @activity.defn
    async def gather_scheduling_context(self, request: GatherInput) -> SchedulingContext:
        """The application, candidate, job, the stage's interviews with their panels, and the people."""
        return await self._guard(lambda: self._gather(request))

    async def _gather(self, request: GatherInput) -> SchedulingContext:
        reads = MirrorFirstReads(self.harvest, self.mirror)
        application = await reads.application(request.application_id)
        if application.candidate_id is None or application.job_id is None:
            raise ValidationError(
                f"application {request.application_id} has no candidate or job (a prospect?)",
                status=422,
                method="GET",
                path="/v3/applications",
            )
        candidate = await reads.candidate(application.candidate_id)
        job = await reads.job(application.job_id)
        stages = await reads.stages_with(job.id, request.job_interview_stage_id)
        stage = next((s for s in stages if s.id == request.job_interview_stage_id), None)
        if stage is None:
            raise NotFoundError(
                f"stage {request.job_interview_stage_id} is not a stage of job {job.id}",
                status=404,
                method="GET",
                path="/v3/job_interview_stages",
            )
        slots = [
            ji
            for ji in await reads.stage_interviews(stage.id)
            if ji.active and ji.scheduling_type in (None, "needs_scheduling") and ji.duration
        ]
        slots.sort(key=lambda ji: (ji.sort_order, ji.id))
        kits = await reads.interview_kits([ji.id for ji in slots]) if slots else []
        kit_of = {kit.id: kit.job_interview_id for kit in kits}
        defaults = await reads.default_interviewers(list(kit_of)) if kit_of else []
        panel: dict[int, list[int]] = {}
        for row in sorted(defaults, key=lambda d: d.id):
            job_interview_id = kit_of.get(row.interview_kit_id or -1)
            if job_interview_id is not None and row.user_id is not None:
                panel.setdefault(job_interview_id, []).append(row.user_id)

        # The stage's bench (everyone on any of its panels) and colleagues sharing an interviewer tag are
        # the alternates tried when a panel cannot make it; a configured pool replaces them.
        bench = list(dict.fromkeys(u for ji in slots for u in panel.get(ji.id, [])))
        ids = [ji.id for ji in slots]
        configured = await self.org.apools(ids) if self.org else dict.fromkeys(ids)
        trainees = await self.org.atrainees(ids) if self.org else {i: [] for i in ids}
        user_ids = set(bench) | {
            u for u in (application.recruiter_id, application.coordinator_id) if u is not None
        }
        user_ids |= {u for c in configured.values() if c for u in c.alternates}
        user_ids |= {u for t in trainees.values() for u in t}
        users = {u.id: u for u in await reads.users(sorted(user_ids))} if user_ids else {}
        tags = sorted({tag.id for u in bench if u in users for tag in users[u].interviewer_tags if tag.id})
        if tags:
            for user in await reads.active_users_tagged(tags):
                if job.department_id is None or job.department_id in user.department_ids:
                    users.setdefault(user.id, user)
        colleagues = [
            u
            for u in users
            if u not in bench and u not in (application.recruiter_id, application.coordinator_id)
        ]

        sessions: list[SessionSpec] = []
        for ji in slots:
            own = panel.get(ji.id, [])
            config = configured[ji.id]
            wider = config.alternates if config else [*bench, *colleagues]
            sessions.append(
                SessionSpec(
                    session_id=f"ji{ji.id}",
                    job_interview_id=ji.id,
                    name=ji.name or f"Interview {ji.id}",
                    duration_minutes=int(ji.duration or 60),
                    pool=own,
                    count=config.count if config else 1,
                    alternates=[u for u in dict.fromkeys(wider) if u not in own][:MAX_ALTERNATES],
                    trainee_pool=trainees[ji.id],
                )
            )
        profiles = await self.org.apeople(users) if self.org else {}
        default_zone = (await self.org.aorg()).default_time_zone if self.org else "UTC"
        people = [
            Person(
                user_id=user.id,
                name=_display_name(user),
                email=_email(user),
                time_zone=profiles[user.id].time_zone if user.id in profiles else default_zone,
            )
            for user in users.values()
            if not user.deactivated
        ]
        active = {p.user_id for p in people}
        for session in sessions:
            session.pool = [u for u in session.pool if u in active]
            session.alternates = [u for u in session.alternates if u in active]
            session.trainee_pool = [u for u in session.trainee_pool if u in active]
        emails = [e.value for e in candidate.email_addresses if e.value]
        context = SchedulingContext(
            application_id=application.id,
            candidate_id=candidate.id,
            job_id=job.id,
            job_name=job.name or f"Job {job.id}",
            job_interview_stage_id=stage.id,
            stage_name=stage.name or f"Stage {stage.id}",
            recruiter_id=application.recruiter_id,
            coordinator_id=application.coordinator_id,
            candidate_first_name=candidate.preferred_name or candidate.first_name or "",
            candidate_email=emails[0] if emails and candidate.can_email else None,
            candidate_can_email=candidate.can_email,
            candidate_time_zone=to_iana(candidate.time_zone) or default_zone,
            sessions=sessions,
            people=people,
            rooms_office_id=job.office_ids[0] if job.office_ids else None,
        )
        log.info(
            "context_gathered",
            application_id=application.id,
            stage_id=stage.id,
            sessions=len(sessions),
            people=len(people),
            harvest_reads=reads.harvest_reads,
        )
        return context

    # ---------------------------------------------------------------------------------- interviews

    @activity.defn
    async def record_greenhouse_interviews(self, request: InterviewsInput) -> SessionsResult:
        """`POST /v3/interviews` per session, unless an earlier attempt already recorded it."""
        result = await self._guard(lambda: self._record(request))
        if self.index is not None:
            ids = [s.greenhouse_interview_id for s in result.sessions if s.greenhouse_interview_id]
            await self.index.remember(activity.info().workflow_id or "", request.application_id, ids)
        return result

    async def _record(self, request: InterviewsInput) -> SessionsResult:
        recorded: list[BookedSession] = []
        earlier = await self._recorded_by_external_id(request)
        for session in request.sessions:
            existing = session.greenhouse_interview_id or earlier.get(_external_id(session))
            if existing is None:
                interview = await self.harvest.create_interview(
                    CreateInterview(
                        application_id=request.application_id,
                        job_interview_id=session.job_interview_id,
                        interviewers=[InterviewerInput(user_id=u) for u in session.interviewers],
                        starts_at=session.start,
                        ends_at=session.end,
                        external_event_id=_external_id(session),
                        location=session.room,
                        video_conferencing_url=session.video_url,
                    )
                )
                existing = interview.id
                log.info("interview_recorded", application_id=request.application_id, interview_id=existing)
            recorded.append(session.model_copy(update={"greenhouse_interview_id": existing}))
        return SessionsResult(sessions=recorded)

    async def _recorded_by_external_id(self, request: InterviewsInput) -> dict[str, int]:
        """Interviews an earlier attempt recorded for these sessions, by external event id: one listing of
        the application's interviews (not one per session), and none when every session knows its id or
        this is the first try of a booking attempt's first issue."""
        if all(s.greenhouse_interview_id is not None for s in request.sessions):
            return {}
        if request.first_issue and activity.info().attempt == 1:
            return {}  # a new booking attempt's keys: no earlier try can have used them
        wanted = {_external_id(s) for s in request.sessions}
        found: dict[str, int] = {}
        async for interview in self.harvest.list_interviews(application_ids=[request.application_id]):
            key = interview.external_event_id
            if key is not None and key in wanted:
                found.setdefault(key, interview.id)
        return found

    async def _find_interview(self, application_id: int, session: BookedSession) -> int | None:
        if session.greenhouse_interview_id is not None:
            return session.greenhouse_interview_id
        async for interview in self.harvest.list_interviews(
            application_ids=[application_id], external_event_id=_external_id(session)
        ):
            return interview.id
        return None

    @activity.defn
    async def update_greenhouse_interview(self, request: UpdateInterviewInput) -> None:
        """Replace the panel of a recorded interview (Greenhouse replaces it wholesale)."""
        session = request.session
        if session.greenhouse_interview_id is None:
            return
        interview_id = session.greenhouse_interview_id
        await self._guard(
            lambda: self.harvest.update_interview(
                interview_id,
                UpdateInterview(
                    interviewers=[InterviewerInput(user_id=u) for u in session.interviewers],
                    starts_at=session.start,
                    ends_at=session.end,
                ),
            )
        )

    @activity.defn
    async def delete_greenhouse_interviews(self, request: InterviewsInput) -> None:
        """Delete what was recorded; already gone or no longer deletable is not an error."""

        gone: list[int] = []

        async def delete_all() -> None:
            for session in request.sessions:
                interview_id = await self._find_interview(request.application_id, session)
                if interview_id is None:
                    continue
                gone.append(interview_id)
                try:
                    await self.harvest.delete_interview(interview_id)
                except NotFoundError:
                    continue
                except ValidationError as error:
                    log.warning("interview_not_deletable", interview_id=interview_id, reason=str(error))

        await self._guard(delete_all)
        if self.index is not None:
            await self.index.forget(gone)

    # --------------------------------------------------------------------------------------- notes

    @activity.defn
    async def add_candidate_note(self, request: NoteInput) -> None:
        """Post the note once: a retry finds the first one by its reference tag."""
        look = not (request.first_issue and activity.info().attempt == 1)
        await self._guard(lambda: add_note_once(self.harvest, request, look=look))


async def add_note_once(harvest: HarvestClient, request: NoteInput, *, look: bool = True) -> None:
    """Post `request` as a note unless one carrying its reference tag exists (from the last 30 days).

    `look=False` skips that read: for the first attempt of a key the workflow never asked for before."""
    reference = note_reference(request.key)
    since = datetime.now(UTC) - timedelta(days=30)
    if look:
        async for note in harvest.list_notes(
            candidate_ids=[request.candidate_id], created_at=TimeRange(gte=since)
        ):
            if note.body and reference in note.body:
                return
    await harvest.add_note(
        AddNote(
            candidate_id=request.candidate_id,
            application_id=request.application_id,
            body=f"{request.body}\n\n{reference}",
            visibility=request.visibility,
        )
    )


def _external_id(session: BookedSession) -> str:
    return session.calendar_event_id or session.event_key
