"""Issue 10, web inputs: every body bounded before it is read, every credential compared safely, bad
input answered 4xx (never 5xx), inbound webhooks closed without their credential, Mailgun replays
claimed before dispatch, security headers, `calendar.ics` of an ended request, no tokens in logs.

Everything goes through the app as `hireflow web` builds it (`create_app`), over ASGI or real HTTP.
Temporal is replaced by a deliberately slow fake where only the inbound path needs one.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import aiosmtplib
import httpx
import pytest
import pytest_asyncio
import structlog
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from integrations.links import make_link_token
from integrations.logs import configure_logging
from integrations.mail.reply_address import ReplyAddressCodec
from models.messages import SchedulingState
from models.settings import Settings, get_settings
from starters.mail_sink import SmtpSink
from tests.test_web_pages import WebHarness, csrf_of, until
from tests.test_web_pages import web as web  # the `web` fixture (real workflow on the dev server)
from web.app import create_app
from web.webhooks import sign_body
from workflows.scheduling import SchedulingWorkflow

SIGNING = "inputs-test-signing-secret"
GH_SECRET = "inputs-test-webhook-secret"
MG_KEY = "key-inputs-test"
SG_TOKEN = "sendgrid-inputs-token"
REPLY_DOMAIN = "hireflow.local"
WORKFLOW_ID = "schedule-52877001001-6620003001"
MB = 1024 * 1024
CHUNK = 64 * 1024
CODEC = ReplyAddressCodec(SIGNING, REPLY_DOMAIN)
REPLY_TO = CODEC.address_for(WORKFLOW_ID)


# ------------------------------------------------------------------------------------ harness


class _SlowHandle:
    """Every workflow call takes a moment and then finds no workflow (so dispatches overlap)."""

    def __init__(self, calls: list[str]) -> None:
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        async def call(*_: Any, **__: Any) -> Any:
            self._calls.append(name)
            await asyncio.sleep(0.2)
            raise RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b"")

        return call


class FakeTemporal:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def get_workflow_handle(self, *_: Any, **__: Any) -> _SlowHandle:
        return _SlowHandle(self.calls)


@dataclass
class App:
    http: httpx.AsyncClient
    temporal: FakeTemporal
    settings: Settings


def make_settings(tmp_path: Path, **over: Any) -> Settings:
    base: dict[str, Any] = {
        "state_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / f'web-{uuid.uuid4().hex[:6]}.db'}",
        "signing_secret": SecretStr(SIGNING),
        "greenhouse_webhook_secret": SecretStr(GH_SECRET),
        "mailgun_signing_key": SecretStr(MG_KEY),
        "inbound_webhook_token": SecretStr(SG_TOKEN),
        "reply_domain": REPLY_DOMAIN,
    }
    return Settings(**(base | over))


@pytest_asyncio.fixture
async def build(tmp_path: Path) -> AsyncIterator[Any]:
    """`async with build(**settings) as app:` an app over ASGI with the fake Temporal."""
    clients: list[httpx.AsyncClient] = []

    def make(**over: Any) -> App:
        settings = make_settings(tmp_path, **over)
        temporal = FakeTemporal()

        async def factory() -> Client:
            return cast(Client, temporal)

        app: FastAPI = create_app(settings, factory)
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://web",
            timeout=30,
        )
        clients.append(http)
        return App(http, temporal, settings)

    yield make
    for client in clients:
        await client.aclose()


class Pulled:
    """A streamed request body that records how much of it the server pulled."""

    def __init__(self) -> None:
        self.bytes = 0

    async def body(self, total: int, fill: bytes = b"x", prefix: bytes = b"") -> AsyncIterator[bytes]:
        self.bytes += len(prefix)
        yield prefix
        sent = len(prefix)
        while sent < total:
            n = min(CHUNK, total - sent)
            sent += n
            self.bytes += n
            yield fill * n


MULTIPART_TEXT_FIELD = b'--b\r\nContent-Disposition: form-data; name="text"\r\n\r\n'


def mailgun_fields(token: str | None = None, **over: str) -> dict[str, str]:
    ts = str(int(time.time()))
    token = token or uuid.uuid4().hex + uuid.uuid4().hex[:18]
    fields = {
        "recipient": REPLY_TO,
        "sender": "jane.doe@example.com",
        "from": "Jane Doe <jane.doe@example.com>",
        "subject": "Re: Pick a time",
        "body-plain": "Thursday works.",
        "message-headers": json.dumps([["Message-Id", "<m1@mail.example.com>"]]),
        "timestamp": ts,
        "token": token,
        "signature": hmac.new(MG_KEY.encode(), (ts + token).encode(), hashlib.sha256).hexdigest(),
    }
    return fields | over


def raw_mail(extra_headers: str = "", to: str = REPLY_TO) -> bytes:
    return (
        f"From: Jane <jane.doe@example.com>\r\nTo: {to}\r\nSubject: Re: x\r\n{extra_headers}\r\nThursday works.\r\n"
    ).encode()


def assert_not_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, f"{response.status_code}: {response.text[:300]}"


# ---------------------------------------------------------------------------------- body limits


async def test_oversized_webhook_is_413_before_the_body_is_read(build: Any) -> None:
    app = build()
    pulled = Pulled()
    r = await app.http.post(
        "/webhooks/greenhouse",
        content=pulled.body(8 * MB),
        headers={"content-length": str(8 * MB), "signature": "sha256 00"},
    )
    assert r.status_code == 413
    assert pulled.bytes == 0, f"the app read {pulled.bytes} bytes of a body it refuses"


async def test_chunked_webhook_is_cut_off_at_the_limit(build: Any) -> None:
    app = build()
    pulled = Pulled()
    r = await app.http.post("/webhooks/greenhouse", content=pulled.body(6 * MB), headers={"signature": "x"})
    assert r.status_code == 413
    assert pulled.bytes <= MB + CHUNK, f"pulled {pulled.bytes} bytes past a 1 MB limit"


async def test_oversized_candidate_form_is_413_before_it_is_parsed(build: Any) -> None:
    app = build()
    token = make_link_token(WORKFLOW_ID, "pick", datetime.now(UTC) + timedelta(days=1), SIGNING)
    pulled = Pulled()
    r = await app.http.post(
        f"/s/{token}/pick",
        content=pulled.body(4 * MB, b"a"),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413
    assert pulled.bytes <= MB + CHUNK


async def test_a_forged_link_is_refused_before_its_form_is_read(build: Any) -> None:
    app = build()
    token = make_link_token(WORKFLOW_ID, "pick", datetime.now(UTC) + timedelta(days=1), "another-secret")
    pulled = Pulled()
    r = await app.http.post(
        f"/s/{token}/pick",
        content=pulled.body(MB // 2, b"a"),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 403 and pulled.bytes == 0, (r.status_code, pulled.bytes)


async def test_inbound_mail_has_its_own_larger_documented_limit(build: Any) -> None:
    app = build(inbound_mail_max_bytes=2 * MB)
    pulled = Pulled()
    r = await app.http.post(
        f"/inbound/sendgrid?token={SG_TOKEN}",
        content=pulled.body(3 * MB, prefix=MULTIPART_TEXT_FIELD),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert r.status_code == 413 and pulled.bytes <= 2 * MB + CHUNK, (r.text, pulled.bytes)
    big_but_allowed = {"email": ("m.eml", raw_mail() + b"x" * (MB + MB // 2))}
    r = await app.http.post(f"/inbound/sendgrid?token={SG_TOKEN}", files=big_but_allowed)
    assert r.status_code == 200, r.text  # 1.5 MB of mail is fine on /inbound (1 MB applies elsewhere)


async def test_sendgrid_token_is_checked_before_the_form_is_read(build: Any) -> None:
    app = build()
    pulled = Pulled()
    r = await app.http.post(
        "/inbound/sendgrid?token=wrong",
        content=pulled.body(MB // 2, prefix=MULTIPART_TEXT_FIELD),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert r.status_code == 401 and pulled.bytes == 0


async def test_smtp_sink_refuses_mail_over_the_limit_with_552(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIREFLOW_INBOUND_MAIL_MAX_BYTES", str(MB))
    get_settings.cache_clear()
    try:
        async with SmtpSink(tmp_path / "mail", port=0, codec=CODEC) as sink:
            message = raw_mail() + (b"x" * 998 + b"\r\n") * (2 * MB // 1000)
            with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
                await aiosmtplib.send(
                    message, sender="jane.doe@example.com", recipients=[REPLY_TO], hostname="127.0.0.1",
                    port=sink.port,
                )  # fmt: skip
    finally:
        get_settings.cache_clear()
    assert refused.value.code == 552


# ------------------------------------------------------------------------ non-ASCII credentials


async def test_non_ascii_webhook_signature_is_401(build: Any) -> None:
    app = build()
    r = await app.http.post("/webhooks/greenhouse", content=b"{}", headers={"signature": "sha256 é".encode()})
    assert r.status_code == 401


async def test_non_ascii_csrf_field_is_403(build: Any) -> None:
    app = build()
    token = make_link_token(WORKFLOW_ID, "pick", datetime.now(UTC) + timedelta(days=1), SIGNING)
    app.http.cookies.set("hf_csrf", "n" * 32)
    r = await app.http.post(
        f"/s/{token}/pick", data={"csrf": "ü" * 32, "option_id": "o1", "offer_version": "1"}
    )
    assert r.status_code == 403 and "nothing was changed" in r.text


async def test_non_ascii_sendgrid_token_is_401(build: Any) -> None:
    app = build()
    r = await app.http.post("/inbound/sendgrid?token=tökén", files={"email": ("m.eml", raw_mail())})
    assert r.status_code == 401


async def test_non_ascii_mailgun_signature_is_401(build: Any) -> None:
    app = build()
    r = await app.http.post("/inbound/mailgun", data=mailgun_fields(signature="é" * 64))
    assert r.status_code == 401
    assert app.temporal.calls == []


# ----------------------------------------------------------------------- malformed MIME and JSON


@pytest.mark.parametrize(
    "extra",
    [
        "Message-ID: <\r\n",  # IndexError inside the header parser
        "Cc: :;@,\r\n",  # AttributeError on a group without a local part
        "Content-Type: text/plain; charset=bogus-xyz\r\n",  # LookupError decoding the body
    ],
)
async def test_malformed_mime_on_sendgrid_is_not_a_server_error(build: Any, extra: str) -> None:
    app = build()
    r = await app.http.post(
        f"/inbound/sendgrid?token={SG_TOKEN}", files={"email": ("m.eml", raw_mail(extra))}
    )
    assert r.status_code == 200 and r.json()["status"] == "ignored", r.text  # SendGrid stops retrying
    assert app.temporal.calls == []


async def test_malformed_mime_through_the_smtp_sink_is_still_accepted(tmp_path: Path) -> None:
    replies: list[object] = []
    async with SmtpSink(tmp_path / "mail", port=0, codec=CODEC, on_reply=replies.append) as sink:
        errors, _ = await aiosmtplib.send(
            raw_mail("Message-ID: <\r\n"), sender="jane.doe@example.com", recipients=[REPLY_TO],
            hostname="127.0.0.1", port=sink.port,
        )  # fmt: skip
    assert errors == {} and replies == [] and sink.replies_failed == 1


async def test_deep_json_webhook_is_400(build: Any) -> None:
    app = build()
    raw = b"[" * 100_000
    r = await app.http.post(
        "/webhooks/greenhouse", content=raw, headers={"signature": sign_body(raw, GH_SECRET)}
    )
    assert r.status_code == 400, r.text


async def test_deep_json_in_inbound_fields_is_4xx(build: Any) -> None:
    app = build()
    r = await app.http.post("/inbound/mailgun", data=mailgun_fields(**{"message-headers": "[" * 50_000}))
    assert_not_server_error(r)
    assert r.status_code in (400, 406)
    r = await app.http.post(
        f"/inbound/sendgrid?token={SG_TOKEN}",
        files={"email": ("m.eml", raw_mail()), "envelope": (None, "[" * 50_000)},
    )
    assert r.status_code == 400, r.text
    assert app.temporal.calls == []


# ------------------------------------------------------------------ inbound authentication, replay


async def test_sendgrid_without_a_configured_token_fails_closed_in_production(build: Any) -> None:
    app = build(inbound_webhook_token=None)
    assert not app.settings.is_development
    r = await app.http.post("/inbound/sendgrid", files={"email": ("m.eml", raw_mail())})
    assert r.status_code in (401, 403, 503), r.text
    assert "HIREFLOW_INBOUND_WEBHOOK_TOKEN" in r.text
    assert app.temporal.calls == [], "an unauthenticated post reached the workflow"


async def test_sendgrid_without_a_token_still_works_in_development(build: Any) -> None:
    app = build(inbound_webhook_token=None, environment="development")
    r = await app.http.post("/inbound/sendgrid", files={"email": ("m.eml", raw_mail())})
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text


async def test_concurrent_mailgun_duplicates_are_dispatched_once(build: Any) -> None:
    app = build()
    fields = mailgun_fields()
    answers = await asyncio.gather(*(app.http.post("/inbound/mailgun", data=fields) for _ in range(3)))
    statuses = sorted(r.json()["status"] for r in answers)
    assert statuses == ["accepted", "duplicate", "duplicate"], statuses
    later = await app.http.post("/inbound/mailgun", data=fields)
    assert later.json()["status"] == "duplicate"


async def test_mailgun_replay_memory_is_shared_by_every_app_on_the_database(
    build: Any, tmp_path: Path
) -> None:
    shared = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = build(database_url=shared), build(database_url=shared)
    fields = mailgun_fields()
    assert (await first.http.post("/inbound/mailgun", data=fields)).json()["status"] == "accepted"
    assert (await second.http.post("/inbound/mailgun", data=fields)).json()["status"] == "duplicate"


# --------------------------------------------------------------------------------------- headers

PAGE_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/s/not-a-token"), ("GET", "/no/such/page"), ("POST", "/webhooks/greenhouse")],
)
async def test_pages_and_errors_carry_security_headers(build: Any, method: str, path: str) -> None:
    app = build()
    r = await app.http.request(method, path, content=b"{}" if method == "POST" else None)
    for name, value in PAGE_HEADERS.items():
        assert r.headers.get(name) == value, (name, r.headers.get(name))
    csp = r.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "script-src 'self'" in csp


async def test_413_answers_carry_security_headers_too(build: Any) -> None:
    app = build()
    r = await app.http.post("/webhooks/greenhouse", content=b"x" * (MB + 1))
    assert r.status_code == 413 and r.headers.get("cache-control") == "no-store"
    assert "frame-ancestors 'none'" in r.headers.get("content-security-policy", "")


def test_templates_have_no_inline_code_the_policy_would_block() -> None:
    for template in (Path(__file__).parents[2] / "web" / "templates").glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), f"inline <script> in {template.name}"
        assert "<style" not in text and " style=" not in text, f"inline style in {template.name}"
        assert not re.search(r"\son[a-z]+=", text), f"inline event handler in {template.name}"


# ---------------------------------------------------------------------------------- calendar.ics


async def test_cancelled_request_never_serves_confirmed_events(web: WebHarness) -> None:
    token, handle = await web.booked()
    cancel_token = web.token(handle.id, "cancel")
    async with web.http() as http:
        page = await http.get(f"/s/{cancel_token}")
        form = {"csrf": csrf_of(page.text), "confirm": "yes", "reason": "found another job"}
        assert (await http.post(f"/s/{cancel_token}/cancel", data=form)).status_code == 200
        await until(handle, SchedulingState.CANCELLED)
        ics = await http.get(f"/s/{token}/calendar.ics")
    assert "STATUS:CONFIRMED" not in ics.text
    assert ics.status_code == 410 or "STATUS:CANCELLED" in ics.text, (ics.status_code, ics.text[:200])


async def test_terminated_request_never_serves_confirmed_events(web: WebHarness) -> None:
    token, handle = await web.booked()
    await handle.terminate("operator stopped it")
    async with web.http() as http:
        ics = await http.get(f"/s/{token}/calendar.ics")
    assert "STATUS:CONFIRMED" not in ics.text
    assert ics.status_code == 410, (ics.status_code, ics.text[:200])
    assert (await handle.query(SchedulingWorkflow.status)).booking is not None  # it was booked


# ----------------------------------------------------------------------------------- log redaction


def _access_log_line(method: str, path: str) -> str:
    """What uvicorn's access logger writes for one request, once uvicorn has configured its loggers."""
    uvicorn.Config(cast(Any, object()), log_level="info")  # uvicorn (re)configures its loggers here
    access = logging.getLogger("uvicorn.access")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    access.addHandler(handler)
    try:
        access.setLevel(logging.INFO)
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", method, path, "1.1", 200)
    finally:
        access.removeHandler(handler)
    return stream.getvalue()


