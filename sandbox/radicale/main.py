"""Entry point of the Radicale subprocess: `python -m sandbox.radicale.main CONFIG [--no-fsync]`.

Radicale's own `python -m radicale` cannot turn off its per-item fsync from a config file (the
option is private), and seeding a dev calendar writes thousands of items. This launcher loads
the same config file, optionally applies that one privileged option, and serves until SIGTERM
(or until its parent process disappears).
It only ever runs in its own process, so Radicale stays out of the engine's address space.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from types import FrameType

from radicale import config, log, server


def main(argv: list[str]) -> int:
    if len(argv) < 1:
        print("usage: python -m sandbox.radicale.main CONFIG [--no-fsync]", file=sys.stderr)
        return 2
    log.setup()
    configuration = config.load([(argv[0], False)])
    if "--no-fsync" in argv[1:]:
        configuration.update(
            {"storage": {"_filesystem_fsync": "False"}}, "hireflow launcher", privileged=True
        )
    log.set_level(
        str(configuration.get("logging", "level")),
        bool(configuration.get("logging", "backtrace_on_debug")),
        configuration.get("logging", "trace_filter"),
    )
    shutdown, shutdown_out = socket.socketpair()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        shutdown.close()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)

    parent = os.getppid()

    def orphan_watch() -> None:
        # If the engine process dies without stopping us, don't linger holding the port.
        while os.getppid() == parent:
            time.sleep(1.0)
        shutdown.close()

    threading.Thread(target=orphan_watch, daemon=True).start()
    try:
        server.serve(configuration, shutdown_out)
    except Exception as exc:
        print(f"Radicale failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
