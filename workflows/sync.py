"""SyncWorkflow: keeps the mirror of the Greenhouse organisation current, for as long as it runs.

A loop of incremental passes (every `interval`), a full reconciliation every `reconcile_every` or on
request (update `reconcile`, which answers with the drift it found), and continue-as-new after
`passes_per_run` passes. Every Harvest listing is an activity on the Harvest task queue at the lowest
priority, so a booking or a candidate's page is served first. A failed listing leaves that resource's
watermark where it was and the loop carries on: the workflow never fails because Greenhouse did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import Priority
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from activities.sync import SyncActivities
    from models.failure_policy import CallKind, System
    from models.inert_text import escape_markdown as md
    from models.sync_io import (
        SYNC_PRIORITY,
        DriftReport,
        ReconcileInput,
        ReconcileRequest,
        ResourceDrift,
        ResourcePassInput,
        ResourcePassResult,
        SyncRequest,
        SyncStatus,
    )
    from workflows.retry import retry_policy
    from workflows.sync_core import SyncCore, wait_time

ArgT = TypeVar("ArgT")
ResultT = TypeVar("ResultT")
ATTEMPT_TIMEOUT = timedelta(minutes=30)
HEARTBEAT_TIMEOUT = timedelta(minutes=5)


@workflow.defn
class SyncWorkflow:
    """The mirror's keeper: incremental passes, periodic reconciliation, drift in its status and UI."""

    @workflow.init
    def __init__(self, request: SyncRequest) -> None:
        self._core = SyncCore(request)
        self._wake = False

    @workflow.run
    async def run(self, request: SyncRequest) -> SyncStatus:
        core = self._core
        self._publish()
        try:
            while True:
                if core.reconcile_due(workflow.now()):
                    await self._reconcile()
                await self._pass()
                if core.should_continue_as_new():
                    break
                self._wake = False
                try:
                    await workflow.wait_condition(
                        lambda: self._wake or bool(core.pending_reconciles),
                        timeout=wait_time(request),
                        timeout_summary="next incremental pass",
                    )
                except TimeoutError:
                    pass
        except asyncio.CancelledError:  # a Temporal cancel stops the loop; the mirror stays consistent
            core.stop(workflow.now())
            self._publish()
            await workflow.wait_condition(workflow.all_handlers_finished)
            return core.status()
        while True:  # answer every reconcile asked for before handing over to the next run
            if core.pending_reconciles:
                await self._reconcile()
                continue
            await workflow.wait_condition(
                lambda: workflow.all_handlers_finished() or bool(core.pending_reconciles)
            )
            if not core.pending_reconciles:
                break
        workflow.continue_as_new(core.next_request())

    async def _pass(self) -> None:
        core = self._core
        names = core.pass_resources()
        core.start_phase("incremental", len(names))
        self._publish()
        results: list[ResourcePassResult] = []
        errors: dict[str, str] = {}
        for name in names:
            core.step(name)
            outcome = await self._attempt(
                SyncActivities.sync_resource,
                ResourcePassInput(resource=name, overlap=core.request.overlap),
                f"sync {name} (changes since the last pass)",
            )
            if isinstance(outcome, str):
                errors[name] = outcome
            else:
                results.append(outcome)
            core.stepped()
        core.pass_done(results, errors, workflow.now())
        self._publish()

    async def _reconcile(self) -> DriftReport:
        core = self._core
        started = workflow.now()
        names = list(core.request.resources)
        core.start_phase("reconciling", len(names))
        self._publish()
        drifts: list[ResourceDrift] = []
        errors: dict[str, str] = {}
        for name in names:
            core.step(name)
            self._publish()
            outcome = await self._attempt(
                SyncActivities.reconcile_resource,
                ReconcileInput(resource=name),
                f"reconcile {name} (full listing)",
            )
            if isinstance(outcome, str):
                errors[name] = outcome
            else:
                drifts.append(outcome)
            core.stepped()
        report = core.reconcile_done(drifts, errors, started, workflow.now())
        self._publish()
        return report

    async def _attempt(
        self, method: Callable[[SyncActivities, ArgT], Awaitable[ResultT]], arg: ArgT, summary: str
    ) -> ResultT | str:
        """Run one listing within the Greenhouse read budget; a failure is returned as its reason."""
        budget = self._core.request.failure.budget(System.GREENHOUSE, CallKind.READ)
        try:
            return await workflow.execute_activity_method(
                method,
                arg,
                task_queue=self._core.request.queues.harvest,
                start_to_close_timeout=min(budget.give_up_after, ATTEMPT_TIMEOUT),
                schedule_to_close_timeout=budget.give_up_after,
                heartbeat_timeout=HEARTBEAT_TIMEOUT,
                retry_policy=retry_policy(budget),
                priority=Priority(priority_key=SYNC_PRIORITY),
                summary=summary,
            )
        except ActivityError as error:
            cause = error.cause
            if isinstance(cause, CancelledError):
                raise asyncio.CancelledError from error
            reason = cause.message if isinstance(cause, ApplicationError) else str(cause or error)
            workflow.logger.warning("sync listing failed", extra={"summary": summary, "error": reason})
            return reason or type(cause).__name__

    # ------------------------------------------------------------------------------------- messages

    @workflow.signal
    def sync_now(self) -> None:
        """Run the next incremental pass now instead of at the end of the interval."""
        self._wake = True

    @workflow.update
    async def reconcile(self, request: ReconcileRequest) -> DriftReport:
        """Run a full reconciliation (or join the one asked for with this id) and answer with its drift."""
        core = self._core
        core.request_reconcile(request.request_id)
        await workflow.wait_condition(lambda: core.reconcile_answer(request.request_id) is not None)
        answer = core.reconcile_answer(request.request_id)
        assert answer is not None
        return answer

    @reconcile.validator
    def _validate_reconcile(self, request: ReconcileRequest) -> None:
        if not request.request_id.strip():
            raise ValueError("a reconcile request needs a request id")

    @workflow.query
    def status(self) -> SyncStatus:
        return self._core.status()

    # ----------------------------------------------------------------------------------- publishing

    def _publish(self) -> None:
        workflow.set_current_details(render_details(self._core.status()))


