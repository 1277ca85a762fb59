"""Every transition of the SchedulingWorkflow, in one table: state x event → possible next states.

The core refuses (in tests) any move this table does not list, and `docs/workflows.md` draws its
state diagram from it (`tests/test_scheduling_table.py` keeps the drawing current). Self-loops are
listed where something happens that a recruiter would want to see on the diagram (a reminder, a
nudge, a retry); events that change nothing are not transitions.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.messages import SchedulingState as S
from workflows import state_diagram

PICKING = frozenset({S.OFFERED, S.NEGOTIATING, S.RESCHEDULING})
LIVE = frozenset(set(S) - {S.CANCELLING, S.COMPLETED, S.CANCELLED})
TERMINAL = frozenset({S.COMPLETED, S.CANCELLED})


Transition = state_diagram.Transition[S]


def _t(sources: Iterable[S] | S, event: str, targets: Iterable[S] | S, why: str) -> Transition:
    return state_diagram.transition(sources, event, targets, why)


def _stay(states: Iterable[S] | S, event: str, why: str) -> tuple[Transition, ...]:
    """A self-loop worth drawing, one per state (not a move between them)."""
    each = [states] if isinstance(states, S) else sorted(states)
    return tuple(_t(state, event, state, why) for state in each)


TRANSITIONS: tuple[Transition, ...] = (
    # --- gathering and the first offer -------------------------------------------------------------
    *_stay(S.GATHERING, "gathered", "plan the first options"),
    _t(S.GATHERING, "gather_failed", S.ESCALATED, "Greenhouse could not be read; retried hourly"),
    _t(S.GATHERING, "application_missing", S.CANCELLED, "the application no longer exists"),
    _t({S.GATHERING, S.ESCALATED}, "options_found", S.OFFERED, "invite the candidate"),
    _t(S.GATHERING, "options_found", S.ESCALATED, "nothing fits"),
    *_stay(S.ESCALATED, "options_found", "still nothing fits"),
    _t(S.GATHERING, "plan_failed", S.ESCALATED, "the planner could not run"),
    # --- the candidate picks, proposes, waits ------------------------------------------------------
    _t(PICKING, "pick", S.BOOKING, "re-check the option, then book it"),
    _t(
        {S.OFFERED, S.NEGOTIATING, S.ESCALATED}, "propose", S.NEGOTIATING, "plan inside the candidate's times"
    ),
    _t(S.RESCHEDULING, "propose", S.RESCHEDULING, "plan inside the candidate's times"),
    *_stay(PICKING, "options_found", "new options sent"),
    _t(PICKING, "options_found", S.ESCALATED, "nothing fits any more"),
    _t(PICKING, "plan_failed", S.ESCALATED, "the planner could not run"),
    *_stay(PICKING, "reminder_due", "remind the candidate"),
    _t(PICKING, "answer_overdue", S.ESCALATED, "no answer after the reminders"),
    _t(PICKING, "candidate_unreachable", S.ESCALATED, "options found, but the candidate cannot be emailed"),
    _t(S.RESCHEDULING, "loop_ended", S.COMPLETED, "the booked loop took place meanwhile"),
    _t(PICKING, "invitation_failed", S.ESCALATED, "the invitation could not be sent"),
    # --- booking ---------------------------------------------------------------------------------
    *_stay(S.BOOKING, "option_checked", "create the calendar events"),
    _t(S.BOOKING, "option_taken", PICKING, "fresh options; the pick is answered 'taken'"),
    _t(S.BOOKING, "check_failed", S.ESCALATED, "the pick could not be re-checked"),
    *_stay(S.BOOKING, "events_created", "record the Greenhouse interviews"),
    _t(S.BOOKING, "interviews_recorded", S.SCHEDULED, "confirm; release the loop it replaces"),
    _t(S.BOOKING, "booking_failed", S.ESCALATED, "compensate what was created, then escalate"),
    # --- a booked loop ---------------------------------------------------------------------------
    *_stay(S.SCHEDULED, "rsvp_due", "read the interviewers' responses"),
    _t(S.SCHEDULED, "declined", {S.REPLACING_INTERVIEWER, S.ESCALATED}, "replace, or escalate if late"),
    _t(S.SCHEDULED, "reschedule", S.ESCALATED, "the reschedule limit is reached"),
    _t(
        {S.SCHEDULED, S.ESCALATED},
        "options_found",
        {S.RESCHEDULING, S.ESCALATED},
        "new options for a booked loop",
    ),
    _t(S.SCHEDULED, "plan_failed", S.ESCALATED, "the planner could not run"),
    _t(S.SCHEDULED, "confirmation_failed", S.ESCALATED, "the candidate was not told of the booking"),
    _t({S.SCHEDULED, S.ESCALATED}, "loop_ended", S.COMPLETED, "the last session has ended"),
    _t({S.SCHEDULED, S.RESCHEDULING}, "interview_deleted", S.ESCALATED, "deleted in Greenhouse"),
    _t(
        S.REPLACING_INTERVIEWER,
        "replacement_found",
        S.REPLACING_INTERVIEWER,
        "update the event and interview",
    ),
    _t(S.REPLACING_INTERVIEWER, "replacement_done", S.SCHEDULED, "tell the newcomer, note it"),
    _t(S.REPLACING_INTERVIEWER, "replacement_failed", S.ESCALATED, "nobody fits, or a write failed"),
    # --- escalated: waiting for a recruiter, never forever ----------------------------------------
    _t(
        {S.SCHEDULED, *PICKING},
        "question",
        S.ESCALATED,
        "the candidate asked something by email",
    ),
    _t(S.ESCALATED, "resume", {S.SCHEDULED, S.GATHERING}, "back to the loop, or read Greenhouse again"),
    *_stay(S.ESCALATED, "resume", "plan fresh options"),
    _t(S.ESCALATED, "retry_due", S.GATHERING, "read Greenhouse again"),
    *_stay({S.ESCALATED, *PICKING}, "nudge_due", "remind the recruiter"),
    _t({S.ESCALATED, *PICKING}, "close_due", S.CANCELLING, "closed after the limit, with notice"),
    *_stay(S.ESCALATED, "plan_failed", "the planner could not run"),
    # --- cancelling: from anywhere, released before it ends ---------------------------------------
    _t(LIVE, "cancel", S.CANCELLING, "release everything, tell everyone"),
    _t(LIVE, "temporal_cancel", S.CANCELLING, "a cancel request from the Temporal UI or CLI"),
    _t(LIVE, "application_closed", S.CANCELLING, "rejected, hired or deleted in Greenhouse"),
    _t(S.CANCELLING, "released", S.CANCELLED, "done once every effect is gone"),
    *_stay(S.CANCELLING, "retry_due", "try a release again after an outage"),
)


def allowed(source: S, event: str, target: S) -> bool:
    """Whether the table lists this move."""
    return state_diagram.allows(TRANSITIONS, source, event, target)


def mermaid() -> str:
    """The state diagram (Mermaid `stateDiagram-v2`): one edge per source, target and event."""
    return state_diagram.table_mermaid(TRANSITIONS, ["completed", "cancelled"])
