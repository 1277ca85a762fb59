"""`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` signatures, as the embedded
sandbox (`X-Assessment-Signature`) and HackerEarth (`HE-Signature`) send them.

The timestamp is inside the signed text, so a captured delivery cannot be replayed after the
tolerance (300 s) even unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from models.assessments import InvalidWebhookError

TOLERANCE_SECONDS = 300
MAX_HEADER_CHARS = 1024
MAX_BODY_BYTES = 64 * 1024


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The header value for `body` signed at `timestamp` (tests and the sandbox use it)."""
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name, whether `headers` is a plain dict or Starlette's."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, candidate in headers.items():
        if key.lower() == wanted:
            return candidate
    return None


def verify(
    value: str | None,
    body: bytes,
    secret: bytes,
    now: datetime,
    *,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raise `InvalidWebhookError` unless one v1 signature matches and `t` is within `tolerance`."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidWebhookError("webhook body too large")
    if not value or len(value) > MAX_HEADER_CHARS:
        raise InvalidWebhookError("missing or oversized signature header")
    timestamp: int | None = None
    signatures: list[bytes] = []
    for element in value.split(","):
        prefix, _, item = element.strip().partition("=")
        if prefix == "t" and item.isdigit() and len(item) <= 12:
            timestamp = int(item)
        elif prefix == "v1" and item:
            signatures.append(item.encode("ascii", "replace"))
    if timestamp is None or not signatures:
        raise InvalidWebhookError("signature header without t= or v1=")
    expected = sign(secret, timestamp, body).rpartition("v1=")[2].encode()
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise InvalidWebhookError("signature does not match")
    if abs(now.timestamp() - timestamp) > tolerance:
        raise InvalidWebhookError("signature timestamp outside the tolerance")
