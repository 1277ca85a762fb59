"""The SQL tables of sourcing intake: sources and their keys, batches and rows, claims, consent.

- `sourcing_source`: a source (`inhire`, `dev`), its webhook url for status push-back.
- `sourcing_key`: an API key of one source, stored as its SHA-256 only.
- `sourcing_batch` / `sourcing_row`: what a source sent (the row's JSON until it is processed, then
  cleared) and what each row became; the batch status is read from here.
- `sourcing_claim`: the unique claims taken before creating a candidate, on `ext:<source>:<external id>`
  and `email:<normalised email>`, so two concurrent imports of one person create one candidate.
- `consent_record`: the basis on which a sourced candidate's data is held (issue 12, "consent as data").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.store import UTCDateTime


class SourcingSource(SQLModel, table=True):
    __tablename__ = "sourcing_source"

    name: str = Field(primary_key=True, max_length=63)
    webhook_url: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class SourcingKey(SQLModel, table=True):
    __tablename__ = "sourcing_key"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=63, index=True, foreign_key="sourcing_source.name")
    key_sha256: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class SourcingBatch(SQLModel, table=True):
    __tablename__ = "sourcing_batch"

    batch_id: str = Field(primary_key=True, max_length=40)
    source: str = Field(max_length=63, index=True)
    rows: int
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class SourcingRow(SQLModel, table=True):
    __tablename__ = "sourcing_row"
    __table_args__ = (UniqueConstraint("batch_id", "row", name="uq_sourcing_row"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: str = Field(max_length=40, index=True)
    row: int
    external_id: str = Field(max_length=200)
    payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    outcome: str | None = Field(default=None, max_length=20)
    candidate_id: int | None = Field(default=None, sa_type=BigInteger)
    application_id: int | None = Field(default=None, sa_type=BigInteger)
    reason: str | None = Field(default=None, max_length=1000)
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class SourcingClaim(SQLModel, table=True):
    """`claim_key` is unique: whoever inserts it first owns the person until done or released."""

    __tablename__ = "sourcing_claim"

    id: int | None = Field(default=None, primary_key=True)
    claim_key: str = Field(max_length=400, unique=True)
    batch_id: str = Field(max_length=40)
    row: int
    candidate_id: int | None = Field(default=None, index=True, sa_type=BigInteger)
    claimed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ConsentRecord(SQLModel, table=True):
    __tablename__ = "consent_record"
    __table_args__ = (UniqueConstraint("candidate_id", "source", name="uq_consent_candidate_source"),)

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(index=True, sa_type=BigInteger)
    source: str = Field(max_length=63)
    basis: str = Field(max_length=30)
    given_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    notice_version: str = Field(max_length=50)
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class SourcingStatusMap(SQLModel, table=True):
    """A source's own status for a Greenhouse change: key `hired`, `rejected`, `stage` or `stage:<name>`."""

    __tablename__ = "sourcing_status_map"

    source: str = Field(primary_key=True, max_length=63, foreign_key="sourcing_source.name")
    greenhouse: str = Field(primary_key=True, max_length=300)
    status: str = Field(default="", max_length=100)


class ErasureRecord(SQLModel, table=True):
    """That a candidate's data was erased, when, why and by whom: ids only, so it may outlive the data."""

    __tablename__ = "erasure_record"

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(index=True, sa_type=BigInteger)
    erased_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    reason: str = Field(max_length=200)
    greenhouse: str = Field(max_length=200, description="What Greenhouse answered to the anonymisation.")
