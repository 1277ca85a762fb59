"""The copy of an email that goes onto a candidate's Greenhouse profile: its text, without bearer secrets.

Recruiters read the profile; anyone who can read it must not be able to act as the candidate. So the
logged copy drops what `docs/security.md` calls bearer secrets: the candidate's signed page links
(`/s/<token>`), assessment links that carry a token, query credentials, reply addresses and the token
part of our Message-IDs. A link is replaced by a neutral text that says what it was; the rest of the
message stays as the candidate saw it. Pure functions: no clock, no I/O.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from email.message import EmailMessage
from urllib.parse import parse_qsl, urlsplit

from integrations.logs import redact_text

LINK_REMOVED = "[personal link removed]"
MAX_NOTE_BODY = 20_000  # characters kept of a long message (Greenhouse notes are for reading)
MARKER_PREFIX = "Hireflow reference: "

_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_CREDENTIAL_KEYS = frozenset({"token", "signature", "sig", "key", "code", "auth", "access_token", "t"})
# A path segment or query value this long, mixing letters and digits, is treated as a token.
_TOKENISH = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9_\-.~=+]{20,}$")


def plain_text(raw_message: bytes) -> str:
    """The text/plain body of a stored MIME message ("" when there is none)."""
    msg = email.message_from_bytes(raw_message, policy=email.policy.default)
    if not isinstance(msg, EmailMessage):  # pragma: no cover - the default policy always builds these
        return ""
    part = msg.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    content = part.get_content()
    return content if isinstance(content, str) else ""


def _carries_secret(url: str) -> bool:
    parts = urlsplit(url)
    if "/s/" in parts.path or "/take/" in parts.path:
        return True
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() in _CREDENTIAL_KEYS or _TOKENISH.match(value):
            return True
    return any(_TOKENISH.match(segment) for segment in parts.path.split("/"))


def redact_links(text: str) -> str:
    """Every URL that carries a token becomes `[personal link removed]`; other links stay."""
    return _URL.sub(lambda m: LINK_REMOVED if _carries_secret(m.group(0)) else m.group(0), text)


def profile_text(text: str, reference: str) -> str:
    """The note body: the redacted message, capped, with the reference that makes logging idempotent."""
    body = redact_text(redact_links(text)).strip()
    if len(body) > MAX_NOTE_BODY:
        body = body[:MAX_NOTE_BODY].rstrip() + "\n[…]"
    return f"{body}\n\n{MARKER_PREFIX}{reference_tag(reference)}"


def reference_tag(reference: str) -> str:
    """A stable, secret-free tag for a Message-ID (ours carry a reply token after the first dot)."""
    return "hf-" + hashlib.sha256(reference.encode()).hexdigest()[:20]


def has_reference(note_body: str | None, reference: str) -> bool:
    """Whether a note on the profile is the copy of this message (a crashed attempt may have posted it)."""
    return bool(note_body) and f"{MARKER_PREFIX}{reference_tag(reference)}" in (note_body or "")
