"""One way to connect to Temporal: settings first, Temporal's own env config (TLS, profiles) underneath.

Everything that talks to the server (workers, the CLI, the web app) uses one data converter: the
pydantic converter, so models cross every boundary intact, with payloads encrypted whenever
HIREFLOW_PAYLOAD_ENCRYPTION_KEYS is set. Production refuses to connect without keys.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.envconfig import ClientConfig

from integrations.payload_codec import encrypting_converter
from integrations.payload_keys import KEYS_SETTING, keyring_from_settings
from models.settings import Settings


class PayloadEncryptionNotConfiguredError(RuntimeError):
    """Production without payload keys: candidate data would reach Temporal in clear."""


def data_converter(settings: Settings) -> DataConverter:
    """The converter of every Hireflow client: encrypting with keys, plain only in development."""
    keyring = keyring_from_settings(settings)
    if keyring is not None:
        return encrypting_converter(pydantic_data_converter, keyring)
    if settings.is_development:
        return pydantic_data_converter
    raise PayloadEncryptionNotConfiguredError(
        f"refusing to send candidate data to Temporal in clear: set {KEYS_SETTING} "
        "(`hireflow keys generate` prints an entry; docs/encryption.md)"
    )


async def connect(settings: Settings) -> Client:
    """A client for the configured address and namespace (API key or mTLS from the environment)."""
    converter = data_converter(settings)  # before connecting: a missing key fails fast
    config: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    config["target_host"] = settings.temporal_address
    config["namespace"] = settings.temporal_namespace
    if settings.temporal_api_key is not None:
        config["api_key"] = settings.temporal_api_key.get_secret_value()
    config["data_converter"] = converter
    return await Client.connect(**config)
