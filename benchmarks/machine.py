"""The `machine` block every benchmark's JSON starts with: what ran it and how busy it was."""

from __future__ import annotations

import os
import platform
from typing import Any


def machine_info(load_before: tuple[float, float, float]) -> dict[str, Any]:
    """Platform, CPUs and the 1-minute load average before the run (a shared machine skews figures)."""
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "load_average_1m_before": round(load_before[0], 2),
    }
