"""The transition table is the one place that lists every move; the docs draw their diagram from it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from models.failure_policy import FailurePolicy
from models.messages import SchedulingState
from workflows.scheduling_core.table import TRANSITIONS, allowed, mermaid

DOCS = Path(__file__).resolve().parents[1] / "docs" / "workflows.md"


def test_the_state_diagram_in_the_docs_is_the_table() -> None:
    text = DOCS.read_text()
    found = re.search(
        r"<!-- state-diagram:begin -->\n```mermaid\n(.*?)\n```\n<!-- state-diagram:end -->", text, re.S
    )
    assert found, "docs/workflows.md lost its generated state diagram"
    assert found.group(1) == mermaid(), (
        "docs/workflows.md's diagram differs from workflows/scheduling_core/table.py; paste mermaid() in"
    )


def test_every_state_can_be_reached_and_left() -> None:
    reached = {SchedulingState.GATHERING} | {t for tr in TRANSITIONS for t in tr.targets}
    left = {s for tr in TRANSITIONS for s in tr.sources if tr.targets - {s}}
    assert reached == set(SchedulingState)
    terminal = {SchedulingState.COMPLETED, SchedulingState.CANCELLED}
    assert left | terminal == set(SchedulingState), "a state with no way out"


def test_the_table_refuses_moves_it_does_not_list() -> None:
    assert allowed(SchedulingState.OFFERED, "pick", SchedulingState.BOOKING)
    assert not allowed(SchedulingState.OFFERED, "pick", SchedulingState.SCHEDULED)
    assert not allowed(SchedulingState.CANCELLED, "pick", SchedulingState.BOOKING)


def _duration(td: timedelta) -> str:
    seconds = int(td.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


def test_the_failure_budgets_in_the_docs_are_the_defaults() -> None:
    text = (DOCS.parent / "failure-policy.md").read_text()
    found = re.search(r"<!-- failure-budgets:begin -->\n(.*?)\n<!-- failure-budgets:end -->", text, re.S)
    assert found, "docs/failure-policy.md lost its budget table"
    policy = FailurePolicy()
    rows = [
        f"| `{name}` | {_duration(b.initial)} x {b.backoff:g} up to {_duration(b.maximum_interval)} | "
        f"{_duration(b.give_up_after)} | {_duration(b.attempt_timeout)} | {b.maximum_attempts or 'unlimited'} |"
        for name in FailurePolicy.model_fields
        if (b := getattr(policy, name))
    ]
    assert found.group(1).splitlines()[2:] == rows
