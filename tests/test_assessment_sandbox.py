"""The embedded assessment provider over real HTTP, as Hireflow and a candidate's browser use it.

Each test runs its own sandbox on a free loopback port (it starts in milliseconds: nothing to seed) with
short webhook retry delays, and a tiny HTTP receiver stands in for Hireflow's webhook endpoint.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import hmac
import json
import mailbox
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from sandbox.assessments.config import AssessmentSandboxConfig
from sandbox.assessments.server import AssessmentSandboxServer
from tests.fixtures.mail import SinkHandle

pytestmark = pytest.mark.integration

TOKEN = "test-assessments-token"
SECRET = "test-assessment-webhook-secret"
RETRIES = (0.05, 0.1, 0.2)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Receiver:
    """A minimal HTTP/1.1 endpoint that records requests and answers the queued statuses (then 200)."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/hooks/assessments"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.received.append((headers, body))
        status = self.statuses.pop(0) if self.statuses else 200
        writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        writer.close()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


class FormParser(HTMLParser):
    """The candidate page's form: its action, hidden fields and radio groups."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.hidden: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action", "")
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") == "radio":
            self.radios.setdefault(a["name"], []).append(a["value"])


def parse_form(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


def verify(headers: dict[str, str], body: bytes, secret: str = SECRET) -> bool:
    parts = dict(item.split("=", 1) for item in headers["x-assessment-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), parts["v1"].encode())


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def invite_body(reference: str = "assess-1-python-basics#1", **overrides: Any) -> dict[str, Any]:
    return {
        "test_id": "python-basics",
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "deadline": in_days(3),
        "reference": reference,
        **overrides,
    }


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as r:
        yield r


@pytest_asyncio.fixture
async def sandbox(receiver: Receiver) -> AsyncIterator[AssessmentSandboxServer]:
    config = AssessmentSandboxConfig(
        token=TOKEN, webhook_secret=SECRET, webhook_url=receiver.url, retry_delays=RETRIES
    )
    async with AssessmentSandboxServer(config) as server:
        yield server


@pytest_asyncio.fixture
async def api(sandbox: AssessmentSandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=AUTH, timeout=10) as client:
        yield client


async def invite(api: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await api.post("/api/invitations", json=invite_body(**overrides))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def open_test(test_url: str) -> tuple[httpx.Response, FormParser]:
    async with httpx.AsyncClient(timeout=10) as browser:
        page = await browser.get(test_url)
    return page, parse_form(page.text)


async def submit(
    sandbox: AssessmentSandboxServer, form: FormParser, answers: dict[str, str]
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=sandbox.base_url, timeout=10) as browser:
        return await browser.post(form.action, data={**form.hidden, **answers})


# -- auth and catalogue -------------------------------------------------------------------------------------


async def test_api_needs_the_bearer_token(sandbox: AssessmentSandboxServer) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
            response = await client.get("/api/tests", headers=headers)
            assert response.status_code == 401
            assert "error" in response.json()
        assert (await client.post("/api/invitations", json=invite_body())).status_code == 401
        tests = (await client.get("/api/tests", headers=AUTH)).json()
    assert {t["id"] for t in tests} == {"python-basics", "sql-fundamentals", "system-design-lite"}
    for test in tests:
        assert set(test) == {"id", "name", "duration_minutes", "max_score", "questions"}
        assert 3 <= test["questions"] <= 5 and test["max_score"] == 100


# -- invitations ---------------------------------------------------------------------------------------------


async def test_invite_is_idempotent_by_reference(api: httpx.AsyncClient, receiver: Receiver) -> None:
    first = await invite(api)
    assert first["status"] == "invited" and first["id"] not in first["test_url"]
    again = await api.post("/api/invitations", json=invite_body(email="other@example.com"))
    assert again.status_code == 200
    assert again.json() == first
    other = await invite(api, reference="assess-2-python-basics#1")
    assert other["id"] != first["id"] and other["test_url"] != first["test_url"]
    status = (await api.get(f"/api/invitations/{first['id']}")).json()
    assert status["status"] == "invited" and status["score"] is None and status["report_url"] is None
    assert receiver.received == []  # inviting sends nothing


BAD_INVITES = [
    (invite_body(test_id="no-such-test"), 404),
    (invite_body(email="not-an-email"), 422),
    (invite_body(email="a@b.co<script>"), 422),
    (invite_body(deadline=in_days(-1)), 422),
    (invite_body(deadline="2030-01-01T00:00:00"), 422),  # no offset
    (invite_body(deadline=in_days(400)), 422),
    (invite_body(first_name="x" * 201), 422),
    (invite_body(reference=""), 422),
    (invite_body(callback_url="file:///etc/passwd"), 422),
    ({"test_id": "python-basics"}, 422),
]


async def test_invite_refuses_bad_requests(api: httpx.AsyncClient) -> None:
    for body, status in BAD_INVITES:
        response = await api.post("/api/invitations", json=body)
        assert response.status_code == status, body
        assert set(response.json()) == {"error"}
    assert (await api.get("/_sandbox/webhooks")).json() == []


async def test_unknown_invitations_and_hostile_bodies(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/invitations/inv_nope")).status_code == 404
    assert (await api.get("/api/invitations/" + "x" * 5000)).status_code == 404
    assert (await api.post("/api/invitations/inv_nope/cancel")).status_code == 404
    assert (await api.get("/api/invitations/inv_nope/report.pdf")).status_code == 404
    bad_json = await api.post(
        "/api/invitations", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400 and bad_json.json() == {"error": "request body is not valid JSON"}
    assert (await api.post("/api/invitations", json=[1, 2])).status_code == 400
    huge = await api.post("/api/invitations", content=b"x" * 200_000)
    assert huge.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(100):
            yield b"y" * 4096

    streamed = await api.post("/api/invitations", content=chunks())
    assert streamed.status_code == 413


# -- the candidate's page, scoring, report and webhooks ------------------------------------------------------


async def test_candidate_takes_the_test_through_the_form(
    sandbox: AssessmentSandboxServer, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    invitation = await invite(api)
    page, form = await open_test(invitation["test_url"])
    assert page.status_code == 200 and "<script" not in page.text
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["x-frame-options"] == "DENY"
    assert sorted(form.radios) == ["q0", "q1", "q2", "q3"] and form.hidden["nonce"]
    assert (await api.get(f"/api/invitations/{invitation['id']}")).json()["status"] == "started"
    assert (await api.get(f"/api/invitations/{invitation['id']}/report.pdf")).status_code == 404

    # right, right, wrong, unanswered: 2 of 4
    done = await submit(sandbox, form, {"q0": "1", "q1": "2", "q2": "0"})
    assert done.status_code == 200 and "Thank you" in done.text
    result = (await api.get(f"/api/invitations/{invitation['id']}")).json()
    assert result["status"] == "completed" and result["score"] == 50.0 and result["max_score"] == 100
    assert result["percentile"] == 25.0  # cohort (25, 50, 50, 50, 75, ...): 1 below, 3 half-counted, of 10
    assert result["report_url"] == f"{sandbox.base_url}/api/invitations/{invitation['id']}/report.pdf"
    assert datetime.fromisoformat(result["completed_at"]).tzinfo is not None
    report = await api.get(result["report_url"])
    assert report.status_code == 200 and report.headers["content-type"] == "application/pdf"
    assert report.content.startswith(b"%PDF")

    await eventually(lambda: len(receiver.received) == 2)
    started, completed = receiver.events()
    assert [started["type"], completed["type"]] == ["invitation.started", "invitation.completed"]
    assert completed["invitation_id"] == invitation["id"] and completed["test_id"] == "python-basics"
    assert started["event_id"] != completed["event_id"]
    assert all(verify(headers, body) for headers, body in receiver.received)
    assert not verify(*receiver.received[0], secret="another-secret")

    again = await submit(sandbox, form, {"q0": "1", "q1": "2", "q2": "2", "q3": "1"})
    assert again.status_code == 409
    assert (await api.get(f"/api/invitations/{invitation['id']}")).json()["score"] == 50.0
    revisit, _ = await open_test(invitation["test_url"])
    assert revisit.status_code == 200 and "already submitted" in revisit.text
    assert len(receiver.received) == 2


async def test_callback_url_wins_and_a_failed_delivery_is_retried_with_the_same_event_id(
    sandbox: AssessmentSandboxServer, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    async with Receiver() as own:
        own.statuses = [500, 503]
        invitation = await invite(api, callback_url=own.url)
        await open_test(invitation["test_url"])
        await eventually(lambda: len(own.received) == 3)
    assert receiver.received == []
    ids = {event["event_id"] for event in own.events()}
    assert len(ids) == 1
    assert all(verify(headers, body) for headers, body in own.received)
    [delivery] = await sandbox.webhook_deliveries()
    assert delivery["delivered"] and [a["status"] for a in delivery["attempts"]] == [500, 503, 200]
    assert delivery["event_id"] in ids and delivery["type"] == "invitation.started"


async def test_faults_lose_webhooks_and_break_the_api(
    sandbox: AssessmentSandboxServer, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    invitation = await invite(api)
    await sandbox.set_faults(lose_webhooks=True)
    await open_test(invitation["test_url"])
    [delivery] = await sandbox.webhook_deliveries()
    assert delivery["lost"] and not delivery["delivered"] and delivery["attempts"] == []
    await asyncio.sleep(0.1)
    assert receiver.received == []

    await sandbox.set_faults(status=503)
    assert (await api.get("/api/tests")).status_code == 503
    await sandbox.set_faults(latency_ms=150)
    started = time.monotonic()
    assert (await api.get("/api/tests")).status_code == 200
    assert time.monotonic() - started >= 0.15
    await sandbox.clear_faults()
    assert (await api.get("/api/tests")).status_code == 200
    async with httpx.AsyncClient(base_url=sandbox.base_url) as admin:
        refused = await admin.post("/_sandbox/faults", json={"error_rate": 3})
    assert refused.status_code == 422


# -- cancel, extend, expire ----------------------------------------------------------------------------------


async def test_cancel_is_idempotent_and_closes_the_page(api: httpx.AsyncClient, receiver: Receiver) -> None:
    invitation = await invite(api)
    for _ in range(2):
        response = await api.post(f"/api/invitations/{invitation['id']}/cancel")
        assert response.status_code == 200 and response.json() == {
            "id": invitation["id"],
            "status": "cancelled",
        }
    page, _ = await open_test(invitation["test_url"])
    assert page.status_code == 410 and "withdrawn" in page.text
    extend = await api.post(f"/api/invitations/{invitation['id']}/extend", json={"deadline": in_days(5)})
    assert extend.status_code == 409
    assert receiver.received == []


async def test_a_completed_invitation_cannot_be_cancelled(
    sandbox: AssessmentSandboxServer, api: httpx.AsyncClient
) -> None:
    invitation = await invite(api)
    _, form = await open_test(invitation["test_url"])
    assert (await submit(sandbox, form, {"q0": "1"})).status_code == 200
    response = await api.post(f"/api/invitations/{invitation['id']}/cancel")
    assert response.status_code == 409 and response.json()["status"] == "completed"


async def test_extend_then_expire_posts_expired_once(
    sandbox: AssessmentSandboxServer, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    invitation = await invite(api, deadline=in_days(1))
    path = f"/api/invitations/{invitation['id']}"
    assert (await api.post(f"{path}/extend", json={"deadline": in_days(-1)})).status_code == 422
    assert (await api.post(f"{path}/extend", content=b"[]")).status_code == 400
    new_deadline = in_days(2)
    extended = await api.post(f"{path}/extend", json={"deadline": new_deadline})
    assert extended.status_code == 200
    assert datetime.fromisoformat(extended.json()["deadline"]) == datetime.fromisoformat(new_deadline)

    await sandbox.advance_clock(1.5 * 86400)  # past the old deadline, not the new one
    assert (await api.get(path)).json()["status"] == "invited"
    await sandbox.advance_clock(86400)
    assert (await api.get(path)).json()["status"] == "expired"
    await eventually(lambda: len(receiver.received) == 1)
    for _ in range(3):
        assert (await api.get(path)).json()["status"] == "expired"
    page, _ = await open_test(invitation["test_url"])
    assert page.status_code == 410 and "deadline" in page.text
    await asyncio.sleep(0.1)
    [event] = receiver.events()
    assert event["type"] == "invitation.expired" and event["invitation_id"] == invitation["id"]
    assert datetime.fromisoformat(event["occurred_at"]) > datetime.now(UTC) + timedelta(
        days=2
    )  # sandbox time
    signed_at = int(receiver.received[0][0]["x-assessment-signature"].split(",")[0].removeprefix("t="))
    assert abs(signed_at - time.time()) < 60  # wall time, so a receiver's freshness check passes
    assert verify(*receiver.received[0])
    again = await api.post("/api/invitations", json=invite_body())
    assert again.status_code == 200 and again.json()["status"] == "expired"


async def test_the_deadline_also_closes_an_open_form(
    sandbox: AssessmentSandboxServer, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    invitation = await invite(api, deadline=in_days(1))
    _, form = await open_test(invitation["test_url"])
    await sandbox.advance_clock(2 * 86400)
    late = await submit(sandbox, form, {"q0": "1"})
    assert late.status_code == 410
    await eventually(lambda: len(receiver.received) == 2)
    assert [e["type"] for e in receiver.events()] == ["invitation.started", "invitation.expired"]


# -- hostile candidates --------------------------------------------------------------------------------------


async def test_names_are_escaped_on_the_page(
    sandbox: AssessmentSandboxServer, api: httpx.AsyncClient
) -> None:
    invitation = await invite(
        api, first_name="<script>alert(1)</script>", last_name='"><img src=x onerror=1>$\\frac{'
    )
    page, form = await open_test(invitation["test_url"])
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "<img" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    done = await submit(sandbox, form, {"q0": "1"})  # the report draws the name literally (no mathtext)
    assert done.status_code == 200
    report = await api.get(f"/api/invitations/{invitation['id']}/report.pdf")
    assert report.content.startswith(b"%PDF")


async def test_forged_and_malformed_submissions_are_refused(
    sandbox: AssessmentSandboxServer, api: httpx.AsyncClient
) -> None:
    invitation = await invite(api)
    async with httpx.AsyncClient(base_url=sandbox.base_url, timeout=10) as browser:
        assert (await browser.get("/take/not-a-token")).status_code == 404
        assert (await browser.get("/take/" + "a" * 3000)).status_code == 404
        token_path = invitation["test_url"].removeprefix(sandbox.base_url)
        unopened = await browser.post(token_path, data={"q0": "1"})
        assert unopened.status_code == 409
        _, form = await open_test(invitation["test_url"])
        cross_site = await browser.post(
            form.action, data={**form.hidden, "q0": "1"}, headers={"Origin": "https://evil.example"}
        )
        assert cross_site.status_code == 403
        forged = await browser.post(form.action, data={"nonce": "guess", "q0": "1"})
        assert forged.status_code == 403
        for value in ("9", "-1", "one", "1" * 50):
            odd = await browser.post(form.action, data={**form.hidden, "q0": value})
            assert odd.status_code == 422
        huge = await browser.post(form.action, data={**form.hidden, "q0": "1" * 100_000})
        assert huge.status_code == 413
    assert (await api.get(f"/api/invitations/{invitation['id']}")).json()["status"] == "started"


# -- persistence ---------------------------------------------------------------------------------------------


async def test_invitations_survive_a_restart_with_a_state_dir(tmp_path: Path) -> None:
    config = AssessmentSandboxConfig(token=TOKEN, state_dir=tmp_path)
    async with AssessmentSandboxServer(config) as first:
        async with httpx.AsyncClient(base_url=first.base_url, headers=AUTH) as client:
            created = (await client.post("/api/invitations", json=invite_body())).json()
    assert (tmp_path / "assessments.db").stat().st_mode & 0o077 == 0
    async with AssessmentSandboxServer(config) as second:
        async with httpx.AsyncClient(base_url=second.base_url, headers=AUTH) as client:
            again = await client.post("/api/invitations", json=invite_body())
            assert again.status_code == 200 and again.json()["id"] == created["id"]
            assert (await client.get(f"/api/invitations/{created['id']}")).json()["status"] == "invited"


async def test_the_provider_emails_each_new_invitation_once_with_its_link(
    receiver: Receiver, smtp_sink: SinkHandle
) -> None:
    config = AssessmentSandboxConfig(
        token=TOKEN,
        webhook_secret=SECRET,
        webhook_url=receiver.url,
        retry_delays=RETRIES,
        smtp_host="127.0.0.1",
        smtp_port=smtp_sink.sink.port,
    )
    async with (
        AssessmentSandboxServer(config) as server,
        httpx.AsyncClient(base_url=server.base_url, headers=AUTH, timeout=10) as api,
    ):
        created = await invite(api)
        again = await api.post("/api/invitations", json=invite_body())  # the same reference: nothing new
        assert again.status_code == 200 and again.json()["id"] == created["id"]
        box = mailbox.Maildir(smtp_sink.maildir, create=True)
        for _ in range(100):
            if box.keys():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # room for a wrongly sent second email to arrive
    messages = [
        email.message_from_bytes(box.get_bytes(key), policy=email.policy.default) for key in box.keys()
    ]
    assert len(messages) == 1
    msg = messages[0]
    assert "ada@example.com" in str(msg["To"]) and str(msg["Subject"]) == "Your skills test: Python basics"
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None and created["test_url"] in body.get_content()
