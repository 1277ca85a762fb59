"""Organisation configuration in the SQL store: what Greenhouse does not know about people and rooms.

Harvest v3 has no time zones, working hours, interview limits or rooms, so they live here, with
defaults a demanding recruiter would pick. `OrgSettings` is one row; profiles are keyed by Greenhouse
user id. The dev stack fills them from the sandbox seed; production fills them through the CLI or SQL.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel

DEFAULT_WORKING_HOURS: dict[str, list[list[str]]] = {
    day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
}


class OrgSettings(SQLModel, table=True):
    """Organisation-wide defaults (a single row, id 1)."""

    __tablename__ = "org_settings"

    id: int = Field(default=1, primary_key=True)
    company_name: str = "Acme"
    default_time_zone: str = "UTC"
    candidate_hours_start: str = "08:00"
    candidate_hours_end: str = "19:00"
    min_notice_hours: int = 24
    default_buffer_minutes: int = 10
    default_max_per_day: int | None = 3
    default_max_per_week: int | None = 8
    max_gap_minutes: int = 30
    onsite_office_id: int | None = Field(default=None, sa_type=BigInteger)


class InterviewerProfile(SQLModel, table=True):
    """Scheduling facts of one Greenhouse user."""

    __tablename__ = "interviewer_profiles"

    user_id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    email: str = Field(index=True)
    name: str = ""
    time_zone: str = "UTC"
    office_id: int | None = Field(default=None, sa_type=BigInteger)
    working_hours: dict[str, Any] = Field(
        default_factory=lambda: dict(DEFAULT_WORKING_HOURS), sa_column=Column(JSON)
    )
    buffer_minutes: int | None = None
    max_per_day: int | None = None
    max_per_week: int | None = None
    weight: float = 1.0
    trainee_for: list[int] = Field(
        default_factory=list, sa_column=Column(JSON), description="Job interview ids this person shadows."
    )


class RoomProfile(SQLModel, table=True):
    """A bookable room; `id` is its calendar id."""

    __tablename__ = "room_profiles"

    id: str = Field(primary_key=True)
    name: str
    capacity: int
    office_id: int | None = Field(default=None, index=True, sa_type=BigInteger)
    time_zone: str = "UTC"


class OfficeProfile(SQLModel, table=True):
    """An office where candidates interview in person: its zone and opening hours, keyed by Greenhouse
    office id (Harvest's offices have neither). An in-person loop is planned in these, not in the
    candidate's home zone: the candidate is in the office that day."""

    __tablename__ = "office_profiles"

    office_id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    name: str = ""
    time_zone: str = "UTC"
    hours_start: str = "09:00"
    hours_end: str = "18:00"


class InterviewPool(SQLModel, table=True):
    """Alternates for one Greenhouse job interview, tried when the default panel cannot make it."""

    __tablename__ = "interview_pools"

    job_interview_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    alternates: list[int] = Field(default_factory=list, sa_column=Column(JSON))
    count: int = 1


class PersonConfig(BaseModel):
    """An interviewer's profile as activities use it (a plain model, safe in workflow payloads)."""

    user_id: int
    email: str
    name: str = ""
    time_zone: str = "UTC"
    office_id: int | None = None
    working_hours: dict[str, list[list[str]]] = PydanticField(
        default_factory=lambda: dict(DEFAULT_WORKING_HOURS)
    )
    buffer_minutes: int = 0
    max_per_day: int | None = None
    max_per_week: int | None = None
    weight: float = 1.0
