"""`create_app(config)`: the Greenhouse sandbox as a FastAPI app (token endpoint, Harvest v3, admin API).

The org is seeded on startup; with the default in-memory SQLite every start is a fresh, deterministic org.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from sandbox.greenhouse import admin, attachments, bulk, candidate_writes, reads, subscriptions, token, writes
from sandbox.greenhouse.auth import ALL_SCOPES, Credential, TokenIssuer
from sandbox.greenhouse.config import SandboxConfig
from sandbox.greenhouse.db import Store
from sandbox.greenhouse.errors import HarvestError
from sandbox.greenhouse.faults import FaultInjector
from sandbox.greenhouse.gate import install_gate
from sandbox.greenhouse.ratelimit import FixedWindowLimiter
from sandbox.greenhouse.seed import SeedSummary, seed_organisation
from sandbox.greenhouse.state import SandboxState
from sandbox.greenhouse.webhooks import WebhookSender

log = structlog.get_logger("sandbox.greenhouse")


def _seed(state: SandboxState) -> SeedSummary:
    """Seed a fresh org, or reuse the one a persistent database already holds for the same seed and size."""
    config = state.config
    summary = None if config.reset else state.store.load_summary(config.seed, config.candidates)
    if summary is None:
        state.store.create_schema(drop_first=True)
        summary = state.store.run(
            lambda session: seed_organisation(
                session,
                seed=config.seed,
                candidates=config.candidates,
                anchor=config.seed_now,
                service_account_for=config.client_id,
            )
        )
        state.store.save_summary(config.seed, config.candidates, summary)
    else:
        log.info("sandbox_reused_database", seed=config.seed, candidates=config.candidates)
    state.issuer.add(
        Credential(config.client_id, config.client_secret, frozenset(ALL_SCOPES), summary.service_user_id)
    )
    state.users.reload(state.store)
    subscriptions.load_subscriptions(state)
    return summary


def build_state(config: SandboxConfig) -> SandboxState:
    return SandboxState(
        config=config,
        store=Store(config.database_url),
        issuer=TokenIssuer(ttl_seconds=config.token_ttl_seconds),
        limiter=FixedWindowLimiter(config.rate_limit, config.rate_window_seconds),
        token_limiter=FixedWindowLimiter(config.token_rate_limit, config.token_rate_window_seconds),
        faults=FaultInjector(list(config.faults)),
        webhooks=WebhookSender(
            config.webhook_url,
            config.webhook_secret,
            list(config.webhook_retry_delays),
            config.webhook_timeout_seconds,
        ),
    )


def create_app(config: SandboxConfig) -> FastAPI:
    """A sandbox app for `config`; seeding happens in the lifespan (i.e. when the server starts)."""
    state = build_state(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.summary = await run_in_threadpool(_seed, state)
        log.info(
            "sandbox_seeded",
            seed=config.seed,
            candidates=state.summary.candidate_count,
            applications=state.summary.application_count,
        )
        try:
            yield
        finally:
            await state.webhooks.aclose()
            state.store.dispose()

    app = FastAPI(
        title="Greenhouse Harvest v3 sandbox",
        lifespan=lifespan,
        docs_url="/_sandbox/docs",
        openapi_url="/_sandbox/openapi.json",
        redoc_url=None,
    )
    app.state.sandbox = state

    @app.exception_handler(HarvestError)
    async def harvest_error(_: Request, exc: HarvestError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(err["loc"] and err["loc"][0] == "path" for err in errors):
            return JSONResponse({"message": "Resource not found"}, status_code=404)
        body = [{".".join(str(p) for p in err["loc"][1:]) or "body": str(err["msg"])} for err in errors]
        return JSONResponse({"message": "Unprocessable Content", "errors": body}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code in (404, 405):
            return JSONResponse({"message": "Resource not found"}, status_code=404)
        return JSONResponse({"message": str(exc.detail)}, status_code=exc.status_code)

    install_gate(app)
    app.include_router(token.router)
    app.include_router(reads.router)
    app.include_router(writes.router)
    app.include_router(attachments.router)
    app.include_router(candidate_writes.router)
    app.include_router(subscriptions.router)
    app.include_router(admin.router)
    app.include_router(bulk.router)
    return app
