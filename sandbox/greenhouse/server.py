"""Run the sandbox with uvicorn: in the background for tests (`SandboxServer`) or in the foreground (`serve`).

`SandboxServer`'s admin helpers go through the HTTP admin API (`/_sandbox/...`), so the same calls work
against a sandbox started elsewhere with `hireflow sandbox greenhouse`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import httpx
import uvicorn

from sandbox.greenhouse.app import create_app
from sandbox.greenhouse.config import SandboxConfig
from sandbox.greenhouse.seed import SeedSummary


def _bind(host: str, port: int) -> socket.socket:
    """Bind before uvicorn starts so port 0 resolves to a known free port and a taken port fails clearly."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot bind the Greenhouse sandbox to {host}:{port}: {exc.strerror}") from exc
    sock.listen(128)
    sock.setblocking(False)
    return sock


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host process (pytest, `hireflow dev`)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class SandboxServer:
    """`async with SandboxServer(config) as server:` runs a seeded sandbox on a free loopback port."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.config = config or SandboxConfig()
        self.host = host
        self.port = port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None
        self._admin: httpx.AsyncClient | None = None
        self._seed: SeedSummary | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> SandboxServer:
        self._sock = _bind(self.host, self.port)
        self.port = self._sock.getsockname()[1]
        try:
            app = create_app(self.config)
            uv_config = uvicorn.Config(
                app, log_level=self._log_level, lifespan="on", access_log=self._log_level in ("info", "debug")
            )
            self._server = _EmbeddedServer(uv_config)
            self._task = asyncio.create_task(self._serve(self._server, self._sock))
            while not self._server.started:
                if self._task.done():
                    self._task.result()  # re-raise a startup failure, if uvicorn kept it
                    raise RuntimeError("the Greenhouse sandbox stopped during startup")
                await asyncio.sleep(0.02)
            self._admin = httpx.AsyncClient(base_url=self.base_url, timeout=30.0)
            self._seed = SeedSummary.model_validate(await self._admin_call("GET", "/_sandbox/seed"))
        except BaseException:
            await self.stop()
            raise
        return self

    @staticmethod
    async def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
        # uvicorn exits the process (SystemExit) when the lifespan fails; inside a host process that must be
        # an ordinary error instead.
        try:
            await server.serve(sockets=[sock])
        except SystemExit as exc:
            raise RuntimeError(
                f"the Greenhouse sandbox failed to start (exit code {exc.code}); see the error logged above"
            ) from None

    async def stop(self) -> None:
        if self._admin is not None:
            await self._admin.aclose()
            self._admin = None
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await self._task
        if self._sock is not None:
            self._sock.close()
        self._server = self._task = self._sock = None

    async def wait(self) -> None:
        """Until the server stops by itself (or the caller is cancelled)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def __aenter__(self) -> SandboxServer:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- connection facts --------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def token_url(self) -> str:
        return self.base_url + "/token"

    @property
    def client_id(self) -> str:
        return self.config.client_id

    @property
    def client_secret(self) -> str:
        return self.config.client_secret

    @property
    def seed(self) -> SeedSummary:
        if self._seed is None:
            raise RuntimeError("the sandbox is not running")
        return self._seed

    @property
    def hireflow_user_id(self) -> int:
        return self.seed.hireflow_user_id

    # -- admin helpers (HTTP, /_sandbox) ---------------------------------------------------------------------

    async def _admin_call(self, method: str, path: str, json: Any = None) -> Any:
        if self._admin is None:
            raise RuntimeError("the sandbox is not running")
        response = await self._admin.request(method, path, json=json)
        response.raise_for_status()
        return response.json() if response.content else None

    async def set_rate_limit(self, limit: int, window_seconds: float) -> None:
        await self._admin_call(
            "POST", "/_sandbox/rate_limit", {"limit": limit, "window_seconds": window_seconds}
        )

    async def add_fault(
        self,
        path_prefix: str,
        status: int | None = None,
        error_rate: float = 1.0,
        latency_ms: int = 0,
        count: int | None = None,
        method: str | None = None,
    ) -> None:
        await self._admin_call(
            "POST",
            "/_sandbox/faults",
            {
                "path_prefix": path_prefix,
                "status": status,
                "error_rate": error_rate,
                "latency_ms": latency_ms,
                "count": count,
                "method": method,
            },
        )

    async def clear_faults(self) -> None:
        await self._admin_call("DELETE", "/_sandbox/faults")

    async def add_credential(self, client_id: str, client_secret: str, scopes: list[str]) -> int:
        """Add (or replace) a credential; returns the id of its integration service user."""
        result = await self._admin_call(
            "POST",
            "/_sandbox/credentials",
            {"client_id": client_id, "client_secret": client_secret, "scopes": scopes},
        )
        return int(result["service_user_id"])

    async def set_webhook(
        self, url: str | None, secret: str | None = None, retry_delays: list[float] | None = None
    ) -> None:
        await self._admin_call(
            "POST", "/_sandbox/webhooks", {"url": url, "secret": secret, "retry_delays": retry_delays}
        )

    async def webhook_deliveries(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._admin_call("GET", "/_sandbox/webhooks")
        return result

    async def set_token_ttl(self, seconds: int) -> None:
        await self._admin_call("POST", "/_sandbox/token_ttl", {"seconds": seconds})


async def serve(
    config: SandboxConfig,
    host: str = "127.0.0.1",
    port: int = 8700,
    log_level: str = "info",
    on_ready: Callable[[SandboxServer], None] | None = None,
) -> None:
    """Run the sandbox until cancelled (for `hireflow dev` and `hireflow sandbox`); `on_ready` gets the server."""
    server = SandboxServer(config, host=host, port=port, log_level=log_level)
    await server.start()
    try:
        if on_ready is not None:
            on_ready(server)
        await server.wait()
    finally:
        await server.stop()
