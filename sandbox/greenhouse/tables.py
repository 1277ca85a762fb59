"""SQLModel tables of the Greenhouse sandbox, one per Harvest v3 resource.

Column names equal the v3 response field names, so a row serializes by reading the schema's property list.
Columns that are not part of the response (search indexes, time zones, flags) start with `ix_` or are named
in `INTERNAL_COLUMNS`. The tables live on their own registry so they never mix with the engine's store.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

sandbox_registry = registry()


class SandboxBase(SQLModel, registry=sandbox_registry):
    """Abstract base: every sandbox table shares `id`, `created_at`, `updated_at`."""

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    created_at: datetime
    updated_at: datetime


def ref(*, index: bool = False) -> Any:
    """A nullable 64-bit reference column (Greenhouse ids exceed 32 bits)."""
    return Field(default=None, sa_type=BigInteger, index=index)


def req_ref(*, index: bool = False) -> Any:
    """A required 64-bit reference column."""
    return Field(sa_type=BigInteger, index=index)


def json_list() -> Any:
    return Field(default_factory=list, sa_type=JSON)


def json_obj() -> Any:
    return Field(default=None, sa_type=JSON)


class Department(SandboxBase, table=True):
    __tablename__ = "gh_departments"
    name: str
    parent_id: int | None = ref()
    external_id: str | None = None


class Office(SandboxBase, table=True):
    __tablename__ = "gh_offices"
    name: str
    parent_id: int | None = ref()
    external_id: str | None = None
    location: str | None = None
    primary_in_house_contact_user_id: int | None = ref()
    time_zone: str = "UTC"  # internal: IANA zone, not part of the v3 object


class User(SandboxBase, table=True):
    __tablename__ = "gh_users"
    first_name: str | None = None
    last_name: str | None = None
    primary_email: str = Field(default="", index=True)
    job_title: str | None = None
    agency_id: int | None = ref()
    name: str | None = None
    deactivated: bool = False
    site_admin: bool = False
    employee_id: str | None = None
    linked_candidate_ids: list[int] = json_list()
    office_ids: list[int] = json_list()
    department_ids: list[int] = json_list()
    interviewer_tags: list[dict[str, Any]] = json_list()
    emails: list[str] | None = json_obj()
    custom_fields: dict[str, Any] | None = json_obj()
    is_service_account: bool = False  # internal: integration service user, hidden by default
    time_zone: str = "UTC"  # internal: IANA zone of the user's office
    ix_office_ids: str = ""
    ix_department_ids: str = ""
    ix_tag_ids: str = ""
    ix_linked_candidate_ids: str = ""
    ix_cf_options: str = ""


class Source(SandboxBase, table=True):
    __tablename__ = "gh_sources"
    name: str
    type: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class RejectionReason(SandboxBase, table=True):
    __tablename__ = "gh_rejection_reasons"
    name: str
    type: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    is_default: bool = False  # internal: Greenhouse built-in, listed only with include_defaults=true


class CustomField(SandboxBase, table=True):
    __tablename__ = "gh_custom_fields"
    field_type: str = Field(index=True)
    sort_order: int = 0
    name: str
    value_type: str
    private: bool = False
    required: bool = False
    require_approval: bool = False
    trigger_new_version: bool = False
    active: bool | None = True
    updated_by_id: int | None = ref()
    internal_type: str | None = None
    expose_in_job_board_api: bool = False
    placeholder: str | None = None
    name_key: str
    description: str | None = None
    application_type: str | None = None
    api_only: bool | None = False
    use_for_job_approvals: bool | None = None
    use_for_offer_approvals: bool | None = None
    template_token_string: str | None = None
    default_value: dict[str, Any] | None = json_obj()


class EmailTemplate(SandboxBase, table=True):
    __tablename__ = "gh_email_templates"
    name: str | None = None
    description: str | None = None
    default: bool | None = None
    email_type: str | None = None
    from_type: str | None = None
    subject: str | None = None
    body: str | None = None
    html_body: str | None = None
    cc_recruiter: bool | None = None
    cc_coordinator: bool | None = None
    recipients: str | None = None
    office_anywhere: bool | None = None
    user_id: int | None = ref()


class Job(SandboxBase, table=True):
    __tablename__ = "gh_jobs"
    name: str
    requisition_id: str | None = None
    notes: str | None = None
    confidential: bool = False
    status: str = "open"
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    is_template: bool | None = False
    copied_from_id: int | None = ref()
    department_id: int | None = ref(index=True)
    office_ids: list[int] | None = json_obj()
    custom_fields: dict[str, Any] | None = json_obj()
    ix_office_ids: str = ""
    ix_cf_options: str = ""


class JobPost(SandboxBase, table=True):
    __tablename__ = "gh_job_posts"
    title: str
    internal: bool = False
    active: bool = True
    live: bool = True
    featured: bool = False
    first_published_at: datetime | None = None
    content: str | None = None
    internal_content: str | None = None
    language: str | None = "en"
    public_url: str | None = None
    demographic_question_set_id: int | None = ref()
    job_id: int = req_ref(index=True)
    job_board_id: int = req_ref()
    questions: list[dict[str, Any]] = json_list()


class JobInterviewStage(SandboxBase, table=True):
    __tablename__ = "gh_job_interview_stages"
    job_id: int = req_ref(index=True)
    sort_order: int
    name: str
    active: bool = True


class JobInterview(SandboxBase, table=True):
    __tablename__ = "gh_job_interviews"
    job_interview_stage_id: int = req_ref(index=True)
    job_id: int = req_ref(index=True)
    sort_order: int
    scheduling_type: str | None = None
    duration: int | None = None
    summary: str | None = None
    instructions: str | None = None
    name: str
    active: bool = True
    require_scorecard: bool | None = None


class InterviewKit(SandboxBase, table=True):
    __tablename__ = "gh_interview_kits"
    job_id: int = req_ref(index=True)
    job_interview_id: int = req_ref(index=True)
    exercises: str | None = None
    anonymize_candidate: bool | None = False
    anonymize_resumes: bool | None = False


class DefaultInterviewer(SandboxBase, table=True):
    __tablename__ = "gh_default_interviewers"
    user_id: int = req_ref(index=True)
    interview_kit_id: int = req_ref(index=True)


class UserRole(SandboxBase, table=True):
    """An organisation role: `site_admin`, a `job_admin` role granted per job, or the retired interviewer role."""

    __tablename__ = "gh_user_roles"
    role_type: str
    name: str


class UserJobPermission(SandboxBase, table=True):
    __tablename__ = "gh_user_job_permissions"
    job_id: int = req_ref(index=True)
    user_id: int = req_ref(index=True)
    role_id: int = req_ref()
    automated: bool | None = False


class Candidate(SandboxBase, table=True):
    __tablename__ = "gh_candidates"
    first_name: str | None = None
    last_name: str | None = None
    preferred_name: str | None = None
    company: str | None = None
    title: str | None = None
    last_activity_at: datetime | None = Field(default=None, index=True)
    private: bool | None = False
    can_email: bool = True
    time_zone: str | None = None
    tags: list[str] = json_list()
    linked_user_ids: list[int] = json_list()
    phone_numbers: list[dict[str, Any]] = json_list()
    addresses: list[dict[str, Any]] = json_list()
    email_addresses: list[dict[str, Any]] = json_list()
    website_addresses: list[dict[str, Any]] = json_list()
    social_media_addresses: list[dict[str, Any]] = json_list()
    custom_fields: dict[str, Any] | None = json_obj()
    ix_emails: str = Field(default="", index=True)
    ix_tags: str = ""
    ix_cf_options: str = ""


class Application(SandboxBase, table=True):
    __tablename__ = "gh_applications"
    agency_note_id: int | None = ref()
    candidate_id: int = req_ref(index=True)
    coordinator_id: int | None = ref()
    job_id: int | None = ref(index=True)
    job_post_id: int | None = ref()
    recruiter_id: int | None = ref()
    referrer_id: int | None = ref()
    source_id: int | None = ref()
    stage_id: int | None = ref(index=True)
    stage_name: str | None = None
    status: str = Field(default="in_process", index=True)
    needs_decision: bool | None = False
    prospect: bool = False
    rejected_at: datetime | None = None
    last_activity_at: datetime | None = None
    location_address: str | None = None
    answers: list[dict[str, Any]] | None = json_obj()
    prospective_job_ids: list[int] = json_list()
    custom_fields: dict[str, Any] | None = json_obj()
    job_interview_stage_id: int | None = ref(index=True)  # live-only field (harvest-v3.md §4.2)
    ix_prospective_job_ids: str = ""
    ix_cf_options: str = ""


class ApplicationStage(SandboxBase, table=True):
    __tablename__ = "gh_application_stages"
    application_id: int = req_ref(index=True)
    job_interview_stage_id: int = req_ref(index=True)
    entered_at: datetime | None = None
    exited_at: datetime | None = None
    days_in_stage: int = 0
    current: bool = True


class Note(SandboxBase, table=True):
    __tablename__ = "gh_notes"
    candidate_id: int | None = ref(index=True)
    application_id: int | None = ref(index=True)
    body: str | None = None
    subject: str | None = None
    type: str = "NOTE"
    user_id: int | None = ref(index=True)
    email_from: str | None = None
    email_to: str | None = None
    email_cc: list[str] | None = json_obj()
    import_hash: str | None = None
    body_with_tags: str | None = None
    visibility: str | None = "publicly_visible"
    email_attachment_file_names: list[str | None] | None = json_obj()


class Interview(SandboxBase, table=True):
    __tablename__ = "gh_interviews"
    job_id: int = req_ref(index=True)
    application_id: int = req_ref(index=True)
    job_interview_id: int = req_ref(index=True)
    starts_at: datetime | None = Field(default=None, index=True)
    ends_at: datetime | None = None
    location: str | None = None
    status: str = "scheduled"
    organizer_id: int | None = ref()
    scheduled_at: datetime | None = None
    all_day_start_on: date | None = None
    all_day_end_on: date | None = None
    external_event_id: str | None = Field(default=None, index=True)
    video_conferencing_url: str | None = None
    availability_received_at: datetime | None = None


class Interviewer(SandboxBase, table=True):
    __tablename__ = "gh_interviewers"
    interview_id: int = req_ref(index=True)
    user_id: int | None = ref(index=True)
    scorecard_id: int | None = ref()
    email: str | None = None
    response_status: str | None = "needs_action"


class Scorecard(SandboxBase, table=True):
    __tablename__ = "gh_scorecards"
    interview_kit_id: int = req_ref(index=True)
    interviewer_id: int = req_ref(index=True)
    interviewed_at: datetime | None = None
    notes: str | None = None
    notes_with_tags: str | None = None
    submitter_id: int = req_ref()
    candidate_rating: str | None = None
    private_notes: str | None = None
    private_notes_with_tags: str | None = None
    status: str = "draft"
    public_notes: str | None = None
    public_notes_with_tags: str | None = None
    application_id: int = req_ref(index=True)
    submitted_at: datetime | None = None


class Offer(SandboxBase, table=True):
    __tablename__ = "gh_offers"
    version: int = 1
    application_id: int = req_ref(index=True)
    job_id: int = req_ref(index=True)
    candidate_id: int = req_ref(index=True)
    opening_id: int | None = ref()
    status: str = "Created"
    starts_on: date | None = None
    sent_on: date | None = None
    resolved_at: datetime | None = None
    custom_fields: dict[str, Any] | None = json_obj()
    is_current: bool = True  # internal: latest version of this application's offer
    ix_cf_options: str = ""


class Attachment(SandboxBase, table=True):
    __tablename__ = "gh_attachments"
    application_id: int = req_ref(index=True)
    candidate_id: int | None = ref(index=True)
    type: str = "resume"
    filename: str
    url: str
    visibility: str = "public"  # internal: write-side visibility
    content_type: str | None = None  # internal: sniffed from the bytes, not taken from the name
    size_bytes: int | None = None  # internal
    sha256: str | None = None  # internal


class RejectionDetail(SandboxBase, table=True):
    __tablename__ = "gh_rejection_details"
    application_id: int = req_ref(index=True)
    rejected_by_id: int | None = ref()
    rejection_note_id: int | None = ref()
    rejection_reason_id: int | None = ref(index=True)
    rejected_at: datetime | None = None
    question_custom_fields: dict[str, Any] | None = json_obj()
    ix_cf_options: str = ""


class CustomFieldOption(SandboxBase, table=True):
    """Options of select custom fields; also the schools, degrees and disciplines educations point at."""

    __tablename__ = "gh_custom_field_options"
    custom_field_id: int = req_ref(index=True)
    name: str
    external_id: str | None = None
    sort_order: int = 0
    active: bool = True


class CandidateEducation(SandboxBase, table=True):
    __tablename__ = "gh_candidate_educations"
    candidate_id: int = req_ref(index=True)
    school_name_custom_field_option_id: int | None = ref()
    degree_custom_field_option_id: int | None = ref()
    discipline_custom_field_option_id: int | None = ref()
    start_at: datetime | None = None
    end_at: datetime | None = None
    latest: bool = False
    start_date_month: int | None = None
    start_date_year: int | None = None
    end_date_month: int | None = None
    end_date_year: int | None = None


class CandidateEmployment(SandboxBase, table=True):
    __tablename__ = "gh_candidate_employments"
    candidate_id: int = req_ref(index=True)
    company_name: str
    title: str
    start_date: date
    end_date: date | None = None
    latest: bool | None = False


class CandidateTag(SandboxBase, table=True):
    """The organisation's tag dictionary; `candidates.tags` lists the names of a candidate's applied tags."""

    __tablename__ = "gh_candidate_tags"
    name: str = Field(index=True)


class AppliedCandidateTag(SandboxBase, table=True):
    __tablename__ = "gh_applied_candidate_tags"
    candidate_tag_id: int = req_ref(index=True)
    candidate_id: int = req_ref(index=True)


class Referrer(SandboxBase, table=True):
    __tablename__ = "gh_referrers"
    user_id: int | None = ref(index=True)
    name: str


class ProspectPool(SandboxBase, table=True):
    __tablename__ = "gh_prospect_pools"
    name: str
    active: bool = True
    description: str | None = None
    department_ids: list[int] = json_list()
    office_ids: list[int] = json_list()
    job_ids: list[int] = json_list()
    ix_department_ids: str = ""
    ix_office_ids: str = ""
    ix_job_ids: str = ""


class ProspectPoolStage(SandboxBase, table=True):
    __tablename__ = "gh_prospect_pool_stages"
    prospect_pool_id: int = req_ref(index=True)
    name: str
    sort_order: int = 0


class ProspectDetail(SandboxBase, table=True):
    """Pool, pool stage and owner of a prospect application (one row per prospect application)."""

    __tablename__ = "gh_prospect_details"
    application_id: int = req_ref(index=True)
    pool_id: int | None = ref(index=True)
    pool_stage_id: int | None = ref(index=True)
    prospect_owner_id: int | None = ref(index=True)
    department_id: int | None = ref()
    office_id: int | None = ref()


class WebhookSubscription(SandboxBase, table=True):
    """A v3 webhook subscription (`/v3/webhooks`); `secret_key` is write-only."""

    __tablename__ = "gh_webhooks"
    name: str
    url: str
    event_action_type: str = Field(index=True)
    deactivated: bool = False
    last_delivered: datetime | None = None
    secret_key: str = ""  # internal: HMAC key of the `Signature` header, never returned


class SandboxMeta(SandboxBase, table=True):
    """One row describing the seeded org, so a file or PostgreSQL database survives restarts."""

    __tablename__ = "gh_sandbox_meta"
    seed: int
    candidates: int
    summary: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


ALL_TABLES: tuple[type[SandboxBase], ...] = (
    Department,
    Office,
    User,
    Source,
    RejectionReason,
    CustomField,
    EmailTemplate,
    Job,
    JobPost,
    JobInterviewStage,
    JobInterview,
    InterviewKit,
    DefaultInterviewer,
    UserRole,
    UserJobPermission,
    Candidate,
    Application,
    ApplicationStage,
    Note,
    Interview,
    Interviewer,
    Scorecard,
    Offer,
    Attachment,
    RejectionDetail,
    CustomFieldOption,
    CandidateEducation,
    CandidateEmployment,
    CandidateTag,
    AppliedCandidateTag,
    Referrer,
    ProspectPool,
    ProspectPoolStage,
    ProspectDetail,
    WebhookSubscription,
)


def pipe_index(values: list[Any] | None) -> str:
    """Encode values for the `ix_*` search columns: `|a|b|`, searchable with LIKE '%|a|%'."""
    return "|" + "|".join(str(v) for v in values) + "|" if values else ""
