"""Shared pytest fixtures, one module per capability under tests/fixtures/."""

from __future__ import annotations

from models.time_zones import use_pinned_tzdata

# Every test computes offsets from the pinned tzdata package, as the processes do.
use_pinned_tzdata()

pytest_plugins = [
    "tests.fixtures.temporal",
    "tests.fixtures.sandbox",
    "tests.fixtures.calendar",
    "tests.fixtures.mail",
]
