"""Chaos run: outages of every external system at every phase of a scheduling request, and worker SIGKILLs
at every activity boundary of a booking and a replacement, on the real stack.

    uv run --frozen python benchmarks/chaos.py            # the full run (~15-25 min), JSON to benchmarks/results/
    uv run --frozen python benchmarks/chaos.py --small    # a few scenarios (~2 min), what the test suite runs

Everything runs on loopback and is started here (as in benchmarks/workflows.py): the Temporal dev server,
the Greenhouse sandbox, Radicale, the SMTP sink, and Hireflow workers as separate OS processes (one set per
group of scenarios, each with its own task queues and store; benchmarks/chaos_kit/world.py).

Outages, each longer than the retry budget workflows had before the failure policy (8 attempts, about
4 minutes): Greenhouse answers every /v3 request `503` (the sandbox's fault injection); CalDAV connections
are reset and SMTP greets `421` (an outage proxy in front of Radicale and the sink); the planner's worker is
killed and started again. Each wave brings one request per phase and mode to just before the phase, takes
the system down, starts the phases, and brings it back after `--outage` seconds. `ride_out` requests use
the shipped policy and must finish their phase; `give_up` requests have budgets shorter than the outage,
so they must give up cleanly, escalate, and be usable after the recruiter's `resume`.

Reported: scenarios run, workflows failed, orphaned events and interviews, duplicate effects (Greenhouse
interviews, notes, emails), and recovery time after each outage ended (docs/chaos.md reads the JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.chaos_kit.checks import duplicate_mails
from benchmarks.chaos_kit.kills import kill_scenario
from benchmarks.chaos_kit.phases import (
    PHASES,
    Scenario,
    Timing,
    prepare,
    recover,
    trigger,
    verify,
    watch_outage,
)
from benchmarks.chaos_kit.world import ChaosWorld
from benchmarks.workflows import benchmark_stack, onsite_applications
from integrations.logs import configure_logging
from models.failure_policy import System
from models.time_zones import use_pinned_tzdata
from workers.search_attributes import ensure_search_attributes

RESULTS = Path(__file__).resolve().parent / "results" / "chaos.json"
OLD_RETRY_BUDGET_S = 240  # maximum_attempts=8 with Temporal's default backoff: about 4 minutes
MODES = ("ride_out", "give_up")

FULL_WAVES = {system: [(p, m) for p in PHASES for m in MODES] for system in System}
SMALL_WAVES = {
    System.GREENHOUSE: [("gather", "ride_out")],
    System.CALENDAR: [("pick", "ride_out"), ("cancel", "ride_out")],
    System.MAIL: [("pick", "give_up")],
    System.PLANNER: [("offer", "ride_out")],
}
SMALL_KILLS = [
    ("booking", "record_greenhouse_interviews", 1, "after"),
    ("replacement", "update_greenhouse_interview", 1, "before"),
]


async def _guarded(sc: Scenario, step: str, work: Any) -> None:
    """Run one step of a scenario; what goes wrong is the scenario's outcome, not the run's."""
    if sc.outcome != "pending":
        return
    try:
        await work
    except Exception as error:
        sc.outcome = "not_run" if step == "prepare" else "stuck"
        sc.error = f"{step}: {type(error).__name__}: {error}"[:400]


async def wave(
    world: ChaosWorld, system: System, plan: list[tuple[str, str]], timing: Timing
) -> list[Scenario]:
    """One outage of `system`, every planned (phase, mode) request in it at once."""
    proxied = system in (System.CALENDAR, System.MAIL)
    group = await world.group(f"{system.value}", proxied=proxied)
    scenarios = [Scenario(system.value, phase, mode, group) for phase, mode in plan]
    early = [sc for sc in scenarios if sc.phase != "reminder"]
    late = [sc for sc in scenarios if sc.phase == "reminder"]
    await asyncio.gather(*(_guarded(sc, "prepare", prepare(world, sc, timing)) for sc in early))
    await asyncio.gather(*(_guarded(sc, "prepare", prepare(world, sc, timing)) for sc in late))
    live = [sc for sc in scenarios if sc.outcome == "pending"]
    await world.down(group, system)
    down_at = time.monotonic()
    for sc in live:
        if sc.phase == "reminder" and sc.offered_at + timing.reminder_after < down_at:
            sc.exercised = False  # the reminder went out before the outage began
    triggers = [asyncio.create_task(_guarded(sc, "trigger", trigger(world, sc, timing))) for sc in live]
    watchers = [
        asyncio.create_task(watch_outage(world, sc, down_at + timing.outage))
        for sc in live
        if sc.mode == "ride_out"
    ]
    await asyncio.sleep(max(0.0, down_at + timing.outage - time.monotonic()))
    up_at = time.monotonic()  # a planner "up" includes its new worker's start: counted in recovery
    await world.up(group, system)
    await asyncio.gather(*triggers, *watchers, return_exceptions=True)
    await asyncio.gather(*(_guarded(sc, "recover", recover(world, sc, timing, up_at)) for sc in live))
    await asyncio.gather(*(verify(world, sc) for sc in scenarios if sc.workflow_id and sc.app))
    for role in list(group.workers):
        await world.stop_workers(group, role)
    return scenarios


async def dry_run(world: ChaosWorld, step: str, timing: Timing) -> tuple[Scenario, dict[str, Any]]:
    """Trace the step's activities once (a replacement only counts if somebody could replace)."""
    for _ in range(4):
        sc, extra = await kill_scenario(world, step, "", 0, "before", timing)
        if step == "booking" or sc.note == "replaced":
            break
    return sc, extra


