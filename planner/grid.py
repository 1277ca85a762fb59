"""Time discretisation: the granularity grid relative to `horizon.start`, and local-calendar helpers.

Every start the solver may pick is a slot `k` meaning `horizon.start + k * granularity`. All other times
are integer minutes after `horizon.start`. Wall-clock hours are turned into instants per local date with
zoneinfo, so daylight-saving days get their real (23- or 25-hour) length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from models.scheduling import Interval, Problem

Mask = np.ndarray  # bool array indexed by slot k


def local_instant(day: date, minute_of_day: int, zone: ZoneInfo) -> datetime:
    """The instant of a wall-clock minute on a local date (`1440` is the next midnight).

    Nonexistent times (spring-forward gaps) resolve like zoneinfo's `fold=0`, i.e. with the offset in
    force before the transition, which lands them after the gap.
    """
    if minute_of_day >= 1440:
        day, minute_of_day = day + timedelta(days=1), minute_of_day - 1440
    naive = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60))
    return naive.replace(tzinfo=zone)


@dataclass
class Grid:
    """The slot grid of one problem plus cached local-date lookups per time zone."""

    problem: Problem
    g: int = 0
    horizon: int = 0
    slots: int = 0
    _dates: dict[str, tuple[np.ndarray, list[date]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._origin = self.problem.horizon.start.timestamp()
        self.g = self.problem.granularity_minutes
        self.horizon = self.problem.horizon_minutes
        self.slots = max(0, (self.horizon - 1) // self.g + 1) if self.horizon > 0 else 0

    # ------------------------------------------------------------------ conversions
    def minute(self, instant: datetime, *, up: bool = False) -> int:
        seconds = instant.timestamp() - self._origin
        return math.ceil(seconds / 60) if up else math.floor(seconds / 60)

    def busy_minutes(self, intervals: list[Interval]) -> list[tuple[int, int]]:
        """Busy intervals widened to whole minutes (conservative)."""
        return [(self.minute(i.start), self.minute(i.end, up=True)) for i in intervals]

    def window_minutes(self, intervals: list[Interval]) -> list[tuple[int, int]]:
        """Allowed windows narrowed to whole minutes (conservative)."""
        return [(self.minute(i.start, up=True), self.minute(i.end)) for i in intervals]

    def empty(self) -> Mask:
        return np.zeros(self.slots, dtype=bool)

    def full(self) -> Mask:
        return np.ones(self.slots, dtype=bool)

    def fits_horizon(self, duration: int) -> Mask:
        mask = self.empty()
        last = (self.horizon - duration) // self.g
        if last >= 0:
            mask[: min(self.slots, last + 1)] = True
        return mask

    # ------------------------------------------------------------------ masks
    def _cover(self, lo: np.ndarray, hi: np.ndarray) -> Mask:
        """Union of the inclusive slot ranges `[lo, hi]` (clipped), via a difference array."""
        lo = np.maximum(lo, 0)
        hi = np.minimum(hi, self.slots - 1)
        keep = lo <= hi
        diff = np.zeros(self.slots + 1, dtype=np.int32)
        np.add.at(diff, lo[keep], 1)
        np.add.at(diff, hi[keep] + 1, -1)
        return np.cumsum(diff[:-1]) > 0

    def starts_within(self, windows: list[tuple[int, int]], duration: int) -> Mask:
        """Slots whose `[t, t + duration)` lies inside one of `windows`."""
        if not windows:
            return self.empty()
        ab = np.array(windows, dtype=np.int64)
        return self._cover(-(-ab[:, 0] // self.g), (ab[:, 1] - duration) // self.g)

    def starts_touching(self, busy: list[tuple[int, int]], duration: int, pad: int = 0) -> Mask:
        """Slots whose `[t - pad, t + duration + pad)` overlaps one of `busy`."""
        if not busy:
            return self.empty()
        ab = np.array(busy, dtype=np.int64)
        return self._cover(-(-(ab[:, 0] - duration - pad + 1) // self.g), (ab[:, 1] + pad - 1) // self.g)

    # ------------------------------------------------------------------ local calendars
    def local_days(self, zone_name: str) -> tuple[np.ndarray, list[date]]:
        """Minute offsets of each local midnight around the horizon, and the matching dates."""
        if zone_name not in self._dates:
            zone = ZoneInfo(zone_name)
            first = self.problem.horizon.start.astimezone(zone).date() - timedelta(days=1)
            last = self.problem.horizon.end.astimezone(zone).date() + timedelta(days=1)
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
            marks = np.array([self.minute(local_instant(d, 0, zone)) for d in days], dtype=np.int64)
            self._dates[zone_name] = (marks, days)
        return self._dates[zone_name]

    def day_index(self, zone_name: str) -> np.ndarray:
        """For each slot, the index (into `local_days`) of its local date in that zone."""
        marks, _ = self.local_days(zone_name)
        starts = np.arange(self.slots, dtype=np.int64) * self.g
        return np.searchsorted(marks, starts, side="right") - 1

    def local_ranges(
        self, zone_name: str, per_weekday: dict[int, list[tuple[int, int]]]
    ) -> list[tuple[int, int]]:
        """Wall-clock ranges (minutes of day, keyed by weekday 0=Mon) as horizon minutes, date by date."""
        zone = ZoneInfo(zone_name)
        _, days = self.local_days(zone_name)
        out = []
        for d in days:
            for a, b in per_weekday.get(d.weekday(), []):
                out.append(
                    (self.minute(local_instant(d, a, zone), up=True), self.minute(local_instant(d, b, zone)))
                )
        return out


def runs(mask: Mask) -> list[list[int]]:
    """Maximal runs of True as inclusive `[first, last]` index pairs (for CP-SAT domains)."""
    if not mask.any():
        return []
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [[int(a), int(b) - 1] for a, b in zip(edges[::2], edges[1::2], strict=True)]
