"""The EventWorkflow's pure decision core: a transition table, its commands and its words."""

from __future__ import annotations

from workflows.event_core.commands import EventCommand, EventCommandKind, EventOutcome
from workflows.event_core.core import EventCore

__all__ = ["EventCommand", "EventCommandKind", "EventCore", "EventOutcome"]
