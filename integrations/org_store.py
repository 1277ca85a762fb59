"""Read and write the organisation configuration (`models/org_config.py`), defaults filled in.

Reads are small and synchronous (SQLAlchemy); async callers run them in a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.org_config import (
    InterviewerProfile,
    InterviewPool,
    OfficeProfile,
    OrgSettings,
    PersonConfig,
    RoomProfile,
)


class OrgConfigStore:
    """The organisation's scheduling configuration."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def org(self) -> OrgSettings:
        with Session(self.engine) as session:
            return session.get(OrgSettings, 1) or OrgSettings()

    def people(self, user_ids: Iterable[int]) -> dict[int, PersonConfig]:
        """Profiles of these users; unknown users are absent (callers decide their defaults)."""
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        org = self.org()
        with Session(self.engine) as session:
            rows = session.exec(select(InterviewerProfile).where(InterviewerProfile.user_id.in_(ids))).all()  # type: ignore[attr-defined]
        return {
            row.user_id: PersonConfig(
                user_id=row.user_id,
                email=row.email,
                name=row.name,
                time_zone=row.time_zone,
                office_id=row.office_id,
                working_hours=row.working_hours,
                buffer_minutes=org.default_buffer_minutes
                if row.buffer_minutes is None
                else row.buffer_minutes,
                max_per_day=org.default_max_per_day if row.max_per_day is None else row.max_per_day,
                max_per_week=org.default_max_per_week if row.max_per_week is None else row.max_per_week,
                weight=row.weight,
            )
            for row in rows
        }

    def trainees_for(self, job_interview_id: int) -> list[int]:
        with Session(self.engine) as session:
            rows = session.exec(select(InterviewerProfile)).all()
        return sorted(row.user_id for row in rows if job_interview_id in (row.trainee_for or []))

    def rooms(self, office_id: int | None = None) -> list[RoomProfile]:
        with Session(self.engine) as session:
            query = select(RoomProfile)
            if office_id is not None:
                query = query.where(RoomProfile.office_id == office_id)
            return list(session.exec(query.order_by(RoomProfile.id)).all())

    def office(self, office_id: int) -> OfficeProfile | None:
        """The office's profile; without one, its rooms' zone with the default opening hours (rooms of
        one office share its zone); None when neither is configured."""
        with Session(self.engine) as session:
            profile = session.get(OfficeProfile, office_id)
            if profile is not None:
                return profile
            room = session.exec(
                select(RoomProfile).where(RoomProfile.office_id == office_id).order_by(RoomProfile.id)
            ).first()
        return OfficeProfile(office_id=office_id, time_zone=room.time_zone) if room is not None else None

    def pool(self, job_interview_id: int) -> InterviewPool | None:
        with Session(self.engine) as session:
            return session.get(InterviewPool, job_interview_id)

    def save(
        self, rows: Iterable[OrgSettings | InterviewerProfile | RoomProfile | OfficeProfile | InterviewPool]
    ) -> int:
        """Insert or replace rows (idempotent seeding)."""
        count = 0
        with Session(self.engine) as session:
            for row in rows:
                session.merge(row)
                count += 1
            session.commit()
        return count

    async def apeople(self, user_ids: Iterable[int]) -> dict[int, PersonConfig]:
        return await asyncio.to_thread(self.people, list(user_ids))

    async def aorg(self) -> OrgSettings:
        return await asyncio.to_thread(self.org)

    async def arooms(self, office_id: int | None = None) -> list[RoomProfile]:
        return await asyncio.to_thread(self.rooms, office_id)

    async def aoffice(self, office_id: int) -> OfficeProfile | None:
        return await asyncio.to_thread(self.office, office_id)

    async def apools(self, job_interview_ids: Iterable[int]) -> dict[int, InterviewPool | None]:
        """Configured pools of several interviews in one thread hop."""
        ids = list(job_interview_ids)
        return await asyncio.to_thread(lambda: {i: self.pool(i) for i in ids})

    async def atrainees(self, job_interview_ids: Iterable[int]) -> dict[int, list[int]]:
        ids = list(job_interview_ids)
        return await asyncio.to_thread(lambda: {i: self.trainees_for(i) for i in ids})
