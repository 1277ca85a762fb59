"""FastAPI router for inbound-mail webhooks: SendGrid Inbound Parse and Mailgun routes.

`POST /inbound/sendgrid` and `POST /inbound/mailgun` turn a provider post into an `InboundReply` and
hand it to an injected async handler (the web app signals the workflow). Status codes are chosen
for the providers' retry rules: 200 when done (including ignored auto-replies and duplicates), 4xx
for posts that are malformed, unsigned or forged (never retried usefully), 406 tells Mailgun to stop,
503 when the handler failed so the provider retries later. Nothing here returns a 500 for bad input.

SendGrid cannot sign its posts: protect the URL with `HIREFLOW_INBOUND_WEBHOOK_TOKEN` and configure
`.../inbound/sendgrid?token=<it>` in SendGrid; without it the endpoint refuses every post (503) except
in development. Mailgun posts are checked with HMAC-SHA256 over `timestamp + token` with the signing
key, a freshness window, and a replay store claimed BEFORE dispatch (released if dispatch fails).
Credentials are checked before the body is parsed; a message that cannot be parsed is answered with
the provider's "do not retry" (SendGrid 200 ignored, Mailgun 406), never a 5xx. Each reply says
whether its sender is authenticated: an authenticated post AND an SPF or DKIM pass for the From domain.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from functools import partial
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from starlette.datastructures import FormData, UploadFile

from integrations.logs import get_logger
from integrations.mail.inbound import (
    MAX_HEADER_BYTES,
    InboundReply,
    UnroutableReply,
    build_reply,
    html_to_text,
    parse_header_block,
    reply_from_mime,
)
from integrations.mail.reply_address import InvalidReplyToken, ReplyAddressCodec
from models.settings import Settings
from web import json_depth
from web.inbound_auth import mailgun_sender_authenticated, sendgrid_sender_authenticated
from web.inbound_replay import MemoryReplayStore, ReplayStore, SqlReplayStore
from web.middleware_limits import BodyTooLargeError

log = get_logger(__name__)

ReplyHandler = Callable[[InboundReply], Awaitable[None]]
WallClock = Callable[[], float]
MAX_TOKEN_CHARS = 200  # Mailgun's tokens are 50 characters


class MalformedMessageError(ValueError):
    """The provider's post is authentic but its message cannot be parsed (retrying will not help)."""


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "replace")


def verify_mailgun_signature(signing_key: str, timestamp: str, token: str, signature: str) -> bool:
    """Mailgun's check: hex HMAC-SHA256(key, timestamp + token) equals `signature` (as bytes, so
    non-ASCII input is a mismatch, never a TypeError)."""
    expected = hmac.new(signing_key.encode(), _utf8(timestamp + token), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), _utf8(signature.strip().lower()))


def sendgrid_token_valid(given: str, expected: str) -> bool:
    """The `?token=` of a SendGrid post, compared as bytes in constant time."""
    return bool(given) and hmac.compare_digest(_utf8(given), _utf8(expected))


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


async def _form(request: Request, max_part_size: int) -> FormData:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise HTTPException(415, "expected multipart/form-data or application/x-www-form-urlencoded")
    try:
        return await request.form(max_part_size=max_part_size)  # SendGrid's raw `email` is one part
    except (HTTPException, BodyTooLargeError):
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
    replay: ReplayStore | None = None,
    allow_unauthenticated_sendgrid: bool = False,
    max_message_bytes: int = 25 * 1024 * 1024,
) -> APIRouter:
    """The router, with its collaborators injected (tests pass a recording handler and a fixed clock).

    `replay` defaults to a per-process memory (tests, tools); the web app passes the shared SQL store.
    `allow_unauthenticated_sendgrid` is for development only: SendGrid posts without a configured token.
    `max_message_bytes` bounds one form part (a raw message); the body itself is bounded by middleware.
    """
    router = APIRouter(prefix="/inbound", tags=["inbound-mail"])
    claims = replay if replay is not None else MemoryReplayStore()
    if not sendgrid_token:
        event = "unprotected" if allow_unauthenticated_sendgrid else "disabled"
        log.warning(f"mail.sendgrid_webhook_{event}", hint="set HIREFLOW_INBOUND_WEBHOOK_TOKEN")

    async def _dispatch(reply: InboundReply) -> JSONResponse:
        if reply.auto_reply_reason:
            log.info("mail.inbound_ignored", workflow_id=reply.workflow_id, reason=reply.auto_reply_reason)
            return JSONResponse({"status": "ignored", "reason": reply.auto_reply_reason})
        try:
            await handler(reply)
        except Exception as exc:
            log.error("mail.inbound_handler_failed", workflow_id=reply.workflow_id, error=str(exc))
            raise HTTPException(503, "reply accepted but could not be delivered; retry later") from exc
        log.info(
            "mail.inbound_accepted",
            workflow_id=reply.workflow_id,
            source=reply.source,
            sender_authenticated=reply.sender_authenticated,
        )
        return JSONResponse({"status": "accepted", "workflow_id": reply.workflow_id})

    def _now() -> datetime:
        return datetime.fromtimestamp(clock(), UTC)

    @router.post("/sendgrid", summary="SendGrid Inbound Parse webhook")
    async def sendgrid(request: Request) -> JSONResponse:
        _check_sendgrid_credential(request, sendgrid_token, allow_unauthenticated_sendgrid)
        form = await _form(
            request, max_message_bytes
        )  # only now: the credential is checked before the body is parsed
        try:
            reply = await _sendgrid_reply(codec, form, _now, authenticated_post=bool(sendgrid_token))
        except (InvalidReplyToken, UnroutableReply, MalformedMessageError) as exc:
            return _refusal(exc, "sendgrid")
        return await _dispatch(reply)

    @router.post("/mailgun", summary="Mailgun route (forward) webhook")
    async def mailgun(request: Request) -> JSONResponse:
        if not mailgun_signing_key:
            raise HTTPException(503, "Mailgun signing key is not configured (HIREFLOW_MAILGUN_SIGNING_KEY)")
        form = await _form(request, max_message_bytes)
        token = _verified_mailgun_token(form, mailgun_signing_key, clock, max_age_seconds)
        try:
            reply = await asyncio.to_thread(_mailgun_reply, codec, form, _now())  # hostile MIME: off the loop
        except (InvalidReplyToken, UnroutableReply, MalformedMessageError) as exc:
            return _refusal(exc, "mailgun")
        if not await claims.claim(token):
            return JSONResponse({"status": "duplicate"})
        try:
            return await _dispatch(reply)
        except HTTPException:
            await claims.release(token)  # the provider's retry of this post must be accepted
            raise

    return router


