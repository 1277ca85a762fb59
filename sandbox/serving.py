"""Running a sandbox inside another process (pytest, `hireflow dev`): a pre-bound socket, a uvicorn
server that leaves signal handling to its host, and the start/stop/admin lifecycle every sandbox shares."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Self

import httpx
import uvicorn
from starlette.types import ASGIApp


def bind(host: str, port: int, what: str) -> socket.socket:
    """Bind before uvicorn starts so port 0 resolves to a known free port and a taken port fails clearly."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot bind the {what} to {host}:{port}: {exc.strerror}") from exc
    sock.listen(128)
    sock.setblocking(False)
    return sock


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class BackgroundSandbox:
    """`async with Sandbox(...) as server:` serves `_app()` on a (free) port until the block ends.

    Subclasses name themselves (`what`), build their app, and may read their admin API once started.
    """

    what = "sandbox"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning") -> None:
        self.host = host
        self.port = port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None
        self._admin: httpx.AsyncClient | None = None

    def _app(self) -> ASGIApp:
        raise NotImplementedError

    def _access_log(self) -> bool:
        return self._log_level in ("info", "debug")

    async def _after_start(self) -> None:
        """Read what the running sandbox knows (its seed, say); the default reads nothing."""

    async def start(self) -> Self:
        self._sock = bind(self.host, self.port, self.what)
        self.port = self._sock.getsockname()[1]
        try:
            uv_config = uvicorn.Config(
                self._app(), log_level=self._log_level, lifespan="on", access_log=self._access_log()
            )
            self._server = EmbeddedServer(uv_config)
            self._task = asyncio.create_task(self._serve(self._server, self._sock))
            while not self._server.started:
                if self._task.done():
                    self._task.result()  # re-raise a startup failure, if uvicorn kept it
                    raise RuntimeError(f"the {self.what} stopped during startup")
                await asyncio.sleep(0.02)
            self._admin = httpx.AsyncClient(base_url=self.base_url, timeout=30.0)
            await self._after_start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        # uvicorn exits the process (SystemExit) when the lifespan fails; inside a host process that must be
        # an ordinary error instead.
        try:
            await server.serve(sockets=[sock])
        except SystemExit as exc:
            raise RuntimeError(
                f"the {self.what} failed to start (exit code {exc.code}); see the error logged above"
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

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def _admin_call(self, method: str, path: str, json: Any = None) -> Any:
        """One call of the running sandbox's `/_sandbox` admin API."""
        if self._admin is None:
            raise RuntimeError(f"the {self.what} is not running")
        response = await self._admin.request(method, path, json=json)
        response.raise_for_status()
        return response.json() if response.content else None