def test_access_log_does_not_print_link_tokens(build: Any) -> None:
    app = build()
    token = make_link_token(WORKFLOW_ID, "pick", datetime.now(UTC) + timedelta(days=1), SIGNING)
    line = _access_log_line("GET", f"/s/{token}/pick?tz=UTC")
    assert "/s/" in line and token not in line and token.split(".")[0] not in line, line
    assert app.settings.signing_secret.get_secret_value() not in line


def test_structlog_events_do_not_carry_link_or_reply_tokens() -> None:
    configure_logging("INFO", "json")
    processors = structlog.get_config()["processors"]
    reply_token = CODEC.token_for(WORKFLOW_ID)
    message_id = CODEC.message_id_for("invite/1", WORKFLOW_ID)
    link = make_link_token(WORKFLOW_ID, "pick", datetime.now(UTC) + timedelta(days=1), SIGNING)
    event: Any = {
        "event": f"GET /s/{link}/pick",
        "recipient": CODEC.address_for(WORKFLOW_ID),
        "message_id": message_id,
        "headers": [("In-Reply-To", message_id)],
    }
    for processor in processors[:-1]:  # the last one hands over to the stdlib formatter
        event = processor(logging.getLogger("hireflow.test"), "info", event)
    text = json.dumps(event, default=str)
    assert reply_token not in text and link not in text, text
    assert "reply+[redacted]@" in text and re.search(r"<hf[0-9a-f]{24}\.\[redacted\]@", text), text


