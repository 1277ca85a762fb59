"""Sending through the real SMTP sink: MIME shape, headers, ICS round trip, outbox idempotency."""

from __future__ import annotations

import email
import email.policy
import mailbox
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from integrations.mail.contexts import EscalationContext
from integrations.mail.ics import parse_ics
from integrations.mail.outbox import Outbox
from integrations.mail.reply_address import ReplyAddressCodec
from integrations.mail.service import MailRequest, MailService
from integrations.mail.transport import PermanentMailError, TransientMailError
from models.store import OutboxStatus
from tests.fixtures.mail import (
    REPLY_DOMAIN,
    WORKFLOW_ID,
    MutableClock,
    SinkHandle,
    confirmation_request,
    make_service,
)

pytestmark = pytest.mark.integration

START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 10:00 in New York (EST)


def stored(maildir: Path) -> list[EmailMessage]:
    box = mailbox.Maildir(maildir, create=False)
    out = []
    for key in sorted(box.keys()):
        msg = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        out.append(msg)
    return out


def calendar_parts(msg: EmailMessage) -> list[EmailMessage]:
    return [p for p in msg.walk() if p.get_content_type() == "text/calendar"]


async def test_invitation_arrives_with_valid_ics_and_same_instants(
    mail_service: MailService, smtp_sink: SinkHandle, mail_codec: ReplyAddressCodec
) -> None:
    outcome = await mail_service.send(confirmation_request(START))
    assert outcome.status == OutboxStatus.SENT and not outcome.already_sent

    [msg] = stored(smtp_sink.maildir)
    assert msg.get_content_type() == "multipart/mixed"
    alternative = next(msg.iter_parts())
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    [cal_part] = calendar_parts(msg)
    assert cal_part.get_param("method") == "REQUEST"
    attachments = [p for p in msg.iter_attachments() if p.get_filename() == "invite.ics"]
    assert len(attachments) == 1

    invite = parse_ics(cal_part.get_payload(decode=True))  # type: ignore[arg-type]
    assert invite.method == "REQUEST"
    assert invite.start == START and invite.end == START + timedelta(hours=1, minutes=45)
    assert invite.start.utcoffset() == timedelta(0)
    assert invite.sequence == 0 and invite.status == "CONFIRMED"
    assert invite.uid.endswith("@" + REPLY_DOMAIN) and WORKFLOW_ID not in invite.uid

    text = msg.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Tuesday 1 December, 10:00\u201311:00 (New York time, EST)" in text


async def test_headers_are_rfc_correct_and_reply_to_routes_back(
    mail_service: MailService, smtp_sink: SinkHandle, mail_codec: ReplyAddressCodec
) -> None:
    await mail_service.send(confirmation_request(START))
    [msg] = stored(smtp_sink.maildir)
    assert msg["From"].addresses[0].addr_spec == "scheduling@hireflow.test"
    assert msg["To"].addresses[0].addr_spec == "jane.doe@example.com"
    assert msg["Date"].datetime == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert msg["Message-ID"].endswith(f"@{REPLY_DOMAIN}>")
    assert mail_codec.workflow_for_message_id(msg["Message-ID"]) == WORKFLOW_ID
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["In-Reply-To"] is None
    reply_to = msg["Reply-To"].addresses[0].addr_spec
    assert len(reply_to.split("@")[0]) < 64
    assert mail_codec.workflow_for_address(reply_to) == WORKFLOW_ID
    assert msg["Return-Path"] == "<scheduling@hireflow.test>"


async def test_answer_to_a_reply_is_threaded_and_auto_replied(
    mail_service: MailService, smtp_sink: SinkHandle
) -> None:
    ctx = EscalationContext(
        recipient_name="Rita",
        company_name="Acme",
        job_title="Backend Engineer",
        time_zone="Europe/London",
        candidate_name="Jane Doe",
        reason="The candidate asked a question Hireflow cannot answer.",
    )
    request = MailRequest(
        idempotency_key=f"{WORKFLOW_ID}/answer-1",
        purpose="escalation",
        to=["rita@acme.example"],
        context=ctx,
        workflow_id=WORKFLOW_ID,
        in_reply_to="<abc@mail.example.com>",
        references=["<root@hireflow.test>"],
    )
    await mail_service.send(request)
    [msg] = stored(smtp_sink.maildir)
    assert msg["In-Reply-To"] == "<abc@mail.example.com>"
    assert msg["References"] == "<root@hireflow.test> <abc@mail.example.com>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert not calendar_parts(msg)
    assert msg.get_content_type() == "multipart/alternative"


async def test_retried_send_delivers_exactly_once(
    mail_service: MailService, smtp_sink: SinkHandle, mail_clock: MutableClock
) -> None:
    request = confirmation_request(START)
    first = await mail_service.send(request)
    mail_clock.now += timedelta(minutes=10)  # a retry later must not re-render or resend
    second = await mail_service.send(request)
    third = await mail_service.send(request)
    assert not first.already_sent and second.already_sent and third.already_sent
    assert first.message_id == second.message_id
    assert len(stored(smtp_sink.maildir)) == 1
    row = await mail_service.outbox.get(request.idempotency_key)
    assert row is not None and row.attempts == 1 and row.status == OutboxStatus.SENT
    assert row.sent_at == datetime(2026, 11, 23, 15, 0, tzinfo=UTC), "aware UTC back from SQLite"


