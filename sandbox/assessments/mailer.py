"""The invitation email the provider sends itself, as vendors do (HackerEarth's `send_email`, default on).

Hireflow never writes the first email of an assessment: the provider does, with the test link, when an
invitation is created (not when the same `reference` is asked again). Sent in the background over
SMTP with retries, so a slow or absent mail server never blocks the API answer; without an SMTP host
configured nothing is sent (tests that only need the API). Logs name the invitation, never the address.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import aiosmtplib
import structlog

from sandbox.assessments.catalog import BY_ID
from sandbox.assessments.tables import InvitationRow, utc

log = structlog.get_logger("sandbox.assessments.mailer")
SUBJECT_PREFIX = "Your skills test:"


def invitation_message(row: InvitationRow, test_url: str, sender: str) -> EmailMessage:
    """The candidate's invitation: the test's name, the deadline (UTC) and the link to take it."""
    test = BY_ID[row.test_id]
    name = f"{row.first_name} {row.last_name}".strip()
    deadline = utc(row.deadline).strftime("%d %B %Y, %H:%M UTC")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = formataddr((name, row.email)) if name else row.email
    msg["Subject"] = f"{SUBJECT_PREFIX} {test.name}"
    msg["Message-ID"] = make_msgid(idstring=row.id, domain="assessments.hireflow.local")
    msg["X-Assessment-Invitation"] = row.id
    msg.set_content(
        f"Hello {row.first_name or 'there'},\n\n"
        f"You are invited to take the {test.name} test ({len(test.questions)} questions, about "
        f"{test.duration_minutes} minutes). Please submit it by {deadline}.\n\n"
        f"Take the test: {test_url}\n\n"
        "The link is personal; please do not share it.\n"
    )
    return msg


@dataclass
class InvitationMailer:
    """Sends invitation emails through `host:port` (plain SMTP on loopback); `host=None` sends nothing."""

    host: str | None
    port: int
    sender: str
    retry_delays: tuple[float, ...]
    sent: list[str] = field(default_factory=list)  # invitation ids, for the admin API and tests
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def send(self, row: InvitationRow, test_url: str) -> None:
        """Queue the invitation email (from the event loop)."""
        if not self.host:
            return
        task = asyncio.get_running_loop().create_task(
            self._deliver(invitation_message(row, test_url, self.sender))
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, msg: EmailMessage) -> None:
        invitation = str(msg["X-Assessment-Invitation"])
        for attempt, delay in enumerate((0.0, *self.retry_delays), start=1):
            if delay:
                await asyncio.sleep(delay)
            try:
                await aiosmtplib.send(msg, hostname=self.host, port=self.port, start_tls=False, timeout=10)
            except (aiosmtplib.SMTPException, OSError) as exc:
                log.warning(
                    "invitation_mail_failed",
                    invitation_id=invitation,
                    attempt=attempt,
                    error=type(exc).__name__,
                )
                continue
            self.sent.append(invitation)
            log.info("invitation_mail_sent", invitation_id=invitation, attempts=attempt)
            return
        log.error("invitation_mail_gave_up", invitation_id=invitation)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
