"""Request-body limits enforced before any route reads or parses a body (pure ASGI).

Why here and not in the routes: a route that calls `request.body()` or `request.form()` has already
buffered the whole body (a 300 MB webhook pushed the process from 270 to 843 MB). This middleware
answers 413 from the `Content-Length` header alone, and for bodies without one (chunked) counts the
bytes as the app pulls them and stops at the limit, so nothing over it is ever held in memory.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from integrations.logs import get_logger

log = get_logger(__name__)


class BodyTooLargeError(Exception):
    """Raised into the app's `receive` once a streamed body passes its limit."""


@dataclass(frozen=True)
class BodyLimit:
    """Bodies of paths starting with `prefix` may be at most `max_bytes` long."""

    prefix: str
    max_bytes: int


class BodyLimitMiddleware:
    """413 for bodies over the limit of the first matching prefix (or `default_max_bytes`)."""

    def __init__(self, app: ASGIApp, *, limits: Sequence[BodyLimit], default_max_bytes: int) -> None:
        self.app = app
        self.limits = tuple(limits)
        self.default_max_bytes = default_max_bytes

    def limit_for(self, path: str) -> int:
        for limit in self.limits:
            if path.startswith(limit.prefix):
                return limit.max_bytes
        return self.default_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.limit_for(path)
        declared = _content_length(scope)
        if declared == -1:
            await _answer(send, 400, "Content-Length is not a number")
            return
        if declared is not None and declared > limit:
            log.warning("web_body_too_large", path=path, declared=declared, limit=limit)
            await _answer(send, 413, f"request body is larger than the {limit}-byte limit")
            return
        await self._counted(scope, receive, send, limit, path)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int, path: str) -> None:
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLargeError(path)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # whatever the app answers to a cut-off body, the answer is 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLargeError:
            pass
        if exceeded and not started:
            log.warning("web_body_too_large", path=path, streamed=received, limit=limit)
            await _answer(send, 413, f"request body is larger than the {limit}-byte limit")


def _content_length(scope: Scope) -> int | None:
    """The declared length; None when absent, -1 when it is not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else -1
    return None


async def _answer(send: Send, status: int, error: str) -> None:
    body = json.dumps({"error": error}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
