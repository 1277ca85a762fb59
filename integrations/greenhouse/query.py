"""Typed list filters turned into Harvest v3 query strings (reference §2).

Timestamp filters use the pipe form `updated_at=gte|2024-01-01T00:00:00.000Z|lte|...` (never the
bracket form); id lists are comma-joined and may hold at most 50 ids, so longer lists are split into
chunks and listed one chunk at a time; booleans are `true`/`false`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

MAX_IDS_PER_REQUEST = 50
MAX_PER_PAGE = 500
MAX_FIELDS = 50


class TimeRange(BaseModel):
    """Bounds of a timestamp (`*_at`, timezone-aware datetimes) or date (`*_on`) filter.

    At most one lower bound (`gte`/`gt`) and one upper bound (`lte`/`lt`); use both for a two-sided
    window, which incremental syncs need because lists are ordered by id, not by time.
    """

    model_config = ConfigDict(frozen=True)

    gte: datetime | date | None = None
    gt: datetime | date | None = None
    lte: datetime | date | None = None
    lt: datetime | date | None = None

    @model_validator(mode="after")
    def _check(self) -> TimeRange:
        if self.gte is not None and self.gt is not None:
            raise ValueError("give at most one lower bound (gte or gt)")
        if self.lte is not None and self.lt is not None:
            raise ValueError("give at most one upper bound (lte or lt)")
        bounds = [b for b in (self.gte, self.gt, self.lte, self.lt) if b is not None]
        if not bounds:
            raise ValueError("a time range needs at least one bound")
        for bound in bounds:
            if isinstance(bound, datetime) and bound.tzinfo is None:
                raise ValueError(f"datetime bound {bound.isoformat()} must be timezone-aware")
        if len({type(b) is datetime for b in bounds}) > 1:
            raise ValueError("mix of date and datetime bounds; use one kind")
        low = self.gte if self.gte is not None else self.gt
        high = self.lte if self.lte is not None else self.lt
        if low is not None and high is not None and low > high:
            raise ValueError("lower bound is after the upper bound")
        return self

    def to_param(self) -> str:
        """The pipe-delimited value, lower bound first: `gte|<ts>|lte|<ts>`."""
        parts: list[str] = []
        for op in ("gte", "gt", "lte", "lt"):
            value = getattr(self, op)
            if value is not None:
                parts += [op, format_timestamp(value)]
        return "|".join(parts)


def format_timestamp(value: datetime | date) -> str:
    """UTC with milliseconds and `Z` for datetimes (the docs' form), ISO `YYYY-MM-DD` for dates."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"datetime {value.isoformat()} must be timezone-aware")
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value.isoformat()


def is_id_list(name: str) -> bool:
    """`ids` and every `*_ids` parameter are id lists subject to the 50-id limit."""
    return name == "ids" or name.endswith("_ids")


def encode_value(name: str, value: Any) -> str:
    """One query value in Harvest's wire form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, TimeRange):
        return value.to_param()
    if isinstance(value, datetime | date):
        raise TypeError(f"{name}: pass a TimeRange, not a bare {type(value).__name__}")
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(str(v) for v in value)
    return str(value)


def build_params(filters: dict[str, Any], *, fields: Sequence[str] | None = None) -> dict[str, str]:
    """Encode filters (None values dropped) and the `fields` projection; id lists must be ≤ 50 here."""
    if (
        "created_at" in filters
        and "updated_at" in filters
        and filters["created_at"]
        and filters["updated_at"]
    ):
        raise ValueError("Harvest asks not to combine created_at and updated_at filters in one request")
    params: dict[str, str] = {}
    for name, value in filters.items():
        if value is None:
            continue
        if is_id_list(name) and len(value) > MAX_IDS_PER_REQUEST:
            raise ValueError(f"{name} holds {len(value)} ids; at most {MAX_IDS_PER_REQUEST} per request")
        params[name] = encode_value(name, value)
    if fields is not None:
        names = list(dict.fromkeys(["id", *fields]))
        if len(names) > MAX_FIELDS:
            raise ValueError(f"fields lists {len(names)} attributes; at most {MAX_FIELDS}")
        params["fields"] = ",".join(names)
    return params


def check_per_page(per_page: int | None) -> None:
    """`per_page` must be within 1..500 (Harvest answers 422 otherwise)."""
    if per_page is not None and not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")


def chunk_id_filters(filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield one filter dict per combination of ≤50-id chunks (the cartesian product over id lists).

    Ids are de-duplicated first. An explicitly empty id list matches nothing, so nothing is yielded
    (sending no filter would list everything instead).
    """
    chunked: dict[str, list[list[int]]] = {}
    for name, value in filters.items():
        if value is None or not is_id_list(name):
            continue
        if isinstance(value, str | bytes) or not isinstance(value, Sequence | set | frozenset):
            raise TypeError(f"{name} must be a list of ids")
        ids = list(dict.fromkeys(int(v) for v in value))
        if not ids:
            return
        chunked[name] = [ids[i : i + MAX_IDS_PER_REQUEST] for i in range(0, len(ids), MAX_IDS_PER_REQUEST)]
    names = list(chunked)
    for combo in itertools.product(*(chunked[n] for n in names)):
        yield {**filters, **dict(zip(names, combo, strict=True))}
