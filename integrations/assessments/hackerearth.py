"""HackerEarth Recruiter API v2 adapter (hackerearth.com/docs/api/recruiter/v2/, webhooks v1).

Every call is a POST of JSON with `client_id` and `client_secret` in the body. HackerEarth knows a
candidate by (test, email) and has no invitation id or idempotency key, so:
- `invitation_id` is `"<test_id>:<email>"`: it CONTAINS THE EMAIL, so treat it as candidate data (it
  lives in encrypted Temporal payloads; never put it in a workflow id, search attribute or log line);
- `invite` asks the invite status first and re-invites nobody already invited.
Webhooks (`HE-Signature: t=..,v1=..`, same scheme as the sandbox) name the candidate by email and
test id; the workflow side maps them to its invitation.

Confirmed in the docs: endpoint paths, body auth, `emails` (1-150), `send_email`, `extra_parameters.
report_callback_urls`, published-tests-only, the webhook envelope and its three assessment events,
retries with an incremented `webhook_attempt_number` and the same `webhook_event_id`.
Unverified (answers are not shown in the docs we could read): the answer fields, all in `_ANSWER` and
the `_read_*` helpers below, kept in one place so a recorded answer can correct them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, ValidationError

from integrations.assessments import signatures
from integrations.assessments.http import ProviderHttp, Sleep, require_pdf
from models.assessments import (
    AssessmentResult,
    AssessmentTest,
    InvalidWebhookError,
    Invitation,
    InvitationStatus,
    InviteRequest,
    ProviderEvent,
    ProviderName,
    ProviderRejectedError,
    ProviderUnavailableError,
)

BASE_URL = "https://api.hackerearth.com"
SIGNATURE_HEADER = "HE-Signature"
PATHS = {
    "invite": "/partner/hackerearth/invite/",
    "cancel": "/partner/hackerearth/cancel-invite/",
    "status": "/partner/hackerearth/invites-status/",
    "report": "/partner/hackerearth/events/candidates/report/",
    "tests": "/partner/hackerearth/events-list/",
}
# Unverified answer shapes: `mcode` "SUCCESS" on success (anything else is a refusal), and the keys
# each answer is read from.
_ANSWER = {
    "ok_mcode": "SUCCESS",
    "invite_urls": "invite_urls",  # {email: test link}
    "status_map": "invites_status",  # {email: "invited" | "started" | "completed" | ...}
    "report": "report",  # candidate report object
    "tests": "events",  # [{id, title, duration, max_score}]
}
_EVENTS: dict[str, Literal["started", "completed", "report_updated"]] = {
    "CANDIDATE_TEST_STARTED": "started",
    "CANDIDATE_TEST_FINISHED": "completed",
    "CANDIDATE_REPORT_UPDATED": "report_updated",
}
_TEST_ID = re.compile(r"[0-9]{1,18}")


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")
    webhook_event_id: str = Field(min_length=1, max_length=200)
    webhook_event_type: str = Field(max_length=100)
    webhook_attempt_number: int = Field(ge=1)
    webhook_payload: dict[str, Any]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    test_id: int
    email: str = Field(min_length=3, max_length=320)
    start_datetime: str | None = Field(default=None, max_length=64)
    finish_datetime: str | None = Field(default=None, max_length=64)


def split_invitation_id(invitation_id: str) -> tuple[int, str]:
    """(test id, email) out of `"<test_id>:<email>"`."""
    test_id, sep, email = invitation_id.partition(":")
    if not sep or not _TEST_ID.fullmatch(test_id) or "@" not in email or len(email) > 320:
        raise ProviderRejectedError("hackerearth: malformed invitation id")
    return int(test_id), email


def _when(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class HackerEarthProvider:
    """HackerEarth Recruiter API v2 with client id and secret."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: SecretStr,
        webhook_secret: SecretStr | None,
        base_url: str = BASE_URL,
        http: httpx.AsyncClient | None = None,
        report_max_bytes: int = 10 * 1024 * 1024,
        sleep: Sleep | None = None,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._webhook_secret = webhook_secret
        self._base = base_url.rstrip("/")
        self._http = ProviderHttp(http, "hackerearth", sleep=sleep or asyncio.sleep)
        self._report_max = report_max_bytes

    @property
    def name(self) -> ProviderName:
        return "hackerearth"

    @property
    def webhooks(self) -> bool:
        return True

    async def _call(self, what: str, **fields: Any) -> dict[str, Any]:
        body = {
            "client_id": self._client_id,
            "client_secret": self._client_secret.get_secret_value(),
            **fields,
        }
        reply = await self._http.send("POST", self._base + PATHS[what], json=body)
        data = reply.json("hackerearth")
        if not isinstance(data, dict):
            raise ProviderUnavailableError(f"hackerearth: unexpected {what} answer")
        mcode = data.get("mcode")
        if mcode is not None and mcode != _ANSWER["ok_mcode"]:
            # The message may quote emails: only the fact of the refusal is reported.
            raise ProviderRejectedError(f"hackerearth: {what} refused")
        return data

    async def list_tests(self) -> list[AssessmentTest]:
        data = await self._call("tests")
        events = data.get(_ANSWER["tests"])
        if not isinstance(events, list):
            raise ProviderUnavailableError("hackerearth: unexpected tests answer")
        tests = []
        for event in events:
            if not isinstance(event, dict) or "id" not in event or not event.get("title"):
                continue
            duration = _number(event.get("duration"))
            tests.append(
                AssessmentTest(
                    provider="hackerearth",
                    test_id=str(event["id"]),
                    name=str(event["title"])[:300],
                    duration_minutes=int(duration) if duration and duration >= 1 else None,
                    max_score=_number(event.get("max_score")) or None,
                )
            )
        return tests

    async def _status(self, test_id: int, email: str) -> str | None:
        data = await self._call("status", test_id=test_id, emails=[email])
        statuses = data.get(_ANSWER["status_map"])
        value = statuses.get(email) if isinstance(statuses, dict) else None
        return value.lower() if isinstance(value, str) else None

    async def invite(self, request: InviteRequest) -> Invitation:
        if not _TEST_ID.fullmatch(request.test_id):
            raise ProviderRejectedError("hackerearth: test ids are integers")
        test_id, email = int(request.test_id), request.candidate.email
        invitation_id = f"{test_id}:{email}"
        now = datetime.now().astimezone()
        link = f"https://assessment.hackerearth.com/challenges/hiring/{test_id}/"  # unverified fallback
        if await self._status(test_id, email) not in (None, "", "not_invited", "cancelled"):
            return Invitation(
                provider="hackerearth",
                invitation_id=invitation_id,
                test_url=link,
                invited_at=now,
                deadline=request.deadline,
            )
        extra: dict[str, Any] = {}
        if request.callback_url:
            extra["report_callback_urls"] = [request.callback_url]
        data = await self._call(
            "invite", test_id=test_id, emails=[email], send_email=True, extra_parameters=extra
        )
        urls = data.get(_ANSWER["invite_urls"])
        url = urls.get(email) if isinstance(urls, dict) else None
        return Invitation(
            provider="hackerearth",
            invitation_id=invitation_id,
            test_url=url if isinstance(url, str) and url.startswith("https://") else link,
            invited_at=now,
            deadline=request.deadline,
        )

    async def cancel(self, invitation_id: str) -> None:
        test_id, email = split_invitation_id(invitation_id)
        if await self._status(test_id, email) in ("completed", "cancelled"):
            return
        await self._call("cancel", test_id=test_id, emails=[email])

    async def extend(self, invitation_id: str, deadline: AwareDatetime) -> None:
        split_invitation_id(invitation_id)
        raise ProviderRejectedError("hackerearth: the API has no per-candidate deadline to extend")

    async def _report(self, invitation_id: str) -> dict[str, Any]:
        test_id, email = split_invitation_id(invitation_id)
        data = await self._call("report", test_id=test_id, email=email)
        report = data.get(_ANSWER["report"], data)
        return report if isinstance(report, dict) else {}

    async def fetch_result(self, invitation_id: str) -> AssessmentResult:
        report = await self._report(invitation_id)
        finished = _when(report.get("finish_datetime"))
        status: InvitationStatus = (
            "completed" if finished else "started" if _when(report.get("start_datetime")) else "invited"
        )
        percentile = _number(report.get("percentile"))
        link = report.get("report_link")
        details = {k: v for k in ("percentage",) if (v := _number(report.get(k))) is not None}
        return AssessmentResult(
            invitation_id=invitation_id,
            status=status,
            score=_number(report.get("total_score")) if finished else None,
            max_score=_number(report.get("max_score")),
            percentile=percentile if percentile is not None and 0 <= percentile <= 100 else None,
            report_url=link if isinstance(link, str) and link.startswith("https://") else None,
            completed_at=finished,
            details=details,
        )

    async def fetch_report(self, invitation_id: str) -> bytes | None:
        url = (await self._report(invitation_id)).get("pdf_report_url")
        if not isinstance(url, str) or not url.startswith("https://"):
            return None
        # A signed download link on HackerEarth's storage: no credentials travel with it.
        reply = await self._http.send("GET", url, accept=(404,), max_bytes=self._report_max)
        return None if reply.status == 404 else require_pdf(reply.content, "hackerearth")

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, now: datetime) -> list[ProviderEvent]:
        if self._webhook_secret is None:
            raise InvalidWebhookError("hackerearth: no webhook secret configured")
        secret = self._webhook_secret.get_secret_value().encode()
        signatures.verify(signatures.header(headers, SIGNATURE_HEADER), body, secret, now)
        try:
            envelope = _Envelope.model_validate_json(body)
            kind = _EVENTS.get(envelope.webhook_event_type)
            if kind is None:
                return []
            payload = _Payload.model_validate(envelope.webhook_payload)
        except ValidationError as exc:
            raise InvalidWebhookError("hackerearth webhook: unexpected shape") from exc
        return [
            ProviderEvent(
                provider="hackerearth",
                event_id=envelope.webhook_event_id,
                kind=kind,
                email=payload.email,
                test_id=str(payload.test_id),
                occurred_at=_when(payload.finish_datetime or payload.start_datetime),
            )
        ]

    async def aclose(self) -> None:
        await self._http.aclose()
