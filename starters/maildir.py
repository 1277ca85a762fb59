"""Read the sink's Maildir: summaries for `hireflow mail list`, whole messages for `mail show`.

Plain files read with the standard library: `mail list` and `mail show` (and the demo) read what the
SMTP sink stored without loading the sandbox that runs it.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from pydantic import BaseModel


class MailSummary(BaseModel):
    """One stored message, as listed."""

    id: str
    date: datetime | None
    sender: str
    to: str
    subject: str
    has_invite: bool
    size: int


def _open(maildir: Path) -> mailbox.Maildir:
    if not (maildir / "cur").is_dir() or not (maildir / "new").is_dir():
        raise FileNotFoundError(f"{maildir} is not a Maildir (no cur/ and new/ inside); is the sink running?")
    return mailbox.Maildir(maildir, create=False)


def _parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _date(msg: EmailMessage) -> datetime | None:
    try:
        return parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
    except (TypeError, ValueError):
        return None


def list_messages(maildir: Path) -> list[MailSummary]:
    """All messages, oldest first."""
    box = _open(maildir)
    out: list[MailSummary] = []
    for key in box.keys():
        raw = box.get_bytes(key)
        msg = _parse(raw)
        invite = any(part.get_content_type() == "text/calendar" for part in msg.walk())
        out.append(
            MailSummary(
                id=key,
                date=_date(msg),
                sender=str(msg.get("From", "")).strip(),
                to=str(msg.get("To", "")).strip(),
                subject=str(msg.get("Subject", "")).strip(),
                has_invite=invite,
                size=len(raw),
            )
        )
    out.sort(key=lambda m: (m.date is None, m.date or datetime.min, m.id))
    return out


def resolve_id(maildir: Path, ident: str) -> str:
    """A full message key from a key, a unique key prefix, or a 1-based position in `list_messages`."""
    box = _open(maildir)
    keys = list(box.keys())
    if ident in keys:
        return ident
    if ident.isdigit():
        ordered = [m.id for m in list_messages(maildir)]
        index = int(ident)
        if 1 <= index <= len(ordered):
            return ordered[index - 1]
    matches = [k for k in keys if k.startswith(ident)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise KeyError(f"no message {ident!r} in {maildir}")
    raise KeyError(f"{ident!r} matches {len(matches)} messages; give more characters")


def read_raw(maildir: Path, ident: str) -> bytes:
    """The stored bytes of one message."""
    return _open(maildir).get_bytes(resolve_id(maildir, ident))


def read_message(maildir: Path, ident: str) -> EmailMessage:
    """One message, parsed."""
    return _parse(read_raw(maildir, ident))
