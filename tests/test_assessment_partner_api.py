"""The Assessment Partner API over HTTP, called as Greenhouse calls it, against the real AssessmentWorkflow.

The web app (`create_app`) is served through httpx's ASGI transport; the workflow runs on the
time-skipping test server with the in-memory activities of tests/test_workflow_assessment.py, and the
embedded provider's test list comes from a MockTransport replaying the sandbox contract.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from pydantic import SecretStr
from sqlmodel import Session, select
from temporalio import activity
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.assessments import AssessmentActivities
from integrations.assessment_client import AssessmentClient
from models.assessment_io import AssessmentRequest, NotifyPartnerInput
from models.assessments import AssessmentResult, ProviderEvent, email_digest
from models.partner_store import PartnerApiError
from models.settings import Settings
from starters.devstack import DevStackConfig, partner_endpoint
from tests.test_workflow_assessment import Provider
from web.app import create_app
from web.assessment_partner import partner_catalog
from web.partner_catalog import PartnerCatalog
from web.partner_inputs import InputError, application_id_from_profile, assessment_test_key
from workflows.assessment import AssessmentWorkflow

KEY = "partner-key-for-tests"
BASE = "/assessments/partner"
CALLBACK = "https://app.greenhouse.io/integrations/testing_partners/take_home_tests/12345"
SANDBOX_TESTS = [
    {
        "id": "python-basics",
        "name": "Python basics",
        "duration_minutes": 30,
        "max_score": 100,
        "questions": 5,
    },
    {"id": "SQL 101", "name": "SQL fundamentals", "duration_minutes": 20, "max_score": 50, "questions": 4},
]


def basic(user: str, password: str = "") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


AUTH = basic(KEY)


def send_body(application_id: int, test_id: str = "python-basics", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "partner_test_id": test_id,
        "candidate": {
            "first_name": "Harry",
            "last_name": "Potter",
            "preferred_name": "The Chosen One",
            "resume_url": "https://hogwarts.com/resume",
            "phone_number": "123-456-7890",
            "email": "hpotter@hogwarts.edu",
            "greenhouse_profile_url": f"https://app.greenhouse.io/people/17681532?application_id={application_id}",
        },
        "sent_by": "test_sender@example.org",
        "url": CALLBACK,
    }
    return body | changes


@dataclass
class Sandbox:
    """The embedded provider's `/api/tests`, counting calls; `down` answers 503."""

    calls: int = 0
    down: bool = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/tests"
        self.calls += 1
        if self.down:
            return httpx.Response(503, json={"error": "maintenance"})
        return httpx.Response(200, json=SANDBOX_TESTS)


@dataclass
class PartnerHarness:
    app: FastAPI
    settings: Settings
    client: Client
    world: Provider
    sandbox: Sandbox
    notified: list[NotifyPartnerInput]
    started: list[str] = field(default_factory=list)

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="https://hireflow.test"
        )

    async def send(self, http: httpx.AsyncClient, application_id: int, **changes: Any) -> httpx.Response:
        answer = await http.post(f"{BASE}/send_test", json=send_body(application_id, **changes), headers=AUTH)
        if answer.status_code == 200:
            self.started.append(answer.json()["partner_interview_id"])
        return answer

    def errors(self) -> list[PartnerApiError]:
        with Session(self.app.state.engine) as session:
            return list(session.exec(select(PartnerApiError)))


def app_for(settings: Settings, factory: Callable[[], Any], sandbox: Sandbox) -> FastAPI:
    app = create_app(settings, factory)
    http = httpx.AsyncClient(transport=httpx.MockTransport(sandbox.handler))
    catalog = PartnerCatalog(settings, http=http)
    app.dependency_overrides[partner_catalog] = lambda: catalog
    return app


def settings_for(tmp_path: Path, queue: str = "unused", **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "state_dir": tmp_path,
        "task_queue": queue,
        "harvest_task_queue": queue,
        "planner_task_queue": queue,
        "database_url": f"sqlite:///{tmp_path / 'partner.db'}",
        "assessment_partner_key": SecretStr(KEY),
    }
    return Settings(**(values | changes))


def recording_notify(world: Provider, notified: list[NotifyPartnerInput]) -> list[Callable[..., Any]]:
    """The world's activities, with the partner notification recorded instead of ignored."""

    @activity.defn(name=AssessmentActivities.notify_greenhouse_partner.__name__)
    async def notify(request: NotifyPartnerInput) -> None:
        notified.append(request)

    others = [a for a in world.activities() if getattr(a, "__name__", "") != "notify"]
    return [*others, notify]