@pytest.mark.timeout(60)
async def test_a_hostile_header_block_is_refused_quickly(build: Any) -> None:
    """The stdlib's structured header parsing grows faster than linearly: headers are capped first."""
    app = build()
    to = ", ".join(f"a{i}@x.example" for i in range(15_000))  # about 210 KB of addresses
    mail = f"From: a@b.example\r\nTo: {to}\r\nSubject: s\r\n\r\nhello".encode()
    start = time.perf_counter()
    r = await app.http.post(f"/inbound/sendgrid?token={SG_TOKEN}", files={"email": ("m.eml", mail)})
    took = time.perf_counter() - start
    assert r.status_code == 200 and r.json()["status"] == "ignored", r.text
    assert took < 5.0, f"{took:.1f} s for a 210 KB header block"  # wall time (threads); minutes before


# ------------------------------------------------------------------------------------------------
# Found by the adversarial review of this change
# ------------------------------------------------------------------------------------------------


def test_access_log_does_not_print_the_sendgrid_credential() -> None:
    line = _access_log_line("POST", f"/inbound/sendgrid?token={SG_TOKEN}&x=1")
    assert "/inbound/sendgrid?token=" in line and SG_TOKEN not in line, line


def test_a_message_level_dkim_pass_does_not_vouch_for_a_junk_signature() -> None:
    """Mailgun's verdict is one for the whole message: it may be the attacker's own signature's pass."""
    from web.inbound_auth import mailgun_sender_authenticated

    junk = ("DKIM-Signature", "v=1; d=gmail.com; s=x; b=AAAA")
    own = ("DKIM-Signature", "v=1; d=evil.example; s=s1; b=BBBB")
    twice = ("DKIM-Signature", "v=1; s=s1; z=x;d=gmail.com; d=evil.example; b=CCCC")
    for headers in ([own, junk], [junk, own], [twice]):
        assert not mailgun_sender_authenticated(
            "jane@gmail.com", headers=headers, spf="Neutral", dkim="Pass", envelope_from="m@evil.example"
        ), headers
    assert mailgun_sender_authenticated(
        "jane@gmail.com", headers=[junk], spf="Neutral", dkim="Pass", envelope_from="m@evil.example"
    ), "one aligned signature and a pass is the real case"


