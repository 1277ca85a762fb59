"""Security headers on every response (pure ASGI), error pages and 413s included.

Why: the candidate's pages carry bearer tokens in their URLs, so they must never be cached, framed or
leaked through a Referer; and a strict CSP keeps an injected tag inert. The templates load their one
script and stylesheet from `/static` and have no inline code, so the policy needs no 'unsafe-inline'.
Static files keep their own caching; everything else is `no-store`.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
NO_STORE = "no-store"
STATIC_PREFIX = "/static/"


def apply_security_headers(headers: MutableHeaders, path: str) -> None:
    """Set the security headers (and `Cache-Control: no-store` outside `/static/`) on `headers`."""
    for name, value in SECURITY_HEADERS.items():
        headers[name] = value
    if not path.startswith(STATIC_PREFIX):
        headers["Cache-Control"] = NO_STORE


class SecurityHeadersMiddleware:
    """Adds `SECURITY_HEADERS` to every HTTP response the wrapped app sends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                apply_security_headers(MutableHeaders(scope=message), path)
            await send(message)

        await self.app(scope, receive, send_with_headers)
