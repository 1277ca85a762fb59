"""Sourcing intake end to end: `POST /api/v1/sourcing/candidates` over HTTP (ASGI), the SourcingWorkflow
on the Temporal dev server with the real activities, the Greenhouse sandbox over HTTP, SQLite stores.

Proves the contract (202, status rows, 422 naming row and field, 401/403), the duplicate rules (same
external id → skipped, same email → matched, similar name + same phone → needs_review, never created),
per-row résumé errors that cost no other row, and zero duplicates under concurrent batches.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import uuid
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.retention import RetentionActivities
from activities.source_push import SourcePushActivities
from activities.sourcing import SourcingActivities
from activities.sync import SyncActivities
from integrations.erasure import anonymize_in_greenhouse, erase_hireflow_copies
from integrations.greenhouse.client import HarvestClient
from integrations.mirror_store import MirrorStore
from integrations.sourcing_client import SourcingClient
from integrations.sourcing_store import SourcePushStore, SourcingStore, email_claim
from models.retention import retention_workflow_id
from models.settings import Settings
from models.source_push import sign_push, source_signing_secret
from models.sourcing_store import ErasureRecord, SourcingRow
from models.store import create_engine_for, init_db
from models.sync_io import ResourcePassInput
from sandbox.greenhouse.config import SandboxConfig
from sandbox.greenhouse.server import SandboxServer
from starters.source_cmd import import_rows
from starters.source_file import read_source_file
from tests.fixtures.sandbox import client_for
from tests.support.databases import sql_store_url
from tests.support.receiver import receiver
from tests.support.stack import terminate_running
from web.app import create_app
from web.webhooks import sign_body
from workflows.retention import ConsentRetentionWorkflow
from workflows.source_push import SourceStatusPushWorkflow
from workflows.sourcing import SourcingWorkflow

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KEY, OTHER_KEY = "key-of-inhire", "key-of-pocket"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@dataclass
class Stack:
    http: httpx.AsyncClient
    harvest: HarvestClient
    engine: Engine
    server: SandboxServer
    job_id: int
    recruiter_id: int
    settings: Settings
    temporal: Client

    def row(self, external_id: str, **changes: Any) -> dict[str, Any]:
        tag = uuid.uuid4().hex[:6]
        row: dict[str, Any] = {
            "external_id": external_id,
            "first_name": "Ada",
            "last_name": f"Source{tag}",
            "emails": [f"ada.{tag}@example.com"],
            "phones": ["+44 20 7946 0000"],
            "links": ["https://www.linkedin.com/in/ada"],
            "job_id": self.job_id,
            "prospect": False,
            "resume": {"filename": "ada.pdf", "content_base64": b64(PDF)},
            "tags": ["inhire"],
            "source": "LinkedIn",
            "recruiter_id": self.recruiter_id,
            "consent": {"basis": "consent", "given_at": "2026-01-05T10:00:00Z", "notice_version": "v3"},
        }
        return row | changes

    async def post(self, rows: list[dict[str, Any]], key: str = KEY) -> httpx.Response:
        return await self.http.post(
            "/api/v1/sourcing/candidates",
            json={"candidates": rows},
            headers={"Authorization": f"Bearer {key}"},
        )

    async def until_done(self, status_url: str, key: str = KEY, seconds: float = 90) -> dict[str, Any]:
        for _ in range(int(seconds * 4)):
            answer = await self.http.get(status_url, headers={"Authorization": f"Bearer {key}"})
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            if body["status"] == "done":
                return body
            await asyncio.sleep(0.25)
        raise AssertionError(f"batch not done: {body}")

    async def import_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answer = await self.post(rows)
        assert answer.status_code == 202, answer.text
        result: list[dict[str, Any]] = (await self.until_done(answer.json()["status_url"]))["rows"]
        return result

    async def candidates_with(self, email: str) -> list[int]:
        return [c.id for c in await self.harvest.list_candidates(email=email).collect()]


@pytest_asyncio.fixture
async def stack(
    dev_server_env: WorkflowEnvironment, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Stack]:
    """The stack on SQLite, or on PostgreSQL for tests parametrized `indirect` with "postgres"."""
    with sql_store_url(getattr(request, "param", "sqlite"), tmp_path) as url:
        async with _stack(dev_server_env, tmp_path, url) as found:
            yield found


@asynccontextmanager
async def _stack(dev_server_env: WorkflowEnvironment, tmp_path: Path, store_url: str) -> AsyncIterator[Stack]:
    queue = f"sourcing-{uuid.uuid4().hex[:8]}"
    engine = create_engine_for(store_url)
    init_db(engine)
    store = SourcingStore(engine)
    store.add_key("inhire", key=KEY)
    store.add_key("pocket", key=OTHER_KEY)
    sandbox_db = f"sqlite:///{tmp_path / 'greenhouse.db'}"
    async with (
        SandboxServer(SandboxConfig(database_url=sandbox_db, candidates=30, rate_limit=10_000)) as server,
        client_for(server, max_retries=0) as harvest,
    ):
        settings = Settings(task_queue=queue, harvest_task_queue=queue, planner_task_queue=queue)
        activities = SourcingActivities(harvest, engine)
        client = dev_server_env.client
        app = create_app(settings, lambda: _client(client), engine=engine)
        async with (
            Worker(
                client,
                task_queue=queue,
                workflows=[SourcingWorkflow, SourceStatusPushWorkflow, ConsentRetentionWorkflow],
                activities=[
                    activities.import_sourcing_row,
                    activities.fail_sourcing_row,
                    SourcePushActivities(settings).post_source_status,
                    RetentionActivities(harvest, engine).read_consent_deadline,
                ],
            ),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://hireflow.test"
            ) as http,
        ):
            job_id = next(j.id for j in await harvest.list_jobs(status="open").collect())
            users = [u for u in await harvest.list_users().collect() if u.id != server.hireflow_user_id]
            try:
                yield Stack(http, harvest, engine, server, job_id, users[0].id, settings, client)
            finally:
                # Candidate ids repeat in every test's sandbox: a retention timer left running here
                # (its worker gone) would be the next test's `retention-<id>`, and the next test's
                # sourcing would signal it instead of starting its own. The visibility listing lags
                # under load, so each candidate's timer is also ended by its id.
                await terminate_running(client, queue)
                for candidate in await harvest.list_candidates().collect():
                    await _end_if_running(client, retention_workflow_id(candidate.id))
    engine.dispose()


async def _end_if_running(client: Client, workflow_id: str) -> None:
    try:
        await client.get_workflow_handle(workflow_id).terminate("test module ended")
    except RPCError as error:  # never started, or already over
        if error.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise


async def _client(client: Client) -> Client:
    return client


@pytest.mark.parametrize("stack", ["sqlite", "postgres"], indirect=True)
async def test_a_batch_is_imported_row_by_row_with_every_decision_reported(stack: Stack) -> None:
    existing = next(c for c in await stack.harvest.list_candidates().collect() if c.email_addresses)
    known_email = existing.email_addresses[0].value
    new = stack.row("ih-1")
    rows = [
        new,
        stack.row("ih-2", emails=[f"  {known_email.upper()} "], resume=None),  # same person, other case
        dict(new),  # the same source record twice in one batch
        stack.row("ih-4", resume={"filename": "cv.pdf", "content_base64": b64(PDF[:20])}),  # cut short
        stack.row(
            "ih-5", resume={"filename": "cv.docx", "content_base64": b64(b"\x89PNG\r\n\x1a\n" + b"0" * 64)}
        ),
        stack.row(
            "ih-6", resume={"filename": "cv.pdf", "content_base64": b64(b"%PDF-" + b"0" * (11 * 2**20))}
        ),
        stack.row(
            "ih-7", prospect=True, job_id=None, resume={"filename": "cv", "content_base64": b64(docx())}
        ),
    ]
    answer = await stack.post(rows)
    assert answer.status_code == 202, answer.text
    assert set(answer.json()) == {"batch_id", "status_url"}
    report = await stack.until_done(answer.json()["status_url"])
    by_id = {(r["external_id"], r["outcome"]): r for r in report["rows"]}
    assert sorted(by_id) == sorted(
        [
            ("ih-1", "created"),
            ("ih-1", "skipped_duplicate"),
            ("ih-2", "matched_existing"),
            ("ih-4", "failed"),
            ("ih-5", "failed"),
            ("ih-6", "failed"),
            ("ih-7", "created"),
        ]
    )
    assert set(report["rows"][0]) == {"external_id", "outcome", "candidate_id", "application_id", "reason"}
    assert "corrupt PDF" in by_id["ih-4", "failed"]["reason"]
    assert "PDF or DOCX" in by_id["ih-5", "failed"]["reason"]
    assert "larger than 10 MB" in by_id["ih-6", "failed"]["reason"]
    assert all(by_id[k, "failed"]["candidate_id"] is None for k in ("ih-4", "ih-5", "ih-6"))  # nothing made

    created = by_id["ih-1", "created"]
    assert by_id["ih-1", "skipped_duplicate"]["candidate_id"] == created["candidate_id"]
    assert await stack.candidates_with(new["emails"][0]) == [created["candidate_id"]]
    candidate = await stack.harvest.get_candidate(created["candidate_id"])
    assert [p.value for p in candidate.phone_numbers] == new["phones"] and "inhire" in candidate.tags
    application = await stack.harvest.get_application(created["application_id"])
    assert (application.job_id, application.recruiter_id) == (stack.job_id, stack.recruiter_id)
    [resume] = await stack.harvest.list_attachments(application_ids=[application.id], type="resume").collect()
    assert resume.filename == "ada.pdf"

    matched = by_id["ih-2", "matched_existing"]
    assert matched["candidate_id"] == existing.id
    assert (await stack.harvest.get_application(matched["application_id"])).job_id == stack.job_id
    assert "inhire" in (await stack.harvest.get_candidate(existing.id)).tags

    prospect = await stack.harvest.get_application(by_id["ih-7", "created"]["application_id"])
    assert prospect.prospect
    [docx_resume] = await stack.harvest.list_attachments(application_ids=[prospect.id]).collect()
    assert docx_resume.filename == "cv.docx"
    consents = SourcingStore(stack.engine).consents(created["candidate_id"])
    assert [(c.source, c.basis, c.notice_version) for c in consents] == [("inhire", "consent", "v3")]

    again = await stack.import_rows([new, rows[1]])  # the source resends: nothing new
    assert [(r["outcome"], r["candidate_id"]) for r in again] == [
        ("skipped_duplicate", created["candidate_id"]),
        ("skipped_duplicate", existing.id),  # the same source record: nothing new, even for a match
    ]
    assert await stack.candidates_with(new["emails"][0]) == [created["candidate_id"]]
    applications = await stack.harvest.list_applications(candidate_ids=[existing.id]).collect()
    assert sum(a.job_id == stack.job_id for a in applications) == 1  # no second application either


@pytest.mark.parametrize("stack", ["sqlite", "postgres"], indirect=True)
async def test_concurrent_batches_of_the_same_people_create_no_duplicates(stack: Stack) -> None:
    people = [stack.row(f"c-{i}", resume=None) for i in range(6)]
    from_other_tool = [p | {"external_id": f"other-{i}"} for i, p in enumerate(people)]  # same emails
    first, second = await asyncio.gather(stack.post(people), stack.post(list(reversed(from_other_tool))))
    assert first.status_code == second.status_code == 202
    reports = await asyncio.gather(
        stack.until_done(first.json()["status_url"]), stack.until_done(second.json()["status_url"])
    )
    outcomes = sorted(r["outcome"] for report in reports for r in report["rows"])
    assert outcomes == ["created"] * 6 + ["matched_existing"] * 6
    for person in people:
        assert len(await stack.candidates_with(person["emails"][0])) == 1


async def test_a_similar_name_with_the_same_phone_goes_to_review_and_is_not_created(stack: Stack) -> None:
    await SyncActivities(stack.harvest, MirrorStore(stack.engine)).sync_resource(
        ResourcePassInput(resource="candidates")
    )
    people = [c for c in await stack.harvest.list_candidates().collect() if c.phone_numbers and c.last_name]
    person = people[0]
    assert person.first_name and person.last_name
    typo = person.last_name[:-1] + ("x" if person.last_name[-1] != "x" else "y")
    email = f"someone.{uuid.uuid4().hex[:6]}@example.org"
    [result] = await stack.import_rows(
        [
            stack.row(
                "near-1",
                first_name=person.first_name,
                last_name=typo,
                emails=[email],
                phones=[person.phone_numbers[0].value],
            )
        ]
    )
    assert (result["outcome"], result["candidate_id"]) == ("needs_review", person.id)
    assert "possible duplicate" in result["reason"]
    assert await stack.candidates_with(email) == []
    [other] = await stack.import_rows(  # a different name on that phone is someone else
        [stack.row("near-2", first_name="Zebedee", last_name="Quux", phones=[person.phone_numbers[0].value])]
    )
    assert other["outcome"] == "created"


async def test_bad_requests_name_row_and_field_and_keys_are_scoped_to_their_source(stack: Stack) -> None:
    good = stack.row("ok-1")
    bad_email = stack.row("bad-1", emails=["not-an-email"])
    no_place = stack.row("bad-2", job_id=None)
    no_consent = {k: v for k, v in stack.row("bad-3").items() if k != "consent"}
    answer = await stack.post([good, bad_email, no_place, no_consent])
    assert answer.status_code == 422
    problems = {(p["row"], p["field"]) for p in answer.json()["problems"]}
    assert problems == {(1, "emails.0"), (2, "row"), (3, "consent")}
    assert "not-an-email" not in answer.text  # values are never echoed
    assert await stack.candidates_with(good["emails"][0]) == []  # nothing of a refused batch imported
    for body in (b"{", b'{"candidates": []}', b'{"candidates": [], "x": 1}', b"[" * 10_000):
        refused = await stack.http.post(
            "/api/v1/sourcing/candidates", content=body, headers={"Authorization": f"Bearer {KEY}"}
        )
        assert refused.status_code == 422, body[:20]

    for header in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {KEY}"}):
        denied = await stack.http.post(
            "/api/v1/sourcing/candidates", json={"candidates": [good]}, headers=header
        )
        assert denied.status_code == 401 and denied.headers["www-authenticate"].startswith("Bearer")
    accepted = await stack.post([good])
    status_url = accepted.json()["status_url"]
    assert (
        await stack.http.get(status_url, headers={"Authorization": f"Bearer {OTHER_KEY}"})
    ).status_code == 403
    assert (await stack.http.get(status_url)).status_code == 401
    missing = await stack.http.get(
        "/api/v1/sourcing/batches/" + "0" * 32, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert missing.status_code == 404
    store = SourcingStore(stack.engine)
    [inhire_key] = [k for k in store.list_keys() if k.source == "inhire"]
    assert store.revoke_key(inhire_key.id)
    assert (await stack.post([good])).status_code == 401  # a revoked key stops at once
    too_big = await stack.http.post(
        "/api/v1/sourcing/candidates",
        content=b"x" * (stack.settings.sourcing_max_body_bytes + 1),
        headers={"Authorization": f"Bearer {OTHER_KEY}", "Content-Type": "application/json"},
    )
    assert too_big.status_code == 413


async def test_the_batch_workflow_reports_counts_in_its_result_query_and_ui_page(stack: Stack) -> None:
    bad = stack.row("w-2", resume={"filename": "x.pdf", "content_base64": "@@not base64"})
    answer = await stack.post([stack.row("w-1"), bad])
    batch_id = answer.json()["batch_id"]
    await stack.until_done(answer.json()["status_url"])
    sourcing = SourcingClient(stack.temporal, stack.settings)
    result = await sourcing.handle(batch_id).result()
    assert (result.counts.created, result.counts.failed, result.rows) == (1, 1, 2)
    assert (await sourcing.status(batch_id)).counts.done == 2
    metadata = await sourcing.handle(batch_id).query(
        "__temporal_workflow_metadata", result_type=WorkflowMetadata
    )
    assert "| 1 | 0 | 0 | 0 | 1 |" in metadata.current_details
    assert "@example.com" not in metadata.current_details  # ids and outcomes only
    [_, failed] = (await stack.until_done(answer.json()["status_url"]))["rows"]
    assert failed["reason"] == "résumé content_base64 is not valid base64"
    stored = SourcingStore(stack.engine).batch(batch_id)
    assert stored is not None and all(r.payload is None for r in stored[1])  # row data dropped once done
    # The created candidate's consent keeps them until it lapses: a retention timer per candidate.
    [created] = [r for r in stored[1] if r.outcome == "created"]
    assert created.candidate_id is not None
    timer = stack.temporal.get_workflow_handle_for(
        ConsentRetentionWorkflow.run, retention_workflow_id(created.candidate_id)
    )
    for _ in range(50):
        status = await timer.query(ConsentRetentionWorkflow.status)
        if status.deadline is not None:
            break
        await asyncio.sleep(0.1)
    assert status.state == "waiting" and status.basis == "consent"
    assert status.deadline is not None and status.deadline.year == 2028  # given 2026-01-05, kept 730 days
    await timer.terminate("test over")


async def test_a_csv_import_reports_every_line_and_a_second_import_creates_nothing(
    stack: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hireflow source import FILE`: the file's good lines go through the same workflow as the API."""
    existing = next(c for c in await stack.harvest.list_candidates().collect() if c.email_addresses)
    (tmp_path / "cv.pdf").write_bytes(PDF)
    tag = uuid.uuid4().hex[:6]
    head = "external_id,first_name,last_name,emails,job_id,resume,recruiter_id,consent_basis,consent_given_at,consent_notice_version\n"
    consent = "consent,2026-01-05T10:00:00Z,v3"
    lines = [
        f"f-1,Ada,New{tag},ada.{tag}@example.com,{stack.job_id},cv.pdf,{stack.recruiter_id},{consent}",
        f"f-2,Known,Person,{existing.email_addresses[0].value.upper()},{stack.job_id},,,{consent}",
        f"f-1,Ada,New{tag},ada.{tag}@example.com,{stack.job_id},cv.pdf,{stack.recruiter_id},{consent}",
        f"f-4,Bad,Email,not-an-email,{stack.job_id},,,{consent}",
    ]
    path = tmp_path / "people.csv"
    path.write_bytes(
        (head + "\n".join(lines[:3]) + "\n").encode()
        + f"f-5,J\u00f6rg,Latin,j.{tag}@example.com,{stack.job_id},,,{consent}\n".encode("latin-1")
        + (lines[3] + "\n").encode()
    )
    found = read_source_file(path)
    assert found.refused_lines == [5, 6]
    client = SourcingClient(stack.temporal, stack.settings)
    store = SourcingStore(stack.engine)

    failed = await import_rows(store, client, "csv-import", found.rows, found.lines)

    report = capsys.readouterr().out
    assert failed == 0
    by_line = {
        int(n): (ext, outcome) for n, ext, outcome in re.findall(r"line\s+(\d+)\s+(\S+)\s+(\S+)", report)
    }
    # Lines 2 and 4 are the same record: whichever was imported first created it, the other was skipped.
    assert sorted([by_line[2], by_line[4]]) == [("f-1", "created"), ("f-1", "skipped_duplicate")]
    assert by_line[3] == ("f-2", "matched_existing") and f"candidate {existing.id}" in report
    assert "1 created, 1 matched_existing, 1 skipped_duplicate" in report
    created = await stack.candidates_with(f"ada.{tag}@example.com")
    assert len(created) == 1

    assert await import_rows(store, client, "csv-import", found.rows, found.lines) == 0
    assert "3 skipped_duplicate" in capsys.readouterr().out, "importing the file again creates nothing"
    assert await stack.candidates_with(f"ada.{tag}@example.com") == created


