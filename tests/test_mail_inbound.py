"""Inbound replies: auto-reply filtering, quote stripping, and routing through the real SMTP sink."""

from __future__ import annotations

import asyncio
import mailbox
from email.message import EmailMessage

import aiosmtplib
import pytest

from integrations.mail.inbound import auto_reply_reason, html_to_text, strip_quoted
from integrations.mail.reply_address import ReplyAddressCodec
from tests.fixtures.mail import WORKFLOW_ID, SinkHandle


@pytest.mark.parametrize(
    ("headers", "subject", "sender", "expected"),
    [
        ([("Auto-Submitted", "auto-replied")], "Re: Interview", "jane@x.com", "Auto-Submitted"),
        ([("Auto-Submitted", "auto-generated; owner-email=a@b")], "Hi", "jane@x.com", "Auto-Submitted"),
        ([("X-Autoreply", "yes")], "Re: Interview", "jane@x.com", "X-Autoreply"),
        ([("X-Autorespond", "1")], "Re: Interview", "jane@x.com", "X-Autorespond"),
        ([("Precedence", "bulk")], "Re: Interview", "jane@x.com", "Precedence"),
        ([("Precedence", "auto_reply")], "Re: Interview", "jane@x.com", "Precedence"),
        ([("X-Precedence", "junk")], "Re: Interview", "jane@x.com", "X-Precedence"),
        ([], "Out of Office: Re: Your interview", "jane@x.com", "out-of-office"),
        ([], "Automatic reply: Your interview", "jane@x.com", "out-of-office"),
        ([], "AutoReply: away", "jane@x.com", "out-of-office"),
        ([], "Abwesenheitsnotiz: Interview", "jane@x.com", "out-of-office"),
        ([], "Réponse automatique : entretien", "jane@x.com", "out-of-office"),
        ([], "Undeliverable: Your interview", "jane@x.com", "out-of-office"),
        ([("Return-Path", "<>")], "Re: Interview", "jane@x.com", "bounce"),
        ([("Content-Type", "multipart/report; report-type=delivery-status")], "x", "jane@x.com", "report"),
        ([], "Re: Interview", "MAILER-DAEMON@mx.example.com", "automated sender"),
        ([], "Re: Interview", "no-reply@ats.example.com", "automated sender"),
    ],
)
def test_auto_replies_are_recognised(
    headers: list[tuple[str, str]], subject: str, sender: str, expected: str
) -> None:
    reason = auto_reply_reason(headers, subject, sender)
    assert reason is not None and expected.lower() in reason.lower()


@pytest.mark.parametrize(
    ("headers", "subject"),
    [
        ([("Auto-Submitted", "no")], "Re: Interview"),
        ([], "Re: Pick a time for your interviews"),
        ([("Precedence", "first-class")], "Re: Interview tomorrow"),
        ([], "Re: Out of curiosity, is the office accessible?"),
    ],
)
def test_human_replies_pass(headers: list[tuple[str, str]], subject: str) -> None:
    assert auto_reply_reason(headers, subject, "jane@example.com") is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Tuesday after 2pm works.\n\nOn Mon, 23 Nov 2026 at 15:00, Acme <s@x.com> wrote:\n> Pick a time",
            "Tuesday after 2pm works.",
        ),
        (
            "Yes!\r\n\r\nOn Mon, Nov 23, 2026 at 3:00 PM Acme Recruiting <\r\nscheduling@x.com> wrote:\r\n> hi",
            "Yes!",
        ),
        ("Thursday is best.\n-----Original Message-----\nFrom: Acme\nSubject: x", "Thursday is best."),
        ("Fine by me\n________________________________\nFrom: Acme <s@x.com>\nSent: Monday", "Fine by me"),
        ("Ok\n\nFrom: Acme Recruiting <s@x.com>\nSent: Monday\n", "Ok"),
        ("Wednesday morning\n\nSent from my iPhone\n\n> quoted", "Wednesday morning"),
        ("Mornings please\n-- \nJane Doe\n+1 555", "Mornings please"),
        ("> old line\nNew line\n>> older", "New line"),
        ("Le lun. 23 nov. 2026 à 15:00, Acme <s@x.com> a écrit :\n> bonjour", ""),
        ("Am Mo., 23. Nov. 2026 um 15:00 Uhr schrieb Acme <s@x.com>:\n> hallo", ""),
    ],
)
def test_quoted_text_is_stripped(body: str, expected: str) -> None:
    assert strip_quoted(body) == expected


def test_html_replies_become_text() -> None:
    html = "<html><head><style>p{}</style></head><body><p>Friday 10-12</p><blockquote>old</blockquote></body></html>"
    assert strip_quoted(html_to_text(html)) == "Friday 10-12"


