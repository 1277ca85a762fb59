"""Custom-field values written through `PATCH /v3/applications/{id}`: resolved by id or `name_key`, checked
against the field's `value_type`, and merged into the object's keyed `custom_fields` map.

Only the listed fields change (Harvest v1's documented rule for `custom_fields` writes: "passing an empty
array does nothing"); `null` clears a value. Values are checked the way Greenhouse refuses them: a 422
naming the field, never a silent coercion.
"""

from __future__ import annotations

import math
import re
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from sandbox.greenhouse import tables as t
from sandbox.greenhouse.bodies import CustomFieldValue
from sandbox.greenhouse.errors import field_error

SHORT_TEXT_MAX = 255
LONG_TEXT_MAX = 10_000
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text(limit: int) -> Any:
    return lambda v: isinstance(v, str) and len(v) <= limit


# value_type → (check, what the error says it must be). Types not listed accept any JSON primitive.
CHECKS: dict[str, tuple[Any, str]] = {
    "number": (_is_number, "a number"),
    "short_text": (_text(SHORT_TEXT_MAX), f"text of at most {SHORT_TEXT_MAX} characters"),
    "long_text": (_text(LONG_TEXT_MAX), f"text of at most {LONG_TEXT_MAX} characters"),
    "url": (
        lambda v: isinstance(v, str) and len(v) <= 2000 and v.startswith(("http://", "https://")),
        "an http(s) URL",
    ),
    "yes_no": (lambda v: isinstance(v, bool), "true or false"),
    "date": (lambda v: isinstance(v, str) and bool(DATE.fullmatch(v)), "a date (YYYY-MM-DD)"),
    "single_select": (lambda v: isinstance(v, str | int) and not isinstance(v, bool), "an option"),
    "currency": (
        lambda v: isinstance(v, dict) and _is_number(v.get("amount")) and isinstance(v.get("unit"), str),
        'an object {"amount": number, "unit": "USD"}',
    ),
}


def _field(session: Session, entry: CustomFieldValue, field_type: str) -> t.CustomField:
    stmt = select(t.CustomField).where(
        t.CustomField.field_type == field_type,  # type: ignore[arg-type]
        t.CustomField.active.is_not(False),  # type: ignore[union-attr]
    )
    if entry.custom_field_id is not None:
        stmt = stmt.where(t.CustomField.id == entry.custom_field_id)  # type: ignore[arg-type]
    else:
        stmt = stmt.where(t.CustomField.name_key == entry.name_key)  # type: ignore[arg-type]
    field = session.execute(stmt).scalars().first()
    if field is None:
        key = entry.custom_field_id if entry.custom_field_id is not None else entry.name_key
        raise field_error("custom_fields", f"`{key}` is not an active {field_type} custom field")
    return field


def merge_custom_fields(
    session: Session, current: dict[str, Any] | None, entries: list[CustomFieldValue], field_type: str
) -> dict[str, Any]:
    """The new keyed map: `current` with each entry's field set (or removed, for `null`)."""
    merged = dict(current or {})
    seen: set[str] = set()
    for entry in entries:
        field = _field(session, entry, field_type)
        if field.name_key in seen:
            raise field_error("custom_fields", f"`{field.name_key}` is given twice")
        seen.add(field.name_key)
        if entry.value is None:
            merged.pop(field.name_key, None)
            continue
        check, expected = CHECKS.get(field.value_type, (_is_primitive, "a text, number or boolean"))
        if not check(entry.value):
            raise field_error(f"custom_fields.{field.name_key}", f"must be {expected}")
        merged[field.name_key] = {"name": field.name, "type": field.value_type, "value": entry.value}
    return merged


def _is_primitive(value: Any) -> bool:
    return isinstance(value, str | bool | int) or _is_number(value)
