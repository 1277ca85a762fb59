"""`POST /webhooks/greenhouse`: Greenhouse recruiting webhooks that start or stop scheduling and
assessments (a stage change into an auto-schedule stage or a stage mapped to a test starts them; a
rejection, hire or deletion tells the application's running workflows). Every application and
candidate event also updates the SQL mirror (`integrations/mirror_webhooks.py`, docs/mirror.md).

Order of checks, each with its own answer so Greenhouse's retry rules work for us:
signature over the raw body (401) → JSON and payload shape (400, never 500) → duplicate
`Greenhouse-Event-ID` (200, nothing done) → act → remember the event id → 200. When Temporal is
unreachable the answer is 503 and the event id is NOT remembered, so Greenhouse's retry (up to
~15 h) delivers it again: nothing is lost. Acting twice is harmless anyway (starts use the business
workflow id with USE_EXISTING; closing an already-cancelled request does nothing).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client
from temporalio.service import RPCError

from integrations.application_closing import close_application_workflows
from integrations.assessment_client import AssessmentClient
from integrations.assessment_mappings import AssessmentMappings, request_for
from integrations.interview_index import InterviewIndex
from integrations.logs import get_logger
from integrations.mirror_webhooks import MirrorWebhooks
from integrations.scheduling_client import SchedulingClient
from models.assessments import AssessmentState, assessment_workflow_id
from models.messages import ApplicationClosedInput, InterviewDeletedInput
from models.settings import Settings
from web import json_depth
from web.source_push_hook import SourcePushHook
from web.store import already_processed, find_rule, mark_processed
from web.temporal import TemporalGateway, TemporalUnavailableError
from web.webhook_payloads import (
    ApplicationPayload,
    Envelope,
    InterviewPayload,
    PersonPayload,
    StageRef,
    WebhookApplication,
)

log = get_logger(__name__)
M = TypeVar("M", bound=BaseModel)

CloseReason = Literal["rejected", "hired", "application_deleted", "candidate_deleted"]
CLOSING_ACTIONS: dict[str, CloseReason] = {
    "reject_candidate": "rejected",
    "hire_candidate": "hired",
    "delete_application": "application_deleted",
}


class PayloadError(ValueError):
    """A delivery whose payload does not have the documented shape."""


def signature_valid(raw_body: bytes, header: str | None, secret: str) -> bool:
    """`Signature: sha256 <hex>` = HMAC-SHA256(secret, raw body), compared in constant time.

    Compared as bytes: a header with non-ASCII characters is simply wrong (401), never a TypeError.
    """
    if not header or not secret:
        return False
    parts = header.strip().split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "sha256":
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, parts[1].strip().lower().encode("utf-8", "replace"))


def sign_body(raw_body: bytes, secret: str) -> str:
    """The `Signature` header value Greenhouse would send (for tests and local tools)."""
    return "sha256 " + hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def _parse(model: type[M], envelope: Envelope) -> M:
    try:
        return model.model_validate(envelope.payload)
    except ValidationError as exc:
        problems = "; ".join(
            f"payload.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
        )
        raise PayloadError(f"{envelope.action} payload is not the documented shape: {problems}") from exc


class WebhookHandler:
    """Turns one verified, parsed delivery into Temporal starts and signals."""

    def __init__(self, settings: Settings, engine: Engine, gateway: TemporalGateway) -> None:
        self.settings = settings
        self.engine = engine
        self.gateway = gateway
        self.mappings = AssessmentMappings(engine)
        self.pushes = SourcePushHook(settings, engine)
        self._routes: dict[str, Callable[[Envelope], Awaitable[str]]] = {
            "candidate_stage_change": self._stage_change,
            "delete_candidate": self._candidate_deleted,
            "interview_deleted": self._interview_deleted,
            **{action: self._application_closed for action in CLOSING_ACTIONS},
        }

    def handles(self, action: str) -> bool:
        return action in self._routes

    async def act(self, envelope: Envelope, event_id: str) -> str:
        """What the delivery starts or signals, and the status pushes to sources it calls for."""
        if self.handles(envelope.action):
            outcome = await self.handle(envelope)
        else:
            log.info("webhook_unhandled_action", action=envelope.action, event_id=event_id)
            outcome = "ignored: Hireflow does not act on this event"
        if self.pushes.wants(envelope.action):
            pushed = await self.pushes.on_change(await self._client(), envelope, event_id)
            if pushed:
                outcome += f"; status pushed to {pushed} source record(s)"
        return outcome

    async def handle(self, envelope: Envelope) -> str:
        return await self._routes[envelope.action](envelope)

    async def _client(self) -> Client:
        return await self.gateway.client()

    async def _scheduling(self) -> SchedulingClient:
        return SchedulingClient(await self._client(), self.settings)

    async def _assessments(self) -> AssessmentClient:
        return AssessmentClient(await self._client(), self.settings)

    async def _stage_change(self, envelope: Envelope) -> str:
        application = _parse(ApplicationPayload, envelope).application
        stage = application.current_stage
        if stage is None:
            raise PayloadError("candidate_stage_change payload has no application.current_stage")
        if application.prospect or (application.status or "active") != "active":
            return f"ignored: application {application.id} is {application.status or 'a prospect'}"
        done = [
            outcome
            for outcome in (
                await self._auto_schedule(application, stage),
                await self._auto_assess(application, stage),
            )
            if outcome
        ]
        if not done:
            return f"ignored: stage {stage.id} ({stage.name}) is not marked auto-schedule or mapped to a test"
        return "; ".join(done)

    async def _auto_schedule(self, application: WebhookApplication, stage: StageRef) -> str | None:
        rule = await run_in_threadpool(
            find_rule, self.engine, stage.id, application.first_job_id(), stage.name
        )
        if rule is None or not rule.enabled:
            return None
        handle = await (await self._scheduling()).start(application.id, stage.id, source="webhook")
        log.info("webhook_started_scheduling", application_id=application.id, workflow_id=handle.id)
        return f"scheduling {handle.id}"

    async def _auto_assess(self, application: WebhookApplication, stage: StageRef) -> str | None:
        """Start the test mapped to this stage; the business workflow id makes a redelivery a no-op."""
        mapping = await self.mappings.afind_for_stage(application.first_job_id(), stage.id, stage.name)
        if mapping is None:
            return None
        request = request_for(
            mapping, application.id, source="stage", base_policy=self.settings.assessment_policy
        )
        assessments = await self._assessments()
        workflow_id = assessment_workflow_id(application.id, request.test_key)
        if await assessments.finished_as(workflow_id) == AssessmentState.COMPLETED:
            log.info(
                "webhook_assessment_already_taken", application_id=application.id, workflow_id=workflow_id
            )
            return (
                f"ignored: application {application.id} already completed {request.test_name} ({workflow_id})"
            )
        handle = await assessments.start(request)
        log.info("webhook_started_assessment", application_id=application.id, workflow_id=handle.id)
        return f"assessment {handle.id}"

    async def _close(self, application_ids: list[int], reason: CloseReason) -> str:
        """Tell the application's scheduling requests and assessments that it is closed."""
        signalled = await close_application_workflows(
            await self._client(), self.settings, application_ids, ApplicationClosedInput(reason=reason)
        )
        log.info("webhook_closed_applications", reason=reason, workflows=signalled)
        return f"{reason}: signalled {len(signalled)} workflow(s)"

    async def _application_closed(self, envelope: Envelope) -> str:
        application = _parse(ApplicationPayload, envelope).application
        return await self._close([application.id], CLOSING_ACTIONS[envelope.action])

    async def _candidate_deleted(self, envelope: Envelope) -> str:
        person = _parse(PersonPayload, envelope).person
        return await self._close(person.all_application_ids(), "candidate_deleted")

    async def _interview_deleted(self, envelope: Envelope) -> str:
        parsed = _parse(InterviewPayload, envelope)
        scheduling = await self._scheduling()
        application_id = parsed.application_id()
        if application_id is not None:
            targets = await scheduling.for_application(application_id)
        else:  # the index of booked interviews, not a scan of running workflows
            owner = await InterviewIndex(self.engine).workflow_of(parsed.interview.id)
            targets = [owner] if owner and await scheduling.running(owner) is not None else []
        for workflow_id in targets:
            await scheduling.interview_deleted(
                workflow_id, InterviewDeletedInput(greenhouse_interview_id=parsed.interview.id)
            )
        return f"interview {parsed.interview.id}: signalled {len(targets)} workflow(s)"


