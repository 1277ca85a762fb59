"""Harvest v3 writes (harvest-v3.md §5): creates answer 201 + object, PATCH 200 + object, lifecycle verbs 204.

Each write runs as one locked transaction; webhook payloads are built inside it and sent after it commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import delete, select
from sqlmodel import Session, col

from sandbox.greenhouse import tables as t
from sandbox.greenhouse.bodies import (
    READ_VISIBILITY,
    CandidateFields,
    ConvertToCandidate,
    CreateApplication,
    CreateCandidate,
    CreateInterview,
    CreateNote,
    EmptyBody,
    Hire,
    Move,
    NestedApplication,
    PanelMember,
    Reject,
    UpdateApplication,
    UpdateCandidate,
    UpdateInterview,
    parse_body,
)
from sandbox.greenhouse.custom_fields import merge_custom_fields
from sandbox.greenhouse.db import Store
from sandbox.greenhouse.errors import HarvestError, field_error, not_found, unprocessable
from sandbox.greenhouse.listing import serialize
from sandbox.greenhouse.reads import authorize
from sandbox.greenhouse.state import get_state
from sandbox.greenhouse.tables import pipe_index
from sandbox.greenhouse.tags import set_candidate_tags
from sandbox.greenhouse.webhooks import application_payload, candidate_payload, interview_deleted_payload

router = APIRouter(prefix="/v3")
R = TypeVar("R", bound=t.SandboxBase)
DELETABLE_INTERVIEW_STATUSES = ("scheduled", "awaiting_feedback")


@dataclass
class Outcome:
    """What a write returns to the route: the response object (if any) and webhooks to send after commit."""

    item: dict[str, Any] | None = None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def now() -> datetime:
    """UTC now at millisecond precision, the precision Harvest timestamps carry."""
    current = datetime.now(UTC)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def _get(session: Session, table: type[R], row_id: int) -> R:
    row = session.get(table, row_id)
    if row is None:
        raise not_found()
    return row


def _exists(session: Session, table: type[t.SandboxBase], row_id: int | None, name: str) -> None:
    if row_id is not None and session.get(table, row_id) is None:
        raise field_error(name, f"`{row_id}` does not exist")


def _active_user(session: Session, user_id: int | None, name: str) -> None:
    if user_id is None:
        return
    user = session.get(t.User, user_id)
    if user is None or user.deactivated:
        raise field_error(name, f"`{user_id}` is not an active user")


async def _run(request: Request, fn: Callable[[Session, Store], Outcome], status: int) -> Response:
    state = get_state(request)
    outcome = await state.store.arun(lambda session: fn(session, state.store))
    for action, payload in outcome.events:
        state.webhooks.emit(action, payload)
    if status == 204:
        return Response(status_code=204)
    return JSONResponse(outcome.item, status_code=status)


# --- candidates ----------------------------------------------------------------------------------------------


def _custom_fields(session: Session, values: list[Any], field_type: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for entry in values:
        stmt = select(t.CustomField).where(t.CustomField.field_type == field_type)  # type: ignore[arg-type]
        if entry.custom_field_id is not None:
            stmt = stmt.where(t.CustomField.id == entry.custom_field_id)
        else:
            stmt = stmt.where(t.CustomField.name_key == entry.name_key)
        cf = session.execute(stmt).scalars().first()
        if cf is None:
            key = entry.custom_field_id if entry.custom_field_id is not None else entry.name_key
            raise field_error("custom_fields", f"`{key}` is not a {field_type} custom field")
        result[cf.name_key] = {"name": cf.name, "type": cf.value_type, "value": entry.value}
    return result


def _apply_candidate_fields(session: Session, cand: t.Candidate, body: CandidateFields) -> None:
    sent = body.model_fields_set
    for name in ("preferred_name", "company", "title", "can_email"):
        if name in sent:
            setattr(cand, name, getattr(body, name))
    if "is_private" in sent:
        cand.private = body.is_private
    for name in (
        "email_addresses",
        "phone_numbers",
        "addresses",
        "website_addresses",
        "social_media_addresses",
    ):
        if name in sent:  # collections replace the whole list (§5.2)
            setattr(cand, name, [item.model_dump() for item in getattr(body, name) or []])
    if "custom_fields" in sent:
        cand.custom_fields = _custom_fields(session, body.custom_fields or [], "candidate")
    cand.ix_emails = pipe_index([e["value"].lower() for e in cand.email_addresses])
    cand.ix_tags = pipe_index(cand.tags)


def _new_application(
    session: Session, store: Store, candidate: t.Candidate, body: NestedApplication, when: datetime
) -> t.Application:
    for name in ("recruiter_id", "coordinator_id", "referrer_id", "prospect_owner_id"):
        _active_user(session, getattr(body, name, None), name)
    _exists(session, t.Source, body.source_id, "source_id")
    app_id = store.next_id(session, t.Application)
    app = t.Application(
        id=app_id,
        created_at=when,
        updated_at=when,
        candidate_id=candidate.id,
        source_id=body.source_id,
        referrer_id=body.referrer_id,
        recruiter_id=body.recruiter_id,
        coordinator_id=body.coordinator_id,
        last_activity_at=when,
        answers=None,
        custom_fields={},
        prospective_job_ids=[],
    )
    if body.prospect:
        for job_id in body.job_ids or []:
            _exists(session, t.Job, job_id, "job_ids")
        app.prospect = True
        app.prospective_job_ids = list(body.job_ids or [])
        app.ix_prospective_job_ids = pipe_index(app.prospective_job_ids)
        session.add(app)
        add_prospect_detail(session, store, app, body, when)
    else:
        assert body.job_id is not None
        job = session.get(t.Job, body.job_id)
        if job is None:
            raise field_error("job_id", f"`{body.job_id}` does not exist")
        if job.status != "open":
            raise field_error("job_id", f"job `{job.id}` is {job.status}, not open")
        duplicate = (
            session.execute(
                select(col(t.Application.id)).where(
                    col(t.Application.candidate_id) == candidate.id,
                    col(t.Application.job_id) == job.id,
                    col(t.Application.status) == "in_process",
                )
            )
            .scalars()
            .first()
        )
        if duplicate is not None:
            raise field_error(
                "job_id",
                f"candidate `{candidate.id}` already has active application `{duplicate}` for job `{job.id}`",
            )
        stages = _stages(session, job.id)
        stage = stages[0]
        if body.initial_stage_id is not None:
            match = [s for s in stages if s.id == body.initial_stage_id]
            if not match:
                raise field_error(
                    "initial_stage_id", f"`{body.initial_stage_id}` is not a stage of job `{job.id}`"
                )
            stage = match[0]
        post = (
            session.execute(select(col(t.JobPost.id)).where(col(t.JobPost.job_id) == job.id))
            .scalars()
            .first()
        )
        app.job_id = job.id
        app.job_post_id = post
        session.add(app)
        _enter_stage(session, store, app, stage, when)
    candidate.last_activity_at = when
    candidate.updated_at = when
    return app


@router.post("/candidates", status_code=201)
async def create_candidate(request: Request) -> Response:
    authorize(request, "harvest:candidates:create", read=False)
    body = await parse_body(request, CreateCandidate)
    if body.application is not None:
        authorize(request, "harvest:applications:create", read=False)

    def run(session: Session, store: Store) -> Outcome:
        when = now()
        cand = t.Candidate(
            id=store.next_id(session, t.Candidate),
            created_at=when,
            updated_at=when,
            first_name=body.first_name,
            last_name=body.last_name,
            last_activity_at=when,
            private=False,
            can_email=True,
            tags=[],
            linked_user_ids=[],
            phone_numbers=[],
            addresses=[],
            email_addresses=[],
            website_addresses=[],
            social_media_addresses=[],
            custom_fields={},
        )
        _apply_candidate_fields(session, cand, body)
        session.add(cand)
        session.flush()
        set_candidate_tags(session, store, cand, body.tags or [], when)
        events = []
        if body.application is not None:
            app = _new_application(session, store, cand, body.application, when)
            session.flush()
            events.append(new_application_event(session, app))
        session.flush()
        return Outcome(serialize("candidates", cand), events)

    return await _run(request, run, 201)


@router.patch("/candidates/{candidate_id}")
async def update_candidate(candidate_id: int, request: Request) -> Response:
    authorize(request, "harvest:candidates:update", read=False)
    body = await parse_body(request, UpdateCandidate)

    def run(session: Session, store: Store) -> Outcome:
        cand = _get(session, t.Candidate, candidate_id)
        if "first_name" in body.model_fields_set and body.first_name:
            cand.first_name = body.first_name
        if "last_name" in body.model_fields_set and body.last_name:
            cand.last_name = body.last_name
        if "linked_user_ids" in body.model_fields_set:
            for uid in body.linked_user_ids or []:
                _exists(session, t.User, uid, "linked_user_ids")
            cand.linked_user_ids = list(body.linked_user_ids or [])
        _apply_candidate_fields(session, cand, body)
        when = now()
        if "tags" in body.model_fields_set:
            set_candidate_tags(session, store, cand, body.tags or [], when)
        cand.updated_at = when
        session.add(cand)
        session.flush()
        return Outcome(
            serialize("candidates", cand), [("update_candidate", candidate_payload(session, cand.id))]
        )

    return await _run(request, run, 200)


def new_application_event(session: Session, app: t.Application) -> tuple[str, dict[str, Any]]:
    action = "new_prospect_application" if app.prospect else "new_candidate_application"
    return action, application_payload(session, app.id)


def add_prospect_detail(
    session: Session, store: Store, app: t.Application, body: NestedApplication, when: datetime
) -> None:
    """A prospect application's pool, pool stage and owner (`/v3/prospect_details`)."""
    pool = None
    if body.prospect_pool_id is not None:
        pool = session.get(t.ProspectPool, body.prospect_pool_id)
        if pool is None or not pool.active:
            raise field_error("prospect_pool_id", f"`{body.prospect_pool_id}` is not an active prospect pool")
    stage_id = body.prospect_pool_stage_id
    if stage_id is not None:
        stage = session.get(t.ProspectPoolStage, stage_id)
        if pool is None:
            raise field_error("prospect_pool_stage_id", "needs prospect_pool_id")
        if stage is None or stage.prospect_pool_id != pool.id:
            raise field_error("prospect_pool_stage_id", f"`{stage_id}` is not a stage of pool `{pool.id}`")
    elif pool is not None:  # a pool without a stage starts at its first stage, as the UI does
        stage_id = (
            session.execute(
                select(col(t.ProspectPoolStage.id))
                .where(col(t.ProspectPoolStage.prospect_pool_id) == pool.id)
                .order_by(col(t.ProspectPoolStage.sort_order))
            )
            .scalars()
            .first()
        )
    session.add(
        t.ProspectDetail(
            id=store.next_id(session, t.ProspectDetail),
            created_at=when,
            updated_at=when,
            application_id=app.id,
            pool_id=pool.id if pool else None,
            pool_stage_id=stage_id,
            prospect_owner_id=body.prospect_owner_id,
        )
    )


