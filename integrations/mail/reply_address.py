"""Signed reply addresses `reply+<token>@<reply domain>` that map a reply back to its workflow.

Why a reversible encoding and not a mapping row: the inbound webhook and the SMTP sink can verify and
route a reply without a database read, on any replica, forever (no rows to expire or migrate), and the
token stays short. Workflow ids are business keys such as `schedule-52877001001-6620003001`; they are
packed segment by segment (known words → 1 byte, numbers → varint), so that id becomes 14 bytes.
The token is `base32(packed).base32(HMAC-SHA256(secret, packed)[:8])`, lowercase without padding
(relays may lowercase local parts; base32 survives that): 37 characters for the id above, well under
the 64-octet local-part limit of RFC 5321. An id that cannot fit raises `ValueError` at send time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

LOCAL_PART_LIMIT = 64
PREFIX = "reply+"
_MAC_BYTES = 8
_TAG_NUMBER = 0x01
_TAG_TEXT = 0x02
_TAG_WORD = 0x40
# Append only: the index of a word is part of every token ever issued.
_WORDS = ("schedule", "mention", "watch", "interview", "availability", "reschedule", "loop", "hireflow")
_TOKEN_RE = re.compile(r"^[a-z2-7]+\.[a-z2-7]+$")


class InvalidReplyToken(ValueError):
    """The token was malformed, forged, or signed with another secret."""


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def _unb32(text: str) -> bytes:
    padded = text.upper() + "=" * (-len(text) % 8)
    return base64.b32decode(padded)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise InvalidReplyToken("truncated number in reply token")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def pack_workflow_id(workflow_id: str) -> bytes:
    """Compact, reversible bytes for a workflow id (segments split on '-')."""
    if not workflow_id:
        raise ValueError("workflow id must not be empty")
    out = bytearray()
    for segment in workflow_id.split("-"):
        if segment in _WORDS:
            out.append(_TAG_WORD + _WORDS.index(segment))
        elif segment.isascii() and segment.isdigit() and (segment == "0" or not segment.startswith("0")):
            out.append(_TAG_NUMBER)
            out += _varint(int(segment))
        else:
            raw = segment.encode()
            if len(raw) > 255:
                raise ValueError("workflow id segment too long for a reply token")
            out += bytes((_TAG_TEXT, len(raw))) + raw
    return bytes(out)


def unpack_workflow_id(data: bytes) -> str:
    """Inverse of `pack_workflow_id`."""
    segments: list[str] = []
    pos = 0
    while pos < len(data):
        tag = data[pos]
        pos += 1
        if tag == _TAG_NUMBER:
            number, pos = _read_varint(data, pos)
            segments.append(str(number))
        elif tag == _TAG_TEXT:
            if pos >= len(data):
                raise InvalidReplyToken("truncated text in reply token")
            length = data[pos]
            raw = data[pos + 1 : pos + 1 + length]
            if len(raw) != length:
                raise InvalidReplyToken("truncated text in reply token")
            segments.append(raw.decode(errors="strict"))
            pos += 1 + length
        elif _TAG_WORD <= tag < _TAG_WORD + len(_WORDS):
            segments.append(_WORDS[tag - _TAG_WORD])
        else:
            raise InvalidReplyToken(f"unknown segment tag {tag:#x} in reply token")
    if not segments:
        raise InvalidReplyToken("empty reply token")
    return "-".join(segments)


class ReplyAddressCodec:
    """Issues and verifies reply tokens with one secret and one reply domain."""

    def __init__(self, secret: bytes | str, domain: str) -> None:
        if not secret:
            raise ValueError("reply-address signing secret must not be empty")
        if not domain or "@" in domain or " " in domain:
            raise ValueError(f"invalid reply domain {domain!r}")
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self.domain = domain.lower()

    def _mac(self, packed: bytes) -> bytes:
        return hmac.new(self._secret, b"hireflow-reply:" + packed, hashlib.sha256).digest()[:_MAC_BYTES]

    def token_for(self, workflow_id: str) -> str:
        """The signed token for `workflow_id`; `ValueError` if the address would exceed 64 octets."""
        packed = pack_workflow_id(workflow_id)
        token = f"{_b32(packed)}.{_b32(self._mac(packed))}"
        if len(PREFIX) + len(token) > LOCAL_PART_LIMIT:
            raise ValueError(
                f"workflow id {workflow_id!r} is too long for a reply address "
                f"({len(PREFIX) + len(token)} > {LOCAL_PART_LIMIT} octets)"
            )
        return token

    def address_for(self, workflow_id: str) -> str:
        """`reply+<token>@<domain>`."""
        return f"{PREFIX}{self.token_for(workflow_id)}@{self.domain}"

    def verify_token(self, token: str) -> str:
        """The workflow id a token was issued for; `InvalidReplyToken` if forged or malformed."""
        token = token.strip().lower()
        if not _TOKEN_RE.match(token):
            raise InvalidReplyToken("reply token is not in the <ref>.<mac> base32 form")
        ref, mac = token.split(".")
        try:
            packed, given = _unb32(ref), _unb32(mac)
        except ValueError as exc:  # binascii.Error is a ValueError
            raise InvalidReplyToken("reply token is not valid base32") from exc
        if not hmac.compare_digest(given, self._mac(packed)):
            raise InvalidReplyToken("reply token signature does not match")
        return unpack_workflow_id(packed)

    def token_from_address(self, address: str) -> str | None:
        """The token in `reply+<token>@<our domain>`, or None for any other address."""
        address = address.strip().strip("<>").lower()
        local, _, domain = address.rpartition("@")
        if domain != self.domain or not local.startswith(PREFIX):
            return None
        return local[len(PREFIX) :]

    def workflow_for_address(self, address: str) -> str | None:
        """The verified workflow id for a reply address; None if it is not one of ours.

        Raises `InvalidReplyToken` when the address looks like ours but the token is forged.
        """
        token = self.token_from_address(address)
        return None if token is None else self.verify_token(token)

    def message_id_for(self, idempotency_key: str, workflow_id: str | None = None) -> str:
        """A Message-ID derived from the idempotency key (a resend is recognisably the same message).

        With a workflow id it also carries the reply token, so a reply whose client dropped the
        plus-address still routes through `In-Reply-To`/`References`.
        """
        if not idempotency_key:
            raise ValueError("idempotency key must not be empty")
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        local = f"hf{digest}" if workflow_id is None else f"hf{digest}.{self.token_for(workflow_id)}"
        return f"<{local}@{self.domain}>"

    def workflow_for_message_id(self, message_id: str) -> str | None:
        """The workflow id carried by one of our Message-IDs, or None (foreign, tokenless or forged)."""
        local, _, domain = message_id.strip().strip("<>").lower().rpartition("@")
        if domain != self.domain or not local.startswith("hf") or "." not in local:
            return None
        try:
            return self.verify_token(local.split(".", 1)[1])
        except InvalidReplyToken:
            return None
