"""One chaos scenario: a request brought to just before a phase, the phase started while a system is down,
and the request watched until it reaches what the phase is for.

Phases (the issue's list): `gather` (the request starts), `offer` (the candidate proposes times and gets
new options), `pick`, `reminder` (due while down), `reschedule`, `decline` (an interviewer declines and
is replaced) and `cancel`. Modes: `ride_out` uses the shipped failure policy (retrying for hours), so
the phase must simply complete after the outage; `give_up` shrinks every budget below the outage, so
the phase must give up cleanly (compensate, escalate) and the request must be usable again after the
recruiter's `resume`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowExecutionStatus

from benchmarks.chaos_kit.checks import Effects, workflow_effects
from benchmarks.chaos_kit.world import ChaosWorld, Group
from benchmarks.workflows import Application
from integrations.calendar.base import ResponseStatus
from integrations.calendar.caldav import CalDAVCalendar
from integrations.scheduling_client import SchedulingClient
from models.failure_policy import FailurePolicy, RetryBudget
from models.messages import (
    CancelInput,
    InterviewerDeclinedInput,
    ProposeTimesInput,
    RecruiterCommandInput,
    RescheduleInput,
    SchedulingPolicy,
    SchedulingState,
    SchedulingStatusSnapshot,
    SelectOptionInput,
    SelectOptionResult,
    scheduling_workflow_id,
)
from models.scheduling import Interval
from workflows.scheduling_core.table import PICKING

PHASES = ("gather", "offer", "pick", "reminder", "reschedule", "decline", "cancel")
BOOKED_FIRST = {"reschedule", "decline", "cancel"}
S = SchedulingState


@dataclass
class Timing:
    """How long a run waits: the outage, the reminder's offset, and how long recovery may take."""

    outage: float
    reminder_after: float
    give_up_after: float
    recover_within: float
    ready_within: float = 120.0


@dataclass
class Scenario:
    system: str
    phase: str
    mode: str
    group: Group
    app: Application | None = None
    workflow_id: str = ""
    baseline: set[int] = field(default_factory=set)
    offer_version: int = 0
    offered_at: float = 0.0
    states_seen: list[str] = field(default_factory=list)
    outcome: str = "pending"
    exercised: bool = True
    recovery_s: float | None = None
    resumed: bool = False
    error: str = ""
    effects: Effects | None = None
    trigger_answer: str = ""
    note: str = ""

    @property
    def name(self) -> str:
        return f"{self.mode} {self.system} {self.phase}"

    def report(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "phase": self.phase,
            "mode": self.mode,
            "workflow_id": self.workflow_id,
            "outcome": self.outcome,
            "exercised": self.exercised,
            "recovery_seconds": None if self.recovery_s is None else round(self.recovery_s, 1),
            "resumed_by_recruiter": self.resumed,
            "states_seen": self.states_seen,
            "trigger_answer": self.trigger_answer,
            "note": self.note,
            "effects": self.effects.as_dict() if self.effects else None,
            "error": self.error,
        }


def chaos_policy(sc: Scenario, timing: Timing) -> SchedulingPolicy:
    """The shipped policy with what a run needs: short attempts (a killed attempt is retried in seconds),
    replacements allowed close to the loop, the reminder inside the outage, and for `give_up` budgets
    shorter than the outage."""
    failure = FailurePolicy()
    if sc.mode == "give_up":
        short = RetryBudget(
            initial=timedelta(seconds=0.5),
            maximum_interval=timedelta(seconds=3),
            give_up_after=timedelta(seconds=timing.give_up_after),
            attempt_timeout=timedelta(seconds=8),
        )
        failure = FailurePolicy(**{name: short for name in FailurePolicy.model_fields})
    failure = failure.model_copy(
        update={"planner": failure.planner.model_copy(update={"attempt_timeout": timedelta(seconds=20)})}
    )
    reminder = timing.reminder_after if sc.phase == "reminder" else 86_400.0
    # Outage declines arrive as a calendar client's answer, read by the RSVP poll; kills use the signal
    # (a poll every few seconds would add reads between the boundaries being counted).
    rsvp = timedelta(seconds=5) if sc.phase == "decline" and sc.mode != "kill" else timedelta(minutes=30)
    return SchedulingPolicy(
        rsvp_poll_interval=rsvp,
        activity_timeout=timedelta(seconds=8),
        decline_replace_cutoff=timedelta(0),
        reminder_after=[timedelta(seconds=reminder)],
        escalate_after_last_reminder=timedelta(hours=6),
        release_retry_after=timedelta(seconds=20),
        failure=failure,
    )


