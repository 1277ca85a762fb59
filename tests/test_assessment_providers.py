"""Assessment providers over `httpx.MockTransport`: the embedded sandbox's contract, HackerEarth's and
HackerRank's recorded-style answers, and their error modes (no network, a few ms each)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from integrations.assessments.embedded import EmbeddedProvider
from integrations.assessments.errors import ProviderNotConfiguredError, ProviderThrottledError
from integrations.assessments.hackerearth import HackerEarthProvider
from integrations.assessments.hackerrank import HackerRankProvider
from integrations.assessments.http import Pacer, retry_after_seconds
from integrations.assessments.provider import AssessmentProvider
from integrations.assessments.registry import provider_from_settings
from integrations.assessments.signatures import sign
from models.assessments import (
    CandidateRef,
    InvalidWebhookError,
    InviteRequest,
    ProviderRejectedError,
    ProviderUnavailableError,
)
from models.settings import Settings

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
TOKEN = "sandbox-assessments-token"
SECRET = b"sandbox-assessment-webhook-secret"
PDF = b"%PDF-1.4 report"
Handler = Callable[[httpx.Request], httpx.Response]


async def no_sleep(_: float) -> None:
    return None


def request(test_id: str = "python-basics", reference: str = "assess-1-python-1") -> InviteRequest:
    return InviteRequest(
        reference=reference,
        test_id=test_id,
        candidate=CandidateRef(email="grace@example.com", first_name="Grace", last_name="Bianchi"),
        deadline=NOW + timedelta(days=7),
        job_name="Backend Engineer",
    )


class FakeSandbox:
    """The embedded sandbox's API as docs/assessments-sandbox-api.md describes it."""

    def __init__(self) -> None:
        self.invitations: dict[str, dict[str, Any]] = {}
        self.by_reference: dict[str, str] = {}
        self.posts = 0

    def __call__(self, req: httpx.Request) -> httpx.Response:
        if req.headers.get("Authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"error": "unauthorised"})
        path = req.url.path
        if path == "/api/tests":
            return httpx.Response(
                200,
                json=[
                    {
                        "id": "python-basics",
                        "name": "Python basics",
                        "duration_minutes": 20,
                        "max_score": 100,
                        "questions": 5,
                    }
                ],
            )
        if path == "/api/invitations" and req.method == "POST":
            return self._invite(json.loads(req.content))
        parts = path.split("/")
        inv = self.invitations.get(parts[3]) if len(parts) > 3 else None
        if inv is None:
            return httpx.Response(404, json={"error": "unknown"})
        action = parts[4] if len(parts) > 4 else ""
        if action == "cancel":
            if inv["status"] == "completed":
                return httpx.Response(409, json={"error": "completed"})
            inv["status"] = "cancelled"
            return httpx.Response(200, json={"id": inv["id"], "status": "cancelled"})
        if action == "extend":
            inv["deadline"] = json.loads(req.content)["deadline"]
            return httpx.Response(200, json={"deadline": inv["deadline"]})
        if action == "report.pdf":
            if inv["status"] != "completed":
                return httpx.Response(404, json={"error": "not yet"})
            return httpx.Response(200, content=PDF, headers={"Content-Type": "application/pdf"})
        return httpx.Response(200, json=inv)

    def _invite(self, body: dict[str, Any]) -> httpx.Response:
        if body["test_id"] != "python-basics":
            return httpx.Response(404, json={"error": "unknown test"})
        if "@" not in body["email"]:
            return httpx.Response(422, json={"error": "bad email"})
        if body["reference"] in self.by_reference:
            return httpx.Response(200, json=self.invitations[self.by_reference[body["reference"]]])
        self.posts += 1
        inv_id = f"inv{self.posts}"
        self.by_reference[body["reference"]] = inv_id
        self.invitations[inv_id] = {
            "id": inv_id,
            "test_id": body["test_id"],
            "status": "invited",
            "test_url": f"/take/tok{self.posts}",
            "deadline": body["deadline"],
            "invited_at": NOW.isoformat(),
            "score": None,
            "max_score": 100,
            "percentile": None,
            "report_url": None,
            "completed_at": None,
        }
        return httpx.Response(201, json=self.invitations[inv_id])


def embedded(handler: Handler, token: str = TOKEN) -> EmbeddedProvider:
    return EmbeddedProvider(
        base_url="http://127.0.0.1:8710",
        token=SecretStr(token),
        webhook_secret=SecretStr(SECRET.decode()),
        http=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        sleep=no_sleep,
        report_max_bytes=1024,
    )


# --- embedded ------------------------------------------------------------------------------------


async def test_embedded_lifecycle_is_idempotent() -> None:
    fake = FakeSandbox()
    provider = embedded(fake)
    assert isinstance(provider, AssessmentProvider)
    assert [t.test_id for t in await provider.list_tests()] == ["python-basics"]
    first = await provider.invite(request())
    again = await provider.invite(request())
    assert first.invitation_id == again.invitation_id and fake.posts == 1
    assert first.test_url == "http://127.0.0.1:8710/take/tok1"
    assert await provider.fetch_report(first.invitation_id) is None
    fake.invitations["inv1"].update(
        status="completed", score=82.5, percentile=90, completed_at=NOW.isoformat()
    )
    result = await provider.fetch_result(first.invitation_id)
    assert result.scored and result.score == 82.5 and result.percentile == 90
    assert await provider.fetch_report(first.invitation_id) == PDF
    await provider.cancel(first.invitation_id)  # 409 on a completed invitation: nothing to do
    assert fake.invitations["inv1"]["status"] == "completed"
    await provider.extend(first.invitation_id, NOW + timedelta(days=10))


async def test_embedded_refusals_and_outages() -> None:
    fake = FakeSandbox()
    with pytest.raises(ProviderRejectedError, match="credentials"):
        await embedded(fake, token="wrong").list_tests()
    with pytest.raises(ProviderRejectedError, match="404"):
        await embedded(fake).invite(request(test_id="nope"))
    with pytest.raises(ProviderRejectedError, match="malformed"):
        await embedded(fake).fetch_result("../../admin")
    with pytest.raises(ProviderUnavailableError):
        await embedded(lambda r: httpx.Response(503)).list_tests()
    with pytest.raises(ProviderUnavailableError, match="malformed JSON"):
        await embedded(lambda r: httpx.Response(200, content=b"<html>")).list_tests()

    def timeout(req: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=req)

    with pytest.raises(ProviderUnavailableError, match="timed out"):
        await embedded(timeout).list_tests()


async def test_embedded_report_is_capped_and_must_be_a_pdf() -> None:
    big = embedded(lambda r: httpx.Response(200, content=b"%PDF-" + b"x" * 5000))
    with pytest.raises(ProviderRejectedError, match="larger"):
        await big.fetch_report("inv1")
    html = embedded(lambda r: httpx.Response(200, content=b"<html>error</html>"))
    with pytest.raises(ProviderRejectedError, match="not a PDF"):
        await html.fetch_report("inv1")


async def test_429_waits_a_short_retry_after_once_and_reports_a_long_one() -> None:
    calls: list[int] = []

    def throttled_once(req: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "1"})
        return FakeSandbox()(req)

    assert await embedded(throttled_once).list_tests()
    with pytest.raises(ProviderThrottledError) as info:
        await embedded(lambda r: httpx.Response(429, headers={"Retry-After": "120"})).list_tests()
    assert info.value.retry_after == 120 and isinstance(info.value, ProviderUnavailableError)


