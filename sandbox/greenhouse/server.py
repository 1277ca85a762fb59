"""Run the sandbox with uvicorn: in the background for tests (`SandboxServer`) or in the foreground (`serve`).

`SandboxServer`'s admin helpers go through the HTTP admin API (`/_sandbox/...`), so the same calls work
against a sandbox started elsewhere with `hireflow sandbox greenhouse`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp

from sandbox.greenhouse.app import create_app
from sandbox.greenhouse.config import SandboxConfig
from sandbox.greenhouse.seed import SeedSummary
from sandbox.serving import BackgroundSandbox


class SandboxServer(BackgroundSandbox):
    """`async with SandboxServer(config) as server:` runs a seeded sandbox on a free loopback port."""

    what = "Greenhouse sandbox"

    def __init__(
        self,
        config: SandboxConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        super().__init__(host, port, log_level)
        self.config = config or SandboxConfig()
        self._seed: SeedSummary | None = None

    def _app(self) -> ASGIApp:
        return create_app(self.config)

    async def _after_start(self) -> None:
        self._seed = SeedSummary.model_validate(await self._admin_call("GET", "/_sandbox/seed"))

    # -- connection facts --------------------------------------------------------------------------------------

    @property
    def token_url(self) -> str:
        return self.base_url + "/token"

    @property
    def client_id(self) -> str:
        return self.config.client_id

    @property
    def client_secret(self) -> str:
        return self.config.client_secret

    @property
    def seed(self) -> SeedSummary:
        if self._seed is None:
            raise RuntimeError("the sandbox is not running")
        return self._seed

    @property
    def hireflow_user_id(self) -> int:
        return self.seed.hireflow_user_id

    # -- admin helpers (HTTP, /_sandbox) ---------------------------------------------------------------------

    async def set_rate_limit(self, limit: int, window_seconds: float) -> None:
        await self._admin_call(
            "POST", "/_sandbox/rate_limit", {"limit": limit, "window_seconds": window_seconds}
        )

    async def add_fault(
        self,
        path_prefix: str,
        status: int | None = None,
        error_rate: float = 1.0,
        latency_ms: int = 0,
        count: int | None = None,
        method: str | None = None,
    ) -> None:
        await self._admin_call(
            "POST",
            "/_sandbox/faults",
            {
                "path_prefix": path_prefix,
                "status": status,
                "error_rate": error_rate,
                "latency_ms": latency_ms,
                "count": count,
                "method": method,
            },
        )

    async def clear_faults(self) -> None:
        await self._admin_call("DELETE", "/_sandbox/faults")

    async def add_credential(self, client_id: str, client_secret: str, scopes: list[str]) -> int:
        """Add (or replace) a credential; returns the id of its integration service user."""
        result = await self._admin_call(
            "POST",
            "/_sandbox/credentials",
            {"client_id": client_id, "client_secret": client_secret, "scopes": scopes},
        )
        return int(result["service_user_id"])

    async def set_webhook(
        self, url: str | None, secret: str | None = None, retry_delays: list[float] | None = None
    ) -> None:
        await self._admin_call(
            "POST", "/_sandbox/webhooks", {"url": url, "secret": secret, "retry_delays": retry_delays}
        )

    async def webhook_deliveries(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._admin_call("GET", "/_sandbox/webhooks")
        return result

    async def bulk(self, changes: list[dict[str, Any]], *, webhooks: bool = True) -> dict[str, Any]:
        """`POST /_sandbox/bulk`: change rows like a UI bulk action; `webhooks=False` sends nothing."""
        result: dict[str, Any] = await self._admin_call(
            "POST", "/_sandbox/bulk", {"changes": changes, "webhooks": webhooks}
        )
        return result

    async def set_token_ttl(self, seconds: int) -> None:
        await self._admin_call("POST", "/_sandbox/token_ttl", {"seconds": seconds})


async def serve(
    config: SandboxConfig,
    host: str = "127.0.0.1",
    port: int = 8700,
    log_level: str = "info",
    on_ready: Callable[[SandboxServer], None] | None = None,
) -> None:
    """Run the sandbox until cancelled (for `hireflow dev` and `hireflow sandbox`); `on_ready` gets the server."""
    server = SandboxServer(config, host=host, port=port, log_level=log_level)
    await server.start()
    try:
        if on_ready is not None:
            on_ready(server)
        await server.wait()
    finally:
        await server.stop()
