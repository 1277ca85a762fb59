"""Inbound replies: route to a workflow, spot auto-replies, strip quoted history.

Every source (the SMTP sink, SendGrid Inbound Parse, Mailgun routes) is reduced to the same inputs
and goes through `build_reply`, so routing and filtering behave the same everywhere:
- the workflow comes from the signed `reply+<token>@` recipient, else from our Message-ID in
  `In-Reply-To`/`References` (clients and relays sometimes drop the plus part);
- auto-replies (RFC 3834 `Auto-Submitted`, `X-Autoreply`, `X-Autorespond`, `Precedence`, bounces,
  out-of-office subjects) are marked with a reason, and callers do not hand them to workflows;
- `new_text` is the reply without the quoted message, what intent parsing should read.

Bodies and subjects come from anyone, so the helpers below read bounded prefixes (`MAX_SUBJECT_CHARS`,
`MAX_QUOTE_SCAN_CHARS`, `MAX_HTML_CHARS`) in linear time and never raise on malformed markup.
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
from itertools import islice
from typing import Literal

import icalendar
from pydantic import BaseModel, ConfigDict, Field

from integrations.mail.reply_address import InvalidReplyToken, ReplyAddressCodec, ReplyTarget, Role

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
    reply_role: Role | None = Field(default=None, description="Whose mail it answers (None: before roles).")
    reply_user_id: int | None = Field(default=None, description="The interviewer or recruiter it was for.")
    chain_ref: str = Field(default="", description="The request the reply address was issued for.")
    recipient: str
    subject: str
    message_id: str | None
    in_reply_to: str | None
    text: str
    new_text: str
    received_at: datetime
    auto_reply_reason: str | None = None
    rsvp: Rsvp | None = Field(default=None, description="PARTSTAT of an attached iTIP REPLY, if any.")
    sender_authenticated: bool = Field(
        default=False,
        description=(
            "The post came through an authenticated inbound path (signed Mailgun post, SendGrid with its "
            "token, the dev stack's SMTP sink) and the provider reported SPF or DKIM pass for the "
            "sender's domain. Only such a reply from the candidate's address on record acts for them."
        ),
    )


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


MAX_HEADER_BYTES = 64 * 1024
"""The most of a message's header block that is parsed. Real headers (DKIM, Received chains, long
References) stay well under it; the stdlib's structured header parsing grows faster than linearly, so a
hostile 140 KB `To:` took 7 s. Over it, the message is malformed (the provider is told not to retry)."""


class OversizedHeadersError(ValueError):
    """The header block is longer than `MAX_HEADER_BYTES`."""


MAX_PARTS = 100
MAX_PART_HEADER_BYTES = 16 * 1024
MAX_HEADER_FIELD_BYTES = 16 * 1024
MAX_STRUCTURED_FIELD_BYTES = 8 * 1024
# Headers `policy.default` parses into addresses or parameters, superlinearly (15 KB of `To:` took 0.7 s).
_STRUCTURED = frozenset(
    "from to cc bcc sender reply-to resent-from resent-to resent-cc content-type content-disposition".split()
)


def _check_header_block(raw: bytes) -> None:
    end = min((i for i in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if i >= 0), default=len(raw))
    if end > MAX_HEADER_BYTES:
        raise OversizedHeadersError(f"header block over {MAX_HEADER_BYTES} bytes")


def check_structure(raw: bytes) -> None:
    """Refuse, before the structured parse, what would make it slow: a header block over
    `MAX_HEADER_BYTES`, any one header over `MAX_HEADER_FIELD_BYTES` (address and parameter headers
    over `MAX_STRUCTURED_FIELD_BYTES`), a part's headers over
    `MAX_PART_HEADER_BYTES`, more than `MAX_PARTS` parts. compat32 reads headers as plain strings (linear);
    `policy.default` parses each structured value, which grew to 35 s for one 370 KB Content-Type."""
    _check_header_block(raw)
    outline = email.message_from_bytes(raw, policy=email.policy.compat32)
    for count, part in enumerate(outline.walk(), 1):
        if count > MAX_PARTS:
            raise OversizedHeadersError(f"more than {MAX_PARTS} MIME parts")
        sizes, structured = [], 0
        for name, value in part.items():
            size = len(name) + len(str(value))
            limit = MAX_STRUCTURED_FIELD_BYTES if name.lower() in _STRUCTURED else MAX_HEADER_FIELD_BYTES
            if size > limit:
                raise OversizedHeadersError(f"a {name} header over {limit} bytes")
            structured += size if name.lower() in _STRUCTURED else 0
            sizes.append(size)
        if structured > 2 * MAX_STRUCTURED_FIELD_BYTES:
            raise OversizedHeadersError(
                f"address and parameter headers over {2 * MAX_STRUCTURED_FIELD_BYTES} bytes"
            )
        if count > 1 and sum(sizes) > MAX_PART_HEADER_BYTES:
            raise OversizedHeadersError(f"a MIME part's headers over {MAX_PART_HEADER_BYTES} bytes")


def parse_header_block(block: str) -> list[tuple[str, str]]:
    """A raw header block (SendGrid's `headers` field) as (name, value) pairs, unfolded."""
    if len(block) > MAX_HEADER_BYTES:
        raise OversizedHeadersError(f"header block over {MAX_HEADER_BYTES} characters")
    msg = email.message_from_string(
        block.replace("\r\n", "\n").strip() + "\n\n", policy=email.policy.compat32
    )
    return [(k, " ".join(str(v).split())) for k, v in msg.items()]


MAX_SUBJECT_CHARS = 1_000
"""Subjects are matched on their first 1,000 characters (RFC 5322 lines stop at 998): the auto-reply
phrases are at the start, and a megabyte subject costs no more than a normal one."""

_OOO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|automatische antwort|out of (the )?office|ooo\b|"
    r"away from (the |my )?office|on vacation|on leave|abwesenheit|absence|réponse automatique|"
    r"respuesta automática|fuera de la oficina|autosvar|delivery status notification|undeliverable|"
    r"mail delivery (failed|failure)|returned mail)",
    re.IGNORECASE,
)


