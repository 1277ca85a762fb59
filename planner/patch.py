"""Apply a relaxation's `patch` (dotted paths of the problem with new values) and get a problem back.

Paths name fields as they appear in the JSON (`loop.max_days`, `sessions.2.interviewers.pool`,
`interviewers.5.max_per_day`); a numeric part indexes a list. The result is validated again, so a patch
can never produce a problem the planner would not accept from a file.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from models.scheduling import Problem


class PatchError(ValueError):
    """A path that does not name a field of the problem."""


def apply_patch(problem: Problem, patch: dict[str, Any]) -> Problem:
    data = problem.model_dump(mode="json")
    for path, value in patch.items():
        parts = path.split(".")
        node: Any = data
        for part in parts[:-1]:
            node = _step(node, part, path)
        last = parts[-1]
        if isinstance(node, list):
            node[_index(node, last, path)] = value
        elif isinstance(node, dict):
            node[last] = value  # an unknown field fails validation below, naming it
        else:
            raise PatchError(f"{path}: not a field of the problem")
    try:
        return Problem.model_validate(data)
    except ValidationError as exc:
        raise PatchError(
            f"the patched problem is not valid: {exc.errors(include_url=False)[0]['msg']}"
        ) from exc


def _step(node: Any, part: str, path: str) -> Any:
    if isinstance(node, list):
        return node[_index(node, part, path)]
    if isinstance(node, dict) and isinstance(node.get(part), dict | list):
        return node[part]
    raise PatchError(f"{path}: {part!r} is not an object or list of the problem")


def _index(node: list[Any], part: str, path: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise PatchError(f"{path}: {part!r} is not an index of a list of {len(node)}")
    return int(part)
