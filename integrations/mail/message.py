"""Compose RFC 5322 messages: text + HTML alternatives, an optional iMIP part, the right headers.

Structure with an invitation (what Google Calendar itself sends, understood by Gmail, Outlook, Apple):
multipart/mixed → [multipart/alternative → [text/plain, text/html, text/calendar; method=M],
application/ics `invite.ics`]. Without one: multipart/alternative → [text/plain, text/html].

`Auto-Submitted` (RFC 3834): mail Hireflow starts on its own (invitations, reminders, notices) is
`auto-generated`; mail sent in answer to someone's message (`in_reply_to` given) is `auto-replied`.
Both tell well-behaved responders not to answer, which stops out-of-office loops; candidates' own
replies are unaffected. `X-Auto-Response-Suppress` asks Exchange for the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr

from integrations.mail.ics import IcsMethod
from integrations.mail.render import RenderedEmail

_HEADER_SAFE = re.compile(r"^[^\r\n]*$")


class MessageError(ValueError):
    """A message could not be built from the given parts (bad address, header injection...)."""


def parse_address(value: str) -> Address:
    """'Name <user@example.com>' or 'user@example.com' as an `Address`; `MessageError` if invalid."""
    if not _HEADER_SAFE.match(value):
        raise MessageError("address contains a line break")
    name, addr = parseaddr(value)
    if not addr or addr.count("@") != 1 or " " in addr:
        raise MessageError(f"invalid email address {value!r}")
    username, domain = addr.split("@")
    if not username or not domain:
        raise MessageError(f"invalid email address {value!r}")
    return Address(display_name=name, username=username, domain=domain)


def compose_message(
    rendered: RenderedEmail,
    *,
    sender: str,
    to: Sequence[str],
    message_id: str,
    date: datetime,
    reply_to: str | None = None,
    cc: Sequence[str] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    ics: bytes | None = None,
    ics_method: IcsMethod | None = None,
) -> EmailMessage:
    """Build the MIME message. Every argument is explicit (no clock, no settings) so it is reproducible."""
    if not to:
        raise MessageError("a message needs at least one recipient")
    if (ics is None) != (ics_method is None):
        raise MessageError("pass ics and ics_method together")
    if date.tzinfo is None:
        raise MessageError("Date must be timezone-aware")
    for header_value in (message_id, in_reply_to or "", *references):
        if not _HEADER_SAFE.match(header_value):
            raise MessageError("header value contains a line break")
    if not (message_id.startswith("<") and message_id.endswith(">") and "@" in message_id):
        raise MessageError(f"Message-ID must look like <local@domain>, got {message_id!r}")

    msg = EmailMessage()
    msg["From"] = parse_address(sender)
    msg["To"] = [parse_address(a) for a in to]
    if cc:
        msg["Cc"] = [parse_address(a) for a in cc]
    if reply_to:
        msg["Reply-To"] = parse_address(reply_to)
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join(dict.fromkeys([*references, in_reply_to]))
        msg["Auto-Submitted"] = "auto-replied"
    else:
        if references:
            msg["References"] = " ".join(references)
        msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    msg["X-Hireflow-Template"] = rendered.template

    msg.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    if ics is not None and ics_method is not None:
        msg.add_alternative(
            ics.decode("utf-8"),
            subtype="calendar",
            charset="utf-8",
            cte="base64",
            params={"method": ics_method},
        )
        msg.make_mixed()
        msg.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    return msg


def envelope_recipients(msg: EmailMessage) -> list[str]:
    """Bare addresses from To and Cc (what goes into RCPT TO)."""
    values = [str(v) for v in (msg.get_all("To", []) + msg.get_all("Cc", []))]
    return [addr for _, addr in getaddresses(values) if addr]
