"""`hireflow plan`: JSON out on success, a clear error naming the field and exit status 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from typer.testing import CliRunner

from models.scheduling import Plan, Problem
from planner.validate import validate
from starters.cli import app

PROBLEM: dict[str, Any] = {
    "format": "hireflow.problem/v1",
    "horizon": {"start": "2026-12-07T00:00:00Z", "end": "2026-12-09T00:00:00Z"},
    "candidate": {"time_zone": "Europe/London"},
    "sessions": [
        {"id": "s1", "name": "Screen", "duration_minutes": 45, "interviewers": {"pool": [1, 2], "count": 1}}
    ],
    "interviewers": [{"id": 1, "time_zone": "America/New_York"}, {"id": 2, "time_zone": "Asia/Kolkata"}],
}

runner = CliRunner()


def write(tmp_path: Path, content: str) -> str:
    path = tmp_path / "problem.json"
    path.write_text(content)
    return str(path)


def test_plan_prints_a_valid_plan(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "plan",
            write(tmp_path, json.dumps(PROBLEM)),
            "--options",
            "3",
            "--time-limit",
            "5",
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    plan = Plan.model_validate_json(result.stdout)
    problem = Problem.model_validate({**PROBLEM, "options": 3})
    assert plan.status == "optimal" and len(plan.options) == 3
    assert validate(problem, plan) == []


def test_schema_validates_the_example_and_rejects_nonsense(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", "--schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.validate(PROBLEM, schema)
    try:
        jsonschema.validate({**PROBLEM, "granularity_minutes": "fifteen"}, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("schema accepted a string granularity")
    plan_schema = json.loads(runner.invoke(app, ["plan", "--plan-schema"]).stdout)
    out = runner.invoke(app, ["plan", write(tmp_path, json.dumps(PROBLEM)), "--options", "1"]).stdout
    jsonschema.validate(json.loads(out), plan_schema)


def test_unreadable_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", str(tmp_path / "missing.json")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr and "missing.json" in result.stderr


def test_bad_json_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", write(tmp_path, '{"format": ')])
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr and "line 1" in result.stderr


def test_schema_error_names_the_field(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(PROBLEM))
    bad["sessions"][0]["duration_minutes"] = "long"
    bad["interviewers"][1]["time_zone"] = "Asia/Atlantis"
    result = runner.invoke(app, ["plan", write(tmp_path, json.dumps(bad))])
    assert result.exit_code == 2
    assert "sessions.0.duration_minutes" in result.stderr
    assert "interviewers.1.time_zone" in result.stderr
    assert result.stdout == ""
