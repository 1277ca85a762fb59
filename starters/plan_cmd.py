"""Command group registration (filled in by the capability that owns it)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `hireflow` app."""
