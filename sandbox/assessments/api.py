"""`/api/*`: the vendor API Hireflow calls (bearer auth and faults are applied by the gate in front)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sandbox.assessments import lifecycle
from sandbox.assessments.catalog import BY_ID, TESTS
from sandbox.assessments.errors import ApiError
from sandbox.assessments.schemas import ExtendBody, InviteBody, created_view, parse_body, status_view
from sandbox.assessments.state import SandboxState
from sandbox.assessments.store import NewInvitation
from sandbox.assessments.tables import InvitationRow

router = APIRouter(prefix="/api")
MAX_DEADLINE_AHEAD = timedelta(days=366)
MAX_ID_LENGTH = 64


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


async def _invitation(state: SandboxState, invitation_id: str) -> InvitationRow:
    row = await state.store.get(invitation_id) if len(invitation_id) <= MAX_ID_LENGTH else None
    if row is None:
        raise ApiError(404, "invitation not found")
    return await lifecycle.expire_if_overdue(state, row)


def _check_deadline(state: SandboxState, body: InviteBody | ExtendBody) -> None:
    now = state.clock.now()
    if body.deadline <= now:
        raise ApiError(422, "deadline: must be in the future")
    if body.deadline > now + MAX_DEADLINE_AHEAD:
        raise ApiError(422, "deadline: must be within a year")


@router.get("/tests")
async def list_tests() -> list[dict[str, object]]:
    return [test.summary() for test in TESTS]


@router.post("/invitations")
async def invite(request: Request) -> JSONResponse:
    state = _state(request)
    body = await parse_body(request, InviteBody)
    if body.test_id not in BY_ID:
        raise ApiError(404, "test not found")
    new = NewInvitation(
        reference=body.reference,
        test_id=body.test_id,
        email=body.email,
        first_name=body.first_name,
        last_name=body.last_name,
        deadline=body.deadline,
        callback_url=body.callback_url,
    )
    existing = await state.store.by_reference(body.reference)
    if existing is not None:  # idempotent: the first invitation, whatever this body says
        return JSONResponse(created_view(state, await lifecycle.expire_if_overdue(state, existing)))
    _check_deadline(state, body)
    row, created = await state.store.invite(new, state.clock.now())
    if created:  # a concurrent twin of the same reference sends nothing either
        state.mailer.send(row, state.test_url(row.token))
    return JSONResponse(created_view(state, row), status_code=201 if created else 200)


@router.get("/invitations/{invitation_id}")
async def get_invitation(invitation_id: str, request: Request) -> dict[str, Any]:
    state = _state(request)
    return status_view(state, await _invitation(state, invitation_id))


@router.post("/invitations/{invitation_id}/cancel")
async def cancel(invitation_id: str, request: Request) -> JSONResponse:
    state = _state(request)
    row = await lifecycle.cancel(state, await _invitation(state, invitation_id))
    if row.status != "cancelled":
        raise ApiError(409, f"invitation is {row.status}", id=row.id, status=row.status)
    return JSONResponse({"id": row.id, "status": "cancelled"})


@router.post("/invitations/{invitation_id}/extend")
async def extend(invitation_id: str, request: Request) -> dict[str, Any]:
    state = _state(request)
    row = await _invitation(state, invitation_id)
    body = await parse_body(request, ExtendBody)
    _check_deadline(state, body)
    row, changed = await lifecycle.extend(state, row, body.deadline)
    if not changed:
        raise ApiError(409, f"invitation is {row.status}", id=row.id, status=row.status)
    return status_view(state, row)


@router.get("/invitations/{invitation_id}/report.pdf")
async def report(invitation_id: str, request: Request) -> Response:
    row = await _invitation(_state(request), invitation_id)
    if row.status != "completed" or row.report_pdf is None:
        raise ApiError(404, "no report until the test is completed")
    return Response(
        row.report_pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{row.id}-report.pdf"'},
    )
