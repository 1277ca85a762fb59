"""Read and write the job-stage → assessment mappings, and turn one into the workflow's start input.

Reads and writes are small and synchronous (SQLAlchemy); async callers use the `a...` twins, which run
them in a thread, like `integrations/org_store.py`.
"""

from __future__ import annotations

import asyncio
import builtins
from datetime import timedelta
from typing import Literal

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.assessment_io import AssessmentPolicy, AssessmentRequest, DecisionRule
from models.assessment_store import AssessmentMappingSpec, AssessmentStageMapping, stage_key
from models.assessments import AssessmentTest, assessment_test_key

Source = Literal["stage", "mention", "partner", "cli"]


def rule_of(row: AssessmentStageMapping) -> DecisionRule:
    return DecisionRule.model_validate(
        {
            "threshold": row.threshold,
            "below": row.below,
            "rejection_reason_id": row.rejection_reason_id,
            "advance_to_stage_id": row.advance_to_stage_id,
            "dry_run": row.dry_run,
        }
    )


def policy_of(row: AssessmentStageMapping, base: AssessmentPolicy | None = None) -> AssessmentPolicy:
    """`base` (the settings' `assessment_policy`; default: the model's) with this mapping's overrides
    (deadline, reminders)."""
    overrides: dict[str, object] = {}
    if row.deadline_days is not None:
        overrides["deadline"] = timedelta(days=row.deadline_days)
    if row.reminder_hours is not None:
        overrides["reminders_before"] = [timedelta(hours=h) for h in row.reminder_hours]
    return AssessmentPolicy.model_validate({**(base or AssessmentPolicy()).model_dump(), **overrides})


def request_for(
    row: AssessmentStageMapping,
    application_id: int,
    *,
    source: Source,
    requested_by: int | None = None,
    base_policy: AssessmentPolicy | None = None,
) -> AssessmentRequest:
    """The AssessmentWorkflow's start input for one application under this mapping; its timing is
    `base_policy` (the settings' `assessment_policy`) with the mapping's overrides."""
    extra = {"field_map": dict(row.field_map)} if row.field_map else {}
    return AssessmentRequest.model_validate(
        {
            "application_id": application_id,
            "test_key": row.test_key,
            "provider": row.provider,
            "test_id": row.test_id,
            "test_name": row.test_name,
            "source": source,
            "policy": policy_of(row, base_policy),
            "rule": rule_of(row),
            "requested_by": requested_by,
            **extra,
        }
    )


def request_for_test(
    test: AssessmentTest,
    application_id: int,
    *,
    source: Source,
    test_key: str | None = None,
    requested_by: int | None = None,
    partner_callback_url: str | None = None,
    policy: AssessmentPolicy | None = None,
    expected_email_sha256: str | None = None,
) -> AssessmentRequest:
    """The start input for a test no mapping describes: the configured policy (`policy`, else the
    default) and the default rule, which only writes the result back (nothing advances or rejects
    without a mapping that says so).

    `test_key` defaults to a slug of the provider's test id (`assessment_test_key`).
    """
    return AssessmentRequest.model_validate(
        {
            "application_id": application_id,
            "test_key": test_key if test_key is not None else assessment_test_key(test.test_id),
            "provider": test.provider,
            "test_id": test.test_id,
            "test_name": test.name,
            "source": source,
            "requested_by": requested_by,
            "partner_callback_url": partner_callback_url,
            "policy": policy or AssessmentPolicy(),
            "expected_email_sha256": expected_email_sha256,
        }
    )


def distinct_tests(rows: list[AssessmentStageMapping]) -> list[AssessmentStageMapping]:
    """One mapping per test key (a test mapped to two stages of a job is one test), oldest first."""
    seen: dict[str, AssessmentStageMapping] = {}
    for row in sorted(rows, key=lambda r: r.id or 0):
        seen.setdefault(row.test_key, row)
    return list(seen.values())


