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

from activities.calendar import CalendarActivities
from activities.greenhouse import GreenhouseActivities
from activities.mail import MailActivities
from activities.planning import PlanningActivities
from integrations.interview_index import InterviewIndex
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
    outages: dict[str, int] = field(
        default_factory=dict
    )  # activity name -> failing attempts (-1: until cleared)
    refused: set[str] = field(default_factory=set)
    missing_application: bool = False
    event_status: dict[str, str] = field(default_factory=dict)
    interview_live: dict[str, bool] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    plan_order_against_the_clock: bool = False  # options place the plan's last session first

    def templates(self) -> list[str]:
        return [e.template for e in self.emails]

    def trip(self, name: str) -> None:
        """Fail this attempt if the activity's system is down (a retryable error, as a 503 would be)."""
        self.attempts[name] = self.attempts.get(name, 0) + 1
        left = self.outages.get(name, 0)
        if left == 0:
            return
        if left > 0:
            self.outages[name] = left - 1
        raise ApplicationError(f"{name}: service unavailable", type="ServiceUnavailable")

    def live_events(self) -> set[str]:
        return {key for key, status in self.event_status.items() if status == "live"}

    def live_interviews(self) -> set[str]:
        return {key for key, live in self.interview_live.items() if live}


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

# What an authenticated reply from the candidate's address on record carries (only such a reply acts).
FROM_CANDIDATE = {"sender": CONTEXT.candidate_email or "", "sender_authenticated": True}


def _gather(world: World) -> SchedulingContext:
    if world.missing_application:
        raise ApplicationError(
            "404 GET /v3/applications/501", type="HarvestNotFoundError", non_retryable=True
        )
    return CONTEXT


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
                wider = [p for p in spec.pool + spec.alternates if p not in request.excluded_interviewers]
                chosen = list(pin.interviewers) + wider[: max(0, spec.count - len(pin.interviewers))]
            if not chosen:
                return FindOptionsResult(
                    status="infeasible", blockers=[Blocker(kind="pool_exhausted", detail="no one")]
                )
            slot = len(request.context.sessions) - 1 - i if world.plan_order_against_the_clock else i
            session_start = pin.start if pin and pin.start else start + timedelta(hours=slot)
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
                start=min(p.start for p in placements),
                end=max(p.end for p in placements),
                placements=placements,
            )
        )
    return FindOptionsResult(status="optimal", options=options)


def _book_events(world: World, request: BookEventsInput) -> SessionsResult:
    sessions = []
    for s in request.sessions:
        world.events[s.event_key] = request
        world.event_status[s.event_key] = "live"
        sessions.append(
            s.model_copy(update={"calendar_event_id": s.event_key, "video_url": "https://meet/x"})
        )
    return SessionsResult(sessions=sessions)


def _cancel_events(world: World, request: CancelEventsInput) -> None:
    world.cancelled_events += [s.event_key for s in request.sessions]
    for s in request.sessions:
        if s.event_key in world.event_status:
            world.event_status[s.event_key] = "cancelled"


def _record_interviews(world: World, request: InterviewsInput) -> SessionsResult:
    """Greenhouse interview ids per event (stable across retries), after `greenhouse_failures` 500s."""
    if world.greenhouse_failures:
        world.greenhouse_failures -= 1
        raise ApplicationError("Greenhouse said 500", type="HarvestServerError")
    out = []
    for s in request.sessions:
        world.interviews.setdefault(s.event_key, 9000 + len(world.interviews))
        world.interview_live[s.event_key] = True
        out.append(s.model_copy(update={"greenhouse_interview_id": world.interviews[s.event_key]}))
    return SessionsResult(sessions=out)


def _delete_interviews(world: World, request: InterviewsInput) -> None:
    for s in request.sessions:
        if s.event_key in world.interview_live:
            world.interview_live[s.event_key] = False
    world.deleted_interviews += [
        s.greenhouse_interview_id for s in request.sessions if s.greenhouse_interview_id
    ]


def _send_email(world: World, request: EmailInput) -> EmailResult:
    if set(request.to) & world.refused:
        raise ApplicationError("550 5.1.1 no such user", type="MailRefusedError", non_retryable=True)
    if request.key not in {e.key for e in world.emails}:
        world.emails.append(request)
    return EmailResult(message_id=f"<{request.key}>", sent=True)


def fake_activities(world: World, index: InterviewIndex | None = None) -> list[Callable[..., Any]]:
    """The activities over `world`; with `index`, recorded interviews are indexed as the real ones are."""

    @activity.defn(name=GreenhouseActivities.gather_scheduling_context.__name__)
    async def gather(_: GatherInput) -> SchedulingContext:
        world.trip("gather")
        return _gather(world)

    @activity.defn(name=PlanningActivities.find_options.__name__)
    async def find(request: FindOptionsInput) -> FindOptionsResult:
        world.trip("find_options")
        world.finds.append(request)
        return _find_options(world, request)

    @activity.defn(name=PlanningActivities.check_option.__name__)
    async def check(request: CheckOptionInput) -> CheckOptionResult:
        world.trip("check_option")
        taken = request.option.option_id in world.taken
        return CheckOptionResult(valid=not taken, violations=["interviewer 21 is now busy"] if taken else [])

    @activity.defn(name=CalendarActivities.book_calendar_events.__name__)
    async def book(request: BookEventsInput) -> SessionsResult:
        world.trip("book_calendar_events")
        return _book_events(world, request)

    @activity.defn(name=CalendarActivities.cancel_calendar_events.__name__)
    async def cancel_events(request: CancelEventsInput) -> None:
        world.trip("cancel_calendar_events")
        _cancel_events(world, request)

    @activity.defn(name=CalendarActivities.read_attendee_responses.__name__)
    async def responses(_: ReadResponsesInput) -> ReadResponsesResult:
        return ReadResponsesResult.model_validate(
            {"responses": [{"session_id": s, "user_id": u, "response": r} for s, u, r in world.responses]}
        )

    @activity.defn(name=GreenhouseActivities.record_greenhouse_interviews.__name__)
    async def record(request: InterviewsInput) -> SessionsResult:
        world.trip("record_greenhouse_interviews")
        result = _record_interviews(world, request)
        if index is not None:
            ids = [s.greenhouse_interview_id for s in result.sessions if s.greenhouse_interview_id]
            await index.remember(activity.info().workflow_id or "", request.application_id, ids)
        return result

    @activity.defn(name=GreenhouseActivities.update_greenhouse_interview.__name__)
    async def update(_: UpdateInterviewInput) -> None:
        return None

    @activity.defn(name=GreenhouseActivities.delete_greenhouse_interviews.__name__)
    async def delete(request: InterviewsInput) -> None:
        world.trip("delete_greenhouse_interviews")
        _delete_interviews(world, request)

    @activity.defn(name=GreenhouseActivities.add_candidate_note.__name__)
    async def note(request: NoteInput) -> None:
        world.trip("add_candidate_note")
        if request.key not in {n.key for n in world.notes}:
            world.notes.append(request)

    @activity.defn(name=MailActivities.send_email.__name__)
    async def email(request: EmailInput) -> EmailResult:
        world.trip(f"send_email:{request.template}")
        return _send_email(world, request)

    return [gather, find, check, book, cancel_events, responses, record, update, delete, note, email]
