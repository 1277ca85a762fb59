"""Run the assessment sandbox with uvicorn: in the background for tests (`AssessmentSandboxServer`) or in the
foreground (`serve`, for `hireflow sandbox assessments`). The admin helpers go through `/_sandbox/...` over
HTTP, so they work the same against a sandbox started elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp

from sandbox.assessments.app import create_app
from sandbox.assessments.config import AssessmentSandboxConfig
from sandbox.assessments.state import SandboxState
from sandbox.serving import BackgroundSandbox

DEFAULT_PORT = 8710


class AssessmentSandboxServer(BackgroundSandbox):
    """`async with AssessmentSandboxServer(config) as server:` runs the sandbox on a free loopback port."""

    what = "assessment sandbox"

    def __init__(
        self,
        config: AssessmentSandboxConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        super().__init__(host, port, log_level)
        self.config = config or AssessmentSandboxConfig()

    def _app(self) -> ASGIApp:
        state = SandboxState.build(self.config)
        if self.config.public_base_url is None:
            state.base_url = self.base_url
        return create_app(self.config, state)

    def _access_log(self) -> bool:
        return self._log_level == "debug"  # access lines would log candidates' link tokens

    # -- admin helpers (HTTP, /_sandbox) ---------------------------------------------------------------------

    async def set_faults(
        self,
        *,
        latency_ms: int = 0,
        error_rate: float = 1.0,
        status: int | None = None,
        lose_webhooks: bool = False,
    ) -> None:
        body = {
            "latency_ms": latency_ms,
            "error_rate": error_rate,
            "status": status,
            "lose_webhooks": lose_webhooks,
        }
        await self._admin_call("POST", "/_sandbox/faults", body)

    async def clear_faults(self) -> None:
        await self._admin_call("DELETE", "/_sandbox/faults")

    async def webhook_deliveries(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._admin_call("GET", "/_sandbox/webhooks")
        return result

    async def advance_clock(self, seconds: float) -> None:
        await self._admin_call("POST", "/_sandbox/clock/advance", {"seconds": seconds})


async def serve(
    config: AssessmentSandboxConfig,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    log_level: str = "info",
    on_ready: Callable[[AssessmentSandboxServer], None] | None = None,
) -> None:
    """Run the sandbox until cancelled; `on_ready` gets the running server."""
    server = AssessmentSandboxServer(config, host=host, port=port, log_level=log_level)
    await server.start()
    try:
        if on_ready is not None:
            on_ready(server)
        await server.wait()
    finally:
        await server.stop()
