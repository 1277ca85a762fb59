"""`POST /token`: OAuth 2.0 client credentials exactly as auth.greenhouse.io answers (harvest-v3.md §1.1-§1.2)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sandbox.greenhouse.auth import CLIENT_ID_PATTERN, GRANT_TYPES, error_id, parse_basic
from sandbox.greenhouse.state import SandboxState, get_state

router = APIRouter()


async def _form_and_json(request: Request) -> tuple[dict[str, str], dict[str, Any]]:
    """Form fields (urlencoded body) and JSON body fields; either may be empty."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    form: dict[str, str] = {}
    data: dict[str, Any] = {}
    if raw and "json" in content_type:
        try:
            parsed = json.loads(raw)
            data = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            data = {}
    elif raw:
        form = {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace"), keep_blank_values=True).items()}
    return form, data


def _reply(state: SandboxState, client_id: str | None, status: int, body: dict[str, Any]) -> JSONResponse:
    response = JSONResponse(body, status_code=status)
    if client_id:
        decision = state.token_limiter.hit(client_id, consume=False)
        response.headers.update(decision.headers)
    return response


@router.post("/token")
async def token(request: Request) -> JSONResponse:
    state = get_state(request)
    basic = parse_basic(request.headers.get("authorization"))
    form, data = await _form_and_json(request)
    if basic is None:
        return _reply(state, None, 401, {"message": "Unauthorized", "errorId": error_id()})
    client_id, client_secret = basic
    if not CLIENT_ID_PATTERN.match(client_id):
        return _reply(
            state,
            None,
            400,
            {
                "message": f"client_id={client_id} does not contain a valid client ID suffix",
                "errorId": error_id(),
            },
        )
    decision = state.token_limiter.hit(client_id)
    if not decision.allowed:
        response = JSONResponse(
            {"message": "Too Many Requests"},
            status_code=429,
            headers={"Retry-After": str(decision.retry_after)},
        )
        response.headers.update(decision.headers)
        return response
    credential = state.credential(client_id)
    if credential is None or credential.client_secret != client_secret:
        return _reply(state, client_id, 401, {"error": "invalid_client"})
    grant_type = request.query_params.get("grant_type") or form.get("grant_type") or data.get("grant_type")
    if not grant_type:
        return _reply(
            state, client_id, 400, {"message": "Must include `grant_type` parameter in /token request"}
        )
    if grant_type != "client_credentials":
        return _reply(
            state,
            client_id,
            400,
            {"message": f"grant_type={grant_type} is invalid, please use one of: {GRANT_TYPES}"},
        )
    sub = form.get("sub") or data.get("sub") or request.query_params.get("sub")
    if sub in (None, ""):
        user_id = credential.service_user_id
    else:
        try:
            user_id = int(str(sub))
        except ValueError:
            user_id = -1
        if not state.users.is_active(user_id):
            return _reply(
                state,
                client_id,
                400,
                {"message": f"sub={sub} is not an active user of this organization", "errorId": error_id()},
            )
    return _reply(state, client_id, 200, state.issuer.mint(credential, user_id))
