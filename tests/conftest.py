"""Shared pytest fixtures, one module per capability under tests/fixtures/."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from models.time_zones import use_pinned_tzdata

# Every test computes offsets from the pinned tzdata package, as the processes do.
use_pinned_tzdata()

pytest_plugins = [
    "tests.fixtures.temporal",
    "tests.fixtures.sandbox",
    "tests.fixtures.calendar",
    "tests.fixtures.mail",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport() -> Iterator[None]:
    """No garbage collection while pytest parses a failing test's source for its report.

    CPython 3.11 keeps the AST converter's recursion depth per interpreter. A finalizer run by the
    collector in the middle of `ast.parse` (an asyncio task whose unretrieved exception is logged with
    a traceback, whose carets parse source again) resets it, and pytest dies with "AST constructor
    recursion depth mismatch", taking an xdist worker with it. Expected failures (the strict xfails
    against the code before a fix) made it happen in CI.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
