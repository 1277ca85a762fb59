"""Vendor ids that travel in URL paths are checked first, so no id can rewrite the path."""

from __future__ import annotations

import re

from models.assessments import ProviderRejectedError

_SAFE = re.compile(r"[A-Za-z0-9_.\-]{1,200}")


def path_id(value: str, what: str = "invitation id") -> str:
    """`value` when it is a plain id (letters, digits, `_.-`), else ProviderRejectedError."""
    if not _SAFE.fullmatch(value) or value in {".", ".."}:
        raise ProviderRejectedError(f"malformed {what}")
    return value