def render_details(status: SyncStatus) -> str:
    """The sync's page in the Temporal UI: the current phase, the last pass, the last drift (ids only)."""
    lines = ["**Greenhouse mirror sync**", ""]
    progress = status.progress
    if progress.phase != "idle":
        lines.append(f"## {progress.phase.capitalize()}: {progress.done}/{progress.total}")
        if progress.resource:
            lines.append(f"**Now:** {md(progress.resource)}")
    else:
        lines.append("## Waiting for the next pass")
    lines.append(f"**Passes:** {status.passes}")
    if status.last_pass_at:
        changed = sum(r.changed for r in status.last_pass)
        lines.append(f"**Last pass:** {status.last_pass_at:%d %b %H:%M:%S} UTC, {changed} row(s) changed")
    if status.last_error:
        lines.append(f"**Failing ({status.consecutive_failures} in a row):** {md(status.last_error)}")
    if status.next_reconcile_at:
        lines.append(f"**Next reconciliation:** {status.next_reconcile_at:%d %b %H:%M} UTC")
    drift = status.last_drift
    if drift is not None:
        finished = f"{drift.finished_at:%d %b %H:%M} UTC" if drift.finished_at else "unfinished"
        lines += ["", f"### Last reconciliation ({finished}): {drift.total} row(s) of drift", ""]
        lines += ["| resource | listed | missing | stale | deleted |", "|---|---|---|---|---|"]
        lines += [
            f"| {md(r.resource)} | {r.listed} | {r.missing} | {r.stale} | {r.deleted} |"
            for r in drift.resources
        ]
        lines += [f"- {md(name)} not reconciled: {md(why)}" for name, why in drift.failed.items()]
    return "\n".join(lines)
