"""Harvest v3 resources as Hireflow reads them, and the inputs of the writes it makes.

Built from `harvest-v3/schemas/*.json`. Read models are tolerant: unknown fields are ignored (the
spec keeps growing), enum-like values are plain strings (new values must not break a sync), and every
field except `id` has a default, so objects fetched with a `fields` projection still validate.
Write inputs are strict (`extra="forbid"`, documented enums) so a bad call fails before it is sent.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    FiniteFloat,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)

# --------------------------------------------------------------------------------------------- reads


class HarvestObject(BaseModel):
    """Common shape of every v3 object."""

    model_config = ConfigDict(extra="ignore")

    id: int
    created_at: datetime | None = None
    updated_at: datetime | None = None


class CustomFieldValue(BaseModel):
    """One entry of a `custom_fields` map (keyed by the field's `name_key`)."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    type: str | None = None
    value: Any = None


class TypedValue(BaseModel):
    """A contact entry such as an email address: `{value, type}`."""

    model_config = ConfigDict(extra="ignore")

    value: str
    type: str | None = None


class Candidate(HarvestObject):
    first_name: str | None = None
    last_name: str | None = None
    preferred_name: str | None = None
    company: str | None = None
    title: str | None = None
    last_activity_at: datetime | None = None
    private: bool | None = None
    can_email: bool = True
    time_zone: str | None = None
    tags: list[str] = Field(default_factory=list)
    linked_user_ids: list[int] = Field(default_factory=list)
    phone_numbers: list[TypedValue] = Field(default_factory=list)
    addresses: list[TypedValue] = Field(default_factory=list)
    email_addresses: list[TypedValue] = Field(default_factory=list)
    website_addresses: list[TypedValue] = Field(default_factory=list)
    social_media_addresses: list[TypedValue] = Field(default_factory=list)
    custom_fields: dict[str, CustomFieldValue] | None = None


class ApplicationAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    question: str | None = None
    answer: str | None = None


class Application(HarvestObject):
    """`status` reads `in_process|rejected|hired|converted` (the filter says `active` instead)."""

    agency_note_id: int | None = None
    candidate_id: int | None = None
    coordinator_id: int | None = None
    job_id: int | None = None
    job_post_id: int | None = None
    recruiter_id: int | None = None
    referrer_id: int | None = None
    source_id: int | None = None
    stage_id: int | None = None
    stage_name: str | None = None
    job_interview_stage_id: int | None = Field(
        default=None, description="Live (undocumented) field: the current job_interview_stages id."
    )
    status: str | None = None
    needs_decision: bool | None = None
    prospect: bool = False
    rejected_at: datetime | None = None
    last_activity_at: datetime | None = None
    location_address: str | None = None
    answers: list[ApplicationAnswer] | None = None
    prospective_job_ids: list[int] = Field(default_factory=list)
    custom_fields: dict[str, CustomFieldValue] | None = None


class ApplicationStage(HarvestObject):
    """One visit of an application to a job stage (the stage history)."""

    application_id: int | None = None
    job_interview_stage_id: int | None = None
    entered_at: datetime | None = None
    exited_at: datetime | None = None
    days_in_stage: int | None = None
    current: bool = False


class Job(HarvestObject):
    name: str | None = None
    requisition_id: str | None = None
    notes: str | None = None
    confidential: bool = False
    status: str | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    is_template: bool | None = None
    copied_from_id: int | None = None
    department_id: int | None = None
    office_ids: list[int] | None = None
    custom_fields: dict[str, CustomFieldValue] | None = None


class JobInterviewStage(HarvestObject):
    """A stage of a job's interview plan; `sort_order` ascending."""

    job_id: int | None = None
    sort_order: int = 0
    name: str | None = None
    active: bool = True


class JobInterview(HarvestObject):
    """An interview slot inside a stage; `duration` in minutes."""

    job_interview_stage_id: int | None = None
    job_id: int | None = None
    sort_order: int = 0
    scheduling_type: str | None = None
    duration: int | None = None
    summary: str | None = None
    instructions: str | None = None
    name: str | None = None
    active: bool = True
    require_scorecard: bool | None = None


class InterviewKit(HarvestObject):
    job_id: int | None = None
    job_interview_id: int | None = None
    exercises: str | None = None
    anonymize_candidate: bool | None = None
    anonymize_resumes: bool | None = None


class DefaultInterviewer(HarvestObject):
    user_id: int | None = None
    interview_kit_id: int | None = None


class Interview(HarvestObject):
    """A scheduled interview; its panel lives in `Interviewer` rows."""

    job_id: int | None = None
    application_id: int | None = None
    job_interview_id: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str | None = None
    status: str | None = None
    organizer_id: int | None = None
    scheduled_at: datetime | None = None
    all_day_start_on: date | None = None
    all_day_end_on: date | None = None
    external_event_id: str | None = None
    video_conferencing_url: str | None = None
    availability_received_at: datetime | None = None


class Interviewer(HarvestObject):
    """A panel member of an interview; `response_status` is needs_action|accepted|tentative|declined."""

    interview_id: int | None = None
    user_id: int | None = None
    scorecard_id: int | None = None
    email: str | None = None
    response_status: str | None = None


class InterviewerTag(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | None = None
    name: str | None = None


class User(HarvestObject):
    first_name: str | None = None
    last_name: str | None = None
    primary_email: str | None = None
    job_title: str | None = None
    agency_id: int | None = None
    name: str | None = None
    deactivated: bool = False
    site_admin: bool = False
    employee_id: str | None = None
    linked_candidate_ids: list[int] = Field(default_factory=list)
    office_ids: list[int] = Field(default_factory=list)
    department_ids: list[int] = Field(default_factory=list)
    interviewer_tags: list[InterviewerTag] = Field(default_factory=list)
    emails: list[str] | None = None
    custom_fields: dict[str, CustomFieldValue] | None = None


class Office(HarvestObject):
    name: str | None = None
    parent_id: int | None = None
    external_id: str | None = None
    location: str | None = None
    primary_in_house_contact_user_id: int | None = None


class Department(HarvestObject):
    name: str | None = None
    parent_id: int | None = None
    external_id: str | None = None


class Note(HarvestObject):
    """Notes and logged emails (`type`); read-side `visibility` is `*_visible`."""

    candidate_id: int | None = None
    application_id: int | None = None
    body: str | None = None
    subject: str | None = None
    type: str | None = None
    user_id: int | None = None
    email_from: str | None = None
    email_to: str | None = None
    email_cc: list[str] | None = None
    import_hash: str | None = None
    body_with_tags: str | None = None
    visibility: str | None = None
    email_attachment_file_names: list[str | None] | None = None


class Scorecard(HarvestObject):
    interview_kit_id: int | None = None
    interviewer_id: int | None = None
    interviewed_at: datetime | None = None
    notes: str | None = None
    notes_with_tags: str | None = None
    submitter_id: int | None = None
    candidate_rating: str | None = None
    private_notes: str | None = None
    private_notes_with_tags: str | None = None
    status: str | None = None
    public_notes: str | None = None
    public_notes_with_tags: str | None = None
    application_id: int | None = None
    submitted_at: datetime | None = None


class Offer(HarvestObject):
    version: int | None = None
    application_id: int | None = None
    job_id: int | None = None
    candidate_id: int | None = None
    opening_id: int | None = None
    status: str | None = None
    starts_on: date | None = None
    sent_on: date | None = None
    resolved_at: datetime | None = None
    custom_fields: dict[str, CustomFieldValue] | None = None


class SourceType(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | None = None
    name: str | None = None


class Source(HarvestObject):
    name: str | None = None
    type: SourceType | None = None


class JobPostQuestion(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | None = None
    description: str | None = None
    answer_type: str | None = None
    required: bool | None = None
    private: bool | None = None
    label: str | None = None
    name: str | None = None
    options: list[dict[str, Any]] | None = None


class JobPost(HarvestObject):
    title: str | None = None
    internal: bool = False
    active: bool = True
    live: bool = False
    featured: bool = False
    first_published_at: datetime | None = None
    content: str | None = None
    internal_content: str | None = None
    language: str | None = None
    public_url: str | None = None
    demographic_question_set_id: int | None = None
    job_id: int | None = None
    job_board_id: int | None = None
    questions: list[JobPostQuestion] = Field(default_factory=list)


class CustomField(HarvestObject):
    field_type: str | None = None
    sort_order: int | None = None
    name: str | None = None
    value_type: str | None = None
    private: bool = False
    required: bool = False
    require_approval: bool = False
    trigger_new_version: bool = False
    active: bool | None = None
    updated_by_id: int | None = None
    internal_type: str | None = None
    expose_in_job_board_api: bool = False
    placeholder: str | None = None
    name_key: str | None = None
    description: str | None = None
    application_type: str | None = None
    api_only: bool | None = None
    use_for_job_approvals: bool | None = None
    use_for_offer_approvals: bool | None = None
    template_token_string: str | None = None
    default_value: Any = None


class EmailTemplate(HarvestObject):
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
    user_id: int | None = None


class UserJobPermission(HarvestObject):
    job_id: int | None = None
    user_id: int | None = None
    role_id: int | None = None
    automated: bool | None = None


class UserRole(HarvestObject):
    """An organisation role; `role_type` is `job_admin` (granted per job), `site_admin` or `deprecated_interviewer`."""

    role_type: str | None = None
    name: str | None = None


class RejectionReasonType(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | None = None
    key: str | None = None
    name: str | None = None


class RejectionReason(HarvestObject):
    name: str | None = None
    type: RejectionReasonType | None = None


class Attachment(HarvestObject):
    """`url` is a signed link that expires after 7 days: download promptly, never store it."""

    application_id: int | None = None
    candidate_id: int | None = None
    type: str | None = None
    filename: str | None = None
    url: str | None = None


# -------------------------------------------------------------------------------------------- writes


class CustomFieldOption(HarvestObject):
    custom_field_id: int | None = None
    name: str | None = None
    external_id: str | None = None
    sort_order: int | None = None
    active: bool = True


class CandidateEducation(HarvestObject):
    candidate_id: int | None = None
    school_name_custom_field_option_id: int | None = None
    degree_custom_field_option_id: int | None = None
    discipline_custom_field_option_id: int | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    latest: bool | None = None
    start_date_month: int | None = None
    start_date_year: int | None = None
    end_date_month: int | None = None
    end_date_year: int | None = None


class CandidateEmployment(HarvestObject):
    candidate_id: int | None = None
    company_name: str | None = None
    title: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    latest: bool | None = None


class CandidateTag(HarvestObject):
    name: str | None = None


class AppliedCandidateTag(HarvestObject):
    candidate_tag_id: int | None = None
    candidate_id: int | None = None


class Referrer(HarvestObject):
    user_id: int | None = None
    name: str | None = None


class ProspectPool(HarvestObject):
    name: str | None = None
    active: bool = True
    description: str | None = None
    department_ids: list[int] = Field(default_factory=list)
    office_ids: list[int] = Field(default_factory=list)
    job_ids: list[int] = Field(default_factory=list)


class ProspectPoolStage(HarvestObject):
    prospect_pool_id: int | None = None
    name: str | None = None
    sort_order: int | None = None


class ProspectDetail(HarvestObject):
    application_id: int | None = None
    pool_id: int | None = None
    pool_stage_id: int | None = None
    prospect_owner_id: int | None = None
    department_id: int | None = None
    office_id: int | None = None


class WebhookSubscription(HarvestObject):
    """A v3 webhook subscription (`/v3/webhooks`; shape UNVERIFIED, see docs/sandbox.md)."""

    name: str | None = None
    url: str | None = None
    event_action_type: str | None = None
    deactivated: bool = False
    last_delivered: datetime | None = None


class WriteInput(BaseModel):
    """Base for request bodies: unknown keys are a programming error."""

    model_config = ConfigDict(extra="forbid")

    def json_body(self) -> dict[str, Any]:
        """The JSON body: unset and None values left out."""
        return self.model_dump(mode="json", exclude_none=True)


class EmailAddressInput(WriteInput):
    value: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    type: Literal["personal", "work", "other"] = "personal"


class PhoneNumberInput(WriteInput):
    value: str = Field(min_length=1)
    type: Literal["home", "work", "mobile", "skype", "other"] = "mobile"


class AddressInput(WriteInput):
    value: str = Field(min_length=1)
    type: Literal["home", "work", "other"] = "home"


class WebsiteInput(WriteInput):
    value: str = Field(min_length=1)
    type: Literal["personal", "company", "portfolio", "blog", "other"] = "personal"


class SocialMediaInput(WriteInput):
    value: str = Field(min_length=1)


class CustomFieldInput(WriteInput):
    """A custom-field value, addressed by id or by `name_key`."""

    custom_field_id: int | None = None
    name_key: str | None = None
    value: Any = None

    @model_validator(mode="after")
    def _one_key(self) -> CustomFieldInput:
        if (self.custom_field_id is None) == (self.name_key is None):
            raise ValueError("give exactly one of custom_field_id or name_key")
        return self


# A custom field's `name_key` (harvest-v3.md §4.19): the canonical key of `custom_fields` maps and writes.
CUSTOM_FIELD_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,99}$"
MAX_CUSTOM_FIELDS_PER_WRITE = 50
CustomFieldScalar = (
    StrictBool | StrictInt | FiniteFloat | Annotated[str, StringConstraints(max_length=10_000)] | None
)


class NamedCustomFieldValue(WriteInput):
    """One value of a batched custom-field write; `None` clears the field."""

    name_key: str = Field(pattern=CUSTOM_FIELD_KEY_PATTERN)
    value: CustomFieldScalar


class UpdateApplicationCustomFields(WriteInput):
    """`PATCH /v3/applications/{id}` with only `custom_fields`: several values in ONE request.

    Only the listed fields change (the v1 rule, "passing an empty array does nothing"); other custom
    fields and the application's other attributes are left alone.
    """

    custom_fields: list[NamedCustomFieldValue] = Field(min_length=1, max_length=MAX_CUSTOM_FIELDS_PER_WRITE)

    def json_body(self) -> dict[str, Any]:
        """Keeps `"value": null`: it is how a value is cleared."""
        return self.model_dump(mode="json")

    @classmethod
    def from_values(cls, values: Mapping[str, CustomFieldScalar]) -> UpdateApplicationCustomFields:
        """`{"assessment_score": 82.5, "assessment_report": "https://..."}` → the request body."""
        return cls(custom_fields=[NamedCustomFieldValue(name_key=k, value=v) for k, v in values.items()])


class FirstApplication(WriteInput):
    """The candidate's first application, created in the same call as the candidate."""

    job_id: int
    source_id: int | None = None
    recruiter_id: int | None = None
    coordinator_id: int | None = None
    referrer_id: int | None = None
    initial_stage_id: int | None = Field(
        default=None, description="A job_interview_stages id; default first stage."
    )


class ProspectApplication(WriteInput):
    """A prospect application (optionally for some jobs), created with the candidate."""

    prospect: Literal[True] = True
    job_ids: list[int] | None = None
    prospect_pool_id: int | None = None
    prospect_pool_stage_id: int | None = None
    prospect_owner_id: int | None = None


class CreateCandidate(WriteInput):
    """`POST /v3/candidates`; with `application` set, the candidate gets a first application or prospect."""

    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    preferred_name: str | None = None
    company: str | None = None
    title: str | None = None
    email_addresses: list[EmailAddressInput] = Field(default_factory=list)
    phone_numbers: list[PhoneNumberInput] = Field(default_factory=list)
    addresses: list[AddressInput] = Field(default_factory=list)
    website_addresses: list[WebsiteInput] = Field(default_factory=list)
    social_media_addresses: list[SocialMediaInput] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    custom_fields: list[CustomFieldInput] | None = None
    application: FirstApplication | ProspectApplication | None = None


class UpdateCandidate(WriteInput):
    """`PATCH /v3/candidates/{id}`. Collections given here REPLACE the stored collection.

    Only fields you set are sent; set one to None explicitly to clear it.
    """

    first_name: str | None = Field(default=None, min_length=1)
    last_name: str | None = Field(default=None, min_length=1)
    preferred_name: str | None = None
    company: str | None = None
    title: str | None = None
    is_private: bool | None = None
    can_email: bool | None = None
    email_addresses: list[EmailAddressInput] | None = None
    phone_numbers: list[PhoneNumberInput] | None = None
    addresses: list[AddressInput] | None = None
    website_addresses: list[WebsiteInput] | None = None
    social_media_addresses: list[SocialMediaInput] | None = None
    tags: list[str] | None = None
    custom_fields: list[CustomFieldInput] | None = None

    def json_body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)

    @model_validator(mode="after")
    def _not_empty(self) -> UpdateCandidate:
        if not self.model_fields_set:
            raise ValueError("an update needs at least one field")
        return self


class CreateApplication(WriteInput):
    """`POST /v3/applications` for an existing candidate on a job (lands on the first stage by default)."""

    candidate_id: int
    job_id: int
    initial_stage_id: int | None = None
    source_id: int | None = None
    referrer_id: int | None = None
    recruiter_id: int | None = None
    coordinator_id: int | None = None


class CreateProspectApplication(WriteInput):
    """`POST /v3/applications` making an existing candidate a prospect (jobless is valid)."""

    candidate_id: int
    prospect: Literal[True] = True
    job_ids: list[int] | None = None
    prospect_pool_id: int | None = None
    prospect_pool_stage_id: int | None = None
    prospect_owner_id: int | None = None
    source_id: int | None = None


AttachmentType = Literal[
    "resume",
    "cover_letter",
    "take_home_test",
    "offer_packet",
    "offer_letter",
    "signed_offer_letter",
    "other",
    "form_attachment",
    "midfunnel_agreement",
    "automated_agreement",
]


class AddAttachment(WriteInput):
    """`POST /v3/attachments`: exactly one of `content` (base64) or `url` (Greenhouse fetches it)."""

    application_id: int
    filename: str = Field(min_length=1)
    type: AttachmentType
    content: str | None = None
    url: str | None = None
    content_type: str | None = None
    visibility: Literal["public", "private", "admin_only"] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> AddAttachment:
        if (self.content is None) == (self.url is None):
            raise ValueError("give exactly one of content (base64) or url")
        if self.content is not None:
            try:
                base64.b64decode(self.content, validate=True)
            except ValueError as exc:
                raise ValueError("content must be base64") from exc
        return self

    @classmethod
    def from_bytes(
        cls,
        *,
        application_id: int,
        filename: str,
        data: bytes,
        type: AttachmentType,
        content_type: str | None = None,
        visibility: Literal["public", "private", "admin_only"] | None = None,
    ) -> AddAttachment:
        """An attachment uploaded inline from raw bytes (e.g. a `take_home_test` report, `admin_only`)."""
        return cls(
            application_id=application_id,
            filename=filename,
            type=type,
            content=base64.b64encode(data).decode("ascii"),
            content_type=content_type,
            visibility=visibility,
        )


class AddNote(WriteInput):
    """`POST /v3/notes`: a NOTE (or ACTIVITY), or a logged EMAIL.

    Write-side visibility is `public|private|admin_only`. EMAIL notes need `subject`, `email_from`
    and `email_to` (`email_cc` is always sent for them, possibly empty); other notes must not carry them.
    The author defaults to the acting user (`sub`).
    """

    candidate_id: int
    application_id: int | None = None
    body: str = Field(min_length=1)
    note_type: Literal["NOTE", "ACTIVITY", "EMAIL"] = "NOTE"
    visibility: Literal["public", "private", "admin_only"] = "public"
    user_id: int | None = None
    subject: str | None = None
    email_from: list[str] | None = None
    email_to: list[str] | None = None
    email_cc: list[str] | None = None

    @model_validator(mode="after")
    def _email_rules(self) -> AddNote:
        email_fields = ("subject", "email_from", "email_to", "email_cc")
        if self.note_type == "EMAIL":
            missing = [f for f in ("subject", "email_from", "email_to") if not getattr(self, f)]
            if missing:
                raise ValueError(f"EMAIL notes need {', '.join(missing)}")
            if self.email_cc is None:
                self.email_cc = []
        else:
            present = [f for f in email_fields if getattr(self, f) is not None]
            if present:
                raise ValueError(f"{', '.join(present)} only belong on EMAIL notes")
        return self

    @classmethod
    def email(
        cls,
        *,
        candidate_id: int,
        subject: str,
        body: str,
        email_from: str,
        email_to: list[str],
        email_cc: list[str] | None = None,
        application_id: int | None = None,
        visibility: Literal["public", "private", "admin_only"] = "public",
    ) -> AddNote:
        """Log an email that was sent outside Greenhouse (this sends nothing)."""
        return cls(
            candidate_id=candidate_id,
            application_id=application_id,
            body=body,
            note_type="EMAIL",
            visibility=visibility,
            subject=subject,
            email_from=[email_from],
            email_to=email_to,
            email_cc=email_cc or [],
        )


class MoveApplication(WriteInput):
    """`POST /v3/applications/{id}/move`. `from_stage_id` is a compare-and-swap guard (the current stage).

    Neither `to_stage_id` nor `to_job_id` = advance to the next stage; `to_job_id` = transfer.
    """

    from_stage_id: int
    to_stage_id: int | None = None
    to_job_id: int | None = None
    email_from_user_id: int | None = None

    @model_validator(mode="after")
    def _one_target(self) -> MoveApplication:
        if self.to_stage_id is not None and self.to_job_id is not None:
            raise ValueError("give to_stage_id (same job) or to_job_id (transfer), not both")
        return self


class RejectionEmail(WriteInput):
    email_template_id: int
    email_from_user_id: int | None = None
    send_email_at: AwareDatetime | None = None


class RejectApplication(WriteInput):
    """`POST /v3/applications/{id}/reject`; omit `rejection_email` for a silent rejection."""

    rejection_reason_id: int
    notes: str | None = None
    rejection_email: RejectionEmail | None = None


class InterviewerInput(WriteInput):
    user_id: int
    response_status: Literal["needs_action", "accepted", "tentative", "declined"] = "needs_action"


class CreateInterview(WriteInput):
    """`POST /v3/interviews`: records an event already on the calendar (`external_event_id` required)."""

    application_id: int
    job_interview_id: int
    interviewers: list[InterviewerInput] = Field(min_length=1)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    external_event_id: str = Field(min_length=1)
    location: str | None = None
    video_conferencing_url: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> CreateInterview:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class UpdateInterview(WriteInput):
    """`PATCH /v3/interviews/{id}`. `interviewers` REPLACES the panel (send kept RSVPs back)."""

    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    interviewers: list[InterviewerInput] | None = Field(default=None, min_length=1)
    location: str | None = None
    video_conferencing_url: str | None = None

    def json_body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)

    @model_validator(mode="after")
    def _check(self) -> UpdateInterview:
        if not self.model_fields_set:
            raise ValueError("an update needs at least one field")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


# Fields `PATCH /v3/candidates/{id}/anonymize` erases (write_endpoints.json lists the first ten, then "...").
AnonymizeField = Literal[
    "full_name",
    "email_addresses",
    "phone_numbers",
    "addresses",
    "attachments",
    "notes",
    "education",
    "employment",
    "scorecards_and_interviews",
    "offers",
    "current_company",
    "current_title",
    "website_addresses",
    "social_media_addresses",
    "tags",
    "candidate_custom_fields",
    "application_questions",
]


class AnonymizeCandidate(WriteInput):
    """`PATCH /v3/candidates/{id}/anonymize`: the listed fields are erased for good."""

    fields: list[AnonymizeField] = Field(min_length=1)


class ConvertProspect(WriteInput):
    """`POST /v3/applications/{id}/convert_to_candidate`: the prospect becomes a candidate on `job_id`."""

    job_id: int
    to_job_interview_stage_id: int | None = None


class AddEducation(WriteInput):
    """`POST /v3/candidate_educations`; school, degree and discipline are custom field option ids."""

    candidate_id: int
    school_name_custom_field_option_id: int | None = None
    degree_custom_field_option_id: int | None = None
    discipline_custom_field_option_id: int | None = None
    start_date: date | None = None
    end_date: date | None = None

    @model_validator(mode="after")
    def _something(self) -> AddEducation:
        if not (
            self.school_name_custom_field_option_id
            or self.degree_custom_field_option_id
            or self.discipline_custom_field_option_id
        ):
            raise ValueError("give at least one of school, degree or discipline")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


class AddEmployment(WriteInput):
    """`POST /v3/candidate_employments` (company, title and start date required)."""

    candidate_id: int
    company_name: str = Field(min_length=1, max_length=255)
    title: str = Field(min_length=1, max_length=255)
    start_date: date
    end_date: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AddEmployment:
        if self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


class CreateWebhook(WriteInput):
    """`POST /v3/webhooks`: one subscription per `event_action_type` (a v1 webhook `action` key)."""

    name: str = Field(min_length=1, max_length=255)
    url: str = Field(pattern=r"^https?://")
    event_action_type: str = Field(min_length=1)
    secret_key: str = Field(min_length=1)
