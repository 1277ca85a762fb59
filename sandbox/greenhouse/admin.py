"""The sandbox's own admin API under `/_sandbox/`: no Harvest token, never part of `/v3`.

Tests, the dev stack and chaos runs use it to change rate limits, inject faults, add credentials with fewer
scopes, point webhooks somewhere and read the seed summary of a running sandbox.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session

from sandbox.greenhouse.auth import ALL_SCOPES, CLIENT_ID_PATTERN, Credential
from sandbox.greenhouse.config import FaultRule
from sandbox.greenhouse.db import Store
from sandbox.greenhouse.state import SandboxState, get_state
from sandbox.greenhouse.tables import User

router = APIRouter(prefix="/_sandbox", tags=["sandbox-admin"])


class RateLimitBody(BaseModel):
    limit: int = Field(ge=1)
    window_seconds: float = Field(gt=0)


class CredentialBody(BaseModel):
    client_id: str
    client_secret: str = Field(min_length=1)
    scopes: list[str]

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        if not CLIENT_ID_PATTERN.match(value):
            raise ValueError("client_id must be 3+ characters of letters, digits, '.', '_' or '-'")
        return value

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(ALL_SCOPES))
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(unknown)}")
        return value


class WebhookBody(BaseModel):
    url: str | None
    secret: str | None = None
    retry_delays: list[float] | None = None


class TokenTtlBody(BaseModel):
    seconds: int = Field(ge=1)


def create_service_user(store: Store, client_id: str) -> int:
    """Each credential gets its own integration service user: a hidden site admin (harvest-v3.md §1.1)."""

    def create(session: Session) -> int:
        user_id = store.next_id(session, User)
        now = datetime.now(UTC)
        session.add(
            User(
                id=user_id,
                created_at=now,
                updated_at=now,
                first_name=f"{client_id} (Integration Service User)",
                name=f"{client_id} (Integration Service User)",
                primary_email="",
                job_title="Service account",
                site_admin=True,
                is_service_account=True,
                emails=None,
                custom_fields={},
            )
        )
        return user_id

    return store.run(create)


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/seed")
async def seed(request: Request) -> JSONResponse:
    state = get_state(request)
    assert state.summary is not None
    return JSONResponse(state.summary.model_dump(mode="json"))


@router.get("/info")
async def info(request: Request) -> dict[str, Any]:
    state = get_state(request)
    base = str(request.base_url).rstrip("/")
    return {
        "base_url": base,
        "token_url": f"{base}/token",
        "client_id": state.config.client_id,
        "client_secret": state.config.client_secret,
        "rate_limit": state.limiter.limit,
        "rate_window_seconds": state.limiter.window,
        "token_ttl_seconds": state.issuer.ttl_seconds,
        "webhook_url": state.webhooks.url,
    }


@router.post("/rate_limit")
async def set_rate_limit(body: RateLimitBody, request: Request) -> dict[str, float]:
    get_state(request).limiter.configure(body.limit, body.window_seconds)
    return {"limit": body.limit, "window_seconds": body.window_seconds}


@router.post("/token_ttl")
async def set_token_ttl(body: TokenTtlBody, request: Request) -> dict[str, int]:
    get_state(request).issuer.ttl_seconds = body.seconds
    return {"seconds": body.seconds}


@router.get("/faults")
async def list_faults(request: Request) -> list[dict[str, Any]]:
    return [rule.model_dump() for rule in get_state(request).faults.rules()]


@router.post("/faults", status_code=201)
async def add_fault(rule: FaultRule, request: Request) -> list[dict[str, Any]]:
    state = get_state(request)
    state.faults.add(rule)
    return [r.model_dump() for r in state.faults.rules()]


@router.delete("/faults", status_code=204)
async def clear_faults(request: Request) -> Response:
    get_state(request).faults.clear()
    return Response(status_code=204)


@router.post("/credentials", status_code=201)
async def add_credential(body: CredentialBody, request: Request) -> dict[str, Any]:
    state: SandboxState = get_state(request)
    existing = state.credential(body.client_id)
    service_user = existing.service_user_id if existing else create_service_user(state.store, body.client_id)
    state.issuer.add(Credential(body.client_id, body.client_secret, frozenset(body.scopes), service_user))
    state.users.reload(state.store)
    return {"client_id": body.client_id, "scopes": sorted(body.scopes), "service_user_id": service_user}


@router.post("/webhooks")
async def configure_webhooks(body: WebhookBody, request: Request) -> dict[str, Any]:
    state = get_state(request)
    state.webhooks.configure(body.url, body.secret, body.retry_delays)
    return {"url": state.webhooks.url, "retry_delays": state.webhooks.retry_delays}


@router.get("/webhooks")
async def webhook_deliveries(request: Request) -> list[dict[str, Any]]:
    return [asdict(d) for d in get_state(request).webhooks.deliveries]
