"""Pidfiles of the stack's child servers, under `<state_dir>/run/<name>.json`.

Each names the child (pid, start time, command line) and the `hireflow dev`/`demo` process that owns
it, so the next start from the same state directory can tell a server left behind by a dead run from
one a live run still owns, and both from an unrelated process that reuses the pid. A record is written
once the child runs and removed once it has exited.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from integrations.logs import get_logger
from starters.process_identity import ProcessIdentity

log = get_logger(__name__)


def run_dir(state_dir: Path) -> Path:
    return state_dir / "run"


@dataclass(frozen=True)
class RunRecord:
    """A running child server as the stack recorded it."""

    name: str
    label: str
    child: ProcessIdentity
    owner: ProcessIdentity


def write_record(directory: Path, record: RunRecord) -> None:
    """Write (atomically) the record of one child; a later record of the same name replaces it."""
    directory.mkdir(parents=True, exist_ok=True)
    data = {
        "name": record.name,
        "label": record.label,
        "child": asdict(record.child),
        "owner": asdict(record.owner),
    }
    tmp = directory / f".{record.name}.json.{os.getpid()}"
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(directory / f"{record.name}.json")


def remove_record(directory: Path, name: str) -> None:
    (directory / f"{name}.json").unlink(missing_ok=True)


def read_records(directory: Path) -> list[RunRecord]:
    """Every readable record in `directory` (a damaged file is logged and skipped)."""
    records = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text())
            records.append(
                RunRecord(
                    name=str(data["name"]),
                    label=str(data["label"]),
                    child=ProcessIdentity(**data["child"]),
                    owner=ProcessIdentity(**data["owner"]),
                )
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("run_record_unreadable", path=str(path), error=str(error))
    return records
