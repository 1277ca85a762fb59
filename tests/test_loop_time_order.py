"""A loop reads in time order: every view lists sessions by start, whatever order the plan gave them.

The loop of issue 13: the interview plan lists Technical Deep Dive (17:15), System Design (15:15),
Coding (16:15), Culture Add (18:15). The data keeps that order; the candidate's page, every email and
its invite, the Greenhouse notes, the Temporal UI details and the terminal show 15:15 first.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from temporalio.testing import ActivityEnvironment

from activities.mail import MailActivities
from integrations.mail import contexts as mail
from integrations.mail.ics import parse_ics
from integrations.mail.render import TemplateRenderer
from integrations.mail.service import MailService
from integrations.org_store import OrgConfigStore
from models.activity_io import EmailInput
from models.messages import (
    BookedSession,
    Booking,
    OfferedOption,
    Person,
    SchedulingContext,
    SchedulingState,
    SchedulingStatusSnapshot,
    SessionSpec,
)
from models.scheduling import Placement
from models.settings import Settings
from models.time_order import in_time_order
from starters.schedule_cmd import render_status
from tests.fixtures.mail import SinkHandle
from web.views import booking_lines, group_options
from workflows.details import render_details
from workflows.scheduling_core.wording import booking_note, release_gave_up_note

DAY = datetime(2027, 3, 24, tzinfo=UTC)
PLAN = [  # (session id, name, start) in the interview plan's order
    ("s1", "Technical Deep Dive", DAY.replace(hour=17, minute=15)),
    ("s2", "System Design", DAY.replace(hour=15, minute=15)),
    ("s3", "Coding", DAY.replace(hour=16, minute=15)),
    ("s4", "Culture Add", DAY.replace(hour=18, minute=15)),
]
CLOCK = ["System Design", "Coding", "Technical Deep Dive", "Culture Add"]

CONTEXT = SchedulingContext(
    application_id=1,
    candidate_id=2,
    job_id=3,
    job_name="Backend Engineer",
    job_interview_stage_id=4,
    stage_name="Onsite",
    candidate_first_name="Ada",
    candidate_email="ada@example.com",
    candidate_time_zone="Europe/London",
    sessions=[
        SessionSpec(session_id=sid, job_interview_id=10 + n, name=name, duration_minutes=60, pool=[21 + n])
        for n, (sid, name, _) in enumerate(PLAN)
    ],
    people=[Person(user_id=21 + n, name=f"Interviewer {21 + n}") for n in range(len(PLAN))],
)
SESSIONS = [
    BookedSession(
        session_id=sid,
        job_interview_id=10 + n,
        name=name,
        start=start,
        end=start + timedelta(hours=1),
        interviewers=[21 + n],
        event_key=f"k{n}",
        greenhouse_interview_id=700 + n,
    )
    for n, (sid, name, start) in enumerate(PLAN)
]
BOOKING = Booking(booking_id="b1", sessions=SESSIONS, confirmed_at=DAY)


def order_in(text: str, names: list[str] = CLOCK) -> list[str]:
    """The names as they first appear in `text` (each must appear)."""
    found = {name: text.find(name) for name in names}
    missing = [name for name, at in found.items() if at < 0]
    assert not missing, f"{missing} not in {text!r}"
    return sorted(names, key=found.__getitem__)


def test_the_helper_sorts_by_start_and_keeps_the_plan_order_for_ties() -> None:
    assert [s.name for s in in_time_order(SESSIONS)] == CLOCK
    assert [s.name for s in SESSIONS] == [name for _, name, _ in PLAN]  # the input is left as it was
    tie = SESSIONS[1].model_copy(update={"name": "Parallel", "session_id": "s5"})
    assert [s.name for s in in_time_order([SESSIONS[1], tie])] == ["System Design", "Parallel"]
    assert [s.name for s in in_time_order([tie, SESSIONS[1]])] == ["Parallel", "System Design"]
    assert in_time_order([]) == []


def test_the_candidates_options_and_booked_loop_list_sessions_by_start() -> None:
    option = OfferedOption(
        option_id="v1-1",
        rank=1,
        start=min(s.start for s in SESSIONS),
        end=max(s.end for s in SESSIONS),
        placements=[
            Placement(session=s.session_id, start=s.start, end=s.end, interviewers=s.interviewers)
            for s in SESSIONS
        ],
    )
    [day] = group_options([option], "Asia/Tokyo", CONTEXT)
    [card] = day.options
    assert [line.name for line in card.sessions] == CLOCK
    assert card.sessions[0].when.startswith("00:15")  # 15:15 UTC, next day in Tokyo
    assert [p.session for p in option.placements] == ["s1", "s2", "s3", "s4"]  # data keeps the plan
    assert [line.name for line in booking_lines(BOOKING, "Europe/London", CONTEXT)] == CLOCK


def test_the_greenhouse_notes_list_sessions_by_start() -> None:
    assert order_in(booking_note(CONTEXT, BOOKING)) == CLOCK
    assert order_in(release_gave_up_note(SESSIONS, timedelta(days=7))) == CLOCK


def test_the_temporal_ui_details_and_the_terminal_list_booked_sessions_by_start() -> None:
    status = SchedulingStatusSnapshot(
        workflow_id="schedule-1-4",
        application_id=1,
        job_interview_stage_id=4,
        state=SchedulingState.SCHEDULED,
        booking=BOOKING,
    )
    details = render_details(status)
    assert order_in(details.split("### Booked", 1)[1]) == CLOCK
    assert "**System Design**: Wed 24 Mar 2027 15:15\u201316:15 UTC" in details
    assert order_in(render_status(status, "http://ui/x")) == CLOCK


def _mail_sessions() -> list[mail.Session]:
    return [mail.Session(title=s.name, start=s.start, end=s.end) for s in SESSIONS]


BASE = {
    "recipient_name": "Ada",
    "company_name": "Acme",
    "job_title": "Backend Engineer",
    "time_zone": "Asia/Tokyo",
}
URL = "https://hireflow.example/s/abc"


@pytest.mark.parametrize(
    "context",
    [
        mail.ConfirmationContext(**BASE, sessions=_mail_sessions(), reschedule_url=URL, cancel_url=URL),
        mail.ReminderContext(**BASE, about="interview", sessions=_mail_sessions(), action_url=URL),
        mail.CancellationContext(**BASE, sessions=_mail_sessions()),
        mail.CancelConfirmationContext(**BASE, sessions=_mail_sessions(), cancel_url=URL),
    ],
    ids=lambda c: c.template,
)
def test_every_email_lists_the_loop_by_start(context: mail.MailContext) -> None:
    rendered = TemplateRenderer().render(context)
    assert order_in(rendered.text) == CLOCK
    assert order_in(rendered.html) == CLOCK


def test_a_reschedule_email_lists_the_new_and_the_old_loop_by_start() -> None:
    moved = [
        s.model_copy(update={"start": s.start + timedelta(days=1), "end": s.end + timedelta(days=1)})
        for s in _mail_sessions()
    ]
    context = mail.RescheduleContext(
        **BASE, sessions=moved, previous_sessions=_mail_sessions(), reschedule_url=URL
    )
    assert [s.title for s in context.sessions] == CLOCK and [
        s.title for s in context.previous_sessions
    ] == CLOCK
    text = TemplateRenderer().render(context).text
    new, _, old = text.partition("Previously")
    assert order_in(new) == CLOCK and order_in(old) == CLOCK


async def test_the_confirmation_sent_through_the_sink_and_its_invite_read_in_time_order(
    mail_service: MailService, smtp_sink: SinkHandle, mail_engine: Engine, tmp_path: Path
) -> None:
    """The real activity: booking sessions in plan order in, an email and an .ics in clock order out."""
    settings = Settings(state_dir=tmp_path, signing_secret=SecretStr("order-test-secret"))
    activities = MailActivities(mail_service, settings, OrgConfigStore(mail_engine))
    request = EmailInput(
        key="schedule-1-4/confirmation",
        template="confirmation",
        to=["ada@example.com"],
        recipient_name="Ada",
        context=CONTEXT,
        booking_sessions=SESSIONS,
        reply_token_workflow_id="schedule-1-4",
        ics_method="REQUEST",
    )
    result = await ActivityEnvironment().run(activities.send_email, request)
    assert result.sent

    box = mailbox.Maildir(smtp_sink.maildir, create=False)
    [key] = box.keys()
    msg = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    text = msg.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert order_in(text) == CLOCK
    assert "Wednesday 24 March, 15:15\u201316:15 (London time, GMT)" in text  # the candidate's zone
    [calendar] = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    raw = calendar.get_payload(decode=True)
    assert isinstance(raw, bytes)
    invite = parse_ics(raw)
    assert invite.start == DAY.replace(hour=15, minute=15) and invite.end == DAY.replace(hour=19, minute=15)
    [event] = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert order_in(str(event["DESCRIPTION"])) == CLOCK
