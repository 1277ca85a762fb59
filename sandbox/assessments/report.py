"""The PDF report of a completed test, drawn with matplotlib's PdfPages (no pyplot, so safe off the main thread).

Text is drawn with `parse_math=False`: a candidate's name like `$\\frac{` must print as written, not be
parsed as mathtext (which would fail or render something else). The PDF carries no creation date, so the
same result renders the same bytes.
"""

from __future__ import annotations

import io
import threading
from datetime import datetime

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from sandbox.assessments.catalog import MAX_SCORE, SandboxTest, Scored

_LOCK = threading.Lock()  # matplotlib's font cache and text layout are not meant for concurrent use


def render_report(
    test: SandboxTest, candidate_name: str, invitation_id: str, result: Scored, completed_at: datetime
) -> bytes:
    """One A4 page: who, which test, the score and percentile, and a bar per question (right or wrong)."""
    with _LOCK:
        figure = Figure(figsize=(8.27, 11.69))
        header = figure.add_axes((0.08, 0.62, 0.84, 0.33))
        header.axis("off")
        lines = [
            (f"Assessment report: {test.name}", 18.0),
            (f"Candidate: {candidate_name or '(no name)'}", 12.0),
            (f"Invitation: {invitation_id}", 10.0),
            (f"Completed: {completed_at.isoformat(timespec='seconds')}", 10.0),
            (f"Score: {result.score:g} / {MAX_SCORE:g}", 14.0),
            (f"Percentile: {result.percentile:g}", 12.0),
        ]
        for row, (text, size) in enumerate(lines):
            header.text(0.0, 1.0 - row * 0.15, text, fontsize=size, va="top", parse_math=False)
        chart = figure.add_axes((0.12, 0.12, 0.8, 0.42))
        labels = [f"Q{i + 1}" for i in range(len(result.correct))]
        values = [1 if ok else 0 for ok in result.correct]
        colours = ["#2e7d32" if ok else "#c62828" for ok in result.correct]
        chart.bar(labels, values, color=colours)
        chart.set_ylim(0, 1.2)
        chart.set_yticks([0, 1], labels=["wrong", "right"])
        chart.set_title("Answers by question")
        buffer = io.BytesIO()
        with PdfPages(
            buffer, metadata={"CreationDate": None, "Creator": "Hireflow assessment sandbox"}
        ) as pdf:
            pdf.savefig(figure)
        return buffer.getvalue()