async def test_greenhouse_changes_reach_the_sources_webhook_signed_mapped_and_once(stack: Stack) -> None:
    """A hire and a stage change of a sourced application are posted to its source; redeliveries are not."""
    store = SourcingStore(stack.engine)
    push_store = SourcePushStore(stack.engine)
    async with receiver() as hook:
        store.ensure_source("inhire", hook.url)
        push_store.set_status("inhire", "stage:Onsite", "interviewing")
        push_store.set_status("inhire", "rejected", "")  # the source does not want to hear of rejections
        [row] = await stack.import_rows([stack.row(f"push-{uuid.uuid4().hex[:6]}", resume=None)])
        assert row["outcome"] == "created"
        application = {
            "id": row["application_id"],
            "candidate": {"id": row["candidate_id"]},
            "jobs": [{"id": stack.job_id}],
        }

        async def deliver(action: str, event_id: str, **fields: Any) -> dict[str, Any]:
            raw = json.dumps(
                {"action": action, "payload": {"application": {**application, **fields}}}
            ).encode()
            secret = stack.settings.greenhouse_webhook_secret.get_secret_value()
            answer = await stack.http.post(
                "/webhooks/greenhouse",
                content=raw,
                headers={"Signature": sign_body(raw, secret), "Greenhouse-Event-Id": event_id},
            )
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            return body

        staged = await deliver(
            "candidate_stage_change", "gh-1", status="active", current_stage={"id": 5, "name": "Onsite"}
        )
        assert "status pushed to 1 source record" in staged["outcome"]
        assert (
            await deliver(
                "candidate_stage_change", "gh-1", status="active", current_stage={"id": 5, "name": "Onsite"}
            )
        )["status"] == "duplicate"
        await deliver("reject_candidate", "gh-2", status="rejected")
        await deliver("hire_candidate", "gh-3", status="hired")

        async def two_delivered() -> bool:
            return len(hook.delivered()) >= 2

        for _ in range(200):
            if await two_delivered():
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # a third (the silenced rejection, a duplicate) would arrive by now
    bodies = [json.loads(r.body) for r in hook.delivered()]
    assert sorted((b["greenhouse_action"], b["status"]) for b in bodies) == [
        ("candidate_stage_change", "interviewing"),
        ("hire_candidate", "hired"),
    ]
    secret = source_signing_secret(stack.settings.signing_secret.get_secret_value(), "inhire")
    assert all(r.headers["hireflow-signature"] == sign_push(r.body, secret) for r in hook.delivered())
    assert all(
        b["application_id"] == row["application_id"] and b["external_id"] == row["external_id"]
        for b in bodies
    )


