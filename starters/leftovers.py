"""Stop the servers an earlier run from the same state directory left behind, before the port check.

A record under `<state_dir>/run/` names a leftover when its child still runs (same pid, start time
and command line) and its owner does not (a killed `hireflow dev` or `demo`). Servers a live run still
owns are left alone (the port check then names their ports), and so is any process that only reuses
a recorded pid: stale records are just removed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from integrations.logs import get_logger
from starters.process_identity import alive, terminate
from starters.run_records import RunRecord, read_records, remove_record, run_dir

log = get_logger(__name__)


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def stop_leftovers(
    state_dir: Path, *, say: Callable[[str], None] = _to_stderr, grace: float = 10.0
) -> list[RunRecord]:
    """Name and stop every leftover server recorded under `state_dir`; returns the ones stopped."""
    directory = run_dir(state_dir)
    stopped = []
    for record in read_records(directory):
        if not alive(record.child):
            remove_record(directory, record.name)
            continue
        if alive(record.owner):
            log.info(
                "server_of_live_run", component=record.name, pid=record.child.pid, owner=record.owner.pid
            )
            continue
        say(f"stopping {record.label} left over from an earlier run (pid {record.child.pid})")
        log.warning(
            "leftover_stopping", component=record.name, pid=record.child.pid, state_dir=str(state_dir)
        )
        if terminate(record.child, grace):
            remove_record(directory, record.name)
            stopped.append(record)
        else:
            log.error("leftover_still_running", component=record.name, pid=record.child.pid)
    return stopped
