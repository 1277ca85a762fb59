"""Sourcing intake activities: one row of a batch becomes a Greenhouse candidate, a match, or a report.

`import_sourcing_row` is idempotent: a row whose outcome is recorded answers it again; the unique claims
(`SourcingStore.claim`) make the same source record or address in two concurrent rows wait for the
first; a candidate created here is written into the claims at once, so a retry after a crash finds it.
Errors no retry can fix (a bad résumé, a 422 from Greenhouse, a missing scope) are the row's `failed`
outcome with the reason; anything else is raised for Temporal to retry within the write budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from rapidfuzz import fuzz
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.errors import (
    BadRequestError,
    ForbiddenError,
    MissingScopeError,
    NotFoundError,
    ValidationError,
)
from integrations.logs import get_logger
from integrations.mirror import MirrorReader, MirrorTooStale
from integrations.sourcing_profile import SourcingProfile, SourcingRowError
from integrations.sourcing_store import SourcingStore, email_claim, external_claim, row_result
from models.greenhouse import (
    AddAttachment,
    CreateApplication,
    CreateCandidate,
    CreateProspectApplication,
    EmailAddressInput,
    FirstApplication,
    PhoneNumberInput,
    ProspectApplication,
    WebsiteInput,
)
from models.mirror import MirrorCandidate
from models.resume_files import ResumeFile, ResumeFileError, checked_resume
from models.sourcing import (
    MAX_RESUME_BYTES,
    FailRowInput,
    ImportRowInput,
    Outcome,
    RowResult,
    SourcedCandidate,
    full_name,
    normalise_email,
    normalise_phone,
)

log = get_logger(__name__)
MIRROR_MAX_AGE = timedelta(minutes=10)  # older than this, the duplicate check asks Harvest alone
NEAR_NAME_SCORE = 85.0  # rapidfuzz token_sort_ratio, 0-100: "Jon Smyth" ~ "John Smith" with the same phone
PERMANENT = (
    ResumeFileError,
    SourcingRowError,
    ValidationError,
    NotFoundError,
    ForbiddenError,
    BadRequestError,
)


class ClaimBusyError(Exception):
    """Another row holds this person's claim and has not finished: retry once it has."""