async def kills(
    world: ChaosWorld, chosen: list[tuple[str, str, int, str]] | None, timing: Timing, concurrency: int
) -> list[tuple[Scenario, dict[str, Any]]]:
    """Every boundary (`chosen` None: a dry run per step lists its activities first) or the chosen ones.

    A boundary is an activity and its occurrence in the step (the 2nd `send_email`), before or after it.
    """
    if chosen is None:
        chosen = []
        dry = await asyncio.gather(*(dry_run(world, step, timing) for step in ("booking", "replacement")))
        for sc, extra in dry:
            trace = list(dict.fromkeys(tuple(t) for t in extra.get("trace") or []))
            if sc.outcome != "ok" or not trace:
                raise RuntimeError(f"dry run of {extra['step']} did not complete: {sc.error or sc.effects}")
            chosen += [(extra["step"], a, n, point) for a, n in trace for point in ("before", "after")]
    limit = asyncio.Semaphore(concurrency)

    async def one(step: str, activity: str, occurrence: int, point: str) -> tuple[Scenario, dict[str, Any]]:
        async with limit:
            for _ in range(3):  # a replacement nobody was free for never ran: try another application
                sc, extra = await kill_scenario(world, step, activity, occurrence, point, timing)
                if not sc.note.startswith("not replaced"):
                    break
            return sc, extra

    return list(await asyncio.gather(*(one(*c) for c in chosen)))


async def keep_evidence(world: ChaosWorld, scenarios: list[Scenario], folder: Path) -> None:
    """The history of every scenario that went wrong, for `temporal workflow show` or a replay test."""
    for sc in scenarios:
        if sc.outcome in ("ok", "pending") or not sc.workflow_id:
            continue
        try:
            history = await world.scheduling.handle(sc.workflow_id).fetch_history()
        except Exception as error:
            sc.error += f" (no history: {type(error).__name__})"
            continue
        target = folder / f"{sc.workflow_id}.json"
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(target.write_text, history.to_json())
        sc.error += f" (history: {folder / sc.workflow_id}.json)"


def summarise(
    scenarios: list[Scenario], killed: list[tuple[Scenario, dict[str, Any]]], mail_dups: dict[str, int]
) -> dict[str, Any]:
    every = scenarios + [sc for sc, _ in killed]
    ran = [sc for sc in every if sc.outcome != "not_run"]
    effects = [sc.effects for sc in ran if sc.effects]
    ride_out = [
        sc for sc in scenarios if sc.mode == "ride_out" and sc.exercised and sc.recovery_s is not None
    ]
    by_system = {
        system.value: _spread([sc.recovery_s for sc in ride_out if sc.system == system.value])
        for system in System
    }
    return {
        "scenarios_run": len(ran),
        "scenarios_not_run": len(every) - len(ran),
        "scenarios_not_exercised": sum(1 for sc in ran if not sc.exercised),
        "workflow_task_failures": sum(e.task_failures for e in effects),
        "workflows_failed": sum(e.failed for e in effects),
        "workflows_stuck": sum(1 for sc in ran if sc.outcome == "stuck"),
        "orphaned_events": sum(e.orphaned_events for e in effects),
        "orphaned_interviews": sum(e.orphaned_interviews for e in effects),
        "missing_events_or_interviews": sum(e.missing_events + e.missing_interviews for e in effects),
        "duplicate_effects": sum(e.duplicate_interviews + e.duplicate_notes for e in effects)
        + sum(mail_dups.values()),
        "duplicate_emails": sum(mail_dups.values()),
        # From the system's return to the phase done, for requests that rode the outage out (give-ups
        # are brought back by the recruiter's resume: their own figure is in each scenario).
        "recovery_seconds_after_outage": _spread([sc.recovery_s for sc in ride_out]),
        "recovery_seconds_by_system": by_system,
        "kills_fired": sum(1 for _, extra in killed if extra.get("fired")),
        "kills_not_fired": sum(1 for _, extra in killed if not extra.get("fired")),
        "not_exercised": [sc.name for sc in ran if not sc.exercised],
    }


