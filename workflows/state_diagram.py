"""Workflows' transition tables (state x event → possible next states) and their Mermaid drawings.

The scheduling and event cores list their moves as `Transition`s and refuse (in tests) any move a
table does not list; docs/workflows.md shows each table's drawing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

StateT = TypeVar("StateT", bound=StrEnum)


@dataclass(frozen=True)
class Transition(Generic[StateT]):
    sources: frozenset[StateT]
    event: str
    targets: frozenset[StateT]
    why: str


def transition(
    sources: Iterable[StateT] | StateT, event: str, targets: Iterable[StateT] | StateT, why: str
) -> Transition[StateT]:
    """One row of a table; a single state stands for itself."""
    src = frozenset([sources]) if isinstance(sources, StrEnum) else frozenset(sources)
    dst = frozenset([targets]) if isinstance(targets, StrEnum) else frozenset(targets)
    return Transition(src, event, dst, why)


def allows(table: Iterable[Transition[StateT]], source: StateT, event: str, target: StateT) -> bool:
    """Whether the table lists this move."""
    return any(source in t.sources and event == t.event and target in t.targets for t in table)


def table_mermaid(table: Iterable[Transition[StateT]], ends: Iterable[str]) -> str:
    """The drawing of a table: one edge per source, target and event."""
    edges = [
        (source.value, t.event, target.value)
        for t in table
        for source in sorted(t.sources)
        for target in sorted(t.targets)
    ]
    return mermaid(edges, ends)


def mermaid(edges: Iterable[tuple[str, str, str]], ends: Iterable[str], *, first: str = "gathering") -> str:
    """`stateDiagram-v2` with one arrow per (source, target), naming its events in the order given."""
    arrows: dict[tuple[str, str], list[str]] = {}
    for source, event, target in edges:
        events = arrows.setdefault((source, target), [])
        if event not in events:
            events.append(event)
    lines = ["stateDiagram-v2", f"    [*] --> {first}"]
    lines += [f"    {src} --> {dst}: {', '.join(names)}" for (src, dst), names in sorted(arrows.items())]
    lines += [f"    {end} --> [*]" for end in ends]
    return "\n".join(lines)
