"""Stateful property test of the scheduling decision core against a simulated world.

Hypothesis interleaves picks, proposals, reschedules, declines, cancels (by people, by Greenhouse,
from the Temporal UI), pauses, email replies, timers, outages and lost answers, running the core's
commands one at a time like the shell does (messages may arrive while one is in flight). After
every step it checks issue 9's invariants on what is live in the world:

- every move is in the transition table (the core runs strict);
- each email and note purpose is sent at most once;
- no state waits without a deadline; booking, replacing and gathering never sit idle;
- at every quiet moment each session of the current booking has exactly one live calendar event
  and one Greenhouse interview, and nothing Hireflow created outside it is live (releases still
  waiting out an outage excepted, until they finish or are reported to a person);
- a cancelled request leaves nothing live.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from models.failure_policy import System
from models.messages import (
    ApplicationClosedInput,
    CandidateRepliedInput,
    InterviewerDeclinedInput,
    ProposeTimesInput,
    RecruiterCommandInput,
    SchedulingState,
    SelectOptionInput,
)
from models.scheduling import Interval
from tests.support.core_world import World, new_core
from tests.support.fake_scheduling import CONTEXT
from workflows.scheduling_core import Command

S = SchedulingState
REQUEST_IDS = st.sampled_from(["", "id-1", "id-2", "id-3"])
ACTORS = st.sampled_from(["candidate", "recruiter", "system"])


class SchedulingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.states: set[S] = set()
        self.world = World()
        self.core = new_core()
        self.core.start(self.world.now)
        self.running: Command | None = None

    @initialize(start=st.sampled_from(["fresh", "offered", "booked", "booked", "rescheduling", "replacing"]))
    def begin_from(self, start: str) -> None:
        """Start some runs deep in the process, so few steps explore what follows a booking."""
        world, core = self.world, self.core
        if start == "fresh":
            return
        world.drain(core)
        if start == "offered":
            return
        self._pick(0, "")
        world.drain(core)
        if start == "rescheduling":
            core.reschedule("candidate", "", "", world.now)
            world.drain(core)
        elif start == "replacing":
            booking = core.s.booking
            assert booking is not None
            session = booking.sessions[0]
            core.declined(
                InterviewerDeclinedInput(session_id=session.session_id, user_id=session.interviewers[0]),
                world.now,
            )
            self.running = core.next_command()

    # ------------------------------------------------------------------------------- commands

    @rule()
    def take_command(self) -> None:
        """The shell starts the next command (messages may arrive before it finishes)."""
        if self.running is None:
            self.running = self.core.next_command()

    @rule(count=st.integers(1, 6), lose_answer=st.booleans())
    def finish_commands(self, count: int, lose_answer: bool) -> None:
        """The running command and up to `count` - 1 after it finish (a lost answer: done, reported failed)."""
        for _ in range(count):
            if self.running is None:
                self.running = self.core.next_command()
            command, self.running = self.running, None
            if command is None:
                return
            self.world.lose_answers = lose_answer
            self.world.run(self.core, command, interrupted=self.core.should_interrupt(command))

    # -------------------------------------------------------------------------------- messages
    # One rule draws the message, so rare ones (a cancel ends everything) stay rare.

    @rule(
        kind=st.sampled_from(
            ["pick"] * 5
            + ["propose"] * 2
            + ["reschedule"] * 2
            + ["pause", "resume", "resume", "recruiter_reschedule"]
            + ["decline"] * 3
            + ["reply", "refresh", "refresh", "interview_deleted", "cancel"]
        ),
        option=st.integers(0, 2),
        by=ACTORS,
        request_id=REQUEST_IDS,
        data=st.data(),
    )
    def message(self, kind: str, option: int, by: str, request_id: str, data: st.DataObject) -> None:
        now = self.world.now
        match kind:
            case "pick":
                self._pick(option, request_id)
            case "propose":
                self._propose(option, request_id)
            case "reschedule":
                self.core.reschedule(by, "", request_id, now)  # type: ignore[arg-type]
            case "pause" | "resume":
                self.core.recruiter_command(RecruiterCommandInput(command=kind, request_id=request_id), now)
            case "recruiter_reschedule":
                self.core.recruiter_command(
                    RecruiterCommandInput(command="reschedule", request_id=request_id), now
                )
            case "decline":
                self._decline(data)
            case "reply":
                self._reply(data)
            case "refresh":
                if self.core.s.context is not None:
                    self.core.refresh(data.draw(st.sampled_from([0, 120, 3600])), now)
            case "interview_deleted":
                self._interview_deleted(option % 2)
            case "cancel":
                self._cancel(data.draw(st.sampled_from(["person", "temporal", "greenhouse"])), by, request_id)

    def _propose(self, days: int, request_id: str) -> None:
        start = self.world.now + timedelta(days=days + 1)
        proposal = ProposeTimesInput(
            windows=[Interval(start=start, end=start + timedelta(hours=8))], request_id=request_id
        )
        if self.core.propose_problem(proposal, self.world.now) is None:  # the update's validator
            self.core.propose(proposal, self.world.now)

    def _decline(self, data: st.DataObject) -> None:
        session = data.draw(st.sampled_from(["s1", "s2"]))
        user = data.draw(st.sampled_from([21, 22, 23, 24, 25]))
        self.world.declines.add((session, user))
        if data.draw(st.booleans()):  # a signal, or only the RSVP the next poll reads
            self.core.declined(InterviewerDeclinedInput(session_id=session, user_id=user), self.world.now)

    def _reply(self, data: st.DataObject) -> None:
        intent = data.draw(st.sampled_from(["confirm", "decline", "propose_times", "cancel", "question"]))
        start = self.world.now + timedelta(days=2)
        windows = [Interval(start=start, end=start + timedelta(hours=6))] if intent == "propose_times" else []
        reply = CandidateRepliedInput(
            intent=intent,
            windows=windows,
            excerpt="hi",
            sender=CONTEXT.candidate_email or "",
            sender_authenticated=True,
        )
        self.core.candidate_replied(reply, self.world.now)

    def _cancel(self, how: str, by: str, request_id: str) -> None:
        if how == "person":
            self.core.cancel(by, "", request_id, self.world.now)  # type: ignore[arg-type]
        elif how == "temporal" and not self.core.end_as_canceled:
            self.core.temporal_cancel(self.world.now)
        elif how == "greenhouse":
            self.core.application_closed(ApplicationClosedInput(reason="rejected"), self.world.now)

    def _pick(self, option: int, request_id: str) -> None:
        offer = self.core.s.offer
        if offer is None or option >= len(offer.options):
            return
        pick = SelectOptionInput(
            option_id=offer.options[option].option_id, offer_version=offer.version, request_id=request_id
        )
        if self.core.pick_problem(pick, self.world.now) is None:  # the update's validator
            self.core.pick(pick, self.world.now)

    def _interview_deleted(self, index: int) -> None:
        booking = self.core.s.booking
        if booking is None or booking.sessions[index].greenhouse_interview_id is None:
            return
        session = booking.sessions[index]
        self.world.interviews[session.event_key] = False
        self.core.interview_deleted(session.greenhouse_interview_id or 0, self.world.now)

    # ---------------------------------------------------------------------- the world, and time

    @rule(system=st.sampled_from(list(System)), down=st.sampled_from([True, False, False]))
    def outage(self, system: System, down: bool) -> None:
        """A system goes down (longer than any retry budget: its calls fail) or comes back."""
        (self.world.down.add if down else self.world.down.discard)(system)

    @rule(change=st.sampled_from(["nothing_fits", "taken", "refused", "normal", "normal", "normal"]))
    def world_changes(self, change: str) -> None:
        world = self.world
        world.nothing_fits, world.taken, world.refused_address = (
            change == "nothing_fits",
            change == "taken",
            change == "refused",
        )

    @rule(minutes=st.sampled_from([5, 60, 6 * 60, 25 * 60, 3 * 24 * 60]))
    def time_passes(self, minutes: int) -> None:
        self.world.now += timedelta(minutes=minutes)
        self._fire_due()

    @precondition(lambda self: self.running is None)
    @rule()
    def until_next_deadline(self) -> None:
        deadline = self.core.deadline()
        if deadline is not None and self.core.quiet:
            self.world.now = max(self.world.now, deadline[0])
            self._fire_due()

    def _fire_due(self) -> None:
        """Like the shell: deadlines fire only between commands; each one must move something."""
        for _ in range(10):
            deadline = self.core.deadline()
            if (
                self.running is not None
                or not self.core.quiet
                or deadline is None
                or deadline[0] > self.world.now
            ):
                return
            before = (self.core.state, deadline, len(self.core.s.history))
            self.core.timer(self.world.now)
            after = (self.core.state, self.core.deadline(), len(self.core.s.history))
            assert not self.core.quiet or after != before, f"deadline {deadline} fired and nothing moved"

    # ------------------------------------------------------------------------------ invariants

    @invariant()
    def each_purpose_at_most_once(self) -> None:
        if self.core.state not in self.states:
            self.states.add(self.core.state)
            event(f"reached {self.core.state.value}")
        assert all(count == 1 for count in self.world.emails.values()), self.world.emails
        assert all(count == 1 for count in self.world.notes.values()), self.world.notes

    @invariant()
    def no_wait_without_an_end(self) -> None:
        core = self.core
        if not core.quiet or self.running is not None or core.terminal:
            return
        assert core.state not in (S.BOOKING, S.REPLACING_INTERVIEWER, S.GATHERING), f"idle in {core.state}"
        assert core.deadline() is not None, f"{core.state} waits with no deadline"

    @invariant()
    def effects_match_the_current_booking(self) -> None:
        core, world = self.core, self.world
        if not core.quiet or self.running is not None or core.s.pending is not None:
            return
        if any(not r.done for r in core.s.releases):
            return  # a release waits out an outage; it finishes or is reported (checked below)
        abandoned = {
            key for booking_id in world.gave_up for key in world.events if key.startswith(booking_id + "-")
        }
        booking = core.s.booking
        keys = {s.event_key for s in booking.sessions} if booking else set()
        assert world.live_events() - abandoned == keys, (world.live_events(), keys, world.log[-8:])
        expected = (
            {s.event_key for s in booking.sessions if s.greenhouse_interview_id is not None}
            if booking
            else set()
        )
        assert world.live_interviews() - abandoned == expected, (world.live_interviews(), expected)

    @invariant()
    def cancelled_leaves_nothing(self) -> None:
        if self.core.state == S.CANCELLED and self.core.finished:
            abandoned = {k for b in self.world.gave_up for k in self.world.events if k.startswith(b + "-")}
            assert self.world.live_events() <= abandoned and self.world.live_interviews() <= abandoned


TestSchedulingCore = SchedulingMachine.TestCase
TestSchedulingCore.settings = settings(
    max_examples=400, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
