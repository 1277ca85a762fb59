"""`HarvestClient`: the Harvest v3 operations Hireflow uses, over one pooled httpx client.

Reads act as the configured Hireflow user (a site admin; GETs need one). Every write takes `as_user`,
the Greenhouse user the write is made as (token `sub`: audit log, note author, organizer); it
defaults to the configured Hireflow user. Lists return a lazy `Listing` (`async for`, `.collect()`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, SecretStr
from pydantic import ValidationError as PydanticValidationError

from integrations.greenhouse.auth import TokenCache
from integrations.greenhouse.errors import (
    ApplicationMovedError,
    HarvestError,
    NotFoundError,
    ValidationError,
    is_stale_stage,
)
from integrations.greenhouse.pagination import Listing
from integrations.greenhouse.query import TimeRange
from integrations.greenhouse.ratelimit import RateLimiter, shared_limiter
from integrations.greenhouse.transport import HarvestTransport
from models.greenhouse import (
    AddAttachment,
    AddEducation,
    AddEmployment,
    AddNote,
    AnonymizeCandidate,
    Application,
    ApplicationStage,
    AppliedCandidateTag,
    Attachment,
    Candidate,
    CandidateEducation,
    CandidateEmployment,
    CandidateTag,
    ConvertProspect,
    CreateApplication,
    CreateCandidate,
    CreateInterview,
    CreateProspectApplication,
    CreateWebhook,
    CustomField,
    CustomFieldOption,
    CustomFieldScalar,
    DefaultInterviewer,
    Department,
    EmailTemplate,
    Interview,
    Interviewer,
    InterviewKit,
    Job,
    JobInterview,
    JobInterviewStage,
    JobPost,
    MoveApplication,
    Note,
    Offer,
    Office,
    ProspectDetail,
    ProspectPool,
    ProspectPoolStage,
    Referrer,
    RejectApplication,
    RejectionReason,
    Scorecard,
    Source,
    UpdateApplicationCustomFields,
    UpdateCandidate,
    UpdateInterview,
    User,
    UserJobPermission,
    UserRole,
    WebhookSubscription,
)
from models.settings import Settings, get_settings

M = TypeVar("M", bound=BaseModel)
Ids = list[int] | None

DEFAULT_PER_PAGE = 500  # each page costs one rate-limit unit, so ask for the largest page


class HarvestClient:
    """Async Harvest v3 client. Use `async with HarvestClient.from_settings() as gh:`."""

    def __init__(
        self,
        *,
        base_url: str,
        token_url: str,
        client_id: str,
        client_secret: SecretStr | str,
        user_id: int | None = None,
        per_page: int = DEFAULT_PER_PAGE,
        timeout: float = 30.0,
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limiter: RateLimiter | None = None,
        max_retries: int = 3,
        max_rate_limit_wait: float = 120.0,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        secret = client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(timeout=timeout, transport=transport)
        self.user_id = user_id
        self.per_page = per_page
        self.tokens = TokenCache(self.http, token_url=token_url, client_id=client_id, client_secret=secret)
        if rate_limiter is None:
            try:
                rate_limiter = shared_limiter(base_url, client_id)
            except RuntimeError:  # built outside an event loop: a private limiter
                rate_limiter = RateLimiter()
        self.transport = HarvestTransport(
            self.http,
            base_url=base_url,
            tokens=self.tokens,
            limiter=rate_limiter,
            max_retries=max_retries,
            max_rate_limit_wait=max_rate_limit_wait,
        )

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> HarvestClient:
        """A client configured from `HIREFLOW_GREENHOUSE_*` settings (keyword overrides win)."""
        s = settings or get_settings()
        kwargs: dict[str, Any] = {
            "base_url": s.greenhouse_base_url,
            "token_url": s.greenhouse_token_url,
            "client_id": s.greenhouse_client_id,
            "client_secret": s.greenhouse_client_secret,
            "user_id": s.greenhouse_user_id,
        }
        kwargs.update(overrides)
        return cls(**kwargs)

    @property
    def limiter(self) -> RateLimiter:
        return self.transport.limiter

    async def aclose(self) -> None:
        """Close the underlying httpx client if this client created it."""
        if self._owns_http:
            await self.http.aclose()

    async def __aenter__(self) -> HarvestClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # ------------------------------------------------------------------------------------ plumbing

    def list_resource(
        self,
        path: str,
        model: type[M],
        filters: dict[str, Any] | None = None,
        *,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[M]:
        """Any list endpoint (`/v3/<resource>`) parsed into `model`; the typed methods below use this."""
        return Listing(
            self.transport,
            path,
            model,
            filters or {},
            fields=fields,
            per_page=per_page or self.per_page,
            sub=self.user_id,
        )

    async def _write(
        self, method: str, path: str, *, as_user: int | None, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        sub = self.user_id if as_user is None else as_user
        return await self.transport.request(method, self.transport.url(path), sub=sub, json=body)

    @staticmethod
    def _parse(model: type[M], response: httpx.Response, key: str) -> M:
        try:
            data = response.json()
        except ValueError as exc:
            raise HarvestError(
                "write answered with non-JSON",
                status=response.status_code,
                method=response.request.method,
                path=response.url.path,
            ) from exc
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            data = data[key]  # tolerate an envelope such as {"candidate": {...}, "application": {...}}
        try:
            return model.model_validate(data)
        except PydanticValidationError as exc:
            raise HarvestError(
                f"unexpected {model.__name__} in write response",
                status=response.status_code,
                method=response.request.method,
                path=response.url.path,
            ) from exc

    async def _one(self, listing: Listing[M], what: str, object_id: int) -> M:
        async for item in listing:
            return item
        raise NotFoundError(f"{what} {object_id} not found", status=404, method="GET", path=f"/v3/{what}s")

    # --------------------------------------------------------------------------------------- reads

    def list_candidates(
        self,
        *,
        ids: Ids = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        last_activity_at: TimeRange | None = None,
        email: str | None = None,
        tag: str | None = None,
        private: bool | None = None,
        custom_field_option_id: int | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[Candidate]:
        return self.list_resource(
            "/v3/candidates",
            Candidate,
            dict(
                ids=ids,
                created_at=created_at,
                updated_at=updated_at,
                last_activity_at=last_activity_at,
                email=email,
                tag=tag,
                private=private,
                custom_field_option_id=custom_field_option_id,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_applications(
        self,
        *,
        ids: Ids = None,
        candidate_ids: Ids = None,
        job_ids: Ids = None,
        prospective_job_ids: Ids = None,
        job_post_ids: Ids = None,
        source_ids: Ids = None,
        referrer_ids: Ids = None,
        stage_ids: Ids = None,
        job_interview_stage_ids: Ids = None,
        status: Literal["active", "rejected", "hired", "converted"] | None = None,
        stage_name: str | None = None,
        prospect: bool | None = None,
        custom_field_option_id: int | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        last_activity_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[Application]:
        """Note the filter says `status=active` where objects say `in_process`."""
        return self.list_resource(
            "/v3/applications",
            Application,
            dict(
                ids=ids,
                candidate_ids=candidate_ids,
                job_ids=job_ids,
                prospective_job_ids=prospective_job_ids,
                job_post_ids=job_post_ids,
                source_ids=source_ids,
                referrer_ids=referrer_ids,
                stage_ids=stage_ids,
                job_interview_stage_ids=job_interview_stage_ids,
                status=status,
                stage_name=stage_name,
                prospect=prospect,
                custom_field_option_id=custom_field_option_id,
                created_at=created_at,
                updated_at=updated_at,
                last_activity_at=last_activity_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_application_stages(
        self,
        *,
        ids: Ids = None,
        application_ids: Ids = None,
        job_interview_stage_ids: Ids = None,
        current: bool | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[ApplicationStage]:
        return self.list_resource(
            "/v3/application_stages",
            ApplicationStage,
            dict(
                ids=ids,
                application_ids=application_ids,
                job_interview_stage_ids=job_interview_stage_ids,
                current=current,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_jobs(
        self,
        *,
        ids: Ids = None,
        status: Literal["open", "draft", "closed"] | None = None,
        department_id: int | None = None,
        office_id: int | None = None,
        requisition_id: str | None = None,
        confidential: bool | None = None,
        custom_field_option_id: int | None = None,
        opened_at: TimeRange | None = None,
        closed_at: TimeRange | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[Job]:
        return self.list_resource(
            "/v3/jobs",
            Job,
            dict(
                ids=ids,
                status=status,
                department_id=department_id,
                office_id=office_id,
                requisition_id=requisition_id,
                confidential=confidential,
                custom_field_option_id=custom_field_option_id,
                opened_at=opened_at,
                closed_at=closed_at,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_job_interview_stages(
        self,
        *,
        ids: Ids = None,
        job_ids: Ids = None,
        active: bool | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[JobInterviewStage]:
        return self.list_resource(
            "/v3/job_interview_stages",
            JobInterviewStage,
            dict(
                ids=ids,
                job_ids=job_ids,
                active=active,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_job_interviews(
        self,
        *,
        ids: Ids = None,
        job_ids: Ids = None,
        job_interview_stage_ids: Ids = None,
        active: bool | None = None,
        scheduling_type: Literal["none", "needs_scheduling", "take_home_test", "offer"] | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[JobInterview]:
        return self.list_resource(
            "/v3/job_interviews",
            JobInterview,
            dict(
                ids=ids,
                job_ids=job_ids,
                job_interview_stage_ids=job_interview_stage_ids,
                active=active,
                scheduling_type=scheduling_type,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_interview_kits(
        self,
        *,
        ids: Ids = None,
        job_ids: Ids = None,
        job_interview_ids: Ids = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[InterviewKit]:
        return self.list_resource(
            "/v3/interview_kits",
            InterviewKit,
            dict(
                ids=ids,
                job_ids=job_ids,
                job_interview_ids=job_interview_ids,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_default_interviewers(
        self,
        *,
        ids: Ids = None,
        interview_kit_ids: Ids = None,
        user_ids: Ids = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[DefaultInterviewer]:
        return self.list_resource(
            "/v3/default_interviewers",
            DefaultInterviewer,
            dict(
                ids=ids,
                interview_kit_ids=interview_kit_ids,
                user_ids=user_ids,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_interviews(
        self,
        *,
        ids: Ids = None,
        application_ids: Ids = None,
        job_ids: Ids = None,
        job_interview_ids: Ids = None,
        organizer_ids: Ids = None,
        external_event_id: str | None = None,
        status: str | None = None,
        starts_at: TimeRange | None = None,
        ends_at: TimeRange | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[Interview]:
        return self.list_resource(
            "/v3/interviews",
            Interview,
            dict(
                ids=ids,
                application_ids=application_ids,
                job_ids=job_ids,
                job_interview_ids=job_interview_ids,
                organizer_ids=organizer_ids,
                external_event_id=external_event_id,
                status=status,
                starts_at=starts_at,
                ends_at=ends_at,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_interviewers(
        self,
        *,
        ids: Ids = None,
        interview_ids: Ids = None,
        user_ids: Ids = None,
        scorecard_ids: Ids = None,
        response_status: str | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[Interviewer]:
        return self.list_resource(
            "/v3/interviewers",
            Interviewer,
            dict(
                ids=ids,
                interview_ids=interview_ids,
                user_ids=user_ids,
                scorecard_ids=scorecard_ids,
                response_status=response_status,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_users(
        self,
        *,
        ids: Ids = None,
        office_ids: Ids = None,
        department_ids: Ids = None,
        interviewer_tag_ids: Ids = None,
        primary_email: str | None = None,
        deactivated: bool | None = None,
        show_service_accounts: bool | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[User]:
        return self.list_resource(
            "/v3/users",
            User,
            dict(
                ids=ids,
                office_ids=office_ids,
                department_ids=department_ids,
                interviewer_tag_ids=interviewer_tag_ids,
                primary_email=primary_email,
                deactivated=deactivated,
                show_service_accounts=show_service_accounts,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_offices(
        self,
        *,
        ids: Ids = None,
        parent_id: int | None = None,
        external_id: str | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[Office]:
        return self.list_resource(
            "/v3/offices",
            Office,
            dict(
                ids=ids,
                parent_id=parent_id,
                external_id=external_id,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_departments(
        self,
        *,
        ids: Ids = None,
        parent_id: int | None = None,
        external_id: str | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[Department]:
        return self.list_resource(
            "/v3/departments",
            Department,
            dict(
                ids=ids,
                parent_id=parent_id,
                external_id=external_id,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_notes(
        self,
        *,
        ids: Ids = None,
        candidate_ids: Ids = None,
        application_ids: Ids = None,
        user_ids: Ids = None,
        type: str | None = None,
        visibility: Literal["admin_only_visible", "privately_visible", "publicly_visible"] | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[Note]:
        """Mention watching: a two-sided `created_at` window, since lists are ordered by id, not time."""
        return self.list_resource(
            "/v3/notes",
            Note,
            dict(
                ids=ids,
                candidate_ids=candidate_ids,
                application_ids=application_ids,
                user_ids=user_ids,
                type=type,
                visibility=visibility,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_scorecards(
        self,
        *,
        ids: Ids = None,
        application_ids: Ids = None,
        interview_kit_ids: Ids = None,
        interviewer_ids: Ids = None,
        submitter_ids: Ids = None,
        status: Literal["draft", "complete"] | None = None,
        interviewed_at: TimeRange | None = None,
        submitted_at: TimeRange | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[Scorecard]:
        return self.list_resource(
            "/v3/scorecards",
            Scorecard,
            dict(
                ids=ids,
                application_ids=application_ids,
                interview_kit_ids=interview_kit_ids,
                interviewer_ids=interviewer_ids,
                submitter_ids=submitter_ids,
                status=status,
                interviewed_at=interviewed_at,
                submitted_at=submitted_at,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_offers(
        self,
        *,
        ids: Ids = None,
        application_ids: Ids = None,
        candidate_ids: Ids = None,
        job_ids: Ids = None,
        current_only: bool | None = None,
        status: str | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[Offer]:
        return self.list_resource(
            "/v3/offers",
            Offer,
            dict(
                ids=ids,
                application_ids=application_ids,
                candidate_ids=candidate_ids,
                job_ids=job_ids,
                current_only=current_only,
                status=status,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_sources(
        self,
        *,
        ids: Ids = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[Source]:
        return self.list_resource(
            "/v3/sources",
            Source,
            dict(ids=ids, created_at=created_at, updated_at=updated_at),
            fields=fields,
            per_page=per_page,
        )

    def list_job_posts(
        self,
        *,
        ids: Ids = None,
        job_ids: Ids = None,
        active: bool | None = None,
        live: bool | None = None,
        internal: bool | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[JobPost]:
        return self.list_resource(
            "/v3/job_posts",
            JobPost,
            dict(
                ids=ids,
                job_ids=job_ids,
                active=active,
                live=live,
                internal=internal,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_custom_fields(
        self,
        *,
        ids: Ids = None,
        field_type: str | None = None,
        active: bool | None = None,
        name_key: str | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[CustomField]:
        return self.list_resource(
            "/v3/custom_fields",
            CustomField,
            dict(
                ids=ids,
                field_type=field_type,
                active=active,
                name_key=name_key,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_email_templates(
        self,
        *,
        ids: Ids = None,
        email_type: str | None = None,
        from_type: str | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[EmailTemplate]:
        return self.list_resource(
            "/v3/email_templates",
            EmailTemplate,
            dict(
                ids=ids,
                email_type=email_type,
                from_type=from_type,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_user_job_permissions(
        self,
        *,
        ids: Ids = None,
        job_ids: Ids = None,
        user_ids: Ids = None,
        role_ids: Ids = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[UserJobPermission]:
        return self.list_resource(
            "/v3/user_job_permissions",
            UserJobPermission,
            dict(
                ids=ids,
                job_ids=job_ids,
                user_ids=user_ids,
                role_ids=role_ids,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_user_roles(
        self,
        *,
        ids: Ids = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[UserRole]:
        return self.list_resource(
            "/v3/user_roles",
            UserRole,
            dict(ids=ids, created_at=created_at, updated_at=updated_at),
            fields=fields,
            per_page=per_page,
        )

    def list_rejection_reasons(
        self,
        *,
        ids: Ids = None,
        include_defaults: bool | None = True,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[RejectionReason]:
        return self.list_resource(
            "/v3/rejection_reasons",
            RejectionReason,
            dict(
                ids=ids,
                include_defaults=include_defaults,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    def list_attachments(
        self,
        *,
        ids: Ids = None,
        application_ids: Ids = None,
        candidate_ids: Ids = None,
        type: str | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[Attachment]:
        return self.list_resource(
            "/v3/attachments",
            Attachment,
            dict(
                ids=ids,
                application_ids=application_ids,
                candidate_ids=candidate_ids,
                type=type,
                created_at=created_at,
                updated_at=updated_at,
            ),
            fields=fields,
            per_page=per_page,
        )

    # Sourcing and mirror reads (issue 12): same list rules as every other collection.

    def _simple_list(
        self,
        path: str,
        model: type[M],
        filters: dict[str, Any],
        fields: list[str] | None,
        per_page: int | None,
    ) -> Listing[M]:
        return self.list_resource(path, model, filters, fields=fields, per_page=per_page)

    def list_candidate_educations(
        self,
        *,
        ids: Ids = None,
        candidate_ids: Ids = None,
        latest: bool | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[CandidateEducation]:
        filters = dict(
            ids=ids, candidate_ids=candidate_ids, latest=latest, created_at=created_at, updated_at=updated_at
        )
        return self._simple_list("/v3/candidate_educations", CandidateEducation, filters, fields, per_page)

    def list_candidate_employments(
        self,
        *,
        ids: Ids = None,
        candidate_ids: Ids = None,
        latest: bool | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[CandidateEmployment]:
        filters = dict(
            ids=ids, candidate_ids=candidate_ids, latest=latest, created_at=created_at, updated_at=updated_at
        )
        return self._simple_list("/v3/candidate_employments", CandidateEmployment, filters, fields, per_page)

    def list_candidate_tags(
        self,
        *,
        ids: Ids = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[CandidateTag]:
        filters = dict(ids=ids, created_at=created_at, updated_at=updated_at)
        return self._simple_list("/v3/candidate_tags", CandidateTag, filters, fields, per_page)

    def list_applied_candidate_tags(
        self,
        *,
        ids: Ids = None,
        candidate_ids: Ids = None,
        candidate_tag_ids: Ids = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[AppliedCandidateTag]:
        filters = dict(
            ids=ids,
            candidate_ids=candidate_ids,
            candidate_tag_ids=candidate_tag_ids,
            created_at=created_at,
            updated_at=updated_at,
        )
        return self._simple_list("/v3/applied_candidate_tags", AppliedCandidateTag, filters, fields, per_page)

    def list_referrers(
        self,
        *,
        ids: Ids = None,
        user_ids: Ids = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[Referrer]:
        filters = dict(ids=ids, user_ids=user_ids, created_at=created_at, updated_at=updated_at)
        return self._simple_list("/v3/referrers", Referrer, filters, fields, per_page)

    def list_prospect_pools(
        self,
        *,
        ids: Ids = None,
        active: bool | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[ProspectPool]:
        filters = dict(ids=ids, active=active, created_at=created_at, updated_at=updated_at)
        return self._simple_list("/v3/prospect_pools", ProspectPool, filters, fields, per_page)

    def list_prospect_pool_stages(
        self,
        *,
        ids: Ids = None,
        prospect_pool_ids: Ids = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[ProspectPoolStage]:
        filters = dict(
            ids=ids, prospect_pool_ids=prospect_pool_ids, created_at=created_at, updated_at=updated_at
        )
        return self._simple_list("/v3/prospect_pool_stages", ProspectPoolStage, filters, fields, per_page)

    def list_prospect_details(
        self,
        *,
        ids: Ids = None,
        application_ids: Ids = None,
        pool_ids: Ids = None,
        pool_stage_ids: Ids = None,
        prospect_owner_ids: Ids = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[ProspectDetail]:
        filters = dict(
            ids=ids,
            application_ids=application_ids,
            pool_ids=pool_ids,
            pool_stage_ids=pool_stage_ids,
            prospect_owner_ids=prospect_owner_ids,
            created_at=created_at,
            updated_at=updated_at,
        )
        return self._simple_list("/v3/prospect_details", ProspectDetail, filters, fields, per_page)

    def list_custom_field_options(
        self,
        *,
        ids: Ids = None,
        custom_field_ids: Ids = None,
        active: bool | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[CustomFieldOption]:
        filters = dict(
            ids=ids,
            custom_field_ids=custom_field_ids,
            active=active,
            created_at=created_at,
            updated_at=updated_at,
        )
        return self._simple_list("/v3/custom_field_options", CustomFieldOption, filters, fields, per_page)

    def list_webhooks(
        self,
        *,
        ids: Ids = None,
        event_action_type: str | None = None,
        deactivated: bool | None = None,
        created_at: TimeRange | None = None,
        updated_at: TimeRange | None = None,
        fields: list[str] | None = None,
        per_page: int | None = None,
    ) -> Listing[WebhookSubscription]:
        filters = dict(
            ids=ids,
            event_action_type=event_action_type,
            deactivated=deactivated,
            created_at=created_at,
            updated_at=updated_at,
        )
        return self._simple_list("/v3/webhooks", WebhookSubscription, filters, fields, per_page)

    # Harvest v3 has no single-object GETs; these read `?ids=<id>` and raise NotFoundError if absent.

    async def get_candidate(self, candidate_id: int) -> Candidate:
        return await self._one(self.list_candidates(ids=[candidate_id]), "candidate", candidate_id)

    async def get_application(self, application_id: int) -> Application:
        return await self._one(self.list_applications(ids=[application_id]), "application", application_id)

    async def get_job(self, job_id: int) -> Job:
        return await self._one(self.list_jobs(ids=[job_id]), "job", job_id)

    async def get_interview(self, interview_id: int) -> Interview:
        return await self._one(self.list_interviews(ids=[interview_id]), "interview", interview_id)

    async def get_user(self, user_id: int) -> User:
        """Deactivated users too; integration service users are hidden, as Greenhouse hides them."""
        return await self._one(self.list_users(ids=[user_id]), "user", user_id)

    # -------------------------------------------------------------------------------------- writes

    async def create_candidate(self, data: CreateCandidate, *, as_user: int | None = None) -> Candidate:
        """Create a candidate, with a first application or as a prospect when `data.application` is set."""
        response = await self._write("POST", "/v3/candidates", as_user=as_user, body=data.json_body())
        return self._parse(Candidate, response, "candidate")

    async def update_candidate(
        self, candidate_id: int, data: UpdateCandidate, *, as_user: int | None = None
    ) -> Candidate:
        response = await self._write(
            "PATCH", f"/v3/candidates/{int(candidate_id)}", as_user=as_user, body=data.json_body()
        )
        return self._parse(Candidate, response, "candidate")

    async def create_application(
        self, data: CreateApplication | CreateProspectApplication, *, as_user: int | None = None
    ) -> Application:
        response = await self._write("POST", "/v3/applications", as_user=as_user, body=data.json_body())
        return self._parse(Application, response, "application")

    async def add_attachment(self, data: AddAttachment, *, as_user: int | None = None) -> Attachment:
        response = await self._write("POST", "/v3/attachments", as_user=as_user, body=data.json_body())
        return self._parse(Attachment, response, "attachment")

    async def add_note(self, data: AddNote, *, as_user: int | None = None) -> Note:
        """Add a NOTE, or log an EMAIL (`AddNote.email(...)`); the author is `as_user` unless `user_id` is set."""
        response = await self._write("POST", "/v3/notes", as_user=as_user, body=data.json_body())
        return self._parse(Note, response, "note")

    async def move_application(
        self, application_id: int, data: MoveApplication, *, as_user: int | None = None
    ) -> None:
        """Move, advance or transfer, guarded by `from_stage_id` (compare-and-swap on the current stage).

        Raises `ApplicationMovedError` when the application is no longer in `from_stage_id` (moved by
        someone else, or our own earlier move landed unseen): re-read it before deciding again. Fires the
        job's stage-transition rules, which may email the candidate.
        """
        try:
            await self._write(
                "POST", f"/v3/applications/{int(application_id)}/move", as_user=as_user, body=data.json_body()
            )
        except HarvestError as exc:
            if not is_stale_stage(exc):
                raise
            raise ApplicationMovedError(
                f"application {int(application_id)} is no longer in stage {data.from_stage_id}",
                status=exc.status,
                method=exc.method,
                path=exc.path,
                errors=exc.errors,
            ) from exc

    async def advance_application(
        self, application_id: int, from_stage_id: int, *, as_user: int | None = None
    ) -> None:
        """Advance to the next stage of the plan."""
        await self.move_application(
            application_id, MoveApplication(from_stage_id=from_stage_id), as_user=as_user
        )

    async def reject_application(
        self, application_id: int, data: RejectApplication, *, as_user: int | None = None
    ) -> None:
        """Reject with `data.rejection_reason_id` (silent unless `rejection_email`); 422 if not active."""
        await self._write(
            "POST", f"/v3/applications/{int(application_id)}/reject", as_user=as_user, body=data.json_body()
        )

    async def update_application_custom_fields(
        self,
        application_id: int,
        values: Mapping[str, CustomFieldScalar],
        *,
        as_user: int | None = None,
    ) -> Application:
        """Write several application custom fields (keyed by `name_key`) in ONE request; `None` clears one.

        `PATCH /v3/applications/{id}` with `custom_fields`; fields not listed are left alone. Returns the
        updated application. An unknown key or a value of the wrong type is a `ValidationError` (422).
        """
        data = UpdateApplicationCustomFields.from_values(values)
        response = await self._write(
            "PATCH", f"/v3/applications/{int(application_id)}", as_user=as_user, body=data.json_body()
        )
        return self._parse(Application, response, "application")

    async def unreject_application(self, application_id: int, *, as_user: int | None = None) -> None:
        await self._write(
            "POST", f"/v3/applications/{int(application_id)}/unreject", as_user=as_user, body={}
        )

    async def create_interview(self, data: CreateInterview, *, as_user: int | None = None) -> Interview:
        """Record a calendar event as a Greenhouse interview (sends no invitations)."""
        response = await self._write("POST", "/v3/interviews", as_user=as_user, body=data.json_body())
        return self._parse(Interview, response, "interview")

    async def update_interview(
        self, interview_id: int, data: UpdateInterview, *, as_user: int | None = None
    ) -> Interview:
        response = await self._write(
            "PATCH", f"/v3/interviews/{int(interview_id)}", as_user=as_user, body=data.json_body()
        )
        return self._parse(Interview, response, "interview")

    async def delete_interview(self, interview_id: int, *, as_user: int | None = None) -> None:
        """Only `scheduled`/`awaiting_feedback` interviews can be deleted; the calendar event stays."""
        await self._write("DELETE", f"/v3/interviews/{int(interview_id)}", as_user=as_user)

    # ------------------------------------------------------------------------- sourcing writes (issue 12)

    async def merge_candidates(
        self, primary_candidate_id: int, secondary_candidate_id: int, *, as_user: int | None = None
    ) -> Candidate:
        """Merge the secondary candidate INTO the primary (which is kept and returned); never undone."""
        response = await self._write(
            "POST",
            f"/v3/candidates/{int(primary_candidate_id)}/merge",
            as_user=as_user,
            body={"secondary_candidate_id": int(secondary_candidate_id)},
        )
        return self._parse(Candidate, response, "candidate")

    async def anonymize_candidate(
        self, candidate_id: int, data: AnonymizeCandidate, *, as_user: int | None = None
    ) -> Candidate:
        """Erase the listed fields of a candidate (GDPR); returns the candidate as it now reads."""
        response = await self._write(
            "PATCH", f"/v3/candidates/{int(candidate_id)}/anonymize", as_user=as_user, body=data.json_body()
        )
        return self._parse(Candidate, response, "candidate")

    async def convert_prospect(
        self, application_id: int, data: ConvertProspect, *, as_user: int | None = None
    ) -> Application:
        """Turn a prospect application into a candidate application on `data.job_id`; returns the NEW one."""
        response = await self._write(
            "POST",
            f"/v3/applications/{int(application_id)}/convert_to_candidate",
            as_user=as_user,
            body=data.json_body(),
        )
        return self._parse(Application, response, "application")

    async def add_education(self, data: AddEducation, *, as_user: int | None = None) -> CandidateEducation:
        response = await self._write(
            "POST", "/v3/candidate_educations", as_user=as_user, body=data.json_body()
        )
        return self._parse(CandidateEducation, response, "candidate_education")

    async def delete_education(self, education_id: int, *, as_user: int | None = None) -> None:
        await self._write("DELETE", f"/v3/candidate_educations/{int(education_id)}", as_user=as_user)

    async def add_employment(self, data: AddEmployment, *, as_user: int | None = None) -> CandidateEmployment:
        response = await self._write(
            "POST", "/v3/candidate_employments", as_user=as_user, body=data.json_body()
        )
        return self._parse(CandidateEmployment, response, "candidate_employment")

    async def delete_employment(self, employment_id: int, *, as_user: int | None = None) -> None:
        await self._write("DELETE", f"/v3/candidate_employments/{int(employment_id)}", as_user=as_user)

    async def create_candidate_tag(self, name: str, *, as_user: int | None = None) -> CandidateTag:
        response = await self._write("POST", "/v3/candidate_tags", as_user=as_user, body={"name": name})
        return self._parse(CandidateTag, response, "candidate_tag")

    async def apply_candidate_tag(
        self, candidate_id: int, candidate_tag_id: int, *, as_user: int | None = None
    ) -> AppliedCandidateTag:
        """Tag a candidate. Idempotent: a tag already applied returns the existing row instead of a 422."""
        body = {"candidate_id": int(candidate_id), "candidate_tag_id": int(candidate_tag_id)}
        try:
            response = await self._write("POST", "/v3/applied_candidate_tags", as_user=as_user, body=body)
        except ValidationError:
            existing = await self.list_applied_candidate_tags(
                candidate_ids=[candidate_id], candidate_tag_ids=[candidate_tag_id]
            ).collect()
            if existing:
                return existing[0]
            raise
        return self._parse(AppliedCandidateTag, response, "applied_candidate_tag")

    async def remove_applied_candidate_tag(self, applied_tag_id: int, *, as_user: int | None = None) -> None:
        await self._write("DELETE", f"/v3/applied_candidate_tags/{int(applied_tag_id)}", as_user=as_user)

    async def delete_attachment(self, attachment_id: int, *, as_user: int | None = None) -> None:
        await self._write("DELETE", f"/v3/attachments/{int(attachment_id)}", as_user=as_user)

    async def create_webhook(self, data: CreateWebhook, *, as_user: int | None = None) -> WebhookSubscription:
        """Subscribe `data.url` to one event type; `deactivated` is true when Greenhouse's ping failed."""
        response = await self._write("POST", "/v3/webhooks", as_user=as_user, body=data.json_body())
        return self._parse(WebhookSubscription, response, "webhook")

    async def delete_webhook(self, webhook_id: int, *, as_user: int | None = None) -> None:
        await self._write("DELETE", f"/v3/webhooks/{int(webhook_id)}", as_user=as_user)
