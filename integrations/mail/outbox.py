"""The email outbox: at most one logical email per idempotency key, delivered by record → send → mark.

1. `record` stores the finished MIME bytes under the key (first writer wins; later records of the same
   key return the stored row untouched, so a retry never re-renders with a newer clock or template).
2. `claim` moves the row to `sending` with a compare-and-set; a concurrent attempt loses and gets a
   `TransientMailError`, so two workers never send at the same moment.
3. after delivery `mark_sent`; a transient failure puts the row back to `pending`, a permanent one
   marks it `failed` and every later attempt gets the same `PermanentMailError`.

The remaining edge, stated honestly: if the process dies after the relay accepted the message but
before `mark_sent` commits, the row stays `sending`; once its lease expires the next attempt sends it
again. Delivery is therefore at-least-once in that window only. The resend has the same bytes and the
same Message-ID (derived from the idempotency key), so clients that collapse duplicate Message-IDs
(Gmail does) and our own inbound path see one message; `attempts > 1` on a sent row flags it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from integrations.mail.transport import PermanentMailError, TransientMailError
from models.store import OutboxEmail, OutboxStatus

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Outbox:
    """Row-level operations on `outbox_email`; blocking SQL runs in a worker thread."""

    def __init__(
        self, engine: Engine, *, lease: timedelta = timedelta(minutes=2), clock: Clock = utc_now
    ) -> None:
        self.engine = engine
        self.lease = lease
        self.clock = clock

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    # -- reads ------------------------------------------------------------------------------------

    def _get(self, key: str) -> OutboxEmail | None:
        with Session(self.engine) as s:
            return s.exec(select(OutboxEmail).where(OutboxEmail.idempotency_key == key)).first()

    async def get(self, key: str) -> OutboxEmail | None:
        """The row for `key`, if any."""
        return await self._run(self._get, key)

    # -- record -----------------------------------------------------------------------------------

    def _record(self, row: OutboxEmail) -> OutboxEmail:
        existing = self._get(row.idempotency_key)
        if existing is not None:
            return existing
        try:
            with Session(self.engine, expire_on_commit=False) as s:
                s.add(row)
                s.commit()
                s.refresh(row)
                return row
        except IntegrityError:
            existing = self._get(row.idempotency_key)
            if existing is None:  # conflict on message_id with a different key: a real bug, say so
                raise ValueError(f"Message-ID {row.message_id} already used by another outbox row") from None
            return existing

    async def record(self, row: OutboxEmail) -> OutboxEmail:
        """Insert `row` unless its key exists; returns the stored row either way."""
        return await self._run(self._record, row)

    # -- claim / mark -----------------------------------------------------------------------------

    def _claim(self, key: str) -> OutboxEmail:
        now = self.clock()
        stale = now - self.lease
        stmt = (
            update(OutboxEmail)
            .where(col(OutboxEmail.idempotency_key) == key)
            .where(
                (col(OutboxEmail.status) == OutboxStatus.PENDING)
                | ((col(OutboxEmail.status) == OutboxStatus.SENDING) & (col(OutboxEmail.claimed_at) < stale))
            )
            .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxEmail.attempts + 1)
        )
        with Session(self.engine) as s:
            result = s.exec(stmt)
            s.commit()
            claimed = result.rowcount == 1
        row = self._get(key)
        if row is None:
            raise KeyError(f"no outbox row for {key!r}; record it first")
        if claimed:
            return row
        if row.status == OutboxStatus.FAILED:
            raise PermanentMailError(f"email {key!r} failed permanently earlier: {row.last_error}")
        if row.status == OutboxStatus.SENDING:
            raise TransientMailError(f"email {key!r} is being sent by another attempt; retry later")
        return row  # SENT: the caller reports a duplicate

    async def claim(self, key: str) -> OutboxEmail:
        """Take the row for sending. Returns it (status `sending`, or `sent` if already done)."""
        return await self._run(self._claim, key)

    def _set(self, key: str, **values: Any) -> None:
        with Session(self.engine) as s:
            s.exec(update(OutboxEmail).where(col(OutboxEmail.idempotency_key) == key).values(**values))
            s.commit()

    async def mark_sent(self, key: str) -> None:
        await self._run(
            lambda: self._set(key, status=OutboxStatus.SENT, sent_at=self.clock(), last_error=None)
        )

    async def mark_retry(self, key: str, error: str) -> None:
        await self._run(
            lambda: self._set(key, status=OutboxStatus.PENDING, claimed_at=None, last_error=error[:2000])
        )

    async def mark_failed(self, key: str, error: str) -> None:
        await self._run(lambda: self._set(key, status=OutboxStatus.FAILED, last_error=error[:2000]))
