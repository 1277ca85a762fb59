"""Store helpers: engines for SQLite/PostgreSQL URLs, table creation, aware timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from models.store import OutboxEmail, create_engine_for, init_db


def test_sqlite_file_in_a_new_directory_and_idempotent_init(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'h.db'}")
    init_db(engine)
    init_db(engine)  # second call is a no-op
    row = OutboxEmail(
        idempotency_key="k",
        purpose="p",
        message_id="<m@x>",
        sender="a@x",
        recipients="b@x",
        subject="s",
        raw_message=b"raw",
        created_at=datetime(2026, 1, 1, 12, tzinfo=UTC),
    )
    with Session(engine) as s:
        s.add(row)
        s.commit()
        loaded = s.exec(select(OutboxEmail)).one()
    assert loaded.created_at == datetime(2026, 1, 1, 12, tzinfo=UTC) and loaded.raw_message == b"raw"
    engine.dispose()


def test_naive_timestamps_are_refused(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'h.db'}")
    init_db(engine)
    row = OutboxEmail(
        idempotency_key="k",
        purpose="p",
        message_id="<m@x>",
        sender="a@x",
        recipients="b@x",
        subject="s",
        raw_message=b"",
        created_at=datetime(2026, 1, 1, 12),
    )
    with Session(engine) as s, pytest.raises(Exception, match="naive"):
        s.add(row)
        s.commit()
    engine.dispose()


@pytest.mark.parametrize(("url", "message"), [("", "empty"), ("mysql://u@h/db", "unsupported")])
def test_bad_urls_fail_loudly(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_engine_for(url)


def test_postgres_urls_use_psycopg3() -> None:
    engine = create_engine_for("postgresql://postgres@127.0.0.1:5432/test")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()
