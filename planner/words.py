"""How blockers and relaxations name people, sessions, spans and days for a recruiter."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from models.scheduling import Problem, Session


def span(minutes: int) -> str:
    """`45 min`, `1 h 30 min`, `4 h 00 min`."""
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def day(instant: datetime, zone: str) -> str:
    """`Wed 24 Mar` in the given zone."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b}"


def clock(instant: datetime, zone: str) -> str:
    return f"{instant.astimezone(ZoneInfo(zone)):%H:%M}"


def session(s: Session) -> str:
    """A session as a recruiter knows it: its name, else its id."""
    return s.name or f"session {s.id}"


class People:
    """Interviewer names when the caller knows them (the workflow does), else `interviewer 104`."""

    def __init__(self, problem: Problem, names: Mapping[int, str] | None) -> None:
        self.problem, self.names = problem, dict(names or {})

    def __call__(self, pid: int) -> str:
        return self.names.get(pid) or f"interviewer {pid}"

    def many(self, pids: list[int]) -> str:
        named = [self(p) for p in pids]
        return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
