"""Hireflow settings, read once from `HIREFLOW_*` environment variables (and an optional `.env`).

Secrets are `SecretStr` so they never end up in logs or reprs. Everything defaults to the embedded
stack on loopback, so a fresh clone runs without any configuration.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from models.assessment_io import AssessmentPolicy
from models.assessments import ProviderName
from models.command_authorisation import CommandRoles
from models.messages import SchedulingPolicy
from models.retention import RetentionPolicy


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
    environment: Literal["production", "development"] = Field(
        default="production",
        description=(
            "production refuses public default secrets and fails closed on unauthenticated inbound posts; "
            "`hireflow dev` and `hireflow demo` run as development with generated local secrets."
        ),
    )

    @property
    def is_development(self) -> bool:
        """True only for the embedded local stack (`hireflow dev`, `hireflow demo`, tests that say so)."""
        return self.environment == "development"

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

    # The mirror of the organisation (SyncWorkflow; docs/mirror.md)
    sync_enabled: bool = Field(
        default=True, description="`hireflow dev` and `hireflow sync run` keep the SQL mirror current."
    )
    sync_interval_seconds: float = Field(default=60.0, gt=0, description="Between incremental passes.")
    sync_org_every_passes: int = Field(
        default=5, ge=1, description="Jobs, stages, users, offices, ... are listed every N passes."
    )
    sync_reconcile_hours: float = Field(default=24.0, gt=0, description="Between full reconciliations.")
    sync_overlap_seconds: float = Field(
        default=120.0, ge=0, description="Each listing starts this long before the previous one ended."
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

    # Security: payload encryption and codec server (owned by integrations/payload_codec; docs/security.md)
    payload_encryption_keys: SecretStr | None = Field(
        default=None,
        description=(
            "AES-256 keys for Temporal payloads, `id1:base64-32-bytes,id2:...`: the first encrypts, all "
            "decrypt (rotation). Required in production; `hireflow keys generate` prints an entry."
        ),
    )
    codec_cors_origins: str = Field(
        default="",
        description=(
            "Comma-separated browser origins allowed to call the codec server (/codec); empty means the "
            "origin of temporal_ui_url."
        ),
    )
    codec_auth_tokens: SecretStr | None = Field(
        default=None,
        description="Comma-separated bearer tokens accepted by the codec server (e.g. for `temporal --codec-auth`).",
    )
    codec_trust_proxy_auth: bool = Field(
        default=False,
        description=(
            "Accept codec calls without a token because an SSO proxy in front of every route to /codec "
            "authenticates them (the UI then sends cookies: TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true)."
        ),
    )

    # Security: input limits and inbound authentication (owned by web/; docs/security.md)
    web_max_body_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description=(
            "Largest request body for Greenhouse webhooks (/webhooks/*), the candidate's forms (/s/*) and "
            "every other route except inbound mail; a larger body gets 413 before any of it is read."
        ),
    )
    sourcing_max_body_bytes: int = Field(
        default=40 * 1024 * 1024,
        gt=0,
        description=(
            "Largest body of POST /api/v1/sourcing/candidates (a batch with inline résumés); each résumé "
            "is also limited to 10 MB decoded, checked per row (docs/sourcing.md)."
        ),
    )
    inbound_mail_max_bytes: int = Field(
        default=25 * 1024 * 1024,
        gt=0,
        description=(
            "Largest inbound-mail post (/inbound/sendgrid, /inbound/mailgun: 413 above it) and largest "
            "message the dev stack's SMTP sink accepts (552 above it)."
        ),
    )

    # Security: who may command Hireflow by @mention (owned by activities/mentions; docs/security.md)
    mention_command_roles: Annotated[CommandRoles, NoDecode] = Field(
        default_factory=CommandRoles.default,
        description=(
            "Who may give each @mention command: JSON object of command (or `*`) -> grants among site_admin, "
            "recruiter, coordinator, job_admin:<role name>, job_admin:*; a JSON or comma-separated list "
            "applies to every command (docs/configuration.md)."
        ),
    )

    # Assessments: Greenhouse's Assessment Partner API (web/assessment_partner; docs/assessments.md)
    assessment_partner_key: SecretStr | None = Field(
        default=None,
        description="Greenhouse's partner key (HTTP Basic user name, empty password); `hireflow dev` uses dev-partner-key.",
    )
    assessment_partner_provider: ProviderName = Field(
        default="embedded",
        description="Whose tests Greenhouse's Send Test offers (embedded, hackerearth, hackerrank).",
    )

    # Sourcing: how long a consent basis keeps a sourced candidate (docs/sourcing.md "Retention")
    retention: RetentionPolicy = Field(
        default_factory=RetentionPolicy,
        description='JSON in the environment, e.g. HIREFLOW_RETENTION=\'{"consent_days": 365, "notice_days": 30}\'.',
    )

    # Assessments: providers (owned by integrations/assessments; docs/assessments.md)
    assessment_policy: AssessmentPolicy = Field(
        default_factory=AssessmentPolicy,
        description="Timing of every assessment (deadline, reminders; JSON in the environment); a stage "
        "mapping's --deadline-days and --remind-hours override it.",
    )
    assessment_sandbox_url: str = Field(
        default="http://127.0.0.1:8710", description="The embedded assessment provider's API."
    )
    assessment_sandbox_token: SecretStr = Field(
        default=SecretStr("sandbox-assessments-token"), description="Bearer token of its /api/*."
    )
    assessment_webhook_secret: SecretStr = Field(
        default=SecretStr("sandbox-assessment-webhook-secret"),
        description="HMAC secret of the sandbox's X-Assessment-Signature completion webhooks.",
    )
    hackerearth_client_id: str | None = Field(
        default=None, description="HackerEarth Recruiter API client id."
    )
    hackerearth_client_secret: SecretStr | None = None
    hackerearth_webhook_secret: SecretStr | None = Field(
        default=None,
        description="HackerEarth's webhooks secret key (HE-Signature); without it webhooks are refused.",
    )
    hackerrank_token: SecretStr | None = Field(default=None, description="HackerRank for Work API token.")
    assessment_report_max_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, description="Largest PDF report fetched from a provider."
    )

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
