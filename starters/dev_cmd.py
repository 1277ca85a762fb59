"""`hireflow dev`: the whole embedded stack on loopback until Ctrl-C."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from integrations.logs import configure_logging
from starters.devstack import DevStack, DevStackConfig
from starters.ports import PortInUseError
from starters.processes import ProcessFailedError
from starters.stack_options import (
    DEFAULTS,
    CaldavPort,
    Candidates,
    GreenhousePort,
    Host,
    SmtpPort,
    TemporalPort,
    TemporalUiPort,
    WebPort,
)


async def _run(config: DevStackConfig) -> int:
    try:
        async with DevStack(config) as stack:
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
    except ProcessFailedError as error:
        typer.echo(f"error: {error}", err=True)
        return 1


def register(app: typer.Typer) -> None:
    """Add `hireflow dev`."""

    @app.command("dev")
    def dev(
        state_dir: Path = typer.Option(
            Path(".hireflow"), "--state-dir", help="Where the stack keeps its data."
        ),
        host: Host = DEFAULTS.host,
        temporal_port: TemporalPort = DEFAULTS.temporal_port,
        temporal_ui_port: TemporalUiPort = DEFAULTS.temporal_ui_port,
        greenhouse_port: GreenhousePort = DEFAULTS.greenhouse_port,
        caldav_port: CaldavPort = DEFAULTS.caldav_port,
        smtp_port: SmtpPort = DEFAULTS.smtp_port,
        web_port: WebPort = DEFAULTS.web_port,
        seed: int = typer.Option(DEFAULTS.seed, help="Seed of the sandbox's organisation."),
        candidates: Candidates = DEFAULTS.candidates,
    ) -> None:
        """Run the embedded stack: Temporal with its Web UI, Greenhouse sandbox, Radicale, SMTP sink, web app, worker."""
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
            seed=seed,
            candidates=candidates,
        )
        raise typer.Exit(asyncio.run(_run(config)))