class SourcingActivities:
    """Bound to the Harvest client and the Hireflow SQL store (sourcing tables and mirror)."""

    def __init__(
        self, harvest: HarvestClient, engine: Engine, *, max_resume_bytes: int = MAX_RESUME_BYTES
    ) -> None:
        self.harvest = harvest
        self.engine = engine
        self.store = SourcingStore(engine)
        self.mirror = MirrorReader(engine)
        self.profile = SourcingProfile(harvest)
        self.max_resume_bytes = max_resume_bytes
        self._sources: dict[str, int] | None = None
        self._tags: dict[str, int] | None = None

    @activity.defn
    async def import_sourcing_row(self, request: ImportRowInput) -> RowResult:
        stored = await asyncio.to_thread(self.store.stored_row, request.batch_id, request.row)
        if stored.row.outcome is not None or stored.candidate is None:
            return row_result(stored.row)
        candidate, source = stored.candidate, stored.source
        batch, row = request.batch_id, request.row
        key = external_claim(source, candidate.external_id)
        claim = (await asyncio.to_thread(self.store.claim, [key], batch, row))[key]
        if (claim.batch_id, claim.row) != (batch, row):
            if claim.candidate_id is None:
                raise ApplicationError(
                    "this external_id is being imported by another row; waiting for it",
                    type="SourcingClaimBusy",
                )
            return await self._record(
                request.row,
                batch,
                candidate,
                "skipped_duplicate",
                candidate_id=claim.candidate_id,
                reason=f"already imported from {source} (same external_id)",
            )
        try:
            return await self._import(batch, row, source, candidate, claim.candidate_id)
        except ClaimBusyError as busy:
            raise ApplicationError(str(busy), type="SourcingClaimBusy") from busy
        except PERMANENT as exc:
            reason = _reason(exc)
            log.warning("sourcing_row_failed", batch_id=batch, row=row, error=type(exc).__name__)
            await asyncio.to_thread(self.store.release_claims, batch, row)
            settled = await asyncio.to_thread(self.store.claim_of, key)
            return await self._record(
                row,
                batch,
                candidate,
                "failed",
                candidate_id=settled.candidate_id if settled else None,
                reason=reason,
            )

    @activity.defn
    async def fail_sourcing_row(self, request: FailRowInput) -> RowResult:
        """The row ran out of retries: release what it claimed and report it as failed."""
        await asyncio.to_thread(self.store.release_claims, request.batch_id, request.row)
        stored = await asyncio.to_thread(self.store.stored_row, request.batch_id, request.row)
        result = RowResult(
            row=request.row,
            external_id=stored.row.external_id,
            outcome="failed",
            reason=request.reason[:1000],
        )
        return await asyncio.to_thread(self.store.record_outcome, request.batch_id, result)

    # --------------------------------------------------------------------------------------- steps

    async def _import(
        self, batch: str, row: int, source: str, candidate: SourcedCandidate, known: int | None
    ) -> RowResult:
        resume = self._checked(candidate)  # before anything is created: a bad file fails the row cleanly
        emails = sorted({normalise_email(e) for e in candidate.emails})
        candidate_id: int | None = known
        outcome: Outcome = "created"
        reason: str | None = None
        if candidate_id is None:
            found = await self._by_email(emails)
            if found is not None:
                candidate_id, outcome = found, "matched_existing"
                reason = "same email as an existing candidate"
        if candidate_id is None and emails:
            candidate_id = await self._claim_emails(batch, row, emails)
            if candidate_id is not None:
                outcome, reason = "matched_existing", "same email as a candidate just imported"
        if candidate_id is None:
            near = await asyncio.to_thread(self._near_matches, candidate)
            if near:
                await asyncio.to_thread(self.store.release_claims, batch, row)
                ids = ", ".join(str(i) for i in near[:5])
                return await self._record(
                    row,
                    batch,
                    candidate,
                    "needs_review",
                    candidate_id=near[0],
                    reason=f"possible duplicate of candidate {ids} (similar name, same phone): not created; "
                    "merge or confirm in Greenhouse, then import again",
                )
            created = await self.harvest.create_candidate(
                await self._new_candidate(candidate), as_user=candidate.recruiter_id
            )
            candidate_id = created.id
            await asyncio.to_thread(self.store.settle_claims, batch, row, candidate_id)
        else:  # matched, or a retry after our own create (`known`): settle on that candidate
            await asyncio.to_thread(self.store.settle_claims, batch, row, candidate_id)
        application_id = await self._application(candidate_id, candidate, created_now=outcome == "created")
        if outcome == "matched_existing":
            await self._tag(candidate_id, candidate)
        await self._attach(application_id, candidate, resume)
        left_out = await self.profile.write_history(candidate_id, candidate)
        reason = "; ".join(r for r in (reason, *left_out) if r) or None
        await asyncio.to_thread(self.store.record_consent, candidate_id, source, candidate.consent)
        log.info("sourcing_row_done", batch_id=batch, row=row, outcome=outcome, candidate_id=candidate_id)
        return await self._record(
            row,
            batch,
            candidate,
            outcome,
            candidate_id=candidate_id,
            application_id=application_id,
            reason=reason,
        )

    async def _record(
        self,
        row: int,
        batch: str,
        candidate: SourcedCandidate,
        outcome: Outcome,
        *,
        candidate_id: int | None = None,
        application_id: int | None = None,
        reason: str | None = None,
    ) -> RowResult:
        result = RowResult(
            row=row,
            external_id=candidate.external_id,
            outcome=outcome,
            candidate_id=candidate_id,
            application_id=application_id,
            reason=reason,
        )
        return await asyncio.to_thread(self.store.record_outcome, batch, result)

    async def _by_email(self, emails: Sequence[str]) -> int | None:
        """An existing candidate with one of these addresses: settled claims, the mirror, then Harvest."""
        for address in emails:
            claim = await asyncio.to_thread(self.store.claim_of, email_claim(address))
            if claim is not None and claim.candidate_id is not None:
                return claim.candidate_id
            try:
                mirrored = await self.mirror.candidates_by_email(address, max_age=MIRROR_MAX_AGE)
            except MirrorTooStale:
                mirrored = []
            if mirrored:
                return mirrored[0].id
            live = await self.harvest.list_candidates(email=address, per_page=5).collect()
            if live:
                return min(c.id for c in live)
        return None

    async def _claim_emails(self, batch: str, row: int, emails: Sequence[str]) -> int | None:
        """Claim the addresses; None when all are ours, the candidate of a settled claim, or ClaimBusyError."""
        owners = await asyncio.to_thread(self.store.claim, [email_claim(e) for e in emails], batch, row)
        for claim in owners.values():
            if (claim.batch_id, claim.row) == (batch, row):
                continue
            if claim.candidate_id is not None:
                return claim.candidate_id
            raise ClaimBusyError(
                "an email of this candidate is being imported by another row; waiting for it"
            )
        return None

    def _near_matches(self, candidate: SourcedCandidate) -> list[int]:
        """Mirror candidates with a similar name AND a phone number in common (never merged: reported)."""
        phones = {normalise_phone(p) for p in candidate.phones} - {""}
        if not phones:
            return []
        name = full_name(candidate.first_name, candidate.last_name)
        initial = candidate.last_name[:1].lower()
        with Session(self.engine) as session:
            rows = session.exec(
                select(MirrorCandidate).where(func.lower(col(MirrorCandidate.last_name)).like(f"{initial}%"))
            ).all()
        found = []
        for mirrored in rows:
            numbers = {
                normalise_phone(str(p.get("value", ""))) for p in mirrored.data.get("phone_numbers") or []
            }
            if not phones & numbers:
                continue
            score = fuzz.token_sort_ratio(name, full_name(mirrored.first_name, mirrored.last_name))
            if score >= NEAR_NAME_SCORE:
                found.append(mirrored.id)
        return sorted(found)

    async def _source_id(self, name: str | None) -> int | None:
        if not name:
            return None
        if self._sources is None:
            sources = await self.harvest.list_sources().collect()
            self._sources = {(s.name or "").strip().lower(): s.id for s in sources}
        return self._sources.get(name.strip().lower())

    async def _new_candidate(self, candidate: SourcedCandidate) -> CreateCandidate:
        source_id = await self._source_id(candidate.source)
        application: FirstApplication | ProspectApplication
        if candidate.prospect:
            # The pool is resolved only when something is about to be created with it: a pool or stage
            # Greenhouse lacks fails the row before anything exists, and a retry after the create
            # (which finds the application) never fails on a pool renamed since.
            place = await self.profile.place(candidate)
            application = ProspectApplication(
                job_ids=[candidate.job_id] if candidate.job_id else None,
                prospect_pool_id=place.pool_id,
                prospect_pool_stage_id=place.stage_id,
                prospect_owner_id=candidate.recruiter_id,
            )
        else:
            assert candidate.job_id is not None
            application = FirstApplication(
                job_id=candidate.job_id, source_id=source_id, recruiter_id=candidate.recruiter_id
            )
        return CreateCandidate(
            first_name=candidate.first_name,
            last_name=candidate.last_name,
            email_addresses=[EmailAddressInput(value=e) for e in candidate.emails],
            phone_numbers=[PhoneNumberInput(value=p) for p in candidate.phones],
            website_addresses=[WebsiteInput(value=link) for link in candidate.links],
            tags=list(dict.fromkeys(candidate.tags)),
            application=application,
        )

    async def _application(
        self, candidate_id: int, candidate: SourcedCandidate, *, created_now: bool
    ) -> int | None:
        """The row's application: the one created with the candidate, an existing one on the same job (a
        retry, or a matched person already there), else a new one."""
        existing = await self.harvest.list_applications(candidate_ids=[candidate_id]).collect()
        for application in existing:
            if candidate.prospect and application.prospect:
                if (
                    candidate.job_id is None
                    or candidate.job_id in application.prospective_job_ids
                    or created_now
                ):
                    return application.id
            if not candidate.prospect and application.job_id == candidate.job_id and not application.prospect:
                return application.id
        source_id = await self._source_id(candidate.source)
        if candidate.prospect:
            place = await self.profile.place(candidate)
            data: CreateApplication | CreateProspectApplication = CreateProspectApplication(
                candidate_id=candidate_id,
                job_ids=[candidate.job_id] if candidate.job_id else None,
                prospect_pool_id=place.pool_id,
                prospect_pool_stage_id=place.stage_id,
                prospect_owner_id=candidate.recruiter_id,
                source_id=source_id,
            )
        else:
            assert candidate.job_id is not None
            data = CreateApplication(
                candidate_id=candidate_id,
                job_id=candidate.job_id,
                source_id=source_id,
                recruiter_id=candidate.recruiter_id,
            )
        return (await self.harvest.create_application(data, as_user=candidate.recruiter_id)).id

    async def _tag(self, candidate_id: int, candidate: SourcedCandidate) -> None:
        if not candidate.tags:
            return
        if self._tags is None:
            self._tags = {
                (t.name or "").lower(): t.id for t in await self.harvest.list_candidate_tags().collect()
            }
        for name in dict.fromkeys(candidate.tags):
            tag_id = self._tags.get(name.lower())
            if tag_id is None:
                tag_id = (await self.harvest.create_candidate_tag(name, as_user=candidate.recruiter_id)).id
                self._tags[name.lower()] = tag_id
            await self.harvest.apply_candidate_tag(candidate_id, tag_id, as_user=candidate.recruiter_id)

    def _checked(self, candidate: SourcedCandidate) -> ResumeFile | None:
        """The inline résumé decoded and checked by content (a URL one is fetched and checked by Greenhouse)."""
        resume = candidate.resume
        if resume is None or resume.content_base64 is None:
            return None
        return checked_resume(resume.filename, resume.content_base64, self.max_resume_bytes)

    async def _attach(
        self, application_id: int | None, candidate: SourcedCandidate, checked: ResumeFile | None
    ) -> None:
        resume = candidate.resume
        if resume is None or application_id is None:
            return
        filename = checked.filename if checked else resume.filename
        present = await self.harvest.list_attachments(
            application_ids=[application_id], type="resume"
        ).collect()
        if any(a.filename == filename for a in present):
            return  # a retry: the résumé is already there
        if checked is not None:
            data = AddAttachment.from_bytes(
                application_id=application_id,
                filename=checked.filename,
                data=checked.data,
                type="resume",
                content_type=checked.content_type,
            )
        else:
            data = AddAttachment(
                application_id=application_id, filename=filename, type="resume", url=resume.url
            )
        await self.harvest.add_attachment(data, as_user=candidate.recruiter_id)


def _reason(exc: Exception) -> str:
    if isinstance(exc, MissingScopeError):
        return f"Greenhouse refused: the API credential lacks the scope {exc.scope}"
    if isinstance(exc, ResumeFileError | SourcingRowError):
        return str(exc)
    message = getattr(exc, "message", str(exc))
    errors = getattr(exc, "errors", None)
    return f"Greenhouse refused: {message}" + (f" {errors}" if errors else "")
