"""Status push-back to a sourcing tool: signed, retried durably, refused for good on a 4xx, and its
mapping says what the source hears (real HTTP receiver; the workflow on the time-skipping server)."""

from __future__ import annotations

import hmac
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.source_push import SourcePushActivities
from models.settings import Settings
from models.source_push import (
    PushStatusInput,
    PushStatusResult,
    SourceStatusEvent,
    mapped_status,
    push_workflow_id,
    sign_push,
    source_signing_secret,
)
from tests.support.receiver import receiver
from workflows.source_push import SourceStatusPushWorkflow

SECRET = "push-test-secret"


def _event(event_id: str = "evt-1") -> SourceStatusEvent:
    return SourceStatusEvent(
        event_id=event_id,
        source="inhire",
        external_id="ih-1",
        candidate_id=7,
        application_id=70,
        status="hired",
        greenhouse_action="hire_candidate",
        occurred_at=datetime(2026, 12, 7, 12, tzinfo=UTC),
    )


def test_the_map_decides_what_the_source_hears() -> None:
    assert mapped_status({}, "hired", None) == "hired"
    assert mapped_status({}, "stage", "Onsite") == "in_process"
    custom = {"stage:Onsite": "interviewing", "rejected": "", "stage": "screening"}
    assert mapped_status(custom, "stage", "Onsite") == "interviewing"
    assert mapped_status(custom, "stage", "Offer") == "screening"
    assert mapped_status(custom, "rejected", None) is None, "'' silences a change"


def test_ids_and_secrets_are_stable_and_distinct_per_source() -> None:
    assert push_workflow_id("inhire", "e1", "x") == push_workflow_id("inhire", "e1", "x")
    assert push_workflow_id("inhire", "e1", "x") != push_workflow_id("inhire", "e1", "y")
    assert source_signing_secret(SECRET, "inhire") != source_signing_secret(SECRET, "pocket")


async def _push(env: WorkflowEnvironment, url: str) -> PushStatusResult:
    queue = f"push-{uuid.uuid4().hex[:8]}"
    activities = SourcePushActivities(Settings(signing_secret=SecretStr(SECRET)))
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[SourceStatusPushWorkflow],
        activities=[activities.post_source_status],
    ):
        return await env.client.execute_workflow(
            SourceStatusPushWorkflow.run,
            PushStatusInput(webhook_url=url, event=_event()),
            id=f"push-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )


async def test_a_push_is_signed_retried_through_errors_and_delivered_once(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with receiver([503, 429]) as hook:
        result = await _push(time_skipping_env, hook.url)
    assert result.outcome == "delivered" and result.attempts == 3
    assert [r.answered for r in hook.received] == [503, 429, 200]
    assert len({r.headers["hireflow-event-id"] for r in hook.received}) == 1, (
        "every attempt names the same event"
    )
    [delivered] = hook.delivered()
    secret = source_signing_secret(SECRET, "inhire")
    assert hmac.compare_digest(delivered.headers["hireflow-signature"], sign_push(delivered.body, secret))
    body = json.loads(delivered.body)
    assert (body["status"], body["external_id"], body["application_id"]) == ("hired", "ih-1", 70)
    assert set(body) == set(SourceStatusEvent.model_fields), "ids and statuses only, no personal data"


async def test_a_refusal_ends_the_push_without_retrying(time_skipping_env: WorkflowEnvironment) -> None:
    async with receiver([400]) as hook:
        result = await _push(time_skipping_env, hook.url)
    assert result.outcome == "refused" and result.http_status == 400
    assert len(hook.received) == 1


async def test_an_endpoint_down_longer_than_the_budget_ends_undelivered(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    async with receiver([503] * 1000) as hook:
        result = await _push(time_skipping_env, hook.url)
    assert result.outcome == "undelivered" and "503" in result.detail
    assert len(hook.received) > 5 and not hook.delivered()


def test_the_commands_set_the_webhook_print_its_secret_and_keep_the_map(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from models.settings import get_settings
    from starters.source_cmd import source_app

    monkeypatch.setenv("HIREFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'h.db'}")
    monkeypatch.setenv("HIREFLOW_SIGNING_SECRET", SECRET)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(source_app, ["map", "inhire", "hired=won"]).exit_code == 1, "no such source yet"
        set_hook = runner.invoke(source_app, ["webhook", "inhire", "https://inhire.example/h"])
        assert set_hook.exit_code == 0 and "https://inhire.example/h" in set_hook.output
        assert source_signing_secret(SECRET, "inhire") in set_hook.output
        assert runner.invoke(source_app, ["webhook", "inhire", "ftp://x"]).exit_code == 1
        mapped = runner.invoke(source_app, ["map", "inhire", "stage:Onsite=interviewing", "rejected="])
        assert mapped.exit_code == 0, mapped.output
        lines = {line.split()[0]: line.split(maxsplit=1)[1] for line in mapped.output.splitlines()}
        assert lines["stage:Onsite"] == "interviewing" and lines["rejected"] == "(not told)"
        assert lines["hired"] == "hired"
        assert runner.invoke(source_app, ["map", "inhire", "salary=high"]).exit_code == 1
    finally:
        get_settings.cache_clear()
