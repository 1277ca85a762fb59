"""The assessment benchmark: its request accounting on hand-made logs, and a tiny run of the whole stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.assessments import (
    OBSERVER,
    Activity,
    HarvestLog,
    HarvestRequest,
    Run,
    Target,
    attribute,
    main,
)


def _log(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "greenhouse.log"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_access_log_counts_the_workers_harvest_requests_only(tmp_path: Path) -> None:
    path = _log(
        tmp_path,
        [
            '100.000001 127.0.0.1:5000 - "GET /v3/applications?ids=7&per_page=500 HTTP/1.1" 200 OK',
            f'100.100000 {OBSERVER}:6000 - "GET /v3/applications/7 HTTP/1.1" 200 OK',  # the benchmark's poll
            '100.200000 127.0.0.1:5000 - "POST /token HTTP/1.1" 200 OK',  # OAuth, not Harvest
            '{"event": "sandbox_seeded", "candidates": 3}',
            '100.300000 127.0.0.1:5000 - "POST /v3/applications/7/move HTTP/1.1" 204 No Content',
        ],
    )
    log = HarvestLog(path)
    requests = log.read()
    assert [(r.at, r.endpoint) for r in requests] == [
        (100.000001, "GET /v3/applications"),
        (100.3, "POST /v3/applications/{id}/move"),
    ]
    log.mark()
    assert log.read() == []  # only what comes after the mark


def test_each_request_goes_to_the_activity_running_when_it_was_logged() -> None:
    first, second = Run(Target(1, "a@example.com")), Run(Target(2, "b@example.com"))
    first.activities = [
        Activity("gather_assessment_context", "invite", 10.0, 11.0),
        Activity("write_assessment_result", "write_back", 20.0, 21.0),
        Activity("decide_application", "decide", 21.5, 22.0),
        Activity("add_candidate_note", "decide", 22.1, 23.0),
    ]
    second.activities = [Activity("gather_assessment_context", "invite", 30.0, 31.0)]
    requests = [
        HarvestRequest(10.5, "GET", "/v3/applications"),
        HarvestRequest(20.5, "PATCH", "/v3/applications/1"),
        HarvestRequest(21.7, "POST", "/v3/applications/1/move"),
        HarvestRequest(22.5, "POST", "/v3/notes"),
        HarvestRequest(25.0, "GET", "/v3/jobs"),  # between activities: nobody's
        HarvestRequest(30.2, "GET", "/v3/candidates"),
    ]
    unexplained = attribute([first, second], requests)
    assert [r.endpoint for r in unexplained] == ["GET /v3/jobs"]
    assert {phase: [r.endpoint for r in rs] for phase, rs in first.requests.items()} == {
        "invite": ["GET /v3/applications"],
        "write_back": ["PATCH /v3/applications/{id}"],
        "decide": ["POST /v3/applications/{id}/move", "POST /v3/notes"],
    }
    assert {phase: len(rs) for phase, rs in second.requests.items()} == {"invite": 1}


@pytest.mark.integration
def test_tiny_benchmark_scores_every_assessment_and_measures_the_worker(tmp_path: Path) -> None:
    out = tmp_path / "assessments.json"
    argv = ["--assessments", "2", "--waiting", "10", "--fill-budget", "60", "--settle", "0.5"]
    assert main([*argv, "--sample-every", "1", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["machine"]["cpus"] and data["python"] and data["generated"] and data["notes"]
    assert data["parameters"]["assessments"] == 2 and data["parameters"]["waiting"] == 10

    latency = data["latency"]
    assert latency["completed"] == 2 and latency["failed"] == 0
    visible = latency["completion_to_score_visible_s"]
    assert 0 < visible["p50"] <= visible["p95"] <= visible["max"] < 60
    assert latency["polls_per_assessment"]["p50"] >= 1
    assert latency["breakdown_s"]["submit_to_webhook_signal"]["p50"] > 0
    assert latency["verified"] == {
        "completed": 2,
        "decided_advanced": 2,
        "score_field_100": 2,
        "application_moved_to_next_stage": 2,
    }

    harvest = latency["harvest"]
    assert harvest["per_assessment"]["min"] > 0 and harvest["unattributed"] == 0
    phases = harvest["by_phase"]
    assert all(phases[p]["mean"] > 0 for p in ("invite", "write_back", "decide"))
    assert "GET /v3/candidates" in phases["invite"]["endpoints_per_assessment"]
    assert "PATCH /v3/applications/{id}" in phases["write_back"]["endpoints_per_assessment"]
    assert "POST /v3/applications/{id}/move" in phases["decide"]["endpoints_per_assessment"]
    assert sum(harvest["endpoints"].values()) == 2 * harvest["per_assessment"]["mean"]
    assert harvest["goal_met"] == (harvest["per_assessment"]["max"] <= 8)

    memory = data["memory"]
    assert memory["reached"] and memory["waiting"] == 10 and memory["escalated"] == 0
    assert 0 < memory["worker_rss_idle_mb"] and 0 < memory["worker_rss_all_waiting_mb"]
    assert memory["worker_peak_rss_mb"] >= memory["worker_rss_all_waiting_mb"]
    assert memory["harvest_requests_per_started_assessment"] > 0
    assert memory["cpu_seconds_per_started_assessment"]["worker"] > 0
    assert len(memory["samples"]) >= 2