def auto_reply_reason(headers: Headers, subject: str, sender: str = "") -> str | None:
    """Why this message is not a person's reply, or None if it looks like one."""
    subject = subject[:MAX_SUBJECT_CHARS]
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

MAX_QUOTE_SCAN_CHARS = 100_000
"""`strip_quoted` reads a reply up to here. The new part of a reply comes first and quote headers follow
within a few KB; the bound keeps a megabyte of one-line lookalikes from costing a second (`text` keeps all)."""

_ON_WROTE = r"\s*On\b.{0,200}\bwrote:\s*$"
# One pattern for every line that ends the new part (quote headers, then sign-offs), so that each line
# costs one bounded match: every alternative is anchored and reads at most the line it is given.
_CUT_LINE = re.compile(
    "|".join(
        f"(?:{p})"
        for p in (
            _ON_WROTE,
            r"\s*Le\b.{0,200}\ba écrit\s*:\s*$",
            r"\s*Am\b.{0,200}\bschrieb\b.{0,80}:\s*$",
            r"\s*El\b.{0,200}\bescribió:\s*$",
            r"\s*-{2,}\s*(Original Message|Forwarded message|Ursprüngliche Nachricht)\s*-{2,}",
            r"\s*_{10,}\s*$",
            r"\s*(From|Von|De):\s.+$",
            r"-- ?$",
            r"\s*Sent from my \w+",
        )
    ),
    re.IGNORECASE | re.DOTALL,
)
_ON_WROTE_LINE = re.compile(_ON_WROTE, re.IGNORECASE | re.DOTALL)
# "On Mon, 23 Nov 2026 at 15:00, Acme <" with "s@x.com> wrote:" on the next line (clients wrap it)
_ON_LINE = re.compile(r"\s*on \s*\S", re.IGNORECASE)


def strip_quoted(text: str) -> str:
    """The new part of a reply: cut at the first quote header or signature, drop `>` lines.

    Reads the first `MAX_QUOTE_SCAN_CHARS` characters.
    """
    lines = text[:MAX_QUOTE_SCAN_CHARS].replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if _CUT_LINE.match(line):
            break
        if _ON_LINE.match(line) and i + 1 < len(lines) and _ON_WROTE_LINE.match(line + " " + lines[i + 1]):
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

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        """`<![` not followed by a known keyword is skipped like a bogus comment, as browsers do.

        Python before 3.13 raises AssertionError on it ("<![<![": a 500 from the inbound webhook).
        """
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            return self.parse_bogus_comment(i, report)


