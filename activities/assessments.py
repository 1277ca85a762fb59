"""The AssessmentWorkflow's activities: Greenhouse reads and writes, the provider, mail.

Each is idempotent: an invitation carries its reference, notes and the report carry a reference tag
found again on retry, a stage move is a compare-and-swap, a rejection of a rejected application is a
no-op. Provider errors become typed `ApplicationError`s (`AssessmentRejectedError` is not retried).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.errors import from_harvest
from activities.greenhouse import add_note_once
from integrations.assessment_index import AssessmentIndex
from integrations.assessments.errors import ProviderThrottledError
from integrations.assessments.provider import AssessmentProvider
from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.errors import ApplicationMovedError, HarvestError
from integrations.mail import contexts as mail
from integrations.mail.service import MailRequest, MailService, ProfileTarget
from integrations.mail.transport import PermanentMailError, TransientMailError
from integrations.org_store import OrgConfigStore
from models.activity_io import NoteInput
from models.assessment_io import (
    AssessmentContext,
    AssessmentEmailInput,
    DecisionInput,
    DecisionResult,
    ExtendInput,
    GatherAssessmentInput,
    InvitationRef,
    InviteInput,
    NotifyPartnerInput,
    WriteBackInput,
)
from models.assessments import (
    AssessmentResult,
    CandidateRef,
    Invitation,
    InviteRequest,
    ProviderRejectedError,
    ProviderUnavailableError,
    email_digest,
)
from models.greenhouse import AddAttachment, MoveApplication, RejectApplication
from models.settings import Settings
from models.time_zones import to_iana

T = TypeVar("T")
ProviderFactory = Callable[[str], AssessmentProvider]


def _provider_error(error: ProviderRejectedError | ProviderUnavailableError) -> ApplicationError:
    if isinstance(error, ProviderRejectedError):
        return ApplicationError(str(error), type="AssessmentRejectedError", non_retryable=True)
    delay = getattr(error, "retry_after", None) if isinstance(error, ProviderThrottledError) else None
    return ApplicationError(
        str(error),
        type="AssessmentUnavailableError",
        next_retry_delay=timedelta(seconds=float(delay)) if delay else None,
    )


class AssessmentActivities:
    """Holds the shared Harvest client, the providers (one per name), mail and settings."""

    def __init__(
        self,
        harvest: HarvestClient,
        settings: Settings,
        providers: ProviderFactory,
        mail_service: MailService | None = None,
        org: OrgConfigStore | None = None,
        http: httpx.AsyncClient | None = None,
        index: AssessmentIndex | None = None,
    ) -> None:
        self.harvest = harvest
        self.settings = settings
        self.providers = providers
        self.mail = mail_service
        self.org = org
        self.http = http
        self.index = index

    async def _guard(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except HarvestError as error:
            raise from_harvest(error) from error
        except (ProviderRejectedError, ProviderUnavailableError) as error:
            raise _provider_error(error) from error

    # ------------------------------------------------------------------------------- Greenhouse

    @activity.defn
    async def gather_assessment_context(self, request: GatherAssessmentInput) -> AssessmentContext:
        """The application, its candidate's email and zone, the job, its stage and the next one."""
        return await self._guard(lambda: self._gather(request))

    async def _gather(self, request: GatherAssessmentInput) -> AssessmentContext:
        gh = self.harvest
        application_id, expected_email_sha256 = request.application_id, request.expected_email_sha256
        application = await gh.get_application(application_id)
        if application.candidate_id is None or application.job_id is None:
            raise ApplicationError(
                f"application {application_id} has no candidate or job (a prospect?)",
                type="HarvestValidationError",
                non_retryable=True,
            )
        candidate = await gh.get_candidate(application.candidate_id)
        job = await gh.get_job(application.job_id)
        current = application.job_interview_stage_id
        # Lean: the move advances to the next stage by itself, and the recruiter's address is read by the
        # mail that needs it (an escalation), so neither costs a request on the way to a result.
        following = None if request.lean else await self._stage_after(job.id, current)
        emails = [e.value for e in candidate.email_addresses if e.value]
        recruiter_email = None
        if application.recruiter_id is not None and not request.lean:
            recruiter = await gh.get_user(application.recruiter_id)
            recruiter_email = recruiter.primary_email or None
        if expected_email_sha256 is not None:  # Greenhouse's Send Test named one: invite that one only
            emails = [e for e in emails if email_digest(e) == expected_email_sha256]
        no_email_reason = _no_email_reason(emails, candidate.can_email, expected_email_sha256)
        reachable = bool(emails) and candidate.can_email is not False
        ref = (
            CandidateRef(
                email=emails[0],
                first_name=candidate.first_name or "",
                last_name=candidate.last_name or "",
                time_zone=to_iana(candidate.time_zone) or "UTC",
            )
            if reachable
            else None
        )
        return AssessmentContext(
            application_id=application.id,
            candidate_id=candidate.id,
            job_id=job.id,
            job_name=job.name,
            stage_id=current,
            next_stage_id=following,
            status=application.status or "in_process",
            candidate=ref,
            no_email_reason=no_email_reason,
            recruiter_id=application.recruiter_id,
            recruiter_email=recruiter_email,
        )

    async def _stage_after(self, job_id: int, stage_id: int | None) -> int | None:
        """The job's active stage after `stage_id` in plan order; None when it is the last or unknown."""
        stages = sorted(
            [s async for s in self.harvest.list_job_interview_stages(job_ids=[job_id]) if s.active],
            key=lambda s: (s.sort_order, s.id),
        )
        ids = [s.id for s in stages]
        if stage_id not in ids or ids.index(stage_id) + 1 >= len(ids):
            return None
        return ids[ids.index(stage_id) + 1]

    @activity.defn
    async def write_assessment_result(self, request: WriteBackInput) -> None:
        """Custom fields in one request, the note, and the report as an admin-only attachment (each once)."""
        await self._guard(lambda: self._write_back(request))

    async def _write_back(self, request: WriteBackInput) -> None:
        gh = self.harvest
        if request.values:
            await gh.update_application_custom_fields(request.application_id, dict(request.values.items()))
        # Nothing of this key can exist before its first attempt: only a retry (or a re-issue) looks.
        fresh = request.first_issue and activity.info().attempt == 1
        await add_note_once(
            gh,
            NoteInput(
                key=request.key,
                candidate_id=request.candidate_id,
                application_id=request.application_id,
                body=request.note,
            ),
            look=not fresh,
        )
        if request.report is None:
            return
        filename = f"{request.report_filename.removesuffix('.pdf')}-{_short(request.key)}.pdf"
        if not fresh:
            async for attachment in gh.list_attachments(application_ids=[request.application_id]):
                if attachment.filename == filename:
                    return
        report = await self.providers(request.report.provider).fetch_report(request.report.invitation_id)
        if report is None:
            return  # no report at this provider: the score and the note carry the result
        await gh.add_attachment(
            AddAttachment.from_bytes(
                application_id=request.application_id,
                filename=filename,
                data=report,
                type="take_home_test",
                content_type="application/pdf",
                visibility="admin_only",
            )
        )

    @activity.defn
    async def decide_application(self, request: DecisionInput) -> DecisionResult:
        """Advance (compare-and-swap on the stage) or reject; someone else's move is not overwritten."""
        return await self._guard(lambda: self._decide(request))

    async def _decide(self, request: DecisionInput) -> DecisionResult:
        gh = self.harvest
        if request.action == "advance":
            return await self._advance(request)
        application = await gh.get_application(request.application_id)
        if request.action == "reject":
            if application.status == "rejected":
                return DecisionResult(outcome="done", detail="already rejected")
            if (
                application.status != "in_process"
                or application.job_interview_stage_id != request.from_stage_id
            ):
                return DecisionResult(outcome="moved_meanwhile")
            assert request.rejection_reason_id is not None
            await gh.reject_application(
                request.application_id, RejectApplication(rejection_reason_id=request.rejection_reason_id)
            )
            return DecisionResult(outcome="done")
        raise AssertionError(f"unknown decision {request.action}")

    async def _advance(self, request: DecisionInput) -> DecisionResult:
        """Move first (the compare-and-swap on `from_stage_id` guards it); read only when it is refused."""
        gh = self.harvest
        if request.from_stage_id is None:
            return DecisionResult(outcome="moved_meanwhile")
        try:
            await gh.move_application(
                request.application_id,
                MoveApplication(from_stage_id=request.from_stage_id, to_stage_id=request.to_stage_id),
            )
            return DecisionResult(outcome="done")
        except ApplicationMovedError:
            refused: HarvestError | None = None
        except HarvestError as error:
            if error.status != 422:
                raise
            refused = error  # e.g. the application was rejected meanwhile: the re-read tells
        application = await gh.get_application(request.application_id)
        current = application.job_interview_stage_id
        if application.status != "in_process":
            return DecisionResult(outcome="moved_meanwhile")
        if current == request.from_stage_id and refused is not None:
            raise refused  # still where it was: the move itself was refused (say, the last stage)
        wanted = request.to_stage_id
        if wanted is None and application.job_id is not None and activity.info().attempt > 1:
            # "The next stage": only an earlier attempt of ours can have put it there unseen; on a
            # first attempt someone else did, and the note must not claim the move.
            wanted = await self._stage_after(application.job_id, request.from_stage_id)
        if wanted is not None and current == wanted:
            return DecisionResult(outcome="done", detail="already there")  # our earlier attempt moved it
        return DecisionResult(outcome="moved_meanwhile")

    @activity.defn
    async def notify_greenhouse_partner(self, request: NotifyPartnerInput) -> None:
        """PATCH Greenhouse's callback url (no body, Basic auth with the partner key)."""
        key = self.settings.assessment_partner_key
        if key is None:
            raise ApplicationError(
                "HIREFLOW_ASSESSMENT_PARTNER_KEY is not set",
                type="AssessmentRejectedError",
                non_retryable=True,
            )
        client = self.http or httpx.AsyncClient(timeout=20)
        try:
            response = await client.patch(request.url, auth=(key.get_secret_value(), ""))
        except httpx.HTTPError as error:
            raise ApplicationError(
                f"callback failed: {type(error).__name__}", type="AssessmentUnavailableError"
            ) from error
        finally:
            if self.http is None:
                await client.aclose()
        if response.status_code >= 500 or response.status_code == 429:
            raise ApplicationError(
                f"callback answered {response.status_code}", type="AssessmentUnavailableError"
            )
        if response.status_code >= 400:
            raise ApplicationError(
                f"callback answered {response.status_code}",
                type="AssessmentRejectedError",
                non_retryable=True,
            )

    # --------------------------------------------------------------------------------- provider

    @activity.defn
    async def invite_candidate(self, request: InviteInput) -> Invitation:
        """Invite once (the provider finds an earlier invitation by its reference)."""
        callback = f"{self.settings.web_base_url.rstrip('/')}/webhooks/assessments/{request.provider}"
        invite = InviteRequest(
            reference=request.reference,
            test_id=request.test_id,
            candidate=request.candidate,
            deadline=request.deadline,
            job_name=request.job_name,
            callback_url=callback,
        )
        invitation = await self._guard(lambda: self.providers(request.provider).invite(invite))
        if self.index is not None:  # so the provider's webhook finds this workflow
            await self.index.remember(
                request.provider,
                invitation.invitation_id,
                activity.info().workflow_id or "",
                request.test_id,
                request.candidate.email,
            )
        return invitation

    @activity.defn
    async def extend_invitation(self, request: ExtendInput) -> None:
        await self._guard(
            lambda: self.providers(request.provider).extend(request.invitation_id, request.deadline)
        )

    @activity.defn
    async def cancel_invitation(self, request: InvitationRef) -> None:
        await self._guard(lambda: self.providers(request.provider).cancel(request.invitation_id))

    @activity.defn
    async def fetch_assessment_result(self, request: InvitationRef) -> AssessmentResult:
        return await self._guard(lambda: self.providers(request.provider).fetch_result(request.invitation_id))

    # -------------------------------------------------------------------------------------- mail

    async def _user_address(self, user_id: int | None) -> list[str]:
        """A Greenhouse user's primary address, read when a mail to them is due (lean runs)."""
        assert user_id is not None
        try:
            user = await self.harvest.get_user(user_id)
        except HarvestError as error:
            raise from_harvest(error) from error
        if not user.primary_email:
            raise ApplicationError(
                f"user {user_id} has no email address in Greenhouse",
                type="MailInputError",
                non_retryable=True,
            )
        return [user.primary_email]

    @activity.defn
    async def send_assessment_email(self, request: AssessmentEmailInput) -> None:
        """A reminder to the candidate or an escalation to the recruiter, once per key."""
        if self.mail is None:
            raise ApplicationError("mail is not configured", type="MailInputError", non_retryable=True)
        context: mail.AnyMailContext
        company = (await self.org.aorg()).company_name if self.org else "Hireflow"
        common = {
            "recipient_name": request.recipient_name or "there",
            "company_name": company,
            "job_title": request.job_name or "the role",
            "time_zone": request.time_zone,
        }
        if request.template == "assessment_reminder":
            assert request.test_url is not None and request.deadline is not None
            context = mail.AssessmentReminderContext(
                **common, test_name=request.test_name, test_url=request.test_url, deadline=request.deadline
            )
        else:
            context = mail.AssessmentEscalationContext(
                **common, test_name=request.test_name, reason=request.reason
            )
        to = request.to or await self._user_address(request.to_user_id)
        try:
            await self.mail.send(
                MailRequest(
                    idempotency_key=request.key,
                    purpose=request.template,
                    to=to,
                    context=context,
                    profile=_profile(request),
                )
            )
        except PermanentMailError as error:
            raise ApplicationError(
                f"email refused: {error}", type="MailRefusedError", non_retryable=True
            ) from error
        except TransientMailError as error:
            raise ApplicationError(f"mail relay unavailable: {error}", type="MailUnavailableError") from error


def _profile(request: AssessmentEmailInput) -> ProfileTarget | None:
    """Reminders go to the candidate and are copied onto their profile; escalations go to recruiters."""
    if request.template != "assessment_reminder" or request.candidate_id is None:
        return None
    return ProfileTarget(candidate_id=request.candidate_id, application_id=request.application_id)


def _short(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:10]


DO_NOT_EMAIL = "the candidate's Greenhouse profile says they may not be emailed"
EMAIL_MISMATCH = (
    "the email address Greenhouse sent with the test is not on the candidate's profile "
    "(the profile changed, or the test was sent for another person); check the profile and send it again"
)


def _no_email_reason(emails: list[str], can_email: bool | None, expected: str | None) -> str:
    """Why the candidate cannot be invited; "" when they can (or have no address: the workflow's words)."""
    if can_email is False:
        return DO_NOT_EMAIL
    if not emails and expected is not None:
        return EMAIL_MISMATCH
    return ""
