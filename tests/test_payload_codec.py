"""The payload codec, its keyring, the one data converter and the dev stack's local key."""

from __future__ import annotations

import base64
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DefaultFailureConverterWithEncodedAttributes
from typer.testing import CliRunner

from integrations.payload_codec import (
    ENCODING,
    KEY_ID_METADATA,
    EncryptionCodec,
    PayloadDecryptionError,
    encrypting_converter,
)
from integrations.payload_keys import Keyring, PayloadKeyError, generate_entry
from models.settings import Settings
from starters.cli import app
from starters.local_keys import KEY_FILE, ensure_local_keys, with_local_keys
from starters.temporal_dev import temporal_dev_argv
from workers.client import PayloadEncryptionNotConfiguredError, data_converter

EMAIL = "grace.bianchi@example.org"


class Invitation(BaseModel):
    email: str
    sent_at: datetime


def _plain(data: bytes = b'"hello"') -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=data)


def _codec(*entries: str) -> EncryptionCodec:
    return EncryptionCodec(Keyring.parse(",".join(entries)))


async def test_round_trip_through_the_converter_hides_the_data() -> None:
    converter = encrypting_converter(pydantic_data_converter, Keyring.parse(generate_entry("k1")))
    value = Invitation(email=EMAIL, sent_at=datetime(2026, 12, 2, 14, tzinfo=UTC))
    [payload] = await converter.encode([value])
    assert payload.metadata["encoding"] == ENCODING
    assert payload.metadata[KEY_ID_METADATA] == b"k1"
    assert EMAIL.encode() not in payload.data
    assert await converter.decode([payload], [Invitation]) == [value]
    assert converter.failure_converter_class is DefaultFailureConverterWithEncodedAttributes


async def test_each_payload_gets_its_own_nonce() -> None:
    codec = _codec(generate_entry("k1"))
    first, second = await codec.encode([_plain(), _plain()])
    assert first.data[:12] != second.data[:12] and first.data != second.data


async def test_rotation_old_key_still_decrypts_until_it_is_removed() -> None:
    old, new = generate_entry("old"), generate_entry("new")
    [sealed_with_old] = await _codec(old).encode([_plain(b'"before rotation"')])

    rotated = _codec(new, old)
    assert await rotated.decode([sealed_with_old]) == [_plain(b'"before rotation"')]
    [sealed_with_new] = await rotated.encode([_plain()])
    assert sealed_with_new.metadata[KEY_ID_METADATA] == b"new"

    retired = _codec(new)
    assert await retired.decode([sealed_with_new]) == [_plain()]
    with pytest.raises(
        PayloadDecryptionError, match=r"key id 'old'.*not in HIREFLOW_PAYLOAD_ENCRYPTION_KEYS"
    ):
        await retired.decode([sealed_with_old])


async def test_tampered_relabelled_or_truncated_payloads_are_refused_naming_the_key() -> None:
    one, two = generate_entry("one"), generate_entry("two")
    codec = _codec(one, two)
    [sealed] = await codec.encode([_plain()])

    flipped = Payload()
    flipped.CopyFrom(sealed)
    flipped.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(PayloadDecryptionError, match="key id 'one' failed authentication"):
        await codec.decode([flipped])

    relabelled = Payload()
    relabelled.CopyFrom(sealed)
    relabelled.metadata[KEY_ID_METADATA] = b"two"  # the key id is authenticated data
    with pytest.raises(PayloadDecryptionError, match="key id 'two' failed authentication"):
        await codec.decode([relabelled])

    truncated = Payload()
    truncated.CopyFrom(sealed)
    truncated.data = sealed.data[:20]
    with pytest.raises(PayloadDecryptionError, match="key id 'one' is truncated"):
        await codec.decode([truncated])

    same_id_other_key = _codec(generate_entry("one"))
    with pytest.raises(PayloadDecryptionError, match="key id 'one' failed authentication"):
        await same_id_other_key.decode([sealed])


