"""The `hireflow` command line. Each command group lives in its own module and registers itself here.

Loading the CLI defines the commands and nothing more: each command imports what it needs (the dev
stack, the worker, the web app, the sandbox, OR-Tools) when it runs, so `hireflow --help` starts at
once. `tests/test_cli_startup.py` holds this; `benchmarks/cli_startup.py` measures it.
"""

from __future__ import annotations

import typer

from models.time_zones import use_pinned_tzdata
from starters import (
    assessments_cmd,
    demo_cmd,
    dev_cmd,
    doctor_cmd,
    event_cmd,
    gdpr_cmd,
    keys_cmd,
    mail_cmd,
    plan_cmd,
    plan_event_cmd,
    sandbox_cmd,
    schedule_cmd,
    source_cmd,
    sync_cmd,
    web_cmd,
    worker_cmd,
)

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


for module in (
    dev_cmd,
    demo_cmd,
    sandbox_cmd,
    plan_cmd,
    plan_event_cmd,
    mail_cmd,
    schedule_cmd,
    assessments_cmd,
    event_cmd,
    sync_cmd,
    source_cmd,
    worker_cmd,
    web_cmd,
    keys_cmd,
    doctor_cmd,
    gdpr_cmd,
):
    module.register(app)


def main() -> None:
    """Console-script entry point: zones come from the pinned tzdata package on every machine."""
    use_pinned_tzdata()
    app()


if __name__ == "__main__":
    main()