def reply_message(to: str, body: str, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Jane Doe <jane.doe@example.com>"
    msg["To"] = to
    msg["Subject"] = headers.pop("Subject", "Re: Confirmed: your interview")
    msg["Message-ID"] = "<reply-1@mail.example.com>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


async def wait_for(predicate: object, timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():  # type: ignore[operator]
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@pytest.mark.integration
async def test_reply_through_the_sink_reaches_on_reply(
    smtp_sink: SinkHandle, mail_codec: ReplyAddressCodec
) -> None:
    body = "Tuesday doesn't work, could we do Thursday 2-4pm?\n\nOn Mon, Acme <s@x.com> wrote:\n> Pick a time"
    msg = reply_message(mail_codec.address_for(WORKFLOW_ID), body)
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=smtp_sink.sink.port)
    await wait_for(lambda: smtp_sink.replies)
    [reply] = smtp_sink.replies
    assert reply.workflow_id == WORKFLOW_ID and reply.source == "smtp"
    assert reply.sender == "jane.doe@example.com"
    assert reply.message_id == "<reply-1@mail.example.com>"
    assert reply.new_text == "Tuesday doesn't work, could we do Thursday 2-4pm?"
    assert "Pick a time" in reply.text
    assert len(mailbox.Maildir(smtp_sink.maildir, create=False)) == 1


@pytest.mark.integration
async def test_reply_with_garbled_plus_address_routes_by_in_reply_to(
    smtp_sink: SinkHandle, mail_codec: ReplyAddressCodec
) -> None:
    original = mail_codec.message_id_for(f"{WORKFLOW_ID}/invitation", WORKFLOW_ID)
    msg = reply_message("Recruiting <scheduling@hireflow.test>", "Monday works", In_Reply_To=original)
    garbled = f"reply+garbled.token@{mail_codec.domain}"
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=smtp_sink.sink.port, recipients=[garbled])
    await wait_for(lambda: smtp_sink.replies)
    [reply] = smtp_sink.replies
    assert reply.workflow_id == WORKFLOW_ID and reply.recipient == original


@pytest.mark.integration
async def test_forged_reply_is_stored_but_not_routed(
    smtp_sink: SinkHandle, mail_codec: ReplyAddressCodec
) -> None:
    forged = ReplyAddressCodec("attacker-secret", mail_codec.domain).address_for(WORKFLOW_ID)
    await aiosmtplib.send(
        reply_message(forged, "Cancel everything"), hostname="127.0.0.1", port=smtp_sink.sink.port
    )
    await wait_for(lambda: smtp_sink.sink.replies_failed == 1)
    assert smtp_sink.replies == []
    assert len(mailbox.Maildir(smtp_sink.maildir, create=False)) == 1


@pytest.mark.integration
async def test_out_of_office_through_the_sink_is_stored_but_not_handed_over(
    smtp_sink: SinkHandle, mail_codec: ReplyAddressCodec
) -> None:
    ooo = reply_message(
        mail_codec.address_for(WORKFLOW_ID),
        "I am out of the office until Monday.",
        Subject="Automatic reply: Confirmed: your interview",
        Auto_Submitted="auto-replied",
    )
    human = reply_message(mail_codec.address_for(WORKFLOW_ID), "Sounds good, see you then!")
    await aiosmtplib.send(ooo, hostname="127.0.0.1", port=smtp_sink.sink.port)
    await aiosmtplib.send(human, hostname="127.0.0.1", port=smtp_sink.sink.port)
    await wait_for(lambda: smtp_sink.replies)
    assert [r.new_text for r in smtp_sink.replies] == ["Sounds good, see you then!"]
    assert len(mailbox.Maildir(smtp_sink.maildir, create=False)) == 2


@pytest.mark.integration
async def test_failing_callback_does_not_make_the_sink_refuse_mail(
    tmp_path: object, mail_codec: ReplyAddressCodec
) -> None:
    from pathlib import Path

    from starters.mail_sink import SmtpSink

    def boom(_: object) -> None:
        raise RuntimeError("workflow unreachable")

    async with SmtpSink(Path(str(tmp_path)) / "mb", port=0, on_reply=boom, codec=mail_codec) as sink:
        msg = reply_message(mail_codec.address_for(WORKFLOW_ID), "Yes")
        await aiosmtplib.send(msg, hostname="127.0.0.1", port=sink.port)
        assert sink.replies_failed == 1
        assert len(mailbox.Maildir(Path(str(tmp_path)) / "mb", create=False)) == 1


@pytest.mark.integration
async def test_calendar_rsvp_reply_is_routed_with_its_partstat(
    smtp_sink: SinkHandle, mail_codec: ReplyAddressCodec
) -> None:
    """Invites may name the reply address as ORGANIZER, so Accept/Decline clicks reach the workflow."""
    msg = reply_message(mail_codec.address_for(WORKFLOW_ID), "Jane Doe has declined this invitation.")
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
        "UID:hf-1@replies.hireflow.test\r\nSEQUENCE:0\r\nDTSTAMP:20261123T160000Z\r\n"
        "ATTENDEE;PARTSTAT=DECLINED;CN=Jane Doe:mailto:jane.doe@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    msg.add_alternative(ics, subtype="calendar", params={"method": "REPLY"})
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=smtp_sink.sink.port)
    await wait_for(lambda: smtp_sink.replies)
    assert smtp_sink.replies[0].rsvp == "DECLINED"
