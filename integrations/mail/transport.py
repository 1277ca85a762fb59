"""Deliver a finished MIME message over SMTP (aiosmtplib), with errors sorted into retry or give up.

A 4xx reply, a refused connection or a timeout is `TransientMailError` (retry later); a 5xx reply
or a failed login is `PermanentMailError` (retrying the same bytes cannot succeed). Activities map
these to Temporal retries and `non_retryable` errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from ssl import SSLCertVerificationError, SSLContext, create_default_context
from typing import Protocol

import aiosmtplib
from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from integrations.logs import get_logger
from models.settings import Settings

log = get_logger(__name__)


class MailError(Exception):
    """Base class of delivery errors."""


class TransientMailError(MailError):
    """Delivery failed for a reason that may go away (4xx, network, timeout, concurrent attempt)."""


class PermanentMailError(MailError):
    """Delivery can never succeed as is (5xx refusal, bad credentials, invalid message)."""


class SendResult(BaseModel):
    """What the relay said: recipients it refused while accepting others (code, message)."""

    refused: dict[str, str] = {}
    server_reply: str = ""


class MailTransport(Protocol):
    """Anything that can deliver raw RFC 5322 bytes to envelope recipients."""

    async def deliver(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> SendResult: ...


class SmtpConfig(BaseModel):
    """Connection settings for one SMTP relay."""

    model_config = ConfigDict(frozen=True)

    host: str
    port: int
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    ssl: bool = False
    ca_file: Path | None = None
    timeout: float = 30.0

    @model_validator(mode="after")
    def _one_tls_mode(self) -> SmtpConfig:
        if self.starttls and self.ssl:
            raise ValueError("choose either smtp_ssl (implicit TLS, port 465) or smtp_starttls, not both")
        if (self.username is None) != (self.password is None):
            raise ValueError("smtp_username and smtp_password must be set together")
        return self

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            ssl=settings.smtp_ssl,
            ca_file=settings.smtp_ca_file,
        )

    def tls_context(self) -> SSLContext | None:
        """System trust store, or only `ca_file` for a relay with a private CA."""
        if self.ca_file is None:
            return None
        if not self.ca_file.is_file():
            raise ValueError(f"smtp_ca_file {self.ca_file} does not exist")
        return create_default_context(cafile=str(self.ca_file))


def _classify(code: int, what: str) -> MailError:
    if 400 <= code < 500:
        return TransientMailError(f"{what} (SMTP {code}, temporary)")
    return PermanentMailError(f"{what} (SMTP {code})")


class SmtpTransport:
    """`MailTransport` over SMTP; one connection per message (sends are rare and independent)."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def deliver(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> SendResult:
        if not recipients:
            raise PermanentMailError("no envelope recipients")
        cfg = self.config
        try:
            errors, reply = await aiosmtplib.send(
                raw,
                sender=sender,
                recipients=list(recipients),
                hostname=cfg.host,
                port=cfg.port,
                username=cfg.username,
                password=cfg.password.get_secret_value() if cfg.password else None,
                use_tls=cfg.ssl,
                start_tls=cfg.starttls,
                tls_context=cfg.tls_context(),
                timeout=cfg.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            worst = max(codes) if codes else 550
            # any temporary refusal among them makes the whole attempt worth retrying
            code = min(c for c in codes if c < 500) if any(c < 500 for c in codes) else worst
            raise _classify(code, f"all {len(codes)} recipient(s) refused") from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise PermanentMailError(f"SMTP login to {cfg.host}:{cfg.port} failed ({exc.code})") from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _classify(
                exc.code, f"relay {cfg.host}:{cfg.port} refused the message: {exc.message}"
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            if isinstance(exc, SSLCertVerificationError) or isinstance(
                exc.__cause__, SSLCertVerificationError
            ):
                raise PermanentMailError(
                    f"TLS certificate of {cfg.host}:{cfg.port} is not trusted; set HIREFLOW_SMTP_CA_FILE"
                ) from exc
            raise TransientMailError(f"cannot deliver via {cfg.host}:{cfg.port}: {exc}") from exc
        refused = {addr: f"{resp.code} {resp.message}" for addr, resp in errors.items()}
        if refused:
            log.warning("mail.recipients_refused", count=len(refused))
        return SendResult(refused=refused, server_reply=reply)
