"""Build the planner's `hireflow.problem/v1` for a scheduling request. Pure: no I/O, no clock.

The planning activity reads calendars and the organisation configuration, then hands everything to
`build_problem`; the same function serves the first offer, a negotiation, a live refresh, the
re-check before booking and an interviewer replacement, so they all judge an option the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from models.activity_io import PinSpec
from models.messages import SchedulingContext, SchedulingPolicy
from models.org_config import OfficeProfile, OrgSettings, PersonConfig, RoomProfile
from models.scheduling import (
    Candidate,
    Interval,
    Interviewer,
    LocalHours,
    Loop,
    Pinned,
    Problem,
    Room,
    RoomRequirement,
    Session,
    SessionInterviewers,
    Trainee,
)

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class Busy:
    """Busy time of one calendar: hard blocks, tentative costs; `readable=False` when it failed."""

    hard: list[Interval] = field(default_factory=list)
    tentative: list[Interval] = field(default_factory=list)
    readable: bool = True


@dataclass
class RequestInputs:
    """Everything the problem depends on besides the request itself."""

    org: OrgSettings
    people: Mapping[int, PersonConfig]
    busy: Mapping[str, Busy]
    rooms: Sequence[RoomProfile] = ()
    ignore: Sequence[Interval] = ()
    office: OfficeProfile | None = None  # where an in-person loop takes place


@dataclass(frozen=True)
class CandidateDay:
    """The zone and wall-clock hours the candidate's interview day is planned in."""

    time_zone: str
    hours: LocalHours


def candidate_day(
    context: SchedulingContext, policy: SchedulingPolicy, inputs: RequestInputs
) -> CandidateDay:
    """In person, the candidate is in the office: its zone and opening hours make the day (someone in
    Tokyo interviewing in New York comes at 10:00 New York time, not at 10:00 Tokyo time). On video the
    candidate stays home: their own zone and the org's candidate hours. Times are still shown to the
    candidate in their own zone; this only decides which loops exist."""
    office = inputs.office
    if policy.mode == "onsite" and office is not None:
        return CandidateDay(office.time_zone, LocalHours(start=office.hours_start, end=office.hours_end))
    org = inputs.org
    return CandidateDay(
        context.candidate_time_zone, LocalHours(start=org.candidate_hours_start, end=org.candidate_hours_end)
    )


def horizon_for(window_start: datetime, policy: SchedulingPolicy, org: OrgSettings) -> Interval:
    """From the next whole hour after the minimum notice, `horizon_days` long."""
    earliest = window_start.astimezone(UTC) + timedelta(hours=org.min_notice_hours)
    start = earliest.replace(minute=0, second=0, microsecond=0)
    if start < earliest:
        start += timedelta(hours=1)
    return Interval(start=start, end=start + timedelta(days=policy.horizon_days))


def subtract(intervals: Sequence[Interval], holes: Sequence[Interval]) -> list[Interval]:
    """`intervals` minus `holes` (our own events being replaced are not busy time)."""
    out: list[Interval] = []
    for iv in intervals:
        pieces = [(iv.start, iv.end)]
        for hole in holes:
            next_pieces = []
            for start, end in pieces:
                if hole.end <= start or hole.start >= end:
                    next_pieces.append((start, end))
                    continue
                if start < hole.start:
                    next_pieces.append((start, hole.start))
                if hole.end < end:
                    next_pieces.append((hole.end, end))
            pieces = next_pieces
        out += [Interval(start=s, end=e) for s, e in pieces if e > s]
    return out


def calendar_ids(
    context: SchedulingContext, people: Mapping[int, PersonConfig], widen: bool
) -> dict[int, str]:
    """The calendar (email) of every person the problem may seat."""
    ids: dict[int, str] = {}
    for spec in context.sessions:
        for user_id in (*spec.pool, *spec.required, *spec.trainee_pool, *(spec.alternates if widen else ())):
            person = context.person(user_id)
            email = (person.email if person else None) or (
                people[user_id].email if user_id in people else None
            )
            if email:
                ids[user_id] = email.lower()
    return ids


