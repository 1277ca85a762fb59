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
    assert Path(data["hireflow"]).name.startswith("hireflow") and data["venv_bytecode"] in (True, False, None)
    assert set(data["modes"]) == {"cached", "uncached"}
    for per_command in data["modes"].values():
        assert set(per_command) == {"--help", "plan --help"}
        for stats in per_command.values():
            assert stats["runs"] == 1
            assert 0 < stats["min_ms"] <= stats["median_ms"] <= stats["p95_ms"] <= stats["max_ms"]
    assert isinstance(data["target_met"], bool)


# What `import starters.cli` (and so `hireflow --help`) must not load: each command imports these when it runs.
HEAVY = (
    "ortools",
    "fastapi",
    "temporalio.worker",
    "sandbox",
    "starters.devstack",
    "web.app",
    "radicale",
    "aiosmtpd",
    # and the rest of what the commands run on
    "temporalio",
    "sqlalchemy",
    "uvicorn",
    "matplotlib",
    "planner",
    "integrations",
    "activities",
    "workflows",
    "workers",
    "web",
)

_PROBE = """
import json, sys
import starters.cli
loaded = {"import": sorted(sys.modules)}
from typer.testing import CliRunner
runner = CliRunner()
for argv in (["--help"], ["dev", "--help"], ["demo", "--help"], ["sandbox", "greenhouse", "--help"],
             ["plan", "--help"], ["plan-event", "--help"], ["mail", "list", "--help"], ["schedule", "--help"], ["worker", "--help"],
             ["web", "--help"], ["web", "rule", "add", "--help"]):
    result = runner.invoke(starters.cli.app, argv)
    assert result.exit_code == 0, (argv, result.output)
loaded["help"] = sorted(sys.modules)
print(json.dumps(loaded))
"""


def _heavy(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_importing_the_cli_loads_no_command_machinery() -> None:
    """Neither `import starters.cli` nor printing any command's help imports the dev stack, the worker,
    the web app, the sandbox, OR-Tools or Temporal (a fresh interpreter, so nothing is cached). Typer itself
    loads pydantic to convert a command's parameters, so that one is not on the list."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    loaded = json.loads(done.stdout)
    assert _heavy(loaded["import"]) == []
    assert _heavy(loaded["help"]) == []


def test_stack_option_defaults_are_the_stacks() -> None:
    """The dev and demo commands spell out `DevStackConfig`'s defaults (importing it would load the stack)."""
    from dataclasses import asdict

    from starters.demo import DemoOptions
    from starters.devstack import DevStackConfig
    from starters.stack_options import DEFAULTS, DEMO_STATE_DIR

    stack = DevStackConfig()
    assert asdict(DEFAULTS) == {name: getattr(stack, name) for name in asdict(DEFAULTS)}
    assert stack.state_dir == Path(".hireflow")
    assert DemoOptions(scenario="book").stack.state_dir == DEMO_STATE_DIR
