"""What the event page shows and reads back: each event day cut into blocks, and checked blocks as windows.

Pure functions from the workflow's `AvailabilityView` to small view objects the template prints, and
from the submitted form back to `Interval`s. A block's form value is its UTC start
(`20261202T0900Z`), so the answer does not depend on the zone the page was shown in; the server
recomputes the blocks from the view on every post and accepts only those values, so an answer can
never name a time outside the event's days. Checked blocks that touch are merged into one window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from integrations.mail.timefmt import EN_DASH, format_clock, format_day, format_range, zone_label
from models.event_io import AvailabilityView
from models.scheduling import Interval, Placement
from models.time_order import in_time_order

BLOCK_MINUTES = 60  # one checkbox per hour: quick to fill; the planner's finer grid works inside the window
MAX_WINDOWS = 60  # AvailabilityInput.windows' bound
KEY_FORMAT = "%Y%m%dT%H%MZ"


class AnswerError(ValueError):
    """A submitted answer the page refuses as a whole (nothing is recorded)."""


@dataclass(frozen=True)
class Block:
    key: str
    start: datetime
    end: datetime
    label: str
    checked: bool


@dataclass(frozen=True)
class DayBlocks:
    key: str
    heading: str
    zone: str
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedLine:
    when: str
    name: str


def block_minutes(granularity_minutes: int) -> int:
    """Hourly blocks when the event's grid divides an hour (every policy allows it), else its grid."""
    if 0 < granularity_minutes <= BLOCK_MINUTES and BLOCK_MINUTES % granularity_minutes == 0:
        return BLOCK_MINUTES
    return max(granularity_minutes, 5)


def block_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(KEY_FORMAT)


def day_blocks(days: list[Interval], minutes: int) -> list[tuple[Interval, list[Interval]]]:
    """Each event day (UTC interval, in time order) cut into blocks from its start; the last may be short."""
    step = timedelta(minutes=minutes)
    out: list[tuple[Interval, list[Interval]]] = []
    for day in sorted(days, key=lambda d: d.start):
        blocks: list[Interval] = []
        start = day.start
        while start < day.end:
            end = min(start + step, day.end)
            blocks.append(Interval(start=start, end=end))
            start = end
        out.append((day, blocks))
    return out


def _covered(block: Interval, windows: Iterable[Interval]) -> bool:
    return any(w.start <= block.start and block.end <= w.end for w in windows)


def blocks_view(view: AvailabilityView, tz_name: str) -> list[DayBlocks]:
    """The form's days and checkboxes in `tz_name`, pre-checked where the candidate's windows cover them."""
    tz = ZoneInfo(tz_name)
    out: list[DayBlocks] = []
    for day, blocks in day_blocks(view.days, block_minutes(view.granularity_minutes)):
        local_day = day.start.astimezone(tz)
        rows = []
        for b in blocks:
            ls, le = b.start.astimezone(tz), b.end.astimezone(tz)
            label = f"{format_clock(ls)}{EN_DASH}{format_clock(le)}"
            if ls.date() != local_day.date():  # a day that crosses midnight in the candidate's zone
                label = f"{ls:%a} {label}"
            rows.append(Block(block_key(b.start), b.start, b.end, label, _covered(b, view.windows)))
        out.append(
            DayBlocks(
                key=block_key(day.start),
                heading=format_day(local_day),
                zone=zone_label(local_day, tz_name),
                blocks=rows,
            )
        )
    return out


def merge(blocks: Iterable[Interval]) -> list[Interval]:
    """Blocks in time order, touching or overlapping ones merged into one window."""
    merged: list[Interval] = []
    for b in sorted(blocks, key=lambda i: i.start):
        if merged and b.start <= merged[-1].end:
            if b.end > merged[-1].end:
                merged[-1] = Interval(start=merged[-1].start, end=b.end)
            continue
        merged.append(b)
    return merged


def parse_answer(
    view: AvailabilityView, block_values: list[str], day_values: list[str], none: bool
) -> list[Interval]:
    """The windows a posted form says (empty: "I can't make any of these times"); `AnswerError` if odd.

    Every value must name one of the view's blocks (or days); anything else refuses the whole answer.
    """
    if none:
        return []
    days = day_blocks(view.days, block_minutes(view.granularity_minutes))
    by_block = {block_key(b.start): b for _, blocks in days for b in blocks}
    by_day = {block_key(day.start): blocks for day, blocks in days}
    if len(block_values) > len(by_block) or len(day_values) > len(by_day):
        raise AnswerError("the answer names more times than the event has")
    chosen: dict[str, Interval] = {}
    for value in block_values:
        block = by_block.get(value)
        if block is None:
            raise AnswerError("the answer names a time that is not one of the event's")
        chosen[value] = block
    for value in day_values:
        blocks = by_day.get(value)
        if blocks is None:
            raise AnswerError("the answer names a day that is not one of the event's")
        chosen.update((block_key(b.start), b) for b in blocks)
    if not chosen:
        raise AnswerError("choose at least one time, or press “I can't make any of these times”")
    windows = merge(chosen.values())
    if len(windows) > MAX_WINDOWS:
        raise AnswerError(f"the answer has more than {MAX_WINDOWS} separate times")
    return windows


def window_lines(windows: list[Interval], tz_name: str) -> list[str]:
    return [format_range(w.start, w.end, tz_name) for w in sorted(windows, key=lambda w: w.start)]


def planned_lines(
    placements: list[Placement], tz_name: str, session_names: Mapping[str, str] | None = None
) -> list[PlannedLine]:
    """The planned loop in time order, each session by its name with its full local date and zone.

    A session the view does not name (or names blank) is "Interview <n>", n its place in time order.
    """
    names = session_names or {}
    return [
        PlannedLine(
            format_range(p.start, p.end, tz_name), (names.get(p.session) or "").strip() or f"Interview {i}"
        )
        for i, p in enumerate(in_time_order(placements), start=1)
    ]
