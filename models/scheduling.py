"""The planner's public contract: `hireflow.problem/v1` in, `hireflow.plan/v1` out.

The shapes and defaults follow `shared/reference/planner-format.md` exactly; the format only grows by
optional fields. Validation errors name the offending field (pydantic's `loc`), so a recruiter or an
engineer re-running an exported problem sees what to fix.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Final, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

PROBLEM_FORMAT: Final = "hireflow.problem/v1"
PLAN_FORMAT: Final = "hireflow.plan/v1"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def parse_hhmm(value: str) -> int:
    """Minutes after local midnight of an `"HH:MM"` string (`"24:00"` is the end of the day)."""
    if not _HHMM.match(value):
        raise ValueError(f"{value!r} is not a wall-clock time 'HH:MM' (00:00..24:00)")
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone") from exc
    return value


TimeZoneName = Annotated[str, Field(description="IANA time zone, e.g. 'America/New_York'")]
HHMM = Annotated[str, Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", description="local time HH:MM")]


class Interval(_Model):
    """A half-open instant range `[start, end)`."""

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class BusyInterval(Interval):
    soft: bool = False


class LocalHours(_Model):
    """Wall-clock hours of one local day, in the owner's zone."""

    start: HHMM
    end: HHMM

    @model_validator(mode="after")
    def _ordered(self) -> LocalHours:
        if parse_hhmm(self.end) <= parse_hhmm(self.start):
            raise ValueError("end must be after start (ranges do not wrap past midnight)")
        return self


class Candidate(_Model):
    time_zone: TimeZoneName
    hours: LocalHours | None = None
    availability: list[Interval] | None = None
    busy: list[Interval] = Field(default_factory=list)

    _zone = field_validator("time_zone")(_check_zone)


class Loop(_Model):
    same_day: bool = True
    max_days: int = Field(default=1, ge=1)
    min_gap_minutes: int = Field(default=0, ge=0)
    max_gap_minutes: int = Field(default=30, ge=0)
    ordered: bool = False

    @model_validator(mode="after")
    def _gaps(self) -> Loop:
        if self.max_gap_minutes < self.min_gap_minutes:
            raise ValueError("max_gap_minutes must be >= min_gap_minutes")
        return self


class SessionInterviewers(_Model):
    required: list[int] = Field(default_factory=list)
    pool: list[int] = Field(default_factory=list)
    count: int | None = Field(default=None, ge=0, description="defaults to len(required)")

    @model_validator(mode="after")
    def _count(self) -> SessionInterviewers:
        if len(set(self.required)) != len(self.required):
            raise ValueError("required lists an interviewer twice")
        if self.count is None:
            self.count = len(self.required)
        if self.count < len(self.required):
            raise ValueError(f"count ({self.count}) is smaller than len(required) ({len(self.required)})")
        return self

    @property
    def total(self) -> int:
        """Interviewers in the session, trainee excluded."""
        return self.count if self.count is not None else len(self.required)


class Trainee(_Model):
    pool: list[int]


class RoomRequirement(_Model):
    required: bool = False
    min_capacity: int | None = Field(default=None, ge=1)


class Pinned(_Model):
    start: AwareDatetime | None = None
    interviewers: list[int] | None = None
    room: str | None = None


class Session(_Model):
    id: str = Field(min_length=1)
    name: str | None = None
    duration_minutes: int = Field(gt=0, le=24 * 60)
    interviewers: SessionInterviewers = Field(default_factory=SessionInterviewers)
    trainee: Trainee | None = None
    room: RoomRequirement = Field(default_factory=RoomRequirement)
    pinned: Pinned | None = None

    @property
    def label(self) -> str:
        return f"'{self.name}' ({self.id})" if self.name else f"'{self.id}'"

    def room_capacity_needed(self) -> int:
        """`min_capacity`, defaulting to interviewers + trainee seat (if the session has one) + candidate."""
        if self.room.min_capacity is not None:
            return self.room.min_capacity
        return self.interviewers.total + (1 if self.trainee else 0) + 1


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _default_working_hours() -> dict[Weekday, list[tuple[str, str]]]:
    return {
        "mon": [("09:00", "17:00")],
        "tue": [("09:00", "17:00")],
        "wed": [("09:00", "17:00")],
        "thu": [("09:00", "17:00")],
        "fri": [("09:00", "17:00")],
    }


