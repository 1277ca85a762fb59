"""Mirror benchmark (issue 12): how fast a change reaches the mirror, what a full reconciliation costs under
Greenhouse's default rate limit, and whether it finds every change whose webhook was dropped.

    uv run --frozen python benchmarks/sync.py [--candidates 20000] [--changes 20]

The stack of benchmarks/workflows.py on free loopback ports (the Temporal dev server, the Greenhouse sandbox
as a child process with a timestamped access log, the worker as its own process) plus the web app in this
process receiving the sandbox's webhooks at `/webhooks/greenhouse`, as `hireflow dev` runs it. The sandbox
keeps Greenhouse's **default rate limit** (75 requests / 30 s) and the worker its default fleet cap.

1. Initial sync and reconciliation: the SyncWorkflow's first pass lists the whole organisation
   (`--candidates` seeded); then `reconcile` (the update `hireflow sync reconcile` sends) lists it all again.
   Reported in minutes, requests, 429s (from the access log) and the share of the rate limit used
   (requests / (seconds x 2.5/s)). When `--candidates` is below 20,000 the JSON projects to 20,000 from the
   measured pages and pace, and says so.
2. Latency with webhooks: `--changes` application moves through `POST /_sandbox/bulk` (webhooks on); the
   time from the sandbox's answer until the mirror's row shows the new stage (polled every 50 ms).
   Goal p95 <= 60 s.
3. Latency without webhooks: the same moves with `"webhooks": false`, spread over `--spread` seconds; only
   the incremental passes (every `--interval` s) bring them. Goal p95 <= 5 min.
4. Drift: right after a pass, `--drift` candidates are changed with webhooks off and a reconciliation is
   asked for at once (before the next pass): the share of changed rows it reports as drift and repairs.
   Goal 100 %.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import re
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import select
from sqlmodel import Session, col

from benchmarks.machine import machine_info
from benchmarks.workflows import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_WINDOW,
    HOST,
    Stack,
    benchmark_stack,
    percentile,
    phase_settings,
    worker_process,
)
from integrations.sync_client import SyncClient, sync_request
from models.mirror import MirrorApplication, MirrorCandidate, MirrorJobStage
from models.settings import Settings
from models.store import create_engine_for
from models.sync_io import DriftReport, SyncStatus
from sandbox.radicale.server import free_port
from starters.web_server import serving_web

RESULTS = Path(__file__).resolve().parent / "results" / "sync.json"
TARGET_CANDIDATES = 20_000
STATUS_LINE = re.compile(r'"(?:GET|POST|PATCH|PUT|DELETE) /v3/[^"]*" (\d{3})')
POLL = 0.05


class Access:
    """Harvest requests and 429s the sandbox served since `mark` (its access log)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size

    def read(self) -> dict[str, int]:
        with self.path.open("rb") as f:
            f.seek(self.offset)
            statuses = [m.group(1) for m in STATUS_LINE.finditer(f.read().decode(errors="replace"))]
        return {"requests": len(statuses), "throttled_429": statuses.count("429")}


async def wait_status(sync: SyncClient, done: Any, within: float) -> SyncStatus:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            status = await sync.status()
        except Exception:  # not picked up yet
            status = None
        if status is not None and done(status):
            return status
        await asyncio.sleep(0.2)
    raise TimeoutError(f"the sync did not get there within {within:g} s")


def windows_spanned(started: float, ended: float, window: float = DEFAULT_RATE_WINDOW) -> int:
    """Rate-limit windows (aligned to multiples of `window` since the epoch, as Harvest's are) a run touched."""
    return math.floor(ended / window) - math.floor(started / window) + 1


def share_of_limit(requests: int, started: float, ended: float) -> float:
    """Requests over what the limiter offered in the windows the run touched.

    Dividing by the elapsed time instead gave shares above 100 % for a run shorter than a few windows
    (a pass may spend two windows' budgets within seconds across a window boundary); this cannot exceed
    1 while no request is throttled.
    """
    return round(requests / (DEFAULT_RATE_LIMIT * windows_spanned(started, ended)), 3)


def listing_figures(
    name: str, requests: dict[str, int], started: float, ended: float, candidates: int
) -> dict[str, Any]:
    seconds = ended - started
    out: dict[str, Any] = {
        "what": name,
        "candidates": candidates,
        "minutes": round(seconds / 60, 2),
        "harvest_requests": requests["requests"],
        "throttled_429": requests["throttled_429"],
        "rate_windows_spanned": windows_spanned(started, ended),
        "share_of_rate_limit": share_of_limit(requests["requests"], started, ended),
    }
    if candidates < TARGET_CANDIDATES and candidates:
        scale = TARGET_CANDIDATES / candidates
        out["projected_to_20000"] = {
            "minutes": round(seconds * scale / 60, 2),
            "harvest_requests": math.ceil(requests["requests"] * scale),
            "note": f"measured with {candidates} candidates and scaled linearly: an upper bound, since the "
            "organisation's other resources do not grow with the candidates",
        }
    return out


