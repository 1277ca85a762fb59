"""Who and what the candidate's page names: the workflow's `SchedulingContext`, read once and cached.

The page shows session names and interviewer names (roles, never calendars), but the workflow's
views carry ids only. The context is fixed once gathering ran, so one `page_context` query per
workflow serves every later view.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from integrations.scheduling_client import SchedulingClient
from models.messages import SchedulingContext

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


async def cached_context(
    scheduling: SchedulingClient, cache: ContextCache, workflow_id: str
) -> SchedulingContext | None:
    """The request's context (the workflow's `page_context` query), read once per workflow and cached."""
    context = cache.get(workflow_id)
    if context is None:
        context = await scheduling.page_context(workflow_id)
        if context is not None:
            cache.put(workflow_id, context)
    return context
