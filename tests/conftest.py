"""Shared pytest fixtures, one module per capability under tests/fixtures/."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.temporal",
    "tests.fixtures.sandbox",
    "tests.fixtures.calendar",
    "tests.fixtures.mail",
]
