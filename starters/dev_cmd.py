"""`hireflow dev`: the whole embedded stack on loopback until Ctrl-C.

The stack (Temporal, sandbox, worker, web app) is imported when the command runs, not when the CLI
loads: `hireflow --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from starters import stack_options as opt

if TYPE_CHECKING:
    from starters.devstack import DevStackConfig


async def _run(config: DevStackConfig) -> int:
    from starters.devstack import DevStack
    from starters.local_secrets import LocalSecretsError
    from starters.ports import PortInUseError
    from starters.processes import ProcessFailedError

    try:
        async with DevStack(config) as stack:
            stack.watch_signals()  # before the banner: a Ctrl-C right after it stops cleanly too
            width = max(len(e.name) for e in stack.endpoints)
            typer.echo("\nHireflow dev stack is up (Ctrl-C stops everything):\n")
            for endpoint in stack.endpoints:
                note = f"  ({endpoint.note})" if endpoint.note else ""
                typer.echo(f"  {endpoint.name.ljust(width)}  {endpoint.url}{note}")
            typer.echo(f"\n  State directory: {config.state_dir.resolve()}  (logs in logs/)\n")
            reason = await stack.wait_until_stopped()
            typer.echo(f"Stopping ({reason}) ...")
        typer.echo("Stopped cleanly.")
        return 0 if reason.startswith("received") else 1
    except PortInUseError as error:
        typer.echo(f"error: {error}", err=True)
        return 1
    except (ProcessFailedError, LocalSecretsError) as error:
        typer.echo(f"error: {error}", err=True)
        return 1


def register(app: typer.Typer) -> None:
    """Add `hireflow dev`."""

    @app.command("dev")
    def dev(
        state_dir: Path = typer.Option(
            Path(".hireflow"), "--state-dir", help="Where the stack keeps its data."
        ),
        host: opt.Host = opt.DEFAULTS.host,
        temporal_port: opt.TemporalPort = opt.DEFAULTS.temporal_port,
        temporal_ui_port: opt.TemporalUiPort = opt.DEFAULTS.temporal_ui_port,
        greenhouse_port: opt.GreenhousePort = opt.DEFAULTS.greenhouse_port,
        caldav_port: opt.CaldavPort = opt.DEFAULTS.caldav_port,
        smtp_port: opt.SmtpPort = opt.DEFAULTS.smtp_port,
        web_port: opt.WebPort = opt.DEFAULTS.web_port,
        assessments_port: opt.AssessmentsPort = opt.DEFAULTS.assessments_port,
        seed: int = typer.Option(opt.DEFAULTS.seed, help="Seed of the sandbox's organisation."),
        candidates: opt.Candidates = opt.DEFAULTS.candidates,
    ) -> None:
        """Run the embedded stack: Temporal with its Web UI, Greenhouse sandbox, Radicale, SMTP sink, web app, worker."""
        import asyncio

        from integrations.logs import configure_logging
        from starters.devstack import DevStackConfig

        configure_logging()
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
            seed=seed,
            candidates=candidates,
        )
        raise typer.Exit(asyncio.run(_run(config)))
