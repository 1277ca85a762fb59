"""Recorded workflow histories: saved from test runs on request, replayed on every run.

`HIREFLOW_RECORD_HISTORIES=1 uv run pytest tests/test_workflow_scheduling_logic.py` writes
`tests/histories/<workflow>/<case>.json`; `tests/test_workflow_replay.py` replays them all against
the current code, so a change that would break running workflows fails CI. A continue-as-new
chain is saved run by run (`<case>_run<k>`): each run replays on its own. Files recorded before
the scheduling state machine (no `sm_` prefix) stand for executions still on the old code, and
`sm1_` files for state-machine executions created before the core fixes of 2026-12 (no patch marker);
keep them all.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from temporalio.client import Client, WorkflowHandle

HISTORIES = Path(__file__).resolve().parents[1] / "histories"


def recording() -> bool:
    return os.environ.get("HIREFLOW_RECORD_HISTORIES") == "1"


def _path(workflow: str, case: str) -> Path:
    return HISTORIES / workflow / f"{re.sub(r'[^a-z0-9_]+', '_', case.lower())}.json"


async def save_history(handle: WorkflowHandle, workflow: str, case: str) -> Path:
    """Write the history of every run of the handle's execution (one file when it never continued)."""
    client: Client = handle._client  # the handle's own client: the same namespace and converter
    run_id = handle.first_execution_run_id or handle.run_id or handle.result_run_id
    runs = []
    while True:
        history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        runs.append(history)
        last = history.events[-1] if history.events else None
        if last is None or not last.HasField("workflow_execution_continued_as_new_event_attributes"):
            break
        run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    paths = []
    for k, history in enumerate(runs, start=1):
        path = _path(workflow, case if len(runs) == 1 else f"{case}_run{k}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(history.to_json_dict(), indent=1, sort_keys=True) + "\n")
        paths.append(path)
    return paths[0]
