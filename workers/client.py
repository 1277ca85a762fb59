"""One way to connect to Temporal: settings first, Temporal's own env config (TLS, profiles) underneath.

Everything that talks to the server (workers, the CLI, the web app) uses the pydantic data converter,
so models cross every boundary intact.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig

from models.settings import Settings


async def connect(settings: Settings) -> Client:
    """A client for the configured address and namespace (API key or mTLS from the environment)."""
    config: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    config["target_host"] = settings.temporal_address
    config["namespace"] = settings.temporal_namespace
    if settings.temporal_api_key is not None:
        config["api_key"] = settings.temporal_api_key.get_secret_value()
    config["data_converter"] = pydantic_data_converter
    return await Client.connect(**config)