def test_sendgrid_dkim_field_must_be_exactly_sendgrids_form() -> None:
    from web.inbound_auth import sendgrid_sender_authenticated

    for forged in ("{@evil:pass@gmail.com : pass}", "junk @gmail.com : pass", "{@gmail.com : pass"):
        assert not sendgrid_sender_authenticated("jane@gmail.com", spf="", dkim=forged, envelope_from="")
    assert sendgrid_sender_authenticated(
        "jane@gmail.com", spf="", dkim="{@evil.example : pass, @gmail.com : pass}", envelope_from=""
    )


def test_alignment_stops_at_registry_suffixes() -> None:
    from web.inbound_auth import sendgrid_sender_authenticated

    assert not sendgrid_sender_authenticated("jane@foo.co.uk", spf="pass", dkim="", envelope_from="x@co.uk")
    assert not sendgrid_sender_authenticated(
        "jane@foo.example", spf="pass", dkim="", envelope_from="x@example"
    )
    assert sendgrid_sender_authenticated(
        "jane@mail.foo.co.uk", spf="pass", dkim="", envelope_from="x@foo.co.uk"
    )


def test_several_from_headers_are_never_authenticated() -> None:
    from integrations.mail.inbound import reply_from_mime

    codec = ReplyAddressCodec(SIGNING, "hireflow.local")
    to = codec.address_for(WORKFLOW_ID)
    raw = f"From: jane@gmail.com\r\nFrom: m@evil.example\r\nTo: {to}\r\nSubject: s\r\n\r\nyes".encode()
    reply = reply_from_mime(
        codec, raw, source="sendgrid", received_at=datetime.now(UTC), sender_authenticated=True
    )
    assert not reply.sender_authenticated


@pytest.mark.timeout(60)
def test_hostile_headers_inside_a_mime_part_are_refused_quickly() -> None:
    from integrations.mail.inbound import OversizedHeadersError, reply_from_mime

    codec = ReplyAddressCodec(SIGNING, "hireflow.local")
    to = codec.address_for(WORKFLOW_ID)
    params = "; ".join(f'a{i}="=?utf-8?q?x?="' for i in range(16_000))  # 370 KB: 35 s before
    raw = (
        f"From: j@x.example\r\nTo: {to}\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: text/plain; {params}\r\n\r\nhello\r\n--b--\r\n"
    ).encode()
    start = time.thread_time()  # CPU seconds of this thread: immune to a busy machine
    with pytest.raises(OversizedHeadersError):
        reply_from_mime(codec, raw, source="sendgrid", received_at=datetime.now(UTC))
    assert time.thread_time() - start < 1.0


def test_www_after_an_underscore_is_no_autolink() -> None:
    from models.inert_text import escape_markdown

    assert "www\\." in escape_markdown("_www.evil.example") and "www.evil" not in escape_markdown(
        "_www.evil.example"
    )
