"""Organisation configuration for the embedded stack, derived from the Greenhouse sandbox's seed.

Greenhouse knows people but not their time zones, hours or rooms; in the dev stack those facts come
from the same seed that made the sandbox's users, so calendars, planner and Greenhouse agree.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.assessment_io import DecisionRule
from models.assessment_store import AssessmentMappingSpec
from models.org_config import InterviewerProfile, OfficeProfile, OrgSettings, RoomProfile
from sandbox.calendars import SeedRoom, slug
from sandbox.greenhouse.seed import SeedSummary


def org_config_rows(
    summary: SeedSummary, rooms: Iterable[SeedRoom], *, company_name: str = "Acme"
) -> list[OrgSettings | InterviewerProfile | RoomProfile | OfficeProfile]:
    """The org settings row, a profile per seeded interviewer, office (its zone, default opening hours)
    and room."""
    offices = {office.id: office for office in summary.offices}
    office_of_slug = {slug(office.name): office.id for office in summary.offices}
    rows: list[OrgSettings | InterviewerProfile | RoomProfile | OfficeProfile] = [
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
    rows += [
        OfficeProfile(office_id=office.id, name=office.name, time_zone=office.time_zone)
        for office in summary.offices
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


DEV_TEST_ID = "python-basics"
DEV_ADVANCE_AT = 70.0


def dev_assessment_mappings(summary: SeedSummary) -> list[AssessmentMappingSpec]:
    """Each engineering job's "Take Home Test" stage sends the embedded Python test; 70 or more advances."""
    return [
        AssessmentMappingSpec(
            job_id=job_id,
            job_interview_stage_id=stage_id,
            test_key=DEV_TEST_ID,
            provider="embedded",
            test_id=DEV_TEST_ID,
            test_name="Python basics",
            rule=DecisionRule(threshold=DEV_ADVANCE_AT),
        )
        for job_id, stage_id in sorted(summary.take_home_stage_ids.items())
    ]


DEV_AUTO_SCHEDULE_STAGE = "Onsite"


def dev_auto_schedule_stages(summary: SeedSummary) -> list[tuple[int, str]]:
    """(job, stage name) of each engineering job's Onsite: an application the assessment advances
    into it (or anyone moves there) is scheduled without a mention. By name, as the seed summary
    knows jobs, not their Onsite stage ids."""
    return [(job_id, DEV_AUTO_SCHEDULE_STAGE) for job_id in sorted(summary.take_home_stage_ids)]
