"""An in-memory world behind the SchedulingWorkflow's activities, for fast state-machine tests.

The fakes honour the activity contracts (idempotent keys, pinned sessions, exclusions) so tests of
the workflow, the web pages and the triggers can drive every path in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import names
from models.activity_io import (
    BookEventsInput,
    CancelEventsInput,
    CheckOptionInput,
    CheckOptionResult,
    EmailInput,
    EmailResult,
    FindOptionsInput,
    FindOptionsResult,
    GatherInput,
    InterviewsInput,
    NoteInput,
    ReadResponsesInput,
    ReadResponsesResult,
    SessionsResult,
    UpdateInterviewInput,
)
from models.messages import OfferedOption, Person, SchedulingContext, SessionSpec
from models.scheduling import Blocker, Placement


@dataclass
class World:
    """What the fake activities see and record."""

    now: datetime | None = None
    free: bool = True
    taken: set[str] = field(default_factory=set)
    responses: list[tuple[str, int, str]] = field(default_factory=list)
    greenhouse_failures: int = 0
    emails: list[EmailInput] = field(default_factory=list)
    notes: list[NoteInput] = field(default_factory=list)
    events: dict[str, BookEventsInput] = field(default_factory=dict)
    cancelled_events: list[str] = field(default_factory=list)
    interviews: dict[str, int] = field(default_factory=dict)
    deleted_interviews: list[int] = field(default_factory=list)
    finds: list[FindOptionsInput] = field(default_factory=list)

    def templates(self) -> list[str]:
        return [e.template for e in self.emails]


CONTEXT = SchedulingContext(
    application_id=501,
    candidate_id=401,
    job_id=301,
    job_name="Backend Engineer",
    job_interview_stage_id=201,
    stage_name="Onsite",
    recruiter_id=11,
    candidate_first_name="Ada",
    candidate_email="ada@example.com",
    candidate_time_zone="Europe/London",
    sessions=[
        SessionSpec(
            session_id="s1", job_interview_id=1001, name="System design", duration_minutes=60, pool=[21, 22]
        ),
        SessionSpec(
            session_id="s2",
            job_interview_id=1002,
            name="Coding",
            duration_minutes=60,
            pool=[23, 24],
            alternates=[25],
        ),
    ],
    people=[
        Person(user_id=11, name="Rita Recruiter", email="rita@acme.example"),
        *[
            Person(user_id=i, name=f"Interviewer {i}", email=f"i{i}@acme.example")
            for i in (21, 22, 23, 24, 25)
        ],
    ],
)


def _find_options(world: World, request: FindOptionsInput) -> FindOptionsResult:
    """Three options a day apart (pins and exclusions honoured), or infeasible when the world is busy."""
    if not world.free and not request.widen:
        return FindOptionsResult(
            status="infeasible", blockers=[Blocker(kind="pool_exhausted", detail="busy")]
        )
    base = request.window_start.replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    pins = {p.session_id: p for p in request.pinned}
    options = []
    for n in range(min(3, request.policy.options)):
        start = base + timedelta(days=n)
        placements = []
        for i, spec in enumerate(request.context.sessions):
            pin = pins.get(spec.session_id)
            chosen = [p for p in spec.pool if p not in request.excluded_interviewers]
            if pin and pin.interviewers is not None:
                chosen = (
                    list(pin.interviewers)
                    + [p for p in spec.pool + spec.alternates if p not in request.excluded_interviewers][
                        : max(0, spec.count - len(pin.interviewers))
                    ]
                )
            if not chosen:
                return FindOptionsResult(
                    status="infeasible", blockers=[Blocker(kind="pool_exhausted", detail="no one")]
                )
            session_start = pin.start if pin and pin.start else start + timedelta(hours=i)
            placements.append(
                Placement(
                    session=spec.session_id,
                    start=session_start,
                    end=session_start + timedelta(minutes=spec.duration_minutes),
                    interviewers=chosen[: spec.count] if not pin else chosen,
                )
            )
        options.append(
            OfferedOption(
                option_id=f"v{request.offer_version}-o{n + 1}",
                rank=n + 1,
                start=placements[0].start,
                end=placements[-1].end,
                placements=placements,
            )
        )
    return FindOptionsResult(status="optimal", options=options)


def _book_events(world: World, request: BookEventsInput) -> SessionsResult:
    sessions = []
    for s in request.sessions:
        world.events[s.event_key] = request
        sessions.append(
            s.model_copy(update={"calendar_event_id": s.event_key, "video_url": "https://meet/x"})
        )
    return SessionsResult(sessions=sessions)


def _record_interviews(world: World, request: InterviewsInput) -> SessionsResult:
    """Greenhouse interview ids per event (stable across retries), after `greenhouse_failures` 500s."""
    if world.greenhouse_failures:
        world.greenhouse_failures -= 1
        raise ApplicationError("Greenhouse said 500", type="HarvestServerError")
    out = []
    for s in request.sessions:
        world.interviews.setdefault(s.event_key, 9000 + len(world.interviews))
        out.append(s.model_copy(update={"greenhouse_interview_id": world.interviews[s.event_key]}))
    return SessionsResult(sessions=out)


def fake_activities(world: World) -> list[Callable[..., Any]]:
    @activity.defn(name=names.GATHER_SCHEDULING_CONTEXT)
    async def gather(_: GatherInput) -> SchedulingContext:
        return CONTEXT

    @activity.defn(name=names.FIND_OPTIONS)
    async def find(request: FindOptionsInput) -> FindOptionsResult:
        world.finds.append(request)
        return _find_options(world, request)

    @activity.defn(name=names.CHECK_OPTION)
    async def check(request: CheckOptionInput) -> CheckOptionResult:
        if request.option.option_id in world.taken:
            return CheckOptionResult(valid=False, violations=["interviewer 21 is now busy"])
        return CheckOptionResult(valid=True)

    @activity.defn(name=names.BOOK_CALENDAR_EVENTS)
    async def book(request: BookEventsInput) -> SessionsResult:
        return _book_events(world, request)

    @activity.defn(name=names.CANCEL_CALENDAR_EVENTS)
    async def cancel_events(request: CancelEventsInput) -> None:
        world.cancelled_events += [s.event_key for s in request.sessions]

    @activity.defn(name=names.READ_ATTENDEE_RESPONSES)
    async def responses(_: ReadResponsesInput) -> ReadResponsesResult:
        return ReadResponsesResult.model_validate(
            {"responses": [{"session_id": s, "user_id": u, "response": r} for s, u, r in world.responses]}
        )

    @activity.defn(name=names.RECORD_GREENHOUSE_INTERVIEWS)
    async def record(request: InterviewsInput) -> SessionsResult:
        return _record_interviews(world, request)

    @activity.defn(name=names.UPDATE_GREENHOUSE_INTERVIEW)
    async def update(_: UpdateInterviewInput) -> None:
        return None

    @activity.defn(name=names.DELETE_GREENHOUSE_INTERVIEWS)
    async def delete(request: InterviewsInput) -> None:
        world.deleted_interviews += [
            s.greenhouse_interview_id for s in request.sessions if s.greenhouse_interview_id
        ]

    @activity.defn(name=names.ADD_CANDIDATE_NOTE)
    async def note(request: NoteInput) -> None:
        if request.key not in {n.key for n in world.notes}:
            world.notes.append(request)

    @activity.defn(name=names.SEND_EMAIL)
    async def email(request: EmailInput) -> EmailResult:
        if request.key not in {e.key for e in world.emails}:
            world.emails.append(request)
        return EmailResult(message_id=f"<{request.key}>", sent=True)

    return [gather, find, check, book, cancel_events, responses, record, update, delete, note, email]
