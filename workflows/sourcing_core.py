"""The pure part of SourcingWorkflow: which rows run next, the live counts, the Temporal UI page."""

from __future__ import annotations

from datetime import datetime

from models.inert_text import escape_markdown as md
from models.sourcing import RowResult, SourcingCounts, SourcingRequest, SourcingStatus


class SourcingCore:
    """Counts per outcome as rows finish; rows are handed out in windows of `concurrency`."""

    def __init__(self, request: SourcingRequest) -> None:
        self.request = request
        self.counts = SourcingCounts()
        self.finished_at: datetime | None = None
        self.recent: list[RowResult] = []

    def windows(self) -> list[list[int]]:
        size = self.request.concurrency
        rows = list(range(self.request.rows))
        return [rows[i : i + size] for i in range(0, len(rows), size)]

    def row_done(self, result: RowResult) -> None:
        self.counts.add(result.outcome)
        self.recent = [*self.recent, result][-10:]

    def finish(self, now: datetime) -> None:
        self.finished_at = now

    def status(self) -> SourcingStatus:
        return SourcingStatus(
            batch_id=self.request.batch_id,
            source=self.request.source,
            rows=self.request.rows,
            counts=self.counts.model_copy(),
            finished_at=self.finished_at,
        )


def render_details(status: SourcingStatus, recent: list[RowResult]) -> str:
    """The batch's page in the Temporal UI: live counts and the last rows (ids and outcomes only)."""
    c = status.counts
    state = "Done" if status.finished_at else "Importing"
    lines = [
        f"**Sourcing batch** `{md(status.batch_id)}` from **{md(status.source)}**",
        "",
        f"## {state}: {c.done}/{status.rows} row(s)",
        "",
        "| created | matched | skipped | needs review | failed |",
        "|---|---|---|---|---|",
        f"| {c.created} | {c.matched} | {c.skipped} | {c.review} | {c.failed} |",
    ]
    if recent:
        lines += ["", "### Last rows", ""]
        lines += [
            f"- row {r.row}: **{r.outcome}**" + (f" → candidate {r.candidate_id}" if r.candidate_id else "")
            for r in recent
        ]
    return "\n".join(lines)
