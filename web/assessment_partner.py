"""Greenhouse's Assessment Partner API, served by Hireflow: `list_tests`, `send_test`, `test_status` and
`response_error` under `/assessments/partner/` (docs/assessments.md).

Greenhouse's "Send Test" button starts the AssessmentWorkflow (source "partner") and gets the workflow
id back as `partner_interview_id` at once; on completion the workflow PATCHes Greenhouse's callback url
and Greenhouse reads `test_status`, answered from the workflow itself. Every answer is JSON (the app's
HTML error pages are for people), every call needs the partner key (partner_auth), and bodies are
parsed here rather than by FastAPI so a malformed one is a JSON 422 that echoes none of its input.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from temporalio.client import WorkflowExecutionStatus, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from integrations.assessment_client import WORKFLOW, AssessmentClient
from integrations.assessment_mappings import request_for_test
from integrations.logs import get_logger
from models import partner_store  # noqa: F401  (registers partner_api_error in the metadata)
from models.assessment_io import AssessmentStatusSnapshot
from models.assessments import Primitive, ProviderError, ProviderRejectedError, email_digest
from models.settings import Settings
from web import json_depth
from web.partner_auth import check_partner_key
from web.partner_catalog import PartnerCatalog
from web.partner_errors import latest_error, record_error
from web.partner_inputs import (
    InputError,
    ResponseErrorBody,
    SendTestBody,
    application_id_from_profile,
    check_callback_url,
    valid_interview_id,
)
from web.temporal import TemporalGateway, TemporalUnavailableError

PREFIX = "/assessments/partner"
MAX_BODY_BYTES = 64 * 1024  # a send_test is well under 4 KiB
log = get_logger(__name__)
M = TypeVar("M", bound=BaseModel)


def partner_catalog(request: Request) -> PartnerCatalog:
    """The app's catalog of the configured provider's tests (tests override this dependency)."""
    state = request.app.state
    catalog: PartnerCatalog | None = getattr(state, "partner_catalog", None)
    if catalog is None:
        catalog = state.partner_catalog = PartnerCatalog(state.settings)
    return catalog


def _error(status: int, message: str, **extra: str) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


async def _parse(request: Request, model: type[M]) -> M | JSONResponse:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        json_depth.check_depth(raw)
        return model.model_validate_json(raw)
    except json_depth.TooDeepError:
        return _error(422, "body nests too deeply")
    except ValidationError as exc:  # names the fields, never echoes their values
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors()[:5]
        )
        return _error(422, f"malformed body: {problems}")


def _provider_failure(exc: ProviderError) -> JSONResponse:
    log.warning("partner_provider_failed", error=type(exc).__name__)
    if isinstance(exc, ProviderRejectedError):  # not configured, or the provider refused our call
        return _error(502, f"assessment provider refused the request: {exc}")
    return _error(503, "assessment provider unavailable; please retry")


def _temporal_failure(exc: Exception) -> JSONResponse:
    log.warning("partner_temporal_unavailable", error=type(exc).__name__)
    return _error(503, "Hireflow cannot reach Temporal right now; please retry")


def status_answer(snapshot: AssessmentStatusSnapshot, profile_url: str, error: str | None) -> dict[str, Any]:
    """`complete` once the test is scored; before that the workflow's state (waiting, expired, ...)."""
    metadata: dict[str, Primitive] = {"state": snapshot.state, "test": snapshot.test_name}
    optional: dict[str, Primitive | None] = {
        "max_score": snapshot.max_score,
        "percentile": snapshot.percentile,
        "decision": snapshot.decision or None,
        "escalation": snapshot.escalation_reason or None,
        "error": error,
    }
    metadata |= {name: value for name, value in optional.items() if value is not None}
    if snapshot.score is None:
        return {"partner_status": snapshot.state, "metadata": metadata}
    return {
        "partner_status": "complete",
        "partner_profile_url": snapshot.report_url or profile_url,
        "partner_score": snapshot.score,
        "metadata": metadata,
    }