# ------------------------------------------------------------------------------------ polling


async def status_of(client: SchedulingClient, workflow_id: str) -> SchedulingStatusSnapshot:
    return await client.status(workflow_id)


async def observe(world: ChaosWorld, sc: Scenario) -> tuple[SchedulingStatusSnapshot, bool]:
    """The request's status and whether its run is still open; each new state is noted in the scenario."""
    described = await world.scheduling.handle(sc.workflow_id).describe()
    status = await world.scheduling.status(sc.workflow_id)
    if status.state.value not in sc.states_seen[-1:]:
        sc.states_seen.append(status.state.value)
    return status, described.status == WorkflowExecutionStatus.RUNNING


async def wait_until(sc: Scenario, world: ChaosWorld, test: Any, within: float) -> SchedulingStatusSnapshot:
    """Poll until `test(status, running)` holds; TimeoutError names the last state."""
    deadline = time.monotonic() + within
    last, seen = "unknown", None
    while time.monotonic() < deadline:
        try:
            status, running = await observe(world, sc)
        except Exception as error:  # a query while the worker restarts: try again
            last = f"{type(error).__name__}"
            await asyncio.sleep(0.5)
            continue
        last, seen = status.state.value, status
        if test(status, running):
            return status
        await asyncio.sleep(0.3)
    context = ""
    if seen is not None:
        recent = "; ".join(f"{h.event} {h.detail}"[:80] for h in seen.history[-3:])
        context = (
            f" (waiting for: {seen.waiting_for}; escalation: {seen.escalation_reason}; recent: {recent})"
        )
    raise TimeoutError(f"{sc.name}: still {last} after {within:.0f}s{context}")


async def pick_option(
    world: ChaosWorld, sc: Scenario, status: SchedulingStatusSnapshot
) -> SelectOptionResult:
    """The candidate picks an option on the page (a fresh form: its own request id). Candidates differ:
    each request picks its own rank, so concurrent requests do not all race for the same panel."""
    assert status.offer is not None and status.offer.options
    options = status.offer.options
    choice = options[sum(map(ord, sc.workflow_id)) % min(3, len(options))]
    pick = SelectOptionInput(
        option_id=choice.option_id,
        offer_version=status.offer.version,
        request_id=f"pick-{uuid.uuid4().hex}",
    )
    return await world.scheduling.select_option(sc.workflow_id, pick)


async def pick_until_booked(world: ChaosWorld, sc: Scenario, within: float) -> SchedulingStatusSnapshot:
    """The candidate picks the first option; a taken one is answered with fresh options: pick again."""
    status = await world.scheduling.status(sc.workflow_id)
    for _ in range(10):
        if status.state == S.SCHEDULED:
            break
        if status.offer is None or not status.offer.options:
            raise RuntimeError(f"{sc.name}: nothing to pick in state {status.state.value}")
        await pick_option(world, sc, status)
        status = await wait_until(sc, world, lambda st, _r: not st.working, within)
    return await wait_until(sc, world, lambda st, _r: st.state == S.SCHEDULED and st.quiet, within)


# ------------------------------------------------------------------------------------ a scenario


async def start(world: ChaosWorld, sc: Scenario, timing: Timing) -> None:
    settings = sc.group.settings
    assert sc.app is not None
    client = SchedulingClient(world.client, settings)
    handle = await client.start(
        sc.app.application_id, sc.app.stage_id, source="api", policy=chaos_policy(sc, timing)
    )
    sc.workflow_id = handle.id


async def prepare(world: ChaosWorld, sc: Scenario, timing: Timing) -> None:
    """Bring the request to just before its phase, all systems up; a panel that cannot meet: next one."""
    for _ in range(10):
        sc.app = world.take_app()
        sc.baseline = await world.interview_ids(sc.app.application_id)
        sc.workflow_id = scheduling_workflow_id(sc.app.application_id, sc.app.stage_id)
        if sc.phase == "gather":
            return
        await start(world, sc, timing)
        status = await wait_until(
            sc, world, lambda st, _r: st.state in (S.OFFERED, S.ESCALATED), timing.ready_within
        )
        if status.state == S.OFFERED and status.offer and status.offer.options:
            if sc.phase != "decline" or await _replaceable(world, sc, status):
                break
        await world.scheduling.cancel(
            sc.workflow_id, CancelInput(reason="chaos run: not a fit for the phase")
        )
    else:
        raise RuntimeError(f"{sc.name}: no fitting application in 10 tries")
    sc.states_seen.clear()
    sc.offered_at = time.monotonic()
    sc.offer_version = status.offer.version if status.offer else 0
    if sc.phase in BOOKED_FIRST:
        await pick_until_booked(world, sc, timing.ready_within)


