"""Greenhouse recruiting-webhook payloads, as far as Hireflow reads them.

Shapes follow Greenhouse's webhook documentation (v1 shape, unchanged in the Harvest v3 era). Every
model ignores fields it does not name, so new or undocumented fields never break a delivery.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Envelope(_Tolerant):
    """Every delivery: `{"action": "...", "payload": {...}}`."""

    action: str = Field(min_length=1)
    payload: dict[str, Any] = Field(default_factory=dict)


class StageRef(_Tolerant):
    id: int
    name: str = ""


class JobRef(_Tolerant):
    id: int
    name: str | None = None


class CandidateRef(_Tolerant):
    id: int


class WebhookApplication(_Tolerant):
    """`payload.application` of application and candidate events (stage change, reject, hire, delete)."""

    id: int
    status: str | None = None
    prospect: bool = False
    current_stage: StageRef | None = None
    candidate: CandidateRef | None = None
    candidate_id: int | None = None
    jobs: list[JobRef] = Field(default_factory=list)
    job: JobRef | None = Field(default=None, description="Deprecated singular form; `jobs[]` wins.")
    job_id: int | None = None

    def first_job_id(self) -> int | None:
        if self.jobs:
            return self.jobs[0].id
        if self.job is not None:
            return self.job.id
        return self.job_id


class ApplicationPayload(_Tolerant):
    application: WebhookApplication


class DeletedPerson(_Tolerant):
    """`payload.person` of `delete_candidate`: the ids of the applications deleted with them."""

    id: int
    deleted_application_ids: list[int] = Field(default_factory=list)
    application_ids: list[int] = Field(default_factory=list)

    def all_application_ids(self) -> list[int]:
        return sorted(set(self.deleted_application_ids) | set(self.application_ids))


class PersonPayload(_Tolerant):
    person: DeletedPerson


class InterviewRef(_Tolerant):
    id: int
    application_id: int | None = None


class InterviewPayload(_Tolerant):
    """`interview_deleted`: documented as just `{"interview": {"id": ...}}`; an application may come along."""

    interview: InterviewRef
    application: CandidateRef | None = None

    def application_id(self) -> int | None:
        if self.interview.application_id is not None:
            return self.interview.application_id
        return self.application.id if self.application is not None else None