@pytest.mark.parametrize("stack", ["sqlite", "postgres"], indirect=True)
async def test_erasing_a_sourced_candidate_anonymises_them_and_removes_hireflows_copies(stack: Stack) -> None:
    """`hireflow gdpr erase`'s two data steps; a source re-sending the record creates nobody again."""
    new = stack.row(f"erase-{uuid.uuid4().hex[:6]}", resume=None)
    [row] = await stack.import_rows([new])
    candidate_id = row["candidate_id"]
    store = SourcingStore(stack.engine)
    assert store.consents(candidate_id) and store.claim_of(email_claim(new["emails"][0])) is not None

    greenhouse = await anonymize_in_greenhouse(stack.harvest, candidate_id)
    removed = erase_hireflow_copies(stack.engine, candidate_id, reason="test request", greenhouse=greenhouse)

    assert greenhouse.startswith("anonymized")
    candidate = await stack.harvest.get_candidate(candidate_id)
    assert not candidate.email_addresses and candidate.last_name != new["last_name"]
    assert removed["consent records"] == 1 and removed["address claims"] == 1
    assert removed["sourced rows (names, addresses, résumé)"] == 0, "a finished row keeps no payload anyway"
    assert store.consents(candidate_id) == [] and store.claim_of(email_claim(new["emails"][0])) is None
    with Session(stack.engine) as session:
        payloads = session.exec(
            select(SourcingRow.payload).where(SourcingRow.candidate_id == candidate_id)
        ).all()
        records = session.exec(select(ErasureRecord).where(ErasureRecord.candidate_id == candidate_id)).all()
    assert payloads == [None] and [r.reason for r in records] == ["test request"]

    again = erase_hireflow_copies(stack.engine, candidate_id, reason="again", greenhouse=greenhouse)
    assert set(again.values()) == {0}, "a second erasure finds nothing more"
    [resent] = await stack.import_rows([new])
    assert (resent["outcome"], resent["candidate_id"]) == ("skipped_duplicate", candidate_id)
    assert await stack.candidates_with(new["emails"][0]) == []


