"""The sourcing intake API (issue 12; contract in docs/sourcing.md):

- `POST /api/v1/sourcing/candidates` → 202 `{"batch_id", "status_url"}`: the batch is stored and its
  SourcingWorkflow started; any row failing the contract refuses the whole request with 422 naming
  every bad row and field, so nothing of a batch is half-imported (resending is safe: rows already
  imported are `skipped_duplicate`).
- `GET /api/v1/sourcing/batches/<batch_id>` → `{"status": "running" | "done", "rows": [...]}`, read
  from the SQL store (rows appear as they finish).
Every call needs `Authorization: Bearer <source key>`; a batch is visible only to its own source (403).
"""

from __future__ import annotations

import hmac
import re

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from integrations.logs import get_logger
from integrations.sourcing_client import SourcingClient
from integrations.sourcing_store import SourcingStore
from models.settings import Settings
from web.sourcing_inputs import BodyError, parse_batch
from web.temporal import TemporalGateway, TemporalUnavailableError

PREFIX = "/api/v1/sourcing"
MAX_AUTH_HEADER = 512
BATCH_ID_RE = re.compile(r"^[0-9a-f]{32}$")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="Hireflow sourcing"'}
log = get_logger(__name__)


def _error(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def bearer(header: str | None) -> str | None:
    if not header or len(header) > MAX_AUTH_HEADER:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if not hmac.compare_digest(scheme.lower().encode(), b"bearer") or not token:
        return None
    return token


class SourcingApi:
    def __init__(self, settings: Settings, engine: Engine, gateway: TemporalGateway) -> None:
        self.settings = settings
        self.store = SourcingStore(engine)
        self.gateway = gateway

    async def _source(self, request: Request) -> str | JSONResponse:
        key = bearer(request.headers.get("authorization"))
        source = await run_in_threadpool(self.store.source_for_key, key) if key else None
        if source is None:
            log.warning("sourcing_key_refused", presented=key is not None)
            return _error(401, "invalid or missing source key", **{})
        return source

    async def submit(self, request: Request) -> JSONResponse:
        source = await self._source(request)
        if isinstance(source, JSONResponse):
            source.headers.update(CHALLENGE)
            return source
        try:
            candidates, problems = parse_batch(await request.body())
        except BodyError as exc:
            return _error(422, str(exc))
        if problems:
            log.info("sourcing_batch_refused", source=source, bad_rows=len({p.row for p in problems}))
            return _error(
                422,
                f"{len({p.row for p in problems})} row(s) do not follow the contract; nothing was imported",
                problems=[p.model_dump() for p in problems],
            )
        batch_id = await run_in_threadpool(self.store.create_batch, source, candidates)
        try:
            await SourcingClient(await self.gateway.client(), self.settings).start(
                batch_id, source, len(candidates)
            )
        except (TemporalUnavailableError, RPCError) as exc:
            await run_in_threadpool(self.store.delete_batch, batch_id)
            log.warning("sourcing_temporal_unavailable", error=type(exc).__name__)
            return _error(503, "Hireflow cannot reach Temporal right now; nothing was imported, please retry")
        log.info("sourcing_batch_accepted", source=source, batch_id=batch_id, rows=len(candidates))
        status_url = str(request.url_for("sourcing_batch", batch_id=batch_id))
        return JSONResponse({"batch_id": batch_id, "status_url": status_url}, status_code=202)

    async def batch(self, request: Request, batch_id: str) -> JSONResponse:
        source = await self._source(request)
        if isinstance(source, JSONResponse):
            source.headers.update(CHALLENGE)
            return source
        found = await run_in_threadpool(self.store.batch, batch_id) if BATCH_ID_RE.match(batch_id) else None
        if found is None:
            return _error(404, "unknown batch_id")
        batch, rows = found
        if batch.source != source:
            return _error(403, "this batch belongs to another source")
        finished = [r for r in rows if r.outcome is not None]
        return JSONResponse(
            {
                "status": "done" if len(finished) == batch.rows else "running",
                "rows": [
                    {
                        "external_id": r.external_id,
                        "outcome": r.outcome,
                        "candidate_id": r.candidate_id,
                        "application_id": r.application_id,
                        "reason": r.reason,
                    }
                    for r in finished
                ],
            }
        )


def sourcing_router(settings: Settings, engine: Engine, gateway: TemporalGateway) -> APIRouter:
    api = SourcingApi(settings, engine, gateway)
    router = APIRouter(prefix=PREFIX)
    router.add_api_route("/candidates", api.submit, methods=["POST"], response_model=None, status_code=202)
    router.add_api_route(
        "/batches/{batch_id}", api.batch, methods=["GET"], response_model=None, name="sourcing_batch"
    )
    return router
