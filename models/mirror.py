"""SQL tables of the mirror: a copy of the Greenhouse organisation, kept current by `SyncWorkflow`.

Every mirrored object is one row keyed by its Harvest id, with the columns other workflows look up by
(ids, `updated_at`, status, job, candidate, current stage, normalised emails) and the object itself in
`data`, as Harvest v3 returned it minus the personal fields Hireflow has no use for (see
`integrations/mirror_resources.py` and the data inventory in docs/security.md). `content_hash` is the
SHA-256 of `data`, so a full reconciliation finds rows whose content changed without their
`updated_at` moving. `origin` says whether the row was last written from a Harvest listing or from a
webhook payload (webhook rows are partial and give way to the next Harvest listing).
The same tables work on SQLite and PostgreSQL; Harvest ids exceed 32 bits, hence BigInteger.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger
from sqlmodel import Field, SQLModel

from models.store import UTCDateTime


def _id(**kwargs: Any) -> Any:
    return Field(sa_type=BigInteger, **kwargs)


class MirrorRow(SQLModel):
    """Columns every mirrored resource has (a mixin: each table gets its own copies)."""

    id: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    synced_at: datetime = Field(sa_type=UTCDateTime, index=True)
    origin: str = Field(default="harvest", max_length=16)
    content_hash: str = Field(default="", max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class MirrorOffice(MirrorRow, table=True):
    __tablename__ = "mirror_office"

    name: str | None = Field(default=None, max_length=500)
    parent_id: int | None = _id(default=None, index=True)


class MirrorDepartment(MirrorRow, table=True):
    __tablename__ = "mirror_department"

    name: str | None = Field(default=None, max_length=500)
    parent_id: int | None = _id(default=None, index=True)


class MirrorUser(MirrorRow, table=True):
    __tablename__ = "mirror_user"

    name: str | None = Field(default=None, max_length=500)
    primary_email: str | None = Field(default=None, max_length=320, index=True, description="Lower-cased.")
    deactivated: bool = False
    site_admin: bool = False


class MirrorSource(MirrorRow, table=True):
    __tablename__ = "mirror_source"

    name: str | None = Field(default=None, max_length=500, index=True)


class MirrorCustomField(MirrorRow, table=True):
    __tablename__ = "mirror_custom_field"

    field_type: str | None = Field(default=None, max_length=32, index=True)
    name_key: str | None = Field(default=None, max_length=200, index=True)
    active: bool | None = None


class MirrorJob(MirrorRow, table=True):
    __tablename__ = "mirror_job"

    name: str | None = Field(default=None, max_length=500)
    status: str | None = Field(default=None, max_length=16, index=True)
    department_id: int | None = _id(default=None, index=True)
    confidential: bool = False


class MirrorJobStage(MirrorRow, table=True):
    """A stage of a job's interview plan (`/v3/job_interview_stages`)."""

    __tablename__ = "mirror_job_stage"

    job_id: int | None = _id(default=None, index=True)
    name: str | None = Field(default=None, max_length=500)
    sort_order: int = 0
    active: bool = True


class MirrorJobInterview(MirrorRow, table=True):
    """An interview of a stage's plan (`/v3/job_interviews`)."""

    __tablename__ = "mirror_job_interview"

    job_id: int | None = _id(default=None, index=True)
    job_interview_stage_id: int | None = _id(default=None, index=True)
    sort_order: int = 0
    active: bool = True


class MirrorInterviewKit(MirrorRow, table=True):
    """The kit of a plan's interview (`/v3/interview_kits`): what its default panel hangs on."""

    __tablename__ = "mirror_interview_kit"

    job_id: int | None = _id(default=None, index=True)
    job_interview_id: int | None = _id(default=None, index=True)


class MirrorDefaultInterviewer(MirrorRow, table=True):
    """One person of a kit's default panel (`/v3/default_interviewers`)."""

    __tablename__ = "mirror_default_interviewer"

    user_id: int | None = _id(default=None, index=True)
    interview_kit_id: int | None = _id(default=None, index=True)


class MirrorCandidate(MirrorRow, table=True):
    __tablename__ = "mirror_candidate"

    first_name: str | None = Field(default=None, max_length=500)
    last_name: str | None = Field(default=None, max_length=500, index=True)
    can_email: bool = True
    private: bool | None = None


class MirrorCandidateEmail(SQLModel, table=True):
    """A candidate's address, trimmed and lower-cased: the duplicate check looks people up here."""

    __tablename__ = "mirror_candidate_email"

    candidate_id: int = Field(sa_type=BigInteger, primary_key=True)
    email: str = Field(primary_key=True, max_length=320, index=True)


class MirrorCandidateTag(SQLModel, table=True):
    """A tag applied to a candidate (Harvest gives tags as names on the candidate)."""

    __tablename__ = "mirror_candidate_tag"

    candidate_id: int = Field(sa_type=BigInteger, primary_key=True)
    name: str = Field(primary_key=True, max_length=255, index=True)


class MirrorApplication(MirrorRow, table=True):
    __tablename__ = "mirror_application"

    candidate_id: int | None = _id(default=None, index=True)
    job_id: int | None = _id(default=None, index=True)
    status: str | None = Field(default=None, max_length=16, index=True)
    prospect: bool = False
    job_interview_stage_id: int | None = _id(default=None, index=True, description="The current stage.")
    stage_name: str | None = Field(default=None, max_length=500)
    last_activity_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MirrorInterview(MirrorRow, table=True):
    """A scheduled interview (`/v3/interviews`)."""

    __tablename__ = "mirror_interview"

    application_id: int | None = _id(default=None, index=True)
    job_id: int | None = _id(default=None, index=True)
    job_interview_id: int | None = _id(default=None, index=True)
    status: str | None = Field(default=None, max_length=32, index=True)
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    external_event_id: str | None = Field(default=None, max_length=255, index=True)


class MirrorSyncState(SQLModel, table=True):
    """Per resource: how far the mirror is known complete, and the last pass and reconciliation.

    `synced_through` is the upper bound of the last successful listing: every change Harvest stamped
    at or before it is in the mirror (the overlap window covers stamps committed late).
    """

    __tablename__ = "mirror_sync_state"

    resource: str = Field(primary_key=True, max_length=64)
    synced_through: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_pass_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_pass_changed: int = 0
    last_reconciled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
