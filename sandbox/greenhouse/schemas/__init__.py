"""The Harvest v3 response schemas the sandbox serves (see README.md in this folder)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).parent

# Fields live Greenhouse sends although the generated schema omits them (harvest-v3.md §4.2).
LIVE_ADDENDA: dict[str, dict[str, Any]] = {
    "applications": {
        "job_interview_stage_id": {
            "type": ["integer", "null"],
            "description": "Live-only: id of the application's current job interview stage.",
        }
    }
}


@cache
def load_schema(resource: str) -> dict[str, Any]:
    """The JSON Schema of one list item of `/v3/<resource>`, including live-only fields."""
    path = SCHEMA_DIR / f"{resource}.json"
    if not path.is_file():
        raise KeyError(f"no schema for resource {resource!r}")
    schema: dict[str, Any] = json.loads(path.read_text())
    schema["properties"] = {**schema["properties"], **LIVE_ADDENDA.get(resource, {})}
    return schema


def field_names(resource: str) -> tuple[str, ...]:
    """Response field names of `resource`, in schema order."""
    return tuple(load_schema(resource)["properties"])
