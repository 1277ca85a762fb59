"""Signed, expiring links that let a candidate act on one workflow without an account.

A token names a workflow and a purpose (`pick`, `reschedule`, `cancel`, `availability`) and carries its
expiry; an HMAC-SHA256 tag (truncated to 128 bits) over those fields with `signing_secret` makes it
unforgeable. Tokens are compact and URL-safe so they fit in emails and paths:
`base64url("<purpose>.<expiry unix seconds, base 36>.<workflow id>") + "." + base64url(tag)`.
Verification tells malformed, tampered and expired tokens apart, so the page can say what to do.

Version 2 tokens also name the request's run chain (the first run id, which survives continue-as-new):
`base64url("v2.<purpose>.<expiry>.<chain>.<workflow id>")`, tagged under another label. Workflow ids
are business keys, so a later request for the same application reuses the id; the chain tells an old
link from a new request's. Version 1 tokens (no chain) stay valid until they expire.

An `availability` token is a recruiting event's: its workflow id field is the event link subject
`<event workflow id>~<application id>` (`integrations.event_client.event_link_subject`), its chain the
event's first run id, and its page is `/event/<token>` (`event_link_url`). The other purposes' pages
refuse it, and the event page refuses theirs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

LinkPurpose = Literal["pick", "reschedule", "cancel", "availability"]
PURPOSES: tuple[str, ...] = get_args(LinkPurpose)
TAG_BYTES = 16
MAX_TOKEN_LENGTH = 600


class LinkTokenError(ValueError):
    """A link token that cannot be used."""


class MalformedLinkTokenError(LinkTokenError):
    """Not a token at all (truncated, mangled by a mail client, or made up)."""


class TamperedLinkTokenError(LinkTokenError):
    """Well-formed but its signature does not match: altered, or signed with another secret."""


class ExpiredLinkTokenError(LinkTokenError):
    """Authentic but past its expiry; `claims` still says which workflow it named."""

    def __init__(self, claims: LinkClaims) -> None:
        super().__init__(f"link expired at {claims.expires_at.isoformat()}")
        self.claims = claims


@dataclass(frozen=True)
class LinkClaims:
    """What a verified token says."""

    workflow_id: str
    purpose: LinkPurpose
    expires_at: datetime
    chain_id: str | None = None
    """The run chain the link was issued for; None for version 1 links (issued before chains)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(body: bytes, secret: str) -> bytes:
    label = b"hireflow-link/v2\n" if body.startswith(b"v2.") else b"hireflow-link/v1\n"
    return hmac.new(secret.encode(), label + body, hashlib.sha256).digest()[:TAG_BYTES]


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        value, rem = divmod(value, 36)
        out = digits[rem] + out
        if value == 0:
            return out


def make_link_token(
    workflow_id: str,
    purpose: LinkPurpose,
    expires_at: datetime,
    secret: str,
    chain_id: str | None = None,
) -> str:
    """A token for `purpose` on `workflow_id` (and its run chain, when given), valid until `expires_at`."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}; use one of {', '.join(PURPOSES)}")
    if not workflow_id or any(c.isspace() for c in workflow_id):
        raise ValueError("workflow_id must be non-empty and contain no whitespace")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    if not secret:
        raise ValueError("signing secret is empty")
    seconds = int(expires_at.timestamp())
    if seconds < 0:
        raise ValueError("expires_at is before 1970")
    if chain_id is not None and (not chain_id or "." in chain_id or any(c.isspace() for c in chain_id)):
        raise ValueError("chain_id must be non-empty, without dots or whitespace")
    if chain_id is None:
        body = f"{purpose}.{_base36(seconds)}.{workflow_id}".encode()
    else:
        body = f"v2.{purpose}.{_base36(seconds)}.{chain_id}.{workflow_id}".encode()
    return f"{_b64(body)}.{_b64(_tag(body, secret))}"


def verify_link_token(token: str, secret: str, now: datetime) -> LinkClaims:
    """The claims of an authentic, unexpired token; a `LinkTokenError` subclass otherwise."""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise MalformedLinkTokenError("not a Hireflow link")
    body_text, tag_text = token.split(".")
    try:
        body = _unb64(body_text)
        tag = _unb64(tag_text)
    except (binascii.Error, ValueError) as exc:
        raise MalformedLinkTokenError("not a Hireflow link") from exc
    if len(tag) != TAG_BYTES:
        raise MalformedLinkTokenError("not a Hireflow link")
    chain_id: str | None = None
    try:
        if body.startswith(b"v2."):
            _, purpose, expiry, chain_id, workflow_id = body.decode().split(".", 4)
        else:
            purpose, expiry, workflow_id = body.decode().split(".", 2)
        seconds = int(expiry, 36)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedLinkTokenError("not a Hireflow link") from exc
    if not hmac.compare_digest(tag, _tag(body, secret)):
        raise TamperedLinkTokenError("link signature does not match")
    if purpose not in PURPOSES or not workflow_id or chain_id == "":
        raise MalformedLinkTokenError("not a Hireflow link")
    claims = LinkClaims(
        workflow_id=workflow_id,
        purpose=purpose,  # type: ignore[arg-type]  # checked against PURPOSES above
        expires_at=datetime.fromtimestamp(seconds, UTC),
        chain_id=chain_id,
    )
    if now >= claims.expires_at:
        raise ExpiredLinkTokenError(claims)
    return claims


def link_url(base_url: str, token: str) -> str:
    """The page for a scheduling token: `<base>/s/<token>` (the page itself dispatches on the purpose)."""
    return f"{base_url.rstrip('/')}/s/{token}"


def event_link_url(base_url: str, token: str) -> str:
    """The event page for an `availability` token: `<base>/event/<token>`."""
    return f"{base_url.rstrip('/')}/event/{token}"
