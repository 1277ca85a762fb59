"""The recruiting-event contract: `hireflow.event/v1` in, `hireflow.event-plan/v1` out.

An event places many candidates on one loop template with shared interviewers and rooms. Sessions,
interviewers and rooms are the shapes of `hireflow.problem/v1` (see `models/scheduling.py`); the shapes
here follow `shared/reference/planner-format.md` ("Recruiting events") and grow only by optional fields.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.scheduling import (
    Blocker,
    Interval,
    Interviewer,
    Placement,
    Room,
    Session,
    _check_zone,
    _unique,
)

EVENT_FORMAT: Final = "hireflow.event/v1"
EVENT_PLAN_FORMAT: Final = "hireflow.event-plan/v1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventLoop(_Model):
    """The loop every candidate gets: always on one candidate-local date."""

    min_gap_minutes: int = Field(default=0, ge=0)
    max_gap_minutes: int = Field(default=30, ge=0)
    ordered: bool = False

    @model_validator(mode="after")
    def _gaps(self) -> EventLoop:
        if self.max_gap_minutes < self.min_gap_minutes:
            raise ValueError("max_gap_minutes must be >= min_gap_minutes")
        return self


class EventCandidate(_Model):
    id: str = Field(min_length=1)
    time_zone: str
    availability: list[Interval] | None = Field(
        default=None, description="windows inside the event days; absent: any time of the event"
    )
    priority: int = Field(default=1, ge=0, le=1000, description="higher is scheduled first when not all fit")

    _zone = field_validator("time_zone")(_check_zone)


class Event(_Model):
    """`hireflow.event/v1`: one loop template, many candidates, shared interviewers and rooms.

    Candidates are listed in arrival order (the first-come-first-served baseline follows it).
    """

    format: Literal["hireflow.event/v1"] = EVENT_FORMAT
    days: list[Interval] = Field(min_length=1)
    granularity_minutes: int = Field(default=15, ge=1, le=24 * 60)
    loop: EventLoop = Field(default_factory=EventLoop)
    sessions: list[Session] = Field(min_length=1)
    candidates: list[EventCandidate] = Field(min_length=1)
    interviewers: list[Interviewer] = Field(default_factory=list)
    rooms: list[Room] = Field(default_factory=list)
    objective: Literal["most_candidates"] = "most_candidates"

    @field_validator("days")
    @classmethod
    def _days_apart(cls, days: list[Interval]) -> list[Interval]:
        for a, b in pairwise(sorted(days, key=lambda d: d.start)):
            if b.start < a.end:
                raise ValueError(f"days overlap ({a.start.isoformat()} and {b.start.isoformat()})")
        return days

    @model_validator(mode="after")
    def _references(self) -> Event:
        _unique([s.id for s in self.sessions], "sessions", "session id")
        _unique([c.id for c in self.candidates], "candidates", "candidate id")
        _unique([p.id for p in self.interviewers], "interviewers", "interviewer id")
        _unique([r.id for r in self.rooms], "rooms", "room id")
        known = {p.id for p in self.interviewers}
        for i, s in enumerate(self.sessions):
            if s.pinned is not None:
                raise ValueError(
                    f"sessions.{i}.pinned: events do not pin sessions (every candidate shares them)"
                )
            people = [
                ("interviewers.required", s.interviewers.required),
                ("interviewers.pool", s.interviewers.pool),
            ]
            if s.trainee:
                people.append(("trainee.pool", s.trainee.pool))
            for where, ids in people:
                missing = sorted(set(ids) - known)
                if missing:
                    raise ValueError(
                        f"sessions.{i}.{where}: interviewer(s) {missing} not listed in interviewers"
                    )
        return self


# ----------------------------------------------------------------------------------------- plan


# An event's blockers and relaxations are the single-loop planner's (`models.scheduling`): the same kinds,
# changes and verification; a relaxation's `patch` holds dotted paths of the *event* here.
EventBlocker = Blocker


class ScheduledCandidate(_Model):
    candidate: str
    placements: list[Placement]


class UnscheduledCandidate(_Model):
    candidate: str
    blockers: list[EventBlocker]


class EventStats(_Model):
    wall_ms: int = 0
    bound_candidates: int = Field(
        ge=0, description="proven upper bound on the candidates an optimal plan schedules"
    )


class EventPlan(_Model):
    """`hireflow.event-plan/v1`."""

    format: Literal["hireflow.event-plan/v1"] = EVENT_PLAN_FORMAT
    status: Literal["optimal", "feasible"]
    scheduled: list[ScheduledCandidate] = Field(default_factory=list)
    unscheduled: list[UnscheduledCandidate] = Field(default_factory=list)
    load: dict[str, int] = Field(default_factory=dict, description="event sessions per interviewer id")
    stats: EventStats


def event_json_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of `hireflow.event/v1`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": EVENT_FORMAT,
        **Event.model_json_schema(),
    }


def event_plan_json_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of `hireflow.event-plan/v1`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": EVENT_PLAN_FORMAT,
        **EventPlan.model_json_schema(mode="serialization"),
    }
