"""Shared pytest fixtures. Capability-specific fixtures live in tests/fixtures/*.py and are loaded here."""

from __future__ import annotations

pytest_plugins: list[str] = []
