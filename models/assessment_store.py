"""Which job stage sends which assessment: the mapping rows behind `hireflow assessments map` and the
`candidate_stage_change` webhook, and the validated spec a mapping is written from.

A stage is named by its `job_interview_stage_id` (exact) or by its name within the job (case-insensitive),
which survives the stage being re-created in the job's plan. `stage_key` is that identity normalised, so
one job stage holds at most one mapping and a lookup is one indexed equality.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.assessment_io import DecisionRule
from models.assessments import ProviderName
from models.store import UTCDateTime

TEST_KEY_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
FIELD_MAP_VALUES = frozenset({"score", "percentile", "status", "report_url"})


def stage_key(job_interview_stage_id: int | None, stage_name: str | None) -> str:
    """`id:<n>` for a stage id, `name:<casefolded name>` otherwise."""
    if job_interview_stage_id is not None:
        return f"id:{job_interview_stage_id}"
    name = " ".join((stage_name or "").split()).casefold()
    if not name:
        raise ValueError("a stage needs a job_interview_stage_id or a name")
    return f"name:{name}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AssessmentStageMapping(SQLModel, table=True):
    """An application entering this job stage is sent this test, decided by this rule."""

    __tablename__ = "assessment_stage_mapping"
    __table_args__ = (UniqueConstraint("job_id", "stage_key", name="uq_assessment_job_stage"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(index=True, sa_type=BigInteger)
    stage_key: str = Field(max_length=220, index=True)
    job_interview_stage_id: int | None = Field(default=None, sa_type=BigInteger)
    stage_name: str | None = Field(default=None, max_length=200)
    test_key: str = Field(max_length=64, index=True)
    provider: str = Field(max_length=20)
    test_id: str = Field(max_length=128)
    test_name: str = Field(max_length=300)
    threshold: float | None = None
    below: str = Field(default="note", max_length=10)
    rejection_reason_id: int | None = Field(default=None, sa_type=BigInteger)
    advance_to_stage_id: int | None = Field(default=None, sa_type=BigInteger)
    dry_run: bool = False
    deadline_days: int | None = None
    reminder_hours: list[int] | None = Field(default=None, sa_column=Column(JSON))
    field_map: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime)


class AssessmentMappingSpec(BaseModel):
    """A mapping as a person gives it (CLI, seed), checked before it reaches the table."""

    model_config = ConfigDict(frozen=True)

    job_id: int = PydanticField(gt=0)
    job_interview_stage_id: int | None = PydanticField(default=None, gt=0)
    stage_name: str | None = PydanticField(default=None, min_length=1, max_length=200)
    test_key: str = PydanticField(min_length=1, max_length=64, pattern=TEST_KEY_PATTERN)
    provider: ProviderName
    test_id: str = PydanticField(min_length=1, max_length=128)
    test_name: str = PydanticField(min_length=1, max_length=300)
    rule: DecisionRule = PydanticField(default_factory=DecisionRule)
    deadline_days: int | None = PydanticField(default=None, ge=1, le=60)
    reminder_hours: list[int] | None = PydanticField(default=None, max_length=10)
    field_map: dict[str, str] | None = PydanticField(default=None, max_length=len(FIELD_MAP_VALUES))

    @model_validator(mode="after")
    def _consistent(self) -> AssessmentMappingSpec:
        stage_key(self.job_interview_stage_id, self.stage_name)  # raises without a stage
        threshold = self.rule.threshold
        if threshold is not None and (not math.isfinite(threshold) or threshold < 0):
            raise ValueError("the threshold must be a finite score of 0 or more")
        if self.rule.below == "reject" and threshold is None:
            raise ValueError("a rule that rejects below a score needs a threshold")
        if self.reminder_hours and any(not 1 <= h <= 24 * 60 for h in self.reminder_hours):
            raise ValueError("reminders are given in hours before the deadline, 1 to 1440")
        for value, name_key in (self.field_map or {}).items():
            if value not in FIELD_MAP_VALUES:
                raise ValueError(f"field_map maps {sorted(FIELD_MAP_VALUES)}, not {value[:40]!r}")
            if not 1 <= len(name_key) <= 200:
                raise ValueError("a custom field name_key has 1 to 200 characters")
        return self
