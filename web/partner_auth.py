"""HTTP Basic as Greenhouse's Assessment Partner API sends it: the partner key as user name, an empty
password. Compared as bytes in constant time; a missing key setting is an operator's error (503)."""

from __future__ import annotations

import base64
import binascii
import hmac

from fastapi.responses import JSONResponse
from pydantic import SecretStr

KEY_SETTING = "HIREFLOW_ASSESSMENT_PARTNER_KEY"
MAX_HEADER = 512  # Greenhouse's keys are < 171 characters
CHALLENGE = {"WWW-Authenticate": 'Basic realm="Hireflow Assessment Partner API", charset="UTF-8"'}


def presented_key(header: str | None) -> bytes | None:
    """The user name of a well-formed `Basic` header with an empty password, else None."""
    if not header or len(header) > MAX_HEADER:
        return None
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    user, colon, password = decoded.partition(b":")
    if not colon or password:
        return None
    return user


def check_partner_key(header: str | None, key: SecretStr | None) -> JSONResponse | None:
    """None when the caller presented the key; otherwise the answer to send (401, or 503 unconfigured)."""
    if key is None or not key.get_secret_value():
        return JSONResponse(
            {"error": f"the Assessment Partner API is not configured: set {KEY_SETTING}"}, status_code=503
        )
    user = presented_key(header)
    if user is None or not hmac.compare_digest(user, key.get_secret_value().encode()):
        return JSONResponse({"error": "invalid partner key"}, status_code=401, headers=CHALLENGE)
    return None