class Interviewer(_Model):
    id: int
    time_zone: TimeZoneName
    working_hours: dict[Weekday, list[tuple[HHMM, HHMM]]] = Field(default_factory=_default_working_hours)
    busy: list[BusyInterval] = Field(default_factory=list)
    buffer_minutes: int = Field(default=0, ge=0)
    max_per_day: int | None = Field(default=None, ge=0)
    max_per_week: int | None = Field(default=None, ge=0)
    existing_interviews: list[Interval] = Field(default_factory=list)
    weight: float = Field(default=1.0, gt=0)

    _zone = field_validator("time_zone")(_check_zone)

    @field_validator("working_hours")
    @classmethod
    def _ranges(cls, value: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
        for day, ranges in value.items():
            for start, end in ranges:
                if parse_hhmm(end) <= parse_hhmm(start):
                    raise ValueError(f"{day}: range {start}-{end} must end after it starts")
        return value


class Room(_Model):
    id: str = Field(min_length=1)
    capacity: int = Field(ge=0)
    busy: list[Interval] = Field(default_factory=list)


class Problem(_Model):
    """`hireflow.problem/v1`: one loop to place for one candidate."""

    format: Literal["hireflow.problem/v1"] = PROBLEM_FORMAT
    horizon: Interval
    granularity_minutes: int = Field(default=15, ge=1, le=24 * 60)
    candidate: Candidate
    loop: Loop = Field(default_factory=Loop)
    sessions: list[Session] = Field(min_length=1)
    interviewers: list[Interviewer] = Field(default_factory=list)
    rooms: list[Room] = Field(default_factory=list)
    exclude_interviewers: list[int] = Field(default_factory=list)
    options: int = Field(default=10, ge=1, le=100)
    objective: Literal["earliest", "balanced"] = "earliest"

    @model_validator(mode="after")
    def _references(self) -> Problem:
        _unique([s.id for s in self.sessions], "sessions", "session id")
        _unique([p.id for p in self.interviewers], "interviewers", "interviewer id")
        _unique([r.id for r in self.rooms], "rooms", "room id")
        known = {p.id for p in self.interviewers}
        rooms = {r.id for r in self.rooms}
        for i, s in enumerate(self.sessions):
            people = [
                ("interviewers.required", s.interviewers.required),
                ("interviewers.pool", s.interviewers.pool),
            ]
            if s.trainee:
                people.append(("trainee.pool", s.trainee.pool))
            if s.pinned and s.pinned.interviewers:
                people.append(("pinned.interviewers", s.pinned.interviewers))
            for where, ids in people:
                missing = sorted(set(ids) - known)
                if missing:
                    raise ValueError(
                        f"sessions.{i}.{where}: interviewer(s) {missing} not listed in interviewers"
                    )
            if s.pinned and s.pinned.room is not None and s.pinned.room not in rooms:
                raise ValueError(f"sessions.{i}.pinned.room: room {s.pinned.room!r} not listed in rooms")
        return self

    def interviewer(self, person: int) -> Interviewer:
        return next(p for p in self.interviewers if p.id == person)

    @property
    def horizon_minutes(self) -> int:
        return int((self.horizon.end - self.horizon.start).total_seconds() // 60)

    def at(self, minutes: int) -> datetime:
        """The instant `minutes` after the horizon start, in UTC."""
        return (self.horizon.start + timedelta(minutes=minutes)).astimezone(ZoneInfo("UTC"))


def _unique(values: list[Any], where: str, what: str) -> None:
    seen: set[Any] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{where}: duplicate {what} {v!r}")
        seen.add(v)


# ----------------------------------------------------------------------------------------- plan


class Placement(_Model):
    session: str
    start: AwareDatetime
    end: AwareDatetime
    interviewers: list[int]
    trainee: int | None = None
    room: str | None = None


class Score(_Model):
    total: int
    soft_conflicts: int = 0
    idle_minutes: int = 0
    max_interviewer_load: int = 0


class Option(_Model):
    rank: int = Field(ge=1)
    start: AwareDatetime
    end: AwareDatetime
    placements: list[Placement]
    score: Score


BlockerKind = Literal[
    "candidate_window",
    "pool_exhausted",
    "working_hours",
    "load_limit",
    "room",
    "same_day",
    "horizon",
    "interviewer_busy",
    "loop_gaps",
    "pinned",
    "fewer_options",
    "not_explained",
]


RelaxationChange = Literal[
    "extend_candidate_window",
    "add_interviewer",
    "extend_horizon",
    "raise_limit",
    "allow_multi_day",
    "widen_gap",
    "drop_room",
    "drop_trainee",
]


class Relaxation(_Model):
    """One change that makes at least one option exist, verified by planning again with `patch` applied.

    `patch` maps dotted paths of the problem (list items by index, e.g. `sessions.2.interviewers.pool`)
    to their new values; `options_found` is how many options that re-plan found (it asks for at most
    the problem's `options`, capped to keep the answer fast)."""

    change: str = Field(min_length=1, description="one of " + ", ".join(get_args(RelaxationChange)))
    detail: str
    patch: dict[str, Any]
    options_found: int = Field(ge=1)


class Blocker(_Model):
    """What prevents scheduling. `kind` is open-ended (the format says kinds *include* these); the planner
    emits the values of `BlockerKind`."""

    kind: str = Field(min_length=1, description="one of " + ", ".join(get_args(BlockerKind)))
    session: str | None = None
    detail: str
    relaxations: list[Relaxation] = Field(default_factory=list)


class Stats(_Model):
    wall_ms: int = 0
    variables: int = 0
    solutions_seen: int = 0
    explain_ms: int = Field(default=0, description="of wall_ms, the time spent on blockers and relaxations")


class Plan(_Model):
    """`hireflow.plan/v1`: ranked options (best first) or the blockers that explain their absence."""

    format: Literal["hireflow.plan/v1"] = PLAN_FORMAT
    status: Literal["optimal", "feasible", "infeasible", "unknown"]
    options: list[Option] = Field(default_factory=list)
    blockers: list[Blocker] = Field(default_factory=list)
    stats: Stats = Field(default_factory=Stats)


def problem_json_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of `hireflow.problem/v1`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": PROBLEM_FORMAT,
        **Problem.model_json_schema(),
    }


def plan_json_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of `hireflow.plan/v1`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": PLAN_FORMAT,
        **Plan.model_json_schema(mode="serialization"),
    }
