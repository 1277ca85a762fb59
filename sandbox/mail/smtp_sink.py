"""The embedded SMTP sink: accepts all mail on loopback and writes it to a Maildir.

It runs inside the caller's event loop (aiosmtpd's SMTP protocol on `loop.create_server`, not its
threaded `Controller`, whose port-0 start-up is broken in 1.4.6), so port 0 gives a free port and
`.port` tells which. Mail for a `reply+<token>@<reply domain>` recipient is also parsed and handed to
`on_reply`, so a candidate's reply works end to end on the embedded stack. The sink never rejects
mail because of a reply problem: the message is in the Maildir either way, and the problem is logged.

Note: this module uses `integrations.mail.inbound` to build the `InboundReply`, so the sink and the
webhooks route replies identically.
"""

from __future__ import annotations

import asyncio
import inspect
import mailbox
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession

from integrations.logs import get_logger
from integrations.mail.inbound import InboundReply, UnroutableReply, reply_from_mime
from integrations.mail.reply_address import PREFIX, InvalidReplyToken, ReplyAddressCodec
from models.settings import get_settings

log = get_logger(__name__)

OnReply = Callable[[InboundReply], Awaitable[None] | None]


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(envelope.content, str) and not raw:
            raw = envelope.content.encode()
        try:
            await self.sink._store(raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        except OSError as exc:
            log.error("mail.sink_store_failed", error=str(exc))
            return "451 4.3.0 Cannot store the message right now"
        return "250 Message accepted for delivery"


class SmtpSink:
    """`async with SmtpSink(maildir, port=0, on_reply=cb) as sink:` → `sink.port` is listening."""

    def __init__(
        self,
        maildir: Path | str,
        host: str = "127.0.0.1",
        port: int = 2525,
        on_reply: OnReply | None = None,
        codec: ReplyAddressCodec | None = None,
    ) -> None:
        self.maildir_path = Path(maildir)
        self.host = host
        self._requested_port = port
        self.on_reply = on_reply
        if codec is None:
            settings = get_settings()
            codec = ReplyAddressCodec(settings.signing_secret.get_secret_value(), settings.reply_domain)
        self.codec = codec
        self._server: asyncio.Server | None = None
        self._maildir: mailbox.Maildir | None = None
        self.replies_failed = 0

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SMTP sink is not running")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        for sub in ("tmp", "new", "cur"):
            (self.maildir_path / sub).mkdir(parents=True, exist_ok=True)
        self._maildir = mailbox.Maildir(self.maildir_path, create=False)
        handler = _Handler(self)
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                lambda: SMTP(
                    handler, hostname="hireflow-sink", ident="Hireflow SMTP sink", enable_SMTPUTF8=True
                ),
                host=self.host,
                port=self._requested_port,
            )
        except OSError as exc:
            raise RuntimeError(f"cannot listen on {self.host}:{self._requested_port}: {exc}") from exc
        log.info("mail.sink_started", host=self.host, port=self.port, maildir=str(self.maildir_path))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> SmtpSink:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _store(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> None:
        trace = (
            f"Return-Path: <{mail_from}>\r\n"
            f"X-Hireflow-Rcpt-To: {', '.join(rcpt_tos)}\r\n"
            f"X-Hireflow-Received: {datetime.now(UTC).isoformat()}\r\n"
        ).encode()
        assert self._maildir is not None
        key = await asyncio.to_thread(self._maildir.add, trace + raw)
        log.info("mail.sink_stored", key=key, recipients=len(rcpt_tos))
        reply_rcpts = [r for r in rcpt_tos if r.lower().startswith(PREFIX)]
        if reply_rcpts and self.on_reply is not None:
            await self._route(raw, reply_rcpts)

    async def _route(self, raw: bytes, rcpts: list[str]) -> None:
        assert self.on_reply is not None
        try:
            reply = reply_from_mime(
                self.codec, raw, source="smtp", received_at=datetime.now(UTC), envelope_recipients=rcpts
            )
        except (InvalidReplyToken, UnroutableReply) as exc:
            self.replies_failed += 1
            log.warning("mail.sink_reply_unroutable", error=str(exc))
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
