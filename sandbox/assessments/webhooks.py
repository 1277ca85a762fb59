"""Signed event webhooks (`invitation.started|completed|expired`), delivered in the background with retries.

A delivery never blocks the request that caused it. Retries of one event resend the same body (same
`event_id`, so receivers can de-duplicate) with a fresh signature timestamp, as vendors do. The `lose_webhooks`
fault records an event as lost and sends nothing: what a receiver sees when a vendor drops one.
Signatures carry the wall-clock time even when the sandbox clock was advanced, so receivers' freshness
checks still pass; `occurred_at` in the body follows the sandbox clock.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import structlog

log = structlog.get_logger("sandbox.assessments.webhooks")
EventType = Literal["invitation.started", "invitation.completed", "invitation.expired"]
SIGNATURE_HEADER = "X-Assessment-Signature"
KEEP_DELIVERIES = 500


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _redacted(url: str) -> str:
    """The URL without its query string or credentials (either could hold a receiver's secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


@dataclass
class Attempt:
    status: int | None
    error: str | None


@dataclass
class Delivery:
    """One event's delivery record, listed by `GET /_sandbox/webhooks`."""

    event_id: str
    type: EventType
    invitation_id: str
    url: str
    lost: bool = False
    delivered: bool = False
    attempts: list[Attempt] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.type,
            "invitation_id": self.invitation_id,
            "url": _redacted(self.url),
            "lost": self.lost,
            "delivered": self.delivered,
            "attempts": [{"status": a.status, "error": a.error} for a in self.attempts],
        }


@dataclass
class WebhookSender:
    secret: str
    retry_delays: tuple[float, ...]
    timeout: float
    deliveries: list[Delivery] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _client: httpx.AsyncClient | None = None

    def emit(
        self,
        url: str | None,
        type_: EventType,
        invitation_id: str,
        test_id: str,
        occurred_at: datetime,
        *,
        lose: bool = False,
    ) -> Delivery | None:
        """Queue one event (from the event loop); a no-op without a URL."""
        if not url:
            return None
        delivery = Delivery(event_id=str(uuid.uuid4()), type=type_, invitation_id=invitation_id, url=url)
        self.deliveries.append(delivery)
        del self.deliveries[:-KEEP_DELIVERIES]
        if lose:
            delivery.lost = True
            log.info("webhook_lost_by_fault", type=type_, event_id=delivery.event_id)
            return delivery
        body = json.dumps(
            {
                "event_id": delivery.event_id,
                "type": type_,
                "invitation_id": invitation_id,
                "test_id": test_id,
                "occurred_at": occurred_at.isoformat(),
            },
            separators=(",", ":"),
        ).encode()
        task = asyncio.get_running_loop().create_task(self._deliver(delivery, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def _deliver(self, delivery: Delivery, body: bytes) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        for delay in (0.0, *self.retry_delays):
            if delay:
                await asyncio.sleep(delay)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "Hireflow-Assessment-Sandbox/1.0",
                SIGNATURE_HEADER: sign(self.secret, int(time.time()), body),
            }
            try:
                response = await self._client.post(delivery.url, content=body, headers=headers)
                delivery.attempts.append(Attempt(response.status_code, None))
                if 200 <= response.status_code < 300:
                    delivery.delivered = True
                    log.info("webhook_delivered", type=delivery.type, event_id=delivery.event_id)
                    return
            except httpx.HTTPError as exc:
                delivery.attempts.append(Attempt(None, type(exc).__name__))
            log.warning(
                "webhook_attempt_failed",
                type=delivery.type,
                event_id=delivery.event_id,
                attempt=len(delivery.attempts),
                status=delivery.attempts[-1].status,
                error=delivery.attempts[-1].error,
            )
        log.error("webhook_gave_up", type=delivery.type, event_id=delivery.event_id)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
