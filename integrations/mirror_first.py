"""What a scheduling request reads about its application and the interview plan: from the mirror when it is
fresh enough, from Harvest when it is not or misses the row.

The bounds are those of docs/mirror.md ("Freshness bounds"): the application and the candidate may be
3 minutes old (their recruiter, coordinator, name, address and time zone change rarely, and webhooks bring
most changes in seconds); the plan (job, stages, interviews, kits, default panels) and the people may be
10 minutes old. What must be live (the compare-and-swap of a move, the interviews recorded for a booking)
is never read here. Every read returns what the Harvest read returns, in the same order, so callers do
not know which source answered; `harvest_reads` counts the fallbacks (for logs and tests).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from integrations.greenhouse.client import HarvestClient
from integrations.logs import get_logger
from integrations.mirror import MirrorReader, MirrorTooStale
from models.greenhouse import (
    Application,
    Candidate,
    DefaultInterviewer,
    InterviewKit,
    Job,
    JobInterview,
    JobInterviewStage,
    User,
)

log = get_logger(__name__)
T = TypeVar("T")

PERSON_MAX_AGE = timedelta(minutes=3)  # applications and candidates
PLAN_MAX_AGE = timedelta(minutes=10)  # jobs, stages, plan interviews, kits, default panels, users


async def _collect(items: AsyncIterable[T]) -> list[T]:
    return [item async for item in items]


def _as_harvest_lists(users: list[User]) -> list[User]:
    """Harvest v3 lists the newest id first; the gather keeps that order (people, alternates)."""
    return sorted(users, key=lambda u: u.id, reverse=True)


class MirrorFirstReads:
    """Scheduling reads, mirror first. Without a reader (no mirror configured) every read goes to Harvest."""

    def __init__(self, harvest: HarvestClient, mirror: MirrorReader | None = None) -> None:
        self.harvest = harvest
        self.mirror = mirror
        self.harvest_reads = 0

    async def _try(self, what: str, read: Callable[[MirrorReader], Awaitable[T]]) -> T | None:
        """The mirror's answer, or None when it is too stale (the caller then reads Harvest)."""
        if self.mirror is None:
            return None
        try:
            return await read(self.mirror)
        except MirrorTooStale as stale:
            log.info("mirror_too_stale", read=what, resource=stale.resource, max_age=str(stale.max_age))
            return None

    async def _harvest(self, call: Awaitable[T]) -> T:
        self.harvest_reads += 1
        return await call

    # ------------------------------------------------------------------------------------ by id

    async def application(self, application_id: int) -> Application:
        found = await self._try(
            "application", lambda m: m.application(application_id, max_age=PERSON_MAX_AGE, whole=True)
        )
        if found is not None:
            return found
        return await self._harvest(self.harvest.get_application(application_id))

    async def candidate(self, candidate_id: int) -> Candidate:
        found = await self._try(
            "candidate", lambda m: m.candidate(candidate_id, max_age=PERSON_MAX_AGE, whole=True)
        )
        if found is not None:
            return found
        return await self._harvest(self.harvest.get_candidate(candidate_id))

    async def job(self, job_id: int) -> Job:
        found = await self._try("job", lambda m: m.job(job_id, max_age=PLAN_MAX_AGE))
        if found is not None:
            return found
        return await self._harvest(self.harvest.get_job(job_id))

    # ------------------------------------------------------------------------------------- plan

    async def stages_with(self, job_id: int, stage_id: int) -> list[JobInterviewStage]:
        """The job's stages; from Harvest when the mirror's do not include `stage_id` (a new stage)."""
        found = await self._try("stages", lambda m: m.job_stages(job_id, max_age=PLAN_MAX_AGE))
        if found and any(s.id == stage_id for s in found):
            return found
        return await self._harvest(_collect(self.harvest.list_job_interview_stages(job_ids=[job_id])))

    async def stage_interviews(self, stage_id: int) -> list[JobInterview]:
        found = await self._try(
            "stage interviews", lambda m: m.stage_interviews(stage_id, max_age=PLAN_MAX_AGE)
        )
        if found:
            return found
        return await self._harvest(
            _collect(self.harvest.list_job_interviews(job_interview_stage_ids=[stage_id]))
        )

    async def interview_kits(self, job_interview_ids: list[int]) -> list[InterviewKit]:
        """Kits of these interviews; the ones the mirror lacks come from Harvest."""
        found = (
            await self._try("kits", lambda m: m.interview_kits(job_interview_ids, max_age=PLAN_MAX_AGE)) or []
        )
        missing = sorted(set(job_interview_ids) - {k.job_interview_id for k in found})
        if missing:
            found += await self._harvest(
                _collect(self.harvest.list_interview_kits(job_interview_ids=missing))
            )
        return sorted(found, key=lambda k: k.id)

    async def default_interviewers(self, kit_ids: list[int]) -> list[DefaultInterviewer]:
        found = await self._try(
            "default panels", lambda m: m.default_interviewers(kit_ids, max_age=PLAN_MAX_AGE)
        )
        if found is not None:
            return found  # a kit without a default panel is normal: a fresh mirror is trusted
        return await self._harvest(
            _collect(self.harvest.list_default_interviewers(interview_kit_ids=kit_ids))
        )

    # ----------------------------------------------------------------------------------- people

    async def users(self, user_ids: list[int]) -> list[User]:
        """These users by id; the ones the mirror lacks come from Harvest."""
        found = await self._try("users", lambda m: m.users(user_ids, max_age=PLAN_MAX_AGE)) or []
        missing = sorted(set(user_ids) - {u.id for u in found})
        if missing:
            found += await self._harvest(_collect(self.harvest.list_users(ids=missing)))
        return _as_harvest_lists(found)

    async def active_users_tagged(self, tag_ids: list[int]) -> list[User]:
        found = await self._try(
            "tagged users", lambda m: m.active_users_tagged(tag_ids, max_age=PLAN_MAX_AGE)
        )
        if found is not None:
            return _as_harvest_lists(found)
        return await self._harvest(
            _collect(self.harvest.list_users(interviewer_tag_ids=tag_ids, deactivated=False))
        )
