"""What the mirror keeps of each Harvest resource: the list endpoint, the table, the typed key columns,
and the fields it leaves out (personal data no Hireflow process reads; docs/security.md lists them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models import mirror as m
from models.greenhouse import (
    Application,
    Candidate,
    CustomField,
    DefaultInterviewer,
    Department,
    HarvestObject,
    Interview,
    InterviewKit,
    Job,
    JobInterview,
    JobInterviewStage,
    Office,
    Source,
    User,
)

Columns = Callable[[dict[str, Any]], dict[str, Any]]


def normalise_email(value: str | None) -> str | None:
    """Trimmed and lower-cased, or None for an empty value (lookups compare these)."""
    if not value:
        return None
    cleaned = value.strip().lower()
    return cleaned or None


@dataclass(frozen=True)
class MirrorResource:
    """One mirrored collection."""

    name: str
    model: type[HarvestObject]
    table: type[m.MirrorRow]
    columns: Columns
    dropped: frozenset[str] = frozenset()

    @property
    def path(self) -> str:
        return f"/v3/{self.name}"

    def stored(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The object as kept in `data`: JSON-ready, without the fields the mirror does not keep."""
        return {k: v for k, v in raw.items() if k not in self.dropped}

    def row_values(self, data: dict[str, Any]) -> dict[str, Any]:
        """Typed columns parsed from the kept data (timestamps through the read model)."""
        parsed = self.model.model_validate(data)
        return {
            "created_at": parsed.created_at,
            "updated_at": parsed.updated_at,
            **self.columns(parsed.model_dump()),
        }


def is_whole(data: dict[str, Any]) -> bool:
    """Whether `data` came from a Harvest listing (every listed v3 object carries `created_at`; a row only a
    webhook has written does not, and lacks the fields a v1 payload does not tell)."""
    return "created_at" in data


def content_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _user(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": d.get("name"),
        "primary_email": normalise_email(d.get("primary_email")),
        "deactivated": bool(d.get("deactivated")),
        "site_admin": bool(d.get("site_admin")),
    }


def _application(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "candidate_id": d.get("candidate_id"),
        "job_id": d.get("job_id"),
        "status": d.get("status"),
        "prospect": bool(d.get("prospect")),
        "job_interview_stage_id": d.get("job_interview_stage_id"),
        "stage_name": d.get("stage_name"),
        "last_activity_at": d.get("last_activity_at"),
    }


def _interview(d: dict[str, Any]) -> dict[str, Any]:
    return {
        k: d.get(k)
        for k in ("application_id", "job_id", "job_interview_id", "status", "starts_at", "ends_at")
    } | {"external_event_id": d.get("external_event_id")}


RESOURCES: dict[str, MirrorResource] = {
    r.name: r
    for r in [
        MirrorResource(
            "offices",
            Office,
            m.MirrorOffice,
            lambda d: {"name": d.get("name"), "parent_id": d.get("parent_id")},
        ),
        MirrorResource(
            "departments",
            Department,
            m.MirrorDepartment,
            lambda d: {"name": d.get("name"), "parent_id": d.get("parent_id")},
        ),
        # Users' custom fields may hold HR data; nothing in Hireflow reads them.
        MirrorResource("users", User, m.MirrorUser, _user, frozenset({"custom_fields"})),
        MirrorResource("sources", Source, m.MirrorSource, lambda d: {"name": d.get("name")}),
        MirrorResource(
            "custom_fields",
            CustomField,
            m.MirrorCustomField,
            lambda d: {k: d.get(k) for k in ("field_type", "name_key", "active")},
        ),
        MirrorResource(
            "jobs",
            Job,
            m.MirrorJob,
            lambda d: {
                "name": d.get("name"),
                "status": d.get("status"),
                "department_id": d.get("department_id"),
                "confidential": bool(d.get("confidential")),
            },
        ),
        MirrorResource(
            "job_interview_stages",
            JobInterviewStage,
            m.MirrorJobStage,
            lambda d: {k: d.get(k) for k in ("job_id", "name", "sort_order", "active")},
        ),
        MirrorResource(
            "job_interviews",
            JobInterview,
            m.MirrorJobInterview,
            lambda d: {k: d.get(k) for k in ("job_id", "job_interview_stage_id", "sort_order", "active")},
        ),
        MirrorResource(
            "interview_kits",
            InterviewKit,
            m.MirrorInterviewKit,
            lambda d: {k: d.get(k) for k in ("job_id", "job_interview_id")},
        ),
        MirrorResource(
            "default_interviewers",
            DefaultInterviewer,
            m.MirrorDefaultInterviewer,
            lambda d: {k: d.get(k) for k in ("user_id", "interview_kit_id")},
        ),
        # Candidates: names, emails, phones, tags, can_email and time zone are what Hireflow uses (mail,
        # the duplicate check); postal addresses, websites, social profiles and custom fields stay in Greenhouse.
        MirrorResource(
            "candidates",
            Candidate,
            m.MirrorCandidate,
            lambda d: {
                "first_name": d.get("first_name"),
                "last_name": d.get("last_name"),
                "can_email": d.get("can_email", True) is not False,
                "private": d.get("private"),
            },
            frozenset({"addresses", "website_addresses", "social_media_addresses", "custom_fields"}),
        ),
        # Application answers and the applicant's location are the candidate's words; not kept.
        MirrorResource(
            "applications",
            Application,
            m.MirrorApplication,
            _application,
            frozenset({"answers", "location_address"}),
        ),
        MirrorResource("interviews", Interview, m.MirrorInterview, _interview),
    ]
}


def resource(name: str) -> MirrorResource:
    try:
        return RESOURCES[name]
    except KeyError:
        raise ValueError(f"unknown mirror resource {name!r}; one of {', '.join(RESOURCES)}") from None
