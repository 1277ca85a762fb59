"""In-memory fakes behind the EventWorkflow's own activities, on top of the scheduling saga's fakes.

`event_activities(world)` is every activity an event and the SchedulingWorkflows it starts call: the
saga's fakes (tests/support/fake_scheduling.py) plus listing the stage's applications, reading each
one's scheduling context, a planner that fits the first `capacity` loops in answer order, and the
check for scheduling requests already running (the world's `running`; a request started after the
check is still refused when the event starts the loop, as on Temporal).
Used by tests/test_workflow_event.py and the event page's tests (tests/test_web_event_page.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowHandle

from activities.events import EventActivities
from activities.greenhouse import GreenhouseActivities
from activities.planning import PlanningActivities
from models.activity_io import GatherInput
from models.event_io import (
    EventApplicationsInput,
    EventApplicationsResult,
    EventStatus,
    PlanEventInput,
    RunningRequestsInput,
    RunningRequestsResult,
)
from models.events import EventPlan, EventStats, ScheduledCandidate, UnscheduledCandidate
from models.messages import SchedulingContext
from models.scheduling import Blocker, Placement
from tests.support.fake_scheduling import CONTEXT, World, fake_activities

APPLICATIONS = [501, 502, 503, 504, 505]
STAGE = CONTEXT.job_interview_stage_id


@dataclass
class EventWorld(World):
    capacity: int = 3  # loops the fake planner fits into the event
    plans: list[PlanEventInput] = field(default_factory=list)
    no_email: set[int] = field(default_factory=set)
    # Per application, else CONTEXT's: the candidate's first name and zone.
    first_names: dict[int, str] = field(default_factory=dict)
    time_zones: dict[int, str] = field(default_factory=dict)
    running: set[int] = field(default_factory=set)  # applications find_running_requests reports as running


def _context(world: EventWorld, application_id: int) -> SchedulingContext:
    email = None if application_id in world.no_email else f"cand{application_id}@example.com"
    return CONTEXT.model_copy(
        update={
            "application_id": application_id,
            "candidate_id": application_id + 1000,
            "candidate_email": email,
            "candidate_first_name": world.first_names.get(application_id, CONTEXT.candidate_first_name),
            "candidate_time_zone": world.time_zones.get(application_id, CONTEXT.candidate_time_zone),
        }
    )


def _plan(world: EventWorld, request: PlanEventInput) -> EventPlan:
    """The first `capacity` loops (minus those reserved) in answer order, an hour apart; the rest waitlisted.

    With `plan_order_against_the_clock`, a loop's last session comes first (its sessions in reverse order).
    """
    sessions = request.context.sessions
    reserved_loops = len(request.reserved) // len(sessions)
    room = max(0, world.capacity - reserved_loops)
    day = request.days[0].start
    scheduled, unscheduled = [], []
    for n, candidate in enumerate(request.candidates):
        if n >= room:
            unscheduled.append(
                UnscheduledCandidate(
                    candidate=str(candidate.application_id),
                    blockers=[Blocker(kind="pool_exhausted", detail="every interviewer's day is full")],
                )
            )
            continue
        slot = day + timedelta(hours=2 * (n + reserved_loops))
        hours = [
            len(sessions) - 1 - i if world.plan_order_against_the_clock else i for i in range(len(sessions))
        ]
        scheduled.append(
            ScheduledCandidate(
                candidate=str(candidate.application_id),
                placements=[
                    Placement(
                        session=s.session_id,
                        start=slot + timedelta(hours=h),
                        end=slot + timedelta(hours=h, minutes=s.duration_minutes),
                        interviewers=s.pool[:1],
                    )
                    for h, s in zip(hours, sessions, strict=True)
                ],
            )
        )
    return EventPlan(
        status="optimal",
        scheduled=scheduled,
        unscheduled=unscheduled,
        stats=EventStats(wall_ms=5, bound_candidates=len(scheduled)),
    )


def event_activities(world: EventWorld) -> list[Callable[..., Any]]:
    base = [a for a in fake_activities(world) if getattr(a, "__name__", "") != "gather"]

    @activity.defn(name=GreenhouseActivities.list_event_applications.__name__)
    async def list_applications(request: EventApplicationsInput) -> EventApplicationsResult:
        world.trip("list_event_applications")
        return EventApplicationsResult(application_ids=APPLICATIONS[: request.limit])

    @activity.defn(name=GreenhouseActivities.gather_scheduling_context.__name__)
    async def gather(request: GatherInput) -> SchedulingContext:
        world.trip("gather")
        return _context(world, request.application_id)

    @activity.defn(name=PlanningActivities.plan_event.__name__)
    async def plan_event(request: PlanEventInput) -> EventPlan:
        world.trip("plan_event")
        world.plans.append(request)
        return _plan(world, request)

    @activity.defn(name=EventActivities.find_running_requests.__name__)
    async def find_running(request: RunningRequestsInput) -> RunningRequestsResult:
        world.trip("find_running_requests")
        return RunningRequestsResult(
            application_ids=[a for a in request.application_ids if a in world.running]
        )

    return [*base, list_applications, gather, plan_event, find_running]


async def until_event(
    handle: WorkflowHandle[Any, EventStatus], done: Callable[[EventStatus], bool], timeout: float = 30
) -> EventStatus:
    """The event's status once `done` holds; on time-out, the state and last steps it was stuck at."""
    from workflows.event import EventWorkflow

    async def poll() -> EventStatus:
        while True:
            status = await handle.query(EventWorkflow.event_status)
            if done(status):
                return status
            await asyncio.sleep(0.05)

    try:
        return await asyncio.wait_for(poll(), timeout)
    except TimeoutError as error:
        status = await handle.query(EventWorkflow.event_status)
        raise AssertionError(f"still {status.state}: {[h.detail for h in status.history[-6:]]}") from error


async def eventually(check: Callable[[], bool], timeout: float = 20) -> None:
    """Wait until `check()` holds (the fakes' records fill as activities run)."""

    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)
