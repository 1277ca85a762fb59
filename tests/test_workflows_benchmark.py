"""The workflow benchmark in a tiny mode: its whole stack comes up, books, fills, measures and stops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.workflows import main

pytestmark = pytest.mark.integration


def test_tiny_benchmark_books_every_request_and_measures_the_worker(tmp_path: Path) -> None:
    out = tmp_path / "workflows.json"
    argv = [
        "--requests",
        "2",
        "--concurrency",
        "2",
        "--waiting",
        "12",
        "--plateau-cache",
        "0",
        "--plateau-waiting",
        "0",  # also sizes the seed: 300 plateau requests made it seed ~5,000 candidates for nothing
        "--calendar-weeks",
        "1",
        "--settle",
        "0.5",
        "--sample-every",
        "1",
        "--fill-budget",
        "60",
        "--mode-sample",
        "4",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    data = json.loads(out.read_text())
    assert data["machine"]["cpus"] and data["python"] and data["generated"]
    assert data["parameters"]["requests"] == 2 and data["parameters"]["waiting"] == 12
    assert data["rate_limit"]["raised"] is True and data["notes"]

    t = data["throughput"]
    assert t["booked"] == 2 and t["failed"] == 0
    assert t["requests_per_second"] > 0
    assert 0 < t["start_to_offered_s"]["median"] <= t["start_to_offered_s"]["p95"]
    assert 0 < t["pick_to_booked_s"]["median"] <= t["pick_to_booked_s"]["p95"]
    checks = t["verified"]
    assert checks["bookings"] == 2 and checks["sessions_booked"] >= 2
    assert checks["greenhouse_interviews"] == checks["sessions_booked"] == checks["calendar_events"]
    assert checks["greenhouse_interview_duplicates"] == 0
    assert checks["confirmation_emails"] == 2 and checks["booking_notes"] == 2
    assert t["harvest_requests_per_booked_request"] > 0
    # the mirror was synced, so the plan and the people came from it, not from Harvest
    assert t["mirror"]["sync_running"] is True
    by_endpoint = t["harvest_requests_by_endpoint"]
    assert not {"GET /v3/job_interviews", "GET /v3/default_interviewers", "GET /v3/jobs"} & set(by_endpoint)
    assert by_endpoint["POST /v3/interviews"] >= checks["greenhouse_interviews"]
    assert 0 < t["default_rate_limit_implies"]["max_requests_per_second"] < 2.5

    m = data["memory"]
    assert m["reached"] and m["waiting_offered"] == 12
    assert m["worker_rss_idle_mb"] > 0 and m["worker_rss_all_waiting_mb"] > 0
    assert m["worker_peak_rss_mb"] >= m["worker_rss_all_waiting_mb"]
    assert m["rss_growth_per_waiting_workflow_kb"] is not None
    # reaching "offered" reads the mirror (fresh here): at most a fallback read, not Harvest's ~8 per request
    assert m["max_cached_workflows"] == 1000 and m["harvest_requests"] < 3 * m["waiting_offered"]
    assert m["cpu_seconds_per_started_request"]["worker"] > 0
    assert len(m["samples"]) >= 2
    assert "memory_plateau_check" not in data

    modes = data["escalation_by_mode"]
    assert modes["sample"] == 4 and data["parameters"]["mode_sample"] == 4
    for label, mode in (("in_person", "onsite"), ("video", "video")):
        row = modes[label]
        assert row["policy_mode"] == mode and row["requests"] + row["failed"] == 2 and row["failed"] == 0
        assert 0 <= row["escalated"] <= row["requests"] and row["escalation_rate"] == row["escalated"] / 2
