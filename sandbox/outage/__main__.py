"""`python -m sandbox.outage --upstream 127.0.0.1:5232 --port 15232 --admin-port 15299`

Runs one outage proxy (and its admin endpoint) until interrupted, for chaos runs on the local stack.
Prints one JSON line with the proxy and admin addresses to stdout once both listen (logs: stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys

import structlog

from sandbox.outage.admin import OutageAdmin
from sandbox.outage.proxy import OutageProxy


def _address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host, int(port)


async def _run(args: argparse.Namespace) -> None:
    host, port = args.upstream
    async with (
        OutageProxy(host, port, host=args.host, port=args.port, name=args.name) as proxy,
        OutageAdmin(proxy, host=args.host, port=args.admin_port) as admin,
    ):
        print(json.dumps({"proxy": f"{args.host}:{proxy.port}", "admin": admin.url}), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.outage", description=__doc__.splitlines()[2])
    parser.add_argument("--upstream", type=_address, required=True, help="HOST:PORT of the real service")
    parser.add_argument("--host", default="127.0.0.1", help="where the proxy and admin listen")
    parser.add_argument("--port", type=int, default=0, help="proxy port (0: a free one)")
    parser.add_argument("--admin-port", type=int, default=0, help="admin endpoint port (0: a free one)")
    parser.add_argument("--name", default="service", help="named in 503/421 answers and logs")
    args = parser.parse_args()
    # Logs go to stderr; stdout carries only the addresses line.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    asyncio.run(_run(args))


if __name__ == "__main__":
    main()
