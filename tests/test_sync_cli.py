"""`hireflow sync`: its help, and what `reconcile` and `status` print."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from models.sync_io import DriftReport, ResourceDrift, SyncProgress, SyncStatus
from starters.cli import app
from starters.sync_cmd import render_drift, render_status

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_sync_commands_are_registered() -> None:
    result = CliRunner().invoke(app, ["sync", "--help"])
    assert result.exit_code == 0
    for command in ("run", "status", "reconcile"):
        assert command in result.output


def test_the_drift_table_names_counts_ids_and_what_was_not_reconciled() -> None:
    report = DriftReport(
        started_at=T0,
        finished_at=T0,
        resources=[
            ResourceDrift(resource="candidates", listed=40, stale=1, stale_ids=[17]),
            ResourceDrift(resource="applications", listed=71, deleted=2, deleted_ids=[5, 6]),
        ],
        failed={"interviews": "Harvest answered 503"},
    )
    text = render_drift(report)
    assert text.splitlines()[0].split() == ["RESOURCE", "LISTED", "MISSING", "STALE", "DELETED"]
    assert text.splitlines()[1].split() == ["candidates", "40", "0", "1", "0"]
    assert "candidates stale: 17" in text and "applications deleted: 5, 6" in text
    assert "interviews: not reconciled (Harvest answered 503)" in text
    assert text.endswith("3 row(s) of drift, repaired")


def test_status_says_when_the_workflow_is_not_running_and_how_old_each_resource_is() -> None:
    fresh = datetime.now(UTC) - timedelta(seconds=30)
    text = render_status(None, {"jobs": (fresh, 8), "candidates": (None, 0)})
    assert "not running" in text and "hireflow sync run" in text
    jobs = next(line for line in text.splitlines() if line.startswith("jobs"))
    assert jobs.split()[1] == "8" and jobs.endswith(" s")
    assert "never" in next(line for line in text.splitlines() if line.startswith("candidates"))
    running = SyncStatus(
        passes=4,
        progress=SyncProgress(phase="reconciling", resource="users", done=2, total=11),
        last_error="applications: 503",
        consecutive_failures=2,
    )
    text = render_status(running, {})
    assert "running, 4 pass(es)" in text and "reconciling: users (2/11)" in text
    assert "failing (2 in a row): applications: 503" in text


async def test_the_reconcile_bar_follows_until_the_answer_not_the_first_idle_status() -> None:
    """The workflow can still read idle when the bar starts (the request not picked up yet)."""
    import asyncio

    from starters.sync_cmd import follow, until_answered

    answer: asyncio.Future[DriftReport] = asyncio.get_running_loop().create_future()
    phases = [
        SyncProgress(),
        SyncProgress(phase="reconciling", resource="users", done=2, total=13),
        SyncProgress(phase="reconciling", resource="candidates", done=11, total=13),
        SyncProgress(),
    ]
    reads = 0

    async def read() -> SyncStatus:
        nonlocal reads
        progress = phases[min(reads, len(phases) - 1)]
        reads += 1
        if reads == len(phases):
            answer.set_result(DriftReport(started_at=T0, finished_at=T0))
        return SyncStatus(passes=1, progress=progress)

    await follow(read, until_answered(answer), "reconciling")
    assert reads == len(phases) and answer.done()
