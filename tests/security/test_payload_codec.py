"""Issue 10, finding 9: candidate data sits in clear in Temporal, and compose publishes Temporal to the world.

Written against public behaviour only (settings, `workers.client.connect`, the web app over HTTP, the
`temporal` CLI, docker-compose.yml) so every test runs, and fails, on the code before the fix.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import yaml
from google.protobuf import json_format
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.settings import Settings
from models.store import create_engine_for
from starters.binaries import temporal_cli
from tests.security.codec_workflow import CandidateCard, CandidateEchoWorkflow
from web.app import create_app
from workers.client import connect

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "grace.bianchi@example.org"
NAME = "Grace Bianchi"
REPLY = "Tuesday after 3pm works for me"
UI_ORIGIN = "http://127.0.0.1:8233"
TOKEN = "codec-token-for-tests-0123456789"


def _key_entry(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def _address(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite:///{tmp_path / 'web.db'}",
        "temporal_ui_url": UI_ORIGIN,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest_asyncio.fixture
async def web_factory(tmp_path: Path) -> AsyncIterator:
    """Build the web app for given settings and talk to it over HTTP (from a chosen client address)."""
    clients: list[httpx.AsyncClient] = []

    async def unused_client() -> Client:
        raise RuntimeError("the codec server needs no Temporal client")

    def make(settings: Settings, caller: str = "127.0.0.1") -> httpx.AsyncClient:
        app = create_app(settings, unused_client, engine=create_engine_for(settings.resolved_database_url()))
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(caller, 40000)), base_url="http://web"
        )
        clients.append(http)
        return http

    yield make
    for http in clients:
        await http.aclose()


def _payloads_json(payloads: list[Payload]) -> dict:
    return json_format.MessageToDict(Payloads(payloads=payloads))


@pytest.mark.integration
async def test_history_holds_no_candidate_data_and_the_codec_server_reads_it(
    dev_server_env: WorkflowEnvironment, tmp_path: Path, web_factory
) -> None:
    address = _address(dev_server_env)
    keys = SecretStr(_key_entry("k1"))
    settings = _settings(tmp_path, temporal_address=address, payload_encryption_keys=keys)
    client = await connect(settings)
    workflow_id = f"codec-e2e-{uuid.uuid4().hex[:8]}"
    queue = f"codec-{uuid.uuid4().hex[:8]}"
    card = CandidateCard(name=NAME, email=EMAIL, reply=REPLY)
    async with Worker(client, task_queue=queue, workflows=[CandidateEchoWorkflow]):  # sandboxed
        result = await asyncio.wait_for(
            client.execute_workflow(
                CandidateEchoWorkflow.run,
                card,
                id=workflow_id,
                task_queue=queue,
                static_summary=f"Schedule {NAME}",
            ),
            timeout=60,
        )
    assert result == f"{NAME} <{EMAIL}> wrote: {REPLY}"  # the encrypting client reads its own data

    for output in ("text", "json"):
        shown = await asyncio.to_thread(
            subprocess.run,
            [str(temporal_cli()), "workflow", "show", "-w", workflow_id, "--address", address, "-o", output],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shown.returncode == 0, shown.stderr
        for secret in (EMAIL, NAME, REPLY, base64.b64encode(EMAIL.encode()).decode()):
            assert secret not in shown.stdout, f"`temporal workflow show -o {output}` prints {secret!r}"

    raw = await Client.connect(address)  # no codec: what anyone with Temporal access reads
    history = await raw.get_workflow_handle(workflow_id).fetch_history()
    flat = list(history.events[0].workflow_execution_started_event_attributes.input.payloads)
    for event in history.events:
        if event.HasField("workflow_execution_completed_event_attributes"):
            flat += event.workflow_execution_completed_event_attributes.result.payloads
    assert len(flat) == 2
    web = web_factory(
        _settings(tmp_path, environment="development", payload_encryption_keys=keys), caller="127.0.0.1"
    )
    response = await web.post(
        "/codec/decode",
        json=_payloads_json(flat),
        headers={"X-Namespace": "default", "Origin": UI_ORIGIN},
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == UI_ORIGIN
    decoded = b"".join(base64.b64decode(p["data"]) for p in response.json()["payloads"]).decode()
    assert EMAIL in decoded and NAME in decoded and REPLY in decoded


@pytest.mark.integration
async def test_production_refuses_to_connect_without_payload_keys(
    dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, temporal_address=_address(dev_server_env), environment="production")
    with pytest.raises(Exception, match="HIREFLOW_PAYLOAD_ENCRYPTION_KEYS"):
        await connect(settings)


async def test_codec_server_refuses_unauthenticated_callers_in_production(
    tmp_path: Path, web_factory
) -> None:
    keys = SecretStr(_key_entry("k1"))
    body = _payloads_json([Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')])
    no_tokens = web_factory(_settings(tmp_path, payload_encryption_keys=keys), caller="127.0.0.1")
    refused = await no_tokens.post("/codec/decode", json=body, headers={"X-Namespace": "default"})
    assert refused.status_code == 403  # production, no token configured: nobody, not even loopback
    assert "HIREFLOW_CODEC_AUTH_TOKENS" in refused.json()["error"]

    secured = web_factory(
        _settings(tmp_path, payload_encryption_keys=keys, codec_auth_tokens=SecretStr(TOKEN)),
        caller="198.51.100.7",
    )
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer tökén".encode()}):
        answer = await secured.post("/codec/decode", json=body, headers={"X-Namespace": "default", **header})
        assert answer.status_code == 401, header
    ok = await secured.post(
        "/codec/decode", json=body, headers={"X-Namespace": "default", "Authorization": f"Bearer {TOKEN}"}
    )
    assert ok.status_code == 200
    assert ok.json() == body  # plain payloads pass through untouched

    dev_remote = web_factory(
        _settings(tmp_path, environment="development", payload_encryption_keys=keys), caller="198.51.100.7"
    )
    assert (await dev_remote.post("/codec/decode", json=body)).status_code == 403  # dev: loopback only


async def test_codec_server_answers_the_ui_preflight_only_for_its_origin(tmp_path: Path, web_factory) -> None:
    web = web_factory(_settings(tmp_path, payload_encryption_keys=SecretStr(_key_entry("k1"))))
    request_headers = {
        "Origin": UI_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
    }
    for path in ("/codec/decode", "/codec/encode"):
        preflight = await web.options(path, headers=request_headers)
        assert preflight.status_code in (200, 204)
        assert preflight.headers["access-control-allow-origin"] == UI_ORIGIN
        assert preflight.headers["access-control-allow-credentials"] == "true"
        allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
        assert {"content-type", "x-namespace", "authorization"} <= allowed
        assert "POST" in preflight.headers["access-control-allow-methods"]

    evil = await web.options("/codec/decode", headers={**request_headers, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in evil.headers


def test_compose_publishes_no_temporal_port_to_the_world_and_wires_the_codec() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("temporal", "temporal-ui"):
        for port in services[name].get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
    ui_env = services["temporal-ui"]["environment"]
    assert "/codec" in ui_env.get("TEMPORAL_CODEC_ENDPOINT", "")  # the web app's codec server
    assert "HIREFLOW_PAYLOAD_ENCRYPTION_KEYS" in compose["x-hireflow-env"]
    for name in ("hireflow-worker", "hireflow-web"):
        assert "HIREFLOW_PAYLOAD_ENCRYPTION_KEYS" in services[name]["environment"]
