"""The Markdown page a recruiter sees for a scheduling request in the Temporal Web UI.

Ids, states, times and interview names only: candidate names and email addresses stay out of the
workflow's metadata.
"""

from __future__ import annotations

from models.messages import SchedulingStatusSnapshot

_STATE_WORDS = {
    "gathering": "Reading the application and interview plan",
    "offered": "Options sent to the candidate",
    "negotiating": "Negotiating times with the candidate",
    "booking": "Booking the loop",
    "scheduled": "Loop booked",
    "rescheduling": "Rescheduling: new options sent, old loop kept until confirmed",
    "replacing_interviewer": "Replacing an interviewer who declined",
    "escalated": "Waiting for a recruiter",
    "completed": "Completed",
    "cancelled": "Cancelled",
}


def _when(value: object) -> str:
    return value.strftime("%a %d %b %Y %H:%M UTC") if hasattr(value, "strftime") else "—"


def render_details(status: SchedulingStatusSnapshot) -> str:
    """Render the status snapshot as Markdown (no HTML, no images: the UI's rules)."""
    lines = [
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
        lines += ["| # | start | end | sessions |", "|---|---|---|---|"]
        for option in status.offer.options[:10]:
            lines.append(
                f"| {option.rank} | {_when(option.start)} | {_when(option.end)} | {len(option.placements)} |"
            )
    if status.booking:
        lines += [
            "",
            "### Booked",
            "",
            "| session | start | end | interviewers | Greenhouse interview |",
            "|---|---|---|---|---|",
        ]
        for session in status.booking.sessions:
            lines.append(
                f"| {session.name} | {_when(session.start)} | {_when(session.end)} | "
                f"{', '.join(str(i) for i in session.interviewers)} | {session.greenhouse_interview_id or '—'} |"
            )
    if status.history:
        lines += ["", "### Last events", ""]
        for entry in status.history[-8:]:
            lines.append(f"- {_when(entry.at)} — **{entry.event}** {entry.detail}")
    return "\n".join(lines)
