"""Who and what the candidate's page names: the workflow's `SchedulingContext`, read from its history.

The page shows session names and interviewer names (roles, never calendars), but the workflow's
`refresh_options` / `status` answers carry ids only. The context is fixed once gathering ran, and
it is in the history: the gather activity's result, or the carried state of a continued-as-new
run's input. Read once per workflow and cached; if the workflow ever exposes it directly, this
module shrinks to that call.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from temporalio.client import Client

from activities import names
from models.messages import SchedulingContext, SchedulingRequest

CACHE_SIZE = 512
CACHE_SECONDS = 600.0


class ContextCache:
    """Process-local LRU of contexts by workflow id (a new run under the same id expires after a while)."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[float, SchedulingContext]] = OrderedDict()

    def get(self, workflow_id: str) -> SchedulingContext | None:
        item = self._items.get(workflow_id)
        if item is None or time.monotonic() - item[0] > CACHE_SECONDS:
            return None
        self._items.move_to_end(workflow_id)
        return item[1]

    def put(self, workflow_id: str, context: SchedulingContext) -> None:
        self._items[workflow_id] = (time.monotonic(), context)
        self._items.move_to_end(workflow_id)
        while len(self._items) > CACHE_SIZE:
            self._items.popitem(last=False)


async def read_context(client: Client, workflow_id: str) -> SchedulingContext | None:
    """The context of the workflow's current run, or None while it is still gathering."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    converter = client.data_converter
    gather_ids: set[int] = set()
    for event in history.events:
        if event.HasField("workflow_execution_started_event_attributes"):
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            if payloads:
                [request] = await converter.decode(list(payloads)[:1], [SchedulingRequest])
                if isinstance(request, SchedulingRequest) and request.carried and request.carried.context:
                    return request.carried.context
        elif event.HasField("activity_task_scheduled_event_attributes"):
            if (
                event.activity_task_scheduled_event_attributes.activity_type.name
                == names.GATHER_SCHEDULING_CONTEXT
            ):
                gather_ids.add(event.event_id)
        elif event.HasField("activity_task_completed_event_attributes"):
            completed = event.activity_task_completed_event_attributes
            if completed.scheduled_event_id in gather_ids and completed.result.payloads:
                [context] = await converter.decode(list(completed.result.payloads), [SchedulingContext])
                if isinstance(context, SchedulingContext):
                    return context
    return None


async def cached_context(client: Client, cache: ContextCache, workflow_id: str) -> SchedulingContext | None:
    context = cache.get(workflow_id)
    if context is None:
        context = await read_context(client, workflow_id)
        if context is not None:
            cache.put(workflow_id, context)
    return context
