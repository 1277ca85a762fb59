"""HackerRank for Work API v3 adapter (hackerrank.com/work/apidocs), polled: no webhooks here.

Token auth (`Authorization: Bearer <token>`), JSON everywhere, at most ~10 requests/s (paced).
Known traps this adapter guards against:
- inviting to a draft (unpublished) test answers success but sends nothing: the test is read first
  and an invite answer without a test link is refused too;
- the score can be empty just after submission: the result is `completed` with `score=None`, and
  the caller polls again;
- deleting an already-deleted invite answers 404, which REST-style means "already gone".
`invitation_id` is `"<test_id>:<candidate_id>"` (no personal data).

Confirmed: `POST /x/api/v3/tests/{id}/candidates` invites by email; TestCandidate fields `id`,
`email`, `score`, `status` (-1 invited … 7 completed with report), `attempt_starttime`,
`attempt_endtime`, `invite_valid`, `invited_on`, `invite_valid_from`.
Unverified (kept in `FIELDS` and `_path` below): `test_link`, `pdf_url`, `report_url`,
`percentage_score`, `max_score`, `invite_valid_to`, the Test's `draft`/`state`, the cancel path
`DELETE .../candidates/{cid}/invite` and the email filter used for idempotency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx
from pydantic import AwareDatetime, SecretStr

from integrations.assessments.http import (
    Pacer,
    ProviderHttp,
    Sleep,
    require_pdf,
    same_origin,
)
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
    ProviderRejectedError,
    ProviderUnavailableError,
)

BASE_URL = "https://www.hackerrank.com/x/api/v3"
REQUEST_INTERVAL = 0.1  # ~10 requests/s
STATUS_INVITED, STATUS_REPORTED = -1, 7
PAGE_SIZE, MAX_PAGES = 100, 20
FIELDS = {
    "test_link": "test_link",
    "pdf": "pdf_url",
    "report": "report_url",
    "percentage": "percentage_score",
    "max_score": "max_score",
    "valid_to": "invite_valid_to",
}


def _when(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str) or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        return None


def split_invitation_id(invitation_id: str) -> tuple[str, str]:
    """(test id, candidate id) out of `"<test_id>:<candidate_id>"`."""
    test_id, sep, candidate_id = invitation_id.partition(":")
    if not sep:
        raise ProviderRejectedError("hackerrank: malformed invitation id")
    return path_id(test_id, "test id"), path_id(candidate_id)


def _published(test: Mapping[str, Any]) -> bool:
    return not test.get("draft", False) and test.get("state", "active") not in ("draft", "archived")


class HackerRankProvider:
    """HackerRank for Work v3 with an API token."""

    def __init__(
        self,
        *,
        token: SecretStr,
        base_url: str = BASE_URL,
        http: httpx.AsyncClient | None = None,
        report_max_bytes: int = 10 * 1024 * 1024,
        sleep: Sleep | None = None,
        request_interval: float = REQUEST_INTERVAL,
    ) -> None:
        self._token = token
        self._base = base_url.rstrip("/")
        wait = sleep or asyncio.sleep
        self._http = ProviderHttp(http, "hackerrank", pacer=Pacer(request_interval, sleep=wait), sleep=wait)
        self._report_max = report_max_bytes

    @property
    def name(self) -> ProviderName:
        return "hackerrank"

    @property
    def webhooks(self) -> bool:
        return False

    async def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token.get_secret_value()}"}
        reply = await self._http.send(method, self._base + path, headers=headers, **kwargs)
        data = reply.json("hackerrank")
        if not isinstance(data, dict):
            raise ProviderUnavailableError("hackerrank: unexpected answer shape")
        return data

    async def list_tests(self) -> list[AssessmentTest]:
        tests: list[AssessmentTest] = []
        for test in await self._all_tests():
            if (
                not isinstance(test, dict)
                or not test.get("id")
                or not test.get("name")
                or not _published(test)
            ):
                continue
            duration = _number(test.get("duration"))
            tests.append(
                AssessmentTest(
                    provider="hackerrank",
                    test_id=str(test["id"])[:128],
                    name=str(test["name"])[:300],
                    duration_minutes=int(duration) if duration and duration >= 1 else None,
                )
            )
        return tests

    async def _all_tests(self) -> list[Any]:
        """Every page of `/tests` (100 a page, at most `MAX_PAGES`: a bound against a looping `next`)."""
        found: list[Any] = []
        for page in range(MAX_PAGES):
            data = await self._json("GET", "/tests", params={"limit": PAGE_SIZE, "offset": page * PAGE_SIZE})
            items = data.get("data") or []
            found.extend(items)
            if not data.get("next") or len(items) < PAGE_SIZE:
                break
        return found

    async def _existing(self, test_id: str, email: str) -> dict[str, Any] | None:
        # Unverified filter syntax: TestCandidate's `email` is documented as filterable.
        data = await self._json("GET", f"/tests/{test_id}/candidates", params={"filter": f"email:{email}"})
        for candidate in data.get("data") or []:
            if isinstance(candidate, dict) and str(candidate.get("email", "")).lower() == email.lower():
                if candidate.get("invite_valid", True) and candidate.get("id"):
                    return candidate
        return None

    async def invite(self, request: InviteRequest) -> Invitation:
        test_id = path_id(request.test_id, "test id")
        test = await self._json("GET", f"/tests/{test_id}")
        if not _published(test):
            raise ProviderRejectedError(
                "hackerrank: the test is not published (an invite would send nothing)"
            )
        email = request.candidate.email
        candidate = await self._existing(test_id, email)
        if candidate is None:
            full_name = f"{request.candidate.first_name} {request.candidate.last_name}".strip()
            body = {
                "email": email,
                "full_name": full_name or None,
                "send_email": True,
                "tags": [request.reference],
                FIELDS["valid_to"]: request.deadline.isoformat(),
            }
            candidate = await self._json("POST", f"/tests/{test_id}/candidates", json=body)
        link = candidate.get(FIELDS["test_link"])
        if not candidate.get("id") or not isinstance(link, str) or not link.startswith("https://"):
            raise ProviderRejectedError(
                "hackerrank: invite accepted but no test link came back (draft test?)"
            )
        return Invitation(
            provider="hackerrank",
            invitation_id=f"{test_id}:{path_id(str(candidate['id']))}",
            test_url=link,
            invited_at=_when(candidate.get("invited_on")) or datetime.now().astimezone(),
            deadline=_when(candidate.get(FIELDS["valid_to"])) or request.deadline,
        )

    async def cancel(self, invitation_id: str) -> None:
        test_id, cid = split_invitation_id(invitation_id)
        result = await self.fetch_result(invitation_id)
        if result.status in ("completed", "cancelled", "expired"):
            return
        headers = {"Authorization": f"Bearer {self._token.get_secret_value()}"}
        path = f"{self._base}/tests/{test_id}/candidates/{cid}/invite"
        await self._http.send("DELETE", path, headers=headers, accept=(404,))

    async def extend(self, invitation_id: str, deadline: AwareDatetime) -> None:
        test_id, cid = split_invitation_id(invitation_id)
        body = {FIELDS["valid_to"]: deadline.isoformat()}
        await self._json("PUT", f"/tests/{test_id}/candidates/{cid}", json=body)

    async def _candidate(self, invitation_id: str) -> dict[str, Any]:
        test_id, cid = split_invitation_id(invitation_id)
        return await self._json("GET", f"/tests/{test_id}/candidates/{cid}")

    async def fetch_result(self, invitation_id: str) -> AssessmentResult:
        c = await self._candidate(invitation_id)
        ended, started = _when(c.get("attempt_endtime")), _when(c.get("attempt_starttime"))
        status = _status(c, ended, started)
        report = c.get(FIELDS["report"])
        details = {"percentage_score": p} if (p := _number(c.get(FIELDS["percentage"]))) is not None else {}
        return AssessmentResult(
            invitation_id=invitation_id,
            status=status,
            score=_number(c.get("score")) if status == "completed" else None,
            max_score=_number(c.get(FIELDS["max_score"])) or None,
            report_url=report if isinstance(report, str) and report.startswith("https://") else None,
            completed_at=ended,
            details=details,
        )

    async def fetch_report(self, invitation_id: str) -> bytes | None:
        url = (await self._candidate(invitation_id)).get(FIELDS["pdf"])
        if not isinstance(url, str) or not url.startswith("https://"):
            return None
        headers = (
            {"Authorization": f"Bearer {self._token.get_secret_value()}"}
            if same_origin(url, self._base)
            else {}
        )
        reply = await self._http.send("GET", url, headers=headers, accept=(404,), max_bytes=self._report_max)
        return None if reply.status == 404 else require_pdf(reply.content, "hackerrank")

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, now: datetime) -> list[ProviderEvent]:
        raise InvalidWebhookError("hackerrank delivers no webhooks here: poll fetch_result")

    async def aclose(self) -> None:
        await self._http.aclose()


def _status(c: Mapping[str, Any], ended: datetime | None, started: datetime | None) -> InvitationStatus:
    if ended is not None or c.get("status") == STATUS_REPORTED:
        return "completed"
    if started is not None:
        return "started"
    if c.get("invite_valid", True) is False:
        valid_to = _when(c.get(FIELDS["valid_to"]))
        return (
            "expired" if valid_to is not None and valid_to <= datetime.now(valid_to.tzinfo) else "cancelled"
        )
    return "invited"
