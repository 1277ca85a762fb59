"""`post_source_status`: one signed POST of a status change to a sourcing tool's webhook.

Delivery is at least once: the workflow retries this activity with backoff for days, and the source
deduplicates by the `Hireflow-Event-Id` header (the same id on every attempt). A 2xx is delivered; a
408, 425, 429, 5xx or a network error is retried; any other 4xx means the source refuses this event,
and no retry would change that, so the activity fails for good (`SourceRefusedError`).
"""

from __future__ import annotations

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from integrations.logs import get_logger
from models.settings import Settings
from models.source_push import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    PushStatusInput,
    PushStatusResult,
    sign_push,
    source_signing_secret,
)

log = get_logger(__name__)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
RETRYABLE_STATUS = {408, 425, 429}


class SourcePushActivities:
    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.secret = settings.signing_secret.get_secret_value()
        self.transport = transport

    @activity.defn
    async def post_source_status(self, request: PushStatusInput) -> PushStatusResult:
        """POST the event, signed with the source's secret; raise to have Temporal retry."""
        event = request.event
        body = event.model_dump_json().encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Hireflow-Source-Push/1",
            EVENT_ID_HEADER: event.event_id,
            SIGNATURE_HEADER: sign_push(body, source_signing_secret(self.secret, event.source)),
        }
        attempt = activity.info().attempt
        context = {"source": event.source, "application_id": event.application_id, "attempt": attempt}
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT, transport=self.transport) as http:
                answer = await http.post(request.webhook_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("source_push_unreachable", error=type(exc).__name__, **context)
            raise ApplicationError(f"{event.source}'s webhook is unreachable ({type(exc).__name__})") from exc
        if answer.is_success:
            log.info("source_push_delivered", status=answer.status_code, **context)
            return PushStatusResult(outcome="delivered", attempts=attempt, http_status=answer.status_code)
        if answer.status_code in RETRYABLE_STATUS or answer.status_code >= 500:
            log.warning("source_push_retry", status=answer.status_code, **context)
            raise ApplicationError(f"{event.source}'s webhook answered {answer.status_code}")
        log.warning("source_push_refused", status=answer.status_code, **context)
        raise ApplicationError(
            f"{event.source}'s webhook refused the event with {answer.status_code}",
            answer.status_code,
            type="SourceRefusedError",
            non_retryable=True,
        )
