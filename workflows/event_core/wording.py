"""Everything the EventWorkflow says to people, in one place."""

from __future__ import annotations

from datetime import date

from models.inert_text import escape_markdown
from models.scheduling import Blocker

RECORDED = "Thank you: we have your times. We will email you your interviews once the day is planned."
RECORDED_LATE = (
    "Thank you: we have your times. The day is already planned; we will email you if a place comes free."
)
RECORDED_SAME = "Thank you: those are the times we already have."
TOO_MANY_ANSWERS = "You have changed your times many times; please reply to your recruiter instead."
UNAVAILABLE = "Thank you for letting us know. Your recruiter will be in touch about other times."
CLOSED = "Answers for this event are closed. Your recruiter will be in touch."
BOOKED_ALREADY = (
    "Your interviews are planned: use the links in your confirmation email to reschedule or cancel."
)
NOT_INVITED = "This link does not belong to a candidate of this event."
OUTSIDE_DAYS = "Those times are not on the event's days; choose times during the event."
CANCELLED = "The event is cancelled; every planned loop is being cancelled too."
ALREADY_CANCELLED = "The event was already cancelled."
ALREADY_OVER = "The event is over; there is nothing left to cancel."
ALREADY_SCHEDULING = (
    "a scheduling request for this stage is already running: book it there, or cancel it to join the event"
)
NOT_ASKED = "Not asked: there was no time left before the event; planned for the whole days."


def days_text(days: list[date]) -> str:
    return ", ".join(f"{d:%a %d %b %Y}" for d in days)


def blocker_reason(blockers: list[Blocker]) -> str:
    """The planner's first reason, with its first verified fix, in a recruiter's words."""
    if not blockers:
        return "the planner left this candidate out to fit more candidates in (no single reason)"
    first = blockers[0]
    fix = f"; would fit if: {first.relaxations[0].detail}" if first.relaxations else ""
    return f"{first.detail}{fix}"[:480]


def unscheduled_note(event_name: str, days: list[date], reason: str) -> str:
    return (
        f"Hireflow could not place this candidate in the {escape_markdown(event_name)} on {days_text(days)}: "
        f"{reason}. They are on the event's waitlist and get a place if one comes free."
    )


def list_failed(message: str) -> str:
    return f"the stage's candidates could not be read from Greenhouse: {message}"[:480]


def plan_failed(message: str) -> str:
    return f"the event could not be planned: {message}; retrying hourly"[:480]


def gather_failed(message: str) -> str:
    return f"could not read the application: {message}"[:480]


def start_failed(message: str) -> str:
    return f"its scheduling request could not be started: {message}"[:480]
