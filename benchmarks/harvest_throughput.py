"""How much of Harvest's rate limit the client uses when it lists every application, and how many 429s it meets.

A Greenhouse sandbox (SandboxServer) runs in a child process, seeded with `--candidates` candidates and a
fixed window of `--rate-limit` requests per `--window` seconds. The client lists ALL applications with one
cursor listing (`--per-page`, default 100: at per_page=500 the 20,000-candidate org is ~45 requests, less
than one window, which says nothing about pacing; 100 gives ~225 requests, ~4.5 windows or ~9 s).

Formula. `share_of_limit = accepted_requests / (rate_limit * windows_elapsed)` with
`windows_elapsed = elapsed_seconds / window_seconds`: the achieved request rate divided by the rate the limit
allows. 100% means the client ran exactly at the limit the whole time. Because Harvest's windows are fixed
(the budget refills all at once), a short run can start and end inside fresh budgets and score slightly
above 100%; `share_of_windows_touched` divides by the number of distinct windows the server counted our
requests in (distinct `X-RateLimit-Reset` values) instead, a conservative figure that penalises the partial
first and last windows. `share_in_full_windows` is the steady state: requests in the windows wholly inside
the run, divided by their capacity. Seeding and the token request are not timed. Target: share ≥ 90%, zero 429s.

    uv run --frozen python benchmarks/harvest_throughput.py [--candidates 20000] [--rate-limit 50] [--window 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import platform
import sys
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integrations.greenhouse import HarvestClient
from integrations.greenhouse.ratelimit import RateLimiter
from integrations.logs import configure_logging

RESULTS = Path(__file__).resolve().parent / "results" / "harvest_throughput.json"


def _serve(candidates: int, rate_limit: int, window: float, conn: Connection) -> None:
    """Child process: run a seeded sandbox until the parent closes the pipe."""
    from sandbox.greenhouse.config import SandboxConfig
    from sandbox.greenhouse.server import SandboxServer

    configure_logging(level="WARNING", fmt="console")  # keep stdout for the JSON result

    async def main() -> None:
        config = SandboxConfig(candidates=candidates, rate_limit=rate_limit, rate_window_seconds=window)
        async with SandboxServer(config, host="127.0.0.1", port=0) as server:
            conn.send(
                {
                    "base_url": server.base_url,
                    "token_url": server.token_url,
                    "client_id": server.client_id,
                    "client_secret": server.client_secret,
                    "user_id": server.hireflow_user_id,
                    "applications": server.seed.application_count,
                }
            )
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(
                None, conn.recv_bytes
            )  # returns (or raises EOFError) when the parent is done

    try:
        asyncio.run(main())
    except EOFError:
        pass


async def measure(info: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    limiter = RateLimiter()
    async with HarvestClient(
        base_url=info["base_url"],
        token_url=info["token_url"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        user_id=info["user_id"],
        rate_limiter=limiter,
    ) as gh:
        await gh.tokens.get(gh.user_id)  # the token endpoint has its own limit; not part of the measurement
        started = time.monotonic()
        listing = gh.list_applications(per_page=args.per_page)
        ids = [application.id async for application in listing]
        elapsed = time.monotonic() - started
    stats = limiter.stats
    accepted = stats.requests - stats.throttled
    windows_elapsed = elapsed / args.window
    unique = len(set(ids))
    per_window = [stats.windows[reset] for reset in sorted(stats.windows)]
    full = per_window[1:-1]  # the first and last windows are only partly inside the run
    return {
        "benchmark": "harvest_throughput",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "candidates": args.candidates,
        "rate_limit": args.rate_limit,
        "window_seconds": args.window,
        "per_page": args.per_page,
        "per_page_note": "per_page below the 500 maximum on purpose: enough requests to span several windows",
        "requests": stats.requests,
        "pages": listing.pages,
        "elapsed_seconds": round(elapsed, 3),
        "windows_elapsed": round(windows_elapsed, 3),
        "windows_touched": len(stats.windows),
        "requests_per_window": per_window,
        "share_in_full_windows": round(sum(full) / (args.rate_limit * len(full)), 4) if full else None,
        "share_of_limit": round(accepted / (args.rate_limit * windows_elapsed), 4),
        "share_of_windows_touched": round(accepted / (args.rate_limit * max(len(stats.windows), 1)), 4),
        "formula": "share_of_limit = (requests - 429s) / (rate_limit * elapsed_seconds / window_seconds)",
        "throttled_429": stats.throttled,
        "client_waits": stats.waits,
        "client_waited_seconds": round(stats.waited_seconds, 3),
        "applications_expected": info["applications"],
        "applications_listed": len(ids),
        "duplicates": len(ids) - unique,
        "missing": info["applications"] - unique,
        "target_met": accepted / (args.rate_limit * windows_elapsed) >= 0.9 and stats.throttled == 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--candidates", type=int, default=20_000)
    parser.add_argument("--rate-limit", type=int, default=50, help="requests per window")
    parser.add_argument("--window", type=float, default=2.0, help="window length in seconds")
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.candidates < 1 or args.rate_limit < 1 or args.window <= 0 or not 1 <= args.per_page <= 500:
        parser.error("--candidates and --rate-limit must be >= 1, --window > 0, --per-page within 1..500")

    configure_logging(level="WARNING", fmt="console")
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(
        target=_serve, args=(args.candidates, args.rate_limit, args.window, child), daemon=True
    )
    server.start()
    child.close()
    try:
        if not parent.poll(600):
            raise SystemExit("the sandbox did not come up within 10 minutes")
        try:
            info = parent.recv()
        except EOFError:
            raise SystemExit("the sandbox process exited before it was ready (its error is above)") from None
        result = asyncio.run(measure(info, args))
    finally:
        parent.close()
        server.join(15)
        if server.is_alive():
            server.terminate()
    text = json.dumps(result, indent=2)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n")
    return 0 if result["target_met"] and not result["duplicates"] and not result["missing"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