async def test_reschedule_and_cancel_keep_uid_and_bump_sequence(
    mail_service: MailService, smtp_sink: SinkHandle
) -> None:
    await mail_service.send(confirmation_request(START))
    moved = START + timedelta(days=1)
    await mail_service.send(confirmation_request(moved, key=f"{WORKFLOW_ID}/reschedule-1", sequence=1))
    await mail_service.send(
        confirmation_request(moved, key=f"{WORKFLOW_ID}/cancellation", sequence=2, method="CANCEL")
    )
    invites = [parse_ics(calendar_parts(m)[0].get_payload(decode=True)) for m in stored(smtp_sink.maildir)]  # type: ignore[arg-type]
    by_seq = sorted(invites, key=lambda i: i.sequence)
    assert [i.sequence for i in by_seq] == [0, 1, 2]
    assert len({i.uid for i in by_seq}) == 1
    assert by_seq[1].start == moved and by_seq[1].method == "REQUEST"
    cancel = by_seq[2]
    assert cancel.method == "CANCEL" and cancel.status == "CANCELLED"
    cancel_msg = next(m for m in stored(smtp_sink.maildir) if "Cancelled" in m["Subject"])
    assert calendar_parts(cancel_msg)[0].get_param("method") == "CANCEL"


async def test_unreachable_relay_is_transient_and_a_retry_succeeds(
    mail_engine: Engine, smtp_sink: SinkHandle, mail_codec: ReplyAddressCodec, mail_clock: MutableClock
) -> None:
    request = confirmation_request(START)
    down = make_service(mail_engine, 1, mail_codec, mail_clock)  # nothing listens on port 1
    with pytest.raises(TransientMailError):
        await down.send(request)
    row = await down.outbox.get(request.idempotency_key)
    assert row is not None and row.status == OutboxStatus.PENDING and row.last_error

    up = make_service(mail_engine, smtp_sink.sink.port, mail_codec, mail_clock)
    outcome = await up.send(request)
    assert outcome.status == OutboxStatus.SENT and outcome.attempts == 2
    assert len(stored(smtp_sink.maildir)) == 1


async def test_concurrent_attempt_is_refused_while_claimed(
    mail_service: MailService, smtp_sink: SinkHandle, mail_clock: MutableClock
) -> None:
    request = confirmation_request(START)
    row = await mail_service.outbox.record(mail_service.build(request))
    await mail_service.outbox.claim(row.idempotency_key)  # another worker is sending right now
    with pytest.raises(TransientMailError, match="another attempt"):
        await mail_service.send(request)
    assert stored(smtp_sink.maildir) == []


async def test_crash_between_send_and_mark_resends_same_message_id(
    mail_service: MailService, smtp_sink: SinkHandle, mail_clock: MutableClock
) -> None:
    """The documented at-least-once edge: the duplicate is byte-identical and detectable."""
    request = confirmation_request(START)
    row = await mail_service.outbox.record(mail_service.build(request))
    claimed = await mail_service.outbox.claim(row.idempotency_key)
    await mail_service.transport.deliver(
        claimed.raw_message, sender=claimed.sender, recipients=claimed.recipients.split(",")
    )  # ...and the process dies before mark_sent
    mail_clock.now += mail_service.outbox.lease + timedelta(seconds=1)
    outcome = await mail_service.send(request)
    assert outcome.status == OutboxStatus.SENT and outcome.attempts == 2
    messages = stored(smtp_sink.maildir)
    assert len(messages) == 2
    assert messages[0]["Message-ID"] == messages[1]["Message-ID"] == outcome.message_id


async def test_permanent_refusal_is_remembered(mail_engine: Engine, mail_clock: MutableClock) -> None:
    class Refusing:
        calls = 0

        async def deliver(self, raw: bytes, *, sender: str, recipients: object) -> object:
            Refusing.calls += 1
            raise PermanentMailError("550 no such user")

    from integrations.mail.render import TemplateRenderer
    from tests.fixtures.mail import MAIL_FROM

    service = MailService(
        outbox=Outbox(mail_engine, clock=mail_clock),
        transport=Refusing(),  # type: ignore[arg-type]
        renderer=TemplateRenderer(),
        codec=ReplyAddressCodec("s", REPLY_DOMAIN),
        mail_from=MAIL_FROM,
        clock=mail_clock,
    )
    request = confirmation_request(START)
    with pytest.raises(PermanentMailError):
        await service.send(request)
    with pytest.raises(PermanentMailError, match="failed permanently earlier"):
        await service.send(request)
    assert Refusing.calls == 1


async def test_outbox_on_postgresql(
    postgres_engine: Engine, smtp_sink: SinkHandle, mail_codec: ReplyAddressCodec, mail_clock: MutableClock
) -> None:
    service = make_service(postgres_engine, smtp_sink.sink.port, mail_codec, mail_clock)
    request = confirmation_request(START)
    assert not (await service.send(request)).already_sent
    assert (await service.send(request)).already_sent
    row = await service.outbox.get(request.idempotency_key)
    assert row is not None and row.sent_at == mail_clock.now and row.created_at.tzinfo is not None
    assert len(stored(smtp_sink.maildir)) == 1

    # claim/lease semantics on PostgreSQL too: concurrent attempt refused, expired lease taken over
    other = confirmation_request(START, key=f"{WORKFLOW_ID}/reminder-1")
    recorded = await service.outbox.record(service.build(other))
    await service.outbox.claim(recorded.idempotency_key)
    with pytest.raises(TransientMailError):
        await service.send(other)
    mail_clock.now += service.outbox.lease + timedelta(seconds=1)
    outcome = await service.send(other)
    assert outcome.status == OutboxStatus.SENT and outcome.attempts == 2
    assert len(stored(smtp_sink.maildir)) == 2
