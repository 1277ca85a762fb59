"""`hireflow worker`: the workflows and activities, on three task queues, until Ctrl-C.

The worker is imported when the command runs, not when the CLI loads. In production it refuses to
start on public or weak secrets (`starters.secret_guard`), as `hireflow web` does: both share one
configuration, and a worker signs the links the web app verifies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from models.settings import Settings


async def _run(settings: Settings, with_schedules: bool) -> None:
    import asyncio

    from starters.schedules import ensure_schedules
    from workers.client import connect
    from workers.main import run_worker, stop_on_signals

    stop = asyncio.Event()
    stop_on_signals(stop)  # a SIGTERM while the schedules are written still stops gracefully
    if with_schedules:
        await ensure_schedules(await connect(settings), settings)
    await run_worker(settings, stop)


def register(app: typer.Typer) -> None:
    """Add `hireflow worker`."""

    @app.command("worker")
    def worker(
        with_schedules: bool = typer.Option(
            False,
            "--with-schedules",
            help="Also create (or update) the Temporal Schedules, such as the mention watch every 30 s.",
        ),
    ) -> None:
        """Run a worker: scheduling and mention-watch workflows, Harvest, calendar, mail and planner activities."""
        import asyncio

        from integrations.logs import configure_logging
        from integrations.payload_keys import PayloadKeyError
        from models.settings import get_settings
        from starters.secret_guard import exit_unless_real_secrets
        from workers.client import PayloadEncryptionNotConfiguredError

        settings = get_settings()
        exit_unless_real_secrets(settings)
        configure_logging(settings.log_level, settings.log_format)
        try:
            asyncio.run(_run(settings, with_schedules))
        except (PayloadEncryptionNotConfiguredError, PayloadKeyError) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from error
