"""Signed reply addresses `reply+<token>@<reply domain>` that map a reply back to its workflow.

Why a reversible encoding and not a mapping row: the inbound webhook and the SMTP sink can verify and
route a reply without a database read, on any replica, forever (no rows to expire or migrate), and the
token stays short. Workflow ids are business keys such as `schedule-52877001001-6620003001`; they are
packed segment by segment (known words → 1 byte, numbers → varint), so that id becomes 14 bytes.
The token is `base32(packed).base32(HMAC-SHA256(secret, packed)[:8])`, lowercase without padding
(relays may lowercase local parts; base32 survives that): 37 characters for the id above, well under
the 64-octet local-part limit of RFC 5321. An id that cannot fit raises `ValueError` at send time.

Each recipient gets its own address: after the id, a role byte (candidate, interviewer + user id,
recruiter + user id) and the request's chain (4 bytes of its first run id) are packed and signed too,
so a reply says whose mail it answers and for which request (60 octets for an interviewer above).
Addresses issued before roles carry neither; they verify with `role=None` and act for nobody
unless the sender is the candidate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Literal

Role = Literal["candidate", "interviewer", "recruiter"]

LOCAL_PART_LIMIT = 64
PREFIX = "reply+"
_MAC_BYTES = 8
_TAG_NUMBER = 0x01
_TAG_TEXT = 0x02
_TAG_WORD = 0x40
_TAG_ROLE: dict[Role, int] = {"candidate": 0x10, "interviewer": 0x11, "recruiter": 0x12}
_ROLE_OF_TAG: dict[int, Role] = {tag: role for role, tag in _TAG_ROLE.items()}
_TAG_CHAIN = 0x20
_CHAIN_BYTES = 4
# Append only: the index of a word is part of every token ever issued.
_WORDS = ("schedule", "mention", "watch", "interview", "availability", "reschedule", "loop", "hireflow")
_TOKEN_RE = re.compile(r"^[a-z2-7]+\.[a-z2-7]+$")


class InvalidReplyToken(ValueError):
    """The token was malformed, forged, or signed with another secret."""


@dataclass(frozen=True)
class ReplyTarget:
    """Whose mail a reply answers: the workflow, the recipient's role (and user) and the request's chain."""

    workflow_id: str
    role: Role | None = None
    user_id: int | None = None
    chain_ref: str = ""
    """8 hex digits of the request's first run id (`models.messages.chain_ref`); empty if not bound."""

    def __post_init__(self) -> None:
        if self.role in ("interviewer", "recruiter") and self.user_id is None:
            raise ValueError(f"a {self.role}'s reply address needs their user id")
        if self.chain_ref and (len(self.chain_ref) != 2 * _CHAIN_BYTES or not _is_hex(self.chain_ref)):
            raise ValueError("chain_ref must be 8 hex digits")


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


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


def pack_target(target: ReplyTarget) -> bytes:
    """The workflow id, then the role (and user id) and the chain, each only when set."""
    out = bytearray(pack_workflow_id(target.workflow_id))
    if target.role is not None:
        out.append(_TAG_ROLE[target.role])
        if target.role != "candidate":
            out += _varint(target.user_id or 0)
    if target.chain_ref:
        out.append(_TAG_CHAIN)
        out += bytes.fromhex(target.chain_ref)
    return bytes(out)


def unpack_target(data: bytes) -> ReplyTarget:
    """Inverse of `pack_target` (and of `pack_workflow_id`: such tokens have no role and no chain)."""
    end = 0
    while end < len(data) and data[end] not in _ROLE_OF_TAG and data[end] != _TAG_CHAIN:
        end = _skip_segment(data, end)
    workflow_id = unpack_workflow_id(data[:end])
    role: Role | None = None
    user_id: int | None = None
    chain = ""
    pos = end
    if pos < len(data) and data[pos] in _ROLE_OF_TAG:
        role = _ROLE_OF_TAG[data[pos]]
        pos += 1
        if role != "candidate":
            user_id, pos = _read_varint(data, pos)
    if pos < len(data) and data[pos] == _TAG_CHAIN:
        raw = data[pos + 1 : pos + 1 + _CHAIN_BYTES]
        if len(raw) != _CHAIN_BYTES:
            raise InvalidReplyToken("truncated chain in reply token")
        chain = raw.hex()
        pos += 1 + _CHAIN_BYTES
    if pos != len(data):
        raise InvalidReplyToken("trailing bytes in reply token")
    return ReplyTarget(workflow_id, role, user_id, chain)


