"""Reading the mirror: Harvest objects from SQL, for callers that say how old they may be.

Every read names a `max_age`. When the resource has not been synced within it (`synced_through`
older than `max_age`), the read raises `MirrorTooStale` and the caller asks Harvest instead; a
webhook-fresh row is returned whatever the watermark says, since it is at least as new as the
event. Freshness bounds per resource are in docs/mirror.md. SQL runs in a thread (callers are async).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from integrations.mirror_resources import is_whole, normalise_email, resource
from models.greenhouse import (
    Application,
    Candidate,
    DefaultInterviewer,
    HarvestObject,
    Interview,
    InterviewKit,
    Job,
    JobInterview,
    JobInterviewStage,
    User,
)
from models.mirror import (
    MirrorApplication,
    MirrorCandidate,
    MirrorCandidateEmail,
    MirrorDefaultInterviewer,
    MirrorInterview,
    MirrorInterviewKit,
    MirrorJobInterview,
    MirrorJobStage,
    MirrorRow,
    MirrorSyncState,
    MirrorUser,
)

M = TypeVar("M", bound=HarvestObject)


class MirrorTooStale(LookupError):
    """The mirror has not caught up within the caller's `max_age`: read Harvest instead."""

    def __init__(self, resource_name: str, synced_through: datetime | None, max_age: timedelta) -> None:
        self.resource = resource_name
        self.synced_through = synced_through
        self.max_age = max_age
        when = synced_through.isoformat() if synced_through else "never"
        super().__init__(f"the mirror's {resource_name} are synced through {when}, older than {max_age}")


