"""The outage proxy on raw TCP: forwarding, every way of turning connections away, the switch, counters."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from sandbox.outage import OutageAdmin, OutageControl, OutageMode, OutageProxy


@pytest.fixture
async def echo() -> AsyncIterator[int]:
    """An upstream that echoes every line back."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                writer.write(line)
                await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


@pytest.fixture
async def proxy(echo: int) -> AsyncIterator[OutageProxy]:
    async with OutageProxy("127.0.0.1", echo, name="echo") as proxy:
        yield proxy


async def ping(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"ping\n")
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.readline(), 2)
    finally:
        writer.close()


async def test_forwards_until_down_and_again_after_up(proxy: OutageProxy) -> None:
    assert await ping(proxy.port) == b"ping\n"
    await proxy.down(OutageMode.CLOSE)
    assert proxy.is_down and proxy.mode is OutageMode.CLOSE
    assert await ping(proxy.port) == b""  # EOF: the service hung up
    await proxy.up()
    assert await ping(proxy.port) == b"ping\n"
    assert (proxy.stats.forwarded, proxy.stats.refused) == (2, 1)


async def test_reset_mode_resets(proxy: OutageProxy) -> None:
    await proxy.down(OutageMode.RESET)
    with pytest.raises(ConnectionResetError):
        await ping(proxy.port)
    assert proxy.stats.refused == 1


async def test_refuse_mode_stops_listening_and_up_listens_on_the_same_port(proxy: OutageProxy) -> None:
    port = proxy.port
    await proxy.down(OutageMode.REFUSE)
    with pytest.raises(ConnectionRefusedError):
        await ping(port)
    await proxy.down(OutageMode.RESET)  # switching modes while down listens again
    with pytest.raises(ConnectionResetError):
        await ping(port)
    await proxy.down(OutageMode.REFUSE)
    await proxy.up()
    assert proxy.port == port and await ping(port) == b"ping\n"


async def test_down_cuts_connections_already_forwarded(proxy: OutageProxy) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b"one\n")
    assert await reader.readline() == b"one\n"
    await proxy.down(OutageMode.CLOSE)
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(reader.read(), 2)
    writer.close()
    assert proxy.stats.cut == 1


async def test_hang_mode_is_silent_until_up(proxy: OutageProxy) -> None:
    await proxy.down(OutageMode.HANG)
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b"anyone?\n")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.readline(), 0.3)
    await proxy.down(OutageMode.HANG)  # still hanging
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.readline(), 0.1)
    await proxy.up()
    with pytest.raises(ConnectionResetError):  # released the way a restarted server drops it
        await asyncio.wait_for(reader.read(), 2)
    writer.close()
    assert await ping(proxy.port) == b"ping\n"


async def test_http_503_with_retry_after_after_reading_the_request(proxy: OutageProxy) -> None:
    await proxy.down(OutageMode.HTTP_503, retry_after=7)

    async def chunks() -> AsyncIterator[bytes]:
        yield b"x" * 70000
        yield b"y"

    async with httpx.AsyncClient() as client:
        resp = await client.post(f"{proxy.url()}/cal/", content=b"<xml/>" * 20000)
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "7"
        assert "echo is unavailable" in resp.text
        resp = await client.put(f"{proxy.url()}/cal/x.ics", content=chunks())  # chunked body
        assert resp.status_code == 503
        await proxy.down(OutageMode.HTTP_503, retry_after=None)
        resp = await client.get(proxy.url())
        assert resp.status_code == 503 and "Retry-After" not in resp.headers
    assert proxy.stats.refused == 3


async def test_smtp_421_greeting(proxy: OutageProxy) -> None:
    await proxy.down(OutageMode.SMTP_421)
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    greeting = await asyncio.wait_for(reader.readline(), 2)
    assert greeting.startswith(b"421 4.3.2 echo not available")
    assert await asyncio.wait_for(reader.read(), 2) == b""
    writer.close()


async def test_upstream_down_while_up_is_counted(echo: int) -> None:
    async with OutageProxy("127.0.0.1", 1, name="nothing") as proxy:  # nothing listens on port 1
        with pytest.raises(ConnectionResetError):
            await ping(proxy.port)
        assert proxy.stats.upstream_failed == 1 and proxy.stats.forwarded == 0


async def test_admin_endpoint_flips_the_switch(proxy: OutageProxy) -> None:
    async with OutageAdmin(proxy) as admin:
        control = OutageControl(admin.url)
        state = await control.down(OutageMode.HTTP_503, retry_after=3)
        assert state["down"] is True and state["mode"] == "http_503"
        async with httpx.AsyncClient() as client:
            resp = await client.get(proxy.url())
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "3"
        state = await control.up()
        assert state["down"] is False and await ping(proxy.port) == b"ping\n"
        stats = await control.stats()
        assert stats["forwarded"] == 1 and stats["refused"] == 1
        async with httpx.AsyncClient() as client:
            assert (await client.post(f"{admin.url}/down", params={"mode": "meteor"})).status_code == 400
            assert (await client.get(f"{admin.url}/down")).status_code == 405
            assert (await client.get(f"{admin.url}/nope")).status_code == 404


async def test_runs_in_its_own_process(echo: int) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox.outage",
        "--upstream",
        f"127.0.0.1:{echo}",
        "--name",
        "echo",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
        port = int(ready["proxy"].rsplit(":", 1)[1])
        control = OutageControl(ready["admin"])
        assert await ping(port) == b"ping\n"
        await control.down(OutageMode.REFUSE)
        with pytest.raises(ConnectionRefusedError):
            await ping(port)
        await control.up()
        assert await ping(port) == b"ping\n"
        assert (await control.stats())["forwarded"] == 2
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0
