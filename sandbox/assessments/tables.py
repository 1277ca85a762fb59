"""The sandbox's one table: invitations (on a private registry, so they never mix with the engine's store).

SQLite keeps datetimes without an offset; every datetime here is written and read as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import LargeBinary
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

assessments_registry = registry()


def utc(value: datetime) -> datetime:
    """The same instant with UTC attached (SQLite hands datetimes back naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AssessmentsBase(SQLModel, registry=assessments_registry):
    """Abstract base binding the sandbox's tables to their own registry."""


class InvitationRow(AssessmentsBase, table=True):
    __tablename__ = "assessment_invitations"

    id: str = Field(primary_key=True, max_length=64)
    token: str = Field(unique=True, index=True, max_length=128, description="The candidate link's secret.")
    reference: str = Field(unique=True, index=True, max_length=200, description="The idempotency key.")
    test_id: str = Field(max_length=128)
    email: str = Field(max_length=320)
    first_name: str = Field(default="", max_length=200)
    last_name: str = Field(default="", max_length=200)
    callback_url: str | None = Field(default=None, max_length=2000)
    status: str = Field(default="invited", max_length=16)
    deadline: datetime
    invited_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    form_nonce: str | None = Field(default=None, max_length=64, description="Issued with the form.")
    score: float | None = None
    percentile: float | None = None
    report_pdf: bytes | None = Field(default=None, sa_type=LargeBinary)
