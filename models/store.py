"""SQLModel tables of the SQL store, plus the engine helpers every process uses to reach it.

The store holds what Temporal should not: configuration, the email outbox, the Greenhouse read model.
Tables here are plain rows with no behaviour; the code that reads and writes them lives next to the
integration that owns them (the outbox logic is in `integrations/mail/outbox.py`).
The same tables work on SQLite (the embedded default) and PostgreSQL (production).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, LargeBinary, TypeDecorator, event
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel, create_engine


def _utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware column: stored in UTC, read back as aware UTC (SQLite drops offsets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime for a UTC column; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --------------------------------------------------------------------------------------------------
# Email outbox
# --------------------------------------------------------------------------------------------------


class OutboxStatus(StrEnum):
    """Life cycle of one logical email: pending → sending → sent, or failed (permanent refusal)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxEmail(SQLModel, table=True):
    """One logical email, keyed by its idempotency key (`<workflow id>/<purpose>`).

    The rendered MIME message is stored on first record, so every retry sends the same bytes with the
    same Message-ID, whatever the templates or the clock say by then.
    """

    __tablename__ = "outbox_email"

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=255, unique=True, index=True)
    workflow_id: str | None = Field(default=None, max_length=255, index=True)
    purpose: str = Field(max_length=64)
    message_id: str = Field(max_length=255, unique=True)
    sender: str = Field(max_length=320)
    recipients: str = Field(description="Comma-separated envelope recipients.")
    subject: str = Field(max_length=998)
    raw_message: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, max_length=16, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --------------------------------------------------------------------------------------------------
# Emails copied onto candidates' Greenhouse profiles
# --------------------------------------------------------------------------------------------------


class ProfileLogStatus(StrEnum):
    """pending → logging (claimed) → logged; back to pending on an outage; failed when the budget is spent."""

    PENDING = "pending"
    LOGGING = "logging"
    LOGGED = "logged"
    FAILED = "failed"


class ProfileEmailLog(SQLModel, table=True):
    """One email (sent by Hireflow, or a candidate's reply) to copy onto the candidate's profile as an
    EMAIL note, exactly once: `reference` (our Message-ID, or the reply's) is unique.

    Outbound rows point at their outbox row and are logged once it is `sent` (the body is read from the
    stored MIME then); inbound rows carry their own, already redacted, text.
    """

    __tablename__ = "profile_email_log"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=255, unique=True, index=True)
    direction: str = Field(max_length=8, description="'outbound' or 'inbound'.")
    workflow_id: str | None = Field(default=None, max_length=255, index=True)
    outbox_key: str | None = Field(default=None, max_length=255, index=True)
    candidate_id: int = Field(sa_type=BigInteger)
    application_id: int | None = Field(default=None, sa_type=BigInteger)
    subject: str = Field(default="", max_length=998)
    email_from: str = Field(default="", max_length=320)
    email_to: str = Field(default="", description="Comma-separated addresses.")
    body: str | None = Field(default=None, description="Inbound only: the redacted text.")
    status: ProfileLogStatus = Field(default=ProfileLogStatus.PENDING, max_length=16, index=True)
    attempts: int = 0
    note_id: int | None = Field(default=None, sa_type=BigInteger)
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    logged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --------------------------------------------------------------------------------------------------
# Mentions already acted on
# --------------------------------------------------------------------------------------------------


class HandledMentionNote(SQLModel, table=True):
    """A Greenhouse note whose @mention Hireflow has answered: it is never acted on twice.

    Survives a lost schedule cursor (a re-created schedule looks back over notes already answered).
    """

    __tablename__ = "handled_mention_note"

    note_id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    action: str = Field(default="", max_length=32)
    workflow_id: str | None = Field(default=None, max_length=255)
    outcome: str = Field(default="", max_length=500)
    handled_at: datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime)


# --------------------------------------------------------------------------------------------------
# Which workflow booked which Greenhouse interview
# --------------------------------------------------------------------------------------------------


class BookedInterview(SQLModel, table=True):
    """A Greenhouse interview Hireflow recorded, and the workflow that owns it.

    An `interview_deleted` webhook that does not name its application finds its workflow here
    (one indexed read) instead of asking every running workflow.
    """

    __tablename__ = "booked_interview"

    greenhouse_interview_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    workflow_id: str = Field(max_length=255, index=True)
    application_id: int = Field(index=True, sa_type=BigInteger)
    recorded_at: datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime)


class AssessmentInvitationRow(SQLModel, table=True):
    """Which workflow sent which provider invitation (read by the provider webhook endpoint).

    Providers name an invitation by their own id, or (HackerEarth) by test and candidate email: the
    email is kept only as a SHA-256 digest.
    """

    __tablename__ = "assessment_invitation"

    provider: str = Field(primary_key=True, max_length=32)
    invitation_id: str = Field(primary_key=True, max_length=200)
    workflow_id: str = Field(max_length=255, index=True)
    test_id: str = Field(max_length=128)
    email_sha256: str = Field(max_length=64, index=True)
    recorded_at: datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime)


# --------------------------------------------------------------------------------------------------
# Engine helpers
# --------------------------------------------------------------------------------------------------


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine_for(url: str, *, echo: bool = False) -> Engine:
    """An engine for a SQLAlchemy URL; `postgresql://` URLs use psycopg 3, SQLite gets WAL + busy timeout.

    Raises `ValueError` for an empty or unsupported URL, so a typo in `HIREFLOW_DATABASE_URL` fails loudly.
    """
    if not url:
        raise ValueError(
            "database URL is empty; set HIREFLOW_DATABASE_URL or use Settings.resolved_database_url()"
        )
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql+psycopg://"):
        return create_engine(url, echo=echo, pool_pre_ping=True)
    raise ValueError(
        f"unsupported database URL scheme in {url.split('://', 1)[0]!r}; use sqlite or postgresql"
    )


def init_db(engine: Engine) -> None:
    """Create missing tables (idempotent). Schema migrations are out of scope until a table changes."""
    import models.mirror  # registers the mirror's tables, which import this module)
    import models.sourcing_store  # noqa: F401  (sourcing intake's tables, likewise)

    SQLModel.metadata.create_all(engine)