class MirrorReader:
    """Typed reads of mirrored Harvest objects, each bounded by the caller's `max_age`."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self._clock = clock or (lambda: datetime.now(UTC))

    # ------------------------------------------------------------------------------------ plumbing

    def _check(self, session: Session, name: str, max_age: timedelta) -> None:
        state = session.get(MirrorSyncState, name)
        through = state.synced_through if state else None
        if through is None or self._clock() - through > max_age:
            raise MirrorTooStale(name, through, max_age)

    def _rows(self, name: str, max_age: timedelta, where: Any, order: Any = None) -> list[MirrorRow]:
        spec = resource(name)
        with Session(self.engine) as session:
            self._check(session, name, max_age)
            stmt = select(spec.table).where(where)
            if order is not None:
                stmt = stmt.order_by(order)
            return list(session.execute(stmt).scalars())

    def _one(self, name: str, object_id: int, max_age: timedelta, whole: bool = False) -> MirrorRow | None:
        spec = resource(name)
        with Session(self.engine) as session:
            row = session.get(spec.table, object_id)
            if row is not None and row.origin == "webhook":
                if whole and not is_whole(row.data):
                    return None  # only what a webhook told: the caller wants every field, so Harvest
                return row  # as new as the event that wrote it
            self._check(session, name, max_age)
            return row

    @staticmethod
    def _model(row: MirrorRow | None, model: type[M]) -> M | None:
        return model.model_validate(row.data) if row is not None else None

    async def _run(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.to_thread(fn)

    def synced_through(self, name: str) -> datetime | None:
        """Every change Harvest stamped at or before this instant is in the mirror (None: never synced)."""
        resource(name)
        with Session(self.engine) as session:
            state = session.get(MirrorSyncState, name)
            return state.synced_through if state else None

    # --------------------------------------------------------------------------------------- reads

    async def application(
        self, application_id: int, *, max_age: timedelta, whole: bool = False
    ) -> Application | None:
        """`whole=True`: a row only a webhook has written (some fields unknown) reads as missing."""
        row = await self._run(lambda: self._one("applications", application_id, max_age, whole))
        return self._model(row, Application)

    async def candidate(
        self, candidate_id: int, *, max_age: timedelta, whole: bool = False
    ) -> Candidate | None:
        """`whole=True`: a row only a webhook has written (some fields unknown) reads as missing."""
        row = await self._run(lambda: self._one("candidates", candidate_id, max_age, whole))
        return self._model(row, Candidate)

    async def job(self, job_id: int, *, max_age: timedelta) -> Job | None:
        row = await self._run(lambda: self._one("jobs", job_id, max_age))
        return self._model(row, Job)

    async def user(self, user_id: int, *, max_age: timedelta) -> User | None:
        row = await self._run(lambda: self._one("users", user_id, max_age))
        return self._model(row, User)

    async def interview(self, interview_id: int, *, max_age: timedelta) -> Interview | None:
        row = await self._run(lambda: self._one("interviews", interview_id, max_age))
        return self._model(row, Interview)

    async def job_stages(self, job_id: int, *, max_age: timedelta) -> list[JobInterviewStage]:
        """The job's interview plan, in `sort_order`."""
        rows = await self._run(
            lambda: self._rows(
                "job_interview_stages",
                max_age,
                col(MirrorJobStage.job_id) == job_id,
                col(MirrorJobStage.sort_order),
            )
        )
        return [JobInterviewStage.model_validate(r.data) for r in rows]

    async def stage_interviews(
        self, job_interview_stage_id: int, *, max_age: timedelta
    ) -> list[JobInterview]:
        rows = await self._run(
            lambda: self._rows(
                "job_interviews",
                max_age,
                col(MirrorJobInterview.job_interview_stage_id) == job_interview_stage_id,
                col(MirrorJobInterview.sort_order),
            )
        )
        return [JobInterview.model_validate(r.data) for r in rows]

    async def interview_kits(self, job_interview_ids: list[int], *, max_age: timedelta) -> list[InterviewKit]:
        """The kits of these plan interviews, by id."""
        rows = await self._run(
            lambda: self._rows(
                "interview_kits",
                max_age,
                col(MirrorInterviewKit.job_interview_id).in_(job_interview_ids),
                col(MirrorInterviewKit.id),
            )
        )
        return [InterviewKit.model_validate(r.data) for r in rows]

    async def default_interviewers(
        self, interview_kit_ids: list[int], *, max_age: timedelta
    ) -> list[DefaultInterviewer]:
        """The default panels of these kits, by id."""
        rows = await self._run(
            lambda: self._rows(
                "default_interviewers",
                max_age,
                col(MirrorDefaultInterviewer.interview_kit_id).in_(interview_kit_ids),
                col(MirrorDefaultInterviewer.id),
            )
        )
        return [DefaultInterviewer.model_validate(r.data) for r in rows]

    async def users(self, user_ids: list[int], *, max_age: timedelta) -> list[User]:
        """These users (those the mirror has), by id."""
        rows = await self._run(
            lambda: self._rows("users", max_age, col(MirrorUser.id).in_(user_ids), col(MirrorUser.id))
        )
        return [User.model_validate(r.data) for r in rows]

    async def active_users_tagged(self, tag_ids: list[int], *, max_age: timedelta) -> list[User]:
        """Active users carrying any of these interviewer tags, by id (tags live in `data`: filtered here)."""
        wanted = set(tag_ids)
        rows = await self._run(
            lambda: self._rows("users", max_age, col(MirrorUser.deactivated).is_(False), col(MirrorUser.id))
        )
        users = [User.model_validate(r.data) for r in rows]
        return [u for u in users if any(tag.id in wanted for tag in u.interviewer_tags)]

    async def applications_of(self, candidate_id: int, *, max_age: timedelta) -> list[Application]:
        rows = await self._run(
            lambda: self._rows(
                "applications",
                max_age,
                col(MirrorApplication.candidate_id) == candidate_id,
                col(MirrorApplication.id),
            )
        )
        return [Application.model_validate(r.data) for r in rows]

    async def interviews_of(self, application_id: int, *, max_age: timedelta) -> list[Interview]:
        rows = await self._run(
            lambda: self._rows(
                "interviews",
                max_age,
                col(MirrorInterview.application_id) == application_id,
                col(MirrorInterview.starts_at),
            )
        )
        return [Interview.model_validate(r.data) for r in rows]

    async def candidates_by_email(self, email: str, *, max_age: timedelta) -> list[Candidate]:
        """Candidates with this address (trimmed, case-insensitive): the duplicate check's first look."""
        address = normalise_email(email)
        if address is None:
            return []

        def read() -> list[MirrorRow]:
            with Session(self.engine) as session:
                self._check(session, "candidates", max_age)
                stmt = (
                    select(MirrorCandidate)
                    .join(
                        MirrorCandidateEmail,
                        col(MirrorCandidateEmail.candidate_id) == col(MirrorCandidate.id),
                    )
                    .where(col(MirrorCandidateEmail.email) == address)
                    .order_by(col(MirrorCandidate.id))
                )
                return list(session.execute(stmt).scalars())

        return [Candidate.model_validate(r.data) for r in await self._run(read)]

    async def user_by_email(self, email: str, *, max_age: timedelta) -> User | None:
        address = normalise_email(email)
        if address is None:
            return None
        rows = await self._run(lambda: self._rows("users", max_age, col(MirrorUser.primary_email) == address))
        return User.model_validate(rows[0].data) if rows else None
