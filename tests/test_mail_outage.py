"""SMTP through the outage proxy to the embedded sink: every outage is transient, and delivery resumes."""

from __future__ import annotations

import mailbox
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from integrations.mail.reply_address import ReplyAddressCodec
from integrations.mail.transport import SmtpConfig, SmtpTransport, TransientMailError
from models.store import OutboxStatus
from sandbox.outage import OutageMode, OutageProxy
from tests.fixtures.mail import MutableClock, SinkHandle, confirmation_request, make_service

pytestmark = pytest.mark.integration
RAW = b"From: a@x.test\r\nTo: b@x.test\r\nSubject: t\r\nMessage-ID: <outage@x.test>\r\n\r\nhello\r\n"


@pytest.fixture
async def smtp_proxy(smtp_sink: SinkHandle) -> AsyncIterator[OutageProxy]:
    async with OutageProxy("127.0.0.1", smtp_sink.sink.port, name="smtp-relay") as proxy:
        yield proxy


@pytest.mark.parametrize(
    "mode",
    [OutageMode.CLOSE, OutageMode.RESET, OutageMode.REFUSE, OutageMode.SMTP_421, OutageMode.HANG],
    ids=lambda m: m.value,
)
async def test_outage_is_transient_and_delivery_resumes(
    smtp_proxy: OutageProxy, smtp_sink: SinkHandle, mode: OutageMode
) -> None:
    transport = SmtpTransport(SmtpConfig(host="127.0.0.1", port=smtp_proxy.port, timeout=1))
    await transport.deliver(RAW, sender="a@x.test", recipients=["b@x.test"])
    await smtp_proxy.down(mode)
    for _ in range(2):
        with pytest.raises(TransientMailError) as err:
            await transport.deliver(RAW, sender="a@x.test", recipients=["b@x.test"])
        if mode is OutageMode.SMTP_421:
            assert "421" in str(err.value)
    assert smtp_proxy.stats.refused == (0 if mode is OutageMode.REFUSE else 2)
    await smtp_proxy.up()
    await transport.deliver(RAW, sender="a@x.test", recipients=["b@x.test"])
    assert len(mailbox.Maildir(smtp_sink.maildir, create=False)) == 2


async def test_outbox_keeps_the_email_pending_through_the_outage(
    smtp_proxy: OutageProxy,
    smtp_sink: SinkHandle,
    mail_engine: Engine,
    mail_codec: ReplyAddressCodec,
    mail_clock: MutableClock,
) -> None:
    service = make_service(mail_engine, smtp_proxy.port, mail_codec, mail_clock)
    request = confirmation_request(datetime(2026, 12, 3, 15, tzinfo=UTC))
    await smtp_proxy.down(OutageMode.SMTP_421)
    with pytest.raises(TransientMailError):
        await service.send(request)
    row = await service.outbox.get(request.idempotency_key)
    assert row and row.status == OutboxStatus.PENDING and "421" in (row.last_error or "")
    await smtp_proxy.up()
    outcome = await service.send(request)
    assert outcome.status == OutboxStatus.SENT and outcome.attempts == 2 and not outcome.already_sent
    assert len(mailbox.Maildir(smtp_sink.maildir, create=False)) == 1
