"""The web app's way to Temporal: one lazily connected client, and lookups of scheduling workflows.

The client comes from an injected factory (tests pass their environment's client), so the app
starts even when Temporal is down and `/healthz` can say so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio.client import Client

from models.messages import SchedulingStatusSnapshot
from workflows.scheduling import SchedulingWorkflow

ClientFactory = Callable[[], Awaitable[Client]]
MAX_SCANNED = 2000


class TemporalUnavailableError(RuntimeError):
    """Temporal cannot be reached right now."""


class TemporalGateway:
    """Connects once on first use and reuses the client; a failed connect is retried next time."""

    def __init__(self, factory: ClientFactory) -> None:
        self._factory = factory
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await self._factory()
                except Exception as exc:  # connection errors come in many types
                    raise TemporalUnavailableError(f"cannot connect to Temporal: {exc}") from exc
            return self._client


async def running_workflow_ids(client: Client, application_id: int) -> list[str]:
    """Ids of the application's running SchedulingWorkflows (visibility query)."""
    query = (
        f"WorkflowType = 'SchedulingWorkflow' AND ApplicationId = {int(application_id)} "
        "AND ExecutionStatus = 'Running'"
    )
    return [wf.id async for wf in client.list_workflows(query, limit=MAX_SCANNED)]


async def workflows_booking_interview(client: Client, greenhouse_interview_id: int) -> list[str]:
    """Running workflows whose current booking holds this Greenhouse interview (scan + status query).

    Used when an `interview_deleted` delivery does not say which application it belongs to.
    """
    query = (
        "WorkflowType = 'SchedulingWorkflow' AND ExecutionStatus = 'Running' "
        "AND SchedulingStatus IN ('scheduled', 'replacing_interviewer', 'escalated')"
    )
    found: list[str] = []
    async for wf in client.list_workflows(query, limit=MAX_SCANNED):
        handle = client.get_workflow_handle_for(SchedulingWorkflow.run, wf.id)
        status: SchedulingStatusSnapshot = await handle.query(
            SchedulingWorkflow.status, rpc_timeout=timedelta(seconds=10)
        )
        if status.booking and any(
            s.greenhouse_interview_id == greenhouse_interview_id for s in status.booking.sessions
        ):
            found.append(wf.id)
    return found