def build_problem(
    context: SchedulingContext,
    policy: SchedulingPolicy,
    inputs: RequestInputs,
    *,
    window_start: datetime,
    candidate_windows: Sequence[Interval] = (),
    excluded: Sequence[int] = (),
    pinned: Sequence[PinSpec] = (),
    widen: bool = False,
    options: int | None = None,
) -> Problem:
    """The problem for this request; people whose calendars cannot be read are left out."""
    org = inputs.org
    horizon = horizon_for(window_start, policy, org)
    seatable = calendar_ids(context, inputs.people, widen)
    readable = {u: cid for u, cid in seatable.items() if inputs.busy.get(cid, Busy(readable=False)).readable}
    pins = {p.session_id: p for p in pinned}

    interviewers: dict[int, Interviewer] = {}

    def interviewer(user_id: int) -> int | None:
        if user_id not in readable:
            return None
        if user_id not in interviewers:
            config = inputs.people.get(user_id)
            person = context.person(user_id)
            zone = config.time_zone if config else (person.time_zone if person else org.default_time_zone)
            busy = inputs.busy[readable[user_id]]
            hours = config.working_hours if config else {d: [["09:00", "17:00"]] for d in WEEKDAY_NAMES[:5]}
            interviewers[user_id] = Interviewer.model_validate(
                {
                    "id": user_id,
                    "time_zone": zone,
                    "working_hours": hours,
                    "busy": [
                        *({"start": i.start, "end": i.end} for i in subtract(busy.hard, inputs.ignore)),
                        *(
                            {"start": i.start, "end": i.end, "soft": True}
                            for i in subtract(busy.tentative, inputs.ignore)
                        ),
                    ],
                    "buffer_minutes": config.buffer_minutes if config else org.default_buffer_minutes,
                    "max_per_day": config.max_per_day if config else org.default_max_per_day,
                    "max_per_week": config.max_per_week if config else org.default_max_per_week,
                    "weight": config.weight if config else 1.0,
                }
            )
        return user_id

    rooms = [
        Room(
            id=room.id,
            capacity=room.capacity,
            busy=[
                Interval(start=i.start, end=i.end)
                for i in subtract(inputs.busy.get(room.id, Busy()).hard, inputs.ignore)
            ],
        )
        for room in inputs.rooms
        if inputs.busy.get(room.id, Busy()).readable
    ]
    onsite = policy.mode == "onsite" and bool(rooms)

    sessions: list[Session] = []
    for spec in context.sessions:
        pool_ids = [*spec.pool, *(spec.alternates if widen else ())]
        pool = [u for u in dict.fromkeys(pool_ids) if interviewer(u) is not None]
        required = [u for u in spec.required if interviewer(u) is not None]
        trainees = [u for u in spec.trainee_pool if interviewer(u) is not None]
        pin = pins.get(spec.session_id)
        pin_people = [u for u in (pin.interviewers or []) if interviewer(u) is not None] if pin else []
        sessions.append(
            Session(
                id=spec.session_id,
                name=spec.name,
                duration_minutes=spec.duration_minutes,
                interviewers=SessionInterviewers(
                    required=required,
                    pool=[u for u in pool if u not in required],
                    count=max(spec.count, len(required)),
                ),
                trainee=Trainee(pool=trainees) if trainees else None,
                room=RoomRequirement(required=onsite),
                pinned=Pinned(
                    start=pin.start, interviewers=pin_people or None, room=pin.room if onsite else None
                )
                if pin
                else None,
            )
        )

    day = candidate_day(context, policy, inputs)
    availability = list(candidate_windows) or _preferred_day_windows(horizon, policy, day.time_zone)
    return Problem(
        horizon=horizon,
        granularity_minutes=policy.granularity_minutes,
        candidate=Candidate(time_zone=day.time_zone, hours=day.hours, availability=availability),
        loop=Loop(same_day=True, max_days=1, min_gap_minutes=0, max_gap_minutes=org.max_gap_minutes),
        sessions=sessions,
        interviewers=list(interviewers.values()),
        rooms=rooms if onsite else [],
        exclude_interviewers=[u for u in excluded if u in interviewers],
        options=options or policy.options,
    )


def _preferred_day_windows(
    horizon: Interval, policy: SchedulingPolicy, time_zone: str
) -> list[Interval] | None:
    """Whole local days (of the candidate's day, `candidate_day`) matching `preferred_days`, or None."""
    if not policy.preferred_days:
        return None
    zone = ZoneInfo(time_zone)
    windows: list[Interval] = []
    day = horizon.start.astimezone(zone).date()
    last = horizon.end.astimezone(zone).date()
    while day <= last:
        if WEEKDAY_NAMES[day.weekday()] in policy.preferred_days:
            local_midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
            start = max(local_midnight, horizon.start)
            end = min(local_midnight + timedelta(days=1), horizon.end)
            if end > start:
                windows.append(Interval(start=start, end=end))
        day += timedelta(days=1)
    return windows or None