# --- applications ----------------------------------------------------------------------------------------


def _stages(session: Session, job_id: int) -> list[t.JobInterviewStage]:
    stmt = (
        select(t.JobInterviewStage)
        .where(t.JobInterviewStage.job_id == job_id)  # type: ignore[arg-type]
        .where(t.JobInterviewStage.active.is_(True))  # type: ignore[attr-defined]
        .order_by(t.JobInterviewStage.sort_order)  # type: ignore[arg-type]
    )
    stages = list(session.execute(stmt).scalars())
    if not stages:
        raise unprocessable(f"Job {job_id} has no active interview stages")
    return stages


def _current_stage_row(session: Session, app_id: int) -> t.ApplicationStage | None:
    stmt = (
        select(t.ApplicationStage)
        .where(t.ApplicationStage.application_id == app_id)  # type: ignore[arg-type]
        .where(t.ApplicationStage.current.is_(True))  # type: ignore[attr-defined]
        .order_by(t.ApplicationStage.id.desc())  # type: ignore[attr-defined]
    )
    return session.execute(stmt).scalars().first()


def _enter_stage(
    session: Session, store: Store, app: t.Application, stage: t.JobInterviewStage, when: datetime
) -> None:
    """Close the current application_stages row and append one for `stage` (the stage-history fact table)."""
    previous = _current_stage_row(session, app.id)
    if previous is not None:
        previous.current = False
        previous.exited_at = when
        previous.updated_at = when
        previous.days_in_stage = max((when - (previous.entered_at or when)).days, 0)
        session.add(previous)
    row = t.ApplicationStage(
        id=store.next_id(session, t.ApplicationStage),
        created_at=when,
        updated_at=when,
        application_id=app.id,
        job_interview_stage_id=stage.id,
        entered_at=when,
        exited_at=None,
        days_in_stage=0,
        current=True,
    )
    session.add(row)
    app.stage_id = row.id
    app.stage_name = stage.name
    app.job_interview_stage_id = stage.id
    app.updated_at = when
    app.last_activity_at = when
    session.add(app)


