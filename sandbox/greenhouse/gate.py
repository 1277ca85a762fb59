"""The request gate in front of Harvest: routing check, bearer auth, rate limit and fault injection.

Order for `/v3` (harvest-v3.md §1.3, §3): unknown path → 404 even unauthenticated; bad token → 401; over the
limit → 429; then injected faults; scopes and the site-admin rule are checked by the route itself. Every
response, errors included, carries the `X-RateLimit-*` headers of the caller's window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.routing import Match

from sandbox.greenhouse.errors import HarvestError, not_found, too_many_requests, unauthorized
from sandbox.greenhouse.ratelimit import Decision
from sandbox.greenhouse.state import SandboxState

ANONYMOUS = "anonymous"
CallNext = Callable[[Request], Awaitable[Response]]


def _route_exists(app: FastAPI, request: Request) -> bool:
    return any(route.matches(request.scope)[0] == Match.FULL for route in app.router.routes)


def _with_headers(response: Response, decision: Decision | None) -> Response:
    if decision is not None:
        for key, value in decision.headers.items():
            response.headers[key] = value
    return response


def _fault_response(status: int) -> JSONResponse:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Injected fault"
    headers = {"Retry-After": "1"} if status == 429 else {}
    return JSONResponse({"message": phrase}, status_code=status, headers=headers)


def install_gate(app: FastAPI) -> None:
    @app.middleware("http")
    async def harvest_gate(request: Request, call_next: CallNext) -> Response:
        state: SandboxState = app.state.sandbox
        path = request.url.path
        if path.startswith("/_sandbox"):
            return await call_next(request)
        is_token = path == "/token"
        decision: Decision | None = None
        if path.startswith("/v3"):
            try:
                principal = state.issuer.verify(request.headers.get("authorization"))
                key = principal.client_id
            except HarvestError:
                principal, key = None, ANONYMOUS
            if not _route_exists(app, request):
                return _with_headers(not_found().response(), state.limiter.hit(key, consume=False))
            if principal is None:
                error = unauthorized()
                return _with_headers(error.response(), state.limiter.hit(ANONYMOUS, consume=False))
            decision = state.limiter.hit(key)
            if not decision.allowed:
                return _with_headers(too_many_requests(decision.retry_after).response(), decision)
            request.state.principal = principal
        elif is_token:
            decision = None  # the token route applies its own per-client window
        elif not _route_exists(app, request):
            return not_found().response()
        outcome = state.faults.decide(request.method, path)
        if outcome.latency_ms:
            await asyncio.sleep(outcome.latency_ms / 1000)
        if outcome.status is not None:
            return _with_headers(_fault_response(outcome.status), decision)
        try:
            response = await call_next(request)
        except HarvestError as exc:  # raised outside a route (should not happen) still gets the Harvest body
            response = exc.response()
        return _with_headers(response, decision)
