"""`MailService.send`: the one call activities make to send an email exactly once per idempotency key.

It renders the template, builds the MIME message (with an iMIP part when an invite is given), records
it in the outbox, and delivers it. Calling it again with the same key is safe at any point: a sent
email is not sent again, and an unsent one is sent with the bytes recorded the first time.
"""

from __future__ import annotations

import email.policy

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from integrations.logs import get_logger
from integrations.mail.contexts import AnyMailContext
from integrations.mail.ics import CalendarInvite, IcsMethod, build_ics
from integrations.mail.message import compose_message, envelope_recipients, parse_address
from integrations.mail.outbox import Clock, Outbox, utc_now
from integrations.mail.profile_log import ProfileLogStore
from integrations.mail.render import TemplateRenderer
from integrations.mail.reply_address import ReplyAddressCodec, ReplyTarget, Role
from integrations.mail.transport import (
    MailTransport,
    PermanentMailError,
    SmtpConfig,
    SmtpTransport,
    TransientMailError,
)
from models.settings import Settings
from models.store import OutboxEmail, OutboxStatus

log = get_logger(__name__)

# CRLF line ends; headers unfolded up to RFC 5322's hard limit, because the stdlib folds a long
# Subject right after the colon, which some readers show with a leading space.
WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)


class ProfileTarget(BaseModel):
    """The Greenhouse candidate whose profile gets a copy of the email (an EMAIL note)."""

    model_config = ConfigDict(frozen=True)

    candidate_id: int
    application_id: int | None = None


class MailRequest(BaseModel):
    """One logical email. Serialisable, so an activity can take it as its input."""

    model_config = ConfigDict(frozen=True)

    idempotency_key: str = Field(
        min_length=1,
        max_length=255,
        description="Unique per logical email, e.g. '<workflow id>/confirmation'.",
    )
    purpose: str = Field(
        min_length=1, max_length=64, description="Short label for operators, e.g. 'invitation'."
    )
    to: list[str] = Field(min_length=1)
    cc: list[str] = Field(default_factory=list)
    context: AnyMailContext
    workflow_id: str | None = Field(default=None, description="Set to route replies back to this workflow.")
    reply_role: Role | None = Field(
        default=None, description="Who the recipient is; their reply address says so (signed)."
    )
    reply_user_id: int | None = Field(default=None, description="The interviewer's or recruiter's user id.")
    chain_ref: str = Field(default="", description="The request's chain (8 hex digits) replies must match.")

    def reply_target(self) -> ReplyTarget | None:
        """Where a reply to this email goes and whose it is; None when replies are not routed."""
        if self.workflow_id is None:
            return None
        return ReplyTarget(self.workflow_id, self.reply_role, self.reply_user_id, self.chain_ref)

    invite: CalendarInvite | None = None
    ics_method: IcsMethod = "REQUEST"
    in_reply_to: str | None = Field(
        default=None, description="Message-ID answered; makes this an auto-reply."
    )
    references: list[str] = Field(default_factory=list)
    profile: ProfileTarget | None = Field(
        default=None, description="Set for mail to a candidate: a copy is logged on their profile."
    )


class SendOutcome(BaseModel):
    """What happened to one logical email."""

    idempotency_key: str
    message_id: str
    status: OutboxStatus
    already_sent: bool = Field(description="True when an earlier attempt had sent it; nothing was sent now.")
    attempts: int
    refused: dict[str, str] = {}


