"""The Markdown page of a scheduling request in the Temporal UI: readable, and free of names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.messages import (
    BookedSession,
    Booking,
    HistoryEntry,
    Offer,
    OfferedOption,
    SchedulingState,
    SchedulingStatusSnapshot,
)
from workflows.details import render_details

START = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


def _status(**update: object) -> SchedulingStatusSnapshot:
    base = SchedulingStatusSnapshot(
        workflow_id="schedule-1-2", application_id=1, job_interview_stage_id=2, state=SchedulingState.OFFERED
    )
    return base.model_copy(update=update)


def test_options_are_a_numbered_list_with_their_span() -> None:
    options = [
        OfferedOption(
            option_id=f"o{n}",
            rank=n,
            start=START + timedelta(days=n),
            end=START + timedelta(days=n, hours=4),
            placements=[],
        )
        for n in (1, 2)
    ]
    offer = Offer(version=3, options=options, offered_at=START, expires_at=START + timedelta(days=7))
    page = render_details(
        _status(offer=offer, waiting_for="the candidate to pick", deadline=START + timedelta(days=1))
    )

    assert page.startswith("## Options sent to the candidate\n")
    assert "**Waiting for:** the candidate to pick until Thu 03 Dec 2026 14:00 UTC" in page
    assert "### Options offered (version 3, expire Wed 09 Dec 2026 14:00 UTC)" in page
    assert "1. Thu 03 Dec 2026 14:00\u201318:00 UTC, 0 session(s)" in page
    assert "2. Fri 04 Dec 2026 14:00\u201318:00 UTC, 0 session(s)" in page


def test_booked_sessions_list_times_panel_room_and_interview_and_spans_over_midnight() -> None:
    late = START.replace(hour=23, minute=30)
    sessions = [
        BookedSession(
            session_id="s1",
            job_interview_id=9,
            name="System Design",
            start=START,
            end=START + timedelta(hours=1),
            interviewers=[11, 12],
            room="NYC-4A",
            event_key="k1",
            greenhouse_interview_id=77,
        ),
        BookedSession(
            session_id="s2",
            job_interview_id=9,
            name="Culture",
            start=late,
            end=late + timedelta(hours=1),
            interviewers=[13],
            event_key="k2",
        ),
    ]
    booking = Booking(booking_id="b1", sessions=sessions, confirmed_at=START)
    history = [HistoryEntry(at=START, event="booked", detail="option 1")]
    page = render_details(_status(state=SchedulingState.SCHEDULED, booking=booking, history=history))

    assert (
        "- **System Design**: Wed 02 Dec 2026 14:00\u201315:00 UTC · interviewers 11, 12 · room NYC-4A · Greenhouse interview 77"
        in page
    )
    assert (
        "- **Culture**: Wed 02 Dec 2026 23:30 UTC \u2013 Thu 03 Dec 2026 00:30 UTC · interviewers 13 · Greenhouse interview —"
        in page
    )
    assert "- Wed 02 Dec 2026 14:00 UTC — **booked** option 1" in page


def test_the_booking_note_lists_sessions_in_time_order_in_utc_with_names() -> None:
    from models.messages import Person, SchedulingContext
    from workflows.scheduling_core.wording import booking_note as _booking_note

    context = SchedulingContext(
        application_id=1,
        candidate_id=2,
        job_id=3,
        job_name="Backend",
        job_interview_stage_id=4,
        stage_name="Onsite",
        people=[Person(user_id=11, name="Chen Suzuki"), Person(user_id=12, name="Mai Bakshi")],
    )
    later = BookedSession(
        session_id="b",
        job_interview_id=9,
        name="Coding",
        start=START + timedelta(hours=2),
        end=START + timedelta(hours=3),
        interviewers=[12],
        event_key="k2",
    )
    first = BookedSession(
        session_id="a",
        job_interview_id=9,
        name="Design",
        start=START,
        end=START + timedelta(hours=1),
        interviewers=[11, 99],
        event_key="k1",
    )
    note = _booking_note(context, Booking(booking_id="b1", sessions=[later, first], confirmed_at=START))

    assert note.splitlines() == [
        "Hireflow booked the Onsite loop:",
        "- Wed 02 Dec 2026 14:00-15:00 UTC: Design with Chen Suzuki, 99",
        "- Wed 02 Dec 2026 16:00-17:00 UTC: Coding with Mai Bakshi",
    ]
