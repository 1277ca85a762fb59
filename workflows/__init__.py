"""Temporal workflows, one process per module."""

from __future__ import annotations

from workflows.mention_watch import MentionWatchWorkflow
from workflows.scheduling import SchedulingWorkflow

ALL_WORKFLOWS: list[type] = [SchedulingWorkflow, MentionWatchWorkflow]
