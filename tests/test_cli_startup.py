"""`hireflow` starts at once: the benchmark runs, and importing the CLI loads no command's machinery."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_runs_as_a_script_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "cli_startup.json"
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/cli_startup.py",
            "--runs",
            "1",
            "--commands=--help,plan --help",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert json.loads(done.stdout[done.stdout.index("{\n") :]) == data
    assert data["benchmark"] == "cli_startup" and data["runs"] == 1 and data["target_ms"] == 500
    assert {"platform", "cpus", "processor"} <= set(data["machine"]) and data["generated"]
    assert Path(data["hireflow"]).name.startswith("hireflow")
    assert set(data["modes"]) == {"cached", "uncached"}
    for per_command in data["modes"].values():
        assert set(per_command) == {"--help", "plan --help"}
        for stats in per_command.values():
            assert stats["runs"] == 1
            assert 0 < stats["min_ms"] <= stats["median_ms"] <= stats["p95_ms"] <= stats["max_ms"]
    assert isinstance(data["target_met"], bool)
