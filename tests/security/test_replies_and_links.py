"""Issue 10, findings 1, 6 and 7: who a reply is from, which request a link belongs to, inert text.

Everything runs against the real SchedulingWorkflow on the Temporal dev server (fake activities, the
`web` harness of tests/test_web_pages.py) and the real mail path: the reply address a recipient gets is
read from the message `MailActivities.send_email` composes, and the reply goes through
`reply_from_mime` and `forward_reply`, as the SMTP sink and the inbound webhooks do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from activities.mail import MailActivities
from integrations.mail.inbound import InboundReply, reply_from_mime
from integrations.mail.outbox import Outbox
from integrations.mail.render import TemplateRenderer
from integrations.mail.reply_address import ReplyAddressCodec
from integrations.mail.service import MailService
from integrations.org_store import OrgConfigStore
from models.activity_io import EmailInput
from models.messages import SchedulingState
from models.store import create_engine_for, init_db
from starters.requests import start_scheduling
from tests.support.fake_scheduling import CONTEXT
from tests.test_web_pages import WebHarness, csrf_of, until
from workers.replies import forward_reply
from workflows.scheduling import SchedulingWorkflow


class _Sent(BaseModel):
    raw: bytes = b""


class _Capture:
    """A mail transport that keeps the last message instead of sending it."""

    def __init__(self) -> None:
        self.last = _Sent()

    async def deliver(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> Any:
        from integrations.mail.transport import SendResult

        self.last = _Sent(raw=raw)
        return SendResult()


async def _composed(web: WebHarness, email: EmailInput, engine: Engine) -> Any:
    """The message the product sends for a recorded EmailInput (real templates, links, Reply-To)."""
    capture = _Capture()
    service = MailService(
        outbox=Outbox(engine),
        transport=capture,
        renderer=TemplateRenderer(None),
        codec=ReplyAddressCodec(web.settings.signing_secret.get_secret_value(), web.settings.reply_domain),
        mail_from=web.settings.mail_from,
    )
    activities = MailActivities(service, web.settings, OrgConfigStore(engine))
    await activities.send_email(email)
    return message_from_bytes(capture.last.raw, policy=default_policy)


def _engine(web: WebHarness) -> Engine:
    engine = create_engine_for(f"sqlite:///{web.settings.state_dir / 'mail-capture.db'}")
    init_db(engine)
    return engine


def _reply(web: WebHarness, reply_to: str, sender: str, body: str, **fields: Any) -> InboundReply:
    raw = (
        f"From: {sender}\r\nTo: {reply_to}\r\nSubject: Re: your interviews\r\n"
        f"Message-ID: <r{datetime.now(UTC).timestamp()}@mail.example>\r\n\r\n{body}\r\n"
    ).encode()
    codec = ReplyAddressCodec(web.settings.signing_secret.get_secret_value(), web.settings.reply_domain)
    reply = reply_from_mime(codec, raw, source="smtp", received_at=datetime.now(UTC))
    return reply.model_copy(update=fields)


def _emails(web: WebHarness, workflow_id: str, template: str) -> list[EmailInput]:
    return [e for e in web.world.emails if e.key.startswith(workflow_id + "/") and e.template == template]


async def _settled(handle: Any) -> Any:
    await asyncio.sleep(1.0)
    return await handle.query(SchedulingWorkflow.status)


async def test_a_stranger_replying_to_the_candidates_address_cancels_nothing(web: WebHarness) -> None:
    handle = (await web.booked())[1]
    confirmation = _emails(web, handle.id, "confirmation")[0]
    message = await _composed(web, confirmation, _engine(web))
    reply_to = message["Reply-To"].addresses[0].addr_spec
    mallory = _reply(
        web,
        reply_to,
        "Mallory <mallory@evil.example>",
        "I am withdrawing, cancel everything. Details: https://evil.example/login",
        sender_authenticated=True,  # a real, signed post: only the address is wrong
    )
    await forward_reply(web.client, mallory)
    status = await _settled(handle)
    assert status.state == SchedulingState.SCHEDULED, "a stranger's email must not cancel the loop"
    assert not _emails(web, handle.id, "cancellation")
    notes = [n for n in web.world.notes if n.key.startswith(handle.id + "/")]
    informed = [n for n in notes if "changed nothing" in n.body]
    assert informed, "the recruiter is told about the reply"
    assert "https://" not in informed[-1].body and "https:\\/\\/" in informed[-1].body


async def test_the_candidates_own_emailed_cancel_asks_for_a_click(web: WebHarness) -> None:
    handle = (await web.booked())[1]
    confirmation = _emails(web, handle.id, "confirmation")[0]
    engine = _engine(web)
    reply_to = (await _composed(web, confirmation, engine))["Reply-To"].addresses[0].addr_spec
    own = _reply(web, reply_to, f"Ada <{CONTEXT.candidate_email}>", "I want to cancel my interview.")
    await forward_reply(web.client, own.model_copy(update={"sender_authenticated": True}))
    status = await _settled(handle)
    assert status.state == SchedulingState.SCHEDULED, "an email alone never cancels"
    asks = _emails(web, handle.id, "cancel_confirmation")
    assert len(asks) == 1 and asks[0].to == [CONTEXT.candidate_email]
    told = [n for n in web.world.notes if "cancel-ask/" in n.key]
    assert len(told) == 1 and "I want to cancel" in told[0].body, "the recruiter is told, with the words"
    link = (await _composed(web, asks[0], engine)).get_body(("plain",)).get_content()
    cancel_path = next(w for w in link.split() if "/s/" in w).split(web.settings.web_base_url)[-1]
    async with web.http() as http:
        page = await http.get(cancel_path)
        assert page.status_code == 200 and "Cancel your interviews?" in page.text
        done = await http.post(f"{cancel_path}/cancel", data={"csrf": csrf_of(page.text), "confirm": "yes"})
        assert done.status_code == 200
    assert (await handle.result()).state == SchedulingState.CANCELLED


async def test_an_interviewers_reply_declines_their_own_session_only(web: WebHarness) -> None:
    handle = (await web.booked())[1]
    status = await handle.query(SchedulingWorkflow.status)
    assert status.booking is not None
    interviewer_id = status.booking.sessions[0].interviewers[0]
    person = CONTEXT.person(interviewer_id)
    assert person is not None and person.email
    engine = _engine(web)
    # The notice an interviewer gets (on a cancel or a replacement), as the workflow addresses it.
    confirmation = _emails(web, handle.id, "confirmation")[0]
    notice_input = EmailInput.model_validate(
        {
            **confirmation.model_dump(),
            "key": f"{handle.id}/notice-test/{interviewer_id}",
            "template": "interviewer_notice",
            "to": [person.email],
            "recipient_name": person.name,
            "booking_sessions": [status.booking.sessions[0].model_dump()],
            "ics_method": None,
            "reply_role": "interviewer",
            "reply_user_id": interviewer_id,
        }
    )
    notice = await _composed(web, notice_input, engine)
    candidate_reply_to = (
        (await _composed(web, _emails(web, handle.id, "confirmation")[0], engine))["Reply-To"]
        .addresses[0]
        .addr_spec
    )
    interviewer_reply_to = notice["Reply-To"].addresses[0].addr_spec
    assert interviewer_reply_to != candidate_reply_to, "each recipient has their own reply address"
    reply = _reply(
        web, interviewer_reply_to, person.email, "I need to cancel the interview, I am out that day."
    )
    await forward_reply(web.client, reply.model_copy(update={"sender_authenticated": True}))
    after = await _settled(handle)
    assert after.state != SchedulingState.CANCELLED and after.state != SchedulingState.CANCELLING
    assert not _emails(web, handle.id, "cancellation"), "the candidate's loop is not cancelled"
    assert any(e.event == "interviewer_declined" for e in after.history)


async def test_an_old_cancel_link_does_not_cancel_a_later_request(web: WebHarness) -> None:
    first = (await web.booked())[1]
    confirmation = _emails(web, first.id, "confirmation")[0]
    engine = _engine(web)
    body = (await _composed(web, confirmation, engine)).get_body(("plain",)).get_content()
    base = web.settings.web_base_url
    cancel_path = [w.split(base)[-1] for w in body.split() if base + "/s/" in w][-1]
    async with web.http() as http:
        page = await http.get(cancel_path)
        assert "Cancel your interviews?" in page.text
        await http.post(f"{cancel_path}/cancel", data={"csrf": csrf_of(page.text), "confirm": "yes"})
    await first.result()
    application_id = int(first.id.split("-")[1])
    second = await start_scheduling(web.client, web.settings, application_id, 201, source="webhook")
    web.started.append(second.id)
    assert second.id == first.id, "a later request for the same application reuses the id"
    await until(second, SchedulingState.OFFERED)
    async with web.http() as http:
        old = await http.get(cancel_path)
        assert old.status_code == 410 and "moved on" in old.text
        forced = await http.post(f"{cancel_path}/cancel", data={"csrf": "x", "confirm": "yes"})
        assert forced.status_code in (403, 410)
    assert (await second.query(SchedulingWorkflow.status)).state == SchedulingState.OFFERED


async def test_runs_from_before_attribution_only_get_the_candidates_own_replies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run started before this change reads any reply as the candidate's: the forwarder filters."""
    from integrations.scheduling_client import SchedulingClient
    from models.messages import CandidateRepliedInput, SchedulingStatusSnapshot

    old_run = SchedulingStatusSnapshot(
        workflow_id="schedule-1-2",
        application_id=1,
        job_interview_stage_id=2,
        state=SchedulingState.SCHEDULED,
    )
    signalled: list[CandidateRepliedInput] = []

    async def status(self: SchedulingClient, workflow_id: str) -> SchedulingStatusSnapshot:
        return old_run

    async def page_context(self: SchedulingClient, workflow_id: str) -> Any:
        return CONTEXT

    async def candidate_replied(
        self: SchedulingClient, workflow_id: str, reply: CandidateRepliedInput
    ) -> None:
        signalled.append(reply)

    monkeypatch.setattr(SchedulingClient, "status", status)
    monkeypatch.setattr(SchedulingClient, "page_context", page_context)
    monkeypatch.setattr(SchedulingClient, "candidate_replied", candidate_replied)
    base = {
        "workflow_id": "schedule-1-2",
        "source": "mailgun",
        "recipient": "reply+x@hireflow.local",
        "subject": "Re",
        "message_id": None,
        "in_reply_to": None,
        "text": "I want to cancel my interview.",
        "new_text": "I want to cancel my interview.",
        "received_at": datetime.now(UTC),
    }
    stranger = InboundReply(**base, sender="mallory@evil.example", sender_authenticated=True)
    unverified = InboundReply(**base, sender=CONTEXT.candidate_email or "", sender_authenticated=False)
    interviewer = InboundReply(
        **base, sender="i1@acme.example", sender_authenticated=True, reply_role="interviewer", reply_user_id=1
    )
    own = InboundReply(**base, sender=(CONTEXT.candidate_email or "").upper(), sender_authenticated=True)
    client: Any = object()
    for reply in (stranger, unverified, interviewer):
        assert await forward_reply(client, reply) == "not_forwarded"
    assert not signalled
    assert await forward_reply(client, own) == "cancel"
    assert len(signalled) == 1
