"""The scheduling decision core, driven directly against a simulated world (milliseconds, no server).

Each test is one of issue 9's reproductions, or a rule of the failure policy, checked on what is
live in the world afterwards, not only on the core's own state.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.failure_policy import System
from models.messages import (
    CandidateRepliedInput,
    InterviewerDeclinedInput,
    ProposeTimesInput,
    RecruiterCommandInput,
    SchedulingPolicy,
    SchedulingState,
    SelectOptionInput,
)
from models.scheduling import Blocker, Interval, Relaxation
from tests.support.core_world import POLICY, World, new_core
from tests.support.fake_scheduling import CONTEXT, FROM_CANDIDATE
from workflows.details import render_details
from workflows.scheduling_core import Command, CommandKind, SchedulingCore, wording
from workflows.scheduling_core.table import allowed

S = SchedulingState


def offered(world: World | None = None) -> tuple[SchedulingCore, World]:
    world = world or World()
    core = new_core()
    core.start(world.now)
    world.drain(core)
    assert core.state == S.OFFERED
    return core, world


def book(core: SchedulingCore, world: World, option: int = 0) -> str:
    offer = core.s.offer
    assert offer is not None
    request_id = core.pick(
        SelectOptionInput(option_id=offer.options[option].option_id, offer_version=offer.version), world.now
    )
    world.drain(core)
    return request_id


def booked(world: World | None = None) -> tuple[SchedulingCore, World]:
    core, world = offered(world)
    book(core, world)
    assert core.state == S.SCHEDULED
    return core, world


def assert_only_current_booking_live(core: SchedulingCore, world: World) -> None:
    booking = core.s.booking
    keys = {s.event_key for s in booking.sessions} if booking else set()
    assert world.live_events() == keys
    assert world.live_interviews() == keys


def test_happy_path_moves_only_through_the_table() -> None:
    core, world = booked()
    assert_only_current_booking_live(core, world)
    assert world.emails == {
        "schedule-501-201/offer/1": 1,
        "schedule-501-201/confirmation/schedule-501-201-b1": 1,
    }
    assert world.notes == {"schedule-501-201/booked/schedule-501-201-b1": 1}
    assert core.answer(next(iter(core.answers))) is not None
    while core.state != S.COMPLETED:
        assert world.advance_to_deadline(core)
        world.drain(core)
    assert all(allowed(a, e, b) for a, e, b in core.moves)
    assert core.finished


# --------------------------------------------------------------------- 1. outages past the budget


def test_mail_outage_at_reminder_time_does_not_end_the_request() -> None:
    core, world = offered()
    world.down.add(System.MAIL)
    world.advance_to_deadline(core)  # reminder 1 due
    world.drain(core)
    assert core.state == S.OFFERED and core.s.reminders_sent == 1
    assert any("email reminder" in f for f in core.s.failures)
    world.down.clear()
    while core.state == S.OFFERED:
        world.advance_to_deadline(core)
        world.drain(core)
    assert core.state == S.ESCALATED and "did not answer" in core.s.escalation_reason


def test_planner_outage_during_reschedule_keeps_the_booked_loop_and_escalates() -> None:
    core, world = booked()
    first = core.s.booking
    world.down.add(System.PLANNER)
    request_id = core.reschedule("candidate", "a conflict", "form-1", world.now)
    world.drain(core)
    assert core.state == S.ESCALATED and core.s.booking == first
    assert core.s.resume_state == S.SCHEDULED
    answer = core.answer(request_id)
    assert answer is not None and answer.final and answer.outcome == "escalated"
    assert_only_current_booking_live(core, world)  # the 2 events and 2 interviews, owned


def test_a_refused_candidate_address_escalates_with_the_reason() -> None:
    world = World(refused_address=True)
    core = new_core()
    core.start(world.now)
    world.drain(core)
    assert core.state == S.ESCALATED
    assert "address was refused" in core.s.escalation_reason


def test_a_404_while_gathering_closes_the_request_without_failing() -> None:
    world = World(application_missing=True)
    core = new_core()
    core.start(world.now)
    world.drain(core)
    assert core.state == S.CANCELLED and core.finished


def test_greenhouse_down_while_gathering_escalates_and_retries_hourly() -> None:
    world = World(down={System.GREENHOUSE})
    core = new_core()
    core.start(world.now)
    world.drain(core)
    assert core.state == S.ESCALATED
    deadline = core.deadline()
    assert deadline is not None and deadline[0] == world.now + POLICY.release_retry_after
    world.down.clear()
    world.advance_to_deadline(core)
    world.drain(core)
    assert core.state == S.OFFERED


# ------------------------------------------------------------------ 2. a pick never sticks in booking


def test_a_failed_option_check_leaves_booking_and_the_request_resumable() -> None:
    core, world = offered()
    world.down.add(System.PLANNER)
    request_id = book(core, world)
    assert core.state == S.ESCALATED and core.s.pending is None
    answer = core.answer(request_id)
    assert answer is not None and answer.final and answer.outcome == "unavailable"
    world.down.clear()
    core.recruiter_command(RecruiterCommandInput(command="resume", request_id="note-1"), world.now)
    world.drain(core)
    assert core.state == S.OFFERED


# ------------------------------------------------------------- 3. a retried booking never reuses keys


def test_a_compensated_booking_is_released_and_the_next_attempt_uses_new_keys() -> None:
    core, world = offered()
    world.down.add(System.GREENHOUSE)  # events get created, interviews do not
    book(core, world)
    assert core.state == S.ESCALATED
    assert world.live_events() == set() and world.events, "the first attempt's events were cancelled"
    world.down.clear()
    core.recruiter_command(RecruiterCommandInput(command="resume", request_id="note-2"), world.now)
    world.drain(core)
    book(core, world)
    assert core.state == S.SCHEDULED
    booking = core.s.booking
    assert booking is not None and booking.booking_id.endswith("-b2")
    assert all(s.event_key.startswith("schedule-501-201-b2-") for s in booking.sessions)
    assert_only_current_booking_live(core, world)


def test_a_write_whose_answer_was_lost_is_still_released() -> None:
    core, world = offered()
    world.down.add(System.GREENHOUSE)
    world.lose_answers = True  # the interviews exist, but the activity reported a failure
    book(core, world)
    world.down.clear()
    world.drain(core)
    assert core.state == S.ESCALATED
    assert world.live_events() == set() and world.live_interviews() == set()


# ------------------------------------------------------------------- 4. negotiation never double-books


def test_proposing_times_after_an_escalation_with_a_booking_is_refused() -> None:
    core, world = booked()
    session = core.s.booking.sessions[0] if core.s.booking else None
    assert session is not None
    world.now = session.start - timedelta(hours=10)
    core.declined(
        InterviewerDeclinedInput(session_id=session.session_id, user_id=session.interviewers[0]), world.now
    )
    world.drain(core)
    assert core.state == S.ESCALATED and core.s.booking is not None
    proposal = ProposeTimesInput(windows=[Interval(start=world.now, end=world.now + timedelta(days=5))])
    assert core.propose_problem(proposal, world.now) is not None


def test_a_new_booking_from_rescheduling_takes_over_and_releases_the_old_one() -> None:
    core, world = booked()
    first = core.s.booking
    assert first is not None
    core.reschedule("candidate", "", "form-2", world.now)
    world.drain(core)
    assert core.state == S.RESCHEDULING
    window = Interval(start=world.now + timedelta(days=1), end=world.now + timedelta(days=9))
    core.propose(ProposeTimesInput(windows=[window], request_id="form-3"), world.now)
    world.drain(core)
    assert core.state == S.RESCHEDULING
    book(core, world)
    assert core.state == S.SCHEDULED and core.s.booking is not None
    assert core.s.booking.booking_id != first.booking_id
    assert_only_current_booking_live(core, world)


# ---------------------------------------------------------------------- 5. every wait has an end


def test_escalated_without_a_booking_nudges_the_recruiter_then_closes() -> None:
    world = World(nothing_fits=True)
    core = new_core()
    core.start(world.now)
    world.drain(core)
    assert core.state == S.ESCALATED and core.s.booking is None
    nudges = 0
    while core.state == S.ESCALATED:
        before = core.s.nudges_sent
        assert world.advance_to_deadline(core)
        world.drain(core)
        nudges += core.s.nudges_sent > before
    assert core.state == S.CANCELLED
    assert nudges >= 5, "a nudge every 2 working days for 30 days"
    assert any("/nudge/" in key for key in world.notes)
    assert world.now - (core.s.escalated_at or world.now) >= POLICY.close_after


def test_escalation_shows_the_planners_top_relaxations() -> None:
    window = Relaxation(
        change="extend_candidate_window",
        detail="ask the candidate for 2 h 30 min more on Wed 24 Mar",
        patch={"candidate.availability": []},
        options_found=3,
    )
    person = Relaxation(
        change="add_interviewer",
        detail="add Priya Shah to the System Design pool",
        patch={"sessions.1.interviewers.pool": [1, 2]},
        options_found=1,
    )
    third = window.model_copy(update={"detail": "a third fix nobody reads"})
    blocker = Blocker(
        kind="candidate_window",
        detail="the candidate's windows hold 90 min",
        relaxations=[window, person, third],
    )
    world = World(nothing_fits=True, blockers=[blocker, Blocker(kind="room", detail="no room")])
    core = new_core()
    core.start(world.now)
    world.drain(core)
    assert core.state == S.ESCALATED
    expected = (
        "no interview loop can be offered: the candidate's windows hold 90 min (to fix: ask the candidate for "
        "2 h 30 min more on Wed 24 Mar, or add Priya Shah to the System Design pool); no room"
    )
    assert core.s.escalation_reason == expected
    note = next(body for key, body in world.note_bodies.items() if "/escalation/" in key)
    assert expected in note and "a third fix" not in note
    assert expected in render_details(core.status())


def test_blockers_without_relaxations_read_as_before() -> None:
    world = World(nothing_fits=True)
    core = new_core()
    core.start(world.now)
    world.drain(core)
    assert core.s.escalation_reason == "no interview loop can be offered: busy"


def test_the_first_nudge_comes_after_two_working_days() -> None:
    world = World(nothing_fits=True)  # Monday 09:00
    world.now = world.now + timedelta(days=4)  # Friday
    core = new_core()
    core.start(world.now)
    world.drain(core)
    deadline = core.deadline()
    assert deadline is not None and deadline[0].weekday() == 1, "Friday + 2 working days is Tuesday"


def test_paused_requests_nudge_and_close_too() -> None:
    core, world = offered()
    core.recruiter_command(RecruiterCommandInput(command="pause", request_id="note-3"), world.now)
    assert core.s.paused
    while core.state == S.OFFERED:
        assert world.advance_to_deadline(core)
        world.drain(core)
    assert core.state == S.CANCELLED
    assert not any("reminder" in key for key in world.emails), "no reminders while paused"


# ------------------------------------------------ 5b. a resume after a failure at offer time re-offers


def escalated_at_offer(*down: System, policy: SchedulingPolicy = POLICY) -> tuple[SchedulingCore, World]:
    """Gathered; then `down` fails every call past its budget until the core hands over."""
    world = World()
    core = new_core(policy)
    core.start(world.now)
    world.run(core, _next(core))  # gather
    world.down.update(down)
    world.drain(core)
    assert core.state == S.ESCALATED
    return core, world


def invitations(world: World) -> list[str]:
    return [key for key in world.emails if "/offer/" in key]


@pytest.mark.parametrize(
    ("down", "reason", "version"),
    [
        ({System.MAIL}, "invitation could not be emailed", 2),
        ({System.MAIL, System.GREENHOUSE}, "invitation could not be emailed", 2),  # the note fails too
        ({System.PLANNER}, "could not be planned", 1),
    ],
)
def test_a_resume_after_a_failure_at_offer_time_offers_again_with_one_invitation(
    down: set[System], reason: str, version: int
) -> None:
    core, world = escalated_at_offer(*down)
    assert reason in core.s.escalation_reason
    world.down.clear()  # the outage ends, then the recruiter resumes
    world.now += timedelta(minutes=5)
    core.recruiter_command(RecruiterCommandInput(command="resume", request_id="note-20"), world.now)
    world.drain(core)
    assert core.state == S.OFFERED
    answer = core.answer("note-20")
    assert answer is not None and answer.final and answer.message == wording.RESUMED_REPLANNING
    # A fresh offer version, so a fresh key: the failed invitation is never retried or duplicated.
    assert core.s.offer is not None and core.s.offer.version == version
    assert invitations(world) == [f"schedule-501-201/offer/{version}"]
    assert set(world.emails.values()) == {1}
    # The reminder clock starts at the new offer: nothing left over from the failed one fires early.
    assert core.deadline() == (
        world.now + POLICY.reminder_after[0],
        "the candidate to pick a time (reminder at the deadline)",
    )
    assert all(allowed(a, e, b) for a, e, b in core.moves)


def test_a_resume_while_the_escalation_email_still_retries_offers_right_after_it() -> None:
    world = World()
    core = new_core()
    core.start(world.now)
    world.run(core, _next(core))  # gather
    world.down.add(System.MAIL)
    while (command := _next(core)).kind != CommandKind.SEND_EMAIL or command.tag != "escalation/1":
        world.run(core, command)  # plan, the invitation (gives up), the escalation note
    assert core.state == S.ESCALATED  # the recruiter's email is in flight, the relay still down
    world.down.clear()
    core.recruiter_command(RecruiterCommandInput(command="resume", request_id="note-21"), world.now)
    world.run(core, command)  # the recruiter's email goes out once the relay is back
    world.drain(core)
    assert core.state == S.OFFERED and invitations(world) == ["schedule-501-201/offer/2"]
    assert world.log[-2:] == ["find_options:plan -> ok", "send_email:offer/2 -> ok"]


@pytest.mark.parametrize("down", [System.MAIL, System.GREENHOUSE, System.PLANNER])
def test_a_failure_at_reminder_time_keeps_the_offer_and_resume_changes_nothing(down: System) -> None:
    core, world = offered()
    world.down.add(down)
    world.advance_to_deadline(core)  # reminder 1
    world.drain(core)
    assert core.state == S.OFFERED and core.s.reminders_sent == 1
    world.down.clear()
    core.recruiter_command(RecruiterCommandInput(command="resume", request_id="note-22"), world.now)
    world.drain(core)
    assert core.state == S.OFFERED and core.answers["note-22"].message == wording.RESUMED
    assert invitations(world) == ["schedule-501-201/offer/1"]


def test_a_compressed_reminder_clock_escalates_a_resumed_offer_again_for_no_answer() -> None:
    """What a chaos run with reminders of seconds sees: the resume re-offers, then the clock of the
    new offer (never the failed one's) runs out and the request escalates again, for no answer."""
    seconds = timedelta(seconds=1)
    policy = POLICY.model_copy(
        update={"reminder_after": [3 * seconds, 6 * seconds], "escalate_after_last_reminder": 3 * seconds}
    )
    core, world = escalated_at_offer(System.MAIL, policy=policy)
    world.down.clear()
    world.now += timedelta(minutes=5)
    resumed_at = world.now
    core.recruiter_command(RecruiterCommandInput(command="resume", request_id="note-23"), world.now)
    world.drain(core)
    assert core.state == S.OFFERED and invitations(world) == ["schedule-501-201/offer/2"]
    while core.state == S.OFFERED:
        assert world.advance_to_deadline(core)
        world.drain(core)
    assert core.state == S.ESCALATED and core.s.escalation_reason == wording.NO_ANSWER
    assert world.now == resumed_at + 9 * seconds, "3 s + 6 s reminders, then 3 s after the last"
    assert sum(1 for key in world.emails if "/reminder/2/" in key) == 2
    events = [entry.event for entry in core.s.history][-4:]
    assert events == ["offered", "reminder_sent", "reminder_sent", "escalated"]


# ------------------------------------------------------------------- 6. commands have one effect


def test_a_retried_recruiter_command_has_one_effect_and_the_same_answer() -> None:
    core, world = booked()
    command = RecruiterCommandInput(command="reschedule", request_id="note-42")
    core.recruiter_command(command, world.now)
    world.drain(core)
    first = core.answer("note-42")
    invitations = sum(1 for key in world.emails if "/offer/" in key)
    core.recruiter_command(command, world.now)
    world.drain(core)
    assert core.answer("note-42") == first
    assert sum(1 for key in world.emails if "/offer/" in key) == invitations


def test_the_reschedule_limit_answers_truthfully() -> None:
    core, world = booked()
    core.reschedule("candidate", "", "form-a", world.now)
    world.drain(core)
    book(core, world)
    request_id = core.reschedule("candidate", "", "form-b", world.now)
    world.drain(core)
    answer = core.answer(request_id)
    assert answer is not None and "limit" in answer.message and "recruiter will take over" in answer.message
    assert core.state == S.ESCALATED


# ---------------------------------------------------------------------- 8. Temporal cancellation


def test_a_temporal_cancel_releases_tells_everyone_and_ends_cancelled() -> None:
    core, world = booked()
    booking = core.s.booking
    assert booking is not None
    core.temporal_cancel(world.now)
    assert core.state == S.CANCELLING and core.end_as_canceled
    world.drain(core)
    assert core.state == S.CANCELLED and core.finished
    assert world.live_events() == set() and world.live_interviews() == set()
    assert any("/cancellation/" in key and key.count("/") == 2 for key in world.emails)
    panel = {u for s in booking.sessions for u in s.interviewers}
    assert sum(1 for key in world.emails if key.count("/") == 4) == len(panel)


def test_a_cancel_during_booking_releases_the_attempt() -> None:
    core, world = offered()
    offer = core.s.offer
    assert offer is not None
    core.pick(SelectOptionInput(option_id=offer.options[0].option_id, offer_version=1), world.now)
    world.run(core, _next(core))  # check
    world.run(core, _next(core))  # create events
    core.cancel("candidate", "changed my mind", "form-c", world.now)
    world.drain(core)
    assert core.state == S.CANCELLED
    assert world.live_events() == set() and world.live_interviews() == set()


def _next(core: SchedulingCore) -> Command:
    command = core.next_command()
    assert command is not None, "expected a command"
    return command


# ----------------------------------------------------------------------------------- releases


def test_a_release_during_an_outage_is_retried_then_reported_after_a_week() -> None:
    core, world = booked()
    world.down.add(System.CALENDAR)
    core.cancel("recruiter", "", "note-9", world.now)
    world.drain(core)
    assert core.state == S.CANCELLING and core.s.releases
    assert any("/release-trouble/" in key for key in world.notes)
    while core.state == S.CANCELLING:
        assert world.advance_to_deadline(core)
        world.drain(core)
    assert core.state == S.CANCELLED and any("/release-gave-up/" in key for key in world.notes)


def test_an_outage_that_ends_lets_the_release_finish() -> None:
    core, world = booked()
    world.down.add(System.CALENDAR)
    core.cancel("recruiter", "", "note-10", world.now)
    world.drain(core)
    world.down.clear()
    world.advance_to_deadline(core)
    world.drain(core)
    assert core.state == S.CANCELLED and world.live_events() == set()


# ------------------------------------------------------------------------------------ page views


def test_refresh_only_when_options_are_stale() -> None:
    core, world = offered()
    assert not core.refresh(120, world.now)
    world.now += timedelta(minutes=5)
    assert core.refresh(120, world.now)
    world.drain(core)
    assert core.s.offer is not None and core.s.offer.version == 2
    assert not core.refresh(120, world.now), "just refreshed: fresh again"
    assert sum(1 for key in world.emails if "/offer/" in key) == 1, "a refresh is not an invitation"


def test_an_email_question_while_booking_is_forwarded_not_escalated() -> None:
    core, world = offered()
    offer = core.s.offer
    assert offer is not None
    core.pick(SelectOptionInput(option_id=offer.options[0].option_id, offer_version=1), world.now)
    core.candidate_replied(
        CandidateRepliedInput(intent="question", excerpt="Is there parking?", **FROM_CANDIDATE), world.now
    )
    world.drain(core)
    assert core.state == S.SCHEDULED
    assert any("/question/" in key for key in world.notes)


# ------------------------------------------- an interview deleted in Greenhouse during a replacement


def _decline_first_session(core: SchedulingCore, world: World) -> tuple[str, int]:
    booking = core.s.booking
    assert booking is not None
    session = booking.sessions[0]
    core.declined(
        InterviewerDeclinedInput(session_id=session.session_id, user_id=session.interviewers[0]), world.now
    )
    assert core.state == S.REPLACING_INTERVIEWER
    assert session.greenhouse_interview_id is not None
    return session.event_key, session.greenhouse_interview_id


def _delete_in_greenhouse(core: SchedulingCore, world: World, key: str, interview_id: int) -> None:
    world.interviews[key] = False
    core.interview_deleted(interview_id, world.now)


def _assert_deletion_sticks(core: SchedulingCore, world: World, key: str) -> None:
    booking = core.s.booking
    assert booking is not None
    assert core.state == S.ESCALATED and "deleted" in core.s.escalation_reason.lower()
    session = next(s for s in booking.sessions if s.event_key == key)
    assert session.greenhouse_interview_id is None, "the deleted interview came back into the booking"
    assert world.live_interviews() == {
        s.event_key for s in booking.sessions if s.greenhouse_interview_id is not None
    }
    assert world.live_events() == {s.event_key for s in booking.sessions}


def test_an_interview_deleted_before_the_replacement_updates_it_is_not_revived() -> None:
    core, world = booked()
    key, interview_id = _decline_first_session(core, world)
    _delete_in_greenhouse(core, world, key, interview_id)
    world.drain(core)
    assert core.s.replacements == 1
    _assert_deletion_sticks(core, world, key)


def test_an_interview_deleted_while_its_update_is_under_way_is_not_revived() -> None:
    core, world = booked()
    key, interview_id = _decline_first_session(core, world)
    for _ in range(20):
        command = core.next_command()
        assert command is not None
        if command.kind == CommandKind.UPDATE_INTERVIEW:
            _delete_in_greenhouse(core, world, key, interview_id)
        world.run(core, command)
        if command.kind == CommandKind.UPDATE_INTERVIEW:
            break
    world.drain(core)
    _assert_deletion_sticks(core, world, key)


def test_a_deletion_the_recruiter_handled_is_not_escalated_again_by_a_later_replacement() -> None:
    core, world = booked()
    booking = core.s.booking
    assert booking is not None
    gone = booking.sessions[1]
    assert gone.greenhouse_interview_id is not None
    _delete_in_greenhouse(core, world, gone.event_key, gone.greenhouse_interview_id)
    world.drain(core)
    assert core.state == S.ESCALATED
    core.recruiter_command(RecruiterCommandInput(command="resume", request_id="note-9"), world.now)
    world.drain(core)
    assert core.state == S.SCHEDULED
    escalations = core.s.escalations
    _decline_first_session(core, world)
    world.drain(core)
    assert core.state == S.SCHEDULED and core.s.replacements == 1
    assert core.s.escalations == escalations, "the handled deletion came back as a new escalation"


def test_a_deletion_during_a_replacement_that_fails_is_named_in_the_escalation() -> None:
    core, world = booked()
    key, interview_id = _decline_first_session(core, world)
    _delete_in_greenhouse(core, world, key, interview_id)
    world.down.add(System.PLANNER)  # the replacement cannot be planned
    world.drain(core)
    assert core.state == S.ESCALATED
    assert "deleted in Greenhouse" in core.s.escalation_reason


def test_a_retried_reschedule_before_the_application_was_read_has_one_effect() -> None:
    world = World(down={System.GREENHOUSE})
    core = new_core()
    core.start(world.now)
    world.drain(core)
    assert core.state == S.ESCALATED and core.s.context is None
    world.down.clear()
    first = core.reschedule("candidate", "", "form-7", world.now)
    world.drain(core)
    assert core.state == S.OFFERED and core.s.offer is not None
    assert core.answer(first) is not None and core.answer(first).outcome == "accepted"
    core.reschedule("candidate", "", "form-7", world.now)  # the same form, sent again
    world.drain(core)
    assert core.s.offer.version == 1
    assert sum(1 for key in world.emails if "/offer/" in key) == 1


def test_each_recipient_gets_their_own_reply_address_bound_to_the_request() -> None:
    """Notices to interviewers and escalations to recruiters name their recipient; all name the chain."""
    core, world = offered()
    core.chain_id = "0f1e2d3c-aaaa-bbbb-cccc-000000000000"
    before = len(world.sent)
    offer = core.s.offer
    assert offer is not None
    core.pick(SelectOptionInput(option_id=offer.options[0].option_id, offer_version=1), world.now)
    world.drain(core)
    core.cancel("recruiter", "role closed", "", world.now)
    world.drain(core)
    sent = world.sent[before:]
    assert {e.reply_role for e in sent if e.template == "interviewer_notice"} == {"interviewer"}
    assert all(e.reply_user_id and e.to for e in sent if e.template == "interviewer_notice")
    assert {e.reply_role for e in sent if e.template in ("confirmation", "cancellation")} == {"candidate"}
    assert all(e.chain_id == core.chain_id for e in sent)


# ------------------------------------------------------------------ a candidate who cannot be emailed


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"candidate_email": None}, "has no email address"),
        ({"candidate_email": None, "candidate_can_email": False}, '"can email"'),
    ],
)
def test_a_candidate_who_cannot_be_emailed_escalates_as_soon_as_options_exist(
    changes: dict[str, object], why: str
) -> None:
    world = World(context=CONTEXT.model_copy(update=changes))
    core = new_core()
    core.start(world.now)
    world.drain(core)

    assert core.state == S.ESCALATED and core.s.escalated_at == world.now  # not days later
    assert why in core.s.escalation_reason and "@Hireflow resume" in core.s.escalation_reason
    assert not [k for k in world.emails if "/offer/" in k]  # nobody was invited
    assert any(k.endswith("/escalation/1") for k in world.notes)
    assert all(allowed(a, e, b) for a, e, b in core.moves)

    # The recruiter adds the address in Greenhouse and resumes: Hireflow reads the profile again.
    world.context = CONTEXT
    request_id = core.recruiter_command(RecruiterCommandInput(command="resume", request_id="n-1"), world.now)
    world.drain(core)
    assert core.state == S.OFFERED and core.s.offer is not None
    assert world.emails[f"{core.wid}/offer/{core.s.offer.version}"] == 1
    answer = core.answer(request_id)
    assert answer is not None and answer.outcome == "accepted"


