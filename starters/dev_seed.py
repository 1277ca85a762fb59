"""Organisation configuration for the embedded stack, derived from the Greenhouse sandbox's seed.

Greenhouse knows people but not their time zones, hours or rooms; in the dev stack those facts come
from the same seed that made the sandbox's users, so calendars, planner and Greenhouse agree.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.org_config import InterviewerProfile, OrgSettings, RoomProfile
from sandbox.calendars import SeedRoom, slug
from sandbox.greenhouse.seed import SeedSummary


def org_config_rows(
    summary: SeedSummary, rooms: Iterable[SeedRoom], *, company_name: str = "Acme"
) -> list[OrgSettings | InterviewerProfile | RoomProfile]:
    """The org settings row, a profile per seeded interviewer and a row per room."""
    offices = {office.id: office for office in summary.offices}
    office_of_slug = {slug(office.name): office.id for office in summary.offices}
    rows: list[OrgSettings | InterviewerProfile | RoomProfile] = [
        OrgSettings(
            company_name=company_name,
            default_time_zone=offices[summary.interviewers[0].office_id].time_zone
            if summary.interviewers
            else "UTC",
        )
    ]
    rows += [
        InterviewerProfile(
            user_id=person.id,
            email=person.email.lower(),
            name=person.name,
            time_zone=person.time_zone,
            office_id=person.office_id,
        )
        for person in summary.interviewers
    ]
    for room in rooms:
        office_slug = room.id.removeprefix("room-").rsplit("-", 1)[0]
        rows.append(
            RoomProfile(
                id=room.id,
                name=room.name,
                capacity=room.capacity,
                office_id=office_of_slug.get(office_slug),
                time_zone=room.time_zone,
            )
        )
    return rows