def _hook(
    event: dict[str, Any], ts: int | None = None, secret: bytes = SECRET
) -> tuple[dict[str, str], bytes]:
    body = json.dumps(event).encode()
    return {"x-assessment-signature": sign(secret, ts or int(NOW.timestamp()), body)}, body


def test_embedded_webhook_verified_normalised_and_hostile_ones_refused() -> None:
    provider = embedded(FakeSandbox())
    event = {
        "event_id": "e1",
        "type": "invitation.completed",
        "invitation_id": "inv1",
        "test_id": "python-basics",
        "occurred_at": NOW.isoformat(),
    }
    (parsed,) = provider.parse_webhook(*_hook(event), NOW)
    assert (parsed.kind, parsed.invitation_id, parsed.event_id) == ("completed", "inv1", "e1")
    headers, body = _hook({**event, "type": "invitation.archived"})
    assert provider.parse_webhook(headers, body, NOW) == []
    stale = _hook(event, ts=int(NOW.timestamp()) - 301)
    forged = _hook(event, secret=b"other")
    tampered = (_hook(event)[0], _hook(event)[1].replace(b"inv1", b"inv2"))
    missing: tuple[dict[str, str], bytes] = ({}, _hook(event)[1])
    bad_shape = _hook({"type": "invitation.completed"})
    for headers, body in (stale, forged, tampered, missing, bad_shape):
        with pytest.raises(InvalidWebhookError):
            provider.parse_webhook(headers, body, NOW)
    with pytest.raises(InvalidWebhookError):
        provider.parse_webhook({"X-Assessment-Signature": "t=1," + "v1=a," * 400}, b"{}", NOW)


