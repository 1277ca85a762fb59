"""`POST /_sandbox/bulk`: change many rows at once, like a recruiter's bulk action in the Greenhouse UI.

Greenhouse's bulk actions are known not to reach every integration; with `"webhooks": false` nothing is
sent, yet `updated_at` moves, so a reconciler listing on `updated_at` has something to find. All changes of
one call apply in one transaction, or none (a 422/404 names the first bad change).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import delete, select
from sqlmodel import Session, col

from sandbox.greenhouse import tables as t
from sandbox.greenhouse.db import Store
from sandbox.greenhouse.errors import HarvestError, field_error
from sandbox.greenhouse.listing import format_value
from sandbox.greenhouse.resources import SPECS
from sandbox.greenhouse.schemas import load_schema
from sandbox.greenhouse.state import get_state
from sandbox.greenhouse.tables import pipe_index
from sandbox.greenhouse.tags import drop_candidate_tags
from sandbox.greenhouse.webhooks import application_payload, candidate_payload, job_payload, person_payload
from sandbox.greenhouse.writes import _enter_stage, _stages, _touch_candidate, now

router = APIRouter(prefix="/_sandbox", tags=["sandbox-admin"])
FIXED = {"id", "created_at", "updated_at"}
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "number": (int, float),
    "null": (type(None),),
}


class Change(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource: Literal[
        "candidates",
        "applications",
        "jobs",
        "users",
        "offices",
        "departments",
        "custom_fields",
        "candidate_tags",
        "sources",
        "job_interview_stages",
        "interviews",
    ]
    id: int
    set: dict[str, Any] | None = None
    delete: bool = False
    move_to_stage_id: int | None = Field(default=None, description="applications: a job_interview_stages id")

    @model_validator(mode="after")
    def _one_kind(self) -> Change:
        kinds = [self.set is not None, self.delete, self.move_to_stage_id is not None]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of set, delete, move_to_stage_id")
        if self.move_to_stage_id is not None and self.resource != "applications":
            raise ValueError("move_to_stage_id applies to applications only")
        return self


class BulkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changes: list[Change] = Field(min_length=1, max_length=5000)
    webhooks: bool = True


def _check_value(resource: str, index: int, name: str, value: Any) -> None:
    props = load_schema(resource)["properties"]
    if name in FIXED or name not in props:
        raise field_error(f"changes.{index}.set.{name}", f"is not a settable field of {resource}")
    declared = props[name].get("type", [])
    allowed = tuple(
        x for kind in ([declared] if isinstance(declared, str) else declared) for x in JSON_TYPES[kind]
    )
    if allowed and (not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed)):
        raise field_error(f"changes.{index}.set.{name}", f"must be {declared}")


def _apply(
    session: Session, store: Store, index: int, change: Change, when: datetime
) -> list[tuple[str, Any]]:
    table = SPECS[change.resource].table
    row = session.get(table, change.id)
    if row is None:
        raise HarvestError(404, {"message": f"changes.{index}: {change.resource} {change.id} not found"})
    if change.delete:
        return _delete(session, change.resource, row)
    if change.move_to_stage_id is not None:
        assert isinstance(row, t.Application)
        stage = next((s for s in _stages(session, row.job_id or 0) if s.id == change.move_to_stage_id), None)
        if stage is None or row.status != "in_process":
            raise field_error(
                f"changes.{index}.move_to_stage_id", "is not a stage this application can move to"
            )
        _enter_stage(session, store, row, stage, when)
        _touch_candidate(session, row.candidate_id, when)
        session.flush()
        return [("candidate_stage_change", lambda: application_payload(session, row.id))]
    assert change.set is not None
    for name, value in change.set.items():
        _check_value(change.resource, index, name, value)
        setattr(row, name, value)
    if isinstance(row, t.Candidate):
        row.ix_emails = pipe_index([e["value"].lower() for e in row.email_addresses])
        row.ix_tags = pipe_index(row.tags)
    row.updated_at = when
    session.add(row)
    if isinstance(row, t.Candidate):
        return [("update_candidate", lambda: candidate_payload(session, row.id))]
    if isinstance(row, t.Application):
        _touch_candidate(session, row.candidate_id, when)
        return [("application_updated", lambda: application_payload(session, row.id))]
    if isinstance(row, t.Job):
        return [("job_updated", lambda: job_payload(session, row.id))]
    return []


def _delete(session: Session, resource: str, row: Any) -> list[tuple[str, Any]]:
    if isinstance(row, t.Candidate):
        stmt = select(col(t.Application.id)).where(col(t.Application.candidate_id) == row.id)
        apps = list(session.execute(stmt).scalars())
        payload = person_payload(session, row, apps, deleted_application_ids=apps)
        session.execute(delete(t.Application).where(col(t.Application.candidate_id) == row.id))
        drop_candidate_tags(session, row.id)
        session.delete(row)
        return [("delete_candidate", lambda: payload)]
    if isinstance(row, t.Application):
        payload = {"application": {"id": row.id, "candidate_id": row.candidate_id}}
        session.delete(row)
        return [("delete_application", lambda: payload)]
    if isinstance(row, t.Job):
        payload = {"job": {"id": row.id, "name": row.name}}
        session.delete(row)
        return [("job_deleted", lambda: payload)]
    session.delete(row)
    return []


@router.post("/bulk")
async def bulk_change(body: BulkBody, request: Request) -> dict[str, Any]:
    """Apply `changes`; `webhooks: false` sends nothing (but `updated_at` still moves)."""
    state = get_state(request)

    def run(session: Session) -> tuple[list[dict[str, Any]], list[tuple[str, dict[str, Any]]]]:
        when = now()
        changed: list[dict[str, Any]] = []
        pending: list[tuple[str, Any]] = []
        for index, change in enumerate(body.changes):
            pending.extend(_apply(session, state.store, index, change, when))
            changed.append(
                {
                    "resource": change.resource,
                    "id": change.id,
                    "deleted": change.delete,
                    "updated_at": format_value(when),
                }
            )
        session.flush()
        events = [(action, build()) for action, build in pending] if body.webhooks else []
        return changed, events

    changed, events = await state.store.arun(run)
    for action, payload in events:
        state.webhooks.emit(action, payload)
    return {"changed": changed, "webhooks_sent": len(events)}
