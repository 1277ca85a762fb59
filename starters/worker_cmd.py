"""`hireflow worker`: the workflows and activities, on three task queues, until Ctrl-C."""

from __future__ import annotations

import asyncio

import typer

from integrations.logs import configure_logging
from models.settings import Settings, get_settings
from starters.schedules import ensure_schedules
from workers.client import connect
from workers.main import run_worker


async def _run(settings: Settings, with_schedules: bool) -> None:
    if with_schedules:
        await ensure_schedules(await connect(settings), settings)
    await run_worker(settings)


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
        settings = get_settings()
        configure_logging(settings.log_level, settings.log_format)
        asyncio.run(_run(settings, with_schedules))