def _refusal(exc: ValueError, source: str) -> JSONResponse:
    """The answer to a post that will never route: the provider's own "do not retry" (SendGrid retries
    anything but 2xx for 3 days; Mailgun stops at 406). A forged reply address is one of those: anyone
    can mail `reply+anything@`, and a 4xx would only make the provider post it again for days."""
    if isinstance(exc, InvalidReplyToken):
        log.warning("mail.inbound_forged_address", source=source)
        reason = f"forged or corrupted reply address: {exc}"
    elif isinstance(exc, MalformedMessageError):
        log.warning("mail.inbound_malformed", source=source, error=str(exc))
        reason = str(exc)
    else:
        log.info("mail.inbound_unroutable", source=source)
        reason = str(exc)
    if source == "mailgun":
        return JSONResponse({"status": "rejected", "reason": reason}, status_code=406)
    return JSONResponse({"status": "ignored", "reason": reason})


def _check_sendgrid_credential(request: Request, expected: str | None, allow_missing: bool) -> None:
    """401 for a missing or wrong `?token=`; 503 when no token is configured outside development."""
    if expected:
        if not sendgrid_token_valid(request.query_params.get("token", ""), expected):
            raise HTTPException(401, "missing or wrong ?token= for the SendGrid inbound webhook")
    elif not allow_missing:
        raise HTTPException(
            503, "the SendGrid inbound webhook is not configured (set HIREFLOW_INBOUND_WEBHOOK_TOKEN)"
        )


def _mailgun_reply(codec: ReplyAddressCodec, form: FormData, now: datetime) -> InboundReply:
    """A verified Mailgun post as a reply. Raises InvalidReplyToken, UnroutableReply,
    MalformedMessageError or a 400."""
    headers = _mailgun_headers(form)
    sender = _field(form, "from", "From") or _field(form, "sender", required=True)
    recipients = [
        _field(form, "recipient", required=True)[:MAX_HEADER_BYTES],
        _field(form, "To", "to")[:MAX_HEADER_BYTES],
    ]
    authenticated = mailgun_sender_authenticated(
        sender,
        headers=headers,
        spf=_field(form, "X-Mailgun-Spf") or _only_header(headers, "X-Mailgun-Spf"),
        dkim=_field(form, "X-Mailgun-Dkim-Check-Result")
        or _only_header(headers, "X-Mailgun-Dkim-Check-Result"),
        envelope_from=_field(form, "sender"),
    )
    with _parsing("Mailgun post"):
        return build_reply(
            codec,
            source="mailgun",
            headers=headers,
            recipients=recipients,
            sender=sender,
            subject=_field(form, "subject", "Subject"),
            text=_field(form, "body-plain") or html_to_text(_field(form, "body-html")),
            new_text=_field(form, "stripped-text") or None,
            received_at=now,
            sender_authenticated=authenticated,
        )


def _only_header(headers: list[tuple[str, str]], name: str) -> str:
    """The header's value when the message has exactly one (a sender could add a second, forged one)."""
    values = [v for k, v in headers if k.lower() == name.lower()]
    return values[0] if len(values) == 1 else ""


@contextmanager
def _parsing(what: str) -> Iterator[None]:
    """Anything a parser of hostile input raises (bad MIME, encodings, nesting) is a malformed message;
    routing verdicts and 4xx answers pass through unchanged."""
    try:
        yield
    except (InvalidReplyToken, UnroutableReply, HTTPException, BodyTooLargeError):
        raise
    except Exception as exc:
        raise MalformedMessageError(f"malformed {what}: {type(exc).__name__}") from exc


