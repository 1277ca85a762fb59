"""CSRF protection for the candidate's forms: a signed double-submit cookie.

A random nonce lives in an HttpOnly, SameSite=Lax cookie; each form carries
HMAC(signing_secret, nonce + the page's link token). A cross-site page can neither read the cookie
nor compute the tag, and a tag is useless with another link. No server-side session needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from fastapi import Request, Response

COOKIE_NAME = "hf_csrf"
FIELD_NAME = "csrf"


class CsrfGuard:
    def __init__(self, secret: str, *, secure_cookie: bool) -> None:
        self._secret = secret.encode()
        self._secure = secure_cookie

    def nonce(self, request: Request) -> tuple[str, bool]:
        """The browser's nonce, or a new one; the flag says whether the cookie must be (re)set."""
        current = request.cookies.get(COOKIE_NAME, "")
        if 20 <= len(current) <= 100:
            return current, False
        return secrets.token_urlsafe(24), True

    def form_token(self, nonce: str, scope: str) -> str:
        digest = hmac.new(self._secret, f"csrf\n{nonce}\n{scope}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")

    def valid(self, request: Request, submitted: str | None, scope: str) -> bool:
        """Compared as bytes, so a field or cookie with non-ASCII text is refused (403), never a 500."""
        nonce = request.cookies.get(COOKIE_NAME, "")
        if not nonce or not isinstance(submitted, str) or not submitted:  # a file upload is not a tag
            return False
        expected = self.form_token(nonce, scope).encode()
        return hmac.compare_digest(expected, submitted.encode("utf-8", "replace"))

    def set_cookie(self, response: Response, nonce: str, path: str = "/s/") -> None:
        """The nonce cookie, sent back only to the pages under `path` (`/s/`, or `/event/` for events)."""
        response.set_cookie(
            COOKIE_NAME,
            nonce,
            max_age=60 * 60 * 24 * 30,
            path=path,
            httponly=True,
            samesite="lax",
            secure=self._secure,
        )
