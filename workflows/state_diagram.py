"""One Mermaid drawing for every workflow's transition table (docs/workflows.md shows each)."""

from __future__ import annotations

from collections.abc import Iterable


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
