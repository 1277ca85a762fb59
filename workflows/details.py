"""The Markdown page a recruiter sees for a scheduling request in the Temporal Web UI.

Ids, states, times and interview names only: candidate names and email addresses stay out of the
workflow's metadata. Names, rooms and error texts from other systems are escaped here; people's own
words reach reasons and history already quoted inertly (`scheduling_core.wording.quoted`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from models.inert_text import escape_markdown as _md
from models.messages import SchedulingStatusSnapshot
from models.time_order import in_time_order

_STATE_WORDS = {
    "gathering": "Reading the application and interview plan",
    "offered": "Options sent to the candidate",
    "negotiating": "Negotiating times with the candidate",
    "booking": "Booking the loop",
    "scheduled": "Loop booked",
    "rescheduling": "Rescheduling: new options sent, old loop kept until confirmed",
    "replacing_interviewer": "Replacing an interviewer who declined",
    "escalated": "Waiting for a recruiter",
    "cancelling": "Cancelling: removing the loop and telling everyone",
    "completed": "Completed",
    "cancelled": "Cancelled",
}


def _when(value: object) -> str:
    return value.strftime("%a %d %b %Y %H:%M UTC") if hasattr(value, "strftime") else "—"


def _span(start: datetime, end: datetime) -> str:
    """`Wed 02 Dec 2026 14:00-18:45 UTC`, or both full times when the span crosses midnight (UTC)."""
    if start.astimezone(UTC).date() == end.astimezone(UTC).date():
        return f"{start.astimezone(UTC):%a %d %b %Y %H:%M}\u2013{end.astimezone(UTC):%H:%M} UTC"
    return f"{_when(start.astimezone(UTC))} \u2013 {_when(end.astimezone(UTC))}"


def render_details(status: SchedulingStatusSnapshot, summary: str = "") -> str:
    """Render the status snapshot as Markdown (no HTML, no images: the UI's rules).

    `summary` repeats the static summary on top: a continued-as-new run loses the static summary
    (the SDK cannot pass one, and the server does not copy it), never these details.
    """
    lines = [
        *([summary, ""] if summary else []),
        f"## {_STATE_WORDS.get(status.state.value, status.state.value)}",
        "",
        f"**State:** `{status.state.value}`" + (" (paused)" if status.paused else ""),
    ]
    if status.waiting_for:
        lines.append(
            f"**Waiting for:** {status.waiting_for}"
            + (f" until {_when(status.deadline)}" if status.deadline else "")
        )
    if status.escalation_reason and status.state.value == "escalated":
        lines.append(f"**Why a recruiter is needed:** {status.escalation_reason}")
    lines.append(
        f"**Counters:** {status.reminders_sent} reminder(s), {status.reschedules} reschedule(s), "
        f"{status.replacements} replacement(s)"
    )
    if status.offer and status.offer.options:
        lines += [
            "",
            f"### Options offered (version {status.offer.version}, expire {_when(status.offer.expires_at)})",
            "",
        ]
        lines += [
            f"{option.rank}. {_span(option.start, option.end)}, {len(option.placements)} session(s)"
            for option in status.offer.options[:10]
        ]
    if status.booking:
        lines += ["", "### Booked", ""]
        for session in in_time_order(status.booking.sessions):
            panel = ", ".join(str(i) for i in session.interviewers)
            extras = [f"interviewers {panel}"]
            if session.room:
                extras.append(f"room {_md(session.room)}")
            extras.append(f"Greenhouse interview {session.greenhouse_interview_id or '—'}")
            lines.append(
                f"- **{_md(session.name)}**: {_span(session.start, session.end)} · {' · '.join(extras)}"
            )
    if status.pending_releases:
        lines.append(f"**Still to remove:** {status.pending_releases} replaced or cancelled loop(s), retried")
    if status.failures:
        lines += ["", "### Calls that ran out of retries", ""]
        lines += [f"- {_md(failure)}" for failure in status.failures[-5:]]
    if status.history:
        lines += ["", "### Last events", ""]
        for entry in status.history[-8:]:
            lines.append(f"- {_when(entry.at)} — **{entry.event}** {entry.detail}")
    return "\n".join(lines)
