"""Command-line options shared by `hireflow dev` and `hireflow demo`: where the embedded stack listens.

One definition of each option (name, help, default from `DevStackConfig`), so both commands move a
port the same way.
"""

from __future__ import annotations

from typing import Annotated

import typer

from starters.devstack import DevStackConfig

DEFAULTS = DevStackConfig()

Host = Annotated[str, typer.Option(help="Loopback address to bind.")]
TemporalPort = Annotated[int, typer.Option(help="Temporal gRPC port.")]
TemporalUiPort = Annotated[int, typer.Option(help="Temporal Web UI port.")]
GreenhousePort = Annotated[int, typer.Option(help="Greenhouse sandbox port.")]
CaldavPort = Annotated[int, typer.Option(help="CalDAV (Radicale) port.")]
SmtpPort = Annotated[int, typer.Option(help="SMTP sink port.")]
WebPort = Annotated[int, typer.Option(help="Web app port (candidate pages, webhooks).")]
Candidates = Annotated[int, typer.Option(help="Candidates in the sandbox's organisation.")]
