"""Posts queued emails to candidates' Greenhouse profiles as EMAIL notes (`POST /v3/notes`), once each.

Runs in every worker process (`run_drain`); rows are claimed one at a time, so workers share the work
and never post a row twice at once. Budget (docs/failure-policy.md, `greenhouse_write`): backoff from
2 s doubling up to 2 min, for 12 hours from when the email was recorded; then the row is `failed` and
stays in SQL with its reason (`hireflow doctor` counts them). What no retry fixes fails at once: the
candidate is gone (404) or Greenhouse refuses the note (422). A missing `harvest:notes:create` scope is
retried (an admin can grant it) and logged with the scope's name on every pass, never silently.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.errors import (
    HarvestError,
    MissingScopeError,
    NotFoundError,
    RateLimitedError,
    ValidationError,
)
from integrations.logs import get_logger
from integrations.mail.profile_copy import has_reference, plain_text, profile_text
from integrations.mail.profile_log import ProfileLogStore
from models.greenhouse import AddNote
from models.store import OutboxStatus, ProfileEmailLog

log = get_logger(__name__)

NOTE_SCOPE = "harvest:notes:create"
UNSENT_RECHECK = timedelta(seconds=30)


@dataclass(frozen=True)
class DrainBudget:
    first_backoff: timedelta = timedelta(seconds=2)
    max_backoff: timedelta = timedelta(minutes=2)
    give_up_after: timedelta = timedelta(hours=12)

    def backoff(self, attempts: int) -> timedelta:
        return min(self.first_backoff * (2 ** max(0, attempts - 1)), self.max_backoff)


@dataclass
class DrainReport:
    logged: int = 0
    retried: int = 0
    failed: int = 0
    waiting: int = 0
    missing_scope: str | None = None


class ProfileLogDrain:
    """One pass posts every due row; a missing scope stops the pass (every row would hit it)."""

    def __init__(self, store: ProfileLogStore, harvest: HarvestClient, budget: DrainBudget = DrainBudget()):
        self.store = store
        self.harvest = harvest
        self.budget = budget

    async def drain_once(self, limit: int = 50) -> DrainReport:
        report = DrainReport()
        for due in await self.store.due(limit):
            assert due.id is not None
            body: str | None
            if due.direction == "outbound":
                outbox = await self.store.outbox_status(due.outbox_key or "")
                if outbox is None or outbox[0] == OutboxStatus.FAILED:
                    await self.store.mark_failed(due.id, "the email was not sent")
                    report.failed += 1
                    continue
                if outbox[0] != OutboxStatus.SENT:
                    # Not sent yet: look again soon, without spending an attempt.
                    await self.store.mark_retry(
                        due.id, "waiting for the email to be sent", self.store.clock() + UNSENT_RECHECK
                    )
                    report.waiting += 1
                    continue
                body = plain_text(outbox[1])
            else:
                body = due.body or ""
            row = await self.store.claim(due.id)
            if row is None:
                continue  # another worker has it
            outcome = await self._post(row, body)
            if outcome == "logged":
                report.logged += 1
            elif outcome == "failed":
                report.failed += 1
            else:
                report.retried += 1
                if outcome.startswith("scope:"):
                    report.missing_scope = outcome.removeprefix("scope:")
                    break
        return report

    async def _post(self, row: ProfileEmailLog, text: str) -> str:
        assert row.id is not None
        context = {"candidate_id": row.candidate_id, "direction": row.direction, "attempt": row.attempts}
        try:
            if row.attempts > 1 and (existing := await self._already_posted(row)) is not None:
                await self.store.mark_logged(row.id, existing)
                log.info("profile_log.found_existing", note_id=existing, **context)
                return "logged"
            note = await self.harvest.add_note(
                AddNote(
                    candidate_id=row.candidate_id,
                    application_id=row.application_id,
                    note_type="EMAIL",
                    subject=row.subject or "(no subject)",
                    body=profile_text(text, row.reference),
                    email_from=[row.email_from],
                    email_to=[a.strip() for a in row.email_to.split(",") if a.strip()],
                    email_cc=[],
                    visibility="public",
                )
            )
        except MissingScopeError as error:
            await self._retry(row, f"missing scope {error.scope}: grant it to the Harvest credential")
            log.error("profile_log.missing_scope", scope=error.scope, **context)
            return f"scope:{error.scope}"
        except (NotFoundError, ValidationError) as error:
            await self.store.mark_failed(row.id, f"Greenhouse refused the note: {error}")
            log.warning("profile_log.refused", error=str(error), **context)
            return "failed"
        except RateLimitedError as error:
            return await self._retry(row, str(error), wait=error.retry_after)
        except (HarvestError, OSError) as error:
            return await self._retry(row, f"{type(error).__name__}: {error}")
        await self.store.mark_logged(row.id, note.id)
        log.info("profile_log.logged", note_id=note.id, **context)
        return "logged"

    async def _already_posted(self, row: ProfileEmailLog) -> int | None:
        notes = await self.harvest.list_notes(candidate_ids=[row.candidate_id], type="EMAIL").collect()
        return next((n.id for n in notes if has_reference(n.body, row.reference)), None)

    async def _retry(self, row: ProfileEmailLog, error: str, wait: float | None = None) -> str:
        assert row.id is not None
        now = self.store.clock()
        if now - row.created_at >= self.budget.give_up_after:
            await self.store.mark_failed(row.id, f"gave up after {self.budget.give_up_after}: {error}")
            log.error("profile_log.gave_up", candidate_id=row.candidate_id, error=error)
            return "failed"
        delay = timedelta(seconds=wait) if wait else self.budget.backoff(row.attempts)
        await self.store.mark_retry(row.id, error, now + delay)
        log.warning("profile_log.retry", candidate_id=row.candidate_id, error=error)
        return "retry"


async def run_drain(drain: ProfileLogDrain, stop: asyncio.Event, interval: float = 5.0) -> None:
    """Drain until `stop` is set; an unexpected error is logged and the loop goes on."""
    while not stop.is_set():
        try:
            await drain.drain_once()
        except Exception as error:  # the loop must outlive a bad pass (SQL blip, bug in one row)
            log.error("profile_log.pass_failed", error=f"{type(error).__name__}: {error}")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
