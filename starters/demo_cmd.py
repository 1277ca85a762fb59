"""`hireflow demo`: the narrated end-to-end demo on the embedded stack (what `make demo` runs).

The demo and its stack are imported when the command runs, not when the CLI loads.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from starters import stack_options as opt
from starters.stack_options import DEMO_STATE_DIR as DEFAULT_STATE_DIR

if TYPE_CHECKING:
    from starters.demo import DemoOptions


class ScenarioChoice(StrEnum):
    book = "book"
    reschedule = "reschedule"
    decline = "decline"
    escalate = "escalate"
    assessment = "assessment"
    sourcing = "sourcing"


def log_to_file(path: Path) -> None:
    """Send this process's logs (worker, web app, stack) to `path` as JSON lines, off the terminal."""
    from integrations.logs import configure_logging

    configure_logging(fmt="json")
    root = logging.getLogger()
    handler = logging.FileHandler(path, encoding="utf-8")
    if root.handlers:
        handler.setFormatter(root.handlers[0].formatter)
    root.handlers[:] = [handler]


async def _run(options: DemoOptions) -> int:
    from starters.demo import DemoError, Timeline, run_demo
    from starters.local_secrets import LocalSecretsError
    from starters.ports import PortInUseError
    from starters.processes import ProcessFailedError

    timeline = Timeline(echo=typer.echo)
    logs = options.stack.state_dir / "logs"
    try:
        await run_demo(options, timeline)
    except DemoError as error:
        typer.echo(f"\ndemo failed: {error}", err=True)
        return 1
    except (PortInUseError, LocalSecretsError) as error:
        typer.echo(f"\nerror: {error}", err=True)
        return 1
    except ProcessFailedError as error:
        typer.echo(f"\nerror: {error} (logs in {logs}/)", err=True)
        return 1
    typer.echo(
        "Stopped cleanly."
        if options.keep_running
        else "\nThe stack is stopped (--keep-running leaves it up)."
    )
    return 0


def register(app: typer.Typer) -> None:
    """Add `hireflow demo`."""

    @app.command("demo")
    def demo(
        scenario: ScenarioChoice = typer.Option(
            ScenarioChoice.book,
            "--scenario",
            help="book: pick and book · reschedule: book, then move it · decline: an interviewer declines "
            "and is replaced · escalate: the candidate never answers · assessment: a take-home test "
            "taken, scored, advanced to Onsite and scheduled · sourcing: a CSV imported (created, matched, skipped) "
            "and a Greenhouse change pushed to the source's webhook.",
        ),
        keep_running: bool = typer.Option(
            False, "--keep-running", help="Leave the stack up after the timeline, until Ctrl-C."
        ),
        state_dir: Path = typer.Option(
            DEFAULT_STATE_DIR, "--state-dir", help="Demo state directory, wiped at start (logs in logs/)."
        ),
        host: opt.Host = opt.DEFAULTS.host,
        temporal_port: opt.TemporalPort = opt.DEFAULTS.temporal_port,
        temporal_ui_port: opt.TemporalUiPort = opt.DEFAULTS.temporal_ui_port,
        greenhouse_port: opt.GreenhousePort = opt.DEFAULTS.greenhouse_port,
        caldav_port: opt.CaldavPort = opt.DEFAULTS.caldav_port,
        smtp_port: opt.SmtpPort = opt.DEFAULTS.smtp_port,
        web_port: opt.WebPort = opt.DEFAULTS.web_port,
        assessments_port: opt.AssessmentsPort = opt.DEFAULTS.assessments_port,
        candidates: opt.Candidates = opt.DEFAULTS.candidates,
    ) -> None:
        """Run one demo scenario (default book: a recruiter's @mention, the candidate on the real page), narrated."""
        import asyncio

        from starters.demo import DemoError, DemoOptions, prepare_state_dir
        from starters.devstack import DevStackConfig
        from starters.leftovers import stop_leftovers
        from starters.ports import PortInUseError, ensure_ports_free

        config = DevStackConfig(
            state_dir=state_dir,
            host=host,
            temporal_port=temporal_port,
            temporal_ui_port=temporal_ui_port,
            greenhouse_port=greenhouse_port,
            caldav_port=caldav_port,
            smtp_port=smtp_port,
            web_port=web_port,
            assessments_port=assessments_port,
            candidates=candidates,
        )
        try:  # ports first: a demo still running with --keep-running must not lose its state dir
            stop_leftovers(state_dir)  # but servers a killed demo left behind go before the check
            ensure_ports_free(config.ports(), host)
            prepare_state_dir(state_dir)
        except (DemoError, PortInUseError) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from error
        log_to_file(state_dir / "logs" / "hireflow.log")
        options = DemoOptions(scenario=scenario.value, stack=config, keep_running=keep_running)
        try:
            code = asyncio.run(_run(options))
        except KeyboardInterrupt:
            typer.echo("\nInterrupted; the stack is stopped.", err=True)
            code = 130
        raise typer.Exit(code)
