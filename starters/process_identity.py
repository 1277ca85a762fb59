"""Who a pid is: its start time and command line, so we never signal a process that merely reuses a pid.

A pid alone names a process only while it lives; once it exits the number can go to anybody. A pid
plus its start time (and the command line we started) names one process for good. Linux reads both
from /proc; elsewhere `ps` gives them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from integrations.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class ProcessIdentity:
    """One process for good: its pid, an opaque start-time token and its command line (argv joined by spaces)."""

    pid: int
    started: str
    command: str

    def same_as(self, other: ProcessIdentity) -> bool:
        return (self.pid, self.started, self.command) == (other.pid, other.started, other.command)


def command_of(argv: list[str]) -> str:
    """How `identify` spells a command line started from `argv`."""
    return " ".join(argv)


def identify(pid: int) -> ProcessIdentity | None:
    """The live process behind `pid`, or None when there is none (a zombie counts as gone)."""
    if pid <= 0:
        return None
    if sys.platform == "linux":
        return _from_proc(pid)
    return _from_ps(pid)


def identify_new(pid: int, timeout: float = 2.0) -> ProcessIdentity | None:
    """`identify` for a process just started: waits out the instant inside exec when the command line reads empty."""
    deadline = time.monotonic() + timeout
    while True:
        identity = identify(pid)
        if identity is None or identity.command or time.monotonic() > deadline:
            return identity if identity is not None and identity.command else None
        time.sleep(0.01)


def _from_proc(pid: int) -> ProcessIdentity | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the command name before ")" may hold spaces
    if not fields or fields[0] in ("Z", "X"):
        return None
    argv = [arg.decode(errors="replace") for arg in cmdline.split(b"\0")[:-1]]
    return ProcessIdentity(pid, started=fields[19], command=command_of(argv))


def _from_ps(pid: int) -> ProcessIdentity | None:
    def column(name: str) -> str:
        result = subprocess.run(
            ["ps", "-o", f"{name}=", "-p", str(pid)], capture_output=True, text=True, check=False
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    state, started, command = column("stat"), column("lstart"), column("command")
    if not state or state.startswith("Z") or not started:
        return None
    return ProcessIdentity(pid, started=started, command=command)


def alive(identity: ProcessIdentity) -> bool:
    """True while the very process `identity` names still runs."""
    current = identify(identity.pid)
    return current is not None and current.same_as(identity)


def terminate(identity: ProcessIdentity, grace: float = 10.0) -> bool:
    """SIGTERM the process (its whole group when it leads one), SIGKILL after `grace`; True once it is gone.

    For processes we cannot `wait()` for (another run's children): the identity is checked again
    before every signal, so a pid that changed hands in the meantime is left alone.
    """
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if not alive(identity):
            return True
        _signal(identity.pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not alive(identity):
                return True
            time.sleep(0.1)
        log.warning("process_stop_timeout", pid=identity.pid, signal=sig.name)
    return not alive(identity)


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        if os.getpgid(pid) == pid:  # a group leader: its own children go with it
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass
