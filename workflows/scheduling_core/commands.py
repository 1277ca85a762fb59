"""What the decision core asks the shell to do, and what the shell reports back.

A command carries the typed input of exactly one activity, which external system it touches and
what kind of call it is (the failure policy decides its retries from those two). The shell runs
commands one at a time and returns an `Outcome`; it never decides anything itself.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from models.activity_io import (
    BookEventsInput,
    CancelEventsInput,
    CheckOptionInput,
    CheckOptionResult,
    EmailInput,
    EmailResult,
    FindOptionsInput,
    FindOptionsResult,
    GatherInput,
    InterviewsInput,
    NoteInput,
    ReadResponsesInput,
    ReadResponsesResult,
    SessionsResult,
    UpdateInterviewInput,
)
from models.failure_policy import CallKind, System
from models.messages import SchedulingContext


class CommandKind(StrEnum):
    """One per activity the SchedulingWorkflow calls."""

    GATHER = "gather"
    FIND_OPTIONS = "find_options"
    CHECK_OPTION = "check_option"
    CREATE_EVENTS = "create_events"
    UPDATE_EVENT = "update_event"
    RELEASE_EVENTS = "release_events"
    READ_RESPONSES = "read_responses"
    RECORD_INTERVIEWS = "record_interviews"
    UPDATE_INTERVIEW = "update_interview"
    DELETE_INTERVIEWS = "delete_interviews"
    SEND_EMAIL = "send_email"
    ADD_NOTE = "add_note"


CommandInput = (
    GatherInput
    | FindOptionsInput
    | CheckOptionInput
    | BookEventsInput
    | CancelEventsInput
    | ReadResponsesInput
    | InterviewsInput
    | UpdateInterviewInput
    | EmailInput
    | NoteInput
)
ActivityResult = (
    SchedulingContext
    | FindOptionsResult
    | CheckOptionResult
    | SessionsResult
    | ReadResponsesResult
    | EmailResult
)

# Which system each kind touches and what kind of call it is: the failure policy's two keys.
CALLS: dict[CommandKind, tuple[System, CallKind]] = {
    CommandKind.GATHER: (System.GREENHOUSE, CallKind.READ),
    CommandKind.FIND_OPTIONS: (System.PLANNER, CallKind.PLAN),
    CommandKind.CHECK_OPTION: (System.PLANNER, CallKind.PLAN),
    CommandKind.CREATE_EVENTS: (System.CALENDAR, CallKind.IDEMPOTENT_WRITE),
    CommandKind.UPDATE_EVENT: (System.CALENDAR, CallKind.IDEMPOTENT_WRITE),
    CommandKind.RELEASE_EVENTS: (System.CALENDAR, CallKind.IDEMPOTENT_WRITE),
    CommandKind.READ_RESPONSES: (System.CALENDAR, CallKind.READ),
    CommandKind.RECORD_INTERVIEWS: (System.GREENHOUSE, CallKind.IDEMPOTENT_WRITE),
    CommandKind.UPDATE_INTERVIEW: (System.GREENHOUSE, CallKind.IDEMPOTENT_WRITE),
    CommandKind.DELETE_INTERVIEWS: (System.GREENHOUSE, CallKind.IDEMPOTENT_WRITE),
    CommandKind.SEND_EMAIL: (System.MAIL, CallKind.IDEMPOTENT_WRITE),
    CommandKind.ADD_NOTE: (System.GREENHOUSE, CallKind.IDEMPOTENT_WRITE),
}


class Command(BaseModel):
    """One activity call the core wants made. `tag` ties the outcome back to what it was for."""

    id: int
    kind: CommandKind
    input: CommandInput
    summary: str
    tag: str = ""
    interruptible: bool = False

    @property
    def system(self) -> System:
        return CALLS[self.kind][0]

    @property
    def call(self) -> CallKind:
        return CALLS[self.kind][1]


class Outcome(BaseModel):
    """What became of a command: its result, or why it finally failed.

    `non_retryable`: a typed error no retry can fix (not found, refused, forbidden); otherwise the
    retry budget ran out. `interrupted`: cancelled before it finished (its effect may or may not
    have happened; every effect is keyed, so the core treats it as possibly done).
    """

    ok: bool
    result: ActivityResult | None = None
    error_type: str = ""
    message: str = ""
    non_retryable: bool = False
    interrupted: bool = False

    @classmethod
    def success(cls, result: ActivityResult | None = None) -> Outcome:
        return cls(ok=True, result=result)

    @classmethod
    def failure(
        cls, error_type: str, message: str, *, non_retryable: bool = False, interrupted: bool = False
    ) -> Outcome:
        return cls(
            ok=False,
            error_type=error_type,
            message=message,
            non_retryable=non_retryable,
            interrupted=interrupted,
        )
