"""Greenhouse recruiting webhooks (v1 shape, greenhouse-webhooks.md §1), sent in the background with retries.

Payloads are built inside the write's transaction (so they show the state just written) and delivered by an
asyncio task after the Harvest response is decided: a slow or failing receiver never blocks a Harvest call.
Retries of one event reuse its `Greenhouse-Event-ID`, so receivers can de-duplicate.

Two kinds of receiver share the delivery machinery: the admin hook (`POST /_sandbox/webhooks`, one URL, the
events it always had: `ADMIN_ACTIONS`) and v3 subscriptions (`/v3/webhooks`, one `event_action_type` each,
own URL and secret key).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from sqlalchemy import select
from sqlmodel import Session

from sandbox.greenhouse import tables as t
from sandbox.greenhouse.listing import format_value

log = structlog.get_logger("sandbox.greenhouse.webhooks")
APP_URL = "https://app.greenhouse.io"
# The v1 `action` keys, which are also the v3 subscriptions' `event_action_type` (webhooks_v3.json).
EVENT_ACTION_TYPES: tuple[str, ...] = tuple(
    (
        "application_updated candidate_anonymized candidate_stage_change delete_application delete_candidate "
        "department_deleted hire_candidate interview_deleted job_approved job_created job_deleted "
        "job_interview_stage_deleted job_post_created job_post_deleted job_post_updated job_updated merge_candidate "
        "new_candidate_application new_prospect_application offer_approved offer_created offer_deleted offer_updated "
        "office_deleted reject_candidate scorecard_deleted unhire_candidate unreject_candidate update_candidate"
    ).split()
)
# What the admin hook has always received; newer events go to v3 subscriptions only (keeps it unchanged).
ADMIN_ACTIONS = frozenset(
    {
        "candidate_stage_change",
        "application_updated",
        "reject_candidate",
        "unreject_candidate",
        "hire_candidate",
        "interview_deleted",
    }
)


def encode_body(event: dict[str, Any]) -> bytes:
    """JSON as Greenhouse sends it: ASCII with HTML characters escaped (`<` → `\\u003c`)."""
    text = json.dumps(event, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def sign(secret: str, body: bytes) -> str:
    """The `Signature` header value: `sha256 <lowercase hex HMAC-SHA256(secret, raw body)>`."""
    return "sha256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    """One event's delivery record, visible through `GET /_sandbox/webhooks`."""

    event_id: str
    action: str
    attempts: int = 0
    delivered: bool = False
    last_status: int | None = None
    last_error: str | None = None
    subscription_id: int | None = None  # None: the admin hook


@dataclass(frozen=True)
class Subscription:
    """An active v3 subscription as the sender needs it (the table row lives in `gh_webhooks`)."""

    id: int
    url: str
    secret: str
    event_action_type: str


DeliveredHook = Callable[[int], Awaitable[None]]


