"""Consent retention activities: read when a candidate's basis lapses, and erase them when it has.

Both are idempotent: the deadline is read from the consent records each time (a newer basis from a
source moves it), and erasure is safe to repeat (integrations/erasure.py).
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from temporalio import activity

from integrations.erasure import erase_candidate
from integrations.greenhouse.client import HarvestClient
from integrations.logs import get_logger
from integrations.sourcing_store import SourcingStore
from models.retention import ConsentDeadline, ConsentDeadlineInput, EraseCandidateInput, ErasureResult

log = get_logger(__name__)


class RetentionActivities:
    def __init__(self, harvest: HarvestClient, engine: Engine) -> None:
        self.harvest = harvest
        self.engine = engine

    @activity.defn
    async def read_consent_deadline(self, request: ConsentDeadlineInput) -> ConsentDeadline:
        """The latest deadline over the candidate's consent records (each source's basis counts)."""
        records = SourcingStore(self.engine).consents(request.candidate_id)
        if not records:
            return ConsentDeadline()
        latest = max(records, key=lambda r: r.given_at + request.policy.keep_for(r.basis))
        return ConsentDeadline(
            deadline=latest.given_at + request.policy.keep_for(latest.basis),
            basis=latest.basis,
            source=latest.source,
        )

    @activity.defn
    async def erase_candidate(self, request: EraseCandidateInput) -> ErasureResult:
        """Anonymise in Greenhouse, then erase Hireflow's copies (the same steps as `hireflow gdpr erase`)."""
        greenhouse, removed = await erase_candidate(
            self.harvest, self.engine, request.candidate_id, reason=request.reason
        )
        log.info("retention_erased", candidate_id=request.candidate_id, removed=sum(removed.values()))
        return ErasureResult(greenhouse=greenhouse, removed=removed)
