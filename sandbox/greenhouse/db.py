"""The sandbox's SQL store: engine creation for SQLite or PostgreSQL, a session helper and id allocation.

Every unit of work runs in a worker thread under one lock: in-memory SQLite has a single shared connection,
and serializing writes also makes compare-and-swap semantics (move, reject) trivially atomic.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine
from starlette.concurrency import run_in_threadpool

from sandbox.greenhouse.seed import SeedSummary
from sandbox.greenhouse.tables import ALL_TABLES, SandboxBase, SandboxMeta, sandbox_registry

T = TypeVar("T")


def normalize_url(url: str) -> str:
    """Let users write `postgresql://…`; SQLAlchemy would pick psycopg2, we ship psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        return create_engine(url, **kwargs)
    return create_engine(url, pool_pre_ping=True)


class Store:
    """Owns the engine; hands out sessions and fresh ids."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._lock = threading.RLock()
        self._next_ids: dict[str, int] = {}

    def create_schema(self, *, drop_first: bool = True) -> None:
        metadata = sandbox_registry.metadata
        if drop_first:
            metadata.drop_all(self.engine)
        metadata.create_all(self.engine)
        self._next_ids.clear()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A locked session that commits on success."""
        with self._lock, Session(self.engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    def run(self, fn: Callable[[Session], T]) -> T:
        with self.session() as session:
            return fn(session)

    async def arun(self, fn: Callable[[Session], T]) -> T:
        """Run `fn(session)` in a worker thread so the event loop stays free."""
        return await run_in_threadpool(self.run, fn)

    def next_id(self, session: Session, table: type[SandboxBase]) -> int:
        """Allocate the next id for `table` (max + 1), cached per table; call under the store lock."""
        key = str(table.__tablename__)
        if key not in self._next_ids:
            current = session.execute(select(func.max(table.id))).scalar()
            self._next_ids[key] = (current or 0) + 1
        value = self._next_ids[key]
        self._next_ids[key] = value + 1
        return value

    def load_summary(self, seed: int, candidates: int) -> SeedSummary | None:
        """The summary of an org already seeded here with these settings, if any."""
        if not inspect(self.engine).has_table(SandboxMeta.__tablename__):
            return None
        if any(not inspect(self.engine).has_table(str(t.__tablename__)) for t in ALL_TABLES):
            return None
        with self.session() as session:
            meta = session.get(SandboxMeta, 1)
            if meta is None or meta.seed != seed or meta.candidates != candidates:
                return None
            return SeedSummary.model_validate(meta.summary)

    def save_summary(self, seed: int, candidates: int, summary: SeedSummary) -> None:
        with self.session() as session:
            now = datetime.now(UTC)
            session.merge(
                SandboxMeta(
                    id=1,
                    created_at=now,
                    updated_at=now,
                    seed=seed,
                    candidates=candidates,
                    summary=summary.model_dump(mode="json"),
                )
            )

    def dispose(self) -> None:
        self.engine.dispose()
