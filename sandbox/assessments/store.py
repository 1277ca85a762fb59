"""Invitations in SQLite: every state change is one locked, conditional transaction.

The conditions (`status in ...`) are what make one submission, one `invitation.expired` and idempotent
invites hold under concurrent requests: whoever changes the row first wins; the others see the result.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, col, create_engine
from starlette.concurrency import run_in_threadpool

from sandbox.assessments.tables import InvitationRow, assessments_registry, utc

T = TypeVar("T")
OPEN = ("invited", "started")


@dataclass(frozen=True)
class NewInvitation:
    """The fields of an invitation the caller chose."""

    reference: str
    test_id: str
    email: str
    first_name: str
    last_name: str
    deadline: datetime
    callback_url: str | None


class InvitationStore:
    """Owns the engine; each method is one transaction under one lock (SQLite has one writer anyway)."""

    def __init__(self, state_dir: Path | None) -> None:
        if state_dir is None:
            self.engine = create_engine(
                "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
            )
        else:
            state_dir.mkdir(parents=True, exist_ok=True)
            path = state_dir / "assessments.db"
            path.touch(mode=0o600, exist_ok=True)  # candidates' emails live here: owner-only
            self.engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
        assessments_registry.metadata.create_all(self.engine)
        self._lock = threading.RLock()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._lock, Session(self.engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    async def run(self, fn: Callable[[Session], T]) -> T:
        def job() -> T:
            with self._session() as session:
                return fn(session)

        return await run_in_threadpool(job)

    def dispose(self) -> None:
        self.engine.dispose()

    # -- reads -----------------------------------------------------------------------------------------------

    async def get(self, invitation_id: str) -> InvitationRow | None:
        return await self.run(lambda s: s.get(InvitationRow, invitation_id))

    async def by_token(self, token: str) -> InvitationRow | None:
        return await self._one(col(InvitationRow.token) == token)

    async def by_reference(self, reference: str) -> InvitationRow | None:
        return await self._one(col(InvitationRow.reference) == reference)

    async def _one(self, condition: ColumnElement[bool]) -> InvitationRow | None:
        return await self.run(lambda s: s.execute(select(InvitationRow).where(condition)).scalars().first())

    # -- writes ----------------------------------------------------------------------------------------------

    async def invite(self, new: NewInvitation, now: datetime) -> tuple[InvitationRow, bool]:
        """The invitation for `new.reference`, created if absent; the flag says whether it was created."""

        def work(session: Session) -> tuple[InvitationRow, bool]:
            query = select(InvitationRow).where(col(InvitationRow.reference) == new.reference)
            existing = session.execute(query).scalars().first()
            if existing is not None:
                return existing, False
            row = InvitationRow(
                id=f"inv_{secrets.token_hex(8)}",
                token=secrets.token_urlsafe(24),
                reference=new.reference,
                test_id=new.test_id,
                email=new.email,
                first_name=new.first_name,
                last_name=new.last_name,
                callback_url=new.callback_url,
                deadline=utc(new.deadline),
                invited_at=now,
            )
            session.add(row)
            return row, True

        return await self.run(work)

    async def transition(
        self,
        invitation_id: str,
        allowed_from: tuple[str, ...],
        change: Callable[[InvitationRow], None],
    ) -> tuple[InvitationRow | None, bool]:
        """Apply `change` if the row's status is in `allowed_from`; returns (row, changed)."""

        def work(session: Session) -> tuple[InvitationRow | None, bool]:
            row = session.get(InvitationRow, invitation_id)
            if row is None or row.status not in allowed_from:
                return row, False
            change(row)
            session.add(row)
            return row, True

        return await self.run(work)

    async def overdue(self, now: datetime) -> list[str]:
        """Ids of open invitations whose deadline has passed."""

        def work(session: Session) -> list[str]:
            rows = session.execute(
                select(col(InvitationRow.id)).where(
                    col(InvitationRow.status).in_(OPEN),
                    col(InvitationRow.deadline) < now,
                )
            )
            return [str(value) for value in rows.scalars()]

        return await self.run(work)