class MailService:
    """Renders, records and delivers emails through the outbox."""

    def __init__(
        self,
        *,
        outbox: Outbox,
        transport: MailTransport,
        renderer: TemplateRenderer,
        codec: ReplyAddressCodec,
        mail_from: str,
        clock: Clock = utc_now,
        profile_log: ProfileLogStore | None = None,
    ) -> None:
        parse_address(mail_from)
        self.profile_log = profile_log
        self.outbox = outbox
        self.transport = transport
        self.renderer = renderer
        self.codec = codec
        self.mail_from = mail_from
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> MailService:
        """Wire the service from `HIREFLOW_*` settings (SMTP relay, templates, reply domain, secret)."""
        return cls(
            outbox=Outbox(engine),
            transport=SmtpTransport(SmtpConfig.from_settings(settings)),
            renderer=TemplateRenderer(settings.mail_template_dir),
            codec=ReplyAddressCodec(settings.signing_secret.get_secret_value(), settings.reply_domain),
            mail_from=settings.mail_from,
            profile_log=ProfileLogStore(engine),
        )

    def build(self, request: MailRequest) -> OutboxEmail:
        """Render and compose the outbox row (no I/O). Replies go to the workflow's signed address."""
        now = self.clock()
        rendered = self.renderer.render(request.context)
        target = request.reply_target()
        message_id = self.codec.message_id_for(request.idempotency_key, target)
        invite = request.invite
        ics = build_ics(invite, request.ics_method, dtstamp=now) if invite is not None else None
        sender_addr = parse_address(self.mail_from)
        msg = compose_message(
            rendered,
            sender=self.mail_from,
            to=request.to,
            cc=request.cc,
            reply_to=self.codec.address_for(target) if target is not None else None,
            message_id=message_id,
            date=now,
            in_reply_to=request.in_reply_to,
            references=request.references,
            ics=ics,
            ics_method=request.ics_method if ics is not None else None,
        )
        return OutboxEmail(
            idempotency_key=request.idempotency_key,
            workflow_id=request.workflow_id,
            purpose=request.purpose,
            message_id=message_id,
            sender=sender_addr.addr_spec,
            recipients=",".join(envelope_recipients(msg)),
            subject=rendered.subject,
            raw_message=msg.as_bytes(policy=WIRE_POLICY),
        )

    async def send(self, request: MailRequest) -> SendOutcome:
        """Record (first time only) and deliver. Safe to call again with the same idempotency key."""
        row = await self.outbox.get(request.idempotency_key)
        if row is None:
            row = await self.outbox.record(self.build(request))
        if request.profile is not None and self.profile_log is not None:
            # Queued before delivery, in SQL: the copy is logged (later, by the drain) once it is sent,
            # and neither a Greenhouse outage nor a crash here can lose it or hold the email back.
            await self.profile_log.record_outbound(
                row, request.profile.candidate_id, request.profile.application_id
            )
        return await self.deliver(row.idempotency_key)

    async def deliver(self, idempotency_key: str) -> SendOutcome:
        """Deliver a recorded email unless it was already sent."""
        row = await self.outbox.claim(idempotency_key)
        if row.status == OutboxStatus.SENT:
            log.info("mail.duplicate_suppressed", key=idempotency_key, message_id=row.message_id)
            return self._outcome(row, already_sent=True)
        try:
            result = await self.transport.deliver(
                row.raw_message, sender=row.sender, recipients=row.recipients.split(",")
            )
        except PermanentMailError as exc:
            await self.outbox.mark_failed(idempotency_key, str(exc))
            log.error("mail.failed", key=idempotency_key, error=str(exc))
            raise
        except TransientMailError as exc:
            await self.outbox.mark_retry(idempotency_key, str(exc))
            log.warning("mail.retry", key=idempotency_key, error=str(exc))
            raise
        await self.outbox.mark_sent(idempotency_key)
        log.info("mail.sent", key=idempotency_key, message_id=row.message_id, purpose=row.purpose)
        sent = await self.outbox.get(idempotency_key)
        assert sent is not None
        return self._outcome(sent, already_sent=False, refused=result.refused)

    @staticmethod
    def _outcome(
        row: OutboxEmail, *, already_sent: bool, refused: dict[str, str] | None = None
    ) -> SendOutcome:
        return SendOutcome(
            idempotency_key=row.idempotency_key,
            message_id=row.message_id,
            status=row.status,
            already_sent=already_sent,
            attempts=row.attempts,
            refused=refused or {},
        )