# --- HackerEarth ---------------------------------------------------------------------------------


def hackerearth(handler: Handler, webhook_secret: str | None = "he-secret") -> HackerEarthProvider:
    return HackerEarthProvider(
        client_id="cid",
        client_secret=SecretStr("csecret"),
        webhook_secret=SecretStr(webhook_secret) if webhook_secret else None,
        http=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        sleep=no_sleep,
    )


class FakeHackerEarth:
    """Recorded-style answers of the Recruiter API v2 (answer fields unverified, see hackerearth.py)."""

    def __init__(self) -> None:
        self.invited: set[tuple[int, str]] = set()
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, req: httpx.Request) -> httpx.Response:
        if req.method == "GET":  # the signed PDF link
            return httpx.Response(200, content=PDF)
        body = json.loads(req.content)
        self.bodies.append(body)
        if body.get("client_secret") != "csecret":
            return httpx.Response(401, json={"mcode": "ERROR", "message": "Invalid client"})
        path = req.url.path
        if path.endswith("/invites-status/"):
            email = body["emails"][0]
            return httpx.Response(
                200,
                json={
                    "mcode": "SUCCESS",
                    "invites_status": {
                        email: "invited" if (body["test_id"], email) in self.invited else "not_invited"
                    },
                },
            )
        if path.endswith("/invite/"):
            if body["test_id"] != 5841:
                return httpx.Response(200, json={"mcode": "ERROR", "message": "Test not published"})
            self.invited.update((body["test_id"], e) for e in body["emails"])
            return httpx.Response(
                200,
                json={
                    "mcode": "SUCCESS",
                    "invite_urls": {body["emails"][0]: "https://assessment.hackerearth.com/t/abc"},
                },
            )
        if path.endswith("/report/"):
            return httpx.Response(
                200,
                json={
                    "mcode": "SUCCESS",
                    "report": {
                        "total_score": 70,
                        "max_score": 100,
                        "percentage": 70,
                        "percentile": 81,
                        "start_datetime": "2026-12-07T10:00:00+00:00",
                        "finish_datetime": "2026-12-07T10:40:00+00:00",
                        "report_link": "https://www.hackerearth.com/r/1",
                        "pdf_report_url": "https://files.hackerearth.com/r/1.pdf",
                    },
                },
            )
        if path.endswith("/events-list/"):
            return httpx.Response(
                200,
                json={
                    "mcode": "SUCCESS",
                    "events": [{"id": 5841, "title": "Backend", "duration": 90}, {"bad": 1}],
                },
            )
        if path.endswith("/cancel-invite/"):
            return httpx.Response(200, json={"mcode": "SUCCESS"})
        return httpx.Response(200, content=PDF)


async def test_hackerearth_invites_once_by_test_and_email_and_reads_the_report() -> None:
    fake = FakeHackerEarth()
    provider = hackerearth(fake)
    first = await provider.invite(request(test_id="5841"))
    again = await provider.invite(request(test_id="5841"))
    assert first.invitation_id == again.invitation_id == "5841:grace@example.com"
    assert sum(1 for b in fake.bodies if "send_email" in b) == 1
    assert first.test_url == "https://assessment.hackerearth.com/t/abc"
    assert fake.bodies[1]["client_id"] == "cid" and fake.bodies[1]["emails"] == ["grace@example.com"]
    result = await provider.fetch_result(first.invitation_id)
    assert result.scored and result.score == 70 and result.percentile == 81 and result.status == "completed"
    assert await provider.fetch_report(first.invitation_id) == PDF
    assert [t.test_id for t in await provider.list_tests()] == ["5841"]
    with pytest.raises(ProviderRejectedError, match="refused"):
        await provider.invite(request(test_id="999"))  # unpublished: mcode error inside a 200
    with pytest.raises(ProviderRejectedError):
        await provider.extend(first.invitation_id, NOW)
    with pytest.raises(ProviderRejectedError, match="malformed"):
        await provider.fetch_result("5841:not-an-email")


async def test_hackerearth_error_modes() -> None:
    bad = HackerEarthProvider(
        client_id="cid",
        client_secret=SecretStr("wrong"),
        webhook_secret=None,
        http=httpx.AsyncClient(transport=httpx.MockTransport(FakeHackerEarth())),
    )
    with pytest.raises(ProviderRejectedError, match="credentials"):
        await bad.list_tests()
    with pytest.raises(ProviderUnavailableError):
        await hackerearth(lambda r: httpx.Response(502)).list_tests()
    with pytest.raises(ProviderUnavailableError, match="malformed"):
        await hackerearth(lambda r: httpx.Response(200, content=b"{")).list_tests()
    with pytest.raises(ProviderThrottledError):
        await hackerearth(lambda r: httpx.Response(429, headers={"Retry-After": "600"})).list_tests()


