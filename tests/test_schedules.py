"""The mention-watch schedule: created once, brought up to date at every worker start, never unpaused."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import ScheduleIntervalSpec
from temporalio.testing import WorkflowEnvironment

from models.settings import Settings
from starters.schedules import MENTION_WATCH_SCHEDULE_ID, ensure_schedules


async def test_a_worker_start_keeps_an_operators_pause_and_note(dev_server_env: WorkflowEnvironment) -> None:
    client = dev_server_env.client
    await ensure_schedules(client, Settings(mention_watch_interval_seconds=30))
    handle = client.get_schedule_handle(MENTION_WATCH_SCHEDULE_ID)
    try:
        await handle.pause(note="paused by ops: Greenhouse maintenance")
        await ensure_schedules(client, Settings(mention_watch_interval_seconds=45))  # the next worker start
        described = await handle.describe()
        assert described.schedule.state.paused, "the worker start unpaused the schedule"
        assert described.schedule.state.note == "paused by ops: Greenhouse maintenance"
        [interval] = described.schedule.spec.intervals
        assert isinstance(interval, ScheduleIntervalSpec) and interval.every == timedelta(seconds=45)
    finally:
        await handle.delete()
