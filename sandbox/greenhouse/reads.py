"""`GET /v3/<collection>`: bare JSON arrays, `id` descending, cursor pagination with a `Link: rel="next"`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session

from sandbox.greenhouse.auth import Principal
from sandbox.greenhouse.errors import forbidden, not_found
from sandbox.greenhouse.listing import ResourceSpec, list_page, parse_fields, serialize
from sandbox.greenhouse.resources import SPECS
from sandbox.greenhouse.state import SandboxState, get_principal, get_state
from sandbox.greenhouse.tables import RejectionReason

router = APIRouter(prefix="/v3")


def authorize(request: Request, scope: str, *, read: bool) -> Principal:
    """403 unless the credential holds `scope` and, for reads, the token's `sub` is a site admin (§1.1)."""
    principal = get_principal(request)
    state = get_state(request)
    if scope not in principal.scopes:
        raise forbidden()
    if read and not state.users.is_site_admin(principal.user_id):
        raise forbidden()
    if not state.users.is_active(principal.user_id):
        raise forbidden()
    return principal


def base_url(request: Request, state: SandboxState) -> str:
    return (state.config.public_base_url or str(request.base_url)).rstrip("/")


def _make_list_route(spec: ResourceSpec) -> Callable[[Request], Any]:
    async def list_resource(request: Request) -> JSONResponse:
        authorize(request, spec.scope, read=True)
        state = get_state(request)
        query = list(request.query_params.multi_items())
        page = await state.store.arun(lambda session: list_page(session, spec, query))
        headers = {}
        if page.next_cursor:
            url = f"{base_url(request, state)}/v3/{spec.name}?{urlencode({'cursor': page.next_cursor})}"
            headers["Link"] = f'<{url}>; rel="next"'
        return JSONResponse(page.items, headers=headers)

    list_resource.__name__ = f"list_{spec.name}"
    list_resource.__doc__ = f"List {spec.name} (scope `{spec.scope}`)."
    return list_resource


for _spec in SPECS.values():
    router.add_api_route(
        f"/{_spec.name}", _make_list_route(_spec), methods=["GET"], name=f"list_{_spec.name}"
    )


@router.get("/rejection_reasons/{reason_id}")
async def get_rejection_reason(reason_id: str, request: Request) -> JSONResponse:
    """The one single-record GET of the registry (harvest-v3.md §2)."""
    authorize(request, "harvest:rejection_reasons:list", read=True)
    state = get_state(request)
    try:
        rid = int(reason_id)
    except ValueError as exc:
        raise not_found() from exc
    fields = parse_fields(SPECS["rejection_reasons"], request.query_params.get("fields"))

    def load(session: Session) -> dict[str, Any] | None:
        row = session.get(RejectionReason, rid)
        return serialize("rejection_reasons", row, fields) if row is not None else None

    item = await state.store.arun(load)
    if item is None:
        raise not_found()
    return JSONResponse(item)
