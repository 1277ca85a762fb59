"""`/webhooks/assessments/<provider>`: forged, stale, unknown and undeliverable posts get the answer a
provider's retry logic needs, and a good one reaches the workflow that sent the invitation."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest_asyncio
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from integrations.assessment_index import AssessmentIndex
from integrations.assessments.signatures import sign
from models.settings import Settings
from models.store import create_engine_for, init_db
from web.app import create_app

SECRET = "assessment-webhook-test-secret"


class Recorder:
    """A Temporal client that records signals (or fails like an unreachable server)."""

    def __init__(self) -> None:
        self.signals: list[tuple[str, str, Any]] = []
        self.down = False

    def get_workflow_handle(self, workflow_id: str, **_: Any) -> Any:
        recorder = self

        class Handle:
            async def signal(self, name: str, arg: Any) -> None:
                if recorder.down:
                    raise RPCError("unavailable", RPCStatusCode.UNAVAILABLE, b"")
                recorder.signals.append((workflow_id, name, arg))

        return Handle()


@pytest_asyncio.fixture
async def web(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Recorder, AssessmentIndex]]:
    settings = Settings(
        environment="development",
        state_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'web.db'}",
        assessment_webhook_secret=SecretStr(SECRET),
    )
    engine = create_engine_for(settings.resolved_database_url())
    init_db(engine)
    recorder = Recorder()

    async def factory() -> Client:
        return cast(Client, recorder)

    app = create_app(settings, factory, engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://web") as http:
        yield http, recorder, AssessmentIndex(engine)
    engine.dispose()


def _post(invitation_id: str, *, secret: str = SECRET, at: int | None = None) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "type": "invitation.completed",
            "invitation_id": invitation_id,
            "test_id": "python-basics",
            "occurred_at": "2026-12-07T10:00:00+00:00",
        }
    ).encode()
    stamp = int(time.time()) if at is None else at
    return body, {
        "X-Assessment-Signature": sign(secret.encode(), stamp, body),
        "content-type": "application/json",
    }


async def test_a_signed_completion_reaches_the_inviting_workflow(web: Any) -> None:
    http, recorder, index = web
    await index.remember("embedded", "inv-9", "assess-9-python-basics", "python-basics", "ada@example.com")
    body, headers = _post("inv-9")
    answer = await http.post("/webhooks/assessments/embedded", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["delivered"] == 1
    (workflow_id, name, event) = recorder.signals[0]
    assert (workflow_id, name, event.kind, event.invitation_id) == (
        "assess-9-python-basics",
        "provider_event",
        "completed",
        "inv-9",
    )


async def test_forged_stale_unknown_and_undeliverable_posts(web: Any) -> None:
    http, recorder, index = web
    await index.remember("embedded", "inv-1", "assess-1-python-basics", "python-basics", "ada@example.com")
    body, headers = _post("inv-1", secret="someone-elses-secret")
    assert (
        await http.post("/webhooks/assessments/embedded", content=body, headers=headers)
    ).status_code == 401
    body, headers = _post("inv-1", at=int(time.time()) - 3600)
    assert (
        await http.post("/webhooks/assessments/embedded", content=body, headers=headers)
    ).status_code == 401
    body, headers = _post("inv-unknown")
    unknown = await http.post("/webhooks/assessments/embedded", content=body, headers=headers)
    assert unknown.status_code == 200 and unknown.json()["status"] == "ignored", "retrying cannot help"
    assert (await http.post("/webhooks/assessments/nobody", content=b"{}")).status_code == 404
    recorder.down = True
    body, headers = _post("inv-1")
    down = await http.post("/webhooks/assessments/embedded", content=body, headers=headers)
    assert down.status_code == 503, "the provider retries later"
    assert recorder.signals == []


async def test_the_embedded_providers_webhook_is_closed_in_production(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'p.db'}")

    async def factory() -> Client:
        return cast(Client, Recorder())

    app = create_app(settings, factory)
    body, headers = _post("inv-1", secret=settings.assessment_webhook_secret.get_secret_value())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://web") as http:
        answer = await http.post("/webhooks/assessments/embedded", content=body, headers=headers)
    assert answer.status_code == 404