async def trigger(world: ChaosWorld, sc: Scenario, timing: Timing) -> None:
    """Start the phase (the system is down now); an answer that waits for the outage is fine."""
    scheduling = world.scheduling
    wid = sc.workflow_id
    if sc.phase == "gather":
        await start(world, sc, timing)
        return
    status = await scheduling.status(wid)
    if sc.phase == "offer":
        assert status.offer is not None
        # One window over every offered day: options taken meanwhile by concurrent requests leave others.
        options = status.offer.options
        windows = [Interval(start=min(o.start for o in options), end=max(o.end for o in options))]
        proposed = await scheduling.propose_times(
            wid, ProposeTimesInput(windows=windows, request_id=f"propose-{uuid.uuid4().hex}")
        )
        sc.trigger_answer = proposed.outcome
    elif sc.phase == "pick":
        sc.trigger_answer = (await pick_option(world, sc, status)).outcome
    elif sc.phase == "reschedule":
        answer = await scheduling.reschedule(wid, RescheduleInput(by="candidate", reason="chaos run"))
        sc.trigger_answer = answer.outcome
    elif sc.phase == "decline":
        target = await decline_target(world, sc)
        await decline_in_calendar(world, sc, target)
        sc.trigger_answer = "declined in their calendar"
    elif sc.phase == "cancel":
        answer = await scheduling.cancel(wid, CancelInput(by="recruiter", reason="chaos run"))
        sc.trigger_answer = answer.outcome


async def _replaceable(world: ChaosWorld, sc: Scenario, status: SchedulingStatusSnapshot) -> bool:
    """A decline scenario wants a loop whose panel has people to spare (else nobody can replace anyone)."""
    context = await world.scheduling.page_context(sc.workflow_id)
    assert status.offer is not None
    if context is None:
        return False
    panel = {i for p in status.offer.options[0].placements for i in p.interviewers}
    spare = [
        len((set(spec.pool) | set(spec.alternates)) - panel)
        for spec in context.sessions
        if set(spec.pool) - set(spec.required)
    ]
    return max(spare, default=0) >= 3


async def reach_goal(world: ChaosWorld, sc: Scenario, within: float) -> SchedulingStatusSnapshot:
    """Wait for the phase's goal; a pick whose option a concurrent booking took is picked again."""
    status = await wait_until(sc, world, lambda st, r: goal(sc, st, r) or _re_offered(sc, st), within)
    if sc.phase == "pick" and not goal(sc, status, True):
        sc.note = "the picked option was taken meanwhile; picked again"
        await pick_until_booked(world, sc, within)
    return await wait_until(sc, world, lambda st, r: goal(sc, st, r), within)


async def decline_target(world: ChaosWorld, sc: Scenario) -> InterviewerDeclinedInput:
    """The booked interviewer easiest to replace: not required, in the session with the most spare people."""
    status = await world.scheduling.status(sc.workflow_id)
    context = await world.scheduling.page_context(sc.workflow_id)
    assert status.booking is not None and context is not None
    specs = {spec.session_id: spec for spec in context.sessions}
    busy = {i for s in status.booking.sessions for i in s.interviewers}
    best: tuple[int, str, int] | None = None
    for session in status.booking.sessions:
        spec = specs.get(session.session_id)
        spare = len(set(spec.pool) | set(spec.alternates)) - len(busy) if spec else 0
        for user in session.interviewers:
            if spec and user in spec.required:
                continue
            if best is None or spare > best[0]:
                best = (spare, session.session_id, user)
    if best is None:
        first = status.booking.sessions[0]
        return InterviewerDeclinedInput(session_id=first.session_id, user_id=first.interviewers[0])
    return InterviewerDeclinedInput(session_id=best[1], user_id=best[2])