def _touch_candidate(session: Session, candidate_id: int, when: datetime) -> None:
    cand = session.get(t.Candidate, candidate_id)
    if cand is not None:
        cand.last_activity_at = when
        cand.updated_at = when
        session.add(cand)


@router.post("/applications", status_code=201)
async def create_application(request: Request) -> Response:
    authorize(request, "harvest:applications:create", read=False)
    body = await parse_body(request, CreateApplication)

    def run(session: Session, store: Store) -> Outcome:
        cand = session.get(t.Candidate, body.candidate_id)
        if cand is None:
            raise field_error("candidate_id", f"`{body.candidate_id}` does not exist")
        app = _new_application(session, store, cand, body, now())
        session.add(cand)
        session.flush()
        return Outcome(serialize("applications", app), [new_application_event(session, app)])

    return await _run(request, run, 201)


def _active_application(session: Session, app_id: int) -> t.Application:
    app = _get(session, t.Application, app_id)
    if app.status != "in_process":
        raise unprocessable(f"Application {app_id} is {app.status}; only active applications can be changed")
    return app


@router.patch("/applications/{application_id}")
async def update_application(application_id: int, request: Request) -> Response:
    """200 + the application; fires `application_updated`. Custom fields merge by key (see custom_fields.py)."""
    authorize(request, "harvest:applications:update", read=False)
    body = await parse_body(request, UpdateApplication)

    def run(session: Session, store: Store) -> Outcome:
        app = _get(session, t.Application, application_id)
        sent = body.model_fields_set
        for name in ("recruiter_id", "coordinator_id", "referrer_id"):
            if name in sent:
                _active_user(session, getattr(body, name), name)
                setattr(app, name, getattr(body, name))
        if "source_id" in sent:
            _exists(session, t.Source, body.source_id, "source_id")
            app.source_id = body.source_id
        if "custom_fields" in sent:
            app.custom_fields = merge_custom_fields(
                session, app.custom_fields, body.custom_fields or [], "application"
            )
        when = now()
        app.updated_at = when
        app.last_activity_at = when
        session.add(app)
        _touch_candidate(session, app.candidate_id, when)
        session.flush()
        return Outcome(
            serialize("applications", app), [("application_updated", application_payload(session, app.id))]
        )

    return await _run(request, run, 200)