async def application_moves(engine: Any, count: int, rng: random.Random) -> list[tuple[int, int]]:
    """(application id, a different stage of its job) for `count` active applications in the mirror."""

    def pick() -> list[tuple[int, int]]:
        with Session(engine) as session:
            apps = list(
                session.execute(
                    select(MirrorApplication)
                    .where(col(MirrorApplication.status) == "in_process")
                    .where(col(MirrorApplication.prospect).is_(False))
                    .order_by(col(MirrorApplication.id))
                ).scalars()
            )
            stages: dict[int, list[int]] = {}
            for stage in session.execute(select(MirrorJobStage)).scalars():
                if stage.job_id is not None:
                    stages.setdefault(stage.job_id, []).append(stage.id)
        moves = []
        for app in rng.sample(apps, len(apps)):
            other = [s for s in stages.get(app.job_id or -1, []) if s != app.job_interview_stage_id]
            if other:
                moves.append((app.id, rng.choice(other)))
            if len(moves) == count:
                break
        return moves

    return await asyncio.to_thread(pick)


def mirrored_stage(engine: Any, application_id: int) -> int | None:
    with Session(engine) as session:
        row = session.get(MirrorApplication, application_id)
        return row.job_interview_stage_id if row else None


async def bulk(http: httpx.AsyncClient, base: str, changes: list[dict[str, Any]], webhooks: bool) -> None:
    response = await http.post(f"{base}/_sandbox/bulk", json={"changes": changes, "webhooks": webhooks})
    response.raise_for_status()


async def change_latencies(
    http: httpx.AsyncClient,
    base: str,
    engine: Any,
    moves: list[tuple[int, int]],
    *,
    webhooks: bool,
    spread: float,
    within: float,
) -> dict[str, Any]:
    """Each move made through the sandbox, then the seconds until the mirror shows it."""

    async def one(delay: float, app_id: int, stage_id: int) -> float | None:
        await asyncio.sleep(delay)
        await bulk(
            http, base, [{"resource": "applications", "id": app_id, "move_to_stage_id": stage_id}], webhooks
        )
        changed = time.monotonic()
        while time.monotonic() - changed < within:
            if await asyncio.to_thread(mirrored_stage, engine, app_id) == stage_id:
                return time.monotonic() - changed
            await asyncio.sleep(POLL)
        return None

    step = spread / max(len(moves), 1)
    results = await asyncio.gather(*(one(i * step, a, s) for i, (a, s) in enumerate(moves)))
    seen = [r for r in results if r is not None]
    return {
        "changes": len(moves),
        "seen_in_mirror": len(seen),
        "not_seen_within_s": within if len(seen) < len(moves) else None,
        "latency_s": {
            "median": round(percentile(seen, 0.5) or 0, 2) if seen else None,
            "p95": round(percentile(seen, 0.95) or 0, 2) if seen else None,
            # Rounded the same way as the percentiles (3 places, then 2): rounding max(seen) once could put it
            # below a p95 rounded twice (0.0549 -> 0.05 against 0.055 -> 0.06).
            "max": round(percentile(seen, 1.0) or 0, 2) if seen else None,
        },
    }


