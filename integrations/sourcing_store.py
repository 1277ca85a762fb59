"""Reads and writes of sourcing intake's SQL tables (synchronous; callers run them in a thread).

Keys are stored as SHA-256 digests and compared by digest; the plain key is shown once, when made.
Claims are the concurrency guard: a unique row per `ext:<source>:<external id>` and per
`email:<address>`, inserted before a candidate is created and released if the row fails.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from models.sourcing import (
    ConsentInput,
    RowResult,
    SourcedCandidate,
    normalise_email,
)
from models.sourcing_store import (
    ConsentRecord,
    SourcingBatch,
    SourcingClaim,
    SourcingKey,
    SourcingRow,
    SourcingSource,
    SourcingStatusMap,
)

KEY_PREFIX = "hfs_"


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def external_claim(source: str, external_id: str) -> str:
    return f"ext:{source}:{external_id}"


def email_claim(address: str) -> str:
    return f"email:{normalise_email(address)}"


@dataclass(frozen=True)
class KeyInfo:
    id: int
    source: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class StoredRow:
    source: str
    row: SourcingRow
    candidate: SourcedCandidate | None  # None once processed (the payload is cleared)


class SourcingStore:
    """Sources, keys, batches, row outcomes, claims and consent records in the Hireflow SQL store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------------------- sources & keys

    def ensure_source(self, name: str, webhook_url: str | None = None) -> SourcingSource:
        with Session(self.engine) as session:
            found = session.get(SourcingSource, name)
            if found is None:
                found = SourcingSource(name=name, webhook_url=webhook_url, created_at=datetime.now(UTC))
                session.add(found)
            elif webhook_url is not None:
                found.webhook_url = webhook_url
            session.commit()
            session.refresh(found)
            return found

    def source(self, name: str) -> SourcingSource | None:
        with Session(self.engine) as session:
            return session.get(SourcingSource, name)

    def add_key(self, source: str, label: str = "", *, key: str | None = None) -> str:
        """A new key of `source` (made here unless given, e.g. the dev stack's); returns the plain key."""
        plain = key or KEY_PREFIX + secrets.token_urlsafe(32)
        self.ensure_source(source)
        digest = key_digest(plain)
        with Session(self.engine) as session:
            existing = session.exec(select(SourcingKey).where(SourcingKey.key_sha256 == digest)).first()
            if existing is not None:
                if existing.source != source:
                    raise ValueError("that key already belongs to another source")
                existing.revoked_at = None
            else:
                session.add(
                    SourcingKey(
                        source=source, key_sha256=digest, label=label[:100], created_at=datetime.now(UTC)
                    )
                )
            session.commit()
        return plain

    def list_keys(self) -> list[KeyInfo]:
        with Session(self.engine) as session:
            rows = session.exec(select(SourcingKey).order_by(col(SourcingKey.id))).all()
            return [KeyInfo(r.id or 0, r.source, r.label, r.created_at, r.revoked_at) for r in rows]

    def revoke_key(self, key_id: int) -> bool:
        with Session(self.engine) as session:
            found = session.get(SourcingKey, key_id)
            if found is None or found.revoked_at is not None:
                return False
            found.revoked_at = datetime.now(UTC)
            session.commit()
            return True

    def source_for_key(self, key: str) -> str | None:
        """The source a presented key belongs to; None for unknown or revoked keys."""
        with Session(self.engine) as session:
            found = session.exec(select(SourcingKey).where(SourcingKey.key_sha256 == key_digest(key))).first()
            if found is None or found.revoked_at is not None:
                return None
            return found.source

    # --------------------------------------------------------------------------------- batches & rows

    def create_batch(self, source: str, candidates: Sequence[SourcedCandidate]) -> str:
        """Store a batch and its rows (one transaction: all of it or none); returns the batch id."""
        batch_id = uuid.uuid4().hex
        with Session(self.engine) as session:
            session.add(
                SourcingBatch(
                    batch_id=batch_id, source=source, rows=len(candidates), created_at=datetime.now(UTC)
                )
            )
            for index, candidate in enumerate(candidates):
                session.add(
                    SourcingRow(
                        batch_id=batch_id,
                        row=index,
                        external_id=candidate.external_id,
                        payload=candidate.model_dump_json(),
                    )
                )
            session.commit()
        return batch_id

    def delete_batch(self, batch_id: str) -> None:
        """Undo `create_batch` when its workflow could not be started (the source is told to retry)."""
        with Session(self.engine) as session:
            session.execute(delete(SourcingRow).where(col(SourcingRow.batch_id) == batch_id))
            session.execute(delete(SourcingBatch).where(col(SourcingBatch.batch_id) == batch_id))
            session.commit()

    def batch(self, batch_id: str) -> tuple[SourcingBatch, list[SourcingRow]] | None:
        with Session(self.engine) as session:
            found = session.get(SourcingBatch, batch_id)
            if found is None:
                return None
            rows = session.exec(
                select(SourcingRow).where(SourcingRow.batch_id == batch_id).order_by(col(SourcingRow.row))
            ).all()
            return found, list(rows)

    def stored_row(self, batch_id: str, row: int) -> StoredRow:
        with Session(self.engine) as session:
            batch = session.get(SourcingBatch, batch_id)
            found = session.exec(
                select(SourcingRow).where(SourcingRow.batch_id == batch_id, SourcingRow.row == row)
            ).first()
            if batch is None or found is None:
                raise LookupError(f"row {row} of batch {batch_id} not found")
            candidate = SourcedCandidate.model_validate_json(found.payload) if found.payload else None
            return StoredRow(batch.source, found, candidate)

    def record_outcome(self, batch_id: str, result: RowResult) -> RowResult:
        """Write a row's outcome once (a retried activity gets the first answer back) and drop its data."""
        with Session(self.engine) as session:
            found = session.exec(
                select(SourcingRow).where(SourcingRow.batch_id == batch_id, SourcingRow.row == result.row)
            ).one()
            if found.outcome is not None:
                return row_result(found)
            found.outcome = result.outcome
            found.candidate_id = result.candidate_id
            found.application_id = result.application_id
            found.reason = result.reason[:1000] if result.reason else None
            found.payload = None
            found.finished_at = datetime.now(UTC)
            session.commit()
            session.refresh(found)
            return row_result(found)

    # ------------------------------------------------------------------------------------- claims

    def claim(self, keys: Iterable[str], batch_id: str, row: int) -> dict[str, SourcingClaim]:
        """Take the keys for (batch, row) in sorted order, stopping at the first held by another row (so two
        rows wanting the same addresses never hold one each and wait on each other forever); returns, per
        key tried, the claim as it stands, ours or not."""
        owners: dict[str, SourcingClaim] = {}
        for key in sorted(set(keys)):
            with Session(self.engine) as session:
                session.add(
                    SourcingClaim(claim_key=key, batch_id=batch_id, row=row, claimed_at=datetime.now(UTC))
                )
                try:
                    session.commit()
                except IntegrityError:
                    session.rollback()
            with Session(self.engine) as session:
                found = session.exec(select(SourcingClaim).where(SourcingClaim.claim_key == key)).first()
                if found is not None:
                    session.expunge(found)
                    owners[key] = found
                    if (found.batch_id, found.row) != (batch_id, row):
                        break
        return owners

    def claim_of(self, key: str) -> SourcingClaim | None:
        with Session(self.engine) as session:
            found = session.exec(select(SourcingClaim).where(SourcingClaim.claim_key == key)).first()
            if found is not None:
                session.expunge(found)
            return found

    def settle_claims(self, batch_id: str, row: int, candidate_id: int) -> None:
        """The row's claims now name the candidate it created or matched: later imports find it."""
        with Session(self.engine) as session:
            for claim in session.exec(
                select(SourcingClaim).where(SourcingClaim.batch_id == batch_id, SourcingClaim.row == row)
            ):
                claim.candidate_id = candidate_id
            session.commit()

    def release_claims(self, batch_id: str, row: int) -> int:
        """Drop the row's claims that name no candidate (it failed or went to review); returns how many."""
        with Session(self.engine) as session:
            result = session.execute(
                delete(SourcingClaim).where(
                    col(SourcingClaim.batch_id) == batch_id,
                    col(SourcingClaim.row) == row,
                    col(SourcingClaim.candidate_id).is_(None),
                )
            )
            session.commit()
            return int(getattr(result, "rowcount", 0) or 0)

    # ------------------------------------------------------------------------------------ consent

    def record_consent(self, candidate_id: int, source: str, consent: ConsentInput) -> ConsentRecord:
        """The latest basis a source gave for this candidate (one record per candidate and source)."""
        with Session(self.engine) as session:
            found = session.exec(
                select(ConsentRecord).where(
                    ConsentRecord.candidate_id == candidate_id, ConsentRecord.source == source
                )
            ).first()
            if found is None:
                found = ConsentRecord(
                    candidate_id=candidate_id,
                    source=source,
                    basis=consent.basis,
                    given_at=consent.given_at,
                    notice_version=consent.notice_version,
                    recorded_at=datetime.now(UTC),
                )
                session.add(found)
            elif consent.given_at >= found.given_at:
                found.basis, found.given_at = consent.basis, consent.given_at
                found.notice_version, found.recorded_at = consent.notice_version, datetime.now(UTC)
            session.commit()
            session.refresh(found)
            return found

    def consents(self, candidate_id: int) -> list[ConsentRecord]:
        with Session(self.engine) as session:
            return list(session.exec(select(ConsentRecord).where(ConsentRecord.candidate_id == candidate_id)))