async def test_plain_payloads_pass_through_on_decode() -> None:
    codec = _codec(generate_entry("k1"))
    binary = Payload(metadata={"encoding": b"binary/null"})
    assert await codec.decode([_plain(), binary]) == [_plain(), binary]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        (" , ", "is empty"),
        ("nokey", "entry 1 is not `id:base64-key`"),
        ("bad id:" + base64.b64encode(b"x" * 32).decode(), "entry 1 has an invalid key id"),
        ("k1:not-base64!!", "key 'k1' is not valid base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "key 'k1' is 5 bytes; AES-256 needs 32"),
    ],
)
def test_keyring_rejects_malformed_entries_clearly(text: str, message: str) -> None:
    with pytest.raises(PayloadKeyError, match=message):
        Keyring.parse(text)


def test_keyring_rejects_duplicate_ids_and_never_echoes_key_material() -> None:
    entry = generate_entry("k1")
    with pytest.raises(PayloadKeyError, match="entry 2 repeats key id 'k1'") as info:
        Keyring.parse(f"{entry},{entry}")
    assert entry.split(":")[1] not in str(info.value)
    short = base64.b64encode(b"secret-material").decode()
    with pytest.raises(PayloadKeyError) as info:
        Keyring.parse(f"k2:{short}")
    assert short not in str(info.value)


def test_keyring_primary_is_the_first_entry() -> None:
    keyring = Keyring.parse(f" {generate_entry('b')} , {generate_entry('a')} ")
    assert keyring.primary_id == "b"
    assert list(keyring.keys) == ["b", "a"] and all(len(k) == 32 for k in keyring.keys.values())


def test_data_converter_refuses_production_without_keys_and_encrypts_with_them() -> None:
    with pytest.raises(PayloadEncryptionNotConfiguredError, match="HIREFLOW_PAYLOAD_ENCRYPTION_KEYS"):
        data_converter(Settings(environment="production"))
    assert data_converter(Settings(environment="development")) is pydantic_data_converter
    keyed = data_converter(Settings(payload_encryption_keys=SecretStr(generate_entry("k1"))))
    assert isinstance(keyed.payload_codec, EncryptionCodec)
    with pytest.raises(PayloadKeyError):
        data_converter(Settings(payload_encryption_keys=SecretStr("k1:AAAA")))


def test_local_key_is_generated_once_private_and_read_by_cli_settings(tmp_path: Path) -> None:
    first = ensure_local_keys(tmp_path)
    assert ensure_local_keys(tmp_path) == first  # a restarted stack reads its old histories
    assert Keyring.parse(first).primary_id == "local"
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600

    loaded = with_local_keys(Settings(state_dir=tmp_path))
    assert loaded.payload_encryption_keys is not None
    assert loaded.payload_encryption_keys.get_secret_value() == first
    configured = SecretStr(generate_entry("ops"))
    assert (
        with_local_keys(
            Settings(state_dir=tmp_path, payload_encryption_keys=configured)
        ).payload_encryption_keys
        == configured
    )
    assert with_local_keys(Settings(state_dir=tmp_path / "none")).payload_encryption_keys is None


def test_damaged_local_key_file_is_named(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("local:broken")
    with pytest.raises(PayloadKeyError, match="key 'local'"):
        ensure_local_keys(tmp_path)


def test_dev_server_ui_is_pointed_at_the_codec_server(tmp_path: Path) -> None:
    argv = temporal_dev_argv(tmp_path, "127.0.0.1", 7233, 8233, "http://127.0.0.1:8000/codec")
    assert argv[argv.index("--ui-codec-endpoint") + 1] == "http://127.0.0.1:8000/codec"
    assert "--ui-codec-endpoint" not in temporal_dev_argv(tmp_path, "127.0.0.1", 7233, 8233)


def test_keys_generate_prints_a_usable_entry() -> None:
    result = CliRunner().invoke(app, ["keys", "generate", "--id", "2027-01"])
    assert result.exit_code == 0, result.output
    assert Keyring.parse(result.output.strip()).primary_id == "2027-01"
    refused = CliRunner().invoke(app, ["keys", "generate", "--id", "bad id"])
    assert refused.exit_code == 2 and "invalid key id" in refused.output
