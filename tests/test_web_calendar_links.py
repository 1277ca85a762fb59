"""`calendar.ics` follows the request's state: CONFIRMED only while the booking stands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.messages import BookedSession, Booking, SchedulingState
from web.calendar_links import booking_ics, calendar_verdict

START = datetime(2026, 12, 2, 14, tzinfo=UTC)
BOOKING = Booking(
    booking_id="b1",
    confirmed_at=START - timedelta(days=1),
    sequence=2,
    sessions=[
        BookedSession(
            session_id="s1", job_interview_id=1, name="Deep dive", start=START,
            end=START + timedelta(hours=1), interviewers=[7], event_key="k1",
        )
    ],
)  # fmt: skip


@pytest.mark.parametrize(
    ("state", "booking", "run_open", "expected"),
    [
        (SchedulingState.SCHEDULED, BOOKING, True, "confirmed"),
        (SchedulingState.COMPLETED, BOOKING, True, "confirmed"),  # the loop took place
        (SchedulingState.CANCELLED, BOOKING, True, "cancelled"),  # runs that kept the booking
        (SchedulingState.CANCELLING, BOOKING, True, "cancelled"),
        (SchedulingState.CANCELLED, None, True, "gone"),
        (SchedulingState.SCHEDULED, BOOKING, False, "gone"),  # terminated or failed run
        (SchedulingState.OFFERED, None, True, "not_booked"),
    ],
)
def test_verdicts(state: SchedulingState, booking: Booking | None, run_open: bool, expected: str) -> None:
    assert calendar_verdict(state, booking, run_open=run_open) == expected


def test_a_cancelled_file_cancels_the_same_events() -> None:
    confirmed = booking_ics(BOOKING, None, domain="hireflow.test", now=START).decode()
    cancelled = booking_ics(BOOKING, None, domain="hireflow.test", now=START, cancelled=True).decode()
    uid = next(line for line in confirmed.splitlines() if line.startswith("UID:"))
    assert "METHOD:PUBLISH" in confirmed and "STATUS:CONFIRMED" in confirmed and "SEQUENCE:2" in confirmed
    assert "METHOD:CANCEL" in cancelled and "STATUS:CANCELLED" in cancelled and "SEQUENCE:3" in cancelled
    assert uid in cancelled and "STATUS:CONFIRMED" not in cancelled