@pytest_asyncio.fixture
async def partner(time_skipping_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[PartnerHarness]:
    queue = f"partner-{uuid.uuid4().hex[:8]}"
    settings = settings_for(tmp_path, queue)
    client = time_skipping_env.client

    async def factory() -> Client:
        return client

    world, sandbox = Provider(), Sandbox()
    notified: list[NotifyPartnerInput] = []
    app = app_for(settings, factory, sandbox)
    async with Worker(
        client, task_queue=queue, workflows=[AssessmentWorkflow], activities=recording_notify(world, notified)
    ):
        harness = PartnerHarness(app, settings, client, world, sandbox, notified)
        try:
            yield harness
        finally:  # leave no timers running on the shared test server
            for workflow_id in harness.started:
                try:
                    await asyncio.wait_for(client.get_workflow_handle(workflow_id).terminate("test over"), 5)
                except Exception:  # already closed
                    pass


def new_application() -> int:
    return int(uuid.uuid4().int % 10**9) + 1


async def status_until(
    http: httpx.AsyncClient, interview_id: str, wanted: str, timeout: float = 10
) -> dict[str, Any]:
    async def poll() -> dict[str, Any]:
        while True:
            answer = await http.get(
                f"{BASE}/test_status", params={"partner_interview_id": interview_id}, headers=AUTH
            )
            assert answer.status_code == 200, answer.text
            if answer.json()["partner_status"] == wanted:
                return dict(answer.json())
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(poll(), timeout)


# ------------------------------------------------------------------------------------ auth


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("wrong-key"),
        basic(KEY, "a-password"),
        basic(KEY.upper()),
        {"Authorization": "Basic not base64!"},
        {"Authorization": "Bearer " + KEY},
        {"Authorization": "Basic " + "A" * 2000},
        {"Authorization": "Basic " + base64.b64encode(KEY.encode()).decode()},  # no colon
    ],
)
async def test_a_bad_or_missing_key_is_401_with_a_basic_challenge(
    tmp_path: Path, headers: dict[str, str]
) -> None:
    app = app_for(settings_for(tmp_path), _no_temporal, Sandbox())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://h.test") as http:
        answers = [
            await http.get(f"{BASE}/list_tests", headers=headers),
            await http.post(f"{BASE}/send_test", json=send_body(5), headers=headers),
            await http.get(
                f"{BASE}/test_status?partner_interview_id=assess-5-python-basics", headers=headers
            ),
            await http.post(f"{BASE}/response_error", json={"api_call": "x", "errors": []}, headers=headers),
        ]
    for answer in answers:
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Basic ")
        assert answer.json() == {"error": "invalid partner key"}


async def test_without_a_configured_key_every_call_is_503_naming_the_setting(tmp_path: Path) -> None:
    app = app_for(settings_for(tmp_path, assessment_partner_key=None), _no_temporal, Sandbox())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://h.test") as http:
        answer = await http.get(f"{BASE}/list_tests", headers=basic(""))
    assert answer.status_code == 503
    assert "HIREFLOW_ASSESSMENT_PARTNER_KEY" in answer.json()["error"]


async def _no_temporal() -> Client:
    raise ConnectionError("Temporal is down")


# ------------------------------------------------------------------------------- list_tests


async def test_list_tests_answers_the_providers_tests_as_strings_and_caches_them(tmp_path: Path) -> None:
    sandbox = Sandbox()
    app = app_for(settings_for(tmp_path), _no_temporal, sandbox)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://h.test") as http:
        first = await http.get(f"{BASE}/list_tests", headers=AUTH)
        second = await http.get(f"{BASE}/list_tests", headers=AUTH)
    assert first.status_code == 200
    assert first.json() == [
        {"partner_test_id": "python-basics", "partner_test_name": "Python basics"},
        {"partner_test_id": "SQL 101", "partner_test_name": "SQL fundamentals"},
    ]
    assert second.json() == first.json() and sandbox.calls == 1


async def test_a_provider_outage_is_a_json_503_not_an_error_page(tmp_path: Path) -> None:
    app = app_for(settings_for(tmp_path), _no_temporal, Sandbox(down=True))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://h.test") as http:
        answer = await http.get(f"{BASE}/list_tests", headers=AUTH)
    assert answer.status_code == 503 and "retry" in answer.json()["error"]


