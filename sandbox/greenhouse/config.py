"""Configuration of the Greenhouse sandbox: one pydantic model shared by the CLI, fixtures and the app."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, ValidationError, field_validator


class FaultRule(BaseModel):
    """A chaos rule: requests whose path starts with `path_prefix` (and match `method`, if set) are slowed by
    `latency_ms` and, with probability `error_rate`, answered with `status` instead of the real handler.

    `count` limits how many times the rule fires; it is removed once used up.
    """

    path_prefix: str = "/v3"
    status: int | None = Field(default=None, ge=400, le=599)
    error_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    latency_ms: int = Field(default=0, ge=0, le=120_000)
    count: int | None = Field(default=None, ge=1)
    method: str | None = None

    @field_validator("method")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else None

    @field_validator("path_prefix")
    @classmethod
    def _slash(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("path_prefix must start with '/'")
        return value


def parse_fault(spec: str) -> FaultRule:
    """Parse the CLI form `PATH[:key=value,...]`, e.g. `/v3/applications:status=500,rate=0.2,count=3`.

    Keys: status, rate (error_rate), latency (ms), count, method.
    """
    path, _, rest = spec.partition(":")
    values: dict[str, object] = {"path_prefix": path or "/v3"}
    aliases = {
        "rate": "error_rate",
        "error_rate": "error_rate",
        "latency": "latency_ms",
        "latency_ms": "latency_ms",
        "status": "status",
        "count": "count",
        "method": "method",
    }
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in aliases:
            raise ValueError(f"bad fault option {item!r}; use status=, rate=, latency=, count=, method=")
        values[aliases[key.strip()]] = value.strip()
    try:
        return FaultRule.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
        )
        raise ValueError(f"bad fault {spec!r}: {problems}") from None


class SandboxConfig(BaseModel):
    """Everything that shapes one sandbox instance. Defaults give an in-memory org that is ready in a second."""

    database_url: str = Field(
        default="sqlite://", description="SQLAlchemy URL: in-memory SQLite, a file, or PostgreSQL."
    )
    seed: int = 7
    candidates: int = Field(default=200, ge=0, le=200_000)
    rate_limit: int = Field(default=75, ge=1)
    rate_window_seconds: float = Field(default=30.0, gt=0)
    token_rate_limit: int = Field(default=1000, ge=1, description="Token requests per client per window.")
    token_rate_window_seconds: float = Field(default=60.0, gt=0)
    token_ttl_seconds: int = Field(default=3600, ge=1)
    client_id: str = "hireflow-sandbox"
    client_secret: str = "sandbox-secret"
    webhook_url: str | None = None
    webhook_secret: str = "sandbox-webhook-secret"
    webhook_retry_delays: list[float] = Field(
        default_factory=lambda: [60.0, 900.0, 3600.0, 7200.0, 14400.0, 28800.0],
        description="Seconds between delivery attempts after a failure (Greenhouse: 1 m, 15 m, 1 h, 2 h, 4 h, 8 h).",
    )
    webhook_timeout_seconds: float = 10.0
    attachment_max_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=1,
        description="Largest attachment accepted, inline or fetched from `url` (Greenhouse's limit is unpublished).",
    )
    attachment_fetch_timeout_seconds: float = Field(default=20.0, gt=0)
    public_base_url: str | None = Field(
        default=None, description="Base for absolute Link headers; default: request."
    )
    seed_now: datetime | None = Field(
        default=None,
        description="Anchor for seeded timestamps; default: today 00:00 UTC (stable within a day).",
    )
    faults: list[FaultRule] = Field(default_factory=list)
    reset: bool = Field(
        default=False,
        description="Reseed even if the database already holds an org seeded with the same settings.",
    )
