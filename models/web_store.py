"""SQL tables the web app needs: Greenhouse webhook deliveries already handled, auto-schedule rules,
and the inbound-mail webhook tokens already claimed (Mailgun replay protection shared by every replica).

Kept in the same SQLModel metadata as `models/store.py`, so `init_db` creates them with the rest.
Greenhouse retries a delivery for ~15 h and may deliver twice; the processed-event table survives
restarts so a duplicate is acknowledged without acting again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.store import UTCDateTime


class ProcessedWebhookEvent(SQLModel, table=True):
    """A Greenhouse delivery (by its `Greenhouse-Event-ID`) that was handled successfully."""

    __tablename__ = "processed_webhook_event"

    event_id: str = Field(primary_key=True, max_length=200)
    action: str = Field(max_length=100)
    outcome: str = Field(default="", max_length=200)
    processed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class StageAutoScheduleRule(SQLModel, table=True):
    """Moving an application into this stage starts scheduling by itself.

    Match by `job_interview_stage_id` (exact, preferred) or by `job_id` + `stage_name`
    (case-insensitive), which survives the stage being re-created in the job's plan.
    """

    __tablename__ = "stage_auto_schedule_rule"
    __table_args__ = (UniqueConstraint("job_id", "stage_name", name="uq_rule_job_stage_name"),)

    id: int | None = Field(default=None, primary_key=True)
    job_interview_stage_id: int | None = Field(default=None, index=True, unique=True, sa_type=BigInteger)
    job_id: int | None = Field(default=None, index=True, sa_type=BigInteger)
    stage_name: str | None = Field(default=None, max_length=200)
    enabled: bool = True
    note: str = Field(default="", max_length=500)


class InboundWebhookClaim(SQLModel, table=True):
    """A signed inbound-mail post (Mailgun's per-post `token`) being or already handled.

    The row is inserted BEFORE the reply is dispatched: the primary key makes the insert the claim, so
    of concurrent duplicates exactly one proceeds. A dispatch that fails (503) deletes its row so the
    provider's retry is accepted. Rows older than the freshness window are pruned: a post that old is
    refused by its timestamp anyway.
    """

    __tablename__ = "inbound_webhook_claim"

    token: str = Field(primary_key=True, max_length=200)
    provider: str = Field(max_length=20)
    claimed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
