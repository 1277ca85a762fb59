"""Invitation state changes and the webhooks they post: start, complete, expire, cancel, extend.

Each change is a conditional transaction in the store; only the request that made the change posts its
event, so an event goes out once however many requests race (two submissions, a read and the sweeper).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from datetime import datetime

import structlog
from starlette.concurrency import run_in_threadpool

from sandbox.assessments.catalog import BY_ID, MAX_SCORE, score
from sandbox.assessments.report import render_report
from sandbox.assessments.state import SandboxState
from sandbox.assessments.store import OPEN
from sandbox.assessments.tables import InvitationRow, utc
from sandbox.assessments.webhooks import EventType

log = structlog.get_logger("sandbox.assessments")


def _post(state: SandboxState, row: InvitationRow, type_: EventType, at: datetime) -> None:
    state.webhooks.emit(
        state.callback_for(row.callback_url),
        type_,
        row.id,
        row.test_id,
        at,
        lose=state.faults.lose_webhooks,
    )


async def expire_if_overdue(state: SandboxState, row: InvitationRow) -> InvitationRow:
    """The row as it stands once its deadline is enforced (`expired`, posting the event once)."""
    now = state.clock.now()
    if row.status not in OPEN or utc(row.deadline) > now:
        return row

    def change(r: InvitationRow) -> None:
        if utc(r.deadline) <= now:
            r.status = "expired"

    updated, changed = await state.store.transition(row.id, OPEN, change)
    if updated is None:
        return row
    if changed and updated.status == "expired":
        log.info("invitation_expired", invitation_id=updated.id)
        _post(state, updated, "invitation.expired", now)
    return updated


async def sweep(state: SandboxState) -> None:
    """Expire every overdue invitation (also those nobody asks about)."""
    for invitation_id in await state.store.overdue(state.clock.now()):
        row = await state.store.get(invitation_id)
        if row is not None:
            await expire_if_overdue(state, row)


async def sweep_forever(state: SandboxState) -> None:
    while True:
        try:
            await sweep(state)
        except Exception as exc:  # a failed sweep must not end the loop; the next one tries again
            # no traceback: a rich one prints locals, and the state holds the token and the webhook secret
            log.warning("expiry_sweep_failed", error=type(exc).__name__)
        await asyncio.sleep(state.config.expiry_sweep_seconds)


async def start(state: SandboxState, row: InvitationRow) -> InvitationRow:
    """The candidate opened the test: `invited` → `started` (posting `invitation.started`) with a form nonce."""
    now = state.clock.now()

    def change(r: InvitationRow) -> None:
        r.status = "started"
        r.started_at = now
        r.form_nonce = secrets.token_urlsafe(16)

    updated, changed = await state.store.transition(row.id, ("invited",), change)
    if changed and updated is not None:
        _post(state, updated, "invitation.started", now)
        return updated
    return updated or row


async def complete(
    state: SandboxState, row: InvitationRow, answers: Mapping[int, int]
) -> InvitationRow | None:
    """Score, render the report and complete `row` (which must be `started`); None if another submission won."""
    test = BY_ID[row.test_id]
    now = state.clock.now()
    result = score(test, answers)
    name = f"{row.first_name} {row.last_name}".strip()
    pdf = await run_in_threadpool(render_report, test, name, row.id, result, now)
    nonce = row.form_nonce

    def change(r: InvitationRow) -> None:
        if r.form_nonce != nonce:
            return
        r.status = "completed"
        r.completed_at = now
        r.score = result.score
        r.percentile = result.percentile
        r.report_pdf = pdf
        r.form_nonce = None

    updated, changed = await state.store.transition(row.id, ("started",), change)
    if not changed or updated is None or updated.status != "completed":
        return None
    log.info("invitation_completed", invitation_id=updated.id, score=result.score, max_score=MAX_SCORE)
    _post(state, updated, "invitation.completed", now)
    return updated


async def cancel(state: SandboxState, row: InvitationRow) -> InvitationRow:
    updated, _ = await state.store.transition(row.id, OPEN, lambda r: setattr(r, "status", "cancelled"))
    return updated or row


async def extend(state: SandboxState, row: InvitationRow, deadline: datetime) -> tuple[InvitationRow, bool]:
    updated, changed = await state.store.transition(
        row.id, OPEN, lambda r: setattr(r, "deadline", utc(deadline))
    )
    return updated or row, changed