def test_hackerearth_webhooks_by_email_and_test_deduplicated_by_event_id() -> None:
    provider = hackerearth(FakeHackerEarth())
    envelope = {
        "webhook_event_id": "49f6b922",
        "webhook_event_type": "CANDIDATE_TEST_FINISHED",
        "webhook_attempt_number": 2,
        "webhook_payload": {
            "test_id": 1035542,
            "email": "alice@bob.com",
            "finish_datetime": "2019-08-05T10:11:46-05:51",
        },
    }
    body = json.dumps(envelope).encode()
    headers = {"HE-Signature": sign(b"he-secret", int(NOW.timestamp()), body)}
    (event,) = provider.parse_webhook(headers, body, NOW)
    assert (event.kind, event.email, event.test_id, event.event_id) == (
        "completed",
        "alice@bob.com",
        "1035542",
        "49f6b922",
    )
    assert event.invitation_id is None and event.occurred_at is not None
    other = json.dumps({**envelope, "webhook_event_type": "TEST_CONFIG_UPDATED"}).encode()
    assert (
        provider.parse_webhook({"HE-Signature": sign(b"he-secret", int(NOW.timestamp()), other)}, other, NOW)
        == []
    )
    with pytest.raises(InvalidWebhookError):
        provider.parse_webhook({"HE-Signature": sign(b"guess", int(NOW.timestamp()), body)}, body, NOW)
    with pytest.raises(InvalidWebhookError):
        hackerearth(FakeHackerEarth(), webhook_secret=None).parse_webhook(headers, body, NOW)
    broken = json.dumps({**envelope, "webhook_payload": {"email": "x"}}).encode()
    with pytest.raises(InvalidWebhookError):
        provider.parse_webhook(
            {"HE-Signature": sign(b"he-secret", int(NOW.timestamp()), broken)}, broken, NOW
        )


# --- HackerRank ----------------------------------------------------------------------------------


def hackerrank(handler: Handler) -> HackerRankProvider:
    return HackerRankProvider(
        token=SecretStr("hr-token"),
        http=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        sleep=no_sleep,
        request_interval=0,
    )


class FakeHackerRank:
    def __init__(self, *, draft: bool = False, score: float | None = 64.0) -> None:
        self.draft, self.score = draft, score
        self.candidates: dict[str, dict[str, Any]] = {}
        self.auth: list[str | None] = []

    def __call__(self, req: httpx.Request) -> httpx.Response:
        self.auth.append(req.headers.get("Authorization"))
        if req.url.host == "reports.example.net":
            return httpx.Response(200, content=PDF)
        if req.headers.get("Authorization") != "Bearer hr-token":
            return httpx.Response(401, json={"error": "Invalid token"})
        path = req.url.path.removeprefix("/x/api/v3")
        if path == "/tests":
            return httpx.Response(
                200,
                json={
                    "data": [
                        {"id": "111", "name": "Java", "duration": 60, "draft": False},
                        {"id": "222", "name": "Draft", "draft": True},
                    ]
                },
            )
        if path in ("/tests/111", "/tests/222"):
            return httpx.Response(200, json={"id": path[7:], "name": "t", "draft": self.draft})
        if path.startswith("/tests/") and path.count("/") == 2:
            return httpx.Response(404, json={"error": "Test not found"})
        if path == "/tests/111/candidates" and req.method == "GET":
            return httpx.Response(200, json={"data": list(self.candidates.values())})
        if path == "/tests/111/candidates":
            body = json.loads(req.content)
            if self.draft:
                return httpx.Response(201, json={"id": "9", "email": body["email"]})  # success, nothing sent
            self.candidates["9"] = {
                "id": "9",
                "email": body["email"],
                "status": -1,
                "invite_valid": True,
                "test_link": "https://www.hackerrank.com/tests/abc/login?b=x",
                "invited_on": NOW.isoformat(),
            }
            return httpx.Response(201, json=self.candidates["9"])
        if path == "/tests/111/candidates/9/invite":
            return httpx.Response(404 if "9" not in self.candidates else 200, json={})
        if path == "/tests/111/candidates/9":
            return httpx.Response(
                200,
                json={
                    **self.candidates["9"],
                    "status": 7,
                    "score": self.score,
                    "attempt_starttime": "2026-12-07T10:00:00Z",
                    "attempt_endtime": "2026-12-07T11:00:00Z",
                    "pdf_url": "https://reports.example.net/9.pdf",
                    "percentage_score": 64,
                },
            )
        return httpx.Response(404, json={"error": "not found"})


