"""Inputs, results and status of `SyncWorkflow` and its activities (ids and counts only, no personal data)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from models.failure_policy import FailurePolicy
from models.messages import TaskQueues

SYNC_WORKFLOW_ID = "hireflow-sync"
# Temporal task priority (1 runs first, 5 last; unset means 3): sync gives way to interactive Harvest work.
SYNC_PRIORITY = 5

# Resources in the order a pass visits them: what others point at comes first.
ORG_RESOURCES: tuple[str, ...] = (
    "offices",
    "departments",
    "users",
    "sources",
    "custom_fields",
    "jobs",
    "job_interview_stages",
    "job_interviews",
    "interview_kits",
    "default_interviewers",
)
HOT_RESOURCES: tuple[str, ...] = ("candidates", "applications", "interviews")
ALL_RESOURCES: tuple[str, ...] = ORG_RESOURCES + HOT_RESOURCES

MAX_SAMPLE_IDS = 20


class SyncRequest(BaseModel):
    """Input of `SyncWorkflow.run` (the starter fills it from settings; carried across continue-as-new)."""

    interval: timedelta = Field(default=timedelta(seconds=60), description="Between incremental passes.")
    org_every_passes: int = Field(
        default=5, ge=1, description="Org resources (jobs, users, ...) are listed every N passes."
    )
    reconcile_every: timedelta = Field(
        default=timedelta(hours=24), description="Between full reconciliations."
    )
    passes_per_run: int = Field(default=100, ge=1, description="Passes before continue-as-new.")
    overlap: timedelta = Field(
        default=timedelta(minutes=2), description="Each listing starts this long before the last one ended."
    )
    resources: list[str] = Field(default_factory=lambda: list(ALL_RESOURCES))
    queues: TaskQueues = Field(default_factory=TaskQueues)
    failure: FailurePolicy = Field(default_factory=FailurePolicy)
    carried: SyncCarried | None = None


class ResourcePassInput(BaseModel):
    """One incremental (or, without a watermark, initial full) listing of one resource."""

    resource: str
    overlap: timedelta = timedelta(minutes=2)


class ResourcePassResult(BaseModel):
    resource: str
    listed: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_older: int = Field(default=0, description="Listed rows older than what the mirror holds.")
    synced_through: datetime | None = None
    initial: bool = False

    @property
    def changed(self) -> int:
        return self.inserted + self.updated


class ReconcileInput(BaseModel):
    resource: str


class ResourceDrift(BaseModel):
    """What a full reconciliation of one resource found (and repaired)."""

    resource: str
    listed: int = 0
    missing: int = Field(default=0, description="In Greenhouse, not in the mirror (inserted).")
    stale: int = Field(default=0, description="In both, content differed (refreshed).")
    deleted: int = Field(default=0, description="In the mirror, gone from Greenhouse (removed).")
    missing_ids: list[int] = Field(default_factory=list)
    stale_ids: list[int] = Field(default_factory=list)
    deleted_ids: list[int] = Field(default_factory=list)

    @property
    def drift(self) -> int:
        return self.missing + self.stale + self.deleted


class DriftReport(BaseModel):
    started_at: datetime
    finished_at: datetime | None = None
    resources: list[ResourceDrift] = Field(default_factory=list)
    failed: dict[str, str] = Field(default_factory=dict, description="Resource → why it was not reconciled.")

    @property
    def total(self) -> int:
        return sum(r.drift for r in self.resources)


class ReconcileRequest(BaseModel):
    """Update `reconcile`: run a full reconciliation now; the id makes a retried request one run."""

    request_id: str


class SyncCarried(BaseModel):
    """What one run hands to the next across continue-as-new."""

    passes: int = 0
    last_pass_at: datetime | None = None
    last_reconciled_at: datetime | None = None
    last_drift: DriftReport | None = None
    reconciled_requests: dict[str, DriftReport] = Field(default_factory=dict)
    consecutive_failures: int = 0


class SyncProgress(BaseModel):
    phase: Literal["idle", "incremental", "reconciling"] = "idle"
    resource: str | None = None
    done: int = 0
    total: int = 0


class SyncStatus(BaseModel):
    """Answer of the `status` query and the workflow's result."""

    state: Literal["running", "stopped"] = "running"
    passes: int = 0
    progress: SyncProgress = Field(default_factory=SyncProgress)
    last_pass_at: datetime | None = None
    last_pass: list[ResourcePassResult] = Field(default_factory=list)
    last_error: str | None = None
    consecutive_failures: int = 0
    last_reconciled_at: datetime | None = None
    next_reconcile_at: datetime | None = None
    last_drift: DriftReport | None = None


SyncRequest.model_rebuild()
