"""What the event core asks its shell to do, and what comes back."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from models.failure_policy import CallKind, System


class EventCommandKind(StrEnum):
    LIST = "list_applications"
    GATHER = "gather"
    FIND_RUNNING = "find_running_requests"
    EMAIL = "send_email"
    PLAN = "plan_event"
    NOTE = "add_note"
    START_LOOP = "start_loop"  # a child SchedulingWorkflow, not an activity
    CANCEL_LOOP = "cancel_loop"  # a cancel request to that child


CALLS: dict[EventCommandKind, tuple[System, CallKind]] = {
    EventCommandKind.LIST: (System.GREENHOUSE, CallKind.READ),
    EventCommandKind.GATHER: (System.GREENHOUSE, CallKind.READ),
    EventCommandKind.FIND_RUNNING: (
        System.PLANNER,
        CallKind.READ,
    ),  # Temporal itself, on the planner's budget
    EventCommandKind.EMAIL: (System.MAIL, CallKind.IDEMPOTENT_WRITE),
    EventCommandKind.PLAN: (System.PLANNER, CallKind.PLAN),
    EventCommandKind.NOTE: (System.GREENHOUSE, CallKind.IDEMPOTENT_WRITE),
}


@dataclass(frozen=True)
class EventCommand:
    """One thing to do; `application_id` ties its outcome back to a candidate (None: the event)."""

    id: int
    kind: EventCommandKind
    input: Any
    summary: str
    application_id: int | None = None

    @property
    def system(self) -> System:
        return CALLS[self.kind][0]

    @property
    def call(self) -> CallKind:
        return CALLS[self.kind][1]


@dataclass(frozen=True)
class EventOutcome:
    ok: bool
    result: Any = None
    error_type: str = ""
    message: str = ""

    @classmethod
    def success(cls, result: Any = None) -> EventOutcome:
        return cls(ok=True, result=result)

    @classmethod
    def failure(cls, error_type: str, message: str) -> EventOutcome:
        return cls(ok=False, error_type=error_type, message=message)
