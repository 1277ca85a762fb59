"""Drive an `OutageProxy` from another process: a tiny HTTP admin endpoint and its client.

A chaos harness that runs the proxy in its own process (`python -m sandbox.outage`) flips it with
`POST /down?mode=reset[&retry_after=30]`, `POST /up` and reads `GET /` (state and counters as JSON).
Plain asyncio streams, no web framework: it answers one request per connection and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from sandbox.outage.proxy import OutageProxy
from sandbox.outage.refusals import OutageMode

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


class OutageAdmin:
    """`async with OutageAdmin(proxy, port=0) as admin:` serves the switch of `proxy` at `admin.url`."""

    def __init__(self, proxy: OutageProxy, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.proxy = proxy
        self.host = host
        self._port = port
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the outage admin endpoint is not running")
        return f"http://{self.host}:{self._server.sockets[0].getsockname()[1]}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self._port, reuse_address=True)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> OutageAdmin:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(5):
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            method, target, _ = head.split("\r\n", 1)[0].split(" ", 2)
            status, body = await self._dispatch(method.upper(), target)
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            status, body = 400, {"error": "malformed request"}
        data = json.dumps(body).encode()
        with contextlib.suppress(OSError):
            writer.write(
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
                + data
            )
            await writer.drain()
            writer.close()
            await writer.wait_closed()

    async def _dispatch(self, method: str, target: str) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.path in ("/", "/stats"):
            return (200, self.proxy.describe()) if method == "GET" else (405, {"error": "use GET"})
        if parts.path not in ("/down", "/up"):
            return 404, {"error": f"no such endpoint {parts.path}"}
        if method != "POST":
            return 405, {"error": "use POST"}
        if parts.path == "/up":
            await self.proxy.up()
            return 200, self.proxy.describe()
        try:
            mode = OutageMode(query.get("mode", OutageMode.RESET.value))
            retry_after = int(query["retry_after"]) if query.get("retry_after") else 30
        except ValueError as exc:
            return 400, {"error": str(exc), "modes": [m.value for m in OutageMode]}
        await self.proxy.down(mode, retry_after=retry_after)
        return 200, self.proxy.describe()


class OutageControl:
    """Client of an `OutageAdmin` endpoint (a proxy in another process)."""

    def __init__(self, admin_url: str, *, timeout: float = 5.0) -> None:
        self.admin_url = admin_url.rstrip("/")
        self.timeout = timeout

    async def _call(self, method: str, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            resp = await client.request(method, f"{self.admin_url}{path}", params=params)
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    async def down(self, mode: OutageMode = OutageMode.RESET, *, retry_after: int = 30) -> dict[str, Any]:
        return await self._call(
            "POST", "/down", {"mode": OutageMode(mode).value, "retry_after": str(retry_after)}
        )

    async def up(self) -> dict[str, Any]:
        return await self._call("POST", "/up")

    async def stats(self) -> dict[str, Any]:
        return await self._call("GET", "/")
