"""Request bodies of `/api/*` and the JSON views of an invitation (docs/assessments-sandbox-api.md).

Bodies are parsed by hand (not by FastAPI) so unparseable JSON answers 400 and invalid fields 422, both
as `{"error": "..."}`; every string is bounded.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, TypeVar

from fastapi import Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from sandbox.assessments.catalog import MAX_SCORE
from sandbox.assessments.errors import ApiError
from sandbox.assessments.state import SandboxState
from sandbox.assessments.tables import InvitationRow, utc

M = TypeVar("M", bound=BaseModel)
EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"'.]+")


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class InviteBody(Body):
    test_id: str = Field(min_length=1, max_length=128)
    email: str = Field(min_length=3, max_length=320)
    first_name: str = Field(default="", max_length=200)
    last_name: str = Field(default="", max_length=200)
    deadline: AwareDatetime
    reference: str = Field(min_length=1, max_length=200)
    callback_url: str | None = Field(default=None, max_length=2000)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.fullmatch(value):
            raise ValueError("not an email address")
        return value

    @field_validator("callback_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value or None


class ExtendBody(Body):
    deadline: AwareDatetime


async def parse_body(request: Request, model: type[M]) -> M:
    raw = await request.body()
    try:
        data: Any = json.loads(raw)
    except ValueError:
        raise ApiError(400, "request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiError(422, f"{where}: {str(first['msg']).removeprefix('Value error, ')}") from None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else utc(value).isoformat()


def created_view(state: SandboxState, row: InvitationRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "test_url": state.test_url(row.token),
        "status": row.status,
        "deadline": _iso(row.deadline),
        "invited_at": _iso(row.invited_at),
    }


def status_view(state: SandboxState, row: InvitationRow) -> dict[str, Any]:
    completed = row.status == "completed"
    return {
        "id": row.id,
        "test_id": row.test_id,
        "status": row.status,
        "score": row.score if completed else None,
        "max_score": MAX_SCORE,
        "percentile": row.percentile if completed else None,
        "report_url": state.report_url(row.id) if completed else None,
        "completed_at": _iso(row.completed_at),
        "deadline": _iso(row.deadline),
    }
