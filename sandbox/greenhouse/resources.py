"""The `/v3` collections the sandbox serves and their resource-specific filters (get_endpoints.json)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, String, cast, exists, literal, or_, select

from sandbox.greenhouse import tables as t
from sandbox.greenhouse.listing import Filter, Params, ResourceSpec, _int_list, like_any, parse_bool
from sandbox.greenhouse.schemas import load_schema
from sandbox.greenhouse.webhooks import EVENT_ACTION_TYPES


def enum_of(resource: str, field: str) -> tuple[str, ...]:
    values = load_schema(resource)["properties"][field].get("enum", [])
    return tuple(v for v in values if v is not None)


def ids(column: str) -> Filter:
    return Filter("ids", column)


def pipe_like(column: str) -> Filter:
    return Filter("any_of", column)


def enum(resource: str, column: str) -> Filter:
    return Filter("enum", column, enum_of(resource, column))


def custom(fn: Any) -> Filter:
    return Filter("custom", apply=fn)


def _candidate_email(stmt: Select[Any], raw: str) -> Select[Any]:
    return stmt.where(t.Candidate.ix_emails.like(f"%|{raw.strip().lower()}|%"))  # type: ignore[attr-defined]


def _candidate_tag(stmt: Select[Any], raw: str) -> Select[Any]:
    return stmt.where(t.Candidate.ix_tags.like(f"%|{raw}|%"))  # type: ignore[attr-defined]


def _candidate_private(stmt: Select[Any], raw: str) -> Select[Any]:
    # `private` defaults to true, i.e. private candidates are included; false leaves them out.
    if parse_bool("private", raw):
        return stmt
    return stmt.where(or_(t.Candidate.private.is_(None), t.Candidate.private.is_(False)))  # type: ignore[union-attr]


def _cf_option(table: Any) -> Filter:
    def apply(stmt: Select[Any], raw: str) -> Select[Any]:
        return stmt.where(like_any(table.ix_cf_options, _int_list("custom_field_option_id", raw)))

    return custom(apply)


def _employee_ids(stmt: Select[Any], raw: str) -> Select[Any]:
    return stmt.where(t.User.employee_id.in_([p.strip() for p in raw.split(",") if p.strip()]))  # type: ignore[union-attr]


def _external(table: Any, index_column: Any) -> Filter:
    """`external_office_id` / `external_department_id` on users: match through the office/department row."""

    def apply(stmt: Select[Any], raw: str) -> Select[Any]:
        pattern = literal("%|").concat(cast(table.id, String)).concat(literal("|%"))
        return stmt.where(
            exists(select(table.id).where(table.external_id == raw, index_column.like(pattern)))
        )

    return custom(apply)


def _users_default(stmt: Select[Any], params: Params) -> Select[Any]:
    if params.get("show_service_accounts") != "true":
        stmt = stmt.where(t.User.is_service_account.is_(False))  # type: ignore[attr-defined]
    return stmt


def _rejection_reasons_default(stmt: Select[Any], params: Params) -> Select[Any]:
    if params.get("include_defaults") != "true":
        stmt = stmt.where(t.RejectionReason.is_default.is_(False))  # type: ignore[attr-defined]
    return stmt


def _validated_bool(name: str) -> Filter:
    """A boolean consumed by `defaults` (e.g. show_service_accounts); validated here."""

    def apply(stmt: Select[Any], raw: str) -> Select[Any]:
        parse_bool(name, raw)
        return stmt

    return custom(apply)


SPECS: dict[str, ResourceSpec] = {
    spec.name: spec
    for spec in [
        ResourceSpec(
            "candidates",
            t.Candidate,
            {
                "last_activity_at": Filter("time", "last_activity_at"),
                "custom_field_option_id": _cf_option(t.Candidate),
                "private": custom(_candidate_private),
                "email": custom(_candidate_email),
                "tag": custom(_candidate_tag),
            },
        ),
        ResourceSpec(
            "applications",
            t.Application,
            {
                "candidate_ids": ids("candidate_id"),
                "job_ids": ids("job_id"),
                "prospective_job_ids": pipe_like("ix_prospective_job_ids"),
                "job_post_ids": ids("job_post_id"),
                "source_ids": ids("source_id"),
                "referrer_ids": ids("referrer_id"),
                "stage_ids": ids("stage_id"),
                "job_interview_stage_ids": ids("job_interview_stage_id"),
                "status": Filter(
                    "enum", "status", ("active", "rejected", "hired", "converted"), {"active": "in_process"}
                ),
                "stage_name": Filter("str", "stage_name"),
                "custom_field_option_id": _cf_option(t.Application),
                "last_activity_at": Filter("time", "last_activity_at"),
                "prospect": Filter("bool", "prospect"),
            },
        ),
        ResourceSpec(
            "application_stages",
            t.ApplicationStage,
            {
                "application_ids": ids("application_id"),
                "job_interview_stage_ids": ids("job_interview_stage_id"),
                "current": Filter("bool", "current"),
            },
        ),
        ResourceSpec(
            "jobs",
            t.Job,
            {
                "opened_at": Filter("time", "opened_at"),
                "closed_at": Filter("time", "closed_at"),
                "requisition_id": Filter("str", "requisition_id"),
                "department_id": Filter("int", "department_id"),
                "office_id": Filter(
                    "custom",
                    apply=lambda s, raw: s.where(
                        like_any(t.Job.ix_office_ids, [_int_list("office_id", raw)[0]] if raw else [])
                    ),
                ),
                "custom_field_option_id": _cf_option(t.Job),
                "confidential": Filter("bool", "confidential"),
                "status": enum("jobs", "status"),
            },
        ),
        ResourceSpec(
            "job_interview_stages",
            t.JobInterviewStage,
            {
                "job_ids": ids("job_id"),
                "active": Filter("bool", "active"),
            },
        ),
        ResourceSpec(
            "job_interviews",
            t.JobInterview,
            {
                "job_interview_stage_ids": ids("job_interview_stage_id"),
                "job_ids": ids("job_id"),
                "active": Filter("bool", "active"),
                "scheduling_type": enum("job_interviews", "scheduling_type"),
            },
        ),
        ResourceSpec(
            "interview_kits",
            t.InterviewKit,
            {
                "job_ids": ids("job_id"),
                "job_interview_ids": ids("job_interview_id"),
            },
        ),
        ResourceSpec(
            "default_interviewers",
            t.DefaultInterviewer,
            {
                "user_ids": ids("user_id"),
                "interview_kit_ids": ids("interview_kit_id"),
            },
        ),
        ResourceSpec(
            "interviews",
            t.Interview,
            {
                "job_ids": ids("job_id"),
                "application_ids": ids("application_id"),
                "job_interview_ids": ids("job_interview_id"),
                "organizer_ids": ids("organizer_id"),
                "starts_at": Filter("time", "starts_at"),
                "ends_at": Filter("time", "ends_at"),
                "all_day_start_on": Filter("date", "all_day_start_on"),
                "all_day_end_on": Filter("date", "all_day_end_on"),
                "external_event_id": Filter("str", "external_event_id"),
                "status": enum("interviews", "status"),
            },
        ),
        ResourceSpec(
            "interviewers",
            t.Interviewer,
            {
                "interview_ids": ids("interview_id"),
                "user_ids": ids("user_id"),
                "scorecard_ids": ids("scorecard_id"),
                "response_status": Filter(
                    "enum", "response_status", ("needs_action", "declined", "tentative", "accepted")
                ),
            },
        ),
        ResourceSpec(
            "users",
            t.User,
            {
                "agency_ids": ids("agency_id"),
                "office_ids": pipe_like("ix_office_ids"),
                "department_ids": pipe_like("ix_department_ids"),
                "linked_candidate_ids": pipe_like("ix_linked_candidate_ids"),
                "interviewer_tag_ids": pipe_like("ix_tag_ids"),
                "employee_ids": custom(_employee_ids),
                "custom_field_option_id": _cf_option(t.User),
                "deactivated": Filter("bool", "deactivated"),
                "primary_email": Filter("istr", "primary_email"),
                "external_office_id": _external(t.Office, t.User.ix_office_ids),
                "external_department_id": _external(t.Department, t.User.ix_department_ids),
                "show_service_accounts": _validated_bool("show_service_accounts"),
            },
            defaults=_users_default,
        ),
        ResourceSpec(
            "offices",
            t.Office,
            {
                "parent_id": Filter("int", "parent_id"),
                "external_id": Filter("str", "external_id"),
            },
        ),
        ResourceSpec(
            "departments",
            t.Department,
            {
                "parent_id": Filter("int", "parent_id"),
                "external_id": Filter("str", "external_id"),
            },
        ),
        ResourceSpec(
            "notes",
            t.Note,
            {
                "candidate_ids": ids("candidate_id"),
                "user_ids": ids("user_id"),
                "application_ids": ids("application_id"),
                "type": enum("notes", "type"),
                "visibility": enum("notes", "visibility"),
            },
        ),
        ResourceSpec(
            "scorecards",
            t.Scorecard,
            {
                "interview_kit_ids": ids("interview_kit_id"),
                "submitter_ids": ids("submitter_id"),
                "application_ids": ids("application_id"),
                "interviewer_ids": ids("interviewer_id"),
                "interviewed_at": Filter("time", "interviewed_at"),
                "submitted_at": Filter("time", "submitted_at"),
                "status": enum("scorecards", "status"),
            },
        ),
        ResourceSpec(
            "offers",
            t.Offer,
            {
                "application_ids": ids("application_id"),
                "job_ids": ids("job_id"),
                "candidate_ids": ids("candidate_id"),
                "opening_ids": ids("opening_id"),
                "current_only": custom(
                    lambda s, raw: (
                        s.where(t.Offer.is_current.is_(True))  # type: ignore[attr-defined]
                        if parse_bool("current_only", raw)
                        else s
                    )
                ),
                "custom_field_option_id": _cf_option(t.Offer),
                "status": enum("offers", "status"),
                "resolved_at": Filter("time", "resolved_at"),
                "sent_on": Filter("date", "sent_on"),
                "starts_on": Filter("date", "starts_on"),
            },
        ),
        ResourceSpec("sources", t.Source, {}),
        ResourceSpec(
            "job_posts",
            t.JobPost,
            {
                "job_ids": ids("job_id"),
                "job_board_ids": ids("job_board_id"),
                "active": Filter("bool", "active"),
                "featured": Filter("bool", "featured"),
                "live": Filter("bool", "live"),
                "internal": Filter("bool", "internal"),
            },
        ),
        ResourceSpec(
            "custom_fields",
            t.CustomField,
            {
                "field_type": enum("custom_fields", "field_type"),
                "active": Filter("bool", "active"),
                "name": Filter("str", "name"),
                "name_key": Filter("str", "name_key"),
            },
        ),
        ResourceSpec(
            "email_templates",
            t.EmailTemplate,
            {
                "email_type": enum("email_templates", "email_type"),
                "from_type": enum("email_templates", "from_type"),
            },
        ),
        ResourceSpec(
            "attachments",
            t.Attachment,
            {
                "application_ids": ids("application_id"),
                "candidate_ids": ids("candidate_id"),
                "type": enum("attachments", "type"),
            },
        ),
        ResourceSpec(
            "user_job_permissions",
            t.UserJobPermission,
            {
                "job_ids": ids("job_id"),
                "user_ids": ids("user_id"),
                "role_ids": ids("role_id"),
            },
        ),
        ResourceSpec("user_roles", t.UserRole, {}),
        ResourceSpec(
            "rejection_reasons",
            t.RejectionReason,
            {
                "include_defaults": _validated_bool("include_defaults"),
            },
            defaults=_rejection_reasons_default,
        ),
        ResourceSpec(
            "custom_field_options",
            t.CustomFieldOption,
            {
                "custom_field_ids": ids("custom_field_id"),
                "active": Filter("bool", "active"),
            },
        ),
        ResourceSpec(
            "candidate_educations",
            t.CandidateEducation,
            {
                "candidate_ids": ids("candidate_id"),
                "start_at": Filter("time", "start_at"),
                "end_at": Filter("time", "end_at"),
                "latest": Filter("bool", "latest"),
            },
        ),
        ResourceSpec(
            "candidate_employments",
            t.CandidateEmployment,
            {
                "candidate_ids": ids("candidate_id"),
                "latest": Filter("bool", "latest"),
            },
        ),
        ResourceSpec("candidate_tags", t.CandidateTag, {}),
        ResourceSpec(
            "applied_candidate_tags",
            t.AppliedCandidateTag,
            {
                "candidate_tag_ids": ids("candidate_tag_id"),
                "candidate_ids": ids("candidate_id"),
            },
        ),
        ResourceSpec("referrers", t.Referrer, {"user_ids": ids("user_id")}),
        ResourceSpec(
            "prospect_pools",
            t.ProspectPool,
            {
                "department_ids": pipe_like("ix_department_ids"),
                "office_ids": pipe_like("ix_office_ids"),
                "job_ids": pipe_like("ix_job_ids"),
                "active": Filter("bool", "active"),
            },
        ),
        ResourceSpec(
            "prospect_pool_stages",
            t.ProspectPoolStage,
            {"prospect_pool_ids": ids("prospect_pool_id")},
        ),
        ResourceSpec(
            "prospect_details",
            t.ProspectDetail,
            {
                "application_ids": ids("application_id"),
                "pool_ids": ids("pool_id"),
                "pool_stage_ids": ids("pool_stage_id"),
                "prospect_owner_ids": ids("prospect_owner_id"),
                "department_ids": ids("department_id"),
                "office_ids": ids("office_id"),
            },
        ),
        ResourceSpec(
            "webhooks",
            t.WebhookSubscription,
            {
                "last_delivered": Filter("time", "last_delivered"),
                "event_action_type": Filter("enum", "event_action_type", EVENT_ACTION_TYPES),
                "deactivated": Filter("bool", "deactivated"),
            },
        ),
        ResourceSpec(
            "rejection_details",
            t.RejectionDetail,
            {
                "application_ids": ids("application_id"),
                "rejection_reason_ids": ids("rejection_reason_id"),
                "custom_field_option_id": _cf_option(t.RejectionDetail),
            },
        ),
    ]
}
