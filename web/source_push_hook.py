"""Greenhouse changes to sourced applications become status pushes to their sources (docs/sourcing.md).

Called by the Greenhouse webhook endpoint for stage changes, rejections and hires: each source record
the application came from, whose source has a webhook URL and whose mapping names a status for the
change, gets a SourceStatusPushWorkflow. Its id names the change and the record, so a redelivery
starts nothing new; when Temporal cannot be reached the endpoint answers 503 and Greenhouse redelivers.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from integrations.logs import get_logger
from integrations.sourcing_store import SourcePushStore
from models.settings import Settings
from models.source_push import (
    PUSH_ACTIONS,
    PushStatusInput,
    SourceStatusEvent,
    mapped_status,
    push_workflow_id,
)
from web.webhook_payloads import ApplicationPayload, Envelope

log = get_logger(__name__)
WORKFLOW = "SourceStatusPushWorkflow"


class SourcePushHook:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.store = SourcePushStore(engine)

    def wants(self, action: str) -> bool:
        return action in PUSH_ACTIONS

    async def on_change(self, client: Client, envelope: Envelope, event_id: str) -> int:
        """Start the pushes this change calls for; returns how many (0 for applications no source sent)."""
        application = ApplicationPayload.model_validate(envelope.payload).application
        records = await run_in_threadpool(self.store.records_for_application, application.id)
        if not records:
            return 0
        kind = PUSH_ACTIONS[envelope.action]
        stage = application.current_stage.name if application.current_stage else None
        # Without Greenhouse's event id, the change itself names the event (a redelivery is the same bytes).
        change_id = (
            event_id
            or "sha256:"
            + hashlib.sha256(
                f"{envelope.action}:{application.id}:{stage}:{application.status}".encode()
            ).hexdigest()[:32]
        )
        started = 0
        for record in records:
            if not record.webhook_url:
                continue
            status_map = await run_in_threadpool(self.store.status_map, record.source)
            status = mapped_status(status_map, kind, stage)
            if status is None:
                continue
            event = SourceStatusEvent(
                event_id=f"{change_id}:{record.external_id}"[:200],
                source=record.source,
                external_id=record.external_id,
                candidate_id=record.candidate_id,
                application_id=application.id,
                status=status,
                greenhouse_action=envelope.action,
                stage_name=stage,
                occurred_at=datetime.now(UTC),
            )
            try:
                await client.start_workflow(
                    WORKFLOW,
                    PushStatusInput(webhook_url=record.webhook_url, event=event),
                    id=push_workflow_id(record.source, change_id, record.external_id),
                    task_queue=self.settings.task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    static_summary=f"Tell {record.source}: application {application.id} {status}",
                )
            except WorkflowAlreadyStartedError:
                continue  # this change was pushed (or is being pushed) already
            started += 1
            log.info(
                "source_push_started", source=record.source, application_id=application.id, status=status
            )
        return started
