"""The mirror benchmark in a tiny mode: its stack comes up, measures every goal and stops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.sync import main, share_of_limit, windows_spanned

pytestmark = pytest.mark.integration


def test_tiny_sync_benchmark_measures_latency_reconciliation_and_drift(tmp_path: Path) -> None:
    out = tmp_path / "sync.json"
    argv = ["--candidates", "300", "--changes", "3", "--drift", "5", "--interval", "5", "--spread", "10"]
    assert main([*argv, "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["machine"]["cpus"] and data["parameters"]["candidates"] == 300

    for phase in ("initial_sync", "reconciliation"):
        listing = data[phase]
        assert listing["harvest_requests"] > 0 and listing["minutes"] > 0
        assert listing["throttled_429"] == 0  # the default limit, kept by the worker's pacing
        assert 0 < listing["share_of_rate_limit"] <= 1 and listing["rate_windows_spanned"] >= 1
        assert listing["projected_to_20000"]["harvest_requests"] > listing["harvest_requests"]
    assert data["reconciliation"]["failed"] == {} and data["reconciliation"]["drift_rows"] == 0

    for phase in ("latency_with_webhooks", "latency_without_webhooks"):
        latency = data[phase]
        assert latency["changes"] == latency["seen_in_mirror"] == 3
        assert (
            0 < latency["latency_s"]["median"] <= latency["latency_s"]["p95"] <= latency["latency_s"]["max"]
        )
    # webhooks bring a move in seconds; without them it waits for a pass (interval 5 s here)
    assert data["latency_with_webhooks"]["latency_s"]["p95"] < 5

    drift = data["drift"]
    assert drift["changed_rows"] == drift["repaired_in_mirror"] == 5, (
        "every dropped change was found and repaired"
    )
    assert (
        drift["reported_stale"] >= 5
    )  # plus any candidate an earlier phase's move touched after the last pass
    assert drift["found_share"] == 1.0 and data["goals"]["drift_found_100pct"] is True


def test_the_share_counts_the_aligned_windows_a_run_touched_so_a_burst_never_exceeds_the_limit() -> None:
    # 116 requests in 10 s across a window boundary: the elapsed-time formula said 116 / 25 = 4.6.
    assert windows_spanned(25.0, 35.0, 30.0) == 2 and windows_spanned(31.0, 59.0, 30.0) == 1
    assert share_of_limit(116, 1_800_000_025.0, 1_800_000_035.0) == round(116 / 150, 3)
    assert share_of_limit(75, 1_800_000_031.0, 1_800_000_059.0) == 1.0
