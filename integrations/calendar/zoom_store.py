"""Our own record of Zoom meetings per booking key: Zoom has no idempotency key of its own.

The record is written right after a meeting is created; a retried activity finds it and reuses
the meeting. (If the process dies between Zoom's 201 and the write, the agenda tag lets
`ZoomMeetings` find the meeting on Zoom itself; see `integrations/calendar/video.py`.)
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel


class ZoomRecord(BaseModel):
    key: str
    meeting_id: str
    join_url: str


class ZoomMeetingStore(Protocol):
    async def get(self, key: str) -> ZoomRecord | None: ...

    async def put(self, record: ZoomRecord) -> None: ...

    async def delete(self, key: str) -> None: ...


class MemoryZoomStore:
    """For tests and single-process tools."""

    def __init__(self) -> None:
        self.records: dict[str, ZoomRecord] = {}

    async def get(self, key: str) -> ZoomRecord | None:
        return self.records.get(key)

    async def put(self, record: ZoomRecord) -> None:
        self.records[record.key] = record

    async def delete(self, key: str) -> None:
        self.records.pop(key, None)


class ZoomMeetingRow(SQLModel, table=True):
    __tablename__ = "zoom_meetings"

    key: str = Field(primary_key=True, max_length=300)
    meeting_id: str = Field(max_length=64)
    join_url: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class SQLZoomStore:
    """Zoom records in the SQL store (SQLite by default, PostgreSQL in production)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        SQLModel.metadata.create_all(engine, tables=[SQLModel.metadata.tables[ZoomMeetingRow.__tablename__]])

    def _get(self, key: str) -> ZoomRecord | None:
        with Session(self.engine) as session:
            row = session.get(ZoomMeetingRow, key)
            return (
                None
                if row is None
                else ZoomRecord(key=row.key, meeting_id=row.meeting_id, join_url=row.join_url)
            )

    def _put(self, record: ZoomRecord) -> None:
        with Session(self.engine) as session:
            row = session.get(ZoomMeetingRow, record.key)
            if row is None:
                session.add(
                    ZoomMeetingRow(key=record.key, meeting_id=record.meeting_id, join_url=record.join_url)
                )
            else:
                row.meeting_id, row.join_url = record.meeting_id, record.join_url
                session.add(row)
            session.commit()

    def _delete(self, key: str) -> None:
        with Session(self.engine) as session:
            row = session.get(ZoomMeetingRow, key)
            if row is not None:
                session.delete(row)
                session.commit()

    async def get(self, key: str) -> ZoomRecord | None:
        return await asyncio.to_thread(self._get, key)

    async def put(self, record: ZoomRecord) -> None:
        await asyncio.to_thread(self._put, record)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, key)
