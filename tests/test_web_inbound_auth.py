"""Which inbound replies count as sender-authenticated: an authenticated post AND an SPF or DKIM pass
for the From domain, as SendGrid and Mailgun report them."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest
from fastapi import FastAPI

from integrations.mail.inbound import InboundReply
from integrations.mail.reply_address import ReplyAddressCodec
from web.inbound_auth import address_domain, mailgun_sender_authenticated, sendgrid_sender_authenticated
from web.inbound_mail import build_inbound_router

CODEC = ReplyAddressCodec("auth-test-secret", "hireflow.test")
REPLY_TO = CODEC.address_for("schedule-1-2")
MG_KEY, SG_TOKEN, NOW = "mg-key", "sg-token", 1_795_420_000.0


@pytest.mark.parametrize(
    ("sender", "spf", "dkim", "envelope_from", "expected"),
    [
        ("Jane <jane@example.com>", "", "{@example.com : pass}", "", True),
        ("jane@mail.example.com", "", "{@example.com : pass}", "", True),  # relaxed alignment
        ("jane@example.com", "", "{@evil.example : pass}", "", False),  # someone else's signature
        ("jane@example.com", "", "{@example.com : fail}", "", False),
        ("jane@example.com", "", "{@evil.example : pass, @example.com : pass}", "", True),
        ("jane@example.com", "pass", "", "bounce@example.com", True),
        ("jane@example.com", "pass", "", "bounce@evil.example", False),  # SPF for another domain
        ("jane@example.com", "softfail", "{@example.com : none}", "jane@example.com", False),
        ("not an address", "pass", "{@example.com : pass}", "x@example.com", False),
    ],
)
def test_sendgrid_verdicts(sender: str, spf: str, dkim: str, envelope_from: str, expected: bool) -> None:
    assert sendgrid_sender_authenticated(sender, spf=spf, dkim=dkim, envelope_from=envelope_from) is expected


@pytest.mark.parametrize(
    ("headers", "spf", "dkim", "envelope_from", "expected"),
    [
        ([("DKIM-Signature", "v=1; a=rsa-sha256; d=example.com; s=s1")], "", "Pass", "", True),
        ([("DKIM-Signature", "v=1; d=evil.example; s=s1")], "", "Pass", "", False),
        ([], "", "Pass", "", False),  # a pass with no signature of the From domain
        ([("DKIM-Signature", "v=1; d=example.com")], "", "Fail", "", False),
        ([], "Pass", "", "jane@example.com", True),
        ([], "Pass", "", "jane@evil.example", False),
        ([], "Neutral", "", "jane@example.com", False),
    ],
)
def test_mailgun_verdicts(
    headers: list[tuple[str, str]], spf: str, dkim: str, envelope_from: str, expected: bool
) -> None:
    verdict = mailgun_sender_authenticated(
        "Jane <jane@example.com>", headers=headers, spf=spf, dkim=dkim, envelope_from=envelope_from
    )
    assert verdict is expected


def test_hostile_verdict_fields_are_read_in_linear_time() -> None:
    assert not sendgrid_sender_authenticated("j@example.com", spf="", dkim="@" * 1_000_000, envelope_from="")
    assert address_domain("Jane <Jane@Example.COM.>") == "example.com"


class Recorder:
    def __init__(self) -> None:
        self.replies: list[InboundReply] = []

    async def __call__(self, reply: InboundReply) -> None:
        self.replies.append(reply)


async def _post(router_kwargs: dict[str, object], url: str, **request: object) -> list[InboundReply]:
    recorder = Recorder()
    app = FastAPI()
    app.include_router(
        build_inbound_router(
            CODEC,
            recorder,
            mailgun_signing_key=MG_KEY,
            clock=lambda: NOW,
            **router_kwargs,  # type: ignore[arg-type]
        )
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        r = await http.post(url, **request)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    return recorder.replies


def _sendgrid(**over: str) -> dict[str, tuple[None, str]]:
    fields = {
        "headers": f"From: Jane <jane@example.com>\nTo: {REPLY_TO}\nSubject: Re: x\n",
        "from": "Jane <jane@example.com>",
        "to": REPLY_TO,
        "text": "Thursday works.",
        "envelope": json.dumps({"to": [REPLY_TO], "from": "jane@example.com"}),
        "dkim": "{@example.com : pass}",
        "SPF": "pass",
    } | over
    return {k: (None, v) for k, v in fields.items()}


async def test_sendgrid_with_token_and_dkim_pass_is_authenticated() -> None:
    [reply] = await _post(
        {"sendgrid_token": SG_TOKEN}, f"/inbound/sendgrid?token={SG_TOKEN}", files=_sendgrid()
    )
    assert reply.sender_authenticated


async def test_sendgrid_raw_mode_reads_the_from_of_the_message() -> None:
    raw = f"From: Jane <jane@example.com>\r\nTo: {REPLY_TO}\r\nSubject: Re\r\n\r\nYes".encode()
    files = {"email": (None, raw.decode()), "dkim": (None, "{@example.com : pass}")}
    [reply] = await _post({"sendgrid_token": SG_TOKEN}, f"/inbound/sendgrid?token={SG_TOKEN}", files=files)
    assert reply.sender_authenticated


async def test_sendgrid_without_spf_or_dkim_pass_is_not_authenticated() -> None:
    files = _sendgrid(dkim="{@example.com : fail}", SPF="softfail")
    [reply] = await _post({"sendgrid_token": SG_TOKEN}, f"/inbound/sendgrid?token={SG_TOKEN}", files=files)
    assert not reply.sender_authenticated


async def test_sendgrid_without_a_token_in_development_is_never_authenticated() -> None:
    kwargs: dict[str, object] = {"sendgrid_token": None, "allow_unauthenticated_sendgrid": True}
    [reply] = await _post(kwargs, "/inbound/sendgrid", files=_sendgrid())
    assert not reply.sender_authenticated


async def test_mailgun_signed_post_with_aligned_spf_is_authenticated() -> None:
    ts, token = str(int(NOW)), "t" * 50
    fields = {
        "recipient": REPLY_TO,
        "sender": "jane@example.com",
        "from": "Jane <jane@example.com>",
        "body-plain": "Thursday works.",
        "message-headers": json.dumps([["X-Mailgun-Spf", "Pass"], ["X-Mailgun-Dkim-Check-Result", "Fail"]]),
        "timestamp": ts,
        "token": token,
        "signature": hmac.new(MG_KEY.encode(), (ts + token).encode(), hashlib.sha256).hexdigest(),
    }
    [reply] = await _post({"sendgrid_token": None}, "/inbound/mailgun", data=fields)
    assert reply.sender_authenticated
