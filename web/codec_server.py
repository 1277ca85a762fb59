"""Temporal's codec-server protocol on the web app, so the Temporal UI and CLI can read encrypted payloads.

`POST /codec/encode` and `POST /codec/decode` take and return `{"payloads": [...]}` (Payloads in
proto-JSON). The browser calls them from the UI's origin, so CORS answers only the configured origins.
Callers must present a configured bearer token, come through a trusted SSO proxy
(`codec_trust_proxy_auth`), or, in development only, come from loopback.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from integrations.logs import get_logger
from integrations.payload_codec import EncryptionCodec, PayloadDecryptionError
from integrations.payload_keys import KEYS_SETTING, PayloadKeyError, keyring_from_settings
from models.settings import Settings
from web import json_depth

log = get_logger(__name__)

MAX_BODY_BYTES = 8 * 1024 * 1024  # a batch of Temporal payloads (each at most 2 MB by default)
ALLOWED_HEADERS = "Content-Type, X-Namespace, Authorization"

Transform = Callable[[list[Payload]], Awaitable[list[Payload]]]


def allowed_origins(settings: Settings) -> frozenset[str]:
    """The configured origins, or the Temporal UI's own origin (and its localhost alias on loopback)."""
    configured = [o.strip().rstrip("/") for o in settings.codec_cors_origins.split(",") if o.strip()]
    if configured:
        return frozenset(configured)
    url = urlsplit(settings.temporal_ui_url)
    origin = f"{url.scheme}://{url.netloc}"
    aliases = {origin}
    if url.hostname == "127.0.0.1":
        aliases.add(origin.replace("127.0.0.1", "localhost", 1))
    return frozenset(aliases)


def _tokens(settings: Settings) -> list[bytes]:
    if settings.codec_auth_tokens is None:
        return []
    raw = settings.codec_auth_tokens.get_secret_value()
    return [t.strip().encode("utf-8") for t in raw.split(",") if t.strip()]


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class CodecGuard:
    """Who may call the codec server, and the CORS headers its answers carry."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._origins = allowed_origins(settings)
        self._tokens = _tokens(settings)

    def cors_headers(self, request: Request) -> dict[str, str]:
        origin = request.headers.get("origin")
        if origin is None or origin.rstrip("/") not in self._origins:
            return {"Vary": "Origin"}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }

    def origin_allowed(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        return origin is not None and origin.rstrip("/") in self._origins

    def refusal(self, request: Request) -> tuple[int, str] | None:
        """None when the caller may use the codec; otherwise (status, reason)."""
        if self._token_matches(request.headers.get("authorization", "")):
            return None
        if self._settings.codec_trust_proxy_auth:
            return None
        if self._settings.is_development and _is_loopback(request.client.host if request.client else None):
            return None
        if not self._tokens:
            return 403, (
                "the codec server accepts no caller: set HIREFLOW_CODEC_AUTH_TOKENS, or put it behind the "
                "UI's SSO proxy and set HIREFLOW_CODEC_TRUST_PROXY_AUTH=true (docs/encryption.md)"
            )
        return 401, "a valid bearer token is required"

    def _token_matches(self, header: str) -> bool:
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            return False
        candidate = presented.strip().encode("utf-8")  # bytes: non-ASCII never makes compare_digest raise
        matched = False
        for token in self._tokens:
            matched |= hmac.compare_digest(candidate, token)
        return matched


async def _read_bounded(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_BODY_BYTES (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def codec_router(settings: Settings) -> APIRouter:
    """`/codec/encode`, `/codec/decode` and their CORS preflights, bound to the configured keyring."""
    router = APIRouter(prefix="/codec")
    guard = CodecGuard(settings)
    try:
        keyring = keyring_from_settings(settings)
        codec_error = (
            None if keyring is not None else f"payload encryption is not configured ({KEYS_SETTING})"
        )
    except PayloadKeyError as error:
        keyring, codec_error = None, str(error)
    codec = EncryptionCodec(keyring) if keyring is not None else None

    async def preflight(request: Request) -> Response:
        if not guard.origin_allowed(request):
            return Response(status_code=403, headers={"Vary": "Origin"})
        headers = {
            **guard.cors_headers(request),
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": "600",
        }
        return Response(status_code=204, headers=headers)

    async def serve(request: Request, operation: str) -> Response:
        cors = guard.cors_headers(request)

        def error(status: int, message: str) -> JSONResponse:
            return JSONResponse({"error": message}, status_code=status, headers=cors)

        refused = guard.refusal(request)
        if refused is not None:
            log.warning("codec_refused", operation=operation, status=refused[0])
            return error(*refused)
        namespace = request.headers.get("x-namespace")
        if namespace is not None and namespace != settings.temporal_namespace:
            return error(403, f"this codec server serves namespace {settings.temporal_namespace!r}")
        if codec is None:
            return error(503, codec_error or "payload encryption is not configured")
        body = await _read_bounded(request)
        if body is None:
            return error(413, f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            json_depth.check_depth(body)
            payloads = json_format.Parse(body, Payloads(), ignore_unknown_fields=True)
        except (json_format.ParseError, ValueError) as exc:
            return error(400, f"body is not a Payloads JSON object: {type(exc).__name__}")
        transform: Transform = codec.encode if operation == "encode" else codec.decode
        try:
            result = await transform(list(payloads.payloads))
        except PayloadDecryptionError as exc:
            return error(400, str(exc))
        log.info("codec_served", operation=operation, payloads=len(result))
        return Response(
            json_format.MessageToJson(Payloads(payloads=result)),
            media_type="application/json",
            headers=cors,
        )

    @router.options("/encode")
    @router.options("/decode")
    async def codec_preflight(request: Request) -> Response:
        """The browser's CORS preflight before the UI's POST."""
        return await preflight(request)

    @router.post("/encode")
    async def codec_encode(request: Request) -> Response:
        """Encrypt payloads (the UI sends signal and query inputs through this)."""
        return await serve(request, "encode")

    @router.post("/decode")
    async def codec_decode(request: Request) -> Response:
        """Decrypt payloads for the UI and `temporal --codec-endpoint`."""
        return await serve(request, "decode")

    return router
