"""FastAPI router for inbound-mail webhooks: SendGrid Inbound Parse and Mailgun routes.

`POST /inbound/sendgrid` and `POST /inbound/mailgun` turn a provider post into an `InboundReply` and
hand it to an injected async handler (the web app signals the workflow). Status codes are chosen
for the providers' retry rules: 200 when done (including ignored auto-replies and duplicates), 4xx
for posts that are malformed, unsigned or forged (never retried usefully), 406 tells Mailgun to stop,
503 when the handler failed so the provider retries later. Nothing here returns a 500 for bad input.

SendGrid cannot sign its posts: protect the URL with `HIREFLOW_INBOUND_WEBHOOK_TOKEN` and configure
`.../inbound/sendgrid?token=<it>` in SendGrid. Mailgun posts are checked with HMAC-SHA256 over
`timestamp + token` with the signing key, a freshness window, and a token-replay memory.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData, UploadFile

from integrations.logs import get_logger
from integrations.mail.inbound import (
    InboundReply,
    UnroutableReply,
    build_reply,
    html_to_text,
    parse_header_block,
    reply_from_mime,
)
from integrations.mail.reply_address import InvalidReplyToken, ReplyAddressCodec
from models.settings import Settings

log = get_logger(__name__)

ReplyHandler = Callable[[InboundReply], Awaitable[None]]
WallClock = Callable[[], float]


class _SeenTokens:
    """Bounded memory of Mailgun webhook tokens already processed (replay protection per process)."""

    def __init__(self, size: int = 10_000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def __contains__(self, token: str) -> bool:
        return token in self._seen

    def add(self, token: str) -> None:
        self._seen[token] = None
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)


def verify_mailgun_signature(signing_key: str, timestamp: str, token: str, signature: str) -> bool:
    """Mailgun's check: hex HMAC-SHA256(key, timestamp + token) equals `signature`."""
    expected = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def _field(form: FormData, *names: str, required: bool = False) -> str:
    for name in names:
        value = form.get(name)
        if isinstance(value, UploadFile):
            raise HTTPException(400, f"field {name!r} must be text, not a file")
        if value is not None:
            return value
    if required:
        raise HTTPException(400, f"missing form field {names[0]!r}")
    return ""


async def _form(request: Request) -> FormData:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise HTTPException(415, "expected multipart/form-data or application/x-www-form-urlencoded")
    try:
        return await request.form()
    except HTTPException:
        raise
    except Exception as exc:  # malformed multipart bodies raise several parser errors
        raise HTTPException(400, f"malformed form body: {exc}") from exc


def build_inbound_router(
    codec: ReplyAddressCodec,
    handler: ReplyHandler,
    *,
    mailgun_signing_key: str | None,
    sendgrid_token: str | None,
    max_age_seconds: int = 300,
    clock: WallClock = time.time,
) -> APIRouter:
    """The router, with its collaborators injected (tests pass a recording handler and a fixed clock)."""
    router = APIRouter(prefix="/inbound", tags=["inbound-mail"])
    seen = _SeenTokens()
    if not sendgrid_token:
        log.warning("mail.sendgrid_webhook_unprotected", hint="set HIREFLOW_INBOUND_WEBHOOK_TOKEN")

    async def _dispatch(reply: InboundReply) -> JSONResponse:
        if reply.auto_reply_reason:
            log.info("mail.inbound_ignored", workflow_id=reply.workflow_id, reason=reply.auto_reply_reason)
            return JSONResponse({"status": "ignored", "reason": reply.auto_reply_reason})
        try:
            await handler(reply)
        except Exception as exc:
            log.error("mail.inbound_handler_failed", workflow_id=reply.workflow_id, error=str(exc))
            raise HTTPException(503, "reply accepted but could not be delivered; retry later") from exc
        log.info("mail.inbound_accepted", workflow_id=reply.workflow_id, source=reply.source)
        return JSONResponse({"status": "accepted", "workflow_id": reply.workflow_id})

    def _now() -> datetime:
        return datetime.fromtimestamp(clock(), UTC)

    @router.post("/sendgrid", summary="SendGrid Inbound Parse webhook")
    async def sendgrid(request: Request) -> JSONResponse:
        if sendgrid_token and not hmac.compare_digest(request.query_params.get("token", ""), sendgrid_token):
            raise HTTPException(401, "missing or wrong ?token= for the SendGrid inbound webhook")
        form = await _form(request)
        try:
            reply = await _sendgrid_reply(codec, form, _now)
        except InvalidReplyToken as exc:
            raise HTTPException(403, f"forged or corrupted reply address: {exc}") from exc
        except UnroutableReply as exc:
            log.info("mail.inbound_unroutable", source="sendgrid")
            return JSONResponse({"status": "ignored", "reason": str(exc)})
        return await _dispatch(reply)

    @router.post("/mailgun", summary="Mailgun route (forward) webhook")
    async def mailgun(request: Request) -> JSONResponse:
        if not mailgun_signing_key:
            raise HTTPException(503, "Mailgun signing key is not configured (HIREFLOW_MAILGUN_SIGNING_KEY)")
        form = await _form(request)
        token = _verified_mailgun_token(form, mailgun_signing_key, clock, max_age_seconds)
        if token in seen:
            return JSONResponse({"status": "duplicate"})
        headers = _mailgun_headers(form)
        try:
            reply = build_reply(
                codec,
                source="mailgun",
                headers=headers,
                recipients=[_field(form, "recipient", required=True), _field(form, "To", "to")],
                sender=_field(form, "from", "From") or _field(form, "sender", required=True),
                subject=_field(form, "subject", "Subject"),
                text=_field(form, "body-plain") or html_to_text(_field(form, "body-html")),
                new_text=_field(form, "stripped-text") or None,
                received_at=_now(),
            )
        except InvalidReplyToken as exc:
            raise HTTPException(403, f"forged or corrupted reply address: {exc}") from exc
        except UnroutableReply as exc:
            return JSONResponse({"status": "rejected", "reason": str(exc)}, status_code=406)
        response = await _dispatch(reply)
        seen.add(token)
        return response

    return router


