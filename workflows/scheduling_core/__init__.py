"""The SchedulingWorkflow's decision core: pure, table-driven, tested without a server."""

from __future__ import annotations

from workflows.scheduling_core.base import Answer, UndeclaredTransitionError
from workflows.scheduling_core.commands import Command, CommandKind, Outcome
from workflows.scheduling_core.core import SchedulingCore

__all__ = ["Answer", "Command", "CommandKind", "Outcome", "SchedulingCore", "UndeclaredTransitionError"]
