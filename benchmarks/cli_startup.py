"""How long `hireflow --help` (and `hireflow <command> --help`) takes, as a whole process.

    uv run --frozen python benchmarks/cli_startup.py [--runs 20] [--out benchmarks/results/cli_startup.json]

Runs the virtual environment's `hireflow` console script (the one `uv sync` installs next to the
interpreter, which is what a person types; `python -m starters.cli` is a different start-up path) `--runs`
times per command, one process after the other, stdout and stderr discarded, and reports the wall-clock
median, p95 and max per command. Target: `hireflow --help` within 0.5 s (median, in both modes).

Two bytecode modes, because start-up is mostly imports and Python may have to compile every module:
  cached    PYTHONDONTWRITEBYTECODE unset and PYTHONPYCACHEPREFIX in a private temporary directory,
            filled by one untimed warm-up run per command: what anyone sees from the second run on.
  uncached  PYTHONDONTWRITEBYTECODE=1 and no PYTHONPYCACHEPREFIX: bytecode already on disk is used (the
            interpreter's standard library ships it) and every other module is compiled from source on
            every run. That is a machine that sets PYTHONDONTWRITEBYTECODE, such as our CI, whose virtual
            environment holds no bytecode (`venv_bytecode` in the JSON says whether this one did).
Neither mode writes into the source tree or the virtual environment.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.machine import machine_info

RESULTS = Path(__file__).resolve().parent / "results" / "cli_startup.json"
TARGET_MS = 500
COMMANDS = [
    "--help",
    "dev --help",
    "demo --help",
    "sandbox greenhouse --help",
    "plan --help",
    "mail list --help",
    "schedule --help",
    "worker --help",
    "web --help",
]
MODES = ("cached", "uncached")


def find_hireflow() -> Path:
    """The `hireflow` script of the environment this interpreter runs in (else the first on PATH)."""
    beside = Path(sys.executable).parent / ("hireflow.exe" if os.name == "nt" else "hireflow")
    if beside.is_file():
        return beside
    found = shutil.which("hireflow")
    if found is None:
        raise SystemExit("no `hireflow` script next to this Python or on PATH: run `uv sync` first")
    return Path(found)


def child_env(mode: str, pycache: Path) -> dict[str, str]:
    env = dict(os.environ)
    if mode == "uncached":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def venv_bytecode(hireflow: Path) -> bool | None:
    """Whether the script's environment holds compiled bytecode of typer (the CLI's largest import);
    None when no interpreter sits next to the script."""
    python = hireflow.with_name("python.exe" if os.name == "nt" else "python")
    if not python.exists():
        return None
    done = subprocess.run(
        [str(python), "-c", "import typer, pathlib; print(pathlib.Path(typer.__file__).parent)"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    return done.returncode == 0 and any(Path(done.stdout.strip(), "__pycache__").glob("main.*.pyc"))


def run_once(argv: list[str], env: dict[str, str]) -> float:
    """Seconds for one whole `hireflow ...` process; a non-zero exit is an error."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode(errors='replace')}")
    return elapsed


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 20 runs is the 19th fastest)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * share)) - 1]


def summarise(seconds: list[float]) -> dict[str, Any]:
    ms = [s * 1000 for s in seconds]
    return {
        "runs": len(ms),
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "max_ms": round(max(ms), 1),
        "min_ms": round(min(ms), 1),
    }


def measure(hireflow: Path, commands: list[str], modes: list[str], runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="hireflow-cli-bench-") as tmp:
        for mode in modes:
            env = child_env(mode, Path(tmp) / mode)
            per_command: dict[str, Any] = {}
            for command in commands:
                argv = [str(hireflow), *command.split()]
                run_once(argv, env)  # warm-up: fills the private bytecode cache (cached) or the OS file cache
                per_command[command] = summarise([run_once(argv, env) for _ in range(runs)])
                print(json.dumps({"mode": mode, "command": command, **per_command[command]}), flush=True)
            out[mode] = per_command
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20, help="timed runs per command and mode")
    ap.add_argument(
        "--commands",
        default=",".join(COMMANDS),
        help="comma-separated hireflow argument lists (default: --help and several `<command> --help`)",
    )
    ap.add_argument("--modes", default=",".join(MODES), help="bytecode modes: cached, uncached or both")
    ap.add_argument("--hireflow", type=Path, default=None, help="the script to run (default: the venv's)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if args.runs < 1 or not commands or not modes or set(modes) - set(MODES):
        ap.error("--runs must be >= 1, --commands non-empty, --modes within cached,uncached")
    hireflow = args.hireflow or find_hireflow()
    load_before = os.getloadavg()
    result: dict[str, Any] = {
        "benchmark": "cli_startup",
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(load_before),
        "python": platform.python_version(),
        "hireflow": str(hireflow),
        "venv_bytecode": venv_bytecode(hireflow),
        "runs": args.runs,
        "target_ms": TARGET_MS,
        "modes": measure(hireflow, commands, modes, args.runs),
    }
    result["machine"]["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    result["target_met"] = all(
        per_command["--help"]["median_ms"] <= TARGET_MS
        for per_command in result["modes"].values()
        if "--help" in per_command
    )
    text = json.dumps(result, indent=2)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
