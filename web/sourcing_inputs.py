"""The sourcing intake body, parsed row by row so a 422 names every bad row and field (values never echoed)."""

from __future__ import annotations

import json
from typing import Any

from models.sourcing import MAX_ROWS_PER_BATCH, RowProblem, SourcedCandidate, validate_row
from web import json_depth

MAX_PROBLEMS = 50


class BodyError(ValueError):
    """The body as a whole is unusable (not JSON, no `candidates` list, too many rows)."""


def parse_batch(raw: bytes) -> tuple[list[SourcedCandidate], list[RowProblem]]:
    """The rows, or the problems of every bad row (field paths like `emails.0`, row = index in candidates)."""
    try:
        json_depth.check_depth(raw)
        body: Any = json.loads(raw)
    except json_depth.TooDeepError as exc:
        raise BodyError("body nests too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BodyError("body is not JSON") from exc
    if not isinstance(body, dict) or set(body) != {"candidates"}:
        raise BodyError('body must be an object with exactly one key, "candidates"')
    rows = body["candidates"]
    if not isinstance(rows, list) or not rows:
        raise BodyError("candidates must be a non-empty list")
    if len(rows) > MAX_ROWS_PER_BATCH:
        raise BodyError(f"candidates holds more than {MAX_ROWS_PER_BATCH} rows; split the batch")
    return validate_rows(rows)


def validate_rows(rows: list[Any]) -> tuple[list[SourcedCandidate], list[RowProblem]]:
    candidates: list[SourcedCandidate] = []
    problems: list[RowProblem] = []
    for index, row in enumerate(rows):
        candidate, found = validate_row(row, index)
        if candidate is not None:
            candidates.append(candidate)
        problems += found
    return candidates, problems[:MAX_PROBLEMS]
