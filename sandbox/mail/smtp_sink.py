"""The SMTP sink: accepts all mail on loopback and writes it to a Maildir.

It runs inside the caller's event loop (aiosmtpd's SMTP protocol on `loop.create_server`, not its
threaded `Controller`, whose port-0 start-up is broken in 1.4.6), so port 0 gives a free port and
`.port` tells which. After a message is stored, `received(raw, recipients)` is awaited: a subclass
acts on it (the embedded stack's `starters.mail_sink.SmtpSink` hands candidates' replies to their
workflows). The sink knows nothing of Hireflow's reply addresses: the sandbox imports no engine code.
"""

from __future__ import annotations

import asyncio
import mailbox
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Self

import structlog
from aiosmtpd.smtp import DATA_SIZE_DEFAULT, SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession

log = structlog.get_logger(__name__)


class _Handler:
    def __init__(self, sink: MaildirSink) -> None:
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


class MaildirSink:
    """`async with MaildirSink(maildir, port=0) as sink:` → `sink.port` is listening."""

    def __init__(
        self,
        maildir: Path | str,
        host: str = "127.0.0.1",
        port: int = 2525,
        data_size_limit: int = DATA_SIZE_DEFAULT,
    ) -> None:
        self.maildir_path = Path(maildir)
        self.data_size_limit = data_size_limit  # larger messages get "552 Error: Too much mail data"
        self.host = host
        self._requested_port = port
        self._server: asyncio.Server | None = None
        self._maildir: mailbox.Maildir | None = None

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
                    handler,
                    hostname="hireflow-sink",
                    ident="Hireflow SMTP sink",
                    enable_SMTPUTF8=True,
                    data_size_limit=self.data_size_limit,
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

    async def __aenter__(self) -> Self:
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
        await self.received(raw, rcpt_tos)

    async def received(self, raw: bytes, rcpt_tos: list[str]) -> None:
        """Called with each message once it is in the Maildir; this sink does nothing more with it."""