def test_before_the_patch_an_unreachable_candidate_waited_for_the_no_answer_escalation() -> None:
    world = World(context=CONTEXT.model_copy(update={"candidate_email": None}))
    request = new_core().request
    core = SchedulingCore(request, "schedule-501-201", strict=True, unreachable_2026_12=False)
    core.start(world.now)
    world.drain(core)
    assert core.state == S.OFFERED  # what running executions replay: unchanged


# --------------------------------------------------------- replies to addresses that are not the candidate's


def test_a_recruiters_emailed_cancel_changes_nothing() -> None:
    core, world = booked()
    booking = core.s.booking
    core.candidate_replied(
        CandidateRepliedInput(
            intent="cancel",
            excerpt="please cancel",
            sender="rita@acme.example",
            sender_authenticated=True,
            role="recruiter",
            user_id=11,
        ),
        world.now,
    )
    world.drain(core)
    assert core.state == S.SCHEDULED and core.s.booking == booking
    assert_only_current_booking_live(core, world)
    assert core.s.history[-1].event == "recruiter_replied"


def test_a_stranger_replying_to_an_interviewers_address_declines_nothing_and_is_reported() -> None:
    core, world = booked()
    booking = core.s.booking
    assert booking is not None
    interviewer = booking.sessions[0].interviewers[0]
    core.candidate_replied(
        CandidateRepliedInput(
            intent="decline",
            excerpt="I can't make it",
            sender="mallory@evil.example",
            sender_authenticated=True,
            role="interviewer",
            user_id=interviewer,
        ),
        world.now,
    )
    world.drain(core)
    assert core.state == S.SCHEDULED and core.s.booking == booking  # nobody was replaced
    assert_only_current_booking_live(core, world)
    [note] = [body for key, body in world.note_bodies.items() if "/reply-info/" in key]
    assert "mallory\\@evil.example" in note and wording.REPLY_NOT_FROM_INTERVIEWER in note  # quoted inert