def _spread(values: list[float | None]) -> dict[str, float | None]:
    known = sorted(v for v in values if v is not None)
    return {
        "median": round(known[len(known) // 2], 1) if known else None,
        "max": round(known[-1], 1) if known else None,
        "count": len(known),
    }


ZERO_GOALS = (
    "workflows_failed",
    "workflow_task_failures",
    "workflows_stuck",
    "orphaned_events",
    "orphaned_interviews",
    "missing_events_or_interviews",
    "duplicate_effects",
    "scenarios_not_run",
)


def goals_met(totals: dict[str, Any]) -> bool:
    return all(totals[k] == 0 for k in ZERO_GOALS)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    small = args.small
    outage = args.outage or (30.0 if small else 300.0)
    timing = Timing(
        outage=outage,
        reminder_after=12.0 if small else 60.0,
        give_up_after=12.0 if small else 60.0,
        recover_within=150.0 if small else 600.0,
    )
    waves = SMALL_WAVES if small else FULL_WAVES
    chosen_kills: list[tuple[str, str, int, str]] | None = SMALL_KILLS if small else None
    if args.only:  # e.g. "ride_out planner offer", or "kill" for the kills alone
        waves = {
            s: kept
            for s, plan in waves.items()
            if (kept := [(p, m) for p, m in plan if args.only in f"{m} {s.value} {p}"])
        }
        chosen_kills = chosen_kills if "kill" in args.only else []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hireflow-chaos-") as tmp:
        state = Path(tmp)
        async with (
            benchmark_stack(
                state,
                candidates=args.candidates,
                rate_limit=args.rate_limit,
                rate_window=30.0,
                calendar_weeks=2,
            ) as stack,
            AsyncExitStack() as exits,
        ):
            await ensure_search_attributes(stack.client)
            apps = [a for a in await onsite_applications(stack.settings, stack.seed) if a.local]
            world = ChaosWorld(stack, apps, exits)
            scenarios: list[Scenario] = []
            if System.GREENHOUSE in waves:  # its outage is global: nothing else runs beside it
                scenarios += await wave(world, System.GREENHOUSE, waves[System.GREENHOUSE], timing)
            others = [wave(world, s, plan, timing) for s, plan in waves.items() if s != System.GREENHOUSE]
            kill_task = asyncio.create_task(kills(world, chosen_kills, timing, args.concurrency))
            for found in await asyncio.gather(*others):
                scenarios += found
            killed = await kill_task
            mail_dups = duplicate_mails(stack.maildir)
            await keep_evidence(world, scenarios + [sc for sc, _ in killed], args.evidence)
    totals = summarise(scenarios, killed, mail_dups)
    return {
        "benchmark": "chaos",
        "mode": "small" if small else "full",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "outage_seconds": outage,
        "old_retry_budget_seconds": OLD_RETRY_BUDGET_S,
        "give_up_budget_seconds": timing.give_up_after,
        "wall_seconds": round(time.monotonic() - started, 1),
        "totals": totals,
        "goals_met": goals_met(totals),
        "outages": [sc.report() for sc in scenarios],
        "kills": [{**extra, **sc.report()} for sc, extra in killed],
        "duplicate_email_message_ids": mail_dups,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument(
        "--small", action="store_true", help="a few scenarios, short outages (the test suite's run)"
    )
    ap.add_argument(
        "--outage", type=float, default=0.0, help="seconds each outage lasts (300 full, 30 small)"
    )
    ap.add_argument("--candidates", type=int, default=2500, help="size of the sandbox's seeded org")
    ap.add_argument("--rate-limit", type=int, default=3000, help="sandbox Harvest requests per 30 s")
    ap.add_argument("--concurrency", type=int, default=3, help="kill scenarios at a time")
    ap.add_argument(
        "--evidence",
        type=Path,
        default=Path(tempfile.gettempdir()) / "hireflow-chaos-evidence",
        help="where the histories of scenarios that went wrong are written",
    )
    ap.add_argument("--only", default="", help="run only scenarios whose 'mode system phase' contains this")
    ap.add_argument("--out", type=Path, default=None, help=f"JSON output (full run: {RESULTS})")
    args = ap.parse_args(argv)
    use_pinned_tzdata()
    configure_logging("WARNING", "console")
    result = asyncio.run(run(args))
    out = args.out or (None if args.small else RESULTS)
    text = json.dumps(result, indent=2, default=str)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
    print(
        json.dumps(
            {
                "totals": result["totals"],
                "goals_met": result["goals_met"],
                "wall_seconds": result["wall_seconds"],
            },
            indent=2,
        )
    )
    return 0 if result["goals_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
