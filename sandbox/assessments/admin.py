"""`/_sandbox/*`: the sandbox's own admin API (faults, webhook deliveries, the clock), as tests use it.

Unauthenticated like the Greenhouse sandbox's: the sandbox listens on loopback. `/_sandbox/clock` is an
addition to the contract: it moves the sandbox's clock forward so deadlines pass without waiting.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sandbox.assessments import lifecycle
from sandbox.assessments.schemas import parse_body
from sandbox.assessments.state import Faults, SandboxState

router = APIRouter(prefix="/_sandbox")


class Advance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(gt=0, le=400 * 24 * 3600)


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


@router.get("/faults")
async def get_faults(request: Request) -> dict[str, Any]:
    return _state(request).faults.model_dump()


@router.post("/faults")
async def set_faults(request: Request) -> dict[str, Any]:
    """Replace the faults (fields left out take their defaults)."""
    state = _state(request)
    state.faults = await parse_body(request, Faults)
    return state.faults.model_dump()


@router.delete("/faults")
async def clear_faults(request: Request) -> dict[str, Any]:
    state = _state(request)
    state.faults = Faults()
    return state.faults.model_dump()


@router.get("/webhooks")
async def deliveries(request: Request) -> list[dict[str, Any]]:
    return [delivery.as_json() for delivery in _state(request).webhooks.deliveries]


@router.get("/clock")
async def clock(request: Request) -> dict[str, str]:
    return {"now": _state(request).clock.now().isoformat()}


@router.post("/clock/advance")
async def advance(request: Request) -> dict[str, str]:
    """Move the clock forward and enforce the deadlines that passed (posting their `invitation.expired`)."""
    state = _state(request)
    body = await parse_body(request, Advance)
    state.clock.offset += timedelta(seconds=body.seconds)
    await lifecycle.sweep(state)
    return {"now": state.clock.now().isoformat()}
