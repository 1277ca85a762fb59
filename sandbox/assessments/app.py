"""`create_app(config)`: the assessment sandbox as a FastAPI app (vendor API, candidate page, admin API)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sandbox.assessments import admin, api, lifecycle, pages
from sandbox.assessments.config import AssessmentSandboxConfig
from sandbox.assessments.errors import ApiError
from sandbox.assessments.gate import install_gate
from sandbox.assessments.limits import BodyLimitMiddleware
from sandbox.assessments.state import SandboxState


def create_app(config: AssessmentSandboxConfig, state: SandboxState | None = None) -> FastAPI:
    """An app for `config`; the expiry sweeper runs while the app is up (lifespan)."""
    state = state or SandboxState.build(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(lifecycle.sweep_forever(state))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await state.webhooks.aclose()
            await state.mailer.aclose()
            state.store.dispose()

    app = FastAPI(
        title="Hireflow assessment sandbox",
        lifespan=lifespan,
        docs_url="/_sandbox/docs",
        openapi_url="/_sandbox/openapi.json",
        redoc_url=None,
    )
    app.state.sandbox = state

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return ApiError(422, "invalid request").response()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = "not found" if exc.status_code == 404 else str(exc.detail)
        return ApiError(exc.status_code, message).response()

    install_gate(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=config.max_body_bytes)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(admin.router)
    return app