async def decline_in_calendar(world: ChaosWorld, sc: Scenario, target: InterviewerDeclinedInput) -> None:
    """The interviewer declines in their own calendar (straight to Radicale: their client is not down)."""
    status = await world.scheduling.status(sc.workflow_id)
    context = await world.scheduling.page_context(sc.workflow_id)
    assert status.booking is not None and context is not None
    session = next(s for s in status.booking.sessions if s.session_id == target.session_id)
    person = context.person(target.user_id)
    assert person is not None and person.email
    async with CalDAVCalendar(world.stack.settings.caldav_url) as caldav:
        await caldav.set_response(person.email, session.event_key, ResponseStatus.DECLINED)


def nobody_could_replace(status: SchedulingStatusSnapshot) -> bool:
    return (
        status.state == S.ESCALATED
        and status.booking is not None
        and "can replace" in status.escalation_reason
    )


def goal(sc: Scenario, status: SchedulingStatusSnapshot, running: bool) -> bool:
    """The phase did what it is for (ride_out), and nothing is left under way."""
    if sc.phase == "cancel":
        return not running and status.state == S.CANCELLED
    if not running or not status.quiet:
        return False
    state, fresh = status.state, status.offer is not None and status.offer.version > sc.offer_version
    return {
        "gather": state == S.OFFERED and status.offer is not None,
        "offer": state in PICKING and fresh,
        "pick": state == S.SCHEDULED,
        "reminder": state == S.OFFERED and status.reminders_sent >= 1,
        "reschedule": state == S.RESCHEDULING and fresh and status.reschedules >= 1,
        # Replaced; or nobody was free, the recruiter has it and the loop stands (reported not exercised).
        "decline": (state == S.SCHEDULED and status.replacements >= 1) or nobody_could_replace(status),
    }[sc.phase]


def usable(sc: Scenario, status: SchedulingStatusSnapshot, running: bool) -> bool:
    """After a give-up and the recruiter's resume: a state a person can carry on from, nothing under way."""
    if sc.phase == "cancel":
        return not running and status.state == S.CANCELLED
    return running and status.quiet and status.state in (*PICKING, S.SCHEDULED)


async def recover(world: ChaosWorld, sc: Scenario, timing: Timing, up_at: float) -> None:
    """After the outage: wait for the phase's goal; a give-up must escalate, then resume and be usable."""
    if sc.mode == "ride_out":
        await reach_goal(world, sc, timing.recover_within)
        sc.recovery_s = max(0.0, time.monotonic() - up_at)
        if sc.phase == "reschedule":  # the new loop takes over the old one, which must then be released
            await pick_until_booked(world, sc, timing.recover_within)
        return
    status = await wait_until(
        sc,
        world,
        lambda st, r: (not r) or (st.quiet and st.state in (S.ESCALATED, *PICKING, S.SCHEDULED)),
        timing.recover_within,
    )
    # It gave up if a call ran out of retries (listed in the status) or the request escalated.
    sc.exercised = bool(status.failures) or S.ESCALATED.value in sc.states_seen
    if status.state == S.ESCALATED:
        await world.scheduling.command(
            sc.workflow_id, RecruiterCommandInput(command="resume", note="chaos run")
        )
        sc.resumed = True
    status = await wait_until(sc, world, lambda st, r: usable(sc, st, r), timing.recover_within)
    sc.recovery_s = max(0.0, time.monotonic() - up_at)
    if status.state in PICKING and sc.phase != "cancel":
        await pick_until_booked(world, sc, timing.recover_within)


def _re_offered(sc: Scenario, status: SchedulingStatusSnapshot) -> bool:
    return (
        status.state in PICKING
        and status.quiet
        and status.offer is not None
        and status.offer.version > sc.offer_version
    )


async def watch_outage(world: ChaosWorld, sc: Scenario, until: float) -> None:
    """During the outage: a ride-out phase that reaches its goal anyway did not need the system."""
    while time.monotonic() < until:
        with contextlib.suppress(Exception):
            if goal(sc, *await observe(world, sc)):
                sc.exercised = False
                return
        await asyncio.sleep(1)


async def verify(world: ChaosWorld, sc: Scenario) -> None:
    assert sc.app is not None
    sc.effects = await workflow_effects(world, sc.workflow_id, sc.app, sc.baseline)
    if sc.phase == "decline":
        status = await world.scheduling.status(sc.workflow_id)
        sc.note = "replaced" if status.replacements else f"not replaced: {status.escalation_reason[:160]}"
        if sc.mode != "give_up" and not status.replacements:
            sc.exercised = False  # nobody was free to replace them: the replacement never ran
    problems = sc.effects.problems()
    if sc.outcome == "pending":
        sc.outcome = "ok" if problems == 0 else "broken"
