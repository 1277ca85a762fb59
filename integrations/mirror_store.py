"""Writes to the mirror: idempotent upserts from Harvest listings and webhook payloads, reconciliation,
and the per-resource watermark.

Ordering rule: a row is replaced only by data at least as new as what it holds (`updated_at`), so a
retried page, a duplicate webhook or one delivered out of order never puts older data back. A Harvest
listing wins ties (it is the whole object; a webhook row is partial). Every method is synchronous and
short: callers in async code run it in a thread (`asyncio.to_thread`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from integrations.mirror_resources import MirrorResource, content_hash, normalise_email, resource
from models.mirror import (
    MirrorApplication,
    MirrorCandidate,
    MirrorCandidateEmail,
    MirrorCandidateTag,
    MirrorRow,
    MirrorSyncState,
)
from models.sync_io import MAX_SAMPLE_IDS, ResourceDrift

HARVEST = "harvest"
WEBHOOK = "webhook"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ApplyCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_older: int = 0
    inserted_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)


def _newer_or_equal(incoming: datetime | None, stored: datetime | None) -> bool:
    return incoming is None or stored is None or incoming >= stored


class MirrorStore:
    """The mirror's tables in one SQL store (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------------------------- Harvest

    def apply_harvest(
        self, spec: MirrorResource, objects: Sequence[dict[str, Any]], *, listed_from: datetime | None = None
    ) -> ApplyCounts:
        """Upsert objects listed from Harvest (already reduced to what the mirror keeps).

        With `listed_from` (a reconciliation that began listing then) a row whose content differs is
        replaced even at the same or an older `updated_at`, unless a webhook wrote it after that instant.
        """
        for attempt in range(2):  # a concurrent insert of the same id (webhook) loses once, then updates
            try:
                return self._apply_harvest(spec, objects, listed_from)
            except IntegrityError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _apply_harvest(
        self, spec: MirrorResource, objects: Sequence[dict[str, Any]], listed_from: datetime | None
    ) -> ApplyCounts:
        counts = ApplyCounts()
        now = _utcnow()
        table = spec.table
        with Session(self.engine) as session:
            ids = [int(o["id"]) for o in objects]
            existing = {
                row.id: row for row in session.execute(select(table).where(col(table.id).in_(ids))).scalars()
            }
            for data in objects:
                values = spec.row_values(data)
                digest = content_hash(data)
                row = existing.get(int(data["id"]))
                if row is None:
                    row = table(id=data["id"], synced_at=now, origin=HARVEST, content_hash=digest, data=data)
                    row.sqlmodel_update(values)
                    session.add(row)
                    counts.inserted += 1
                    counts.inserted_ids.append(row.id)
                elif row.content_hash == digest and row.origin == HARVEST:
                    counts.unchanged += 1
                    continue
                elif _newer_or_equal(values["updated_at"], row.updated_at) or (
                    listed_from is not None and (row.origin == HARVEST or row.synced_at < listed_from)
                ):
                    row.sqlmodel_update(
                        {**values, "synced_at": now, "origin": HARVEST, "content_hash": digest, "data": data}
                    )
                    session.add(row)
                    counts.updated += 1
                    counts.updated_ids.append(row.id)
                else:
                    counts.skipped_older += 1
                    continue
                self._children(session, spec, row.id, data)
            session.commit()
        return counts

    def _children(self, session: Session, spec: MirrorResource, row_id: int, data: dict[str, Any]) -> None:
        if spec.table is not MirrorCandidate:
            return
        emails = {
            e
            for e in (normalise_email((a or {}).get("value")) for a in data.get("email_addresses") or [])
            if e
        }
        tags = {str(t)[:255] for t in data.get("tags") or [] if str(t).strip()}
        self._replace_children(session, row_id, emails, tags)

    @staticmethod
    def _replace_children(session: Session, candidate_id: int, emails: set[str], tags: set[str]) -> None:
        session.execute(
            delete(MirrorCandidateEmail).where(col(MirrorCandidateEmail.candidate_id) == candidate_id)
        )
        session.execute(
            delete(MirrorCandidateTag).where(col(MirrorCandidateTag.candidate_id) == candidate_id)
        )
        session.add_all(MirrorCandidateEmail(candidate_id=candidate_id, email=e) for e in sorted(emails))
        session.add_all(MirrorCandidateTag(candidate_id=candidate_id, name=t) for t in sorted(tags))

    # ------------------------------------------------------------------------------------ webhooks

    def apply_partial(self, spec: MirrorResource, partial: dict[str, Any], event_at: datetime | None) -> bool:
        """Merge a webhook's view of one object into its row, if the event is newer than the row.

        A row is only created or changed when `event_at` is strictly newer than what it holds (equal
        means a Harvest listing already has this state or a later one); without `event_at` only a
        missing row is created. Returns whether anything was written.
        """
        for attempt in range(2):
            try:
                return self._apply_partial(spec, partial, event_at)
            except IntegrityError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _apply_partial(
        self, spec: MirrorResource, partial: dict[str, Any], event_at: datetime | None
    ) -> bool:
        now = _utcnow()
        with Session(self.engine) as session:
            row = session.get(spec.table, int(partial["id"]))
            if row is not None and (event_at is None or (row.updated_at and event_at <= row.updated_at)):
                return False
            base = dict(row.data) if row is not None else {}
            data = spec.stored({**base, **partial})
            if event_at is not None:
                data["updated_at"] = event_at.isoformat()
            values = spec.row_values(data)
            if row is None:
                row = spec.table(id=partial["id"], synced_at=now, origin=WEBHOOK, data=data)
            row.sqlmodel_update(
                {
                    **values,
                    "synced_at": now,
                    "origin": WEBHOOK,
                    "content_hash": content_hash(data),
                    "data": data,
                }
            )
            session.add(row)
            self._children(session, spec, row.id, data)
            session.commit()
            return True

    def delete_rows(self, spec: MirrorResource, ids: Iterable[int]) -> int:
        """Remove rows (and a candidate's emails, tags and applications) that Greenhouse deleted."""
        id_list = list(ids)
        if not id_list:
            return 0
        with Session(self.engine) as session:
            self._delete(session, spec, id_list)
            session.commit()
        return len(id_list)

    def _delete(self, session: Session, spec: MirrorResource, ids: list[int]) -> None:
        session.execute(delete(spec.table).where(col(spec.table.id).in_(ids)))
        if spec.table is MirrorCandidate:
            for child in (MirrorCandidateEmail, MirrorCandidateTag, MirrorApplication):
                column = child.candidate_id
                session.execute(delete(child).where(col(column).in_(ids)))

    # ------------------------------------------------------------------------------ reconciliation

    def stored_ids(self, spec: MirrorResource, *, synced_before: datetime) -> set[int]:
        """Ids of rows written before `synced_before` (rows written during a reconciliation are recent)."""
        with Session(self.engine) as session:
            stmt = select(col(spec.table.id)).where(col(spec.table.synced_at) < synced_before)
            return {int(i) for i in session.execute(stmt).scalars()}

    def reconcile_page(
        self,
        spec: MirrorResource,
        objects: Sequence[dict[str, Any]],
        drift: ResourceDrift,
        listed_from: datetime,
    ) -> None:
        """Repair one listed page and add what differed to `drift`."""
        counts = self.apply_harvest(spec, objects, listed_from=listed_from)
        drift.listed += len(objects)
        drift.missing += counts.inserted
        drift.stale += counts.updated
        _sample(drift.missing_ids, counts.inserted_ids)
        _sample(drift.stale_ids, counts.updated_ids)

    def remove_unseen(self, spec: MirrorResource, unseen: set[int], drift: ResourceDrift) -> None:
        drift.deleted += self.delete_rows(spec, sorted(unseen))
        _sample(drift.deleted_ids, sorted(unseen))

    # -------------------------------------------------------------------------------- watermarks

    def state(self, name: str) -> MirrorSyncState:
        with Session(self.engine) as session:
            return session.get(MirrorSyncState, name) or MirrorSyncState(resource=name)

    def states(self) -> dict[str, MirrorSyncState]:
        with Session(self.engine) as session:
            return {s.resource: s for s in session.execute(select(MirrorSyncState)).scalars()}

    def record_pass(self, name: str, synced_through: datetime, changed: int) -> None:
        """Advance the watermark (never backwards) after a listing that completed."""
        self._update_state(name, synced_through, last_pass_at=_utcnow(), last_pass_changed=changed)

    def record_reconciliation(self, name: str, listed_from: datetime) -> None:
        self._update_state(name, listed_from, last_reconciled_at=_utcnow())

    def _update_state(self, name: str, synced_through: datetime, **values: Any) -> None:
        for attempt in range(2):
            try:
                with Session(self.engine) as session:
                    state = session.get(MirrorSyncState, name) or MirrorSyncState(resource=name)
                    if state.synced_through is None or synced_through > state.synced_through:
                        state.synced_through = synced_through
                    state.sqlmodel_update(values)
                    session.add(state)
                    session.commit()
                    return
            except IntegrityError:
                if attempt:
                    raise

    def count(self, name: str) -> int:
        table = resource(name).table
        with Session(self.engine) as session:
            return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def _sample(into: list[int], ids: Iterable[int]) -> None:
    for i in ids:
        if len(into) >= MAX_SAMPLE_IDS:
            return
        into.append(i)


__all__ = ["HARVEST", "WEBHOOK", "ApplyCounts", "MirrorRow", "MirrorStore"]
