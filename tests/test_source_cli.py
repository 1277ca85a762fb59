"""`hireflow source keys add|list|revoke` and `hireflow source status` on a SQLite store, and the dev key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from integrations.sourcing_store import SourcingStore, key_digest
from models.settings import Settings, get_settings
from models.sourcing import RowResult, SourcedCandidate
from models.sourcing_store import SourcingKey
from models.store import create_engine_for, init_db
from starters.cli import app
from starters.devstack import DEV_SOURCE_KEY, dev_source_endpoint

ROW = {
    "external_id": "x-1",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "emails": ["ada@example.com"],
    "job_id": 5,
    "consent": {"basis": "legitimate_interest", "given_at": "2026-01-01T00:00:00Z", "notice_version": "1"},
}


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'hireflow.db'}"
    monkeypatch.setenv("HIREFLOW_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()  # no later test sees this store


def test_keys_are_printed_once_stored_hashed_and_revoked(database: str) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["source", "keys", "add", "inhire", "--label", "prod"])
    assert made.exit_code == 0, made.output
    key = made.output.strip()
    assert key.startswith("hfs_") and len(key) > 40
    store = SourcingStore(create_engine_for(database))
    assert store.source_for_key(key) == "inhire"
    with Session(store.engine) as session:
        [stored] = session.exec(select(SourcingKey)).all()
    assert stored.key_sha256 == key_digest(key) and key not in stored.model_dump_json()
    listed = runner.invoke(app, ["source", "keys", "list"])
    assert "inhire" in listed.output and "active" in listed.output and key not in listed.output
    assert runner.invoke(app, ["source", "keys", "revoke", str(stored.id)]).exit_code == 0
    assert store.source_for_key(key) is None
    assert runner.invoke(app, ["source", "keys", "revoke", str(stored.id)]).exit_code == 1  # already
    assert runner.invoke(app, ["source", "keys", "add", "Not A Name"]).exit_code == 1


def test_status_prints_each_row_and_the_counts(database: str) -> None:
    engine = create_engine_for(database)
    init_db(engine)
    store = SourcingStore(engine)
    batch = store.create_batch("inhire", [SourcedCandidate.model_validate(ROW)] * 2)
    store.record_outcome(batch, RowResult(row=0, external_id="x-1", outcome="created", candidate_id=7))
    out = CliRunner().invoke(app, ["source", "status", batch])
    assert out.exit_code == 0
    assert "running, 1/2" in out.output and "candidate 7" in out.output and "1 created" in out.output
    assert CliRunner().invoke(app, ["source", "status", "nope"]).exit_code == 1


def test_dev_stack_creates_the_dev_source_key(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}")
    endpoint = dev_source_endpoint(settings, "http://127.0.0.1:8000")
    assert (
        endpoint.url == "http://127.0.0.1:8000/api/v1/sourcing/candidates" and DEV_SOURCE_KEY in endpoint.note
    )
    dev_source_endpoint(settings, "http://127.0.0.1:8000")  # twice: still one key
    store = SourcingStore(create_engine_for(settings.resolved_database_url()))
    assert store.source_for_key(DEV_SOURCE_KEY) == "dev" and len(store.list_keys()) == 1
