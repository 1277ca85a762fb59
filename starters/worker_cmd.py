"""`hireflow worker`: the workflows and activities, on three task queues, until Ctrl-C.

The worker is imported when the command runs, not when the CLI loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from models.settings import Settings


async def _run(settings: Settings, with_schedules: bool) -> None:
    from starters.schedules import ensure_schedules
    from workers.client import connect
    from workers.main import run_worker

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
        import asyncio

        from integrations.logs import configure_logging
        from models.settings import get_settings

        settings = get_settings()
        configure_logging(settings.log_level, settings.log_format)
        asyncio.run(_run(settings, with_schedules))
