"""`POST /webhooks/assessments/<provider>`: a provider says a candidate started or finished a test.

The provider verifies its own signature (`parse_webhook`: HMAC over the raw body, freshness); each
event is mapped to the workflow that sent the invitation (`assessment_invitation`) and delivered as
the `provider_event` signal, which counts each event id once. Answers follow providers' retry rules:
401 for a forged or stale post, 200 for events that match nothing (retrying cannot help), 503 while
Temporal is unreachable (retry later).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from temporalio.service import RPCError

from integrations.assessment_client import AssessmentClient
from integrations.assessment_index import AssessmentIndex
from integrations.assessments.provider import AssessmentProvider
from integrations.logs import get_logger
from models.assessments import InvalidWebhookError, ProviderError
from models.settings import Settings
from web.temporal import TemporalGateway, TemporalUnavailableError

log = get_logger(__name__)
PROVIDERS = ("embedded", "hackerearth", "hackerrank")


def assessment_webhook_router(
    settings: Settings,
    engine: Engine,
    gateway: TemporalGateway,
    providers: Callable[[str], AssessmentProvider],
) -> APIRouter:
    router = APIRouter(tags=["webhooks"])
    index = AssessmentIndex(engine)

    @router.post("/webhooks/assessments/{provider}")
    async def provider_webhook(provider: str, request: Request) -> JSONResponse:
        if provider not in PROVIDERS:
            return JSONResponse({"error": "unknown provider"}, status_code=404)
        if provider == "embedded" and not settings.is_development:  # its secret is public: dev only
            return JSONResponse({"error": "the embedded provider runs only in development"}, status_code=404)
        raw = await request.body()
        try:
            events = providers(provider).parse_webhook(dict(request.headers), raw, datetime.now(UTC))
        except InvalidWebhookError as error:
            log.warning("assessment_webhook_refused", provider=provider, reason=str(error)[:200])
            return JSONResponse({"error": "invalid webhook signature or body"}, status_code=401)
        except ProviderError as error:  # not configured here
            return JSONResponse({"error": str(error)[:200]}, status_code=503)
        delivered = 0
        for event in events:
            workflow_id = await index.workflow_of(provider, event.invitation_id, event.test_id, event.email)
            if workflow_id is None:
                log.info("assessment_webhook_unmatched", provider=provider, kind=event.kind)
                continue
            try:
                client = AssessmentClient(await gateway.client(), settings)
                await client.provider_event(workflow_id, event)
            except (TemporalUnavailableError, RPCError) as error:
                log.warning(
                    "assessment_webhook_undelivered", workflow_id=workflow_id, error=type(error).__name__
                )
                return JSONResponse({"error": "could not be delivered; retry later"}, status_code=503)
            delivered += 1
            log.info("assessment_webhook_delivered", workflow_id=workflow_id, kind=event.kind)
        return JSONResponse({"status": "accepted" if delivered else "ignored", "delivered": delivered})

    return router
