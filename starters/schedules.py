"""Temporal Schedules that Hireflow runs: the mention watcher, every 30 s by default.

`ensure_schedules` is idempotent: it creates the schedule, or brings an existing one to the current
interval and input, so `hireflow dev` and `hireflow worker --with-schedules` can both call it at
every start (and several workers at once) without duplicating anything. It never touches the
schedule's state: an operator's pause and its note survive every worker start.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from integrations.logs import get_logger
from models.mentions import MentionWatchInput
from models.messages import TaskQueues
from models.settings import Settings
from workflows.mention_watch import MentionWatchWorkflow

log = get_logger(__name__)

MENTION_WATCH_SCHEDULE_ID = "hireflow-mention-watch"
MENTION_WATCH_WORKFLOW_ID = "mention-watch"


def mention_watch_schedule(settings: Settings) -> Schedule:
    """Start a MentionWatchWorkflow every interval; skip a tick while the last run is still going."""
    watch = MentionWatchInput(
        queues=TaskQueues(harvest=settings.harvest_task_queue, planner=settings.planner_task_queue)
    )
    return Schedule(
        action=ScheduleActionStartWorkflow(
            MentionWatchWorkflow.run,
            watch,
            id=MENTION_WATCH_WORKFLOW_ID,
            task_queue=settings.task_queue,
            execution_timeout=timedelta(minutes=10),
            static_summary=f"Mention watch: Greenhouse notes that @mention {settings.mention_name}",
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=timedelta(seconds=settings.mention_watch_interval_seconds))]
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(minutes=1)),
        state=ScheduleState(note="Created by Hireflow; lists new notes and acts on @mentions."),
    )


async def ensure_schedules(client: Client, settings: Settings) -> None:
    """Create the mention-watch schedule, or update it to what these settings say."""
    schedule = mention_watch_schedule(settings)
    try:
        await client.create_schedule(MENTION_WATCH_SCHEDULE_ID, schedule)
        log.info("schedule_created", schedule_id=MENTION_WATCH_SCHEDULE_ID)
    except ScheduleAlreadyRunningError:

        def update(current: ScheduleUpdateInput) -> ScheduleUpdate:
            # Interval and input follow the settings; an operator's pause (and its note) stays.
            schedule.state = current.description.schedule.state
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(MENTION_WATCH_SCHEDULE_ID).update(update)
        log.info("schedule_updated", schedule_id=MENTION_WATCH_SCHEDULE_ID)


async def trigger_mention_watch(client: Client) -> None:
    """Run the watcher now instead of at its next tick; a run under way finishes first (never two at once)."""
    await client.get_schedule_handle(MENTION_WATCH_SCHEDULE_ID).trigger(
        overlap=ScheduleOverlapPolicy.BUFFER_ONE
    )