@router.post("/applications/{application_id}/move", status_code=204)
async def move_application(application_id: int, request: Request) -> Response:
    authorize(request, "harvest:applications:move", read=False)
    body = await parse_body(request, Move)

    def run(session: Session, store: Store) -> Outcome:
        app = _active_application(session, application_id)
        if app.prospect or app.job_id is None:
            raise unprocessable(
                f"Application {application_id} is a prospect without a job stage; convert it first"
            )
        _active_user(session, body.email_from_user_id, "email_from_user_id")
        # Compare-and-swap: either id spelling of the current stage is accepted (harvest-v3.md §8.3).
        if body.from_stage_id not in (app.job_interview_stage_id, app.stage_id):
            raise field_error(
                "from_stage_id", f"`{body.from_stage_id}` is not the application's current stage"
            )
        job_id = app.job_id
        if body.to_job_id is not None and body.to_job_id != app.job_id:
            job = session.get(t.Job, body.to_job_id)
            if job is None:
                raise field_error("to_job_id", f"`{body.to_job_id}` does not exist")
            if job.status != "open":
                raise field_error("to_job_id", f"job `{job.id}` is {job.status}, not open")
            job_id = job.id
        stages = _stages(session, job_id)
        if body.to_stage_id is not None:
            target = next((s for s in stages if s.id == body.to_stage_id), None)
            if target is None:
                raise field_error(
                    "to_stage_id", f"`{body.to_stage_id}` is not an active stage of job `{job_id}`"
                )
        elif job_id != app.job_id:
            target = stages[0]
        else:
            index = next((i for i, s in enumerate(stages) if s.id == app.job_interview_stage_id), None)
            if index is None or index + 1 >= len(stages):
                raise unprocessable(f"Application {application_id} is in the last stage and cannot advance")
            target = stages[index + 1]
        if target.id == app.job_interview_stage_id and job_id == app.job_id:
            raise field_error("to_stage_id", "the application is already in this stage")
        when = now()
        if job_id != app.job_id:
            app.job_id = job_id
            app.job_post_id = (
                session.execute(select(col(t.JobPost.id)).where(col(t.JobPost.job_id) == job_id))
                .scalars()
                .first()
            )
        _enter_stage(session, store, app, target, when)
        _touch_candidate(session, app.candidate_id, when)
        session.flush()
        return Outcome(events=[("candidate_stage_change", application_payload(session, app.id))])

    return await _run(request, run, 204)