async def test_a_temporal_outage_makes_send_test_503_and_starts_nothing(tmp_path: Path) -> None:
    app = app_for(settings_for(tmp_path), _no_temporal, Sandbox())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://h.test") as http:
        answer = await http.post(f"{BASE}/send_test", json=send_body(7), headers=AUTH)
        status = await http.get(
            f"{BASE}/test_status?partner_interview_id=assess-7-python-basics", headers=AUTH
        )
    assert answer.status_code == 503 and answer.json()["error"].startswith("Hireflow cannot reach Temporal")
    assert status.status_code == 503


# ------------------------------------------------------------------- send_test and test_status


async def test_send_test_starts_one_workflow_and_a_repeat_answers_the_same_id(
    partner: PartnerHarness,
) -> None:
    application_id = new_application()
    async with partner.http() as http:
        first = await partner.send(http, application_id)
        again = await partner.send(http, application_id)
        other_test = await partner.send(http, application_id, test_id="SQL 101")
    assert first.status_code == 200
    interview_id = first.json()["partner_interview_id"]
    assert interview_id == f"assess-{application_id}-python-basics"
    assert again.json() == first.json()
    assert other_test.json()["partner_interview_id"].startswith(f"assess-{application_id}-sql-101-")
    assert "potter" not in json.dumps([first.json(), other_test.json()]).lower()
    handle = partner.client.get_workflow_handle(interview_id)
    description = await handle.describe()
    async with partner.http() as http:
        await status_until(http, interview_id, "waiting")
        assert (await partner.send(http, application_id)).json() == first.json()
    assert (await handle.describe()).run_id == description.run_id  # the same run, not a new one
    assert len([i for i in partner.world.invites if i.test_id == "python-basics"]) == 1
    assert description.workflow_type == "AssessmentWorkflow"


async def test_test_status_is_the_running_state_then_complete_with_a_numeric_score(
    partner: PartnerHarness,
) -> None:
    application_id = new_application()
    async with partner.http() as http:
        interview_id = (await partner.send(http, application_id)).json()["partner_interview_id"]
        waiting = await status_until(http, interview_id, "waiting")
        assert "partner_score" not in waiting and waiting["metadata"]["test"] == "Python basics"
        assert len(partner.world.invites) == 1 and partner.notified == []

        partner.world.result = AssessmentResult(
            invitation_id="inv-1",
            status="completed",
            score=88,
            max_score=100,
            percentile=91.5,
            report_url="http://127.0.0.1:8710/api/invitations/inv-1/report.pdf",
        )
        event = ProviderEvent(provider="embedded", event_id="e1", kind="completed", invitation_id="inv-1")
        await AssessmentClient(partner.client, partner.settings).provider_event(interview_id, event)
        done = await status_until(http, interview_id, "complete")

    assert isinstance(done["partner_score"], int | float) and done["partner_score"] == 88
    assert done["partner_profile_url"] == "http://127.0.0.1:8710/api/invitations/inv-1/report.pdf"
    assert done["metadata"]["max_score"] == 100 and done["metadata"]["percentile"] == 91.5
    assert all(isinstance(v, str | int | float | bool) for v in done["metadata"].values())
    await asyncio.wait_for(partner.client.get_workflow_handle(interview_id).result(), 10)
    assert [n.url for n in partner.notified] == [CALLBACK]  # the PATCH that makes Greenhouse ask
    async with partner.http() as http:  # finished: answered from the workflow's result
        final = await status_until(http, interview_id, "complete")
    assert final["partner_score"] == 88 and final["metadata"]["state"] == "completed"


async def test_without_a_report_the_profile_url_is_the_temporal_ui_page(partner: PartnerHarness) -> None:
    application_id = new_application()
    async with partner.http() as http:
        interview_id = (await partner.send(http, application_id)).json()["partner_interview_id"]
        await status_until(http, interview_id, "waiting")
        partner.world.result = AssessmentResult(invitation_id="inv-1", status="completed", score=42.5)
        event = ProviderEvent(provider="embedded", event_id="e2", kind="completed", invitation_id="inv-1")
        await AssessmentClient(partner.client, partner.settings).provider_event(interview_id, event)
        done = await status_until(http, interview_id, "complete")
    assert done["partner_score"] == 42.5
    assert done["partner_profile_url"] == partner.settings.workflow_ui_url(interview_id)


