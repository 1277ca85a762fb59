"""How a connection is turned away while the service is down, one function per outage mode.

Each mode reproduces what a client meets in a real outage, so the client's error classification is
tested against the genuine article: a closed or reset connection (process crashed, load balancer
dropped it), a refused connect (nothing listening), a `503` with `Retry-After` (HTTP front door up,
backend down), a `421` greeting (SMTP relay shedding load) or silence (a hung server: timeouts).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from enum import StrEnum

# Bounds on what a turned-away client may send before the proxy answers and hangs up.
_HEAD_LIMIT = 64 * 1024
_READ_TIMEOUT = 5.0


class OutageMode(StrEnum):
    CLOSE = "close"  # accept, then hang up at once (FIN): the client reads EOF, no answer
    RESET = "reset"  # accept, then reset (RST): the client gets ECONNRESET
    REFUSE = "refuse"  # stop listening: connects fail with ECONNREFUSED (not counted: the kernel answers)
    HTTP_503 = "http_503"  # read the request, answer 503 Service Unavailable with Retry-After
    SMTP_421 = "smtp_421"  # greet with 421 Service not available and close
    HANG = "hang"  # accept and never answer, until the service is up again: the client times out


def reset(writer: asyncio.StreamWriter) -> None:
    """Drop the connection with an RST (SO_LINGER 0), not a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, asyncio.TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), _READ_TIMEOUT)


async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Send FIN at once, then discard what the client still sends: it reads a clean EOF, not a reset."""
    with contextlib.suppress(OSError):
        writer.write_eof()
    await _drain_until_eof(reader)
    await close(writer)


async def _drain_until_eof(reader: asyncio.StreamReader) -> None:
    """Read what the client still sends until it hangs up, so closing sends a FIN rather than an RST."""
    with contextlib.suppress(OSError, asyncio.TimeoutError):
        async with asyncio.timeout(_READ_TIMEOUT):
            while await reader.read(4096):
                pass


async def _read_http_request(reader: asyncio.StreamReader) -> None:
    """Consume one request (head and body), so the answer is read before the connection closes."""
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > _HEAD_LIMIT:
        raise ValueError("request head too large")
    fields = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    if "chunked" in fields.get("transfer-encoding", "").lower():
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                return
    length = int(fields.get("content-length") or 0)
    if length:
        await reader.readexactly(length)


async def answer_503(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, retry_after: int | None, name: str
) -> None:
    try:
        async with asyncio.timeout(_READ_TIMEOUT):
            await _read_http_request(reader)
    except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
        reset(writer)
        return
    body = f"{name} is unavailable (simulated outage)\n".encode()
    head = [
        "HTTP/1.1 503 Service Unavailable",
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    if retry_after is not None:
        head.append(f"Retry-After: {retry_after}")
    with contextlib.suppress(OSError):
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()
    await close(writer)


async def answer_421(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, name: str) -> None:
    with contextlib.suppress(OSError):
        writer.write(f"421 4.3.2 {name} not available, closing transmission channel\r\n".encode())
        await writer.drain()
        writer.write_eof()
    await _drain_until_eof(reader)
    await close(writer)


async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, released: asyncio.Event) -> None:
    """Say nothing until `released` (the service is up again) or the client gives up; then reset."""

    async def client_gone() -> None:
        with contextlib.suppress(OSError):
            while await reader.read(4096):
                pass

    gone = asyncio.ensure_future(client_gone())
    wait = asyncio.ensure_future(released.wait())
    try:
        await asyncio.wait({gone, wait}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        wait.cancel()
        reset(writer)
