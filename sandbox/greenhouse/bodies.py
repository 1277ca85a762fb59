"""Request bodies of the Harvest v3 writes the sandbox implements (harvest-v3.md §5, write_endpoints.json).

Unknown keys are refused (`extra="forbid"`) so a client sending a v1 spelling or a read-side field learns it
at once; validation failures become Harvest's 422 `{"message", "errors": [{field: message}]}` body.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sandbox.greenhouse.errors import HarvestError, unprocessable
from sandbox.greenhouse.webhooks import EVENT_ACTION_TYPES

M = TypeVar("M", bound=BaseModel)

WriteVisibility = Literal["public", "private", "admin_only"]
READ_VISIBILITY = {
    "public": "publicly_visible",
    "private": "privately_visible",
    "admin_only": "admin_only_visible",
}
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
ResponseStatus = Literal["needs_action", "accepted", "declined", "tentative"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EmptyBody(Body):
    """`unreject` takes `{}` (or no body); any key is refused."""


class TypedValue(Body):
    value: str = Field(min_length=1)
    type: str


class EmailAddress(TypedValue):
    type: Literal["personal", "work", "other"]


class PhoneNumber(TypedValue):
    type: Literal["home", "work", "mobile", "skype", "other"]


class Address(TypedValue):
    type: Literal["home", "work", "other"]


class WebsiteAddress(TypedValue):
    type: Literal["personal", "company", "portfolio", "blog", "other"]


class SocialMediaAddress(Body):
    value: str = Field(min_length=1)


class CustomFieldValue(Body):
    custom_field_id: int | None = None
    name_key: str | None = None
    value: Any = None

    @model_validator(mode="after")
    def _one_key(self) -> CustomFieldValue:
        if (self.custom_field_id is None) == (self.name_key is None):
            raise ValueError("give exactly one of custom_field_id or name_key")
        return self


class ApplicationFields(Body):
    source_id: int | None = None
    referrer_id: int | None = None
    recruiter_id: int | None = None
    coordinator_id: int | None = None


class NestedApplication(ApplicationFields):
    """The single application that `POST /v3/candidates` may create (a job application or a prospect)."""

    job_id: int | None = None
    initial_stage_id: int | None = None
    prospect: bool = False
    job_ids: list[int] | None = None
    prospect_pool_id: int | None = None
    prospect_pool_stage_id: int | None = None
    prospect_owner_id: int | None = None

    @model_validator(mode="after")
    def _arm(self) -> NestedApplication:
        if self.prospect:
            if self.job_id is not None or self.initial_stage_id is not None:
                raise ValueError("a prospect application takes job_ids, not job_id/initial_stage_id")
        else:
            if self.job_id is None:
                raise ValueError("job_id is required unless prospect is true")
            if (
                self.job_ids is not None
                or self.prospect_pool_id is not None
                or self.prospect_owner_id is not None
            ):
                raise ValueError("job_ids and prospect_* fields are only valid with prospect: true")
        return self


class CreateApplication(NestedApplication):
    candidate_id: int


MAX_CUSTOM_FIELDS_PER_WRITE = 100


class UpdateApplication(ApplicationFields):
    """`PATCH /v3/applications/{id}` (write_endpoints.json): ownership, source and custom fields.

    `prospect_pool_id`, `rejected_at` and `created_at` are documented too but not served by the sandbox.
    """

    custom_fields: list[CustomFieldValue] | None = Field(default=None, max_length=MAX_CUSTOM_FIELDS_PER_WRITE)

    @model_validator(mode="after")
    def _something(self) -> UpdateApplication:
        if not self.model_fields_set:
            raise ValueError(
                "give at least one of source_id, referrer_id, recruiter_id, coordinator_id, custom_fields"
            )
        if "custom_fields" in self.model_fields_set and self.custom_fields is None:
            raise ValueError("custom_fields cannot be null; send a list")
        return self


class CandidateFields(Body):
    preferred_name: str | None = None
    company: str | None = None
    title: str | None = None
    is_private: bool | None = None
    can_email: bool | None = None
    email_addresses: list[EmailAddress] | None = None
    phone_numbers: list[PhoneNumber] | None = None
    addresses: list[Address] | None = None
    website_addresses: list[WebsiteAddress] | None = None
    social_media_addresses: list[SocialMediaAddress] | None = None
    tags: list[str] | None = None
    custom_fields: list[CustomFieldValue] | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> CandidateFields:
        """Omit a field to leave it alone; `null` is only meaningful for the nullable text fields."""
        nullable = {"preferred_name", "company", "title", "is_private"}
        nulls = sorted(f for f in self.model_fields_set - nullable if getattr(self, f) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null; omit the field or send a value")
        return self


class CreateCandidate(CandidateFields):
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    application: NestedApplication | None = None


class UpdateCandidate(CandidateFields):
    first_name: str | None = Field(default=None, min_length=1)
    last_name: str | None = Field(default=None, min_length=1)
    linked_user_ids: list[int] | None = None


class CreateAttachment(Body):
    application_id: int
    filename: str = Field(min_length=1, max_length=255)
    type: AttachmentType
    content: str | None = None
    url: str | None = None
    content_type: str | None = None
    visibility: WriteVisibility | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _v1_admin_only(cls, value: Any) -> Any:
        if value == "admin_only":
            raise ValueError("`admin_only` is a v1 type; send type `other` with visibility `admin_only`")
        return value

    @model_validator(mode="after")
    def _source(self) -> CreateAttachment:
        if (self.content is None) == (self.url is None):
            raise ValueError("give exactly one of content (base64) or url")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError("url must be an http(s) URL")
        return self


class Merge(Body):
    """`POST /v3/candidates/{id}/merge`: the path candidate is kept, `secondary_candidate_id` merged into it."""

    secondary_candidate_id: int


# What `PATCH /v3/candidates/{id}/anonymize` can erase (write_endpoints.json lists the first ten, then "...").
ANONYMIZE_FIELDS = (
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
)


class Anonymize(Body):
    fields: list[str] = Field(min_length=1)

    @field_validator("fields")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [f for f in value if f not in ANONYMIZE_FIELDS]
        if unknown:
            raise ValueError(
                f"`{unknown[0]}` is not an anonymizable field; use: {', '.join(ANONYMIZE_FIELDS)}"
            )
        return list(dict.fromkeys(value))


class ConvertToCandidate(Body):
    job_id: int
    to_job_interview_stage_id: int | None = None


class CreateEducation(Body):
    candidate_id: int
    school_name_custom_field_option_id: int | None = None
    degree_custom_field_option_id: int | None = None
    discipline_custom_field_option_id: int | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None

    @field_validator("start_date", "end_date", mode="before")
    @classmethod
    def _date_only(cls, value: Any) -> Any:
        """A plain `YYYY-MM-DD` is midnight UTC."""
        if isinstance(value, str) and len(value) == 10:
            return f"{value}T00:00:00Z"
        return value

    @model_validator(mode="after")
    def _something(self) -> CreateEducation:
        if not any(
            (
                self.school_name_custom_field_option_id,
                self.degree_custom_field_option_id,
                self.discipline_custom_field_option_id,
            )
        ):
            raise ValueError("give at least one of school_name, degree or discipline custom_field_option_id")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


class CreateEmployment(Body):
    candidate_id: int
    company_name: str = Field(min_length=1, max_length=255)
    title: str = Field(min_length=1, max_length=255)
    start_date: date
    end_date: date | None = None

    @field_validator("start_date", "end_date", mode="before")
    @classmethod
    def _date_part(cls, value: Any) -> Any:
        """Accept a timestamp too and keep its date (the read side has dates)."""
        if isinstance(value, str) and len(value) > 10 and value[10] == "T":
            return value[:10]
        return value

    @model_validator(mode="after")
    def _ordered(self) -> CreateEmployment:
        if self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


class CreateCandidateTag(Body):
    name: str = Field(min_length=1, max_length=255)


class ApplyCandidateTag(Body):
    candidate_id: int
    candidate_tag_id: int


class CreateWebhook(Body):
    name: str = Field(min_length=1, max_length=255)
    url: str
    event_action_type: str
    secret_key: str = Field(min_length=1)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("event_action_type")
    @classmethod
    def _action(cls, value: str) -> str:
        if value not in EVENT_ACTION_TYPES:
            raise ValueError(f"`{value}` is not one of: {', '.join(EVENT_ACTION_TYPES)}")
        return value


class UpdateWebhook(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    url: str | None = None
    secret_key: str | None = Field(default=None, min_length=1)
    deactivated: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> UpdateWebhook:
        if not self.model_fields_set:
            raise ValueError("give at least one of name, url, secret_key, deactivated")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError("url must be an http(s) URL")
        return self


class CreateNote(Body):
    candidate_id: int
    application_id: int | None = None
    body: str = Field(min_length=1)
    note_type: Literal["NOTE", "ACTIVITY", "EMAIL"] = "NOTE"
    visibility: str
    user_id: int | None = None
    subject: str | None = None
    email_from: list[str] | None = None
    email_to: list[str] | None = None
    email_cc: list[str] | None = None

    @field_validator("visibility")
    @classmethod
    def _visibility(cls, value: str) -> str:
        if value in READ_VISIBILITY.values():
            write = next(k for k, v in READ_VISIBILITY.items() if v == value)
            raise ValueError(f"`{value}` is the read-side spelling; write `{write}`")
        if value not in READ_VISIBILITY:
            raise ValueError("must be one of: public, private, admin_only")
        return value


class Move(Body):
    from_stage_id: int
    to_stage_id: int | None = None
    to_job_id: int | None = None
    email_from_user_id: int | None = None


class RejectionEmail(Body):
    email_template_id: int
    email_from_user_id: int | None = None
    send_email_at: datetime | None = None


class Reject(Body):
    rejection_reason_id: int
    notes: str | None = None
    rejection_email: RejectionEmail | None = None


class Hire(Body):
    opening_id: int | None = None
    start_date: datetime | None = None
    close_reason_id: int | None = None


class PanelMember(Body):
    user_id: int
    response_status: ResponseStatus = "needs_action"


class InterviewFields(Body):
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    interviewers: list[PanelMember] | None = None
    location: str | None = None
    video_conferencing_url: str | None = None

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class CreateInterview(InterviewFields):
    application_id: int
    job_interview_id: int
    starts_at: datetime
    ends_at: datetime
    interviewers: list[PanelMember] = Field(min_length=1)
    external_event_id: str = Field(min_length=1)


class UpdateInterview(InterviewFields):
    pass


def validation_error(exc: ValidationError) -> HarvestError:
    errors: list[str | dict[str, str]] = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "is not a permitted field"
        elif err["type"] == "missing":
            message = "is required"
        errors.append({loc: message})
    return unprocessable(*errors)


async def parse_body(request: Request, model: type[M], *, allow_empty: bool = False) -> M:
    raw = await request.body()
    if not raw.strip():
        if allow_empty:
            return model()
        raise unprocessable("Request body must be a JSON object")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise unprocessable("Request body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise unprocessable("Request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from exc
