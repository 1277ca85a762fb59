"""The `hireflow` command line. Each command group lives in its own module and registers itself here."""

from __future__ import annotations

import typer

from models.time_zones import use_pinned_tzdata
from starters import demo_cmd, dev_cmd, mail_cmd, plan_cmd, sandbox_cmd, schedule_cmd, web_cmd, worker_cmd

app = typer.Typer(
    name="hireflow",
    help="Hireflow: durable interview scheduling for Greenhouse, on Temporal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Hireflow: durable interview scheduling for Greenhouse, on Temporal."""


for module in (dev_cmd, demo_cmd, sandbox_cmd, plan_cmd, mail_cmd, schedule_cmd, worker_cmd, web_cmd):
    module.register(app)


def main() -> None:
    """Console-script entry point: zones come from the pinned tzdata package on every machine."""
    use_pinned_tzdata()
    app()


if __name__ == "__main__":
    main()