@router.post("/applications/{application_id}/reject", status_code=204)
async def reject_application(application_id: int, request: Request) -> Response:
    principal = authorize(request, "harvest:applications:reject", read=False)
    body = await parse_body(request, Reject)

    def run(session: Session, store: Store) -> Outcome:
        app = _get(session, t.Application, application_id)
        if app.status == "rejected":
            raise unprocessable(f"Application {application_id} is already rejected")
        if app.status != "in_process":
            raise unprocessable(f"Application {application_id} is {app.status} and cannot be rejected")
        _exists(session, t.RejectionReason, body.rejection_reason_id, "rejection_reason_id")
        if body.rejection_email is not None:
            _exists(
                session,
                t.EmailTemplate,
                body.rejection_email.email_template_id,
                "rejection_email.email_template_id",
            )
            _active_user(
                session, body.rejection_email.email_from_user_id, "rejection_email.email_from_user_id"
            )
        when = now()
        note_id = None
        if body.notes:
            note_id = store.next_id(session, t.Note)
            session.add(
                t.Note(
                    id=note_id,
                    created_at=when,
                    updated_at=when,
                    candidate_id=app.candidate_id,
                    application_id=app.id,
                    body=body.notes,
                    body_with_tags=body.notes,
                    type="NOTE",
                    user_id=principal.user_id,
                    visibility="publicly_visible",
                )
            )
        session.execute(delete(t.RejectionDetail).where(t.RejectionDetail.application_id == app.id))  # type: ignore[arg-type]
        session.add(
            t.RejectionDetail(
                id=store.next_id(session, t.RejectionDetail),
                created_at=when,
                updated_at=when,
                application_id=app.id,
                rejected_by_id=principal.user_id,
                rejection_note_id=note_id,
                rejection_reason_id=body.rejection_reason_id,
                rejected_at=when,
                question_custom_fields={},
            )
        )
        app.status = "rejected"
        app.rejected_at = when
        app.stage_id = None
        app.stage_name = None
        app.job_interview_stage_id = None
        app.updated_at = when
        app.last_activity_at = when
        session.add(app)
        _touch_candidate(session, app.candidate_id, when)
        session.flush()
        return Outcome(events=[("reject_candidate", application_payload(session, app.id))])

    return await _run(request, run, 204)


@router.post("/applications/{application_id}/unreject", status_code=204)
async def unreject_application(application_id: int, request: Request) -> Response:
    authorize(request, "harvest:applications:unreject", read=False)
    await parse_body(request, EmptyBody, allow_empty=True)

    def run(session: Session, store: Store) -> Outcome:
        app = _get(session, t.Application, application_id)
        if app.status != "rejected":
            raise unprocessable(f"Application {application_id} is not rejected")
        when = now()
        row = _current_stage_row(session, app.id)
        stage = session.get(t.JobInterviewStage, row.job_interview_stage_id) if row else None
        app.status = "in_process"
        app.rejected_at = None
        app.stage_id = row.id if row else None
        app.stage_name = stage.name if stage else None
        app.job_interview_stage_id = stage.id if stage else None
        app.updated_at = when
        app.last_activity_at = when
        session.add(app)
        session.execute(delete(t.RejectionDetail).where(t.RejectionDetail.application_id == app.id))  # type: ignore[arg-type]
        _touch_candidate(session, app.candidate_id, when)
        session.flush()
        return Outcome(events=[("unreject_candidate", application_payload(session, app.id))])

    return await _run(request, run, 204)


