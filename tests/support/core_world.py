"""A simulated outside world for the scheduling decision core: calendars, Greenhouse, mail, planner.

It runs the core's commands the way the real systems would (keys make creates idempotent, a
create of a cancelled key revives it, deletes of missing things are fine), can be taken down
system by system, and can do a write and still report a failure (the effect happened, the answer
was lost). Tests drive the core with it and check what is live in the world, not what the core
believes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from models.activity_io import (
    AttendeeResponse,
    BookEventsInput,
    CancelEventsInput,
    CheckOptionInput,
    CheckOptionResult,
    EmailInput,
    EmailResult,
    FindOptionsInput,
    FindOptionsResult,
    InterviewsInput,
    NoteInput,
    ReadResponsesInput,
    ReadResponsesResult,
    SessionsResult,
)
from models.failure_policy import System
from models.messages import OfferedOption, SchedulingContext, SchedulingPolicy, SchedulingRequest
from models.scheduling import Blocker, Placement
from tests.support.fake_scheduling import CONTEXT
from workflows.scheduling_core import Command, CommandKind, Outcome, SchedulingCore

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday
POLICY = SchedulingPolicy(max_replacements=2, max_reschedules=1, rsvp_poll_interval=timedelta(hours=6))


def new_core(policy: SchedulingPolicy = POLICY, *, strict: bool = True) -> SchedulingCore:
    request = SchedulingRequest(application_id=501, job_interview_stage_id=201, policy=policy)
    return SchedulingCore(request, "schedule-501-201", strict=strict)


@dataclass
class World:
    """What exists outside Hireflow, and how each system behaves right now."""

    now: datetime = T0
    down: set[System] = field(default_factory=set)
    lose_answers: bool = False  # a failing write still takes effect (the answer was lost)
    nothing_fits: bool = False
    blockers: list[Blocker] | None = None  # what the planner says when nothing fits (default: "busy")
    taken: bool = False
    refused_address: bool = False
    application_missing: bool = False
    context: SchedulingContext = field(
        default_factory=lambda: CONTEXT
    )  # what gathering reads (a test may change the candidate)
    events: dict[str, str] = field(default_factory=dict)  # event key -> live | cancelled
    interviews: dict[str, bool] = field(default_factory=dict)  # event key (external id) -> live
    interview_ids: dict[str, int] = field(default_factory=dict)
    emails: Counter[str] = field(default_factory=Counter)
    sent: list[EmailInput] = field(default_factory=list)
    notes: Counter[str] = field(default_factory=Counter)
    note_bodies: dict[str, str] = field(default_factory=dict)
    declines: set[tuple[str, int]] = field(default_factory=set)
    gave_up: set[str] = field(default_factory=set)  # booking ids Hireflow said it could not remove
    log: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------------------------ driving

    def run(self, core: SchedulingCore, command: Command, *, interrupted: bool = False) -> Outcome:
        """Execute one command against the world and feed its outcome to the core."""
        outcome = (
            Outcome.failure("Interrupted", "stopped", interrupted=True)
            if interrupted
            else self.execute(command)
        )
        self.log.append(f"{command.kind.value}:{command.tag} -> {'ok' if outcome.ok else outcome.error_type}")
        core.complete(command, outcome, self.now)
        return outcome

    def drain(self, core: SchedulingCore, limit: int = 200) -> None:
        """Run every queued command (and those they queue) to the end."""
        for _ in range(limit):
            command = core.next_command()
            if command is None:
                return
            self.run(core, command)
        raise AssertionError("the core kept queueing commands")

    def until_quiet_or_deadline(self, core: SchedulingCore, limit: int = 50) -> None:
        """Drain, then fire deadlines that are already due."""
        for _ in range(limit):
            self.drain(core)
            deadline = core.deadline()
            if deadline is None or deadline[0] > self.now:
                return
            core.timer(self.now)
        raise AssertionError("deadlines kept firing without time passing")

    def advance_to_deadline(self, core: SchedulingCore) -> bool:
        deadline = core.deadline()
        if deadline is None:
            return False
        self.now = max(self.now, deadline[0])
        core.timer(self.now)
        return True

    # ---------------------------------------------------------------------------------- systems

    def execute(self, command: Command) -> Outcome:
        system, arg = command.system, command.input
        if system in self.down:
            if self.lose_answers:
                self._effect(command)  # done, but the answer never came back
            return Outcome.failure("RetryBudgetExhausted", f"{system.value} down")
        match command.kind:
            case CommandKind.GATHER:
                if self.application_missing:
                    return Outcome.failure("HarvestNotFoundError", "404 application", non_retryable=True)
                return Outcome.success(self.context)
            case CommandKind.FIND_OPTIONS:
                assert isinstance(arg, FindOptionsInput)
                return Outcome.success(self._plan(arg))
            case CommandKind.CHECK_OPTION:
                assert isinstance(arg, CheckOptionInput)
                return Outcome.success(
                    CheckOptionResult(valid=not self.taken, violations=["busy"] if self.taken else [])
                )
            case CommandKind.SEND_EMAIL:
                assert isinstance(arg, EmailInput)
                if self.refused_address and arg.to == [CONTEXT.candidate_email]:
                    return Outcome.failure("MailRefusedError", "550 no such user", non_retryable=True)
            case CommandKind.READ_RESPONSES:
                assert isinstance(arg, ReadResponsesInput)
                responses = [
                    AttendeeResponse(session_id=s.session_id, user_id=u, response="declined")
                    for s in arg.sessions
                    for (sid, u) in sorted(self.declines)
                    if sid == s.session_id and u in s.interviewers
                ]
                return Outcome.success(ReadResponsesResult(responses=responses))
        return Outcome.success(self._effect(command))

    def _effect(self, command: Command) -> SessionsResult | EmailResult | None:
        arg = command.input
        if isinstance(arg, BookEventsInput):
            for session in arg.sessions:
                self.events[session.event_key] = "live"  # create, update, or revive a cancelled key
            return SessionsResult(
                sessions=[s.model_copy(update={"calendar_event_id": s.event_key}) for s in arg.sessions]
            )
        if isinstance(arg, CancelEventsInput):
            for session in arg.sessions:
                if session.event_key in self.events:
                    self.events[session.event_key] = "cancelled"
            return None
        if isinstance(arg, InterviewsInput) and command.kind == CommandKind.RECORD_INTERVIEWS:
            out = []
            for session in arg.sessions:
                key = session.event_key
                self.interviews[key] = True
                self.interview_ids.setdefault(key, 9000 + len(self.interview_ids))
                out.append(session.model_copy(update={"greenhouse_interview_id": self.interview_ids[key]}))
            return SessionsResult(sessions=out)
        if isinstance(arg, InterviewsInput):
            for session in arg.sessions:
                if session.event_key in self.interviews:
                    self.interviews[session.event_key] = False
            return None
        if isinstance(arg, EmailInput):
            self.emails[arg.key] += 1
            self.sent.append(arg)
            if "/release-gave-up/" in arg.key:  # the recruiter was told by email (Greenhouse may be down)
                self.gave_up.add(arg.key.split("/release-gave-up/", 1)[1])
            return EmailResult(message_id=f"<{arg.key}>", sent=True)
        if isinstance(arg, NoteInput):
            self.notes[arg.key] += 1
            self.note_bodies[arg.key] = arg.body
            if "/release-gave-up/" in arg.key:
                self.gave_up.add(arg.key.split("/release-gave-up/", 1)[1])
            return None
        return None

    def _plan(self, request: FindOptionsInput) -> FindOptionsResult:
        if self.nothing_fits and not request.widen:
            return FindOptionsResult(
                status="infeasible", blockers=self.blockers or [Blocker(kind="pool_exhausted", detail="busy")]
            )
        if self.nothing_fits:
            return FindOptionsResult(
                status="infeasible", blockers=[Blocker(kind="pool_exhausted", detail="none")]
            )
        base = request.window_start.replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
        pins = {p.session_id: p for p in request.pinned}
        options = []
        for n in range(3):
            start = base + timedelta(days=n)
            placements = []
            for i, spec in enumerate(request.context.sessions):
                pin = pins.get(spec.session_id)
                free = [p for p in [*spec.pool, *spec.alternates] if p not in request.excluded_interviewers]
                if pin and pin.interviewers is not None:
                    chosen = (
                        list(pin.interviewers)
                        + [p for p in free if p not in pin.interviewers][
                            : max(0, spec.count - len(pin.interviewers))
                        ]
                    )
                else:
                    chosen = free[: spec.count]
                if len(chosen) < spec.count:
                    return FindOptionsResult(
                        status="infeasible", blockers=[Blocker(kind="pool_exhausted", detail="no one")]
                    )
                at = pin.start if pin and pin.start else start + timedelta(hours=i)
                placements.append(
                    Placement(
                        session=spec.session_id,
                        start=at,
                        end=at + timedelta(minutes=spec.duration_minutes),
                        interviewers=chosen,
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

    # ------------------------------------------------------------------------------ what is live

    def live_events(self) -> set[str]:
        return {key for key, status in self.events.items() if status == "live"}

    def live_interviews(self) -> set[str]:
        return {key for key, live in self.interviews.items() if live}
