"""Recorded workflow histories: saved from test runs on request, replayed on every run.

`HIREFLOW_RECORD_HISTORIES=1 uv run pytest tests/test_workflow_scheduling_logic.py` rewrites
`tests/histories/<workflow>/<case>.json`; `tests/test_workflow_replay.py` replays them all against
the current code, so a change that would break running workflows fails CI.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from temporalio.client import WorkflowHandle

HISTORIES = Path(__file__).resolve().parents[1] / "histories"


def recording() -> bool:
    return os.environ.get("HIREFLOW_RECORD_HISTORIES") == "1"


async def save_history(handle: WorkflowHandle, workflow: str, case: str) -> Path:
    """Write the handle's full history as `<workflow>/<case>.json` (pretty, stable key order)."""
    history = await handle.fetch_history()
    path = HISTORIES / workflow / f"{re.sub(r'[^a-z0-9_]+', '_', case.lower())}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(history.to_json_dict(), indent=1, sort_keys=True) + "\n")
    return path