@router.post("/applications/{application_id}/convert_to_candidate", status_code=201)
async def convert_to_candidate(application_id: int, request: Request) -> Response:
    """A prospect application becomes `converted`; a new candidate application on `job_id` is returned."""
    authorize(request, "harvest:applications:convert_to_candidate", read=False)
    body = await parse_body(request, ConvertToCandidate)

    def run(session: Session, store: Store) -> Outcome:
        prospect = _active_application(session, application_id)
        if not prospect.prospect:
            raise unprocessable(f"Application {application_id} is not a prospect application")
        cand = session.get(t.Candidate, prospect.candidate_id)
        assert cand is not None
        nested = NestedApplication(
            job_id=body.job_id,
            initial_stage_id=body.to_job_interview_stage_id,
            source_id=prospect.source_id,
            referrer_id=prospect.referrer_id,
            recruiter_id=prospect.recruiter_id,
            coordinator_id=prospect.coordinator_id,
        )
        when = now()
        try:
            app = _new_application(session, store, cand, nested, when)
        except HarvestError as exc:  # name the field the way this endpoint spells it
            raise _renamed(exc, "initial_stage_id", "to_job_interview_stage_id") from exc
        prospect.status = "converted"
        prospect.updated_at = when
        prospect.last_activity_at = when
        session.add(prospect)
        session.flush()
        return Outcome(
            serialize("applications", app),
            [
                ("application_updated", application_payload(session, prospect.id)),
                new_application_event(session, app),
            ],
        )

    return await _run(request, run, 201)


def _renamed(exc: HarvestError, old: str, new: str) -> HarvestError:
    errors = [
        {new if key == old else key: value for key, value in e.items()} if isinstance(e, dict) else e
        for e in exc.body.get("errors", [])
    ]
    return HarvestError(exc.status, {**exc.body, "errors": errors}, exc.headers)


@router.post("/applications/{application_id}/hire", status_code=204)
async def hire_application(application_id: int, request: Request) -> Response:
    authorize(request, "harvest:applications:hire", read=False)
    body = await parse_body(request, Hire, allow_empty=True)

    def run(session: Session, store: Store) -> Outcome:
        app = _active_application(session, application_id)
        if app.prospect:
            raise unprocessable(f"Application {application_id} is a prospect and cannot be hired")
        when = now()
        offer = (
            session.execute(
                select(t.Offer).where(t.Offer.application_id == app.id, t.Offer.is_current.is_(True))  # type: ignore[arg-type,attr-defined]
            )
            .scalars()
            .first()
        )
        if offer is not None:
            offer.status = "Accepted"
            offer.resolved_at = when
            offer.updated_at = when
            if body.opening_id is not None:
                offer.opening_id = body.opening_id
            if body.start_date is not None:
                offer.starts_on = body.start_date.date()
            session.add(offer)
        app.status = "hired"
        app.updated_at = when
        app.last_activity_at = when
        session.add(app)
        _touch_candidate(session, app.candidate_id, when)
        session.flush()
        return Outcome(events=[("hire_candidate", application_payload(session, app.id))])

    return await _run(request, run, 204)


# A user picked from the @ dropdown is stored tagged; `body` shows the plain name (notes.json schema).
MENTION_TAG = re.compile(r"@\[(?P<name>[^\]]+)\]\(user:\d+\)")


# --- notes and attachments ----------------------------------------------------------------------------------