def _answer(code: int, **body: Any) -> JSONResponse:
    return JSONResponse(body, status_code=code)


async def _mirror(mirror: MirrorWebhooks, envelope: Envelope) -> None:
    """Keep the mirror current from the payload; a failure here is the next sync pass's to repair."""
    try:
        await mirror.apply(envelope.action, envelope.payload)
    except Exception as exc:  # the mirror must never cost Greenhouse a redelivery
        log.warning("webhook_mirror_failed", action=envelope.action, error=type(exc).__name__)


def webhook_router(settings: Settings, engine: Engine, gateway: TemporalGateway) -> APIRouter:
    """The Greenhouse webhook endpoint, bound to its secret, ledger and Temporal gateway."""
    router = APIRouter(tags=["webhooks"])
    handler = WebhookHandler(settings, engine, gateway)
    mirror = MirrorWebhooks(engine)
    secret = settings.greenhouse_webhook_secret.get_secret_value()

    @router.post("/webhooks/greenhouse")
    async def greenhouse_webhook(request: Request) -> JSONResponse:
        raw = await request.body()
        if not signature_valid(raw, request.headers.get("signature"), secret):
            log.warning("webhook_bad_signature", has_header="signature" in request.headers)
            return _answer(401, error="missing or invalid Signature header (expected 'sha256 <hex HMAC>')")
        try:
            data = json_depth.loads(raw)
        except ValueError:  # UnicodeDecodeError and TooDeepError are ValueErrors
            return _answer(400, error="body is not valid JSON (or nested too deeply)")
        if not isinstance(data, dict):
            return _answer(400, error="body must be a JSON object with 'action' and 'payload'")
        if "action" not in data and "payload" not in data:
            # Greenhouse pings a hook on creation with "configuration settings" (shape undocumented).
            log.info("webhook_ping")
            return _answer(200, status="pong")
        try:
            envelope = Envelope.model_validate(data)
        except ValidationError:
            return _answer(400, error="body must have a non-empty string 'action' and an object 'payload'")
        if envelope.action == "ping":
            log.info("webhook_ping")
            return _answer(200, status="pong")
        event_id = request.headers.get("greenhouse-event-id", "").strip()[:200]
        duplicate = False
        if event_id:
            duplicate = await run_in_threadpool(already_processed, engine, event_id)
        if duplicate:
            log.info("webhook_duplicate", event_id=event_id, action=envelope.action)
            return _answer(200, status="duplicate", event_id=event_id)
        await _mirror(mirror, envelope)
        try:
            outcome = await handler.act(envelope, event_id)
        except (PayloadError, ValidationError) as exc:
            message = (
                str(exc) if isinstance(exc, PayloadError) else "payload does not have the documented shape"
            )
            return _answer(400, error=message)
        except (TemporalUnavailableError, RPCError) as exc:
            log.error("webhook_temporal_unavailable", action=envelope.action, error=str(exc))
            return _answer(503, error="Temporal is unavailable; please retry")
        if event_id:
            await run_in_threadpool(mark_processed, engine, event_id, envelope.action, outcome)
        else:
            log.warning("webhook_without_event_id", action=envelope.action)
        return _answer(200, status="ok", action=envelope.action, outcome=outcome)

    return router
