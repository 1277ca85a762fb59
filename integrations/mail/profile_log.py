"""Rows of `profile_email_log`: which emails still have to be copied onto a Greenhouse profile.

Recording happens next to sending (`MailService.send`) and next to receiving (the inbound webhooks and
the dev SMTP sink), in SQL, before anything talks to Greenhouse: a Greenhouse outage can neither block
an email nor lose its log entry. The drain (`integrations/mail/profile_drain.py`) posts the notes.

Claiming is a compare-and-set like the outbox's: two workers never post the same row at once; a worker
that died mid-post leaves a `logging` row whose lease expires, and the next attempt first looks on the
profile for the copy it may already have posted (the note body carries the message's reference tag).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from integrations.logs import redact_text
from integrations.mail.inbound import InboundReply
from integrations.mail.profile_copy import MAX_NOTE_BODY, redact_links
from models.store import OutboxEmail, OutboxStatus, ProfileEmailLog, ProfileLogStatus

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _addresses(value: str) -> set[str]:
    return {addr.lower() for _, addr in getaddresses([value]) if addr}


class ProfileLogStore:
    """Row-level operations on `profile_email_log`; blocking SQL runs in a worker thread."""

    def __init__(
        self, engine: Engine, *, lease: timedelta = timedelta(minutes=2), clock: Clock = utc_now
    ) -> None:
        self.engine = engine
        self.lease = lease
        self.clock = clock

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    # -- record -------------------------------------------------------------------------------------

    def _insert(self, row: ProfileEmailLog) -> ProfileEmailLog:
        with Session(self.engine, expire_on_commit=False) as s:
            existing = s.exec(
                select(ProfileEmailLog).where(ProfileEmailLog.reference == row.reference)
            ).first()
            if existing is not None:
                return existing
        try:
            with Session(self.engine, expire_on_commit=False) as s:
                s.add(row)
                s.commit()
                s.refresh(row)
                return row
        except IntegrityError:  # a concurrent recorder won: theirs is the row
            with Session(self.engine, expire_on_commit=False) as s:
                winner = s.exec(
                    select(ProfileEmailLog).where(ProfileEmailLog.reference == row.reference)
                ).one()
                return winner

    async def record_outbound(
        self, outbox: OutboxEmail, candidate_id: int, application_id: int | None
    ) -> ProfileEmailLog:
        """Note that this outbox email, once sent, belongs on the candidate's profile (idempotent)."""
        row = ProfileEmailLog(
            reference=outbox.message_id,
            direction="outbound",
            workflow_id=outbox.workflow_id,
            outbox_key=outbox.idempotency_key,
            candidate_id=candidate_id,
            application_id=application_id,
            subject=outbox.subject,
            email_from=outbox.sender,
            email_to=outbox.recipients,
            created_at=self.clock(),
            next_attempt_at=self.clock(),
        )
        return await self._run(self._insert, row)

    def _candidate_for(self, reply: InboundReply) -> ProfileEmailLog | None:
        """The outbound email of the reply's workflow that went to the reply's sender, if any."""
        sender = _addresses(reply.sender)
        with Session(self.engine) as s:
            rows = s.exec(
                select(ProfileEmailLog)
                .where(ProfileEmailLog.workflow_id == reply.workflow_id)
                .where(ProfileEmailLog.direction == "outbound")
                .order_by(col(ProfileEmailLog.id).desc())
            ).all()
        return next((r for r in rows if sender & _addresses(r.email_to)), None)

    def _record_inbound(self, reply: InboundReply, reference: str, to: str) -> ProfileEmailLog | None:
        if reply.auto_reply_reason or reply.reply_role not in (None, "candidate"):
            return None
        origin = self._candidate_for(reply)
        if origin is None:
            return None
        text = redact_text(redact_links(reply.text))[: MAX_NOTE_BODY + 1]
        row = ProfileEmailLog(
            reference=reference,
            direction="inbound",
            workflow_id=reply.workflow_id,
            candidate_id=origin.candidate_id,
            application_id=origin.application_id,
            subject=redact_text(reply.subject)[:998],
            email_from=next(iter(_addresses(reply.sender))),
            email_to=to,
            body=text,
            created_at=self.clock(),
            next_attempt_at=self.clock(),
        )
        return self._insert(row)

    async def record_inbound(self, reply: InboundReply, *, to: str) -> ProfileEmailLog | None:
        """Queue a candidate's reply for their profile; None when it is not one (auto-reply, an
        interviewer's or recruiter's answer, or a sender Hireflow never wrote to on that workflow).

        `to` is Hireflow's public From address: the reply address itself is a bearer secret.
        """
        reference = reply.message_id or f"<inbound.{hash_reply(reply)}@hireflow>"
        return await self._run(self._record_inbound, reply, reference, to)

    # -- drain side ---------------------------------------------------------------------------------

    def _due(self, limit: int) -> list[ProfileEmailLog]:
        now = self.clock()
        stale = now - self.lease
        with Session(self.engine) as s:
            rows = s.exec(
                select(ProfileEmailLog)
                .where(
                    (
                        (col(ProfileEmailLog.status) == ProfileLogStatus.PENDING)
                        & (col(ProfileEmailLog.next_attempt_at) <= now)
                    )
                    | (
                        (col(ProfileEmailLog.status) == ProfileLogStatus.LOGGING)
                        & (col(ProfileEmailLog.claimed_at) < stale)
                    )
                )
                .order_by(col(ProfileEmailLog.id))
                .limit(limit)
            ).all()
        return list(rows)

    async def due(self, limit: int = 50) -> list[ProfileEmailLog]:
        """Rows whose next attempt is due (or whose claim lapsed), oldest first."""
        return await self._run(self._due, limit)

    def _outbox_status(self, key: str) -> tuple[OutboxStatus, bytes] | None:
        with Session(self.engine) as s:
            row = s.exec(select(OutboxEmail).where(OutboxEmail.idempotency_key == key)).first()
            return (row.status, row.raw_message) if row is not None else None

    async def outbox_status(self, key: str) -> tuple[OutboxStatus, bytes] | None:
        """The outbox row's status and MIME bytes (None if it is gone)."""
        return await self._run(self._outbox_status, key)

    def _claim(self, row_id: int) -> ProfileEmailLog | None:
        now = self.clock()
        stale = now - self.lease
        stmt = (
            update(ProfileEmailLog)
            .where(col(ProfileEmailLog.id) == row_id)
            .where(
                (col(ProfileEmailLog.status) == ProfileLogStatus.PENDING)
                | (
                    (col(ProfileEmailLog.status) == ProfileLogStatus.LOGGING)
                    & (col(ProfileEmailLog.claimed_at) < stale)
                )
            )
            .values(status=ProfileLogStatus.LOGGING, claimed_at=now, attempts=ProfileEmailLog.attempts + 1)
        )
        with Session(self.engine, expire_on_commit=False) as s:
            result = s.exec(stmt)
            s.commit()
            if result.rowcount != 1:
                return None
            return s.get(ProfileEmailLog, row_id)

    async def claim(self, row_id: int) -> ProfileEmailLog | None:
        """Take a row for posting; None when another worker has it or it is done."""
        return await self._run(self._claim, row_id)

    def _set(self, row_id: int, **values: Any) -> None:
        with Session(self.engine) as s:
            s.exec(update(ProfileEmailLog).where(col(ProfileEmailLog.id) == row_id).values(**values))
            s.commit()

    async def mark_logged(self, row_id: int, note_id: int | None) -> None:
        await self._run(
            lambda: self._set(
                row_id,
                status=ProfileLogStatus.LOGGED,
                note_id=note_id,
                logged_at=self.clock(),
                last_error=None,
            )
        )

    async def mark_retry(self, row_id: int, error: str, at: datetime) -> None:
        """Back to pending; the next attempt is due at `at`."""
        values: dict[str, Any] = {
            "status": ProfileLogStatus.PENDING,
            "claimed_at": None,
            "next_attempt_at": at,
            "last_error": error[:2000],
        }
        await self._run(lambda: self._set(row_id, **values))

    async def mark_failed(self, row_id: int, error: str) -> None:
        await self._run(lambda: self._set(row_id, status=ProfileLogStatus.FAILED, last_error=error[:2000]))

    def _counts(self) -> dict[str, int]:
        with Session(self.engine) as s:
            rows = s.exec(select(ProfileEmailLog.status)).all()
        counts: dict[str, int] = {}
        for status in rows:
            counts[str(status)] = counts.get(str(status), 0) + 1
        return counts

    async def counts(self) -> dict[str, int]:
        """Rows per status, for `hireflow doctor` and operators."""
        return await self._run(self._counts)

    def _get(self, reference: str) -> ProfileEmailLog | None:
        with Session(self.engine) as s:
            return s.exec(select(ProfileEmailLog).where(ProfileEmailLog.reference == reference)).first()

    async def get(self, reference: str) -> ProfileEmailLog | None:
        return await self._run(self._get, reference)


def hash_reply(reply: InboundReply) -> str:
    """A stable id for a reply without a Message-ID: the same post delivered twice logs once."""
    basis = "\n".join([reply.workflow_id, reply.sender, reply.subject, reply.text])
    return hashlib.sha256(basis.encode()).hexdigest()[:32]
