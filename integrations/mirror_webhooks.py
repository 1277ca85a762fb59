"""Greenhouse webhooks (v1 shape) applied to the mirror: the low-latency path of the sync.

A payload's `application` (and its nested `candidate`) becomes a partial v3 object merged into the
mirror row; the event's `application.last_activity_at` is its version, so a duplicate or a delivery
that arrives after newer data changes nothing. Deletions remove rows. What a payload does not carry
(the application's `stage_id`, a candidate's `updated_at`) is left as the row has it until the next
Harvest listing replaces the row. Reads no Harvest and never raises for a payload it cannot use.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, TypeAdapter, ValidationError
from sqlalchemy.engine import Engine

from integrations.logs import get_logger
from integrations.mirror_resources import resource
from integrations.mirror_store import MirrorStore

log = get_logger(__name__)

APPLICATION_ACTIONS = frozenset(
    {
        "application_updated",
        "candidate_stage_change",
        "hire_candidate",
        "new_candidate_application",
        "new_prospect_application",
        "reject_candidate",
        "unhire_candidate",
        "unreject_candidate",
        "update_candidate",
    }
)
MIRRORED_ACTIONS = APPLICATION_ACTIONS | {"delete_application", "delete_candidate"}
_TIMESTAMP: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)
_V1_STATUS = {"active": "in_process"}


def _timestamp(value: Any) -> datetime | None:
    try:
        return _TIMESTAMP.validate_python(value) if value else None
    except ValidationError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _ref_id(value: Any) -> int | None:
    return _int(value.get("id")) if isinstance(value, dict) else None


def application_partial(app: dict[str, Any]) -> dict[str, Any] | None:
    """The v3 application fields a v1 payload tells, or None without an id."""
    app_id = _int(app.get("id"))
    if app_id is None:
        return None
    partial: dict[str, Any] = {"id": app_id}
    candidate_id = _ref_id(app.get("candidate")) or _int(app.get("candidate_id"))
    if candidate_id is not None:
        partial["candidate_id"] = candidate_id
    jobs = app.get("jobs")
    job_id = _ref_id(jobs[0]) if isinstance(jobs, list) and jobs else _ref_id(app.get("job"))
    if job_id is not None:
        partial["job_id"] = job_id
    if isinstance(app.get("status"), str):
        partial["status"] = _V1_STATUS.get(app["status"], app["status"])
    if isinstance(app.get("prospect"), bool):
        partial["prospect"] = app["prospect"]
    stage = app.get("current_stage")
    if isinstance(stage, dict) and _int(stage.get("id")) is not None:
        partial["job_interview_stage_id"] = stage["id"]
        partial["stage_name"] = stage.get("name") if isinstance(stage.get("name"), str) else None
    for name in ("last_activity_at", "rejected_at"):
        if name in app:
            when = _timestamp(app[name])
            partial[name] = when.isoformat() if when else None
    if _ref_id(app.get("source")) is not None:
        partial["source_id"] = _ref_id(app.get("source"))
    return partial


def candidate_partial(candidate: dict[str, Any]) -> dict[str, Any] | None:
    """The v3 candidate fields a v1 payload's `candidate` tells (only those the mirror keeps)."""
    candidate_id = _int(candidate.get("id"))
    if candidate_id is None:
        return None
    partial: dict[str, Any] = {"id": candidate_id}
    for name in ("first_name", "last_name", "title", "company"):
        if name in candidate and (candidate[name] is None or isinstance(candidate[name], str)):
            partial[name] = candidate[name]
    if isinstance(candidate.get("can_email"), bool):
        partial["can_email"] = candidate["can_email"]
    if isinstance(candidate.get("is_private"), bool):
        partial["private"] = candidate["is_private"]
    for name in ("email_addresses", "phone_numbers"):
        values = candidate.get(name)
        if isinstance(values, list):
            partial[name] = [
                {"value": v["value"], "type": v.get("type")}
                for v in values
                if isinstance(v, dict) and isinstance(v.get("value"), str)
            ]
    if isinstance(candidate.get("tags"), list):
        partial["tags"] = [t for t in candidate["tags"] if isinstance(t, str)]
    return partial


class MirrorWebhooks:
    """Applies one verified delivery to the mirror."""

    def __init__(self, engine: Engine) -> None:
        self.store = MirrorStore(engine)

    async def apply(self, action: str, payload: dict[str, Any]) -> str:
        """Upsert or delete what the payload names; a short outcome for the webhook log."""
        if action not in MIRRORED_ACTIONS:
            return "not mirrored"
        return await asyncio.to_thread(self._apply, action, payload)

    def _apply(self, action: str, payload: dict[str, Any]) -> str:
        if action == "delete_candidate":
            person = payload.get("person")
            candidate_id = _ref_id(person)
            if candidate_id is None:
                return "no candidate id"
            self.store.delete_rows(resource("candidates"), [candidate_id])
            return f"deleted candidate {candidate_id}"
        app = payload.get("application")
        if not isinstance(app, dict):
            return "no application in payload"
        partial = application_partial(app)
        if partial is None:
            return "no application id"
        if action == "delete_application":
            self.store.delete_rows(resource("applications"), [partial["id"]])
            return f"deleted application {partial['id']}"
        event_at = _timestamp(app.get("last_activity_at"))
        written = []
        if self.store.apply_partial(resource("applications"), partial, event_at):
            written.append(f"application {partial['id']}")
        candidate = candidate_partial(app["candidate"]) if isinstance(app.get("candidate"), dict) else None
        if candidate is not None and self.store.apply_partial(resource("candidates"), candidate, event_at):
            written.append(f"candidate {candidate['id']}")
        log.info("mirror_webhook_applied", action=action, application_id=partial["id"], written=len(written))
        return "upserted " + ", ".join(written) if written else "older than the mirror: unchanged"