async def test_hackerrank_invite_poll_and_report_without_leaking_the_token() -> None:
    fake = FakeHackerRank()
    provider = hackerrank(fake)
    assert not provider.webhooks
    assert [t.test_id for t in await provider.list_tests()] == ["111"]
    first = await provider.invite(request(test_id="111"))
    again = await provider.invite(request(test_id="111"))
    assert first.invitation_id == again.invitation_id == "111:9"
    assert first.test_url.startswith("https://www.hackerrank.com/tests/")
    result = await provider.fetch_result(first.invitation_id)
    assert result.scored and result.score == 64 and result.details == {"percentage_score": 64}
    assert await provider.fetch_report(first.invitation_id) == PDF
    assert fake.auth[-1] is None  # the report host is not HackerRank's API: no token sent there
    with pytest.raises(InvalidWebhookError):
        provider.parse_webhook({}, b"{}", NOW)


async def test_hackerrank_error_modes() -> None:
    with pytest.raises(ProviderRejectedError, match="not published"):
        await hackerrank(FakeHackerRank(draft=True)).invite(request(test_id="222"))
    with pytest.raises(ProviderRejectedError, match="404"):
        await hackerrank(FakeHackerRank()).invite(request(test_id="404"))
    bad = HackerRankProvider(
        token=SecretStr("nope"), http=httpx.AsyncClient(transport=httpx.MockTransport(FakeHackerRank()))
    )
    with pytest.raises(ProviderRejectedError, match="credentials"):
        await bad.list_tests()
    empty = hackerrank(FakeHackerRank(score=None))
    await empty.invite(request(test_id="111"))
    result = await empty.fetch_result("111:9")
    assert result.status == "completed" and not result.scored  # score lags the submission: poll again
    with pytest.raises(ProviderThrottledError):
        await hackerrank(lambda r: httpx.Response(429, headers={"Retry-After": "30"})).list_tests()
    with pytest.raises(ProviderUnavailableError):
        await hackerrank(lambda r: httpx.Response(500)).list_tests()
    with pytest.raises(ProviderUnavailableError, match="malformed"):
        await hackerrank(lambda r: httpx.Response(200, content=b"not json")).list_tests()


async def test_hackerrank_success_without_a_test_link_is_refused() -> None:
    """The test reads as published, yet the invite answers success without a link: nothing was sent."""
    fake = FakeHackerRank()

    def no_link(req: httpx.Request) -> httpx.Response:
        if req.method == "POST":
            return httpx.Response(201, json={"id": "9", "email": "grace@example.com"})
        return fake(req)

    with pytest.raises(ProviderRejectedError, match="no test link"):
        await hackerrank(no_link).invite(request(test_id="111"))


# --- registry ------------------------------------------------------------------------------------


async def test_registry_builds_configured_providers_and_names_missing_settings() -> None:
    settings = Settings(_env_file=None)
    provider = provider_from_settings(settings, "embedded")
    assert provider.name == "embedded"
    await provider.aclose()
    for name in ("hackerearth", "hackerrank"):
        with pytest.raises(ProviderNotConfiguredError, match="set HIREFLOW_"):
            provider_from_settings(settings, name)
    with pytest.raises(ProviderNotConfiguredError, match="unknown"):
        provider_from_settings(settings, "mocha")
    configured = Settings(
        _env_file=None,
        hackerrank_token=SecretStr("t"),
        hackerearth_client_id="c",
        hackerearth_client_secret=SecretStr("s"),
    )
    assert provider_from_settings(configured, "hackerrank").name == "hackerrank"
    assert provider_from_settings(configured, "hackerearth").name == "hackerearth"


# --- shared HTTP pieces --------------------------------------------------------------------------


def test_retry_after_accepts_seconds_and_http_dates_and_ignores_garbage() -> None:
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds("Mon, 07 Dec 2026 12:00:30 GMT", now=NOW.timestamp()) == 30
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


async def test_pacer_spaces_requests() -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    pacer = Pacer(0.5, sleep=record)
    await pacer.wait()
    await pacer.wait()
    assert waits and 0.4 < waits[0] <= 0.5


async def test_declared_oversized_answer_is_refused_before_reading() -> None:
    huge = embedded(lambda r: httpx.Response(200, headers={"Content-Length": str(10**9)}, content=b"[]"))
    with pytest.raises(ProviderRejectedError, match="larger"):
        await huge.list_tests()
