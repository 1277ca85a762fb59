"""Reads and writes of the web app's tables: the webhook ledger, the auto-schedule rules and the
inbound-mail replay claims.

Synchronous SQLModel calls; the async routes run them in a worker thread.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.web_store import InboundWebhookClaim, ProcessedWebhookEvent, StageAutoScheduleRule


def already_processed(engine: Engine, event_id: str) -> bool:
    """True when this delivery was handled before (a Greenhouse retry or duplicate)."""
    with Session(engine) as session:
        return session.get(ProcessedWebhookEvent, event_id) is not None


def mark_processed(engine: Engine, event_id: str, action: str, outcome: str) -> None:
    """Remember a handled delivery; a concurrent duplicate that got here first is fine."""
    row = ProcessedWebhookEvent(
        event_id=event_id, action=action[:100], outcome=outcome[:200], processed_at=datetime.now(UTC)
    )
    with Session(engine) as session:
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()


def find_rule(
    engine: Engine, job_interview_stage_id: int, job_id: int | None, stage_name: str
) -> StageAutoScheduleRule | None:
    """The rule for a stage: by stage id first, then by job and stage name. Disabled rules count."""
    with Session(engine) as session:
        rule = session.exec(
            select(StageAutoScheduleRule).where(
                StageAutoScheduleRule.job_interview_stage_id == job_interview_stage_id
            )
        ).first()
        if rule is None and job_id is not None and stage_name:
            rule = _rule_by_name(session, job_id, stage_name)
        return rule


def _rule_by_name(session: Session, job_id: int, stage_name: str) -> StageAutoScheduleRule | None:
    return session.exec(
        select(StageAutoScheduleRule).where(
            StageAutoScheduleRule.job_id == job_id,
            func.lower(col(StageAutoScheduleRule.stage_name)) == stage_name.strip().lower(),
        )
    ).first()


def add_rule(
    engine: Engine,
    *,
    job_interview_stage_id: int | None = None,
    job_id: int | None = None,
    stage_name: str | None = None,
    enabled: bool = True,
    note: str = "",
) -> StageAutoScheduleRule:
    """Store a rule; it needs a stage id, or a job id and a stage name."""
    if job_interview_stage_id is None and (job_id is None or not stage_name):
        raise ValueError("a rule needs job_interview_stage_id, or job_id together with stage_name")
    rule = StageAutoScheduleRule(
        job_interview_stage_id=job_interview_stage_id,
        job_id=job_id,
        stage_name=stage_name.strip() if stage_name else None,
        enabled=enabled,
        note=note,
    )
    with Session(engine) as session:
        session.add(rule)
        session.commit()
        session.refresh(rule)
        return rule


def ensure_rule(engine: Engine, *, job_id: int, stage_name: str) -> StageAutoScheduleRule:
    """The rule for a job's stage name, added (enabled) when there is none; an existing one is kept as
    it is, switched off or not (a restarted dev stack seeds again)."""
    with Session(engine) as session:
        rule = _rule_by_name(session, job_id, stage_name)
    if rule is not None:
        return rule
    try:
        return add_rule(engine, job_id=job_id, stage_name=stage_name)
    except IntegrityError:  # a concurrent seed got there first
        with Session(engine) as session:
            found = _rule_by_name(session, job_id, stage_name)
        if found is None:
            raise
        return found


def claim_inbound_token(engine: Engine, provider: str, token: str, *, keep: timedelta) -> bool:
    """Insert the claim for `token`; False when it exists (a replay or a concurrent duplicate).

    Claims older than `keep` are pruned first (posts that old fail their freshness check anyway).
    """
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.exec(delete(InboundWebhookClaim).where(col(InboundWebhookClaim.claimed_at) < now - keep))
        session.add(InboundWebhookClaim(token=token, provider=provider, claimed_at=now))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
    return True


def release_inbound_token(engine: Engine, token: str) -> None:
    """Drop a claim whose dispatch failed, so the provider's retry of the same post is accepted."""
    with Session(engine) as session:
        session.exec(delete(InboundWebhookClaim).where(col(InboundWebhookClaim.token) == token))
        session.commit()