MAX_HTML_CHARS = 100_000
"""`html_to_text` reads an HTML body up to here: HTMLParser spends about 2 µs per tag, so a megabyte of
tags would hold a thread for a second or more. The reply's own words come first in the body."""


# A "<" that opens no markup is text, but HTMLParser hands it over one character per loop: as `&lt;` it
# joins the text around it (same output; "<" * 100_000 goes from 0.2 s to nothing). Not the last "<":
# text after the last one is held back when it ends in an unfinished "&..." and must stay as it was.
_LONE_LT = re.compile(r"<(?![a-zA-Z/!?])")


def _escape_lone_lt(html: str) -> str:
    last = html.rfind("<")
    return _LONE_LT.sub("&lt;", html[:last]) + html[last:] if last > 0 else html


def html_to_text(html: str) -> str:
    """Readable text from an HTML body (fallback when a reply has no text/plain part).

    Reads the first `MAX_HTML_CHARS` characters; a construct cut at the end is dropped, as an
    unterminated one always was.
    """
    parser = _TextExtractor()
    parser.feed(_escape_lone_lt(html[:MAX_HTML_CHARS]))
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
) -> tuple[ReplyTarget, str]:
    """(whose mail it answers, the recipient or Message-ID that said so).

    Raises `InvalidReplyToken` for a forged reply address, `UnroutableReply` when nothing matches.
    """
    candidates = [addr for _, addr in getaddresses(list(recipients)) if addr]
    forged: InvalidReplyToken | None = None
    for addr in candidates:
        try:
            target = codec.target_for_address(addr)
        except InvalidReplyToken as exc:  # garbled by a relay? the Message-IDs may still route it
            forged = forged or exc
            continue
        if target is not None:
            return target, addr
    for mid in [*_message_ids(in_reply_to), *reversed(_message_ids(references))]:
        target = codec.target_for_message_id(mid)
        if target is not None:
            return target, mid
    if forged is not None:
        raise forged
    raise UnroutableReply(
        f"no reply+<token>@{codec.domain} recipient and no Hireflow Message-ID in In-Reply-To/References"
    )


MAX_CALENDAR_PARTS = 2
"""Calendar parts read for an RSVP: clients send one, Outlook two (text/calendar and an .ics copy)."""

MAX_CALENDAR_BYTES = 32_000
"""A calendar part larger than this is not read: an iTIP REPLY is 1-10 KB, and icalendar spends about
5 µs per byte (a megabyte of properties took 5 s). The mail is still handled as a reply, without RSVP."""


def calendar_rsvp(msg: Message) -> Rsvp | None:
    """The attendee's answer in an iTIP `METHOD:REPLY` part (a calendar client's Accept/Decline).

    Reads the first `MAX_CALENDAR_PARTS` calendar parts of up to `MAX_CALENDAR_BYTES` each.
    """
    parts = (p for p in msg.walk() if p.get_content_type() in {"text/calendar", "application/ics"})
    for part in islice(parts, MAX_CALENDAR_PARTS):
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or len(payload) > MAX_CALENDAR_BYTES:
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
    sender_authenticated: bool = False,
) -> InboundReply:
    """Assemble an `InboundReply` from one source's fields (see the module docstring)."""
    target, via = resolve_workflow(
        codec, recipients, header(headers, "In-Reply-To"), header(headers, "References")
    )
    text = text.replace("\r\n", "\n")
    return InboundReply(
        workflow_id=target.workflow_id,
        reply_role=target.role,
        reply_user_id=target.user_id,
        chain_ref=target.chain_ref,
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
        sender_authenticated=sender_authenticated,
    )


def reply_from_mime(
    codec: ReplyAddressCodec,
    raw: bytes,
    *,
    source: InboundSource,
    received_at: datetime,
    envelope_recipients: Sequence[str] = (),
    sender_authenticated: bool = False,
) -> InboundReply:
    """Route a raw RFC 5322 message (SMTP sink, SendGrid raw mode); `OversizedHeadersError` first if the
    header block is too long to parse safely. A message with several From headers is never authenticated:
    providers and this parser may not pick the same one."""
    check_structure(raw)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if len(msg.get_all("From", [])) > 1 or len(msg.get_all("Sender", [])) > 1:
        sender_authenticated = False
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
        sender_authenticated=sender_authenticated,
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