async def drift_after_dropped_webhooks(
    http: httpx.AsyncClient, base: str, engine: Any, sync: SyncClient, count: int, rng: random.Random
) -> dict[str, Any]:
    """Change `count` candidates without webhooks just after a pass, reconcile at once, compare."""
    ids = await asyncio.to_thread(
        lambda: [r for r in Session(engine).execute(select(col(MirrorCandidate.id))).scalars()]
    )
    chosen = sorted(rng.sample(ids, min(count, len(ids))))
    before = (await sync.status()).passes
    await wait_status(sync, lambda s: s.passes > before and s.progress.phase == "idle", 600)
    marker = f"Drift {datetime.now(UTC):%H%M%S}"
    changes = [{"resource": "candidates", "id": i, "set": {"title": f"{marker} {i}"}} for i in chosen]
    await bulk(http, base, changes, webhooks=False)
    started = time.monotonic()
    handle = await sync.start_reconcile()
    report: DriftReport = await handle.result()
    seconds = time.monotonic() - started

    def repaired() -> int:
        with Session(engine) as session:
            rows = session.execute(
                select(MirrorCandidate).where(col(MirrorCandidate.id).in_(chosen))
            ).scalars()
            return sum(1 for r in rows if r.data.get("title") == f"{marker} {r.id}")

    candidates = next((r for r in report.resources if r.resource == "candidates"), None)
    found = candidates.stale if candidates else 0
    fixed = await asyncio.to_thread(repaired)
    return {
        "changed_rows": len(chosen),
        # Every stale candidate the reconciliation reported: ours, plus any row the earlier phases' moves
        # touched after the last pass (a move also updates its candidate), which is drift too.
        "reported_stale": found,
        "repaired_in_mirror": fixed,
        # Found means found and repaired: our own rows, checked one by one, not a count that others could fill.
        "found_share": round(fixed / len(chosen), 3) if chosen else None,
        "reconcile_seconds": round(seconds, 1),
        "failed": report.failed,
        "note": "changes made with the sandbox's webhooks off right after an incremental pass; the "
        "reconciliation was asked for at once, so it, not the next pass, had to find them",
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    load_before = os.getloadavg()
    result: dict[str, Any] = {
        "benchmark": "sync",
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(load_before),
        "python": platform.python_version(),
        "parameters": {
            "candidates": args.candidates,
            "changes": args.changes,
            "drift": args.drift,
            "interval_seconds": args.interval,
            "spread_seconds": args.spread,
        },
        "rate_limit": f"{DEFAULT_RATE_LIMIT} requests / {DEFAULT_RATE_WINDOW:g} s (Greenhouse's default, not raised)",
    }
    with tempfile.TemporaryDirectory(prefix="hireflow-sync-bench-") as tmp:
        state = args.state_dir or Path(tmp)
        async with AsyncExitStack() as exits:
            stack: Stack = await exits.enter_async_context(
                benchmark_stack(
                    state,
                    candidates=args.candidates,
                    rate_limit=DEFAULT_RATE_LIMIT,
                    rate_window=DEFAULT_RATE_WINDOW,
                    calendar_weeks=1,
                )
            )
            web_port = free_port(HOST)
            settings: Settings = phase_settings(stack, "sync").model_copy(
                update={"web_base_url": f"http://{HOST}:{web_port}", "sync_interval_seconds": args.interval}
            )
            await exits.enter_async_context(serving_web(settings, stack.client, HOST, web_port))
            await exits.enter_async_context(worker_process(stack, settings, "worker-sync"))
            engine = create_engine_for(settings.resolved_database_url())
            exits.callback(engine.dispose)
            http = await exits.enter_async_context(httpx.AsyncClient(timeout=60))
            base = settings.greenhouse_base_url
            await http.post(
                f"{base}/_sandbox/webhooks",
                json={
                    "url": f"http://{HOST}:{web_port}/webhooks/greenhouse",
                    "secret": settings.greenhouse_webhook_secret.get_secret_value(),
                },
            )
            access = Access(stack.sandbox.log_path)
            sync = SyncClient(stack.client, settings, workflow_id="bench-sync")
            request = sync_request(settings).model_copy(update={"interval": timedelta(seconds=args.interval)})

            access.mark()
            t0 = time.time()
            await sync.ensure_started(request)
            first = await wait_status(sync, lambda s: s.passes >= 1, args.timeout)
            result["initial_sync"] = listing_figures(
                "first pass (full listing of every resource)", access.read(), t0, time.time(), args.candidates
            )
            result["initial_sync"]["errors"] = first.last_error

            access.mark()
            t0 = time.time()
            report = await (await sync.start_reconcile()).result()
            result["reconciliation"] = listing_figures(
                "full reconciliation of every resource", access.read(), t0, time.time(), args.candidates
            )
            result["reconciliation"]["drift_rows"] = report.total
            result["reconciliation"]["failed"] = report.failed

            moves = await application_moves(engine, 2 * args.changes, rng)
            result["latency_with_webhooks"] = await change_latencies(
                http,
                base,
                engine,
                moves[: args.changes],
                webhooks=True,
                spread=args.changes * 0.5,
                within=120,
            )
            result["latency_without_webhooks"] = await change_latencies(
                http,
                base,
                engine,
                moves[args.changes :],
                webhooks=False,
                spread=args.spread,
                within=600,
            )
            result["drift"] = await drift_after_dropped_webhooks(http, base, engine, sync, args.drift, rng)
            await sync.handle().terminate("benchmark over")
    result["machine"]["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    result["goals"] = goals(result)
    return result


def goals(result: dict[str, Any]) -> dict[str, Any]:
    def p95(key: str) -> float | None:
        return result[key]["latency_s"]["p95"]

    rec = result["reconciliation"]
    minutes = rec.get("projected_to_20000", {}).get("minutes", rec["minutes"])
    return {
        "webhook_latency_p95_le_60s": (p95("latency_with_webhooks") or math.inf) <= 60,
        "incremental_latency_p95_le_300s": (p95("latency_without_webhooks") or math.inf) <= 300,
        "reconciliation_share_ge_90pct": (rec["share_of_rate_limit"] or 0) >= 0.9,
        "reconciliation_no_429": rec["throttled_429"] == 0,
        "reconciliation_minutes_for_20000": minutes,
        "drift_found_100pct": result["drift"]["found_share"] == 1.0,
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidates", type=int, default=TARGET_CANDIDATES)
    ap.add_argument("--changes", type=int, default=20, help="moves per latency phase")
    ap.add_argument("--drift", type=int, default=50, help="candidates changed with webhooks off")
    ap.add_argument("--interval", type=float, default=60.0, help="the sync's pass interval (default setting)")
    ap.add_argument(
        "--spread", type=float, default=120.0, help="seconds the no-webhook moves are spread over"
    )
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed for the first pass")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--state-dir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=RESULTS)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    result = asyncio.run(run(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: result[k] for k in ("goals", "reconciliation", "drift")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
