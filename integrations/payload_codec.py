"""AES-256-GCM encryption of every Temporal payload, so histories hold no candidate data in clear.

A payload becomes `encoding: binary/encrypted`, `encryption-key-id: <id>`, data = 12-byte nonce +
ciphertext of the original serialised Payload; the key id is authenticated data, so a payload cannot
be relabelled to another key. Payloads without that encoding pass through on decode: histories
written before encryption was switched on keep replaying. Codecs run outside the workflow sandbox.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

from integrations.payload_keys import KEYS_SETTING, Keyring

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
NONCE_BYTES = 12
TAG_BYTES = 16
_AAD_PREFIX = b"hireflow.payload.v1:"


class PayloadDecryptionError(ValueError):
    """An encrypted payload cannot be read: unknown key id, or altered/truncated data."""


def _aad(key_id: str) -> bytes:
    return _AAD_PREFIX + key_id.encode("utf-8")


class EncryptionCodec(PayloadCodec):
    """Encrypts with the keyring's primary key; decrypts with whichever key the payload names."""

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keyring.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            self.decrypt(payload) if payload.metadata.get("encoding") == ENCODING else payload
            for payload in payloads
        ]

    def encrypt(self, payload: Payload) -> Payload:
        """One payload sealed with the primary key."""
        key_id = self._keyring.primary_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), _aad(key_id))
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_METADATA: key_id.encode("utf-8")},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        """One encrypted payload opened; PayloadDecryptionError names the key id when it cannot be."""
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode("utf-8", errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptionError(
                f"payload encrypted with key id {key_id!r}, which is not in {KEYS_SETTING} "
                f"(configured: {self._keyring.describe()}); keep retired keys until no history needs them"
            )
        data = payload.data
        if len(data) < NONCE_BYTES + TAG_BYTES:
            raise PayloadDecryptionError(f"payload encrypted with key id {key_id!r} is truncated")
        try:
            plain = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], _aad(key_id))
        except InvalidTag:
            raise PayloadDecryptionError(
                f"payload encrypted with key id {key_id!r} failed authentication: it was altered, "
                "or the key configured under that id is not the one it was written with"
            ) from None
        decoded = Payload()
        decoded.ParseFromString(plain)
        return decoded


def encrypting_converter(base: DataConverter, keyring: Keyring) -> DataConverter:
    """`base` with the codec, and failure messages moved into (encrypted) payloads too."""
    return dataclasses.replace(
        base,
        payload_codec=EncryptionCodec(keyring),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
