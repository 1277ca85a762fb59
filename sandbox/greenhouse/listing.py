"""Generic Harvest v3 list semantics (harvest-v3.md §2): filters, `fields`, `per_page`, opaque cursors, `Link`.

A resource is described by a `ResourceSpec` (table + filters); `list_page` turns raw query parameters into a
SQL query ordered by `id` descending and returns one page plus the next cursor, if any.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlmodel import Session

from sandbox.greenhouse.errors import field_error, unprocessable
from sandbox.greenhouse.schemas import field_names, load_schema
from sandbox.greenhouse.tables import SandboxBase

MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 100
MAX_IDS = 50
MAX_FIELDS = 50
CURSOR_ERROR = "When passing a cursor, do not include other query params."
OPERATORS = {"gte": "__ge__", "gt": "__gt__", "lte": "__le__", "lt": "__lt__"}

Kind = Literal["ids", "int", "bool", "str", "istr", "enum", "time", "date", "any_of", "custom"]
Params = dict[str, str]


@dataclass(frozen=True)
class Filter:
    """One query parameter: how to parse it and which column it constrains.

    `any_of` matches an `ix_*` pipe-index column against a comma list; `custom` calls `apply(stmt, raw)`.
    """

    kind: Kind
    column: str | None = None
    enum: tuple[str, ...] = ()
    mapping: dict[str, str] | None = None
    apply: Callable[[Select[Any], str], Select[Any]] | None = None


@dataclass(frozen=True)
class ResourceSpec:
    """A `/v3/<name>` collection backed by `table`."""

    name: str
    table: type[SandboxBase]
    filters: dict[str, Filter] = field(default_factory=dict)
    defaults: Callable[[Select[Any], Params], Select[Any]] | None = None

    @property
    def scope(self) -> str:
        return f"harvest:{self.name}:list"

    @property
    def all_filters(self) -> dict[str, Filter]:
        return {
            "ids": Filter("ids", "id"),
            "created_at": Filter("time", "created_at"),
            "updated_at": Filter("time", "updated_at"),
            **self.filters,
        }


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


# --- value formatting -----------------------------------------------------------------------------------


def format_value(value: Any) -> Any:
    """Timestamps as `2024-01-01T00:00:00.000Z` (the spec examples' form), dates as `YYYY-MM-DD`."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            if value.utcoffset():
                value = value.astimezone(UTC)
            value = value.replace(tzinfo=None)
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


@cache
def temporal_fields(resource: str) -> frozenset[str]:
    """Fields whose values need formatting (schema `format: date-time` or `date`)."""
    props = load_schema(resource)["properties"]
    return frozenset(name for name, prop in props.items() if prop.get("format") in ("date-time", "date"))


def serialize(resource: str, row: SandboxBase, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The v3 object for `row`: every schema field present (nulls included), in schema order."""
    names = fields or field_names(resource)
    return {name: format_value(getattr(row, name)) for name in names}


def parse_timestamp(raw: str) -> datetime:
    """ISO-8601 with `Z` or an offset (naive means UTC) → aware UTC, the store's representation."""
    value = datetime.fromisoformat(raw.strip().replace(" ", "+"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- cursors -------------------------------------------------------------------------------------------


def encode_cursor(params: Params, after_id: int) -> str:
    raw = json.dumps({"q": sorted(params.items()), "after": after_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Params, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        params = {str(k): str(v) for k, v in data["q"]}
        return params, int(data["after"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise field_error("cursor", "is invalid") from exc


# --- parsing ---------------------------------------------------------------------------------------------


def _int_list(name: str, raw: str) -> list[int]:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > MAX_IDS:
        raise field_error(name, f"`{len(parts)}` items is more than the maximum of {MAX_IDS}")
    try:
        return [int(p) for p in parts]
    except ValueError as exc:
        raise field_error(name, "must be a comma-separated list of integers") from exc


def _bool(name: str, raw: str) -> bool:
    if raw == "true":
        return True
    if raw == "false":
        return False
    raise field_error(name, f"`{raw}` is not a boolean; use true or false")


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise field_error(name, f"`{raw}` is not an integer") from exc


def parse_bool(name: str, raw: str) -> bool:
    return _bool(name, raw)


def _ranges(name: str, raw: str, as_date: bool) -> list[tuple[str, Any]]:
    parts = raw.split("|")
    if len(parts) % 2 or not parts or len(parts) > 4:
        raise field_error(name, "must be `op|value` or `op|value|op|value` with op in gte, gt, lte, lt")
    result: list[tuple[str, Any]] = []
    for op, value in zip(parts[::2], parts[1::2], strict=True):
        if op not in OPERATORS:
            raise field_error(name, f"`{op}` is not an operator; use gte, gt, lte or lt")
        try:
            result.append((op, date.fromisoformat(value) if as_date else parse_timestamp(value)))
        except ValueError as exc:
            kind = "date (YYYY-MM-DD)" if as_date else "ISO-8601 timestamp"
            raise field_error(name, f"`{value}` is not a valid {kind}") from exc
    return result


def like_any(column: Any, values: list[Any]) -> ColumnElement[bool]:
    """Match a pipe-index column against any of `values`."""
    return or_(*(column.like(f"%|{v}|%") for v in values))


def apply_filter(stmt: Select[Any], spec: ResourceSpec, name: str, flt: Filter, raw: str) -> Select[Any]:
    table = spec.table
    column: Any = getattr(table, flt.column) if flt.column else None
    if flt.kind == "ids":
        return stmt.where(column.in_(_int_list(name, raw)))
    if flt.kind == "any_of":
        return stmt.where(like_any(column, _int_list(name, raw)))
    if flt.kind == "int":
        return stmt.where(column == _int(name, raw))
    if flt.kind == "bool":
        return stmt.where(column == _bool(name, raw))
    if flt.kind == "str":
        return stmt.where(column == raw)
    if flt.kind == "istr":
        return stmt.where(func.lower(column) == raw.lower())
    if flt.kind == "enum":
        if raw not in flt.enum:
            raise field_error(name, f"`{raw}` is not one of: {', '.join(flt.enum)}")
        return stmt.where(column == (flt.mapping or {}).get(raw, raw))
    if flt.kind in ("time", "date"):
        for op, value in _ranges(name, raw, flt.kind == "date"):
            stmt = stmt.where(getattr(column, OPERATORS[op])(value))
        return stmt
    if flt.kind == "custom" and flt.apply is not None:
        return flt.apply(stmt, raw)
    raise AssertionError(f"unhandled filter kind {flt.kind}")


def parse_fields(spec: ResourceSpec, raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    names = [f.strip() for f in raw.split(",") if f.strip()]
    if not names:
        raise field_error("fields", "must name at least one field")
    if len(names) > MAX_FIELDS:
        raise field_error("fields", f"`{len(names)}` items is more than the maximum of {MAX_FIELDS}")
    valid = field_names(spec.name)
    for name in names:
        if name not in valid:
            raise field_error("fields", f"`{name}` is not a valid field for {spec.name}")
    return tuple(dict.fromkeys(names))


def parse_per_page(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PER_PAGE
    value = _int("per_page", raw)
    if value > MAX_PER_PAGE:
        raise field_error("per_page", f"`{value}` number is greater than: {MAX_PER_PAGE}")
    if value < 1:
        raise field_error("per_page", f"`{value}` number is less than: 1")
    return value


def flatten(query: list[tuple[str, str]]) -> Params:
    """Multi-dict → dict; repeated keys are joined with commas (`ids=1&ids=2` ≡ `ids=1,2`)."""
    params: Params = {}
    for key, value in query:
        params[key] = f"{params[key]},{value}" if key in params else value
    return params


def build_query(spec: ResourceSpec, params: Params) -> Select[Any]:
    filters = spec.all_filters
    stmt: Select[Any] = select(spec.table)
    unknown = [k for k in params if k not in filters and k not in ("per_page", "fields")]
    if unknown:
        raise unprocessable(*({k: "is not a permitted query parameter"} for k in unknown))
    for name, raw in params.items():
        if name in filters:
            stmt = apply_filter(stmt, spec, name, filters[name], raw)
    if spec.defaults is not None:
        stmt = spec.defaults(stmt, params)
    return stmt


def list_page(session: Session, spec: ResourceSpec, query: list[tuple[str, str]]) -> Page:
    """One page of `spec` for the raw query string pairs of a request."""
    params = flatten(query)
    after: int | None = None
    if "cursor" in params:
        if len(params) > 1:
            raise unprocessable(CURSOR_ERROR)
        params, after = decode_cursor(params["cursor"])
    per_page = parse_per_page(params.get("per_page"))
    fields = parse_fields(spec, params.get("fields"))
    stmt = build_query(spec, params)
    id_col: Any = spec.table.id
    if after is not None:
        stmt = stmt.where(id_col < after)
    # Plain column rows, not ORM objects: a 500-row page of a 20,000-candidate org stays fast.
    names = fields or field_names(spec.name)
    columns = spec.table.__table__.c  # type: ignore[attr-defined]
    stmt = stmt.with_only_columns(id_col, *(columns[name] for name in names), maintain_column_froms=True)
    rows = session.execute(stmt.order_by(id_col.desc()).limit(per_page + 1)).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    temporal = temporal_fields(spec.name)
    items = [
        {
            name: format_value(value) if name in temporal else value
            for name, value in zip(names, row[1:], strict=True)
        }
        for row in rows
    ]
    return Page(items, encode_cursor(params, rows[-1][0]) if more and rows else None)
