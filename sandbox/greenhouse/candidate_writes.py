"""Candidate writes sourcing needs (issue 12): merge, anonymize, educations, employments, candidate tags.

Rules the reference leaves open are decided here and listed in docs/sandbox.md (merge keeps the path
candidate; anonymizing really erases the rows or values, it does not hide them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from sandbox.greenhouse import tables as t
from sandbox.greenhouse.bodies import (
    Anonymize,
    ApplyCandidateTag,
    CreateCandidateTag,
    CreateEducation,
    CreateEmployment,
    Merge,
    parse_body,
)
from sandbox.greenhouse.db import Store
from sandbox.greenhouse.errors import field_error
from sandbox.greenhouse.listing import serialize
from sandbox.greenhouse.reads import authorize
from sandbox.greenhouse.tables import pipe_index
from sandbox.greenhouse.tags import add_applied, applied_rows, drop_candidate_tags, refresh_tag_names
from sandbox.greenhouse.webhooks import candidate_payload, person_payload
from sandbox.greenhouse.writes import Outcome, _get, _run, now

router = APIRouter(prefix="/v3")
CONTACTS = ("email_addresses", "phone_numbers", "addresses", "website_addresses", "social_media_addresses")
# Rows that follow a candidate by `candidate_id` when two candidates are merged.
OWNED_ROWS: tuple[type[t.SandboxBase], ...] = (
    t.Application,
    t.Note,
    t.Attachment,
    t.CandidateEducation,
    t.CandidateEmployment,
    t.Offer,
)


def _candidate(session: Session, candidate_id: int, name: str) -> t.Candidate:
    cand = session.get(t.Candidate, candidate_id)
    if cand is None:
        raise field_error(name, f"`{candidate_id}` does not exist")
    return cand


def _app_ids(session: Session, candidate_id: int) -> list[int]:
    stmt = select(col(t.Application.id)).where(col(t.Application.candidate_id) == candidate_id)
    return list(session.execute(stmt.order_by(col(t.Application.id))).scalars())


def _union(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen = {str(item["value"]).lower() for item in first}
    return [*first, *(item for item in second if str(item["value"]).lower() not in seen)]


# --- merge -------------------------------------------------------------------------------------------------


@router.post("/candidates/{candidate_id}/merge")
async def merge_candidates(candidate_id: int, request: Request) -> Response:
    """Merge `secondary_candidate_id` into the path candidate; answers 200 + the kept candidate."""
    authorize(request, "harvest:candidates:merge", read=False)
    body = await parse_body(request, Merge)
    if body.secondary_candidate_id == candidate_id:
        raise field_error("secondary_candidate_id", "must differ from the candidate it is merged into")

    def run(session: Session, store: Store) -> Outcome:
        primary = _get(session, t.Candidate, candidate_id)
        secondary = _candidate(session, body.secondary_candidate_id, "secondary_candidate_id")
        when = now()
        moved_apps = _app_ids(session, secondary.id)
        removed = person_payload(session, secondary, moved_apps, new_candidate_id=primary.id)
        for table in OWNED_ROWS:
            session.execute(
                update(table)
                .where(col(table.candidate_id) == secondary.id)  # type: ignore[attr-defined]
                .values(candidate_id=primary.id, updated_at=when)
            )
        for name in CONTACTS:
            setattr(primary, name, _union(getattr(primary, name), getattr(secondary, name)))
        for name in ("preferred_name", "company", "title", "time_zone"):
            if getattr(primary, name) is None:
                setattr(primary, name, getattr(secondary, name))
        primary.custom_fields = {**(secondary.custom_fields or {}), **(primary.custom_fields or {})}
        primary.linked_user_ids = list(dict.fromkeys([*primary.linked_user_ids, *secondary.linked_user_ids]))
        primary.ix_emails = pipe_index([e["value"].lower() for e in primary.email_addresses])
        have = {row.candidate_tag_id for row in applied_rows(session, primary.id)}
        for row in applied_rows(session, secondary.id):
            if row.candidate_tag_id in have:
                session.delete(row)
            else:
                row.candidate_id, row.updated_at = primary.id, when
                session.add(row)
        dates = [d for d in (primary.last_activity_at, secondary.last_activity_at, when) if d is not None]
        primary.last_activity_at = max(dates)
        session.delete(secondary)
        session.flush()
        refresh_tag_names(session, primary, when)
        session.flush()
        return Outcome(serialize("candidates", primary), [("merge_candidate", removed)])

    return await _run(request, run, 200)


# --- anonymize ---------------------------------------------------------------------------------------------


def _erase(session: Session, cand: t.Candidate, field: str, when: datetime) -> None:
    """Erase one anonymizable field: values are nulled and rows deleted, nothing is kept aside."""
    apps = _app_ids(session, cand.id)
    if field == "full_name":
        cand.first_name = cand.last_name = cand.preferred_name = None
    elif field == "current_company":
        cand.company = None
    elif field == "current_title":
        cand.title = None
    elif field in CONTACTS:
        setattr(cand, field, [])
        if field == "email_addresses":
            cand.ix_emails = ""
    elif field == "tags":
        drop_candidate_tags(session, cand.id)
        cand.tags, cand.ix_tags = [], ""
    elif field == "candidate_custom_fields":
        cand.custom_fields, cand.ix_cf_options = {}, ""
    elif field == "attachments":
        session.execute(delete(t.Attachment).where(col(t.Attachment.candidate_id) == cand.id))
    elif field == "notes":
        session.execute(delete(t.Note).where(col(t.Note.candidate_id) == cand.id))
    elif field == "education":
        session.execute(delete(t.CandidateEducation).where(col(t.CandidateEducation.candidate_id) == cand.id))
    elif field == "employment":
        session.execute(
            delete(t.CandidateEmployment).where(col(t.CandidateEmployment.candidate_id) == cand.id)
        )
    elif field == "offers":
        session.execute(delete(t.Offer).where(col(t.Offer.candidate_id) == cand.id))
    elif field == "scorecards_and_interviews":
        interviews = select(col(t.Interview.id)).where(col(t.Interview.application_id).in_(apps))
        session.execute(delete(t.Interviewer).where(col(t.Interviewer.interview_id).in_(interviews)))
        session.execute(delete(t.Interview).where(col(t.Interview.application_id).in_(apps)))
        session.execute(delete(t.Scorecard).where(col(t.Scorecard.application_id).in_(apps)))
    elif field == "application_questions":
        session.execute(
            update(t.Application).where(col(t.Application.id).in_(apps)).values(answers=None, updated_at=when)
        )
    else:  # pragma: no cover - Anonymize validates the names
        raise AssertionError(field)


@router.patch("/candidates/{candidate_id}/anonymize")
async def anonymize_candidate(candidate_id: int, request: Request) -> Response:
    """Erase the listed fields of a candidate; answers 200 + the candidate as it now reads."""
    authorize(request, "harvest:candidates:anonymize", read=False)
    body = await parse_body(request, Anonymize)

    def run(session: Session, store: Store) -> Outcome:
        cand = _get(session, t.Candidate, candidate_id)
        when = now()
        for field in body.fields:
            _erase(session, cand, field, when)
        cand.updated_at = when
        session.add(cand)
        session.flush()
        event = {"candidate_id": cand.id, "anonymized_fields": body.fields}
        return Outcome(serialize("candidates", cand), [("candidate_anonymized", event)])

    return await _run(request, run, 200)


# --- educations and employments ----------------------------------------------------------------------------


def _option(session: Session, option_id: int | None, internal_type: str, name: str) -> None:
    if option_id is None:
        return
    option = session.get(t.CustomFieldOption, option_id)
    field = session.get(t.CustomField, option.custom_field_id) if option else None
    if option is None or field is None or field.internal_type != internal_type or not option.active:
        raise field_error(name, f"`{option_id}` is not an active {internal_type} option")


def _mark_latest(session: Session, table: Any, candidate_id: int, key: Any, when: datetime) -> None:
    """`latest` is true on the candidate's most recent entry (latest start; undated entries count as oldest)."""
    rows = list(session.execute(select(table).where(table.candidate_id == candidate_id)).scalars())
    newest = max(rows, key=key, default=None)
    for row in rows:
        flag = row is newest
        if row.latest != flag:
            row.latest, row.updated_at = flag, when
            session.add(row)


