"""Sync activities: list one Harvest resource into the mirror (incrementally or in full, for reconciliation).

They run on the Harvest task queue at low priority. Each one is idempotent: pages are upserted by
`updated_at` and the watermark only moves forward after a listing completed, so a retry or a crash in
the middle lists the same window again and changes nothing twice. Progress is heartbeated per page.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from temporalio import activity

from activities.errors import from_harvest
from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.errors import HarvestError
from integrations.greenhouse.query import TimeRange
from integrations.logs import get_logger
from integrations.mirror_resources import MirrorResource, resource
from integrations.mirror_store import MirrorStore
from models.sync_io import ReconcileInput, ResourceDrift, ResourcePassInput, ResourcePassResult

log = get_logger(__name__)
BATCH = 500


def _heartbeat(*details: Any) -> None:
    if activity.in_activity():
        activity.heartbeat(*details)


class SyncActivities:
    """Holds the Harvest client and the mirror store."""

    def __init__(self, harvest: HarvestClient, store: MirrorStore) -> None:
        self.harvest = harvest
        self.store = store

    async def _batches(
        self, spec: MirrorResource, filters: dict[str, Any]
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The listing in batches of kept objects (one Harvest page each at the default page size)."""
        batch: list[dict[str, Any]] = []
        async for item in self.harvest.list_resource(spec.path, spec.model, filters):
            batch.append(spec.stored(item.model_dump(mode="json")))
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    @activity.defn
    async def sync_resource(self, request: ResourcePassInput) -> ResourcePassResult:
        """List what changed since the watermark (minus the overlap) up to now, and upsert it."""
        try:
            return await self._sync(request)
        except HarvestError as error:
            raise from_harvest(error) from error

    async def _sync(self, request: ResourcePassInput) -> ResourcePassResult:
        spec = resource(request.resource)
        state = await asyncio.to_thread(self.store.state, spec.name)
        until = datetime.now(UTC)
        since = state.synced_through - request.overlap if state.synced_through else None
        window = TimeRange(gte=min(since, until), lte=until) if since else TimeRange(lte=until)
        result = ResourcePassResult(resource=spec.name, initial=since is None)
        async for batch in self._batches(spec, {"updated_at": window}):
            counts = await asyncio.to_thread(self.store.apply_harvest, spec, batch)
            result.listed += len(batch)
            result.inserted += counts.inserted
            result.updated += counts.updated
            result.unchanged += counts.unchanged
            result.skipped_older += counts.skipped_older
            _heartbeat(spec.name, result.listed)
        await asyncio.to_thread(self.store.record_pass, spec.name, until, result.changed)
        result.synced_through = until
        log.info(
            "mirror_pass",
            resource=spec.name,
            listed=result.listed,
            changed=result.changed,
            initial=result.initial,
        )
        return result

    @activity.defn
    async def reconcile_resource(self, request: ReconcileInput) -> ResourceDrift:
        """List the whole resource, repair what differs and remove what Greenhouse no longer has."""
        try:
            return await self._reconcile(request)
        except HarvestError as error:
            raise from_harvest(error) from error

    async def _reconcile(self, request: ReconcileInput) -> ResourceDrift:
        spec = resource(request.resource)
        started = datetime.now(UTC)
        before = await asyncio.to_thread(self.store.stored_ids, spec, synced_before=started)
        drift = ResourceDrift(resource=spec.name)
        seen: set[int] = set()
        async for batch in self._batches(spec, {}):
            seen.update(int(o["id"]) for o in batch)
            await asyncio.to_thread(self.store.reconcile_page, spec, batch, drift, started)
            _heartbeat(spec.name, drift.listed)
        await asyncio.to_thread(self.store.remove_unseen, spec, before - seen, drift)
        await asyncio.to_thread(self.store.record_reconciliation, spec.name, started)
        log.info(
            "mirror_reconciled",
            resource=spec.name,
            listed=drift.listed,
            missing=drift.missing,
            stale=drift.stale,
            deleted=drift.deleted,
        )
        return drift
