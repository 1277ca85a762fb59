"""Planning activities: fresh free/busy in, ranked options (or a verdict on one option) out.

They run on the planner task queue; CP-SAT runs in a worker thread so the event loop keeps
heartbeating and serving other activities while it searches.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from temporalio import activity

from activities.errors import from_calendar, planner_input_error
from integrations.calendar.base import CalendarError, CalendarProvider
from integrations.logs import get_logger
from integrations.org_store import OrgConfigStore
from models.activity_io import (
    CheckOptionInput,
    CheckOptionResult,
    FindOptionsInput,
    FindOptionsResult,
    PinSpec,
)
from models.event_io import PlanEventInput
from models.events import EventPlan
from models.messages import OfferedOption, SchedulingContext, SchedulingPolicy
from models.org_config import OfficeProfile, OrgSettings
from models.scheduling import Interval, Option, Problem, Score
from planner.event_inputs import event_from
from planner.event_plan import plan_event as plan_event_whole
from planner.problem_builder import (
    Busy,
    RequestInputs,
    build_problem,
    calendar_ids,
    candidate_day,
    horizon_for,
)
from planner.search import plan
from planner.validate import validate_option

log = get_logger(__name__)


class PlanningActivities:
    """Find options and re-check picks against the calendars as they are now."""

    def __init__(
        self, calendar: CalendarProvider, org: OrgConfigStore, organizer: str, *, time_limit: float = 5.0
    ) -> None:
        self.calendar = calendar
        self.org = org
        self.organizer = organizer
        self.time_limit = time_limit

    async def _inputs(
        self,
        context: SchedulingContext,
        policy: SchedulingPolicy,
        window_start: datetime,
        *,
        widen: bool,
        ignore_event_keys: Sequence[str],
    ) -> RequestInputs:
        org = await self.org.aorg()
        user_ids = {
            u for s in context.sessions for u in (*s.pool, *s.required, *s.trainee_pool, *s.alternates)
        }
        people = await self.org.apeople(user_ids)
        onsite = policy.mode == "onsite"
        rooms = await self.org.arooms(context.rooms_office_id) if onsite else []
        office = await self._office(context, org) if onsite else None
        horizon = horizon_for(window_start, policy, org)
        ids = sorted(set(calendar_ids(context, people, widen).values()) | {room.id for room in rooms})
        try:
            free_busy = await self.calendar.free_busy(ids, horizon.start, horizon.end) if ids else {}
            ignore: list[Interval] = []
            for key in ignore_event_keys:
                event = await self.calendar.get_event(self.organizer, key)
                if event is not None and event.status != "cancelled":
                    ignore.append(Interval(start=event.start, end=event.end))
        except CalendarError as error:
            raise from_calendar(error) from error
        busy = {
            cid: Busy(
                hard=[Interval(start=i.start, end=i.end) for i in fb.hard],
                tentative=[Interval(start=i.start, end=i.end) for i in fb.tentative],
                readable=fb.error is None,
            )
            for cid, fb in free_busy.items()
        }
        unreadable = sorted(cid for cid, b in busy.items() if not b.readable)
        if unreadable:
            log.warning(
                "calendars_unreadable", application_id=context.application_id, calendars=len(unreadable)
            )
        return RequestInputs(org=org, people=people, busy=busy, rooms=rooms, ignore=ignore, office=office)

    async def _office(self, context: SchedulingContext, org: OrgSettings) -> OfficeProfile | None:
        """The office of an in-person loop: the job's first office, else the org's onsite office."""
        office_id = context.rooms_office_id or org.onsite_office_id
        office = await self.org.aoffice(office_id) if office_id is not None else None
        if office is None:
            log.warning(
                "onsite_office_unknown",
                application_id=context.application_id,
                office_id=office_id,
                note="planned in the candidate's zone: configure an office profile or rooms",
            )
        return office

    @activity.defn
    async def find_options(self, request: FindOptionsInput) -> FindOptionsResult:
        """Up to `policy.options` ranked loops, or the blockers that explain why there are none."""
        inputs = await self._inputs(
            request.context,
            request.policy,
            request.window_start,
            widen=request.widen,
            ignore_event_keys=request.ignore_event_keys,
        )
        problem = _problem(request, inputs, pinned=request.pinned, widen=request.widen)
        names = {uid: person.name for uid, person in inputs.people.items() if person.name}
        names |= {person.user_id: person.name for person in request.context.people if person.name}
        result = await asyncio.to_thread(plan, problem, time_limit=self.time_limit, workers=1, names=names)
        log.info(
            "options_planned",
            application_id=request.context.application_id,
            status=result.status,
            options=len(result.options),
            wall_ms=result.stats.wall_ms,
            candidate_day_zone=problem.candidate.time_zone,
            explain_ms=result.stats.explain_ms,
            blockers=[b.kind for b in result.blockers],
            relaxations=sum(len(b.relaxations) for b in result.blockers),
        )
        return FindOptionsResult(
            status=result.status,
            options=[
                OfferedOption(
                    option_id=f"v{request.offer_version}-{option.rank}",
                    rank=option.rank,
                    start=option.start,
                    end=option.end,
                    placements=option.placements,
                )
                for option in result.options
            ],
            blockers=result.blockers,
        )

    @activity.defn
    async def check_option(self, request: CheckOptionInput) -> CheckOptionResult:
        """Every rule of the problem, checked by the independent validator against fresh calendars."""
        inputs = await self._inputs(
            request.context,
            request.policy,
            request.window_start,
            widen=True,
            ignore_event_keys=request.ignore_event_keys,
        )
        problem = _problem(request, inputs, widen=True, options=1)
        option = Option(
            rank=1,
            start=request.option.start,
            end=request.option.end,
            placements=request.option.placements,
            score=Score(total=0),
        )
        # The score is the planner's bookkeeping, not a booking rule: only constraints decide.
        violations = [str(v) for v in validate_option(problem, option) if v.rule != "score"]
        return CheckOptionResult(valid=not violations, violations=violations)

    @activity.defn
    async def plan_event(self, request: PlanEventInput) -> EventPlan:
        """Every candidate's loop at once, by the single-loop rules (`planner.event_inputs`); `reserved`
        loops (already planned) are kept as busy time."""
        org = await self.org.aorg()
        last = max(d.end for d in request.days)
        now = datetime.now(UTC)
        # Nothing earlier than a single loop's re-check would accept an hour from now (its horizon).
        probe = SchedulingPolicy(mode=request.mode, granularity_minutes=request.granularity_minutes)
        earliest = horizon_for(now + timedelta(hours=1), probe, org).start
        policy = probe.model_copy(
            update={"horizon_days": max(1, min(90, math.ceil((last - now).total_seconds() / 86_400) + 1))}
        )
        window_start = now
        inputs = await self._inputs(request.context, policy, window_start, widen=False, ignore_event_keys=())
        try:
            problem = build_problem(request.context, policy, inputs, window_start=window_start, options=1)
            day_of = {
                c.application_id: candidate_day(
                    request.context.model_copy(update={"candidate_time_zone": c.time_zone}), policy, inputs
                )
                for c in request.candidates
            }
            event = event_from(request, problem, day_of, earliest)
        except ValueError as error:
            raise planner_input_error(error) from error
        plan = await asyncio.to_thread(
            plan_event_whole, event, time_limit=request.time_limit_seconds, workers=1
        )
        log.info(
            "event_planned",
            workflow_id=request.workflow_id,
            status=plan.status,
            candidates=len(request.candidates),
            scheduled=len(plan.scheduled),
            bound=plan.stats.bound_candidates,
            wall_ms=plan.stats.wall_ms,
        )
        return plan


def _problem(
    request: FindOptionsInput | CheckOptionInput,
    inputs: RequestInputs,
    *,
    widen: bool,
    pinned: Sequence[PinSpec] = (),
    options: int | None = None,
) -> Problem:
    """The planner's problem for a request; one the planner refuses is a typed, non-retryable error."""
    try:
        return build_problem(
            request.context,
            request.policy,
            inputs,
            window_start=request.window_start,
            candidate_windows=request.candidate_windows,
            excluded=request.excluded_interviewers,
            pinned=pinned,
            widen=widen,
            options=options,
        )
    except ValueError as error:
        raise planner_input_error(error) from error