async def test_the_gdpr_erase_command_stops_nothing_half_way(stack: Stack) -> None:
    """Temporal unreachable: nothing is erased (exit 1). Reachable: Greenhouse and Hireflow, reported."""
    from typer.testing import CliRunner

    from models.settings import get_settings
    from starters.gdpr_cmd import gdpr_app

    new = stack.row(f"gdpr-{uuid.uuid4().hex[:6]}", resume=None)
    [row] = await stack.import_rows([new])
    server = stack.server
    env = {
        "HIREFLOW_GREENHOUSE_BASE_URL": server.base_url,
        "HIREFLOW_GREENHOUSE_TOKEN_URL": server.token_url,
        "HIREFLOW_GREENHOUSE_CLIENT_ID": server.client_id,
        "HIREFLOW_GREENHOUSE_CLIENT_SECRET": server.client_secret,
        "HIREFLOW_GREENHOUSE_USER_ID": str(server.hireflow_user_id),
        "HIREFLOW_DATABASE_URL": str(stack.engine.url),
        "HIREFLOW_TEMPORAL_ADDRESS": stack.temporal.service_client.config.target_host,
        "HIREFLOW_ENVIRONMENT": "development",  # the dev server speaks in clear
    }
    args = ["erase", "--candidate", str(row["candidate_id"]), "--yes"]

    def invoke(**overrides: str) -> Any:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(gdpr_app, args, env={**env, **overrides})
        finally:
            get_settings.cache_clear()

    down = await asyncio.to_thread(invoke, HIREFLOW_TEMPORAL_ADDRESS="127.0.0.1:1")
    assert down.exit_code == 1 and "nothing was erased" in down.output
    assert await stack.candidates_with(new["emails"][0]) == [row["candidate_id"]]

    done = await asyncio.to_thread(invoke)
    assert done.exit_code == 0, done.output
    assert "greenhouse: anonymized" in done.output and "hireflow consent records: 1 removed" in done.output
    assert await stack.candidates_with(new["emails"][0]) == []


