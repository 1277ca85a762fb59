"""v3 webhook subscriptions (`/v3/webhooks`, webhooks_v3.json): create, update, delete; listing is generic.

Each subscription receives one `event_action_type`, signed with its own `secret_key` (`Signature: sha256
<hex>`, greenhouse-webhooks.md §1) and retried like every delivery. Creating one (or changing its URL) pings
the URL first; a failed ping leaves it `deactivated`, as Greenhouse does. Scopes `harvest:webhooks:*` are
UNVERIFIED (declared without detail).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlmodel import Session

from sandbox.greenhouse import tables as t
from sandbox.greenhouse.bodies import CreateWebhook, UpdateWebhook, parse_body
from sandbox.greenhouse.listing import serialize
from sandbox.greenhouse.reads import authorize
from sandbox.greenhouse.state import SandboxState, get_state
from sandbox.greenhouse.webhooks import Subscription
from sandbox.greenhouse.writes import _get, now

router = APIRouter(prefix="/v3")


def _active(row: t.WebhookSubscription) -> Subscription | None:
    if row.deactivated:
        return None
    return Subscription(row.id, row.url, row.secret_key, row.event_action_type)


def load_subscriptions(state: SandboxState) -> None:
    """Fill the sender's registry from the table (subscriptions survive restarts of a persistent store)."""

    def load(session: Session) -> list[t.WebhookSubscription]:
        return list(session.execute(select(t.WebhookSubscription)).scalars())

    state.webhooks.subscriptions = {
        row.id: sub for row in state.store.run(load) if (sub := _active(row)) is not None
    }

    async def delivered(subscription_id: int) -> None:
        def mark(session: Session) -> None:
            row = session.get(t.WebhookSubscription, subscription_id)
            if row is not None:
                row.last_delivered = now()
                session.add(row)

        await state.store.arun(mark)

    state.webhooks.on_delivered = delivered


def _publish(state: SandboxState, row: t.WebhookSubscription) -> None:
    sub = _active(row)
    if sub is None:
        state.webhooks.subscriptions.pop(row.id, None)
    else:
        state.webhooks.subscriptions[row.id] = sub


@router.post("/webhooks", status_code=201)
async def create_webhook(request: Request) -> Response:
    authorize(request, "harvest:webhooks:create", read=False)
    body = await parse_body(request, CreateWebhook)
    state = get_state(request)

    def insert(session: Session) -> t.WebhookSubscription:
        when: datetime = now()
        row = t.WebhookSubscription(
            id=state.store.next_id(session, t.WebhookSubscription),
            created_at=when,
            updated_at=when,
            name=body.name,
            url=body.url,
            event_action_type=body.event_action_type,
            secret_key=body.secret_key,
            deactivated=True,  # until the ping answers
        )
        session.add(row)
        return row

    row = await state.store.arun(insert)
    reachable = await state.webhooks.ping(body.url, body.secret_key, row.id)
    row = await state.store.arun(lambda session: _set_active(session, row.id, reachable))
    _publish(state, row)
    return JSONResponse(serialize("webhooks", row), status_code=201)


def _set_active(session: Session, row_id: int, active: bool) -> t.WebhookSubscription:
    row = _get(session, t.WebhookSubscription, row_id)
    row.deactivated = not active
    row.updated_at = now()
    session.add(row)
    return row


@router.patch("/webhooks/{webhook_id}")
async def update_webhook(webhook_id: int, request: Request) -> Response:
    authorize(request, "harvest:webhooks:update", read=False)
    body = await parse_body(request, UpdateWebhook)
    state = get_state(request)

    def change(session: Session) -> t.WebhookSubscription:
        row = _get(session, t.WebhookSubscription, webhook_id)
        for name in ("name", "url", "secret_key", "deactivated"):
            if name in body.model_fields_set and getattr(body, name) is not None:
                setattr(row, name, getattr(body, name))
        row.updated_at = now()
        session.add(row)
        return row

    row = await state.store.arun(change)
    if not row.deactivated and ("url" in body.model_fields_set or "deactivated" in body.model_fields_set):
        reachable = await state.webhooks.ping(row.url, row.secret_key, row.id)
        row = await state.store.arun(lambda session: _set_active(session, row.id, reachable))
    _publish(state, row)
    return JSONResponse(serialize("webhooks", row))


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: int, request: Request) -> Response:
    authorize(request, "harvest:webhooks:destroy", read=False)
    state = get_state(request)

    def remove(session: Session) -> None:
        session.delete(_get(session, t.WebhookSubscription, webhook_id))

    await state.store.arun(remove)
    state.webhooks.subscriptions.pop(webhook_id, None)
    return Response(status_code=204)
