"""What crosses the MentionWatchWorkflow's boundary: its input, activity payloads, result and cursor.

One pydantic model per message, every field defaulted where it can be, so that adding a field
never breaks a payload already in a running history. The watcher runs from a Temporal Schedule; its
result is the next run's `last completion result`, which is how the cursor crosses runs.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from models.messages import TaskQueues

MentionAction = Literal[
    "schedule", "reschedule", "cancel", "status", "pause", "resume", "send", "extend", "event"
]
MENTION_ACTIONS: tuple[MentionAction, ...] = (
    "schedule",
    "reschedule",
    "cancel",
    "status",
    "pause",
    "resume",
    "send",
    "extend",
    "event",
)
COMMAND_WORDS: tuple[MentionAction, ...] = tuple(a for a in MENTION_ACTIONS if a != "event")
"""The words that are commands in a note. `event` is none: it is a `schedule` that names a hiring day
("schedule a hiring day on 24 March ..."), and has a rule of its own in HIREFLOW_MENTION_COMMAND_ROLES."""
ASSESSMENT_ACTIONS: frozenset[MentionAction] = frozenset({"send", "extend"})
"""Commands about the application's assessments (AssessmentWorkflow), not a stage's scheduling request."""

NOTE_TEXT_MAX_CHARS = 10_000
"""A note's text is kept (and parsed) up to this many characters. A command with its notes takes a few
hundred; the cap bounds what one note puts into a workflow history and what the parsers read."""


class MentionWatchInput(BaseModel):
    """Set once on the schedule; every run gets the same input."""

    lookback: timedelta = Field(
        default=timedelta(hours=1), description="How far back the first run (no cursor yet) looks for notes."
    )
    overlap: timedelta = Field(
        default=timedelta(minutes=2),
        description="Each window starts this much before the last one ended: clock skew and late commits.",
    )
    max_failed_runs: int = Field(
        default=5, ge=1, description="Runs a note may fail in before the watcher gives up on it and says so."
    )
    queues: TaskQueues = Field(default_factory=TaskQueues)


class MentionNote(BaseModel):
    """A note that @mentions Hireflow, as the list activity found it (the body is the recruiter's text)."""

    note_id: int
    created_at: AwareDatetime
    candidate_id: int
    application_id: int | None = None
    user_id: int | None = None
    text: str = Field(
        default="",
        description=f"The note with the mention itself taken out, cut to {NOTE_TEXT_MAX_CHARS} characters.",
    )
    too_long: bool = Field(
        default=False,
        description="The note was longer than the cap: answer that it is too long instead of acting on it.",
    )

    @model_validator(mode="before")
    @classmethod
    def _cap_text(cls, data: Any) -> Any:
        """Cut an over-long text here, where every note passes, and say so in `too_long`."""
        if (
            isinstance(data, dict)
            and isinstance(data.get("text"), str)
            and len(data["text"]) > NOTE_TEXT_MAX_CHARS
        ):
            return {**data, "text": data["text"][:NOTE_TEXT_MAX_CHARS], "too_long": True}
        return data


class ListMentionsInput(BaseModel):
    since: AwareDatetime | None = None
    lookback: timedelta = timedelta(hours=1)


class ListMentionsResult(BaseModel):
    notes: list[MentionNote] = Field(default_factory=list)
    until: AwareDatetime
    scanned: int = 0


class ResolvedMention(BaseModel):
    """A parsed command with the application and stage it is about, or `problem` for the reply."""

    note: MentionNote
    action: MentionAction | None = None
    application_id: int | None = None
    job_interview_stage_id: int | None = None
    job_id: int | None = None
    job_name: str = ""
    stage_name: str = ""
    recruiter_notes: str = ""
    test_phrase: str = Field(default="", description="send/extend: the words that name the test, if any.")
    extend_hours: int = Field(default=0, ge=0, description="extend: by how long, in whole hours.")
    candidate_time_zone: str = Field(
        default="", description="extend: the candidate's IANA zone from Greenhouse; empty when unknown."
    )
    event_days: list[date] = Field(default_factory=list, description="event: its days, in `event_time_zone`.")
    event_time_zone: str = Field(default="", description="event: the office's (else the org's) zone.")
    event_name: str = Field(default="", description='event: what the note calls it ("hiring day").')
    problem: str = Field(
        default="", description="What was wrong and how to say it right; empty when actionable."
    )


class MentionOutcome(BaseModel):
    reply: str
    workflow_id: str | None = None


class MarkMentionInput(BaseModel):
    note_id: int
    action: str = ""
    workflow_id: str | None = None
    outcome: str = ""


class HandledMention(BaseModel):
    note_id: int
    action: str = ""
    workflow_id: str | None = None
    reply: str = ""


class MentionCursor(BaseModel):
    """Where the next run starts, and notes that failed in earlier runs (kept inside the window)."""

    watermark: AwareDatetime | None = None
    failed_runs: dict[int, int] = Field(default_factory=dict, description="note id -> runs it failed in")


class MentionWatchResult(BaseModel):
    cursor: MentionCursor = Field(default_factory=MentionCursor)
    handled: list[HandledMention] = Field(default_factory=list)
    failed: list[int] = Field(default_factory=list)
    gave_up: list[int] = Field(default_factory=list)
