"""`python -m starters.watchdog PARENT CHILD STARTED COMMAND`: stop a child server once its parent is gone.

The tie of children to `hireflow dev` where the kernel has no parent-death signal (anything but
Linux; `HIREFLOW_CHILD_TIE=watchdog` uses it on Linux too). The watchdog is a sibling of the child,
in its own session so a Ctrl-C to the parent's group leaves it watching while the parent stops things
in order. It exits by itself once the child is gone, and stops the child (SIGTERM, then SIGKILL) once
the parent is: re-parenting changes its own parent pid, which is all it polls.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import IO

from starters.process_identity import ProcessIdentity, terminate

POLL_SECONDS = 0.25


async def start_watchdog(child: ProcessIdentity, log_file: IO[bytes]) -> asyncio.subprocess.Process:
    """Start a watchdog for `child` of this process; it writes what it does to `log_file`."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "starters.watchdog",
        str(os.getpid()),
        str(child.pid),
        child.started,
        child.command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=log_file,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print("usage: python -m starters.watchdog PARENT CHILD STARTED COMMAND", file=sys.stderr)
        return 2
    parent = int(argv[0])
    child = ProcessIdentity(int(argv[1]), argv[2], argv[3])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while _exists(child.pid):  # cheap; `terminate` checks the full identity before any signal
        if os.getppid() != parent:
            print(f"watchdog: parent {parent} is gone, stopping pid {child.pid}", file=sys.stderr, flush=True)
            terminate(child)
            return 0
        time.sleep(POLL_SECONDS)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
