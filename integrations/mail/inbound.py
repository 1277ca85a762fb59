"""Inbound replies: route to a workflow, spot auto-replies, strip quoted history.

Every source (the SMTP sink, SendGrid Inbound Parse, Mailgun routes) is reduced to the same inputs
and goes through `build_reply`, so routing and filtering behave the same everywhere:
- the workflow comes from the signed `reply+<token>@` recipient, else from our Message-ID in
  `In-Reply-To`/`References` (clients and relays sometimes drop the plus part);
- auto-replies (RFC 3834 `Auto-Submitted`, `X-Autoreply`, `X-Autorespond`, `Precedence`, bounces,
  out-of-office subjects) are marked with a reason, and callers do not hand them to workflows;
- `new_text` is the reply without the quoted message, what intent parsing should read.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Literal

import icalendar
from pydantic import BaseModel, ConfigDict, Field

from integrations.mail.reply_address import InvalidReplyToken, ReplyAddressCodec

Headers = Sequence[tuple[str, str]]
InboundSource = Literal["smtp", "sendgrid", "mailgun"]
Rsvp = Literal["ACCEPTED", "DECLINED", "TENTATIVE"]


class UnroutableReply(ValueError):
    """No recipient or referenced message identifies a workflow."""


class InboundReply(BaseModel):
    """A reply from a person (or an auto-responder, see `auto_reply_reason`) to a workflow's email."""

    model_config = ConfigDict(frozen=True)

    workflow_id: str
    source: InboundSource
    sender: str
    recipient: str
    subject: str
    message_id: str | None
    in_reply_to: str | None
    text: str
    new_text: str
    received_at: datetime
    auto_reply_reason: str | None = None
    rsvp: Rsvp | None = Field(default=None, description="PARTSTAT of an attached iTIP REPLY, if any.")


# ------------------------------------------------------------------------------------------------
# Headers
# ------------------------------------------------------------------------------------------------


def header(headers: Headers, name: str) -> str | None:
    """First value of header `name` (case-insensitive)."""
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return str(value).strip()
    return None


def parse_header_block(block: str) -> list[tuple[str, str]]:
    """A raw header block (SendGrid's `headers` field) as (name, value) pairs, unfolded."""
    msg = email.message_from_string(
        block.replace("\r\n", "\n").strip() + "\n\n", policy=email.policy.compat32
    )
    return [(k, " ".join(str(v).split())) for k, v in msg.items()]


_OOO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|automatische antwort|out of (the )?office|ooo\b|"
    r"away from (the |my )?office|on vacation|on leave|abwesenheit|absence|réponse automatique|"
    r"respuesta automática|fuera de la oficina|autosvar|delivery status notification|undeliverable|"
    r"mail delivery (failed|failure)|returned mail)",
    re.IGNORECASE,
)


def auto_reply_reason(headers: Headers, subject: str, sender: str = "") -> str | None:
    """Why this message is not a person's reply, or None if it looks like one."""
    auto = header(headers, "Auto-Submitted")
    if auto and auto.split(";")[0].strip().lower() != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-AutoReply-From"):
        if header(headers, name) is not None:
            return f"{name} header"
    for name in ("Precedence", "X-Precedence"):
        value = (header(headers, name) or "").lower()
        if value in {"bulk", "junk", "list", "auto_reply", "auto-reply"}:
            return f"{name}: {value}"
    if (header(headers, "X-Auto-Response-Suppress") or "").lower() in {"all", "oof"}:
        # Exchange stamps its own automatic replies (OOF) this way
        if (header(headers, "X-MS-Exchange-Generated-Message-Source") or "") or _OOO_SUBJECT.search(subject):
            return "Exchange automatic reply"
    content_type = (header(headers, "Content-Type") or "").lower()
    if "multipart/report" in content_type:
        return "delivery status report"
    return_path = header(headers, "Return-Path")
    if return_path is not None and return_path.strip() == "<>":
        return "null Return-Path (bounce)"
    local = parseaddr(sender)[1].split("@")[0].lower()
    if local in {"mailer-daemon", "postmaster"} or local.startswith(("noreply", "no-reply", "do-not-reply")):
        return f"automated sender {local}"
    if _OOO_SUBJECT.search(subject):
        return "out-of-office subject"
    return None


# ------------------------------------------------------------------------------------------------
# Bodies
# ------------------------------------------------------------------------------------------------

_QUOTE_HEADS = [
    re.compile(r"^\s*On\b.{0,200}\bwrote:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*Le\b.{0,200}\ba écrit\s*:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*Am\b.{0,200}\bschrieb\b.{0,80}:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*El\b.{0,200}\bescribió:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message|Ursprüngliche Nachricht)\s*-{2,}", re.I),
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"^\s*(From|Von|De):\s.+$", re.IGNORECASE),
]
_SIGNOFFS = [re.compile(r"^-- ?$"), re.compile(r"^\s*Sent from my \w+", re.IGNORECASE)]