class PartnerApi:
    """The four calls, bound to the app's settings, SQL store and Temporal gateway."""

    def __init__(self, settings: Settings, engine: Engine, gateway: TemporalGateway) -> None:
        self.settings = settings
        self.engine = engine
        self.gateway = gateway

    async def assessments(self) -> AssessmentClient:
        return AssessmentClient(await self.gateway.client(), self.settings)

    def denied(self, request: Request) -> JSONResponse | None:
        return check_partner_key(request.headers.get("authorization"), self.settings.assessment_partner_key)

    async def list_tests(
        self, request: Request, catalog: PartnerCatalog = Depends(partner_catalog)
    ) -> JSONResponse | list[dict[str, str]]:
        """`[{"partner_test_id", "partner_test_name"}]`, both strings."""
        if (answer := self.denied(request)) is not None:
            return answer
        try:
            tests = await catalog.tests()
        except ProviderError as exc:
            return _provider_failure(exc)
        return [{"partner_test_id": test.test_id, "partner_test_name": test.name} for test in tests]

    async def send_test(
        self, request: Request, catalog: PartnerCatalog = Depends(partner_catalog)
    ) -> JSONResponse | dict[str, str]:
        """Start (or find) the assessment of this application and test; answer its id at once."""
        if (answer := self.denied(request)) is not None:
            return answer
        body = await _parse(request, SendTestBody)
        if isinstance(body, JSONResponse):
            return body
        try:
            application_id = application_id_from_profile(body.candidate.greenhouse_profile_url)
            callback = check_callback_url(
                body.url,
                extra_host=_host_of(self.settings.greenhouse_base_url),
                allow_http=self.settings.is_development,
            )
        except InputError as exc:
            return await self._refuse(body, exc)
        try:
            test = await catalog.find(body.partner_test_id)
        except ProviderError as exc:
            return _provider_failure(exc)
        if test is None:
            return _error(404, "unknown partner_test_id")
        start = request_for_test(
            test,
            application_id,
            source="partner",
            partner_callback_url=callback,
            policy=self.settings.assessment_policy,
            expected_email_sha256=email_digest(body.candidate.email) if body.candidate.email else None,
        )
        try:
            handle = await (await self.assessments()).start(start)
        except (TemporalUnavailableError, RPCError) as exc:
            return _temporal_failure(exc)
        log.info("partner_send_test", workflow_id=handle.id)
        return {"partner_interview_id": handle.id}

    async def _refuse(self, body: SendTestBody, exc: InputError) -> JSONResponse:
        """A send_test we cannot act on: recorded for the operator, answered 422 naming the field."""
        detail = f"refused: {exc}"
        await run_in_threadpool(
            lambda: record_error(
                self.engine,
                reported_by="hireflow",
                api_call="send_test",
                detail=detail,
                partner_test_id=body.partner_test_id,
            )
        )
        log.warning("partner_send_test_refused", field=exc.field)
        return _error(422, str(exc), field=exc.field)

    async def test_status(self, request: Request) -> JSONResponse | dict[str, Any]:
        """The workflow's own answer: running state, or `complete` with the score; 404 for ids not ours."""
        if (answer := self.denied(request)) is not None:
            return answer
        workflow_id = request.query_params.get("partner_interview_id")
        if workflow_id is None:
            return _error(422, "partner_interview_id is required")
        if not valid_interview_id(workflow_id):
            return _error(404, "unknown partner_interview_id")
        try:
            found = await self._snapshot(workflow_id)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return _error(404, "unknown partner_interview_id")
            return _temporal_failure(exc)
        except (TemporalUnavailableError, WorkflowQueryFailedError) as exc:
            return _temporal_failure(exc)
        if found is None:
            return _error(404, "unknown partner_interview_id")
        error = await run_in_threadpool(latest_error, self.engine, workflow_id)
        detail = f"{error.api_call}: {error.detail}" if error else None
        if isinstance(found, str):  # closed without a result (terminated, failed, timed out)
            return {"partner_status": found, "metadata": {"error": detail} if detail else {}}
        return status_answer(found, self.settings.workflow_ui_url(workflow_id), detail)

    async def _snapshot(self, workflow_id: str) -> AssessmentStatusSnapshot | str | None:
        """The running workflow's status query or the completed one's result; a closed one's status
        name when it has no result; None when the id names another kind of workflow."""
        client = await self.assessments()
        handle = client.handle(workflow_id)
        description = await handle.describe()
        if description.workflow_type != WORKFLOW:
            return None
        if description.status == WorkflowExecutionStatus.RUNNING:
            return await client.status(workflow_id)
        if description.status == WorkflowExecutionStatus.COMPLETED:
            return await handle.result()
        return description.status.name.lower() if description.status else "unknown"

    async def response_error(self, request: Request) -> JSONResponse | dict[str, str]:
        """Recorded (and shown in test_status as `error`); always 200 for a well-formed report."""
        if (answer := self.denied(request)) is not None:
            return answer
        body = await _parse(request, ResponseErrorBody)
        if isinstance(body, JSONResponse):
            return body
        workflow_id = body.partner_interview_id if valid_interview_id(body.partner_interview_id) else None
        detail = "; ".join(body.errors) or "(no detail)"
        await run_in_threadpool(
            lambda: record_error(
                self.engine,
                reported_by="greenhouse",
                api_call=body.api_call,
                detail=detail,
                workflow_id=workflow_id,
                partner_test_id=body.partner_test_id,
            )
        )
        log.warning(
            "partner_response_error", api_call=body.api_call, workflow_id=workflow_id, errors=len(body.errors)
        )
        return {"status": "recorded"}


def assessment_partner_router(settings: Settings, engine: Engine, gateway: TemporalGateway) -> APIRouter:
    """The Partner API's routes, JSON only (mounted by `web.app.create_app`)."""
    api = PartnerApi(settings, engine, gateway)
    router = APIRouter(prefix=PREFIX)
    router.add_api_route("/list_tests", api.list_tests, methods=["GET"], response_model=None)
    router.add_api_route("/send_test", api.send_test, methods=["POST"], response_model=None)
    router.add_api_route("/test_status", api.test_status, methods=["GET"], response_model=None)
    router.add_api_route("/response_error", api.response_error, methods=["POST"], response_model=None)
    return router


def _host_of(url: str) -> str | None:
    return (urlsplit(url).hostname or "").lower() or None
