"""Every transition of the EventWorkflow: state x event → possible next states.

The core refuses (in tests) any move not listed here, and `docs/workflows.md` draws the event's state
diagram from it (`tests/test_event_core.py` keeps the drawing current).
"""

from __future__ import annotations

from collections.abc import Iterable

from models.event_io import EventState as E
from workflows import state_diagram

LIVE = frozenset({E.GATHERING, E.COLLECTING, E.PLANNING, E.BOOKING, E.RUNNING, E.ESCALATED})
TERMINAL = frozenset({E.COMPLETED, E.CANCELLED})


Transition = state_diagram.Transition[E]


def _t(sources: Iterable[E] | E, event: str, targets: Iterable[E] | E, why: str) -> Transition:
    return state_diagram.transition(sources, event, targets, why)


TRANSITIONS: tuple[Transition, ...] = (
    _t(E.GATHERING, "nobody", E.COMPLETED, "no active candidate is in the stage"),
    _t(E.GATHERING, "list_failed", E.ESCALATED, "Greenhouse could not be read; retried hourly"),
    _t(E.GATHERING, "gather_failed", E.ESCALATED, "no application could be read; retried hourly"),
    _t(E.GATHERING, "gathered", E.COLLECTING, "every candidate asked for their availability"),
    _t(E.GATHERING, "gathered", E.PLANNING, "no time left to ask, or nobody to ask: plan the whole days"),
    _t(E.COLLECTING, "all_answered", E.PLANNING, "every reachable candidate has answered"),
    _t(E.COLLECTING, "answers_due", E.PLANNING, "the answer deadline passed"),
    _t(E.PLANNING, "planned", E.BOOKING, "hand each planned loop to its scheduling request"),
    _t(E.PLANNING, "planned", E.RUNNING, "nobody new fits; the waitlist stays"),
    _t(E.PLANNING, "plan_failed", E.ESCALATED, "the planner could not run; retried hourly"),
    _t(E.BOOKING, "loops_started", E.RUNNING, "the scheduling requests book and look after the loops"),
    _t(E.RUNNING, "replan", E.PLANNING, "a place came free or a late answer came: fill from the waitlist"),
    _t(E.ESCALATED, "retry_due", {E.GATHERING, E.PLANNING}, "try again"),
    _t(LIVE, "event_over", E.COMPLETED, "the event's last day has ended"),
    _t(LIVE, "cancel", E.CANCELLED, "cancelled by a recruiter: every booked loop is cancelled too"),
)


def allowed(source: E, event: str, target: E) -> bool:
    """Whether the table lists this move."""
    return state_diagram.allows(TRANSITIONS, source, event, target)


def mermaid() -> str:
    """The state diagram (Mermaid `stateDiagram-v2`): one edge per source, target and event."""
    return state_diagram.table_mermaid(TRANSITIONS, ["completed", "cancelled"])
