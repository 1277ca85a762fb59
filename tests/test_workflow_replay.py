"""Replay every recorded history against the current workflow code.

A change that running executions would replay differently (a new activity, a reordered timer)
fails here unless it sits behind `workflow.patched`. Re-record with
`HIREFLOW_RECORD_HISTORIES=1 uv run pytest tests/test_workflow_scheduling_logic.py`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.support.histories import HISTORIES
from workflows import ALL_WORKFLOWS

RECORDED = sorted(HISTORIES.glob("*/*.json"))


def test_histories_are_recorded_for_every_workflow_path() -> None:
    cases = {path.stem for path in RECORDED}
    assert len(cases) >= 8, f"expected the recorded scheduling paths, found {sorted(cases)}"


@pytest.mark.parametrize("path", RECORDED, ids=[f"{p.parent.name}/{p.stem}" for p in RECORDED])
async def test_history_replays_with_current_code(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, json.loads(await asyncio.to_thread(path.read_text)))
    replayer = Replayer(workflows=ALL_WORKFLOWS, data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"