class AssessmentMappings:
    """The mapping table: one test per job stage."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, spec: AssessmentMappingSpec) -> AssessmentStageMapping:
        """Map a job stage to a test; mapping the same stage again replaces its test and rule."""
        key = stage_key(spec.job_interview_stage_id, spec.stage_name)
        rule = spec.rule
        values = {
            "job_interview_stage_id": spec.job_interview_stage_id,
            "stage_name": " ".join(spec.stage_name.split()) if spec.stage_name else None,
            "test_key": spec.test_key,
            "provider": spec.provider,
            "test_id": spec.test_id,
            "test_name": spec.test_name,
            "threshold": rule.threshold,
            "below": rule.below,
            "rejection_reason_id": rule.rejection_reason_id,
            "advance_to_stage_id": rule.advance_to_stage_id,
            "dry_run": rule.dry_run,
            "deadline_days": spec.deadline_days,
            "reminder_hours": list(spec.reminder_hours) if spec.reminder_hours is not None else None,
            "field_map": dict(spec.field_map) if spec.field_map is not None else None,
        }
        with Session(self.engine) as session:
            row = session.exec(
                select(AssessmentStageMapping).where(
                    AssessmentStageMapping.job_id == spec.job_id, AssessmentStageMapping.stage_key == key
                )
            ).first()
            if row is None:
                row = AssessmentStageMapping.model_validate(
                    {"job_id": spec.job_id, "stage_key": key, **values}
                )
            else:
                for name, value in values.items():
                    setattr(row, name, value)
            session.add(row)
            session.commit()
            session.refresh(row)
            return row

    def remove(self, job_id: int, job_interview_stage_id: int | None, stage_name: str | None) -> bool:
        """Unmap a job stage; False when it was not mapped."""
        key = stage_key(job_interview_stage_id, stage_name)
        with Session(self.engine) as session:
            row = session.exec(
                select(AssessmentStageMapping).where(
                    AssessmentStageMapping.job_id == job_id, AssessmentStageMapping.stage_key == key
                )
            ).first()
            if row is None:
                return False
            session.delete(row)
            session.commit()
            return True

    def list(self, job_id: int | None = None) -> list[AssessmentStageMapping]:
        with Session(self.engine) as session:
            query = select(AssessmentStageMapping)
            if job_id is not None:
                query = query.where(AssessmentStageMapping.job_id == job_id)
            order = (col(AssessmentStageMapping.job_id), col(AssessmentStageMapping.stage_key))
            return list(session.exec(query.order_by(*order)).all())

    def find_for_stage(
        self, job_id: int | None, job_interview_stage_id: int, stage_name: str
    ) -> AssessmentStageMapping | None:
        """The mapping of the stage an application entered: by stage id first, then by the job and name."""
        with Session(self.engine) as session:
            query = select(AssessmentStageMapping).where(
                AssessmentStageMapping.stage_key == stage_key(job_interview_stage_id, None)
            )
            if job_id is not None:
                query = query.where(AssessmentStageMapping.job_id == job_id)
            row = session.exec(query).first()
            if row is None and job_id is not None and stage_name.strip():
                row = session.exec(
                    select(AssessmentStageMapping).where(
                        AssessmentStageMapping.job_id == job_id,
                        AssessmentStageMapping.stage_key == stage_key(None, stage_name),
                    )
                ).first()
            return row

    def find_test(self, job_id: int, test_key: str) -> AssessmentStageMapping | None:
        """A test mapped anywhere in this job, by its key (`hireflow assess --test`)."""
        with Session(self.engine) as session:
            query = select(AssessmentStageMapping).where(
                AssessmentStageMapping.job_id == job_id, AssessmentStageMapping.test_key == test_key
            )
            return session.exec(query.order_by(col(AssessmentStageMapping.id))).first()

    async def aadd(self, spec: AssessmentMappingSpec) -> AssessmentStageMapping:
        return await asyncio.to_thread(self.add, spec)

    async def aremove(self, job_id: int, job_interview_stage_id: int | None, stage_name: str | None) -> bool:
        return await asyncio.to_thread(self.remove, job_id, job_interview_stage_id, stage_name)

    async def alist(self, job_id: int | None = None) -> builtins.list[AssessmentStageMapping]:
        return await asyncio.to_thread(self.list, job_id)

    async def afind_for_stage(
        self, job_id: int | None, job_interview_stage_id: int, stage_name: str
    ) -> AssessmentStageMapping | None:
        return await asyncio.to_thread(self.find_for_stage, job_id, job_interview_stage_id, stage_name)

    async def afind_test(self, job_id: int, test_key: str) -> AssessmentStageMapping | None:
        return await asyncio.to_thread(self.find_test, job_id, test_key)
