"""SMTP transport against a real aiosmtpd server: AUTH, refusals, error classes."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword
from aiosmtpd.smtp import Session as SmtpSession

from integrations.mail.transport import PermanentMailError, SmtpConfig, SmtpTransport, TransientMailError

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]
RAW = b"From: a@x.test\r\nTo: b@x.test\r\nSubject: t\r\nMessage-ID: <t@x.test>\r\n\r\nhello\r\n"


class Relay:
    """A relay that wants AUTH and refuses some recipients, like a real provider."""

    def __init__(self) -> None:
        self.received: list[Envelope] = []

    async def handle_RCPT(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("full@"):
            return "452 4.2.2 Mailbox full, try later"
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 OK"


def authenticator(
    server: SMTP, session: SmtpSession, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == b"hireflow" and data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)


@pytest.fixture
async def relay() -> AsyncIterator[tuple[Relay, int]]:
    handler = Relay()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler, authenticator=authenticator, auth_required=True, auth_require_tls=False),
        host="127.0.0.1",
        port=0,
    )
    yield handler, server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


def transport(port: int, user: str | None = "hireflow", password: str | None = "s3cret") -> SmtpTransport:
    return SmtpTransport(SmtpConfig(host="127.0.0.1", port=port, username=user, password=password, timeout=5))


async def test_login_and_partial_refusal(relay: tuple[Relay, int]) -> None:
    handler, port = relay
    result = await transport(port).deliver(RAW, sender="a@x.test", recipients=["b@x.test", "nobody@x.test"])
    assert [e.rcpt_tos for e in handler.received] == [["b@x.test"]]
    assert result.refused["nobody@x.test"].startswith("550")


async def test_bad_password_is_permanent(relay: tuple[Relay, int]) -> None:
    with pytest.raises(PermanentMailError, match="login"):
        await transport(relay[1], password="wrong").deliver(RAW, sender="a@x.test", recipients=["b@x.test"])


async def test_missing_auth_is_permanent(relay: tuple[Relay, int]) -> None:
    with pytest.raises(PermanentMailError, match="530"):
        await transport(relay[1], None, None).deliver(RAW, sender="a@x.test", recipients=["b@x.test"])


async def test_all_refused_temporary_vs_permanent(relay: tuple[Relay, int]) -> None:
    with pytest.raises(TransientMailError, match="452"):
        await transport(relay[1]).deliver(RAW, sender="a@x.test", recipients=["full@x.test"])
    with pytest.raises(PermanentMailError, match="550"):
        await transport(relay[1]).deliver(RAW, sender="a@x.test", recipients=["nobody@x.test"])


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (no network, no subprocess)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


async def test_starttls_with_private_ca_and_auth(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    handler = Relay()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler, tls_context=server_ctx, require_starttls=True, authenticator=authenticator),
        host="127.0.0.1",
        port=0,
    )
    port = server.sockets[0].getsockname()[1]
    try:
        secure = SmtpConfig(
            host="127.0.0.1",
            port=port,
            username="hireflow",
            password="s3cret",
            starttls=True,
            ca_file=cert,
        )
        await SmtpTransport(secure).deliver(RAW, sender="a@x.test", recipients=["b@x.test"])
        assert len(handler.received) == 1
        plain = secure.model_copy(update={"starttls": False, "username": None, "password": None})
        with pytest.raises(PermanentMailError, match="530"):
            await SmtpTransport(plain).deliver(RAW, sender="a@x.test", recipients=["b@x.test"])
        untrusted = secure.model_copy(update={"ca_file": None})  # system store does not know our CA
        with pytest.raises(PermanentMailError, match="not trusted"):
            await SmtpTransport(untrusted).deliver(RAW, sender="a@x.test", recipients=["b@x.test"])
    finally:
        server.close()
        await server.wait_closed()


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="not both"):
        SmtpConfig(host="h", port=465, ssl=True, starttls=True)
    with pytest.raises(ValueError, match="together"):
        SmtpConfig(host="h", port=25, username="u")


async def test_implicit_tls_with_private_ca_and_auth(tmp_path: Path) -> None:
    """`smtp_ssl` (port 465 style): TLS from the first byte, AUTH inside it; a plain client gets nowhere."""
    cert, key = self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    handler = Relay()
    # aiosmtpd only counts STARTTLS as TLS for `auth_require_tls`; here the socket itself is TLS.
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler, authenticator=authenticator, auth_required=True, auth_require_tls=False),
        host="127.0.0.1",
        port=0,
        ssl=server_ctx,
    )
    port = server.sockets[0].getsockname()[1]
    try:
        secure = SmtpConfig(
            host="127.0.0.1",
            port=port,
            username="hireflow",
            password="s3cret",
            ssl=True,
            ca_file=cert,
            timeout=5,
        )
        await SmtpTransport(secure).deliver(RAW, sender="a@x.test", recipients=["b@x.test"])
        assert len(handler.received) == 1 and handler.received[0].rcpt_tos == ["b@x.test"]
        untrusted = secure.model_copy(update={"ca_file": None})  # system store does not know our CA
        with pytest.raises(PermanentMailError, match="not trusted"):
            await SmtpTransport(untrusted).deliver(RAW, sender="a@x.test", recipients=["b@x.test"])
        plain = secure.model_copy(update={"ssl": False, "timeout": 1})  # speaks cleartext to a TLS port
        with pytest.raises(TransientMailError):
            await SmtpTransport(plain).deliver(RAW, sender="a@x.test", recipients=["b@x.test"])
        assert len(handler.received) == 1
    finally:
        server.close()
        await server.wait_closed()