@router.post("/notes", status_code=201)
async def create_note(request: Request) -> Response:
    principal = authorize(request, "harvest:notes:create", read=False)
    body = await parse_body(request, CreateNote)
    email_fields = ("subject", "email_from", "email_to", "email_cc")
    if body.note_type == "EMAIL":
        missing = [f for f in email_fields if f not in body.model_fields_set or getattr(body, f) is None]
        if missing:
            raise unprocessable(*({f: "is required for EMAIL notes"} for f in missing))
        if not body.email_from or not body.email_to:
            raise unprocessable(
                *(
                    {f: "must list at least one address"}
                    for f in ("email_from", "email_to")
                    if not getattr(body, f)
                )
            )
    else:
        present = [f for f in email_fields if f in body.model_fields_set]
        if present:
            raise unprocessable(
                *({f: f"is only allowed on EMAIL notes, not {body.note_type}"} for f in present)
            )

    def run(session: Session, store: Store) -> Outcome:
        cand = session.get(t.Candidate, body.candidate_id)
        if cand is None:
            raise field_error("candidate_id", f"`{body.candidate_id}` does not exist")
        if body.application_id is not None:
            app = session.get(t.Application, body.application_id)
            if app is None or app.candidate_id != cand.id:
                raise field_error(
                    "application_id",
                    f"`{body.application_id}` is not an application of candidate `{cand.id}`",
                )
        author = body.user_id if body.user_id is not None else principal.user_id
        _active_user(session, author, "user_id")
        when = now()
        note = t.Note(
            id=store.next_id(session, t.Note),
            created_at=when,
            updated_at=when,
            candidate_id=cand.id,
            application_id=body.application_id,
            body=MENTION_TAG.sub(r"@\g<name>", body.body),
            body_with_tags=body.body,
            type=body.note_type,
            user_id=author,
            visibility=READ_VISIBILITY[body.visibility],
        )
        if body.note_type == "EMAIL":
            note.subject = body.subject
            note.email_from = ", ".join(body.email_from or [])
            note.email_to = ", ".join(body.email_to or [])
            note.email_cc = list(body.email_cc or [])
            note.email_attachment_file_names = []
        session.add(note)
        if body.application_id is not None:
            app = session.get(t.Application, body.application_id)
            assert app is not None
            app.last_activity_at = when
            session.add(app)
        _touch_candidate(session, cand.id, when)
        session.flush()
        return Outcome(serialize("notes", note))

    return await _run(request, run, 201)


# --- interviews ----------------------------------------------------------------------------------------------


def _panel(
    session: Session, store: Store, interview: t.Interview, members: list[PanelMember], when: datetime
) -> None:
    """Replace the panel: interviewer rows plus a placeholder (draft) scorecard per interviewer."""
    old = list(
        session.execute(select(t.Interviewer).where(t.Interviewer.interview_id == interview.id)).scalars()  # type: ignore[arg-type]
    )
    scorecard_ids = [r.scorecard_id for r in old if r.scorecard_id is not None]
    if scorecard_ids:
        session.execute(
            delete(t.Scorecard).where(
                t.Scorecard.id.in_(scorecard_ids),  # type: ignore[attr-defined]
                t.Scorecard.status == "draft",  # type: ignore[arg-type]
            )
        )
    session.execute(delete(t.Interviewer).where(t.Interviewer.interview_id == interview.id))  # type: ignore[arg-type]
    kit_id = (
        session.execute(
            select(t.InterviewKit.id).where(  # type: ignore[call-overload]
                t.InterviewKit.job_interview_id == interview.job_interview_id
            )
        )
        .scalars()
        .first()
    )
    seen: set[int] = set()
    for member in members:
        if member.user_id in seen:
            raise field_error("interviewers", f"user `{member.user_id}` is listed twice")
        seen.add(member.user_id)
        user = session.get(t.User, member.user_id)
        if user is None or user.deactivated:
            raise field_error("interviewers", f"user `{member.user_id}` is not an active user")
        scorecard_id = None
        if kit_id is not None:
            scorecard_id = store.next_id(session, t.Scorecard)
            session.add(
                t.Scorecard(
                    id=scorecard_id,
                    created_at=when,
                    updated_at=when,
                    interview_kit_id=kit_id,
                    interviewer_id=user.id,
                    interviewed_at=interview.starts_at,
                    submitter_id=user.id,
                    status="draft",
                    application_id=interview.application_id,
                )
            )
        session.add(
            t.Interviewer(
                id=store.next_id(session, t.Interviewer),
                created_at=when,
                updated_at=when,
                interview_id=interview.id,
                user_id=user.id,
                scorecard_id=scorecard_id,
                email=user.primary_email or None,
                response_status=member.response_status,
            )
        )


def _check_times(starts: datetime | None, ends: datetime | None) -> None:
    if starts is not None and ends is not None and ends <= starts:
        raise field_error("ends_at", "must be after starts_at")


