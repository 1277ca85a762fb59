"""Every transition of the AssessmentWorkflow: state x event → possible next states.

The core refuses (in strict mode, as tests run it) any move the table does not list.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.assessments import AssessmentState as A
from workflows import state_diagram

TERMINAL = frozenset({A.COMPLETED, A.EXPIRED, A.CANCELLED})
LIVE = frozenset(set(A) - TERMINAL - {A.CANCELLING})

_TABLE: dict[tuple[A, str], frozenset[A]] = {}


def _t(sources: Iterable[A] | A, event: str, targets: Iterable[A] | A) -> None:
    src = [sources] if isinstance(sources, A) else list(sources)
    dst = frozenset([targets]) if isinstance(targets, A) else frozenset(targets)
    for state in src:
        _TABLE[(state, event)] = _TABLE.get((state, event), frozenset()) | dst


_t(A.GATHERING, "gathered", {A.INVITING, A.ESCALATED, A.CANCELLED})
_t(A.GATHERING, "gather_failed", A.ESCALATED)
_t(A.INVITING, "invited", A.WAITING)
_t(A.INVITING, "invite_failed", A.ESCALATED)
_t(A.WAITING, "provider_completed", A.SCORING)
_t(A.WAITING, "poll_due", A.SCORING)
_t(A.WAITING, "deadline_passed", A.SCORING)
_t(A.SCORING, "result", {A.WAITING, A.WRITING_BACK, A.SCORING, A.CANCELLING})
_t(A.SCORING, "result_failed", A.ESCALATED)
_t(A.WRITING_BACK, "written_back", {A.DECIDING, A.COMPLETED})
_t(A.WRITING_BACK, "write_back_failed", A.ESCALATED)
_t(A.DECIDING, "decided", A.COMPLETED)
_t(A.DECIDING, "decision_failed", A.ESCALATED)
_t(A.ESCALATED, "resume", {A.GATHERING, A.INVITING, A.SCORING, A.WRITING_BACK, A.DECIDING})
_t(LIVE, "cancel", A.CANCELLING)
_t(LIVE, "application_closed", A.CANCELLING)
_t(A.CANCELLING, "invitation_cancelled", {A.CANCELLED, A.EXPIRED})


def allowed(source: A, event: str, target: A) -> bool:
    return target in _TABLE.get((source, event), frozenset())


def transitions() -> list[tuple[A, str, A]]:
    """Every (source, event, target), for the diagram."""
    return sorted((s, e, t) for (s, e), targets in _TABLE.items() for t in targets)


def mermaid() -> str:
    """The state diagram (Mermaid `stateDiagram-v2`), one edge per source, target and its events."""
    edges = [(s.value, e, t.value) for s, e, t in transitions() if s != t]
    return state_diagram.mermaid(edges, [state.value for state in sorted(TERMINAL)])
