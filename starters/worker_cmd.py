"""`hireflow worker`: the workflows and activities, on three task queues, until Ctrl-C."""

from __future__ import annotations

import asyncio

import typer

from integrations.logs import configure_logging
from models.settings import get_settings
from workers.main import run_worker


def register(app: typer.Typer) -> None:
    """Add `hireflow worker`."""

    @app.command("worker")
    def worker() -> None:
        """Run a worker: scheduling workflows, Harvest, calendar, mail and planner activities."""
        settings = get_settings()
        configure_logging(settings.log_level, settings.log_format)
        asyncio.run(run_worker(settings))
