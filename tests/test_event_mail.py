"""The event's availability request through the real mail activity and SMTP sink, and replies to it.

The email carries the signed `/event/<token>` link (expiring at the answer deadline, bound to the
event's run chain), the candidate's zone and the deadline in it, the event's name and days; it has no
reply address, so a reply reaches no workflow: the inbound webhook answers it "ignored" (no retries),
and a reply naming an event is dropped by `forward_reply` without asking Temporal.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import cast

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.mail import MailActivities
from integrations.event_client import event_link_subject
from integrations.links import verify_link_token
from integrations.logs import redact_text
from integrations.mail.inbound import InboundReply, UnroutableReply, reply_from_mime
from integrations.mail.profile_copy import profile_text
from integrations.mail.reply_address import ReplyAddressCodec
from integrations.mail.service import MailService
from integrations.org_store import OrgConfigStore
from models.activity_io import EmailInput
from models.settings import Settings
from tests.fixtures.mail import MAIL_SECRET, SinkHandle
from tests.support.fake_scheduling import CONTEXT
from web.inbound_mail import build_inbound_router
from workers.replies import forward_reply

pytestmark = pytest.mark.integration

EVENT = "event-3485-71416-20261202"
APPLICATION = 52877001001
CHAIN = "5d1c7a2e-0f3b-4c1d-9e8f-1a2b3c4d5e6f"
DEADLINE = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)  # 12:00 in New York (EST)
BASE_URL = "https://jobs.acme.example"


def _request(**fields: object) -> EmailInput:
    base: dict[str, object] = {
        "key": f"{EVENT}/availability/{APPLICATION}",
        "template": "availability_request",
        "to": ["ada@example.com"],
        "recipient_name": "Ada",
        "recipient_time_zone": "America/New_York",
        "context": CONTEXT,
        "expires_at": DEADLINE,
        "reply_token_workflow_id": event_link_subject(EVENT, APPLICATION),
        "chain_id": CHAIN,
        "reason": "hiring day on Wednesday 2 December",
    }
    return EmailInput.model_validate({**base, **fields})


def _activities(mail_service: MailService, mail_engine: Engine, tmp_path: Path) -> MailActivities:
    settings = Settings(state_dir=tmp_path, signing_secret=SecretStr(MAIL_SECRET), web_base_url=BASE_URL)
    return MailActivities(mail_service, settings, OrgConfigStore(mail_engine))


def _stored(maildir: Path) -> list[EmailMessage]:
    box = mailbox.Maildir(maildir, create=False)
    out = []
    for key in sorted(box.keys()):
        msg = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        out.append(msg)
    return out


async def test_the_availability_request_carries_the_event_link_zone_and_deadline(
    mail_service: MailService,
    smtp_sink: SinkHandle,
    mail_engine: Engine,
    mail_codec: ReplyAddressCodec,
    tmp_path: Path,
) -> None:
    result = await ActivityEnvironment().run(
        _activities(mail_service, mail_engine, tmp_path).send_email, _request()
    )
    assert result.sent and not result.duplicate
    [msg] = _stored(smtp_sink.maildir)
    assert msg["To"].addresses[0].addr_spec == "ada@example.com"
    assert "hiring day on Wednesday 2 December" in msg["Subject"]
    text = msg.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]

    links = re.findall(rf"{re.escape(BASE_URL)}/event/([A-Za-z0-9_.-]+)", text)
    assert len(set(links)) == 1 and f"{BASE_URL}/event/{links[0]}" in html
    claims = verify_link_token(links[0], MAIL_SECRET, datetime(2026, 11, 23, tzinfo=UTC))
    assert claims.purpose == "availability"
    assert claims.workflow_id == f"{EVENT}~{APPLICATION}" and claims.chain_id == CHAIN
    assert claims.expires_at == DEADLINE, "the link lives until the answers close"

    assert "Hi Ada," in text
    assert "hiring day on Wednesday 2 December" in text and "Tell us which times you can come" in text
    assert "times in your time zone, New York time" in text  # the candidate's zone, named
    assert "Please answer by Saturday 28 November, 12:00 (New York time, EST)" in text
    assert "2 interviews, about 2 hours in all" in text  # the loop's length (fake context: 60 + 60 min)
    assert "reply to this email does not record your times" in text
    assert "reply to this email with times" not in text.lower()
    # the link is a bearer secret: neither logs nor the copy on the candidate's profile keep it
    assert links[0] not in redact_text(f'"GET /event/{links[0]}?tz=UTC HTTP/1.1" 200')
    assert links[0] not in profile_text(text, msg["Message-ID"])


async def test_the_availability_request_has_no_reply_address_and_a_reply_routes_nowhere(
    mail_service: MailService,
    smtp_sink: SinkHandle,
    mail_engine: Engine,
    mail_codec: ReplyAddressCodec,
    tmp_path: Path,
) -> None:
    await ActivityEnvironment().run(_activities(mail_service, mail_engine, tmp_path).send_email, _request())
    [msg] = _stored(smtp_sink.maildir)
    assert msg["Reply-To"] is None
    assert mail_codec.target_for_message_id(msg["Message-ID"]) is None, "no reply token in the Message-ID"

    reply = (
        f"From: Ada <ada@example.com>\r\nTo: {msg['From']}\r\nSubject: Re: {msg['Subject']}\r\n"
        f"In-Reply-To: {msg['Message-ID']}\r\nReferences: {msg['Message-ID']}\r\n"
        "Message-ID: <r1@mail.example>\r\n\r\nI can come on Wednesday morning.\r\n"
    ).encode()
    with pytest.raises(UnroutableReply):
        reply_from_mime(mail_codec, reply, source="smtp", received_at=datetime.now(UTC))

    handled: list[InboundReply] = []

    async def handler(reply: InboundReply) -> None:
        handled.append(reply)

    app = FastAPI()
    app.include_router(
        build_inbound_router(mail_codec, handler, mailgun_signing_key=None, sendgrid_token="sg-token")
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        answer = await http.post(
            "/inbound/sendgrid?token=sg-token", data={"email": reply.decode(), "envelope": "{}"}
        )
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"  # SendGrid does not retry
    assert handled == []


async def test_a_reply_naming_an_event_is_dropped_without_asking_temporal() -> None:
    reply = InboundReply(
        workflow_id=event_link_subject(EVENT, APPLICATION),
        source="smtp",
        sender="ada@example.com",
        recipient="reply+x@replies.hireflow.test",
        subject="Re: which times",
        message_id=None,
        in_reply_to=None,
        text="Wednesday morning",
        new_text="Wednesday morning",
        received_at=datetime.now(UTC),
    )
    assert await forward_reply(cast(Client, None), reply) == "event"
    assert await forward_reply(cast(Client, None), reply.model_copy(update={"workflow_id": EVENT})) == "event"


async def test_an_availability_request_without_an_event_subject_fails_for_good(
    mail_service: MailService, mail_engine: Engine, tmp_path: Path
) -> None:
    activities = _activities(mail_service, mail_engine, tmp_path)
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(
            activities.send_email, _request(reply_token_workflow_id="schedule-1-2")
        )
    assert caught.value.non_retryable and caught.value.type == "MailInputError"
