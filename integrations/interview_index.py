"""The index from Greenhouse interview ids to the workflows that booked them (`booked_interview`).

Written by the activity that records interviews, cleared by the one that deletes them, read by
the `interview_deleted` webhook. SQL runs in a thread: activities and the web app are async.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from models.store import BookedInterview


class InterviewIndex:
    """Greenhouse interview id → workflow id, in the SQL store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def remember(self, workflow_id: str, application_id: int, interview_ids: Iterable[int]) -> None:
        ids = list(interview_ids)
        await asyncio.to_thread(self._remember, workflow_id, application_id, ids)

    def _remember(self, workflow_id: str, application_id: int, interview_ids: list[int]) -> None:
        with Session(self.engine) as session:
            for interview_id in interview_ids:
                session.merge(
                    BookedInterview(
                        greenhouse_interview_id=interview_id,
                        workflow_id=workflow_id,
                        application_id=application_id,
                    )
                )
            session.commit()

    async def forget(self, interview_ids: Iterable[int]) -> None:
        ids = list(interview_ids)
        if ids:
            await asyncio.to_thread(self._forget, ids)

    def _forget(self, interview_ids: list[int]) -> None:
        with Session(self.engine) as session:
            session.exec(
                delete(BookedInterview).where(col(BookedInterview.greenhouse_interview_id).in_(interview_ids))
            )
            session.commit()

    async def workflow_of(self, interview_id: int) -> str | None:
        return await asyncio.to_thread(self._workflow_of, interview_id)

    def _workflow_of(self, interview_id: int) -> str | None:
        with Session(self.engine) as session:
            row = session.exec(
                select(BookedInterview).where(BookedInterview.greenhouse_interview_id == interview_id)
            ).first()
            return row.workflow_id if row else None
