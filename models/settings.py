"""Hireflow settings, read once from `HIREFLOW_*` environment variables (and an optional `.env`).

Secrets are `SecretStr` so they never end up in logs or reprs. Everything defaults to the embedded
stack on loopback, so a fresh clone runs without any configuration.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.messages import SchedulingPolicy


class Settings(BaseSettings):
    """Process-wide configuration. Construct with keyword overrides in tests."""

    model_config = SettingsConfigDict(env_prefix="HIREFLOW_", env_file=".env", extra="ignore")

    state_dir: Path = Field(
        default=Path(".hireflow"), description="Where the embedded stack keeps its files."
    )
    log_format: str = Field(
        default="auto", description="auto (console on a TTY, JSON otherwise), console, json."
    )
    log_level: str = "INFO"

    # Temporal
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_api_key: SecretStr | None = None
    temporal_ui_url: str = "http://127.0.0.1:8233"
    task_queue: str = "hireflow-main"
    harvest_task_queue: str = "hireflow-harvest"
    planner_task_queue: str = "hireflow-planner"

    # Greenhouse Harvest v3
    greenhouse_base_url: str = "http://127.0.0.1:8700"
    greenhouse_token_url: str = "http://127.0.0.1:8700/token"
    greenhouse_client_id: str = "hireflow-sandbox"
    greenhouse_client_secret: SecretStr = SecretStr("sandbox-secret")
    greenhouse_user_id: int | None = Field(
        default=None, description="Greenhouse user id of the Hireflow account, used as the token `sub`."
    )
    greenhouse_rate_limit: int = Field(default=75, description="Requests per window the fleet may use.")
    greenhouse_webhook_secret: SecretStr = SecretStr("sandbox-webhook-secret")
    mention_name: str = Field(
        default="Hireflow",
        description="Display name recruiters @mention; matched in `body` and `body_with_tags`.",
    )
    mention_watch_interval_seconds: float = Field(
        default=30.0, gt=0, description="How often the MentionWatch schedule lists new notes."
    )

    # Scheduling requests
    scheduling_policy: SchedulingPolicy = Field(
        default_factory=SchedulingPolicy,
        description="Policy of every request started by a mention, webhook or the CLI (JSON in the environment).",
    )

    # SQL store (configuration, outbox, read model)
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite under state_dir.")

    # Calendars and mail
    caldav_url: str = "http://127.0.0.1:5232"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    mail_from: str = "Hireflow Scheduling <scheduling@hireflow.local>"
    reply_domain: str = "hireflow.local"
    signing_secret: SecretStr = SecretStr("dev-signing-secret-change-me")

    # Web
    web_base_url: str = "http://127.0.0.1:8000"

    # Mail (owned by integrations/mail): templates, sink, inbound webhooks
    mail_template_dir: Path | None = Field(
        default=None, description="Directory searched before the built-in email templates (overrides)."
    )
    mail_maildir: Path | None = Field(default=None, description="SMTP sink Maildir (default state_dir/mail).")
    mailgun_signing_key: SecretStr | None = Field(default=None, description="Mailgun webhook signing key.")
    inbound_webhook_token: SecretStr | None = Field(
        default=None, description="Shared secret SendGrid must pass as ?token=... (it cannot sign posts)."
    )
    smtp_ca_file: Path | None = Field(default=None, description="CA bundle for a relay with a private CA.")
    inbound_max_age_seconds: int = Field(default=300, description="Oldest Mailgun post accepted, seconds.")

    # Calendars and video (owned by integrations/calendar; see docs/calendars.md)
    calendar_provider: Literal["caldav", "google", "microsoft"] = "caldav"
    calendar_organizer: str = Field(
        default="scheduling@hireflow.local", description="Mailbox whose calendar owns booked events."
    )
    caldav_username: str = "hireflow"
    caldav_password: SecretStr | None = None
    google_service_account_file: Path | None = Field(default=None, description="Service-account key JSON.")
    google_delegated_subject: str | None = Field(
        default=None, description="Workspace user impersonated for freeBusy and the room directory."
    )
    google_send_updates: Literal["all", "externalOnly", "none"] = "all"
    microsoft_tenant_id: str | None = None
    microsoft_client_id: str | None = None
    microsoft_client_secret: SecretStr | None = None
    video_provider: Literal["jitsi", "zoom", "native", "none"] = Field(
        default="jitsi", description="native = Meet on Google, Teams on Microsoft."
    )
    jitsi_base_url: str = "https://meet.jit.si"
    zoom_account_id: str | None = None
    zoom_client_id: str | None = None
    zoom_client_secret: SecretStr | None = None

    def workflow_ui_url(self, workflow_id: str) -> str:
        """The page of one workflow in the Temporal Web UI (printed by commands, written in notes and mail)."""
        return f"{self.temporal_ui_url}/namespaces/{self.temporal_namespace}/workflows/{workflow_id}"

    def resolved_maildir(self) -> Path:
        """The sink's Maildir: the configured one or `.hireflow/mail`."""
        return self.mail_maildir if self.mail_maildir is not None else self.state_dir / "mail"

    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file inside the state directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.state_dir / 'hireflow.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read from the environment on first use."""
    return Settings()
