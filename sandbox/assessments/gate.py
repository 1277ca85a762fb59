"""The gate in front of `/api/*`: bearer auth (401), then injected faults (latency, error status).

The token is compared as bytes in constant time. `/take/*` and `/_sandbox/*` pass untouched: the
candidate's link is its own credential, and the admin API is the sandbox's (loopback only).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from sandbox.assessments.errors import ApiError
from sandbox.assessments.state import SandboxState

CallNext = Callable[[Request], Awaitable[Response]]


def authorized(state: SandboxState, header: str | None) -> bool:
    scheme, _, presented = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return False
    return hmac.compare_digest(presented.strip().encode(), state.config.token.encode())


def install_gate(app: FastAPI) -> None:
    @app.middleware("http")
    async def api_gate(request: Request, call_next: CallNext) -> Response:
        if not request.url.path.startswith("/api/"):
            return await call_next(request)
        state: SandboxState = app.state.sandbox
        if not authorized(state, request.headers.get("authorization")):
            return ApiError(401, "missing or invalid bearer token").response()
        faults = state.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.status is not None and state.rng.random() < faults.error_rate:
            return ApiError(faults.status, "injected fault").response()
        return await call_next(request)
