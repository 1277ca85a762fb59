"""Register Hireflow's custom search attributes on a namespace that lacks them.

The dev server gets them as start-up flags; the time-skipping test server and self-hosted clusters get
them through the operator API. Upserting an unregistered attribute would stall a workflow task forever.
"""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from models.temporal_keys import ALL_SEARCH_ATTRIBUTES


async def ensure_search_attributes(client: Client) -> list[str]:
    """Add the missing ones; return the names that were added."""
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        known = set(existing.custom_attributes)
    except RPCError as error:
        # The time-skipping test server implements add but not list: treat its namespace as empty.
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    missing: dict[str, IndexedValueType.ValueType] = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in ALL_SEARCH_ATTRIBUTES
        if key.name not in known
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    return sorted(missing)
