"""Command-line options shared by `hireflow dev` and `hireflow demo`: where the embedded stack listens.

One definition of each option (name, help, default), so both commands move a port the same way.

The defaults are `DevStackConfig`'s (a test holds them equal), written out here because the command
definitions must not import the stack: `hireflow --help` would then load Temporal, the worker, the web
app and the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer


@dataclass(frozen=True)
class StackDefaults:
    """The defaults of `starters.devstack.DevStackConfig` that the commands expose as options."""

    host: str = "127.0.0.1"
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    greenhouse_port: int = 8700
    caldav_port: int = 5232
    smtp_port: int = 2525
    web_port: int = 8000
    assessments_port: int = 8710
    seed: int = 7
    candidates: int = 200


DEFAULTS = StackDefaults()
DEMO_STATE_DIR = Path(".hireflow/demo")  # `hireflow demo` wipes it at start (only with its marker file)

Host = Annotated[str, typer.Option(help="Loopback address to bind.")]
TemporalPort = Annotated[int, typer.Option(help="Temporal gRPC port.")]
TemporalUiPort = Annotated[int, typer.Option(help="Temporal Web UI port.")]
GreenhousePort = Annotated[int, typer.Option(help="Greenhouse sandbox port.")]
CaldavPort = Annotated[int, typer.Option(help="CalDAV (Radicale) port.")]
SmtpPort = Annotated[int, typer.Option(help="SMTP sink port.")]
WebPort = Annotated[int, typer.Option(help="Web app port (candidate pages, webhooks).")]
AssessmentsPort = Annotated[int, typer.Option(help="Embedded assessment provider port.")]
Candidates = Annotated[int, typer.Option(help="Candidates in the sandbox's organisation.")]