def _skip_segment(data: bytes, pos: int) -> int:
    """The position after the id segment starting at `pos` (validated again by unpack_workflow_id)."""
    tag = data[pos]
    if tag == _TAG_NUMBER:
        return _read_varint(data, pos + 1)[1]
    if tag == _TAG_TEXT:
        if pos + 1 >= len(data):
            raise InvalidReplyToken("truncated text in reply token")
        return pos + 2 + data[pos + 1]
    return pos + 1


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

    def token_for(self, target: str | ReplyTarget) -> str:
        """The signed token for a target (or a bare workflow id); `ValueError` if over 64 octets."""
        target = target if isinstance(target, ReplyTarget) else ReplyTarget(target)
        packed = pack_target(target)
        token = f"{_b32(packed)}.{_b32(self._mac(packed))}"
        if len(PREFIX) + len(token) > LOCAL_PART_LIMIT:
            raise ValueError(
                f"workflow id {target.workflow_id!r} is too long for a reply address "
                f"({len(PREFIX) + len(token)} > {LOCAL_PART_LIMIT} octets)"
            )
        return token

    def address_for(self, target: str | ReplyTarget) -> str:
        """`reply+<token>@<domain>`."""
        return f"{PREFIX}{self.token_for(target)}@{self.domain}"

    def verify_target(self, token: str) -> ReplyTarget:
        """What a token was issued for; `InvalidReplyToken` if forged or malformed."""
        token = token.strip().lower()
        if len(token) > 2 * LOCAL_PART_LIMIT or not _TOKEN_RE.match(token):
            raise InvalidReplyToken("reply token is not in the <ref>.<mac> base32 form")
        ref, mac = token.split(".")
        try:
            packed, given = _unb32(ref), _unb32(mac)
        except ValueError as exc:  # binascii.Error is a ValueError
            raise InvalidReplyToken("reply token is not valid base32") from exc
        if not hmac.compare_digest(given, self._mac(packed)):
            raise InvalidReplyToken("reply token signature does not match")
        return unpack_target(packed)

    def verify_token(self, token: str) -> str:
        """The workflow id a token was issued for; `InvalidReplyToken` if forged or malformed."""
        return self.verify_target(token).workflow_id

    def token_from_address(self, address: str) -> str | None:
        """The token in `reply+<token>@<our domain>`, or None for any other address."""
        address = address.strip().strip("<>").lower()
        local, _, domain = address.rpartition("@")
        if domain != self.domain or not local.startswith(PREFIX):
            return None
        return local[len(PREFIX) :]

    def target_for_address(self, address: str) -> ReplyTarget | None:
        """The verified target of a reply address; None if it is not one of ours.

        Raises `InvalidReplyToken` when the address looks like ours but the token is forged.
        """
        token = self.token_from_address(address)
        return None if token is None else self.verify_target(token)

    def workflow_for_address(self, address: str) -> str | None:
        """The verified workflow id for a reply address (see `target_for_address`)."""
        target = self.target_for_address(address)
        return None if target is None else target.workflow_id

    def message_id_for(self, idempotency_key: str, workflow_id: str | ReplyTarget | None = None) -> str:
        """A Message-ID derived from the idempotency key (a resend is recognisably the same message).

        With a workflow id it also carries the reply token, so a reply whose client dropped the
        plus-address still routes through `In-Reply-To`/`References`.
        """
        if not idempotency_key:
            raise ValueError("idempotency key must not be empty")
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        local = f"hf{digest}" if workflow_id is None else f"hf{digest}.{self.token_for(workflow_id)}"
        return f"<{local}@{self.domain}>"

    def target_for_message_id(self, message_id: str) -> ReplyTarget | None:
        """The target carried by one of our Message-IDs, or None (foreign, tokenless or forged)."""
        local, _, domain = message_id.strip().strip("<>").lower().rpartition("@")
        if domain != self.domain or not local.startswith("hf") or "." not in local:
            return None
        try:
            return self.verify_target(local.split(".", 1)[1])
        except InvalidReplyToken:
            return None

    def workflow_for_message_id(self, message_id: str) -> str | None:
        """The workflow id carried by one of our Message-IDs, or None (foreign, tokenless or forged)."""
        target = self.target_for_message_id(message_id)
        return None if target is None else target.workflow_id
