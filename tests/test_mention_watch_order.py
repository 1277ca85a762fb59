"""MentionWatchWorkflow's order: one candidate's notes in turn, different candidates' notes side by side.

Fake activities on the time-skipping server: a note whose system is down must not hold up other
candidates' notes, and a candidate's later note must wait for the earlier one that failed (a "resume"
acted on before its "pause" would leave the request paused).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.activity_io import NoteInput
from models.mentions import (
    ListMentionsInput,
    ListMentionsResult,
    MarkMentionInput,
    MentionNote,
    MentionOutcome,
    MentionWatchInput,
    ResolvedMention,
)
from models.messages import TaskQueues
from workflows.mention_watch import MentionWatchWorkflow

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _note(note_id: int, candidate_id: int, minute: int) -> MentionNote:
    return MentionNote(
        note_id=note_id,
        created_at=T0 + timedelta(minutes=minute),
        candidate_id=candidate_id,
        application_id=1,
    )


class FakeWorld:
    """Notes 1 and 3 are candidate 10's, 2 and 4 candidate 20's; note 1's system is down."""

    def __init__(self) -> None:
        self.notes = [_note(1, 10, 0), _note(2, 20, 1), _note(3, 10, 2), _note(4, 20, 3)]
        self.acted: list[int] = []
        self.marked: list[int] = []
        self.others_done = asyncio.Event()

    @activity.defn(name="list_mentions")
    async def list_mentions(self, request: ListMentionsInput) -> ListMentionsResult:
        return ListMentionsResult(notes=self.notes, until=T0 + timedelta(minutes=10), scanned=4)

    @activity.defn(name="resolve_mention")
    async def resolve_mention(self, note: MentionNote) -> ResolvedMention:
        return ResolvedMention(note=note, action="status", application_id=1)

    @activity.defn(name="act_on_mention")
    async def act_on_mention(self, resolved: ResolvedMention) -> MentionOutcome:
        note_id = resolved.note.note_id
        if note_id == 1:
            # Down until the other candidate's notes are answered; one note at a time would never get there.
            try:
                await asyncio.wait_for(self.others_done.wait(), timeout=20)
            except TimeoutError:
                raise ApplicationError("held up the other candidate", non_retryable=True) from None
            raise ApplicationError("calendar down", non_retryable=True)
        self.acted.append(note_id)
        if {2, 4} <= set(self.acted):
            self.others_done.set()
        return MentionOutcome(reply=f"done {note_id}")

    @activity.defn(name="add_candidate_note")
    async def add_candidate_note(self, request: NoteInput) -> None:
        return None

    @activity.defn(name="mark_mention_handled")
    async def mark_mention_handled(self, request: MarkMentionInput) -> None:
        self.marked.append(request.note_id)


async def test_a_failing_note_holds_up_only_its_own_candidates_later_notes(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    world = FakeWorld()
    queue = f"mentions-{uuid.uuid4().hex[:8]}"
    async with Worker(
        time_skipping_env.client,
        task_queue=queue,
        workflows=[MentionWatchWorkflow],
        activities=[
            world.list_mentions,
            world.resolve_mention,
            world.act_on_mention,
            world.add_candidate_note,
            world.mark_mention_handled,
        ],
    ):
        result = await time_skipping_env.client.execute_workflow(
            MentionWatchWorkflow.run,
            MentionWatchInput(queues=TaskQueues(harvest=queue)),
            id=f"mention-watch-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )

    assert world.acted == [2, 4], "candidate 20's notes are answered in order while note 1 is down"
    assert [h.note_id for h in result.handled] == [2, 4]
    assert result.failed == [1] and result.cursor.failed_runs == {1: 1}
    assert 3 not in world.acted and 3 not in world.marked, "note 3 waits for candidate 10's earlier note"
    assert result.cursor.watermark == T0, "the next run lists notes 1 and 3 again"