async def _sendgrid_reply(
    codec: ReplyAddressCodec, form: FormData, now: Callable[[], datetime], *, authenticated_post: bool
) -> InboundReply:
    """A SendGrid post as a reply: the raw MIME message ("POST the raw, full MIME message") or the parsed
    fields. Raises InvalidReplyToken, UnroutableReply, MalformedMessageError or a 400."""
    envelope = _envelope(_field(form, "envelope"))
    spf, dkim = _field(form, "SPF", "spf"), _field(form, "dkim", "DKIM")

    def authenticated(sender: str) -> bool:
        return authenticated_post and sendgrid_sender_authenticated(
            sender, spf=spf, dkim=dkim, envelope_from=str(envelope.get("from", ""))
        )

    raw = form.get("email")
    if raw is not None:
        data = await raw.read() if isinstance(raw, UploadFile) else raw.encode()
        with _parsing("MIME message"):
            sender = _field(form, "from") or str(
                BytesHeaderParser(policy=compat32).parsebytes(data[:MAX_HEADER_BYTES])["From"] or ""
            )
            return await asyncio.to_thread(  # hostile MIME is parsed off the event loop
                partial(
                    reply_from_mime,
                    codec,
                    data,
                    source="sendgrid",
                    received_at=now(),
                    envelope_recipients=_envelope_to(envelope),
                    sender_authenticated=authenticated(sender),
                )
            )
    header_block = _field(form, "headers", required=True)
    sender = _field(form, "from", required=True)
    recipients = [*_envelope_to(envelope), _field(form, "to"), _field(form, "cc")]
    with _parsing("SendGrid post"):
        return await asyncio.to_thread(  # hostile text is parsed off the event loop
            partial(
                build_reply,
                codec,
                source="sendgrid",
                headers=parse_header_block(header_block),
                recipients=[r[:MAX_HEADER_BYTES] for r in recipients if r],
                sender=sender[:MAX_HEADER_BYTES],
                subject=_field(form, "subject"),
                text=_field(form, "text") or html_to_text(_field(form, "html")),
                received_at=now(),
                sender_authenticated=authenticated(sender),
            )
        )


def _verified_mailgun_token(form: FormData, signing_key: str, clock: WallClock, max_age_seconds: int) -> str:
    """The post's token once its signature and timestamp check out (401 or 400 otherwise)."""
    timestamp = _field(form, "timestamp", required=True)
    token = _field(form, "token", required=True)
    signature = _field(form, "signature", required=True)
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise HTTPException(400, "timestamp must be Unix seconds")
    if len(token) > MAX_TOKEN_CHARS:
        raise HTTPException(400, f"token is longer than {MAX_TOKEN_CHARS} characters")
    if not verify_mailgun_signature(signing_key, timestamp, token, signature):
        raise HTTPException(401, "Mailgun signature does not match")
    age = clock() - int(timestamp)
    if abs(age) > max_age_seconds:
        raise HTTPException(401, f"Mailgun timestamp is {int(age)} s off; limit is {max_age_seconds} s")
    return token


def _mailgun_headers(form: FormData) -> list[tuple[str, str]]:
    """The message's headers: Mailgun's JSON list, plus threading headers it posts as separate fields."""
    headers_json = _field(form, "message-headers", "Message-Headers")
    if len(headers_json) > 2 * MAX_HEADER_BYTES:  # JSON quoting: room for escapes
        raise MalformedMessageError(f"message-headers over {2 * MAX_HEADER_BYTES} characters")
    try:
        pairs: Any = json_depth.loads(headers_json) if headers_json else []
        headers = [(str(k), str(v)) for k, v in pairs]
    except (ValueError, TypeError) as exc:
        raise HTTPException(400, "message-headers must be a JSON list of [name, value] pairs") from exc
    for name in ("In-Reply-To", "References", "Message-Id"):
        if not any(k.lower() == name.lower() for k, _ in headers) and _field(form, name):
            headers.append((name, _field(form, name)))
    return headers


def _envelope(envelope: str) -> dict[str, Any]:
    """SendGrid's `envelope` field, `{"to": [...], "from": "..."}` ({} when absent)."""
    if not envelope:
        return {}
    try:
        data = json_depth.loads(envelope)
    except ValueError as exc:
        raise HTTPException(400, 'envelope must be JSON like {"to": [...], "from": "..."}') from exc
    return data if isinstance(data, dict) else {}


def _envelope_to(envelope: dict[str, Any]) -> list[str]:
    to = envelope.get("to", [])
    return [str(a) for a in (to if isinstance(to, list) else [to])]


def router_from_settings(settings: Settings, handler: ReplyHandler, engine: Engine) -> APIRouter:
    """The router configured from `HIREFLOW_*` settings (what the web app mounts), with the shared
    SQL replay store; SendGrid without a token is accepted only in development."""
    keep = timedelta(seconds=2 * settings.inbound_max_age_seconds + 60)
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
        replay=SqlReplayStore(engine, "mailgun", keep=keep),
        allow_unauthenticated_sendgrid=settings.is_development,
        max_message_bytes=settings.inbound_mail_max_bytes,
    )
