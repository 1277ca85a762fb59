"""`OutageProxy`: forwards a loopback port to an upstream service until switched down, then turns
connections away the way a real outage does, until switched up again.

Point the client under test (CalDAV, SMTP) at the proxy instead of the service. `down()` also cuts
the connections already forwarded, since a client's keep-alive pool would otherwise ride out the
outage on connections opened before it.

    async with OutageProxy("127.0.0.1", radicale.port) as proxy:
        calendar = CalDAVCalendar(proxy.url("http"))
        await proxy.down(OutageMode.HTTP_503, retry_after=30)
        ...  # every call now fails the way it would in an outage
        await proxy.up()
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any

import structlog

from sandbox.outage import refusals
from sandbox.outage.refusals import OutageMode

log = structlog.get_logger("sandbox.outage")

_PIPE_CHUNK = 65536


@dataclass
class OutageStats:
    """Connection counters since the proxy started."""

    forwarded: int = 0  # piped to the upstream
    refused: int = 0  # turned away while down (REFUSE connects are refused by the kernel, uncounted)
    cut: int = 0  # forwarded connections severed by `down()`
    upstream_failed: int = 0  # dropped while up because the upstream itself could not be reached

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class OutageProxy:
    """A TCP proxy on `host:port` (0 = a free port) to `upstream_host:upstream_port` with an outage switch."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "service",
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = host
        self.name = name
        self._port = port
        self._server: asyncio.Server | None = None
        self._mode: OutageMode | None = None
        self._retry_after: int | None = None
        self._released = asyncio.Event()
        self._open: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats = OutageStats()

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the outage proxy is not running")
        return self._port

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def is_down(self) -> bool:
        return self._mode is not None

    @property
    def mode(self) -> OutageMode | None:
        return self._mode

    def describe(self) -> dict[str, Any]:
        """State and counters, as the admin endpoint reports them."""
        return {
            "name": self.name,
            "port": self._port,
            "upstream": f"{self.upstream[0]}:{self.upstream[1]}",
            "down": self.is_down,
            "mode": self._mode.value if self._mode else None,
            **self.stats.as_dict(),
        }

    async def start(self) -> None:
        await self._listen()
        log.info(
            "outage.proxy_started",
            name=self.name,
            port=self.port,
            upstream=f"{self.upstream[0]}:{self.upstream[1]}",
        )

    async def stop(self) -> None:
        self._unlisten()
        self._released.set()
        self._cut_open()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> OutageProxy:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self._port, reuse_address=True)
        self._port = int(self._server.sockets[0].getsockname()[1])

    def _unlisten(self) -> None:
        """Stop listening at once. Not `wait_closed()`: from 3.12 on it waits for open connections,
        and those are ended by the switch (cut, released) rather than awaited here."""
        if self._server is not None:
            self._server.close()
            self._server = None

    # -- the switch ----------------------------------------------------------------------------

    async def down(self, mode: OutageMode = OutageMode.RESET, *, retry_after: int | None = 30) -> None:
        """Start (or change) the outage; connections already forwarded are reset.

        `retry_after` is the `Retry-After` of `HTTP_503` answers (None: no header).
        """
        mode = OutageMode(mode)
        if self._mode is OutageMode.HANG and mode is not OutageMode.HANG:
            self._released.set()
        if mode is OutageMode.HANG and self._released.is_set():
            self._released = asyncio.Event()
        self._mode, self._retry_after = mode, retry_after
        if mode is OutageMode.REFUSE:
            self._unlisten()
        elif self._server is None:
            await self._listen()
        self._cut_open()
        log.info("outage.down", name=self.name, mode=mode.value)

    async def up(self) -> None:
        """End the outage: forward new connections again (hung ones are reset, as a restart would)."""
        self._mode = None
        self._released.set()
        if self._server is None:
            await self._listen()
        log.info("outage.up", name=self.name, stats=self.stats.as_dict())

    def _cut_open(self) -> None:
        for client, upstream in list(self._open):
            refusals.reset(client)
            refusals.reset(upstream)
            self.stats.cut += 1
        self._open.clear()

    # -- connections ---------------------------------------------------------------------------

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mode = self._mode
        if mode is not None:
            self.stats.refused += 1
            await self._turn_away(mode, reader, writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError as exc:
            self.stats.upstream_failed += 1
            log.warning("outage.upstream_unreachable", name=self.name, error=str(exc))
            refusals.reset(writer)
            return
        if self._mode is not None:  # the outage began while we were connecting upstream
            refusals.reset(up_writer)
            self.stats.refused += 1
            await self._turn_away(self._mode, reader, writer)
            return
        self.stats.forwarded += 1
        pair = (writer, up_writer)
        self._open.add(pair)
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            if pair in self._open:  # not cut: a normal end of the conversation
                self._open.discard(pair)
                for w in pair:
                    await refusals.close(w)

    async def _turn_away(
        self, mode: OutageMode, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            await self._refuse(mode, reader, writer)
        finally:  # also when `stop()` cancels us mid-answer
            if not writer.is_closing():
                refusals.reset(writer)

    async def _refuse(
        self, mode: OutageMode, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if mode is OutageMode.HTTP_503:
            await refusals.answer_503(reader, writer, self._retry_after, self.name)
        elif mode is OutageMode.SMTP_421:
            await refusals.answer_421(reader, writer, self.name)
        elif mode is OutageMode.HANG:
            await refusals.hang(reader, writer, self._released)
        elif mode is OutageMode.CLOSE:
            await refusals.hang_up(reader, writer)
        else:  # RESET, and REFUSE's stragglers accepted just before the listener closed
            refusals.reset(writer)

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        """Copy one direction; pass a half-close on; stop quietly when either side drops."""
        with contextlib.suppress(OSError, RuntimeError):
            while data := await src.read(_PIPE_CHUNK):
                dst.write(data)
                await dst.drain()
            if dst.can_write_eof() and not dst.is_closing():
                dst.write_eof()
