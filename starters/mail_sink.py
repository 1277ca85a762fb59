"""The embedded stack's SMTP sink: the sandbox's Maildir sink, plus candidates' replies to workflows.

Mail for a `reply+<token>@<reply domain>` recipient is also parsed and handed to `on_reply`, so a
candidate's reply works end to end on the embedded stack. The sink never rejects mail because of a
reply problem: the message is in the Maildir either way, and the problem is logged. It builds the
`InboundReply` with `integrations.mail.inbound`, so the sink and the inbound-mail webhooks route
replies identically. (The sandbox's `MaildirSink` knows nothing of reply addresses; this part lives
here because the sandbox imports no engine code.) Messages over `inbound_mail_max_bytes` are refused
with SMTP 552, as the inbound webhooks refuse them with 413. Replies through the sink count as
sender-authenticated: it listens on loopback for the dev stack only.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from integrations.logs import get_logger
from integrations.mail.inbound import InboundReply, UnroutableReply, reply_from_mime
from integrations.mail.reply_address import PREFIX, InvalidReplyToken, ReplyAddressCodec
from models.settings import get_settings
from sandbox.mail.smtp_sink import MaildirSink

log = get_logger(__name__)

OnReply = Callable[[InboundReply], Awaitable[None] | None]


class SmtpSink(MaildirSink):
    """`async with SmtpSink(maildir, port=0, on_reply=cb) as sink:` → `sink.port` is listening."""

    def __init__(
        self,
        maildir: Path | str,
        host: str = "127.0.0.1",
        port: int = 2525,
        on_reply: OnReply | None = None,
        codec: ReplyAddressCodec | None = None,
        max_message_bytes: int | None = None,
    ) -> None:
        settings = get_settings()
        super().__init__(
            maildir, host, port, data_size_limit=max_message_bytes or settings.inbound_mail_max_bytes
        )
        self.on_reply = on_reply
        if codec is None:
            codec = ReplyAddressCodec(settings.signing_secret.get_secret_value(), settings.reply_domain)
        self.codec = codec
        self.replies_failed = 0

    async def received(self, raw: bytes, rcpt_tos: list[str]) -> None:
        reply_rcpts = [r for r in rcpt_tos if r.lower().startswith(PREFIX)]
        if reply_rcpts and self.on_reply is not None:
            await self._route(raw, reply_rcpts)

    async def _route(self, raw: bytes, rcpts: list[str]) -> None:
        assert self.on_reply is not None
        try:
            reply = await asyncio.to_thread(  # hostile MIME is parsed off the event loop
                partial(
                    reply_from_mime,
                    self.codec,
                    raw,
                    source="smtp",
                    received_at=datetime.now(UTC),
                    envelope_recipients=rcpts,
                    sender_authenticated=True,  # loopback-only dev sink: the dev stack is the only sender
                )
            )
        except (InvalidReplyToken, UnroutableReply) as exc:
            self.replies_failed += 1
            log.warning("mail.sink_reply_unroutable", error=str(exc))
            return
        except Exception as exc:  # malformed MIME: the message is stored; it just routes nowhere
            self.replies_failed += 1
            log.warning("mail.sink_reply_malformed", error=type(exc).__name__)
            return
        if reply.auto_reply_reason:
            log.info("mail.sink_reply_ignored", workflow_id=reply.workflow_id, reason=reply.auto_reply_reason)
            return
        try:
            result = self.on_reply(reply)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # a failing callback must not make the sink refuse mail
            self.replies_failed += 1
            log.error("mail.sink_on_reply_failed", workflow_id=reply.workflow_id, error=str(exc))
