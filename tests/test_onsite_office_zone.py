"""In person, the candidate's day is the office's: its zone and opening hours; on video, their own.

A candidate in Tokyo interviewing at the New York office: 08:00-19:00 Tokyo never meets New York's
09:00-17:00 panel, so planned in Tokyo the loop escalates; planned in the office's day it fits. Times
are still shown to the candidate in Tokyo time. The pure builder with the real planner, then the real
planning activity against Radicale and the SQL store.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.planning import PlanningActivities
from integrations.calendar.base import Room
from integrations.calendar.caldav import CalDAVCalendar
from integrations.org_store import OrgConfigStore
from models.activity_io import CheckOptionInput, FindOptionsInput
from models.messages import (
    OfferedOption,
    Person,
    SchedulingContext,
    SchedulingPolicy,
    SessionSpec,
    Weekday,
)
from models.org_config import InterviewerProfile, OfficeProfile, OrgSettings, PersonConfig, RoomProfile
from models.scheduling import Option, Problem
from models.store import create_engine_for, init_db
from planner.problem_builder import Busy, RequestInputs, build_problem
from planner.search import plan
from web.views import group_options

NEW_YORK, TOKYO = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
OFFICE = 7
START = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)  # a Monday; New York on EST (UTC-5), Tokyo UTC+9
PANEL = (21, 22, 23, 24)


def context(prefix: str = "p", *, office: int | None = OFFICE, zone: str = "Asia/Tokyo") -> SchedulingContext:
    return SchedulingContext(
        application_id=1,
        candidate_id=2,
        job_id=3,
        job_name="Backend Engineer",
        job_interview_stage_id=4,
        stage_name="Onsite",
        candidate_first_name="Ken",
        candidate_email="ken@example.jp",
        candidate_time_zone=zone,
        sessions=[
            SessionSpec(
                session_id="s1", job_interview_id=11, name="System Design", duration_minutes=60, pool=[21, 22]
            ),
            SessionSpec(
                session_id="s2", job_interview_id=12, name="Coding", duration_minutes=60, pool=[23, 24]
            ),
        ],
        people=[
            Person(
                user_id=u,
                name=f"Interviewer {u}",
                email=f"i{u}-{prefix}@acme.test",
                time_zone="America/New_York",
            )
            for u in PANEL
        ],
        rooms_office_id=office,
    )


ROOMS = [
    RoomProfile(
        id=f"room-ny-{n}", name=f"NY room {n}", capacity=6, office_id=OFFICE, time_zone="America/New_York"
    )
    for n in (1, 2)
]
NY_OFFICE = OfficeProfile(
    office_id=OFFICE, name="New York", time_zone="America/New_York", hours_start="09:00", hours_end="18:00"
)


def inputs(
    ctx: SchedulingContext, *, office: OfficeProfile | None = NY_OFFICE, rooms: list[RoomProfile] = ROOMS
) -> RequestInputs:
    people = {
        p.user_id: PersonConfig(user_id=p.user_id, email=p.email or "", time_zone="America/New_York")
        for p in ctx.people
    }
    busy = {(p.email or "").lower(): Busy() for p in ctx.people} | {r.id: Busy() for r in rooms}
    return RequestInputs(org=OrgSettings(), people=people, busy=busy, rooms=rooms, office=office)


def problem(mode: Literal["onsite", "video"], preferred_days: list[Weekday] | None = None) -> Problem:
    ctx = context()
    policy = SchedulingPolicy(mode=mode, horizon_days=7, preferred_days=preferred_days or [])
    return build_problem(ctx, policy, inputs(ctx), window_start=START)


def local_day_and_hours(
    option: Option | OfferedOption, zone: ZoneInfo
) -> tuple[set[date], datetime, datetime]:
    """The local dates the loop touches, its first start and its last end, in `zone`."""
    placements = option.placements
    starts = [p.start.astimezone(zone) for p in placements]
    ends = [p.end.astimezone(zone) for p in placements]
    return {s.date() for s in starts}, min(starts), max(ends)


def test_an_onsite_loop_for_a_tokyo_candidate_is_planned_in_the_new_york_offices_hours() -> None:
    onsite = problem("onsite")
    assert onsite.candidate.time_zone == "America/New_York"
    assert onsite.candidate.hours is not None
    assert (onsite.candidate.hours.start, onsite.candidate.hours.end) == ("09:00", "18:00")
    result = plan(onsite, time_limit=10, workers=1)
    assert result.status in ("optimal", "feasible") and result.options
    for option in result.options:
        days, first, last = local_day_and_hours(option, NEW_YORK)
        assert len(days) == 1, "one day in the office"
        assert first.hour >= 9 and (last.hour, last.minute) <= (18, 0), (first, last)
        assert all(p.room in {"room-ny-1", "room-ny-2"} for p in option.placements)


def test_a_video_loop_keeps_the_candidates_zone_and_hours() -> None:
    video = problem("video")
    assert video.candidate.time_zone == "Asia/Tokyo"
    assert video.candidate.hours is not None
    assert (video.candidate.hours.start, video.candidate.hours.end) == ("08:00", "19:00")  # the org's
    assert not video.rooms
    result = plan(video, time_limit=10, workers=1)
    assert result.status == "infeasible" and not result.options  # Tokyo days never meet New York's
    assert result.blockers


def test_preferred_days_are_the_offices_days_for_an_onsite_loop() -> None:
    """Wednesday in New York, not Wednesday in Tokyo (which is Tuesday evening to Wednesday in NY)."""
    result = plan(problem("onsite", preferred_days=["wed"]), time_limit=10, workers=1)
    assert result.options
    for option in result.options:
        days, _, _ = local_day_and_hours(option, NEW_YORK)
        assert {d.weekday() for d in days} == {2}


def test_an_onsite_loop_whose_office_is_unknown_keeps_the_candidates_day() -> None:
    ctx = context(office=None)
    policy = SchedulingPolicy(mode="onsite", horizon_days=7)
    built = build_problem(ctx, policy, inputs(ctx, office=None), window_start=START)
    assert built.candidate.time_zone == "Asia/Tokyo"


def test_times_of_an_onsite_option_are_shown_to_the_candidate_in_their_zone() -> None:
    result = plan(problem("onsite"), time_limit=10, workers=1)
    option = result.options[0]
    offered = OfferedOption(
        option_id="v1-1", rank=1, start=option.start, end=option.end, placements=option.placements
    )
    ctx = context()
    [day] = group_options([offered], ctx.candidate_time_zone, ctx)
    [card] = day.options
    tokyo_start = min(p.start for p in option.placements).astimezone(TOKYO)
    assert card.sessions[0].when.startswith(tokyo_start.strftime("%H:%M"))
    assert day.day.startswith(tokyo_start.strftime("%A"))
    assert tokyo_start.hour >= 23 or tokyo_start.hour < 9  # New York office hours are Tokyo's night


# --------------------------------------------------------------------------------- the real activity


@pytest.fixture
def org_engine(tmp_path: Path) -> Engine:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'org.db'}")
    init_db(engine)
    return engine


def test_the_store_falls_back_to_the_offices_rooms_for_its_zone(org_engine: Engine) -> None:
    store = OrgConfigStore(org_engine)
    assert store.office(OFFICE) is None
    store.save(ROOMS)
    fallback = store.office(OFFICE)
    assert fallback is not None and fallback.time_zone == "America/New_York"
    assert (fallback.hours_start, fallback.hours_end) == ("09:00", "18:00")
    store.save(
        [
            OfficeProfile(
                office_id=OFFICE,
                name="New York",
                time_zone="America/New_York",
                hours_start="10:00",
                hours_end="16:00",
            )
        ]
    )
    configured = store.office(OFFICE)
    assert configured is not None and (configured.hours_start, configured.hours_end) == ("10:00", "16:00")
    assert store.office(999) is None


async def _activities(
    caldav: CalDAVCalendar, engine: Engine, ctx: SchedulingContext, office: OfficeProfile | None
) -> PlanningActivities:
    store = OrgConfigStore(engine)
    store.save([OrgSettings(min_notice_hours=24), *ROOMS])
    store.save(
        [
            InterviewerProfile(
                user_id=p.user_id, email=p.email or "", name=p.name, time_zone="America/New_York"
            )
            for p in ctx.people
        ]
    )
    if office is not None:
        store.save([office])
    for person in ctx.people:
        await caldav.ensure_calendar(person.email or "")
    for room in ROOMS:
        await caldav.ensure_room(
            Room(id=room.id, name=room.name, capacity=room.capacity, time_zone=room.time_zone)
        )
    return PlanningActivities(caldav, store, "scheduling@acme.test", time_limit=10)


@pytest.mark.integration
async def test_the_planning_activity_plans_an_onsite_request_in_the_office_and_checks_it_the_same_way(
    caldav: CalDAVCalendar, cal_prefix: str, org_engine: Engine
) -> None:
    ctx = context(cal_prefix)
    activities = await _activities(caldav, org_engine, ctx, NY_OFFICE)
    env = ActivityEnvironment()
    onsite = SchedulingPolicy(mode="onsite", horizon_days=7)
    found = await env.run(
        activities.find_options,
        FindOptionsInput(workflow_id="w", context=ctx, policy=onsite, window_start=START),
    )
    assert found.options, found.blockers
    for option in found.options:
        days, first, last = local_day_and_hours(option, NEW_YORK)
        assert len(days) == 1 and first.hour >= 9 and (last.hour, last.minute) <= (18, 0)
    check = CheckOptionInput(
        workflow_id="w", context=ctx, policy=onsite, window_start=START, option=found.options[0]
    )
    assert (await env.run(activities.check_option, check)).valid

    video = SchedulingPolicy(mode="video", horizon_days=7)
    by_video = await env.run(
        activities.find_options,
        FindOptionsInput(workflow_id="w", context=ctx, policy=video, window_start=START),
    )
    assert by_video.status == "infeasible" and not by_video.options
    video_check = check.model_copy(update={"policy": video})
    assert not (await env.run(activities.check_option, video_check)).valid  # outside Tokyo's hours


@pytest.mark.integration
@pytest.mark.parametrize(
    "office",
    [
        OfficeProfile(office_id=OFFICE, time_zone="America/New_York", hours_start="18:00", hours_end="09:00"),
        OfficeProfile(office_id=OFFICE, time_zone="America/New_York", hours_start="9am", hours_end="18:00"),
        OfficeProfile(office_id=OFFICE, time_zone="Mars/Olympus_Mons"),
    ],
    ids=["hours-backwards", "hours-not-hh-mm", "unknown-zone"],
)
async def test_a_broken_office_profile_is_a_non_retryable_planner_input_error(
    caldav: CalDAVCalendar, cal_prefix: str, org_engine: Engine, office: OfficeProfile
) -> None:
    ctx = context(cal_prefix)
    activities = await _activities(caldav, org_engine, ctx, office)
    request = FindOptionsInput(
        workflow_id="w", context=ctx, policy=SchedulingPolicy(mode="onsite"), window_start=START
    )
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(activities.find_options, request)
    assert raised.value.type == "PlannerInputError" and raised.value.non_retryable
    # a video request of the same candidate never reads the office: unaffected
    video = request.model_copy(update={"policy": SchedulingPolicy(mode="video", horizon_days=7)})
    assert (await ActivityEnvironment().run(activities.find_options, video)).status == "infeasible"
