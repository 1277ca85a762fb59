"""The SyncWorkflow's decisions, without Temporal: what a pass lists, when to reconcile and hand over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.sync_io import (
    ALL_RESOURCES,
    HOT_RESOURCES,
    ResourceDrift,
    ResourcePassResult,
    SyncRequest,
)
from workflows.sync_core import MAX_REMEMBERED_REQUESTS, SyncCore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _initial_results() -> list[ResourcePassResult]:
    return [ResourcePassResult(resource=r, initial=True) for r in ALL_RESOURCES]


def test_org_resources_are_listed_every_nth_pass_and_hot_ones_every_pass() -> None:
    core = SyncCore(SyncRequest(org_every_passes=3))
    listed = []
    for n in range(6):
        listed.append(core.pass_resources())
        core.pass_done([], {}, T0 + timedelta(minutes=n))
    assert listed[0] == list(ALL_RESOURCES) and listed[3] == list(ALL_RESOURCES)
    assert listed[1] == listed[2] == listed[4] == list(HOT_RESOURCES)


def test_the_initial_listing_counts_as_a_reconciliation_and_the_next_is_due_a_period_later() -> None:
    core = SyncCore(SyncRequest(reconcile_every=timedelta(hours=24)))
    assert not core.reconcile_due(T0)
    core.pass_done(_initial_results(), {}, T0)
    assert core.next_reconcile_at() == T0 + timedelta(hours=24)
    assert not core.reconcile_due(T0 + timedelta(hours=23))
    assert core.reconcile_due(T0 + timedelta(hours=24))


def test_a_failed_initial_listing_does_not_count_and_failures_are_counted_until_a_clean_pass() -> None:
    core = SyncCore(SyncRequest())
    core.pass_done(_initial_results()[:-1], {"interviews": "503 from Harvest"}, T0)
    assert core.carried.last_reconciled_at is None
    core.pass_done([], {"interviews": "503 from Harvest"}, T0 + timedelta(minutes=1))
    status = core.status()
    assert status.consecutive_failures == 2 and status.last_error == "interviews: 503 from Harvest"
    core.pass_done([], {}, T0 + timedelta(minutes=2))
    assert core.status().consecutive_failures == 0 and core.status().last_error is None


def test_reconcile_requests_are_answered_once_per_id_and_block_the_hand_over() -> None:
    core = SyncCore(SyncRequest(passes_per_run=1))
    core.request_reconcile("a")
    core.request_reconcile("a")
    assert core.pending_reconciles == ["a"] and core.reconcile_due(T0)
    core.pass_done([], {}, T0)
    assert not core.should_continue_as_new(), "handed over with a reconcile still owed"
    report = core.reconcile_done([ResourceDrift(resource="jobs", stale=2, stale_ids=[1, 2])], {}, T0, T0)
    assert core.reconcile_answer("a") == report and report.total == 2
    core.request_reconcile("a")  # a retried request gets the answer it already has, no second run
    assert core.pending_reconciles == [] and core.should_continue_as_new()
    carried = SyncCore(core.next_request())
    assert carried.reconcile_answer("a") == report and carried.carried.passes == 1
    assert carried.status().last_drift == report


def test_remembered_answers_are_bounded_and_a_stop_answers_what_is_pending() -> None:
    core = SyncCore(SyncRequest())
    for n in range(MAX_REMEMBERED_REQUESTS + 5):
        core.request_reconcile(f"r{n}")
        core.reconcile_done([], {}, T0, T0)
    assert len(core.carried.reconciled_requests) == MAX_REMEMBERED_REQUESTS
    assert core.reconcile_answer("r0") is None
    core.request_reconcile("late")
    core.stop(T0)
    answer = core.reconcile_answer("late")
    assert answer is not None and "stopped" in answer.failed["sync"]
    assert core.status().state == "stopped"
