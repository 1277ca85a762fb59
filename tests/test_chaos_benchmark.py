"""The chaos run in its small mode, on the real stack: outages past the old retry budget and worker kills
leave no failed workflow, nothing orphaned and nothing done twice (benchmarks/chaos.py; docs/chaos.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.chaos import ZERO_GOALS

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.integration


def test_small_chaos_run_meets_every_goal(tmp_path: Path) -> None:
    out = tmp_path / "chaos.json"
    # Its own process: the run configures logging and time zones for itself, not for this test worker.
    argv = [sys.executable, str(ROOT / "benchmarks" / "chaos.py"), "--small", "--out", str(out)]
    run = subprocess.run(
        [*argv, "--evidence", str(tmp_path / "evidence")], cwd=ROOT, capture_output=True, timeout=900
    )
    code = run.returncode
    assert out.exists(), run.stderr.decode(errors="replace")[-3000:]
    data = json.loads(out.read_text())
    assert code == 0, (
        json.dumps(data["totals"], indent=1)
        + "\n"
        + json.dumps([s for s in data["outages"] + data["kills"] if s["outcome"] != "ok"], indent=1)
    )
    totals = data["totals"]
    assert data["mode"] == "small" and data["goals_met"] is True
    assert totals["scenarios_run"] == 7 and totals["not_exercised"] == [] and totals["kills_not_fired"] == 0
    for goal in ZERO_GOALS:
        assert totals[goal] == 0, goal
    outages = {(s["mode"], s["system"], s["phase"]): s for s in data["outages"]}
    assert set(outages) == {
        ("ride_out", "greenhouse", "gather"),
        ("ride_out", "calendar", "pick"),
        ("ride_out", "calendar", "cancel"),
        ("give_up", "mail", "pick"),
        ("ride_out", "planner", "offer"),
    }
    for scenario in outages.values():
        assert scenario["exercised"], f"the outage never held up {scenario}"
        assert scenario["recovery_seconds"] is not None and scenario["effects"]["failed"] == 0
    booked = outages[("ride_out", "calendar", "pick")]
    assert booked["effects"]["live_sessions"] >= 1 and booked["states_seen"][-1] == "scheduled"
    assert outages[("ride_out", "calendar", "cancel")]["states_seen"][-1] == "cancelled"
    gave_up = outages[("give_up", "mail", "pick")]
    assert "escalated" in gave_up["states_seen"] and gave_up["resumed_by_recruiter"] is True
    assert gave_up["states_seen"][-1] == "scheduled"
    assert totals["kills_fired"] == 2
    for kill in data["kills"]:
        fired = kill["fired"]
        assert (fired["activity"], fired["occurrence"], fired["point"]) == (
            kill["activity"],
            kill["occurrence"],
            kill["point"],
        )
        assert kill["recovery_seconds"] is not None and kill["effects"]["live_sessions"] >= 1
    replacement = next(k for k in data["kills"] if k["step"] == "replacement")
    assert replacement["note"] == "replaced"
