"""Reproducible performance measurements with JSON output."""