def _touch(session: Session, cand: t.Candidate, when: datetime) -> None:
    cand.updated_at = when
    cand.last_activity_at = when
    session.add(cand)


@router.post("/candidate_educations", status_code=201)
async def create_education(request: Request) -> Response:
    authorize(request, "harvest:candidate_educations:create", read=False)
    body = await parse_body(request, CreateEducation)

    def run(session: Session, store: Store) -> Outcome:
        cand = _candidate(session, body.candidate_id, "candidate_id")
        _option(
            session,
            body.school_name_custom_field_option_id,
            "school_name",
            "school_name_custom_field_option_id",
        )
        _option(session, body.degree_custom_field_option_id, "degree", "degree_custom_field_option_id")
        _option(
            session, body.discipline_custom_field_option_id, "discipline", "discipline_custom_field_option_id"
        )
        when = now()
        row = t.CandidateEducation(
            id=store.next_id(session, t.CandidateEducation),
            created_at=when,
            updated_at=when,
            candidate_id=cand.id,
            school_name_custom_field_option_id=body.school_name_custom_field_option_id,
            degree_custom_field_option_id=body.degree_custom_field_option_id,
            discipline_custom_field_option_id=body.discipline_custom_field_option_id,
            start_at=body.start_date,
            end_at=body.end_date,
            start_date_month=body.start_date.month if body.start_date else None,
            start_date_year=body.start_date.year if body.start_date else None,
            end_date_month=body.end_date.month if body.end_date else None,
            end_date_year=body.end_date.year if body.end_date else None,
        )
        session.add(row)
        session.flush()
        _mark_latest(
            session, t.CandidateEducation, cand.id, lambda r: (r.start_at is not None, r.start_at, r.id), when
        )
        _touch(session, cand, when)
        session.flush()
        return Outcome(
            serialize("candidate_educations", row),
            [("update_candidate", candidate_payload(session, cand.id))],
        )

    return await _run(request, run, 201)


