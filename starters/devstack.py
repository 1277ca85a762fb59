"""The embedded stack of `hireflow dev`: every service on loopback, started and stopped as one.

Each component is an async context manager; an `AsyncExitStack` starts them in order and tears them
down in reverse, whether the stack ends by Ctrl-C, SIGTERM or a component dying.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from integrations.logs import get_logger
from starters.ports import ensure_ports_free
from starters.processes import ManagedProcess
from starters.temporal_dev import temporal_dev_server

log = get_logger(__name__)


@dataclass(frozen=True)
class DevStackConfig:
    """Where the stack keeps its files and which loopback ports it binds."""

    state_dir: Path = Path(".hireflow")
    host: str = "127.0.0.1"
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    greenhouse_port: int = 8700
    seed: int = 7
    candidates: int = 200
    rate_limit: int = 75
    rate_window_seconds: float = 30.0

    def ports(self) -> dict[str, int]:
        return {
            "Temporal gRPC": self.temporal_port,
            "Temporal Web UI": self.temporal_ui_port,
            "Greenhouse sandbox": self.greenhouse_port,
        }


@dataclass
class Endpoint:
    """One line of what `hireflow dev` prints: a service and how to reach it."""

    name: str
    url: str
    note: str = ""


def greenhouse_sandbox_process(config: DevStackConfig) -> ManagedProcess:
    """The Greenhouse sandbox as a child process, its data in a SQLite file that survives restarts."""
    base_url = f"http://{config.host}:{config.greenhouse_port}"

    async def ready() -> bool:
        try:
            async with httpx.AsyncClient(timeout=2) as http:
                response = await http.get(f"{base_url}/_sandbox/seed")
            return response.status_code == 200
        except httpx.HTTPError:
            return False

    argv = [
        sys.executable,
        "-m",
        "starters.cli",
        "sandbox",
        "greenhouse",
        "--host",
        config.host,
        "--port",
        str(config.greenhouse_port),
        "--seed",
        str(config.seed),
        "--candidates",
        str(config.candidates),
        "--rate-limit",
        str(config.rate_limit),
        "--rate-window",
        str(config.rate_window_seconds),
        "--database-url",
        f"sqlite:///{(config.state_dir / 'greenhouse.db').resolve()}",
    ]
    return ManagedProcess("greenhouse-sandbox", argv, config.state_dir / "logs" / "greenhouse.log", ready)


@dataclass
class DevStack:
    """Starts the embedded services in order; `endpoints` says where each one listens."""

    config: DevStackConfig
    endpoints: list[Endpoint] = field(default_factory=list)
    processes: list[ManagedProcess] = field(default_factory=list)
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    async def __aenter__(self) -> DevStack:
        config = self.config
        ensure_ports_free(config.ports(), config.host)
        config.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            temporal = await self._stack.enter_async_context(
                temporal_dev_server(
                    config.state_dir, config.host, config.temporal_port, config.temporal_ui_port
                )
            )
            self.processes.append(temporal)
            self.endpoints += [
                Endpoint("Temporal gRPC", f"{config.host}:{config.temporal_port}", "namespace default"),
                Endpoint("Temporal Web UI", f"http://{config.host}:{config.temporal_ui_port}"),
            ]
            sandbox = await self._stack.enter_async_context(greenhouse_sandbox_process(config))
            self.processes.append(sandbox)
            self.endpoints.append(
                Endpoint(
                    "Greenhouse sandbox",
                    f"http://{config.host}:{config.greenhouse_port}/v3",
                    f"token http://{config.host}:{config.greenhouse_port}/token, "
                    "client id hireflow-sandbox, secret sandbox-secret",
                )
            )
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.aclose()

    async def wait_until_stopped(self) -> str:
        """Block until SIGINT/SIGTERM or a child dies; return the reason."""
        stop = asyncio.Event()
        reason = "stopped"
        loop = asyncio.get_running_loop()

        def on_signal(name: str) -> None:
            nonlocal reason
            reason = f"received {name}"
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal, sig.name)
        try:
            while not stop.is_set():
                dead = [p for p in self.processes if p.exited()]
                if dead:
                    reason = f"{dead[0].name} exited unexpectedly; see {dead[0].log_path}"
                    break
                try:
                    await asyncio.wait_for(stop.wait(), timeout=0.5)
                except TimeoutError:
                    pass
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
        return reason