@pytest.mark.parametrize(
    "profile_url",
    [
        "https://app.greenhouse.io/people/17681532",
        "https://app.greenhouse.io/people/17681532?application_id=",
        "https://app.greenhouse.io/people/17681532?application_id=1&application_id=2",
        "https://app.greenhouse.io/people/17681532?application_id=12abc",
        "https://app.greenhouse.io/people/17681532?application_id=%EF%BC%91",  # fullwidth digit
        "https://app.greenhouse.io/people/17681532?application_id=1234567890123",
        "https://app.greenhouse.io/people/17681532?application_id=0",
        "https://app.greenhouse.io/people/abc?application_id=5",
        "https://app.greenhouse.io/jobs/1?application_id=5",
        "javascript:alert(1)//people/1?application_id=5",
    ],
)
async def test_a_profile_url_without_one_clear_application_id_is_422_and_recorded(
    partner: PartnerHarness, profile_url: str
) -> None:
    body = send_body(1)
    body["candidate"]["greenhouse_profile_url"] = profile_url
    async with partner.http() as http:
        answer = await http.post(f"{BASE}/send_test", json=body, headers=AUTH)
    assert answer.status_code == 422
    assert answer.json()["field"] == "candidate.greenhouse_profile_url"
    assert answer.json()["error"].startswith(("greenhouse_profile_url", "application_id"))
    [row] = partner.errors()
    assert (row.reported_by, row.api_call, row.partner_test_id) == ("hireflow", "send_test", "python-basics")
    assert "potter" not in row.detail.lower()
    assert partner.started == []


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example/collect",
        "http://app.greenhouse.io/integrations/testing_partners/take_home_tests/1",  # not https
        "https://app.greenhouse.io.attacker.example/x",
        "https://user:pw@app.greenhouse.io/x",
        "file:///etc/passwd",
    ],
)
async def test_a_callback_off_greenhouse_is_refused_so_the_key_never_leaves(
    partner: PartnerHarness, url: str
) -> None:
    async with partner.http() as http:
        answer = await partner.send(http, new_application(), url=url)
    assert answer.status_code == 422 and answer.json()["field"] == "url"


async def test_an_unknown_test_is_404_and_malformed_bodies_are_422_without_echo(
    partner: PartnerHarness,
) -> None:
    async with partner.http() as http:
        unknown = await partner.send(http, new_application(), test_id="no-such-test")
        not_json = await http.post(f"{BASE}/send_test", content=b"{not json", headers=AUTH)
        empty = await http.post(f"{BASE}/send_test", content=b"", headers=AUTH)
        no_candidate = await http.post(
            f"{BASE}/send_test", json={"partner_test_id": "x", "url": CALLBACK}, headers=AUTH
        )
        wrong_type = await http.post(f"{BASE}/send_test", json=[1, 2], headers=AUTH)
        too_long = await partner.send(http, new_application(), test_id="x" * 129)
        deep = await http.post(f"{BASE}/send_test", content=b"[" * 5000 + b"]" * 5000, headers=AUTH)
        huge = await http.post(f"{BASE}/send_test", content=b" " * (65 * 1024), headers=AUTH)
    assert unknown.status_code == 404 and unknown.json() == {"error": "unknown partner_test_id"}
    for answer in (not_json, empty, no_candidate, wrong_type, too_long, deep):
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/json"
        assert "xxxxxxxx" not in answer.text
    assert huge.status_code == 413
    assert partner.started == []


@pytest.mark.parametrize(
    "interview_id",
    [
        "assess-999999999-python-basics",  # well formed, never started
        "assess-1-../../etc",
        "sched-1-2",
        "assess-1-" + "a" * 300,
        "ASSESS-1-X",
        "",
    ],
)
async def test_test_status_of_an_unknown_id_is_404(partner: PartnerHarness, interview_id: str) -> None:
    async with partner.http() as http:
        answer = await http.get(
            f"{BASE}/test_status", params={"partner_interview_id": interview_id}, headers=AUTH
        )
    assert answer.status_code == 404 and answer.json() == {"error": "unknown partner_interview_id"}


async def test_test_status_without_an_id_is_422(partner: PartnerHarness) -> None:
    async with partner.http() as http:
        answer = await http.get(f"{BASE}/test_status", headers=AUTH)
    assert answer.status_code == 422


# --------------------------------------------------------------------------- response_error