@router.post("/interviews", status_code=201)
async def create_interview(request: Request) -> Response:
    principal = authorize(request, "harvest:interviews:create", read=False)
    body = await parse_body(request, CreateInterview)
    _check_times(body.starts_at, body.ends_at)

    def run(session: Session, store: Store) -> Outcome:
        app = session.get(t.Application, body.application_id)
        if app is None:
            raise field_error("application_id", f"`{body.application_id}` does not exist")
        slot = session.get(t.JobInterview, body.job_interview_id)
        if slot is None or slot.job_id != app.job_id:
            raise field_error(
                "job_interview_id", f"`{body.job_interview_id}` is not an interview of the application's job"
            )
        when = now()
        interview = t.Interview(
            id=store.next_id(session, t.Interview),
            created_at=when,
            updated_at=when,
            job_id=slot.job_id,
            application_id=app.id,
            job_interview_id=slot.id,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            location=body.location,
            status="scheduled",
            organizer_id=principal.user_id,
            scheduled_at=when,
            external_event_id=body.external_event_id,
            video_conferencing_url=body.video_conferencing_url,
        )
        session.add(interview)
        session.flush()
        _panel(session, store, interview, body.interviewers, when)
        app.last_activity_at = when
        session.add(app)
        _touch_candidate(session, app.candidate_id, when)
        session.flush()
        return Outcome(serialize("interviews", interview))

    return await _run(request, run, 201)


@router.patch("/interviews/{interview_id}")
async def update_interview(interview_id: int, request: Request) -> Response:
    authorize(request, "harvest:interviews:update", read=False)
    body = await parse_body(request, UpdateInterview)
    if not body.model_fields_set:
        raise unprocessable(
            "Give at least one of starts_at, ends_at, interviewers, location, video_conferencing_url"
        )

    def run(session: Session, store: Store) -> Outcome:
        interview = _get(session, t.Interview, interview_id)
        sent = body.model_fields_set
        starts = body.starts_at if "starts_at" in sent else interview.starts_at
        ends = body.ends_at if "ends_at" in sent else interview.ends_at
        if ("starts_at" in sent and starts is None) or ("ends_at" in sent and ends is None):
            raise unprocessable({"starts_at" if starts is None else "ends_at": "cannot be null"})
        _check_times(starts, ends)
        interview.starts_at, interview.ends_at = starts, ends
        for name in ("location", "video_conferencing_url"):
            if name in sent:
                setattr(interview, name, getattr(body, name))
        when = now()
        interview.updated_at = when
        session.add(interview)
        if "interviewers" in sent:
            if not body.interviewers:
                raise field_error("interviewers", "must list at least one interviewer")
            _panel(session, store, interview, body.interviewers, when)
        session.flush()
        return Outcome(serialize("interviews", interview))

    return await _run(request, run, 200)


@router.delete("/interviews/{interview_id}", status_code=204)
async def delete_interview(interview_id: int, request: Request) -> Response:
    authorize(request, "harvest:interviews:destroy", read=False)

    def run(session: Session, store: Store) -> Outcome:
        interview = _get(session, t.Interview, interview_id)
        if interview.status not in DELETABLE_INTERVIEW_STATUSES:
            raise unprocessable(
                f"Interview {interview_id} is {interview.status}; only scheduled or "
                f"awaiting_feedback interviews can be deleted"
            )
        _panel_delete(session, interview.id)
        session.delete(interview)
        return Outcome(events=[("interview_deleted", interview_deleted_payload(interview_id))])

    return await _run(request, run, 204)


def _panel_delete(session: Session, interview_id: int) -> None:
    rows = list(
        session.execute(select(t.Interviewer).where(t.Interviewer.interview_id == interview_id)).scalars()  # type: ignore[arg-type]
    )
    scorecards = [r.scorecard_id for r in rows if r.scorecard_id is not None]
    if scorecards:
        session.execute(
            delete(t.Scorecard).where(
                t.Scorecard.id.in_(scorecards),  # type: ignore[attr-defined]
                t.Scorecard.status == "draft",  # type: ignore[arg-type]
            )
        )
    session.execute(delete(t.Interviewer).where(t.Interviewer.interview_id == interview_id))  # type: ignore[arg-type]
