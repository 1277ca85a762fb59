"""What one running sandbox holds: its config, store, webhook sender, faults and clock."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from sandbox.assessments.config import AssessmentSandboxConfig
from sandbox.assessments.mailer import InvitationMailer
from sandbox.assessments.store import InvitationStore
from sandbox.assessments.webhooks import WebhookSender


class Faults(BaseModel):
    """Injected on `/api/*`: `latency_ms` on every call, `status` with probability `error_rate`;
    `lose_webhooks` drops every event (recorded as lost, never sent)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: int = Field(default=0, ge=0, le=60_000)
    error_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    status: int | None = Field(default=None, ge=400, le=599)
    lose_webhooks: bool = False


class SandboxClock:
    """Wall-clock UTC plus an offset the admin API can move forward (to reach deadlines in tests)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class SandboxState:
    config: AssessmentSandboxConfig
    store: InvitationStore
    clock: SandboxClock
    webhooks: WebhookSender
    mailer: InvitationMailer
    faults: Faults = field(default_factory=Faults)
    rng: random.Random = field(default_factory=lambda: random.Random(11))
    base_url: str = "http://127.0.0.1:8710"

    @classmethod
    def build(cls, config: AssessmentSandboxConfig) -> SandboxState:
        clock = SandboxClock()
        return cls(
            config=config,
            store=InvitationStore(config.state_dir),
            clock=clock,
            webhooks=WebhookSender(
                secret=config.webhook_secret,
                retry_delays=config.retry_delays,
                timeout=config.webhook_timeout_seconds,
            ),
            mailer=InvitationMailer(
                host=config.smtp_host,
                port=config.smtp_port,
                sender=config.mail_from,
                retry_delays=config.retry_delays,
            ),
            base_url=(config.public_base_url or "http://127.0.0.1:8710").rstrip("/"),
        )

    def callback_for(self, callback_url: str | None) -> str | None:
        return callback_url or self.config.webhook_url

    def test_url(self, token: str) -> str:
        return f"{self.base_url}/take/{token}"

    def report_url(self, invitation_id: str) -> str:
        return f"{self.base_url}/api/invitations/{invitation_id}/report.pdf"