@router.post("/candidate_employments", status_code=201)
async def create_employment(request: Request) -> Response:
    authorize(request, "harvest:candidate_employments:create", read=False)
    body = await parse_body(request, CreateEmployment)

    def run(session: Session, store: Store) -> Outcome:
        cand = _candidate(session, body.candidate_id, "candidate_id")
        when = now()
        row = t.CandidateEmployment(
            id=store.next_id(session, t.CandidateEmployment),
            created_at=when,
            updated_at=when,
            candidate_id=cand.id,
            company_name=body.company_name,
            title=body.title,
            start_date=body.start_date,
            end_date=body.end_date,
        )
        session.add(row)
        session.flush()
        _mark_latest(session, t.CandidateEmployment, cand.id, lambda r: (r.start_date, r.id), when)
        _touch(session, cand, when)
        session.flush()
        return Outcome(
            serialize("candidate_employments", row),
            [("update_candidate", candidate_payload(session, cand.id))],
        )

    return await _run(request, run, 201)


def _delete_owned(table: Any, scope: str, key: Any) -> Any:
    async def delete_row(row_id: int, request: Request) -> Response:
        authorize(request, scope, read=False)

        def run(session: Session, store: Store) -> Outcome:
            row = _get(session, table, row_id)
            cand = session.get(t.Candidate, row.candidate_id)
            session.delete(row)
            session.flush()
            when = now()
            if cand is not None:
                _mark_latest(session, table, cand.id, key, when)
                _touch(session, cand, when)
            return Outcome()

        return await _run(request, run, 204)

    return delete_row


