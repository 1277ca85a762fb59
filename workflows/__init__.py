"""Temporal workflows, one process per module."""

from __future__ import annotations

from workflows.scheduling import SchedulingWorkflow

ALL_WORKFLOWS: list[type] = [SchedulingWorkflow]
