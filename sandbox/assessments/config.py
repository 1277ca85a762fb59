"""Configuration of the assessment sandbox: one pydantic model shared by the CLI, the tests and the app."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_TOKEN = "sandbox-assessments-token"
DEFAULT_WEBHOOK_SECRET = "sandbox-assessment-webhook-secret"


class AssessmentSandboxConfig(BaseModel):
    """`state_dir=None` keeps invitations in memory (tests); otherwise in `<state_dir>/assessments.db`."""

    model_config = ConfigDict(frozen=True)

    token: str = Field(default=DEFAULT_TOKEN, min_length=8, max_length=512)
    webhook_secret: str = Field(default=DEFAULT_WEBHOOK_SECRET, min_length=8, max_length=512)
    webhook_url: str | None = Field(default=None, max_length=2000)
    state_dir: Path | None = None
    public_base_url: str | None = Field(
        default=None, max_length=500, description="Base of test and report links; default: where it listens."
    )
    retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    expiry_sweep_seconds: float = Field(default=5.0, gt=0, description="How often deadlines are checked.")
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    smtp_host: str | None = Field(
        default=None, max_length=255, description="Where invitation emails go (plain SMTP); None: none sent."
    )
    smtp_port: int = Field(default=2525, ge=1, le=65535)
    mail_from: str = Field(default="Skills Tests <tests@assessments.hireflow.local>", max_length=320)
