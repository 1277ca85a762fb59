"""Tie a child server's life to ours, so it cannot outlive `hireflow dev` however that process ends.

On Linux the child asks the kernel for SIGTERM when its parent dies (`prctl(PR_SET_PDEATHSIG)`, set
between fork and exec, so it holds for the Temporal CLI, a Go binary we cannot change, as for our own
Python children). The kernel sends it when the *thread* that forked the child ends, not the process:
asyncio forks on the event-loop thread, which lives as long as the stack, so that is the lifetime we
want. Elsewhere a watchdog process (`starters.watchdog`) polls for our death and stops the child.

`HIREFLOW_CHILD_TIE` picks the tie: `auto` (the default), `death-signal`, `watchdog` (to exercise the
fallback on Linux) or `off`, a test hook that leaves children untied to make leftovers on purpose.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable
from enum import StrEnum
from functools import cache
from typing import Any

from integrations.logs import get_logger

log = get_logger(__name__)

TIE_ENV = "HIREFLOW_CHILD_TIE"
_PR_SET_PDEATHSIG = 1


class Tie(StrEnum):
    DEATH_SIGNAL = "death-signal"
    WATCHDOG = "watchdog"
    OFF = "off"


def chosen_tie() -> Tie:
    """The tie for new children: from `HIREFLOW_CHILD_TIE`, the death signal wherever the kernel has one."""
    native = Tie.DEATH_SIGNAL if sys.platform == "linux" else Tie.WATCHDOG
    value = os.environ.get(TIE_ENV, "auto")
    if value == "auto":
        return native
    try:
        tie = Tie(value)
    except ValueError:
        log.warning("child_tie_unknown", value=value, using=native.value)
        return native
    return native if tie is Tie.DEATH_SIGNAL else tie


@cache
def _prctl() -> Any:
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


def death_signal_preexec(sig: signal.Signals = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` (Linux) that has the kernel send `sig` to the child when the forking thread ends."""
    prctl = _prctl()  # looked up here, in the parent: the child only makes the call
    parent = os.getpid()
    signum = int(sig)

    def tie() -> None:
        # Runs in the child between fork and exec, where other threads' locks may be held: keep it tiny.
        if prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before the tie was in place
            os._exit(1)

    return tie
