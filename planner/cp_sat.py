"""OR-Tools' `cp_model`, imported without pandas.

`ortools.sat.python.cp_model` imports pandas at module level only for its optional `pd.Series` helpers,
which the planner never calls; pandas alone costs about 1.2 s of every `hireflow plan`. When pandas is
not loaded yet, a stand-in with placeholder `Index`/`Series` classes satisfies the import (they appear
only in type aliases and annotations), and `cp_model.pd` is then a proxy that loads the real pandas the
first time anything touches it, so every pandas-based helper still works for a caller that wants one.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


class _LazyPandas(types.ModuleType):
    """Stands for pandas; the first attribute read imports the real module and forwards to it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module("pandas"), name)


def _import_without_pandas() -> types.ModuleType:
    if "ortools.sat.python.cp_model" in sys.modules or "pandas" in sys.modules:
        return importlib.import_module("ortools.sat.python.cp_model")
    stand_in = types.ModuleType("pandas")
    stand_in.Index = type("Index", (), {})  # type: ignore[attr-defined]
    stand_in.Series = type("Series", (), {})  # type: ignore[attr-defined]
    sys.modules["pandas"] = stand_in
    try:
        module = importlib.import_module("ortools.sat.python.cp_model")
    finally:
        if sys.modules.get("pandas") is stand_in:
            del sys.modules["pandas"]
    module.pd = _LazyPandas("pandas")  # type: ignore[attr-defined]
    return module


_import_without_pandas()

from ortools.sat.python import cp_model  # noqa: E402  (now loaded, without pandas)

__all__ = ["cp_model"]