def row_result(row: SourcingRow) -> RowResult:
    return RowResult.model_validate(
        {
            "row": row.row,
            "external_id": row.external_id,
            "outcome": row.outcome or "failed",
            "candidate_id": row.candidate_id,
            "application_id": row.application_id,
            "reason": row.reason,
        }
    )


@dataclass(frozen=True)
class SourcedRecord:
    """A source record that became (or matched) the candidate of an application: whom to tell of changes."""

    source: str
    external_id: str
    candidate_id: int
    webhook_url: str | None


class SourcePushStore:
    """Status push-back's SQL: sources' status maps and which source records an application came from."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def set_status(self, source: str, greenhouse: str, status: str) -> None:
        with Session(self.engine) as session:
            found = session.get(SourcingStatusMap, (source, greenhouse))
            if found is None:
                session.add(SourcingStatusMap(source=source, greenhouse=greenhouse, status=status))
            else:
                found.status = status
                session.add(found)
            session.commit()

    def status_map(self, source: str) -> dict[str, str]:
        with Session(self.engine) as session:
            rows = session.exec(select(SourcingStatusMap).where(col(SourcingStatusMap.source) == source))
            return {row.greenhouse: row.status for row in rows}

    def records_for_application(self, application_id: int) -> list[SourcedRecord]:
        """Every source record whose row created or matched this application (one per source and id)."""
        with Session(self.engine) as session:
            query = (
                select(SourcingRow, SourcingBatch, SourcingSource)
                .join(SourcingBatch, col(SourcingBatch.batch_id) == col(SourcingRow.batch_id))
                .join(SourcingSource, col(SourcingSource.name) == col(SourcingBatch.source))
                .where(col(SourcingRow.application_id) == application_id)
                .where(col(SourcingRow.outcome).in_(["created", "matched_existing"]))
            )
            found: dict[tuple[str, str], SourcedRecord] = {}
            for row, batch, source in session.exec(query):
                key = (batch.source, row.external_id)
                if key not in found and row.candidate_id is not None:
                    found[key] = SourcedRecord(
                        batch.source, row.external_id, row.candidate_id, source.webhook_url
                    )
            return list(found.values())
