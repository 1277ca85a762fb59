"""The keyring that encrypts Temporal payloads: `id1:base64,id2:base64`, the first encrypts, all decrypt.

Keys rotate by putting a new entry first and keeping the old ones until no history needs them.
Errors name the entry and its id, never the key material.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from models.settings import Settings

KEY_BYTES = 32  # AES-256
KEYS_SETTING = "HIREFLOW_PAYLOAD_ENCRYPTION_KEYS"
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class PayloadKeyError(ValueError):
    """The configured keyring cannot be used (malformed entry, wrong key length, duplicate id)."""


@dataclass(frozen=True)
class Keyring:
    """Key ids to 32-byte AES keys; `primary_id` is the one new payloads are encrypted with."""

    primary_id: str
    keys: Mapping[str, bytes]

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """Parse `id1:base64-32-bytes,id2:...`; raise PayloadKeyError naming the bad entry."""
        entries = [entry.strip() for entry in text.split(",") if entry.strip()]
        if not entries:
            raise PayloadKeyError(f"{KEYS_SETTING} is empty: give at least one `id:base64-32-bytes` entry")
        keys: dict[str, bytes] = {}
        for number, entry in enumerate(entries, start=1):
            key_id, key = _parse_entry(number, entry)
            if key_id in keys:
                raise PayloadKeyError(f"{KEYS_SETTING}: entry {number} repeats key id {key_id!r}")
            keys[key_id] = key
        return cls(primary_id=entries[0].split(":", 1)[0].strip(), keys=MappingProxyType(keys))

    def describe(self) -> str:
        """The ids, primary first (safe to log)."""
        return ", ".join(self.keys)


def _parse_entry(number: int, entry: str) -> tuple[str, bytes]:
    key_id, sep, encoded = entry.partition(":")
    key_id = key_id.strip()
    if not sep:
        raise PayloadKeyError(f"{KEYS_SETTING}: entry {number} is not `id:base64-key`")
    if not _KEY_ID.fullmatch(key_id):
        raise PayloadKeyError(
            f"{KEYS_SETTING}: entry {number} has an invalid key id (letters, digits, '.', '_', '-'; up to 64)"
        )
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise PayloadKeyError(f"{KEYS_SETTING}: key {key_id!r} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise PayloadKeyError(
            f"{KEYS_SETTING}: key {key_id!r} is {len(key)} bytes; AES-256 needs {KEY_BYTES} "
            "(`hireflow keys generate` prints a valid entry)"
        )
    return key_id, key


def generate_entry(key_id: str | None = None) -> str:
    """A new `id:base64` entry with a random 32-byte key (id defaults to `k` + 8 random hex digits)."""
    key_id = key_id or f"k{secrets.token_hex(4)}"
    if not _KEY_ID.fullmatch(key_id):
        raise PayloadKeyError(f"invalid key id {key_id!r} (letters, digits, '.', '_', '-'; up to 64)")
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode('ascii')}"


def keyring_from_settings(settings: Settings) -> Keyring | None:
    """The configured keyring, or None when HIREFLOW_PAYLOAD_ENCRYPTION_KEYS is unset."""
    if settings.payload_encryption_keys is None:
        return None
    return Keyring.parse(settings.payload_encryption_keys.get_secret_value())
