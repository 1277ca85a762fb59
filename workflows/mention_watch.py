"""MentionWatchWorkflow: one pass over new Greenhouse notes that @mention Hireflow.

A Temporal Schedule runs it every 30 s by default. Each run lists notes over a two-sided
`created_at` window that starts a little before the previous run's end (its cursor arrives as the
previous run's completion result), answers every command with a reply note and records the note as
handled, so the same note is never acted on twice. A note that fails keeps the window open at its
timestamp, so the next runs try it again; after `max_failed_runs` the watcher gives up on it and says so.

Notes on one candidate are handled in order ("pause" then "resume"); different candidates' notes run
side by side, a few at a time, so one note whose system is down does not hold up everyone else's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.greenhouse import GreenhouseActivities
    from activities.mentions import MentionActivities
    from models.activity_io import NoteInput
    from models.failure_policy import NON_RETRYABLE_ERRORS
    from models.mentions import (
        HandledMention,
        ListMentionsInput,
        ListMentionsResult,
        MarkMentionInput,
        MentionCursor,
        MentionNote,
        MentionOutcome,
        MentionWatchInput,
        MentionWatchResult,
    )

TIMEOUT = timedelta(minutes=1)
# Bounded by time, not attempts (docs/failure-policy.md): a run gives a note two minutes, then the
# next run (every 30 s) tries it again; errors no retry can fix are not retried at all.
GIVE_UP_AFTER = timedelta(minutes=2)
# Candidates whose notes are handled at once; each note's activities still go through the rate-limited
# Harvest queue, so this bounds how long one run can be held up, not how hard Greenhouse is called.
PARALLEL_CANDIDATES = 8
# Runs that started before notes were handled side by side replay them one after another.
PATCH_PARALLEL_CANDIDATES = "mention-watch-parallel-candidates-2026-12"
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=20),
    non_retryable_error_types=list(NON_RETRYABLE_ERRORS),
)


@workflow.defn
class MentionWatchWorkflow:
    """Lists new mentions, acts on each, replies in Greenhouse; the result is the next run's cursor."""

    def __init__(self) -> None:
        self._handled: list[HandledMention] = []

    @workflow.run
    async def run(self, watch: MentionWatchInput) -> MentionWatchResult:
        previous = (
            workflow.get_last_completion_result(MentionWatchResult)
            if workflow.has_last_completion_result()
            else None
        )
        cursor = previous.cursor if previous else MentionCursor()
        since = cursor.watermark - watch.overlap if cursor.watermark else None
        try:
            listed = await workflow.execute_activity_method(
                MentionActivities.list_mentions,
                ListMentionsInput(since=since, lookback=watch.lookback),
                task_queue=watch.queues.harvest,
                start_to_close_timeout=TIMEOUT,
                schedule_to_close_timeout=GIVE_UP_AFTER,
                retry_policy=RETRY,
                summary="list notes that mention Hireflow",
            )
        except ActivityError as error:
            # Greenhouse is unreachable: this run ends with the same cursor, the next one tries again.
            workflow.logger.warning("mention listing failed", extra={"error": str(error.cause or error)})
            workflow.set_current_details(
                f"## Mention watch\nGreenhouse could not be read: {error.cause or error}"
            )
            return MentionWatchResult(cursor=cursor, handled=[], failed=[], gave_up=[])
        failed: list[MentionNote] = []
        gave_up: list[int] = []
        failed_runs: dict[int, int] = {}
        deferred: list[MentionNote] = []
        self._render(listed, failed, deferred)

        parallel = workflow.patched(PATCH_PARALLEL_CANDIDATES)

        async def handle_in_order(notes: list[MentionNote]) -> None:
            for index, note in enumerate(notes):
                try:
                    await self._handle(note, watch)
                except ActivityError as error:
                    runs = cursor.failed_runs.get(note.note_id, 0) + 1
                    workflow.logger.warning(
                        "mention failed",
                        extra={"note_id": note.note_id, "runs": runs, "error": str(error.cause)},
                    )
                    if runs < watch.max_failed_runs:
                        failed.append(note)
                        failed_runs[note.note_id] = runs
                        if parallel:
                            # The candidate's later notes wait for this one: the next run lists them
                            # again (the window stays open at this note) and keeps their order.
                            deferred.extend(notes[index + 1 :])
                            self._render(listed, failed, deferred)
                            return
                    else:
                        gave_up.append(note.note_id)
                        await self._give_up(note, watch, str(error.cause or error))
                self._render(listed, failed, deferred)

        if parallel:
            await _bounded_gather(
                [handle_in_order(notes) for notes in _by_candidate(listed.notes)], PARALLEL_CANDIDATES
            )
        else:
            await handle_in_order(listed.notes)
        watermark = min([listed.until, *(n.created_at for n in failed)])
        return MentionWatchResult(
            cursor=MentionCursor(watermark=watermark, failed_runs=failed_runs),
            handled=self._handled,
            failed=[n.note_id for n in failed],
            gave_up=gave_up,
        )

    async def _handle(self, note: MentionNote, watch: MentionWatchInput) -> None:
        resolved = await workflow.execute_activity_method(
            MentionActivities.resolve_mention,
            note,
            task_queue=watch.queues.harvest,
            start_to_close_timeout=TIMEOUT,
            schedule_to_close_timeout=GIVE_UP_AFTER,
            retry_policy=RETRY,
            summary=f"read note {note.note_id}",
        )
        outcome = MentionOutcome(reply=resolved.problem)
        if not resolved.problem:
            outcome = await workflow.execute_activity_method(
                MentionActivities.act_on_mention,
                resolved,
                start_to_close_timeout=TIMEOUT,
                schedule_to_close_timeout=GIVE_UP_AFTER,
                retry_policy=RETRY,
                summary=f"{resolved.action} application {resolved.application_id}",
            )
        await self._reply(note, resolved.application_id, outcome.reply, watch)
        action = resolved.action or "unknown"
        await self._mark(
            MarkMentionInput(
                note_id=note.note_id,
                action=action if not resolved.problem else f"{action}:refused",
                workflow_id=outcome.workflow_id,
                outcome=outcome.reply,
            )
        )
        self._handled.append(
            HandledMention(
                note_id=note.note_id, action=action, workflow_id=outcome.workflow_id, reply=outcome.reply
            )
        )

    async def _reply(
        self, note: MentionNote, application_id: int | None, body: str, watch: MentionWatchInput
    ) -> None:
        await workflow.execute_activity_method(
            GreenhouseActivities.add_candidate_note,
            NoteInput(
                key=f"mention-reply-{note.note_id}",
                candidate_id=note.candidate_id,
                application_id=application_id or note.application_id,
                body=body,
            ),
            task_queue=watch.queues.harvest,
            start_to_close_timeout=TIMEOUT,
            schedule_to_close_timeout=GIVE_UP_AFTER,
            retry_policy=RETRY,
            summary=f"reply to note {note.note_id}",
        )

    async def _give_up(self, note: MentionNote, watch: MentionWatchInput, error: str) -> None:
        """Tell the recruiter rather than drop the note silently; remember it so it is not retried forever."""
        body = f"I could not act on this note after {watch.max_failed_runs} tries ({error}). Please write it again."
        try:
            await self._reply(note, None, body, watch)
        except ActivityError:
            pass  # Greenhouse is unreachable: the log and the run's result still say so
        await self._mark(MarkMentionInput(note_id=note.note_id, action="failed", outcome=error))

    async def _mark(self, request: MarkMentionInput) -> None:
        await workflow.execute_activity_method(
            MentionActivities.mark_mention_handled,
            request,
            start_to_close_timeout=TIMEOUT,
            schedule_to_close_timeout=GIVE_UP_AFTER,
            retry_policy=RETRY,
            summary=f"remember note {request.note_id}",
        )

    def _render(
        self, listed: ListMentionsResult, failed: list[MentionNote], deferred: list[MentionNote]
    ) -> None:
        lines = [
            "## Mention watch",
            f"Window up to {listed.until:%Y-%m-%d %H:%M:%S} UTC; {listed.scanned} notes scanned, "
            f"{len(listed.notes)} new mentions.",
        ]
        for handled in self._handled:
            target = f" → `{handled.workflow_id}`" if handled.workflow_id else ""
            lines.append(f"- note {handled.note_id}: **{handled.action}**{target}")
        lines += [f"- note {n.note_id}: failed, retried next run" for n in failed]
        lines += [f"- note {n.note_id}: waits for the candidate's earlier note" for n in deferred]
        workflow.set_current_details("\n".join(lines))


def _by_candidate(notes: list[MentionNote]) -> list[list[MentionNote]]:
    """The notes grouped by candidate, each group oldest first, groups in order of their first note."""
    groups: dict[int, list[MentionNote]] = {}
    for note in notes:
        groups.setdefault(note.candidate_id, []).append(note)
    return list(groups.values())


async def _bounded_gather(jobs: list[Coroutine[Any, Any, None]], limit: int) -> None:
    """Run the jobs with at most `limit` at once (workflow-safe: the loop is Temporal's, deterministic)."""
    gate = asyncio.Semaphore(limit)

    async def gated(job: Coroutine[Any, Any, None]) -> None:
        async with gate:
            await job

    await asyncio.gather(*(gated(job) for job in jobs))
