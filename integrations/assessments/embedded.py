"""Client of the embedded assessment sandbox, exactly per docs/assessments-sandbox-api.md.

Bearer token on `/api/*`; the sandbox honours `reference` as an idempotency key, so `invite` is a
single POST. Completion webhooks carry `X-Assessment-Signature` (see signatures.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, ValidationError

from integrations.assessments import signatures
from integrations.assessments.http import ProviderHttp, Sleep, require_pdf
from integrations.assessments.ids import path_id
from models.assessments import (
    AssessmentResult,
    AssessmentTest,
    InvalidWebhookError,
    Invitation,
    InvitationStatus,
    InviteRequest,
    ProviderEvent,
    ProviderName,
    ProviderUnavailableError,
)

SIGNATURE_HEADER = "X-Assessment-Signature"
DEFAULT_REPORT_MAX_BYTES = 10 * 1024 * 1024

_EVENT_KINDS: dict[str, Literal["started", "completed", "expired"]] = {
    "invitation.started": "started",
    "invitation.completed": "completed",
    "invitation.expired": "expired",
}


class _Test(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str | int
    name: str
    duration_minutes: int | None = None
    max_score: float | None = None


class _Invitation(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str | int
    test_url: str
    deadline: AwareDatetime
    invited_at: AwareDatetime


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str | int
    status: InvitationStatus
    score: float | None = None
    max_score: float | None = None
    percentile: float | None = Field(default=None, ge=0, le=100)
    report_url: str | None = None
    completed_at: AwareDatetime | None = None


class _Webhook(BaseModel):
    model_config = ConfigDict(extra="ignore")
    event_id: str = Field(min_length=1, max_length=200)
    type: str = Field(max_length=100)
    invitation_id: str | int | None = None
    test_id: str | int | None = None
    occurred_at: AwareDatetime | None = None


def _parse(model: type[Any], data: Any, what: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProviderUnavailableError(f"embedded: unexpected {what} shape") from exc


class EmbeddedProvider:
    """The embedded sandbox (`hireflow sandbox assessments`, 127.0.0.1:8710 in `hireflow dev`)."""

    def __init__(
        self,
        *,
        base_url: str,
        token: SecretStr,
        webhook_secret: SecretStr,
        http: httpx.AsyncClient | None = None,
        report_max_bytes: int = DEFAULT_REPORT_MAX_BYTES,
        sleep: Sleep | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._secret = webhook_secret
        self._http = ProviderHttp(http, "embedded", sleep=sleep or asyncio.sleep)
        self._report_max = report_max_bytes

    @property
    def name(self) -> ProviderName:
        return "embedded"

    @property
    def webhooks(self) -> bool:
        return True

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token.get_secret_value()}"}

    def _url(self, path: str) -> str:
        return f"{self._base}{path}"

    async def list_tests(self) -> list[AssessmentTest]:
        reply = await self._http.send("GET", self._url("/api/tests"), headers=self._auth())
        data = reply.json("embedded")
        if not isinstance(data, list):
            raise ProviderUnavailableError("embedded: unexpected tests shape")
        tests = [_parse(_Test, item, "test") for item in data]
        return [
            AssessmentTest(
                provider="embedded",
                test_id=str(t.id),
                name=t.name,
                duration_minutes=t.duration_minutes,
                max_score=t.max_score,
            )
            for t in tests
        ]

    async def invite(self, request: InviteRequest) -> Invitation:
        body = {
            "test_id": request.test_id,
            "email": request.candidate.email,
            "first_name": request.candidate.first_name,
            "last_name": request.candidate.last_name,
            "deadline": request.deadline.isoformat(),
            "reference": request.reference,
            "callback_url": request.callback_url,
        }
        reply = await self._http.send("POST", self._url("/api/invitations"), json=body, headers=self._auth())
        inv: _Invitation = _parse(_Invitation, reply.json("embedded"), "invitation")
        return Invitation(
            provider="embedded",
            invitation_id=str(inv.id),
            test_url=str(httpx.URL(self._base + "/").join(inv.test_url)),
            invited_at=inv.invited_at,
            deadline=inv.deadline,
        )

    async def cancel(self, invitation_id: str) -> None:
        path = f"/api/invitations/{path_id(invitation_id)}/cancel"
        # 409: already completed, and a completed invitation stays completed: nothing to cancel.
        await self._http.send("POST", self._url(path), headers=self._auth(), accept=(409,))

    async def extend(self, invitation_id: str, deadline: AwareDatetime) -> None:
        path = f"/api/invitations/{path_id(invitation_id)}/extend"
        body = {"deadline": deadline.isoformat()}
        await self._http.send("POST", self._url(path), json=body, headers=self._auth())

    async def fetch_result(self, invitation_id: str) -> AssessmentResult:
        path = f"/api/invitations/{path_id(invitation_id)}"
        reply = await self._http.send("GET", self._url(path), headers=self._auth())
        state: _State = _parse(_State, reply.json("embedded"), "invitation")
        return AssessmentResult(
            invitation_id=str(state.id),
            status=state.status,
            score=state.score,
            max_score=state.max_score,
            percentile=state.percentile,
            report_url=state.report_url,
            completed_at=state.completed_at,
        )

    async def fetch_report(self, invitation_id: str) -> bytes | None:
        path = f"/api/invitations/{path_id(invitation_id)}/report.pdf"
        reply = await self._http.send(
            "GET", self._url(path), headers=self._auth(), accept=(404,), max_bytes=self._report_max
        )
        if reply.status == 404:
            return None
        return require_pdf(reply.content, "embedded")

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, now: datetime) -> list[ProviderEvent]:
        signatures.verify(
            signatures.header(headers, SIGNATURE_HEADER), body, self._secret.get_secret_value().encode(), now
        )
        try:
            hook = _Webhook.model_validate_json(body)
        except ValidationError as exc:
            raise InvalidWebhookError("embedded webhook: unexpected shape") from exc
        kind = _EVENT_KINDS.get(hook.type)
        if kind is None:
            return []
        return [
            ProviderEvent(
                provider="embedded",
                event_id=hook.event_id,
                kind=kind,
                invitation_id=None if hook.invitation_id is None else str(hook.invitation_id),
                test_id=None if hook.test_id is None else str(hook.test_id),
                occurred_at=hook.occurred_at,
            )
        ]

    async def aclose(self) -> None:
        await self._http.aclose()