@dataclass
class WebhookSender:
    url: str | None
    secret: str
    retry_delays: list[float]
    timeout: float = 10.0
    deliveries: list[Delivery] = field(default_factory=list)
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    on_delivered: DeliveredHook | None = None  # records `last_delivered` of a subscription
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _client: httpx.AsyncClient | None = None

    def configure(
        self, url: str | None, secret: str | None = None, retry_delays: list[float] | None = None
    ) -> None:
        self.url = url
        if secret is not None:
            self.secret = secret
        if retry_delays is not None:
            self.retry_delays = retry_delays

    def emit(self, action: str, payload: dict[str, Any]) -> list[Delivery]:
        """Queue one event for the admin hook and every subscription to `action` (call from the event loop)."""
        body = encode_body({"action": action, "payload": payload})
        started = []
        if self.url and action in ADMIN_ACTIONS:
            started.append(self._start(self.url, self.secret, Delivery(str(uuid.uuid4()), action), body))
        for sub in list(self.subscriptions.values()):
            if sub.event_action_type == action:
                delivery = Delivery(str(uuid.uuid4()), action, subscription_id=sub.id)
                started.append(self._start(sub.url, sub.secret, delivery, body))
        return started

    def _start(self, url: str, secret: str, delivery: Delivery, body: bytes) -> Delivery:
        self.deliveries.append(delivery)
        del self.deliveries[:-500]
        task = asyncio.get_running_loop().create_task(self._deliver(url, secret, delivery, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def ping(self, url: str, secret: str, subscription_id: int) -> bool:
        """The check Greenhouse makes when a hook is created: one signed POST, no retries; True on 2xx."""
        body = encode_body({"action": "ping", "payload": {"web_hook_id": subscription_id}})
        try:
            response = await self._http().post(url, content=body, headers=self._headers(secret, body, None))
        except httpx.HTTPError as exc:
            log.warning("webhook_ping_failed", subscription_id=subscription_id, error=type(exc).__name__)
            return False
        return 200 <= response.status_code < 300

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        return self._client

    @staticmethod
    def _headers(secret: str, body: bytes, event_id: str | None) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Greenhouse-Sandbox-Webhooks/1.0",
            "Signature": sign(secret, body),
        }
        if event_id is not None:
            headers["Greenhouse-Event-ID"] = event_id
        return headers

    async def _deliver(self, url: str, secret: str, delivery: Delivery, body: bytes) -> None:
        headers = self._headers(secret, body, delivery.event_id)
        delays = [0.0, *self.retry_delays]
        for delay in delays:
            if delay:
                await asyncio.sleep(delay)
            delivery.attempts += 1
            try:
                response = await self._http().post(url, content=body, headers=headers)
                delivery.last_status = response.status_code
                if 200 <= response.status_code < 300:
                    delivery.delivered = True
                    log.info(
                        "webhook_delivered",
                        action=delivery.action,
                        event_id=delivery.event_id,
                        attempts=delivery.attempts,
                        subscription_id=delivery.subscription_id,
                    )
                    if delivery.subscription_id is not None and self.on_delivered is not None:
                        await self.on_delivered(delivery.subscription_id)
                    return
            except httpx.HTTPError as exc:
                delivery.last_error = type(exc).__name__
            log.warning(
                "webhook_attempt_failed",
                action=delivery.action,
                event_id=delivery.event_id,
                attempt=delivery.attempts,
                status=delivery.last_status,
                error=delivery.last_error,
            )
        log.error("webhook_gave_up", action=delivery.action, event_id=delivery.event_id)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None


# --- v1 payload builders ----------------------------------------------------------------------------------


def _user_ref(session: Session, user_id: int | None) -> dict[str, Any] | None:
    user = session.get(t.User, user_id) if user_id else None
    if user is None:
        return None
    return {"id": user.id, "email": user.primary_email, "name": user.name, "employee_id": user.employee_id}


def _stage(session: Session, app: t.Application) -> dict[str, Any] | None:
    stage_id = app.job_interview_stage_id
    if stage_id is None:
        row = (
            session.execute(
                select(t.ApplicationStage)
                .where(t.ApplicationStage.application_id == app.id)  # type: ignore[arg-type]
                .order_by(t.ApplicationStage.id.desc())  # type: ignore[attr-defined]
            )
            .scalars()
            .first()
        )
        stage_id = row.job_interview_stage_id if row else None
    stage = session.get(t.JobInterviewStage, stage_id) if stage_id else None
    if stage is None:
        return None
    slots = (
        session.execute(
            select(t.JobInterview)
            .where(t.JobInterview.job_interview_stage_id == stage.id)  # type: ignore[arg-type]
            .order_by(t.JobInterview.sort_order)  # type: ignore[arg-type]
        )
        .scalars()
        .all()
    )
    interviews = []
    for slot in slots:
        kit = (
            session.execute(select(t.InterviewKit).where(t.InterviewKit.job_interview_id == slot.id))
            .scalars()
            .first()
        )
        scheduled = (
            session.execute(
                select(t.Interview).where(
                    t.Interview.application_id == app.id,  # type: ignore[arg-type]
                    t.Interview.job_interview_id == slot.id,
                )
            )
            .scalars()
            .first()
        )
        panel = []
        if scheduled is not None:
            rows = (
                session.execute(select(t.Interviewer).where(t.Interviewer.interview_id == scheduled.id))
                .scalars()
                .all()
            )
            for row in rows:
                user = session.get(t.User, row.user_id) if row.user_id else None
                panel.append(
                    {
                        "id": row.user_id,
                        "display_name": user.name if user else row.email,
                        "status": row.response_status,
                    }
                )
        interviews.append(
            {
                "id": slot.id,
                "name": slot.name,
                "status": scheduled.status if scheduled else "to_be_scheduled",
                "interview_kit": {
                    "url": f"{APP_URL}/guides/{kit.id if kit else slot.id}/people/{app.candidate_id}",
                    "content": kit.exercises if kit else None,
                    "questions": [],
                },
                "interviewers": panel,
            }
        )
    return {"id": stage.id, "name": stage.name, "interviews": interviews}


def _v1_date(value: Any) -> str | None:
    """Educations and employments carry `MM/DD/YYYY` dates in webhooks (greenhouse-webhooks.md §1)."""
    return value.strftime("%m/%d/%Y") if value is not None else None


def _option_name(session: Session, option_id: int | None) -> str | None:
    option = session.get(t.CustomFieldOption, option_id) if option_id else None
    return option.name if option else None


def _educations(session: Session, candidate_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(t.CandidateEducation).where(t.CandidateEducation.candidate_id == candidate_id)  # type: ignore[arg-type]
    ).scalars()
    return [
        {
            "school_name": _option_name(session, e.school_name_custom_field_option_id),
            "degree": _option_name(session, e.degree_custom_field_option_id),
            "discipline": _option_name(session, e.discipline_custom_field_option_id),
            "start_date": _v1_date(e.start_at),
            "end_date": _v1_date(e.end_at),
        }
        for e in rows
    ]


def _employments(session: Session, candidate_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(t.CandidateEmployment).where(t.CandidateEmployment.candidate_id == candidate_id)  # type: ignore[arg-type]
    ).scalars()
    return [
        {
            "company_name": e.company_name,
            "title": e.title,
            "start_date": _v1_date(e.start_date),
            "end_date": _v1_date(e.end_date),
        }
        for e in rows
    ]


def _candidate(session: Session, candidate_id: int, app: t.Application | None) -> dict[str, Any]:
    c = session.get(t.Candidate, candidate_id)
    assert c is not None
    attachments = (
        session.execute(
            select(t.Attachment).where(t.Attachment.candidate_id == candidate_id)  # type: ignore[arg-type]
        )
        .scalars()
        .all()
    )
    return {
        "id": c.id,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "title": c.title,
        "company": c.company,
        "created_at": format_value(c.created_at),
        "external_id": None,
        "photo_url": None,
        "url": f"{APP_URL}/people/{c.id}",
        "is_private": bool(c.private),
        "can_email": c.can_email,
        "phone_numbers": c.phone_numbers,
        "email_addresses": c.email_addresses,
        "addresses": c.addresses,
        "website_addresses": c.website_addresses,
        "social_media_addresses": c.social_media_addresses,
        "educations": _educations(session, c.id),
        "employments": _employments(session, c.id),
        "recruiter": _user_ref(session, app.recruiter_id if app else None),
        "coordinator": _user_ref(session, app.coordinator_id if app else None),
        "attachments": [{"filename": a.filename, "url": a.url, "type": a.type} for a in attachments],
        "tags": c.tags,
        "custom_fields": c.custom_fields or {},
    }


def _job(session: Session, job: t.Job, job_post_id: int | None) -> dict[str, Any]:
    dept = session.get(t.Department, job.department_id) if job.department_id else None
    offices = [o for o in (session.get(t.Office, i) for i in job.office_ids or []) if o is not None]
    return {
        "id": job.id,
        "name": job.name,
        "requisition_id": job.requisition_id,
        "notes": job.notes,
        "confidential": job.confidential,
        "job_post_id": job_post_id,
        "status": job.status,
        "created_by_id": None,
        "created_at": format_value(job.created_at),
        "opened_at": format_value(job.opened_at),
        "closed_at": format_value(job.closed_at),
        "departments": [{"id": dept.id, "name": dept.name, "external_id": dept.external_id}] if dept else [],
        "offices": [
            {"id": o.id, "name": o.name, "location": o.location, "external_id": o.external_id}
            for o in offices
        ],
        "custom_fields": job.custom_fields or {},
    }


def _jobs(session: Session, app: t.Application) -> list[dict[str, Any]]:
    job = session.get(t.Job, app.job_id) if app.job_id else None
    return [_job(session, job, app.job_post_id)] if job is not None else []


def job_payload(session: Session, job_id: int) -> dict[str, Any]:
    """`{"job": {...}}` for job_created / job_updated (v1 job shape, as inside `application.jobs[]`)."""
    job = session.get(t.Job, job_id)
    assert job is not None
    post = session.execute(select(t.JobPost.id).where(t.JobPost.job_id == job_id)).scalars().first()  # type: ignore[call-overload]
    return {"job": _job(session, job, post)}


def candidate_payload(session: Session, candidate_id: int) -> dict[str, Any]:
    """`update_candidate`: the candidate's latest application (with the candidate in it), as v1 sends it;
    a candidate without applications is sent as `{"candidate": {...}}` (UNVERIFIED shape)."""
    app_id = (
        session.execute(
            select(t.Application.id)  # type: ignore[call-overload]
            .where(t.Application.candidate_id == candidate_id)
            .order_by(t.Application.id.desc())  # type: ignore[attr-defined]
        )
        .scalars()
        .first()
    )
    if app_id is not None:
        return application_payload(session, app_id)
    return {"candidate": _candidate(session, candidate_id, None)}


def person_payload(
    session: Session, candidate: t.Candidate, app_ids: list[int], **extra: Any
) -> dict[str, Any]:
    """`delete_candidate` / `merge_candidate`: the removed person (`new_candidate_id` for a merge)."""
    app = session.get(t.Application, app_ids[0]) if app_ids else None
    return {
        "person": {
            "id": candidate.id,
            "first_name": candidate.first_name,
            "last_name": candidate.last_name,
            "company": candidate.company,
            "title": candidate.title,
            "created_at": format_value(candidate.created_at),
            "headline": None,
            "is_private": bool(candidate.private),
            "recruiter_user_id": app.recruiter_id if app else None,
            "coordinator_user_id": app.coordinator_id if app else None,
            "can_email": candidate.can_email,
            **extra,
        }
    }


def application_payload(session: Session, app_id: int) -> dict[str, Any]:
    """`{"application": {...}}` in the v1 webhook shape, with the application's current state."""
    app = session.get(t.Application, app_id)
    assert app is not None
    source = session.get(t.Source, app.source_id) if app.source_id else None
    detail = (
        session.execute(
            select(t.RejectionDetail).where(t.RejectionDetail.application_id == app.id)  # type: ignore[arg-type]
        )
        .scalars()
        .first()
        if app.status == "rejected"
        else None
    )
    reason = (
        session.get(t.RejectionReason, detail.rejection_reason_id)
        if detail and detail.rejection_reason_id
        else None
    )
    status = {"in_process": "active"}.get(app.status, app.status)
    application: dict[str, Any] = {
        "id": app.id,
        "rejected_at": format_value(app.rejected_at),
        "prospect": app.prospect,
        "status": status,
        "applied_at": format_value(app.created_at),
        "last_activity_at": format_value(app.last_activity_at),
        "url": f"{APP_URL}/people/{app.candidate_id}?application_id={app.id}",
        "source": {"id": source.id, "name": source.name} if source else None,
        "credited_to": _user_ref(session, app.referrer_id),
        "rejection_reason": {
            "id": reason.id,
            "name": reason.name,
            "type": {"id": reason.type.get("id"), "name": reason.type.get("name")},
        }
        if reason
        else None,
        "rejection_details": {"custom_fields": detail.question_custom_fields or {}} if detail else None,
        "current_stage": _stage(session, app),
        "custom_fields": app.custom_fields or {},
        "candidate": _candidate(session, app.candidate_id, app),
        "jobs": _jobs(session, app),
    }
    return {"application": application}


def interview_deleted_payload(interview_id: int) -> dict[str, Any]:
    return {"interview": {"id": interview_id}}
