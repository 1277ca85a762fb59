"""A loop as people read it: sessions by start time, whatever order the interview plan gave them.

The planner and the booking keep the plan's order (it names sessions and keys calendar events); every
view a person reads (the candidate's page, emails, invites, notes, the Temporal UI) lists sessions
through `in_time_order`, so 15:15 System Design comes before 17:15 Technical Deep Dive.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar


class Timed(Protocol):
    """Anything with a start instant: a placement, a booked session, a session in an email."""

    @property
    def start(self) -> datetime: ...


T = TypeVar("T", bound=Timed)


def in_time_order(items: Iterable[T]) -> list[T]:
    """`items` by start; a stable sort, so sessions starting together keep the plan's order."""
    return sorted(items, key=lambda item: item.start)
