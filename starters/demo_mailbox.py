"""The SMTP sink's Maildir as the demo reads it: each message handed out once, with its links and ICS."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import icalendar

from integrations.mail.inbound import body_text
from starters.maildir import list_messages, read_message


@dataclass
class Mail:
    id: str
    to: str
    subject: str
    text: str
    ics: bytes | None
    links: list[str]

    def calendar(self) -> icalendar.Calendar | None:
        return icalendar.Calendar.from_ical(self.ics) if self.ics else None

    def ics_line(self) -> str:
        calendar = self.calendar()
        if calendar is None:
            return ""
        events = list(calendar.walk("VEVENT"))
        sequence = max((int(e.get("sequence", 0)) for e in events), default=0)
        count = "1 event" if len(events) == 1 else f"{len(events)} events"
        return f"calendar invitation: {count}, METHOD:{calendar.get('method', '')}, SEQUENCE:{sequence}"


def read_mail(maildir: Path, ident: str) -> Mail:
    """One message of the Maildir: its text, the candidate links in it and its ICS part."""
    msg: EmailMessage = read_message(maildir, ident)
    text = body_text(msg)
    ics = None
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            ics = payload if isinstance(payload, bytes) else None
    links = re.findall(r"https?://[^\s<>\"']+/s/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text)
    return Mail(ident, str(msg.get("To", "")), str(msg.get("Subject", "")), text, ics, links)


class Mailbox:
    """The SMTP sink's Maildir, read as mail arrives; each message is handed out once."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self.seen: set[str] = set()
        self.taken: list[Mail] = []

    def arrived(self, to: str) -> list[Mail]:
        try:
            summaries = list_messages(self.maildir)
        except FileNotFoundError:
            return []
        return [
            read_mail(self.maildir, m.id)
            for m in summaries
            if m.id not in self.seen and to.lower() in m.to.lower()
        ]

    def take(self, to: str, match: Callable[[Mail], bool]) -> Mail | None:
        for mail in self.arrived(to):
            if match(mail):
                self.seen.add(mail.id)
                self.taken.append(mail)
                return mail
        return None
