"""Provider invitation → AssessmentWorkflow, in the SQL store (`assessment_invitation`).

Written by the invite activity, read by `/webhooks/assessments/<provider>`: a webhook names the
provider's invitation (or the test and the candidate's email), never our workflow.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.assessments import email_digest
from models.store import AssessmentInvitationRow


class AssessmentIndex:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def remember(
        self, provider: str, invitation_id: str, workflow_id: str, test_id: str, email: str
    ) -> None:
        await asyncio.to_thread(self._remember, provider, invitation_id, workflow_id, test_id, email)

    def _remember(
        self, provider: str, invitation_id: str, workflow_id: str, test_id: str, email: str
    ) -> None:
        with Session(self.engine) as session:
            session.merge(
                AssessmentInvitationRow(
                    provider=provider,
                    invitation_id=invitation_id,
                    workflow_id=workflow_id,
                    test_id=test_id,
                    email_sha256=email_digest(email),
                )
            )
            session.commit()

    async def workflow_of(
        self, provider: str, invitation_id: str | None, test_id: str | None, email: str | None
    ) -> str | None:
        return await asyncio.to_thread(self._workflow_of, provider, invitation_id, test_id, email)

    def _workflow_of(
        self, provider: str, invitation_id: str | None, test_id: str | None, email: str | None
    ) -> str | None:
        with Session(self.engine) as session:
            if invitation_id:
                row = session.get(AssessmentInvitationRow, (provider, invitation_id))
                return row.workflow_id if row else None
            if not email:
                return None
            query = select(AssessmentInvitationRow).where(
                AssessmentInvitationRow.provider == provider,
                AssessmentInvitationRow.email_sha256 == email_digest(email),
            )
            if test_id:
                query = query.where(AssessmentInvitationRow.test_id == test_id)
            rows = session.exec(query.order_by(AssessmentInvitationRow.recorded_at.desc())).all()  # type: ignore[attr-defined]
            return rows[0].workflow_id if rows else None
