"""`hireflow plan PROBLEM.json`: run the planner offline on an exported problem and print the plan JSON.

The problem's models and the planner are imported when the command runs, not when the CLI loads.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from models.scheduling import Problem

EXIT_BAD_INPUT = 2


def _fail(message: str) -> NoReturn:
    typer.echo(f"hireflow plan: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(problem)"


def load_problem(path: Path) -> Problem:
    """Read and validate a problem file; every failure names the file or the field."""
    from pydantic import ValidationError

    from models.scheduling import Problem

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {path}: {exc}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
    try:
        return Problem.model_validate(data)
    except ValidationError as exc:
        lines = [f"{_field(err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)]
        _fail(f"{path} is not a valid hireflow.problem/v1:\n  " + "\n  ".join(lines))


def register(app: typer.Typer) -> None:
    """Add `hireflow plan`."""

    @app.command("plan")
    def plan_command(
        problem: Path | None = typer.Argument(None, help="hireflow.problem/v1 JSON file ('-' for stdin)."),
        options: int | None = typer.Option(
            None, "--options", min=1, max=100, help="Override problem.options."
        ),
        time_limit: float = typer.Option(10.0, "--time-limit", min=0.01, help="Solver time limit, seconds."),
        workers: int = typer.Option(
            1, "--workers", min=1, max=64, help="CP-SAT worker threads (1 is deterministic)."
        ),
        schema: bool = typer.Option(False, "--schema", help="Print the problem's JSON Schema and exit."),
        plan_schema: bool = typer.Option(
            False, "--plan-schema", help="Print the plan's JSON Schema and exit."
        ),
    ) -> None:
        """Print the best loop options (hireflow.plan/v1) for a problem (hireflow.problem/v1)."""
        from pydantic import ValidationError

        from models.scheduling import Problem, plan_json_schema, problem_json_schema

        if schema or plan_schema:
            typer.echo(json.dumps(problem_json_schema() if schema else plan_json_schema(), indent=2))
            return
        if problem is None:
            _fail("missing PROBLEM.json (or pass --schema)")
        if str(problem) == "-":
            tmp = sys.stdin.read()
            try:
                parsed = Problem.model_validate_json(tmp)
            except ValidationError as exc:
                lines = [f"{_field(err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)]
                _fail("stdin is not a valid hireflow.problem/v1:\n  " + "\n  ".join(lines))
        else:
            parsed = load_problem(problem)
        if options is not None:
            parsed = parsed.model_copy(update={"options": options})
        from planner.search import plan  # import late: --schema and errors stay fast

        result = plan(parsed, time_limit=time_limit, workers=workers)
        typer.echo(result.model_dump_json(indent=2))
