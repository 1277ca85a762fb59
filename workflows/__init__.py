"""Temporal workflows, one process per module."""

from __future__ import annotations

from workflows.assessment import AssessmentWorkflow
from workflows.event import EventWorkflow
from workflows.mention_watch import MentionWatchWorkflow
from workflows.retention import ConsentRetentionWorkflow
from workflows.scheduling import SchedulingWorkflow
from workflows.source_push import SourceStatusPushWorkflow
from workflows.sourcing import SourcingWorkflow
from workflows.sync import SyncWorkflow

ALL_WORKFLOWS: list[type] = [
    SchedulingWorkflow,
    MentionWatchWorkflow,
    AssessmentWorkflow,
    SyncWorkflow,
    SourcingWorkflow,
    SourceStatusPushWorkflow,
    ConsentRetentionWorkflow,
    EventWorkflow,
]
