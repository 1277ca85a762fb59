"""Inbound webhooks: SendGrid Inbound Parse and Mailgun routes, good and bad posts."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from email.message import EmailMessage

import httpx
import pytest
from fastapi import FastAPI

from integrations.mail.inbound import InboundReply
from integrations.mail.reply_address import ReplyAddressCodec
from tests.fixtures.mail import MAIL_SECRET, REPLY_DOMAIN, WORKFLOW_ID
from web.inbound_mail import build_inbound_router, verify_mailgun_signature

MG_KEY = "key-mailgun-test"
SG_TOKEN = "sendgrid-shared-token"
NOW = 1_795_420_000.0
CODEC = ReplyAddressCodec(MAIL_SECRET, REPLY_DOMAIN)
REPLY_TO = CODEC.address_for(WORKFLOW_ID)


class Recorder:
    def __init__(self) -> None:
        self.replies: list[InboundReply] = []
        self.fail = False

    async def __call__(self, reply: InboundReply) -> None:
        if self.fail:
            raise RuntimeError("temporal unavailable")
        self.replies.append(reply)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(recorder: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(
        build_inbound_router(
            CODEC, recorder, mailgun_signing_key=MG_KEY, sendgrid_token=SG_TOKEN, clock=lambda: NOW
        )
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hireflow.test"
    ) as c:
        yield c


def sendgrid_fields(**over: str) -> dict[str, str]:
    fields = {
        "headers": (
            "Received: by mx.sendgrid.net\nFrom: Jane Doe <jane.doe@example.com>\n"
            f"To: {REPLY_TO}\nSubject: Re: Pick a time\nMessage-ID: <r1@mail.example.com>\n"
            "In-Reply-To: <hfabc@x>\n"
        ),
        "from": "Jane Doe <jane.doe@example.com>",
        "to": REPLY_TO,
        "subject": "Re: Pick a time",
        "text": "Thursday morning works.\n\nOn Mon, Acme <s@x.com> wrote:\n> Pick a time",
        "html": "<p>Thursday morning works.</p>",
        "envelope": json.dumps({"to": [REPLY_TO], "from": "jane.doe@example.com"}),
        "charsets": json.dumps({"text": "UTF-8"}),
        "SPF": "pass",
    }
    fields.update(over)
    return fields


async def test_sendgrid_parse_hands_a_typed_reply(client: httpx.AsyncClient, recorder: Recorder) -> None:
    r = await client.post(
        f"/inbound/sendgrid?token={SG_TOKEN}", files={k: (None, v) for k, v in sendgrid_fields().items()}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "accepted", "workflow_id": WORKFLOW_ID}
    [reply] = recorder.replies
    assert reply.source == "sendgrid" and reply.sender == "jane.doe@example.com"
    assert reply.new_text == "Thursday morning works." and reply.message_id == "<r1@mail.example.com>"


async def test_sendgrid_raw_mime_mode(client: httpx.AsyncClient, recorder: Recorder) -> None:
    msg = EmailMessage()
    msg["From"] = "jane.doe@example.com"
    msg["To"] = REPLY_TO
    msg["Subject"] = "Re: x"
    msg.set_content("Yes, that works for me.")
    files = {"email": (None, msg.as_string()), "envelope": (None, json.dumps({"to": [REPLY_TO]}))}
    r = await client.post(f"/inbound/sendgrid?token={SG_TOKEN}", files=files)
    assert r.status_code == 200 and recorder.replies[0].new_text == "Yes, that works for me."


async def test_sendgrid_auto_reply_is_ignored(client: httpx.AsyncClient, recorder: Recorder) -> None:
    fields = sendgrid_fields(subject="Out of Office: Re: Pick a time")
    r = await client.post(
        f"/inbound/sendgrid?token={SG_TOKEN}", files={k: (None, v) for k, v in fields.items()}
    )
    assert r.status_code == 200 and r.json()["status"] == "ignored" and recorder.replies == []


@pytest.mark.parametrize(
    ("query", "fields", "status", "detail"),
    [
        ("", sendgrid_fields(), 401, "token"),
        ("?token=wrong", sendgrid_fields(), 401, "token"),
        (
            f"?token={SG_TOKEN}",
            {k: v for k, v in sendgrid_fields().items() if k != "headers"},
            400,
            "headers",
        ),
        (f"?token={SG_TOKEN}", {k: v for k, v in sendgrid_fields().items() if k != "from"}, 400, "from"),
        (f"?token={SG_TOKEN}", sendgrid_fields(envelope="{not json"), 400, "envelope"),
        (
            f"?token={SG_TOKEN}",
            sendgrid_fields(to="reply+aaaa.bbbb@" + REPLY_DOMAIN, envelope="{}", headers="From: j@x.com\n"),
            200,  # ignored: a 4xx would make SendGrid post it again for three days
            "forged",
        ),
    ],
)
async def test_sendgrid_bad_posts_get_clear_answers(
    client: httpx.AsyncClient,
    recorder: Recorder,
    query: str,
    fields: dict[str, str],
    status: int,
    detail: str,
) -> None:
    r = await client.post(f"/inbound/sendgrid{query}", files={k: (None, v) for k, v in fields.items()})
    assert r.status_code == status, r.text
    body = r.json()
    assert detail in (body.get("detail") or body.get("reason") or "")
    assert recorder.replies == []


async def test_sendgrid_wrong_content_type_and_unroutable(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"/inbound/sendgrid?token={SG_TOKEN}", content=b"{}", headers={"content-type": "application/json"}
    )
    assert r.status_code == 415
    fields = sendgrid_fields(to="hello@elsewhere.example", envelope="{}", headers="From: j@x.com\n")
    r = await client.post(
        f"/inbound/sendgrid?token={SG_TOKEN}", files={k: (None, v) for k, v in fields.items()}
    )
    assert r.status_code == 200 and r.json()["status"] == "ignored"


def mailgun_fields(
    timestamp: float = NOW, token: str = "a" * 50, key: str = MG_KEY, **over: str
) -> dict[str, str]:
    ts = str(int(timestamp))
    fields = {
        "recipient": REPLY_TO,
        "sender": "jane.doe@example.com",
        "from": "Jane Doe <jane.doe@example.com>",
        "subject": "Re: Pick a time",
        "body-plain": "Could we do Dec 3 10-12 instead?\n\n> quoted",
        "stripped-text": "Could we do Dec 3 10-12 instead?",
        "Message-Headers": json.dumps(
            [["Message-Id", "<m1@mail.example.com>"], ["From", "jane.doe@example.com"]]
        ),
        "timestamp": ts,
        "token": token,
        "signature": hmac.new(key.encode(), (ts + token).encode(), hashlib.sha256).hexdigest(),
    }
    fields.update(over)
    return fields


async def test_mailgun_good_signature_is_accepted_once(client: httpx.AsyncClient, recorder: Recorder) -> None:
    fields = mailgun_fields()
    r = await client.post("/inbound/mailgun", data=fields)
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    [reply] = recorder.replies
    assert reply.source == "mailgun" and reply.new_text == "Could we do Dec 3 10-12 instead?"
    assert reply.message_id == "<m1@mail.example.com>"
    again = await client.post("/inbound/mailgun", data=fields)  # replayed post
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(recorder.replies) == 1


@pytest.mark.parametrize(
    ("fields", "status", "detail"),
    [
        (mailgun_fields(key="wrong-key"), 401, "signature"),
        (mailgun_fields(signature="00" * 32), 401, "signature"),
        (mailgun_fields(timestamp=NOW - 3600), 401, "timestamp"),
        (mailgun_fields(timestamp=NOW + 3600), 401, "timestamp"),
        ({k: v for k, v in mailgun_fields().items() if k != "signature"}, 400, "signature"),
        (mailgun_fields(timestamp=NOW) | {"timestamp": "yesterday"}, 400, "Unix"),
        (mailgun_fields() | {"Message-Headers": "not json"}, 400, "message-headers"),
        (
            mailgun_fields(recipient=ReplyAddressCodec("other", REPLY_DOMAIN).address_for(WORKFLOW_ID)),
            406,  # Mailgun's "stop retrying"
            "forged",
        ),
        (mailgun_fields(recipient="someone@else.example"), 406, ""),
    ],
)
async def test_mailgun_bad_posts(
    client: httpx.AsyncClient, recorder: Recorder, fields: dict[str, str], status: int, detail: str
) -> None:
    r = await client.post("/inbound/mailgun", data=fields)
    assert r.status_code == status, r.text
    body = r.json()
    assert detail in (body.get("detail") or body.get("reason") or "")
    assert recorder.replies == []


async def test_handler_failure_is_503_so_the_provider_retries(
    client: httpx.AsyncClient, recorder: Recorder
) -> None:
    recorder.fail = True
    fields = mailgun_fields(token="b" * 50)
    assert (await client.post("/inbound/mailgun", data=fields)).status_code == 503
    recorder.fail = False
    assert (await client.post("/inbound/mailgun", data=fields)).status_code == 200, "a retry is not a replay"
    assert len(recorder.replies) == 1


async def test_mailgun_without_configured_key_is_refused(recorder: Recorder) -> None:
    app = FastAPI()
    app.include_router(build_inbound_router(CODEC, recorder, mailgun_signing_key=None, sendgrid_token=None))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post("/inbound/mailgun", data=mailgun_fields())
    assert r.status_code == 503 and "HIREFLOW_MAILGUN_SIGNING_KEY" in r.json()["detail"]


def test_signature_helper() -> None:
    sig = hmac.new(b"k", b"123tok", hashlib.sha256).hexdigest()
    assert verify_mailgun_signature("k", "123", "tok", sig)
    assert verify_mailgun_signature("k", "123", "tok", sig.upper())
    assert not verify_mailgun_signature("k", "124", "tok", sig)


async def test_malformed_multipart_is_400(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"/inbound/sendgrid?token={SG_TOKEN}",
        content=b"--xyz\r\nContent-Disposition: form-data\r\n\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert r.status_code == 400, r.text
    r = await client.post(
        "/inbound/mailgun", content=b"garbage", headers={"content-type": "multipart/form-data"}
    )
    assert r.status_code == 400, r.text