async def test_a_prospect_lands_in_the_named_pool_and_stage_with_its_history(stack: Stack) -> None:
    pools = {p.name: p.id for p in await stack.harvest.list_prospect_pools().collect()}
    pool_id = pools["Silver Medalists"]
    stages = {
        s.name: s.id
        for s in await stack.harvest.list_prospect_pool_stages(prospect_pool_ids=[pool_id]).collect()
    }
    placed = stack.row(
        "pool-1",
        prospect=True,
        job_id=None,
        prospect_pool="silver medalists",
        prospect_stage="Engaged",
        educations=[
            {"school": "Northwind Institute of Technology", "degree": "Doctorate"},
            {"school": "Nowhere U"},
        ],
        employments=[{"company": "Contoso", "title": "Staff Engineer", "start_date": "2019-04-01"}],
    )
    no_pool = stack.row("pool-2", prospect=True, job_id=None, prospect_pool="Gold Medalists")

    report = {r["external_id"]: r for r in await stack.import_rows([placed, no_pool])}

    done = report["pool-1"]
    assert done["outcome"] == "created"
    assert done["reason"] == "educations.1.school not on Greenhouse's list: that education was not added"
    [detail] = await stack.harvest.list_prospect_details(application_ids=[done["application_id"]]).collect()
    assert (detail.pool_id, detail.pool_stage_id) == (pool_id, stages["Engaged"])
    assert detail.prospect_owner_id == stack.recruiter_id
    candidate_id = done["candidate_id"]
    assert len(await stack.harvest.list_candidate_educations(candidate_ids=[candidate_id]).collect()) == 1
    [job] = await stack.harvest.list_candidate_employments(candidate_ids=[candidate_id]).collect()
    assert (job.company_name, job.title) == ("Contoso", "Staff Engineer")

    refused = report["pool-2"]
    assert refused["outcome"] == "failed" and refused["candidate_id"] is None
    assert refused["reason"].startswith("prospect_pool: no active prospect pool")
    assert await stack.candidates_with(no_pool["emails"][0]) == []  # nothing half made