async def _sendgrid_reply(
    codec: ReplyAddressCodec, form: FormData, now: Callable[[], datetime]
) -> InboundReply:
    """A SendGrid post as a reply: the raw MIME message ("POST the raw, full MIME message") or the parsed
    fields. Raises InvalidReplyToken, UnroutableReply or a 400."""
    raw = form.get("email")
    if raw is not None:
        data = await raw.read() if isinstance(raw, UploadFile) else raw.encode()
        envelope_to = _envelope_to(_field(form, "envelope"))
        return reply_from_mime(
            codec, data, source="sendgrid", received_at=now(), envelope_recipients=envelope_to
        )
    headers = parse_header_block(_field(form, "headers", required=True))
    text = _field(form, "text") or html_to_text(_field(form, "html"))
    recipients = [*_envelope_to(_field(form, "envelope")), _field(form, "to"), _field(form, "cc")]
    return build_reply(
        codec,
        source="sendgrid",
        headers=headers,
        recipients=[r for r in recipients if r],
        sender=_field(form, "from", required=True),
        subject=_field(form, "subject"),
        text=text,
        received_at=now(),
    )


def _verified_mailgun_token(form: FormData, signing_key: str, clock: WallClock, max_age_seconds: int) -> str:
    """The post's token once its signature and timestamp check out (401 or 400 otherwise)."""
    timestamp = _field(form, "timestamp", required=True)
    token = _field(form, "token", required=True)
    signature = _field(form, "signature", required=True)
    if not timestamp.isdigit():
        raise HTTPException(400, "timestamp must be Unix seconds")
    if not verify_mailgun_signature(signing_key, timestamp, token, signature):
        raise HTTPException(401, "Mailgun signature does not match")
    age = clock() - int(timestamp)
    if abs(age) > max_age_seconds:
        raise HTTPException(401, f"Mailgun timestamp is {int(age)} s off; limit is {max_age_seconds} s")
    return token


def _mailgun_headers(form: FormData) -> list[tuple[str, str]]:
    """The message's headers: Mailgun's JSON list, plus threading headers it posts as separate fields."""
    headers_json = _field(form, "message-headers", "Message-Headers")
    try:
        pairs: Any = json.loads(headers_json) if headers_json else []
        headers = [(str(k), str(v)) for k, v in pairs]
    except (ValueError, TypeError) as exc:
        raise HTTPException(400, "message-headers must be a JSON list of [name, value] pairs") from exc
    for name in ("In-Reply-To", "References", "Message-Id"):
        if not any(k.lower() == name.lower() for k, _ in headers) and _field(form, name):
            headers.append((name, _field(form, name)))
    return headers


def _envelope_to(envelope: str) -> list[str]:
    if not envelope:
        return []
    try:
        data = json.loads(envelope)
    except ValueError as exc:
        raise HTTPException(400, 'envelope must be JSON like {"to": [...], "from": "..."}') from exc
    to = data.get("to", []) if isinstance(data, dict) else []
    return [str(a) for a in (to if isinstance(to, list) else [to])]


def router_from_settings(settings: Settings, handler: ReplyHandler) -> APIRouter:
    """The router configured from `HIREFLOW_*` settings (what the web app mounts)."""
    return build_inbound_router(
        ReplyAddressCodec(settings.signing_secret.get_secret_value(), settings.reply_domain),
        handler,
        mailgun_signing_key=(
            settings.mailgun_signing_key.get_secret_value() if settings.mailgun_signing_key else None
        ),
        sendgrid_token=(
            settings.inbound_webhook_token.get_secret_value() if settings.inbound_webhook_token else None
        ),
        max_age_seconds=settings.inbound_max_age_seconds,
    )
