"""Reads and writes of `partner_api_error` (synchronous; the routes run them in a worker thread)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.partner_store import PartnerApiError, PartnerErrorSource
from web.partner_inputs import mask_emails

MAX_DETAIL = 4000


def record_error(
    engine: Engine,
    *,
    reported_by: PartnerErrorSource,
    api_call: str,
    detail: str,
    workflow_id: str | None = None,
    partner_test_id: str | None = None,
) -> PartnerApiError:
    """Store one error (email addresses masked, text bounded) and return the row."""
    row = PartnerApiError(
        reported_by=reported_by,
        api_call=api_call[:100],
        workflow_id=workflow_id,
        partner_test_id=partner_test_id[:128] if partner_test_id else None,
        detail=mask_emails(detail)[:MAX_DETAIL],
        received_at=datetime.now(UTC),
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def latest_error(engine: Engine, workflow_id: str) -> PartnerApiError | None:
    """The most recent error Greenhouse reported about this assessment, if any."""
    with Session(engine) as session:
        query = (
            select(PartnerApiError)
            .where(PartnerApiError.workflow_id == workflow_id)
            .order_by(col(PartnerApiError.id).desc())
            .limit(1)
        )
        return session.exec(query).first()