router.add_api_route(
    "/candidate_educations/{row_id}",
    _delete_owned(
        t.CandidateEducation,
        "harvest:candidate_educations:destroy",
        lambda r: (r.start_at is not None, r.start_at, r.id),
    ),
    methods=["DELETE"],
    status_code=204,
    name="delete_candidate_education",
)
router.add_api_route(
    "/candidate_employments/{row_id}",
    _delete_owned(
        t.CandidateEmployment, "harvest:candidate_employments:destroy", lambda r: (r.start_date, r.id)
    ),
    methods=["DELETE"],
    status_code=204,
    name="delete_candidate_employment",
)


# --- candidate tags ----------------------------------------------------------------------------------------


@router.post("/candidate_tags", status_code=201)
async def create_candidate_tag(request: Request) -> Response:
    authorize(request, "harvest:candidate_tags:create", read=False)
    body = await parse_body(request, CreateCandidateTag)

    def run(session: Session, store: Store) -> Outcome:
        for tag in session.execute(select(t.CandidateTag)).scalars():
            if tag.name.lower() == body.name.lower():
                raise field_error("name", f"tag `{tag.name}` already exists (id {tag.id})")
        when = now()
        tag = t.CandidateTag(
            id=store.next_id(session, t.CandidateTag), created_at=when, updated_at=when, name=body.name
        )
        session.add(tag)
        session.flush()
        return Outcome(serialize("candidate_tags", tag))

    return await _run(request, run, 201)


@router.delete("/candidate_tags/{tag_id}", status_code=204)
async def delete_candidate_tag(tag_id: int, request: Request) -> Response:
    """Removes the tag from the dictionary and from every candidate that had it."""
    authorize(request, "harvest:candidate_tags:destroy", read=False)

    def run(session: Session, store: Store) -> Outcome:
        tag = _get(session, t.CandidateTag, tag_id)
        stmt = select(t.AppliedCandidateTag).where(col(t.AppliedCandidateTag.candidate_tag_id) == tag.id)
        rows = list(session.execute(stmt).scalars())
        when = now()
        for row in rows:
            session.delete(row)
        session.delete(tag)
        session.flush()
        for candidate_id in {row.candidate_id for row in rows}:
            cand = session.get(t.Candidate, candidate_id)
            if cand is not None:
                refresh_tag_names(session, cand, when)
        return Outcome()

    return await _run(request, run, 204)


@router.post("/applied_candidate_tags", status_code=201)
async def apply_candidate_tag(request: Request) -> Response:
    authorize(request, "harvest:applied_candidate_tags:create", read=False)
    body = await parse_body(request, ApplyCandidateTag)

    def run(session: Session, store: Store) -> Outcome:
        cand = _candidate(session, body.candidate_id, "candidate_id")
        if session.get(t.CandidateTag, body.candidate_tag_id) is None:
            raise field_error("candidate_tag_id", f"`{body.candidate_tag_id}` does not exist")
        existing = [r for r in applied_rows(session, cand.id) if r.candidate_tag_id == body.candidate_tag_id]
        if existing:
            raise field_error(
                "candidate_tag_id",
                f"`{body.candidate_tag_id}` is already applied to candidate `{cand.id}` (id {existing[0].id})",
            )
        when = now()
        row = add_applied(session, store, cand.id, body.candidate_tag_id, when)
        session.flush()
        refresh_tag_names(session, cand, when)
        session.flush()
        return Outcome(
            serialize("applied_candidate_tags", row),
            [("update_candidate", candidate_payload(session, cand.id))],
        )

    return await _run(request, run, 201)


@router.delete("/applied_candidate_tags/{applied_id}", status_code=204)
async def remove_applied_candidate_tag(applied_id: int, request: Request) -> Response:
    authorize(request, "harvest:applied_candidate_tags:destroy", read=False)

    def run(session: Session, store: Store) -> Outcome:
        row = _get(session, t.AppliedCandidateTag, applied_id)
        cand = session.get(t.Candidate, row.candidate_id)
        session.delete(row)
        session.flush()
        events = []
        if cand is not None:
            refresh_tag_names(session, cand, now())
            session.flush()
            events.append(("update_candidate", candidate_payload(session, cand.id)))
        return Outcome(events=events)

    return await _run(request, run, 204)