async def test_response_error_is_recorded_masked_and_shown_in_test_status(partner: PartnerHarness) -> None:
    application_id = new_application()
    async with partner.http() as http:
        interview_id = (await partner.send(http, application_id)).json()["partner_interview_id"]
        await status_until(http, interview_id, "waiting")
        report = {
            "api_call": "test_status",
            "errors": ["partner_score must be a number", "candidate hpotter@hogwarts.edu is not active"],
            "partner_test_id": "python-basics",
            "partner_test_name": "Python basics",
            "partner_interview_id": interview_id,
            "candidate_email": "hpotter@hogwarts.edu",
        }
        answer = await http.post(f"{BASE}/response_error", json=report, headers=AUTH)
        status = await status_until(http, interview_id, "waiting")
        stranger = await http.post(
            f"{BASE}/response_error",
            json={"api_call": "send_test", "errors": ["boom"], "partner_interview_id": "not-ours"},
            headers=AUTH,
        )
    assert answer.status_code == 200 and answer.json() == {"status": "recorded"}
    error = status["metadata"]["error"]
    assert error.startswith("test_status: partner_score must be a number") and "[email]" in error
    assert "hogwarts" not in error
    assert stranger.status_code == 200
    rows = partner.errors()
    assert [(r.reported_by, r.workflow_id) for r in rows] == [
        ("greenhouse", interview_id),
        ("greenhouse", None),
    ]
    assert all("hogwarts" not in r.detail for r in rows)


async def test_a_malformed_response_error_is_422_and_records_nothing(partner: PartnerHarness) -> None:
    async with partner.http() as http:
        answers = [
            await http.post(f"{BASE}/response_error", json={"errors": ["x"]}, headers=AUTH),
            await http.post(f"{BASE}/response_error", json={"api_call": "x", "errors": "x"}, headers=AUTH),
            await http.post(
                f"{BASE}/response_error", json={"api_call": "x", "errors": ["e"] * 51}, headers=AUTH
            ),
            await http.post(f"{BASE}/response_error", content=b"nope", headers=AUTH),
        ]
    assert [a.status_code for a in answers] == [422, 422, 422, 422]
    assert partner.errors() == []


# ------------------------------------------------------------------------------- ids and slugs


def test_the_application_id_comes_from_the_profile_url() -> None:
    url = "https://app.greenhouse.io/people/17681532?application_id=26234709"
    assert application_id_from_profile(url) == 26234709
    assert application_id_from_profile("https://app.greenhouse.io/people/1/?application_id=2&x=y") == 2
    with pytest.raises(InputError):
        application_id_from_profile("ftp://app.greenhouse.io/people/1?application_id=2")


@pytest.mark.parametrize(
    "test_id", ["python-basics", "SQL 101", "sql-101", "Ünïcode ✓", "x" * 128, "---", "1"]
)
def test_test_keys_are_slugs_that_never_collide(test_id: str) -> None:
    key = assessment_test_key(test_id)
    assert len(key) <= 64 and key[0].isalnum() and key == key.lower()
    assert all(c.isascii() and (c.isalnum() or c in "_.-") for c in key)
    others = {
        assessment_test_key(t)
        for t in ["python-basics", "SQL 101", "sql-101", "Ünïcode ✓", "x" * 128, "---", "1"]
    }
    assert len(others) == 7


# ------------------------------------------------------------------------------------ dev stack


def test_the_dev_stack_uses_and_prints_the_dev_key_but_never_a_configured_one(tmp_path: Path) -> None:
    config = DevStackConfig(state_dir=tmp_path)
    dev = config.settings(Settings())
    assert dev.assessment_partner_key is not None
    assert dev.assessment_partner_key.get_secret_value() == "dev-partner-key"
    line = partner_endpoint(dev, "http://127.0.0.1:8000")
    assert line.url == "http://127.0.0.1:8000/assessments/partner/" and "dev-partner-key" in line.note
    own = config.settings(Settings(assessment_partner_key=SecretStr("customer-key-123")))
    assert own.assessment_partner_key is not None
    assert own.assessment_partner_key.get_secret_value() == "customer-key-123"
    assert "customer-key-123" not in partner_endpoint(own, "http://127.0.0.1:8000").note


async def test_send_test_keeps_only_a_digest_of_the_address_greenhouse_named(partner: PartnerHarness) -> None:
    """The workflow must invite an address that is on the profile; the address itself is not kept."""
    application_id = new_application()
    async with partner.http() as http:
        interview_id = (await partner.send(http, application_id)).json()["partner_interview_id"]
    history = await partner.client.get_workflow_handle(interview_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes.input.payloads
    [request] = await partner.client.data_converter.decode(started, [AssessmentRequest])
    assert isinstance(request, AssessmentRequest)
    assert request.expected_email_sha256 == email_digest("HPotter@hogwarts.edu ")
    assert "hpotter" not in request.model_dump_json().lower()
