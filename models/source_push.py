"""Status push-back to a sourcing tool (issue 12, docs/sourcing.md "Status push-back").

When an application a source brought in changes in Greenhouse (a stage change, a rejection, a hire),
the source's webhook gets one signed POST per change. The event carries ids and statuses only: no
names or addresses enter the workflow's history or the source's request.
"""

from __future__ import annotations

import hashlib
import hmac

from pydantic import AwareDatetime, BaseModel, Field

PUSH_ACTIONS = {"candidate_stage_change": "stage", "reject_candidate": "rejected", "hire_candidate": "hired"}
# What a source hears when its mapping says nothing of a change (`hireflow source map` overrides it).
DEFAULT_STATUS_MAP = {"hired": "hired", "rejected": "rejected", "stage": "in_process"}
SIGNATURE_HEADER = "Hireflow-Signature"
EVENT_ID_HEADER = "Hireflow-Event-Id"


class SourceStatusEvent(BaseModel):
    """The body posted to the source's webhook (field for field; docs/sourcing.md)."""

    event_id: str = Field(max_length=200)
    source: str
    external_id: str
    candidate_id: int
    application_id: int
    status: str = Field(description="The source's own status, from the source's mapping.")
    greenhouse_action: str
    stage_name: str | None = None
    occurred_at: AwareDatetime


class PushStatusInput(BaseModel):
    """Input of SourceStatusPushWorkflow and its activity: where to post what."""

    webhook_url: str
    event: SourceStatusEvent


class PushStatusResult(BaseModel):
    outcome: str = Field(description="delivered | refused | undelivered")
    attempts: int = 0
    http_status: int | None = None
    detail: str = ""


def mapped_status(status_map: dict[str, str], kind: str, stage_name: str | None) -> str | None:
    """The source's status for a change: `stage:<name>` first, then the kind; '' in a map means 'do not tell'."""
    merged = {**DEFAULT_STATUS_MAP, **status_map}
    if kind == "stage" and stage_name and f"stage:{stage_name}" in merged:
        value = merged[f"stage:{stage_name}"]
    else:
        value = merged.get(kind, "")
    return value or None


def source_signing_secret(signing_secret: str, source: str) -> str:
    """Each source's webhook secret, derived from Hireflow's signing secret (nothing more to store)."""
    return hmac.new(signing_secret.encode(), f"source-webhook:{source}".encode(), hashlib.sha256).hexdigest()


def sign_push(body: bytes, secret: str) -> str:
    """`sha256=<hex HMAC-SHA256 of the raw body>`, as GitHub-style receivers check it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def push_workflow_id(source: str, event_id: str, external_id: str) -> str:
    """One push per change and source record: a redelivered webhook finds the same workflow."""
    digest = hashlib.sha256(f"{event_id}\x00{external_id}".encode()).hexdigest()[:24]
    return f"source-push-{source}-{digest}"