def strip_quoted(text: str) -> str:
    """The new part of a reply: cut at the first quote header or signature, drop `>` lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        two = line + " " + (lines[i + 1] if i + 1 < len(lines) else "")
        if any(p.match(line) for p in _QUOTE_HEADS) or (
            line.strip().lower().startswith("on ") and _QUOTE_HEADS[0].match(two)
        ):
            break
        if any(p.match(line) for p in _SIGNOFFS):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "head"}:
            self._skip += 1
        elif tag in {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "blockquote"}:
            self.parts.append("\n")
        if tag == "blockquote":
            self.parts.append("> ")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text from an HTML body (fallback when a reply has no text/plain part)."""
    parser = _TextExtractor()
    parser.feed(html)
    text = "".join(parser.parts)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.split("\n"))).strip()


def body_text(msg: Message) -> str:
    """The text/plain body of a MIME message, or its HTML body as text."""
    if isinstance(msg, EmailMessage):
        part = msg.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        content = part.get_content()
        text = content if isinstance(content, str) else content.decode(errors="replace")
        return html_to_text(text) if part.get_content_subtype() == "html" else text.replace("\r\n", "\n")
    payload = msg.get_payload(decode=True)
    return payload.decode(errors="replace") if isinstance(payload, bytes) else str(msg.get_payload())


# ------------------------------------------------------------------------------------------------
# Routing
# ------------------------------------------------------------------------------------------------


def _message_ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def resolve_workflow(
    codec: ReplyAddressCodec, recipients: Iterable[str], in_reply_to: str | None, references: str | None
) -> tuple[str, str]:
    """(workflow id, the recipient or Message-ID it came from).

    Raises `InvalidReplyToken` for a forged reply address, `UnroutableReply` when nothing matches.
    """
    candidates = [addr for _, addr in getaddresses(list(recipients)) if addr]
    forged: InvalidReplyToken | None = None
    for addr in candidates:
        try:
            workflow_id = codec.workflow_for_address(addr)
        except InvalidReplyToken as exc:  # garbled by a relay? the Message-IDs may still route it
            forged = forged or exc
            continue
        if workflow_id is not None:
            return workflow_id, addr
    for mid in [*_message_ids(in_reply_to), *reversed(_message_ids(references))]:
        workflow_id = codec.workflow_for_message_id(mid)
        if workflow_id is not None:
            return workflow_id, mid
    if forged is not None:
        raise forged
    raise UnroutableReply(
        f"no reply+<token>@{codec.domain} recipient and no Hireflow Message-ID in In-Reply-To/References"
    )


def calendar_rsvp(msg: Message) -> Rsvp | None:
    """The attendee's answer in an iTIP `METHOD:REPLY` part (a calendar client's Accept/Decline)."""
    for part in msg.walk():
        if part.get_content_type() not in {"text/calendar", "application/ics"}:
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        try:
            cal = icalendar.Calendar.from_ical(payload)
        except ValueError:
            continue
        if str(cal.get("method", "")).upper() != "REPLY":
            continue
        for event in cal.walk("VEVENT"):
            attendees = event.get("attendee")
            for attendee in attendees if isinstance(attendees, list) else [attendees]:
                if attendee is None:
                    continue
                partstat = str(attendee.params.get("PARTSTAT", "")).upper()
                if partstat in {"ACCEPTED", "DECLINED", "TENTATIVE"}:
                    return partstat  # type: ignore[return-value]
    return None


def build_reply(
    codec: ReplyAddressCodec,
    *,
    source: InboundSource,
    headers: Headers,
    recipients: Sequence[str],
    sender: str,
    subject: str,
    text: str,
    received_at: datetime,
    new_text: str | None = None,
    rsvp: Rsvp | None = None,
) -> InboundReply:
    """Assemble an `InboundReply` from one source's fields (see the module docstring)."""
    workflow_id, via = resolve_workflow(
        codec, recipients, header(headers, "In-Reply-To"), header(headers, "References")
    )
    text = text.replace("\r\n", "\n")
    return InboundReply(
        workflow_id=workflow_id,
        source=source,
        sender=parseaddr(sender)[1] or sender,
        recipient=via,
        subject=subject,
        message_id=header(headers, "Message-ID") or header(headers, "Message-Id"),
        in_reply_to=header(headers, "In-Reply-To"),
        text=text,
        new_text=strip_quoted(new_text if new_text is not None else text),
        received_at=received_at,
        auto_reply_reason=auto_reply_reason(headers, subject, sender),
        rsvp=rsvp,
    )


def reply_from_mime(
    codec: ReplyAddressCodec,
    raw: bytes,
    *,
    source: InboundSource,
    received_at: datetime,
    envelope_recipients: Sequence[str] = (),
) -> InboundReply:
    """Route a raw RFC 5322 message (SMTP sink, SendGrid raw mode)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    headers = [(k, str(v)) for k, v in msg.items()]
    recipients = [*envelope_recipients, *(str(v) for v in msg.get_all("To", []) + msg.get_all("Cc", []))]
    return build_reply(
        codec,
        source=source,
        headers=headers,
        recipients=recipients,
        sender=str(msg.get("From", "")),
        subject=str(msg.get("Subject", "")),
        text=body_text(msg),
        received_at=received_at,
        rsvp=calendar_rsvp(msg),
    )


__all__ = [
    "InboundReply",
    "InvalidReplyToken",
    "UnroutableReply",
    "auto_reply_reason",
    "build_reply",
    "html_to_text",
    "parse_header_block",
    "reply_from_mime",
    "strip_quoted",
]
