"""Erasing a candidate (GDPR): anonymise in Greenhouse, then remove Hireflow's own copies.

Used by `hireflow gdpr erase --candidate N` and by the consent retention workflow when a basis lapses.
Each step reports what it removed where, so the operator's answer to the person is exact. The SQL part
is idempotent (a second run removes nothing more); what must outlive the data holds ids only: the
source record's external id (a source re-sending it is still skipped, not re-created) and an
`erasure_record` (when and why).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.errors import NotFoundError
from models.greenhouse import AnonymizeCandidate, AnonymizeField
from models.mirror import MirrorCandidate, MirrorCandidateEmail, MirrorCandidateTag
from models.sourcing_store import ConsentRecord, ErasureRecord, SourcingClaim, SourcingRow
from models.store import OutboxEmail, OutboxStatus, ProfileEmailLog

ALL_FIELDS: list[AnonymizeField] = list(get_args(AnonymizeField))
ERASED = "(erased)"


async def erase_candidate(
    harvest: HarvestClient, engine: Engine, candidate_id: int, *, reason: str
) -> tuple[str, dict[str, int]]:
    """Anonymise in Greenhouse, then erase Hireflow's copies: Greenhouse's answer and what was removed where.

    A Harvest error is raised before anything of Hireflow's is touched, so a retry starts from the top.
    """
    greenhouse = await anonymize_in_greenhouse(harvest, candidate_id)
    return greenhouse, erase_hireflow_copies(engine, candidate_id, reason=reason, greenhouse=greenhouse)


async def anonymize_in_greenhouse(harvest: HarvestClient, candidate_id: int) -> str:
    """Erase every field Harvest can erase; a candidate already gone is not an error."""
    try:
        await harvest.anonymize_candidate(candidate_id, AnonymizeCandidate(fields=ALL_FIELDS))
    except NotFoundError:
        return "no such candidate (already deleted)"
    return f"anonymized ({len(ALL_FIELDS)} fields)"


def erase_hireflow_copies(
    engine: Engine, candidate_id: int, *, reason: str, greenhouse: str
) -> dict[str, int]:
    """Remove or blank every copy of the candidate's personal data in Hireflow's SQL store, and record it."""
    removed: dict[str, int] = {}
    with Session(engine) as session:

        def count(name: str, result: object) -> None:
            removed[name] = int(getattr(result, "rowcount", 0) or 0)

        count(
            "mirror candidate",
            session.execute(delete(MirrorCandidate).where(col(MirrorCandidate.id) == candidate_id)),
        )
        count(
            "mirror addresses",
            session.execute(
                delete(MirrorCandidateEmail).where(col(MirrorCandidateEmail.candidate_id) == candidate_id)
            ),
        )
        count(
            "mirror tags",
            session.execute(
                delete(MirrorCandidateTag).where(col(MirrorCandidateTag.candidate_id) == candidate_id)
            ),
        )
        count(
            "sourced rows (names, addresses, résumé)",
            session.execute(
                update(SourcingRow)
                .where(col(SourcingRow.candidate_id) == candidate_id, col(SourcingRow.payload).is_not(None))
                .values(payload=None)
            ),
        )
        count(
            "address claims",
            session.execute(
                delete(SourcingClaim).where(
                    col(SourcingClaim.candidate_id) == candidate_id,
                    col(SourcingClaim.claim_key).startswith("email:"),
                )
            ),
        )
        count(
            "consent records",
            session.execute(delete(ConsentRecord).where(col(ConsentRecord.candidate_id) == candidate_id)),
        )
        outbox_keys = [
            key
            for key in session.exec(
                select(ProfileEmailLog.outbox_key).where(col(ProfileEmailLog.candidate_id) == candidate_id)
            )
            if key
        ]
        mine = col(OutboxEmail.idempotency_key).in_(outbox_keys)
        # Not yet sent: never sent now. Sent: the stored message (addresses, text) goes.
        session.execute(
            update(OutboxEmail)
            .where(mine, col(OutboxEmail.status) == OutboxStatus.PENDING)
            .values(status=OutboxStatus.FAILED, last_error="erased on request")
        )
        count(
            "stored emails",
            session.execute(
                update(OutboxEmail)
                .where(mine, col(OutboxEmail.subject) != ERASED)
                .values(raw_message=b"", recipients="", subject=ERASED)
            ),
        )
        count(
            "email copies for the profile",
            session.execute(delete(ProfileEmailLog).where(col(ProfileEmailLog.candidate_id) == candidate_id)),
        )
        session.add(
            ErasureRecord(
                candidate_id=candidate_id,
                erased_at=datetime.now(UTC),
                reason=reason[:200],
                greenhouse=greenhouse[:200],
            )
        )
        session.commit()
    return removed
