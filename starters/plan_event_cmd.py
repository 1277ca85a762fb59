"""`hireflow plan-event EVENT.json`: plan a recruiting event (hireflow.event/v1) and print the event plan.

Same conventions as `hireflow plan`: JSON on stdout; bad input (unreadable file, bad JSON, a field that
fails validation) prints `hireflow plan-event: ...` naming the field on stderr and exits 2. The event's
models and the planner are imported when the command runs, not when the CLI loads.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from starters.plan_cmd import EXIT_BAD_INPUT

if TYPE_CHECKING:
    from models.events import Event


def _fail(message: str) -> NoReturn:
    typer.echo(f"hireflow plan-event: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def load_event(source: Path) -> Event:
    """Read and validate an event (`-` reads stdin); every failure names the file or the field."""
    from pydantic import ValidationError

    from models.events import Event

    where = "stdin" if str(source) == "-" else str(source)
    try:
        text = sys.stdin.read() if str(source) == "-" else source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {source}: {exc}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
    try:
        return Event.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{'.'.join(str(p) for p in err['loc']) or '(event)'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        ]
        _fail(f"{where} is not a valid hireflow.event/v1:\n  " + "\n  ".join(lines))


def register(app: typer.Typer) -> None:
    """Add `hireflow plan-event`."""

    @app.command("plan-event")
    def plan_event_command(
        event: Path | None = typer.Argument(None, help="hireflow.event/v1 JSON file ('-' for stdin)."),
        time_limit: float = typer.Option(10.0, "--time-limit", min=0.1, help="Time limit, seconds."),
        workers: int = typer.Option(1, "--workers", min=1, max=64, help="CP-SAT worker threads."),
        baseline: bool = typer.Option(
            False, "--baseline", help="Plan first-come-first-served instead (what recruiters do by hand)."
        ),
        schema: bool = typer.Option(False, "--schema", help="Print the event's JSON Schema and exit."),
        plan_schema: bool = typer.Option(
            False, "--plan-schema", help="Print the event plan's JSON Schema and exit."
        ),
    ) -> None:
        """Schedule many candidates at once (hireflow.event/v1 -> hireflow.event-plan/v1)."""
        if schema or plan_schema:
            from models.events import event_json_schema, event_plan_json_schema

            typer.echo(json.dumps(event_json_schema() if schema else event_plan_json_schema(), indent=2))
            return
        if event is None:
            _fail("missing EVENT.json (or pass --schema)")
        parsed = load_event(event)
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries the plan only; logs go to stderr
            if baseline:
                from planner.event_baseline import fcfs_plan

                result = fcfs_plan(parsed, explain=True)
            else:
                from planner.event_plan import plan_event  # import late: --schema and errors stay fast

                result = plan_event(parsed, time_limit=time_limit, workers=workers)
        typer.echo(result.model_dump_json(indent=2))
