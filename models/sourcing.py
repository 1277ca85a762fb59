"""The sourcing intake contract (issue 12, docs/sourcing.md): what a source pushes, what each row became.

`SourcedCandidate` is one row of `POST /api/v1/sourcing/candidates` (and of `hireflow source import`),
validated strictly so a bad row is refused naming its field. The row's data stays in the SQL store; the
SourcingWorkflow carries only the batch id and row numbers, so no personal data enters its history.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from models.failure_policy import FailurePolicy
from models.messages import TaskQueues
from models.retention import RetentionPolicy

MAX_ROWS_PER_BATCH = 500
MAX_RESUME_BYTES = 10 * 1024 * 1024  # decoded; Greenhouse's own attachment limit is larger
Outcome = Literal["created", "matched_existing", "skipped_duplicate", "needs_review", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("created", "matched_existing", "skipped_duplicate", "needs_review", "failed")
ConsentBasis = Literal["consent", "legitimate_interest"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=320, pattern=r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$"
    ),
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^\+?[0-9 ().\-/]{5,40}$")
]
Link = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://\S+$")]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Filename = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
SOURCE_NAME_RE = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResumeInput(Strict):
    """Exactly one of `content_base64` or `url`; the type (PDF or DOCX) is judged by content later."""

    filename: Filename
    content_base64: str | None = None  # bounded by the body limit; the size is checked per row
    url: Link | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ResumeInput:
        if (self.content_base64 is None) == (self.url is None):
            raise ValueError("give exactly one of content_base64 or url")
        return self


class ConsentInput(Strict):
    basis: ConsentBasis
    given_at: AwareDatetime
    notice_version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class EducationInput(Strict):
    """A school, degree and/or discipline by name: Greenhouse keeps these as fixed option lists, so a name
    is matched to an option (case and spacing ignored); a name not on the list is reported, not invented."""

    school: Text | None = None
    degree: Text | None = None
    discipline: Text | None = None
    start_date: date | None = None
    end_date: date | None = None

    @model_validator(mode="after")
    def _something(self) -> EducationInput:
        if not (self.school or self.degree or self.discipline):
            raise ValueError("give at least one of school, degree or discipline")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


class EmploymentInput(Strict):
    """A job the candidate held; Greenhouse requires company, title and start date."""

    company: Text
    title: Text
    start_date: date
    end_date: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> EmploymentInput:
        if self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


PoolRef = Annotated[int, Field(gt=0)] | Text  # an id, or the name as Greenhouse shows it


class SourcedCandidate(Strict):
    """One candidate as a source sends it (the HTTP contract of docs/sourcing.md, field for field)."""

    external_id: ExternalId
    first_name: Text
    last_name: Text
    emails: list[Email] = Field(default_factory=list, max_length=10)
    phones: list[Phone] = Field(default_factory=list, max_length=10)
    links: list[Link] = Field(default_factory=list, max_length=20)
    job_id: Annotated[int, Field(gt=0)] | None = None
    prospect: bool = False
    resume: ResumeInput | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=30)
    source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None
    recruiter_id: Annotated[int, Field(gt=0)] | None = None
    consent: ConsentInput
    # Optional additions to the contract (docs/sourcing.md): where a prospect goes, and the person's history.
    prospect_pool: PoolRef | None = None
    prospect_stage: PoolRef | None = None
    educations: list[EducationInput] = Field(default_factory=list, max_length=10)
    employments: list[EmploymentInput] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _somewhere(self) -> SourcedCandidate:
        if self.job_id is None and not self.prospect:
            raise ValueError("give a job_id, or prospect: true")
        if (self.prospect_pool is not None or self.prospect_stage is not None) and not self.prospect:
            raise ValueError("prospect_pool and prospect_stage need prospect: true")
        if self.prospect_stage is not None and self.prospect_pool is None:
            raise ValueError("prospect_stage needs prospect_pool")
        return self


class SourcingBatchBody(BaseModel):
    """The request body; rows are validated one by one (`validate_rows`) so every bad row is named."""

    model_config = ConfigDict(extra="forbid")

    candidates: list[dict[str, object]] = Field(min_length=1, max_length=MAX_ROWS_PER_BATCH)


class RowProblem(BaseModel):
    """One reason a row was refused: its index in `candidates`, the field's path, the message."""

    row: int
    field: str
    message: str


def validate_row(value: object, row: int) -> tuple[SourcedCandidate | None, list[RowProblem]]:
    """One row of a batch or a file: the candidate, or every problem naming its field (values never echoed)."""
    try:
        return SourcedCandidate.model_validate(value), []
    except ValidationError as exc:
        return None, [
            RowProblem(
                row=row,
                field=".".join(str(p) for p in err["loc"]) or "row",
                message=str(err["msg"]).replace("Value error, ", "")[:200],
            )
            for err in exc.errors()
        ]


def normalise_email(address: str) -> str:
    """Trimmed and lower-cased, exactly as the mirror stores addresses (`mirror_resources.normalise_email`),
    so `Ada@Example.COM ` finds `ada@example.com` there and in the claims."""
    return address.strip().lower()


def normalise_phone(number: str) -> str:
    """Digits only, the last 9 (national number without trunk/country prefixes), for comparisons."""
    digits = re.sub(r"\D", "", number)
    return digits[-9:]


def full_name(first: str | None, last: str | None) -> str:
    text = unicodedata.normalize("NFKD", f"{first or ''} {last or ''}")
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).casefold().split())


# --------------------------------------------------------------------------------- workflow inputs


class SourcingRequest(BaseModel):
    """Input of SourcingWorkflow: the batch and how many rows it has (the rows themselves are in SQL)."""

    batch_id: str
    source: str
    rows: int = Field(ge=0)
    concurrency: int = Field(default=4, ge=1, le=20)
    queues: TaskQueues = Field(default_factory=TaskQueues)
    failure: FailurePolicy = Field(default_factory=FailurePolicy)
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)


class ImportRowInput(BaseModel):
    batch_id: str
    row: int


class FailRowInput(BaseModel):
    batch_id: str
    row: int
    reason: str


class RowResult(BaseModel):
    """What one row became (the `rows[]` entry of the batch status, plus its row number)."""

    row: int
    external_id: str
    outcome: Outcome
    candidate_id: int | None = None
    application_id: int | None = None
    reason: str | None = None


class SourcingCounts(BaseModel):
    created: int = 0
    matched: int = 0
    skipped: int = 0
    review: int = 0
    failed: int = 0

    def add(self, outcome: Outcome) -> None:
        if outcome == "created":
            self.created += 1
        elif outcome == "matched_existing":
            self.matched += 1
        elif outcome == "skipped_duplicate":
            self.skipped += 1
        elif outcome == "needs_review":
            self.review += 1
        else:
            self.failed += 1

    @property
    def done(self) -> int:
        return self.created + self.matched + self.skipped + self.review + self.failed


class SourcingStatus(BaseModel):
    batch_id: str
    source: str
    rows: int
    counts: SourcingCounts = Field(default_factory=SourcingCounts)
    finished_at: datetime | None = None


def sourcing_workflow_id(batch_id: str) -> str:
    return f"sourcing-{batch_id}"
