"""The decisions of `SyncWorkflow`, without Temporal: what the next pass lists, when a full reconciliation
is due, when to continue as new, and the status everyone reads. Pure and clock-free (times are passed in).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from models.sync_io import (
    HOT_RESOURCES,
    DriftReport,
    ResourceDrift,
    ResourcePassResult,
    SyncCarried,
    SyncProgress,
    SyncRequest,
    SyncStatus,
)

MAX_REMEMBERED_REQUESTS = 20


class SyncCore:
    """State of one sync run plus what it carries from the runs before."""

    def __init__(self, request: SyncRequest) -> None:
        self.request = request
        self.carried = request.carried.model_copy(deep=True) if request.carried else SyncCarried()
        self.passes_this_run = 0
        self.progress = SyncProgress()
        self.last_pass: list[ResourcePassResult] = []
        self.last_error: str | None = None
        self.pending_reconciles: list[str] = []
        self.stopped = False

    # ------------------------------------------------------------------------------------ planning

    def pass_resources(self) -> list[str]:
        """Hot resources every pass; org resources on the first pass of the chain and every N after."""
        org_due = self.carried.passes % self.request.org_every_passes == 0
        return [r for r in self.request.resources if org_due or r in HOT_RESOURCES]

    def reconcile_due(self, now: datetime) -> bool:
        if self.pending_reconciles:
            return True
        last = self.carried.last_reconciled_at
        if last is None:  # the first full listing is the initial sync; reconcile one interval after it
            return False
        return now >= last + self.request.reconcile_every

    def next_reconcile_at(self) -> datetime | None:
        last = self.carried.last_reconciled_at or self.carried.last_pass_at
        return last + self.request.reconcile_every if last else None

    def should_continue_as_new(self) -> bool:
        return self.passes_this_run >= self.request.passes_per_run and not self.pending_reconciles

    # ------------------------------------------------------------------------------------- outcomes

    def start_phase(self, phase: Literal["incremental", "reconciling"], total: int) -> None:
        self.progress = SyncProgress(phase=phase, done=0, total=total)

    def step(self, resource: str) -> None:
        self.progress.resource = resource

    def stepped(self) -> None:
        self.progress.done += 1

    def pass_done(self, results: list[ResourcePassResult], errors: dict[str, str], now: datetime) -> None:
        self.last_pass = results
        self.carried.passes += 1
        self.passes_this_run += 1
        self.carried.last_pass_at = now
        if self.carried.last_reconciled_at is None and not errors and any(r.initial for r in results):
            self.carried.last_reconciled_at = (
                now  # the initial full listing counts as the first reconciliation
            )
        self._errors(errors)
        self.progress = SyncProgress()

    def reconcile_done(
        self, drifts: list[ResourceDrift], errors: dict[str, str], started: datetime, now: datetime
    ) -> DriftReport:
        report = DriftReport(started_at=started, finished_at=now, resources=drifts, failed=errors)
        self.carried.last_drift = report
        self.carried.last_reconciled_at = now
        for request_id in self.pending_reconciles:
            self.carried.reconciled_requests[request_id] = report
        self.pending_reconciles = []
        for old in list(self.carried.reconciled_requests)[:-MAX_REMEMBERED_REQUESTS]:
            del self.carried.reconciled_requests[old]
        self._errors(errors)
        self.progress = SyncProgress()
        return report

    def stop(self, now: datetime) -> None:
        """A Temporal cancel: reconciliations still asked for are answered as not done."""
        self.stopped = True
        if self.pending_reconciles:
            failed = {"sync": "the sync was stopped before this reconciliation ran"}
            report = DriftReport(started_at=now, finished_at=now, failed=failed)
            for request_id in self.pending_reconciles:
                self.carried.reconciled_requests[request_id] = report
            self.pending_reconciles = []
        self.progress = SyncProgress()

    def _errors(self, errors: dict[str, str]) -> None:
        if errors:
            self.carried.consecutive_failures += 1
            self.last_error = "; ".join(f"{name}: {why}" for name, why in errors.items())
        else:
            self.carried.consecutive_failures = 0
            self.last_error = None

    # ----------------------------------------------------------------------------------- messages

    def request_reconcile(self, request_id: str) -> None:
        if request_id not in self.carried.reconciled_requests and request_id not in self.pending_reconciles:
            self.pending_reconciles.append(request_id)

    def reconcile_answer(self, request_id: str) -> DriftReport | None:
        return self.carried.reconciled_requests.get(request_id)

    # ------------------------------------------------------------------------------------- status

    def status(self) -> SyncStatus:
        return SyncStatus(
            state="stopped" if self.stopped else "running",
            passes=self.carried.passes,
            progress=self.progress.model_copy(),
            last_pass_at=self.carried.last_pass_at,
            last_pass=list(self.last_pass),
            last_error=self.last_error,
            consecutive_failures=self.carried.consecutive_failures,
            last_reconciled_at=self.carried.last_reconciled_at,
            next_reconcile_at=self.next_reconcile_at(),
            last_drift=self.carried.last_drift,
        )

    def next_request(self) -> SyncRequest:
        """The input of the next run in the chain."""
        return self.request.model_copy(update={"carried": self.carried.model_copy(deep=True)})


def wait_time(request: SyncRequest) -> timedelta:
    return max(request.interval, timedelta(seconds=1))
