"""Planner benchmark: seeded instance families, timings, solved share, objective against greedy.

    uv run --frozen python -m benchmarks.planner --instances 20 --families S,M,L,T \\
        --out benchmarks/results/planner.json

Families (each instance reproducible from its family and index):
  S  one 45-minute phone screen, pool of 10, 10 working days, 15-minute grid
  M  5-session same-day onsite, pools of 6-10 from 60 interviewers ~50% busy, rooms, 10 working days,
     5-minute grid
  L  6-session loop with trainees and rooms, 2-day split allowed, 150 interviewers, 15 working days
  T  tight M instances (busier people, small pools, a few short candidate windows): few or no loops fit
Writes JSON (per family and per instance) and a PNG of solve time against model size next to it.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

if __name__ == "__main__" and not __package__:
    # Run as `python benchmarks/planner.py`: this file's folder heads sys.path, where this very file would
    # shadow the `planner` package. Put the project root there instead.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [str(_here.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _here]

from models.scheduling import Problem
from planner.greedy import greedy_plan
from planner.search import plan
from planner.validate import validate

START = datetime(2027, 2, 1, tzinfo=UTC)  # a Monday
ONSITE_ZONE = "America/New_York"
REMOTE_ZONES = ["Europe/London", "America/Los_Angeles", "America/Chicago", "Asia/Kolkata"]


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _workdays(days: int) -> list[datetime]:
    out: list[datetime] = []
    d = START
    while len(out) < days:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


def _person(
    rng: random.Random, pid: int, zone: str, days: list[datetime], busy: float, limits: bool = True
) -> dict[str, Any]:
    """An interviewer whose 09-17 local working days are about `busy` covered by meetings."""
    tz = ZoneInfo(zone)
    events: list[dict[str, Any]] = []
    existing: list[dict[str, str]] = []
    for d in days:
        day = d.date()
        t = datetime(day.year, day.month, day.day, 9, 0, tzinfo=tz)
        end = t + timedelta(hours=8)
        while t < end:
            length = timedelta(minutes=rng.choice([30, 30, 45, 60, 60, 90]))
            if rng.random() < busy:
                if rng.random() < 0.08 and len(existing) < 6:
                    existing.append({"start": _iso(t), "end": _iso(t + length)})
                else:
                    events.append({"start": _iso(t), "end": _iso(t + length), "soft": rng.random() < 0.1})
            t += length
    person: dict[str, Any] = {
        "id": pid,
        "time_zone": zone,
        "busy": events,
        "existing_interviews": existing,
        "buffer_minutes": rng.choice([0, 0, 5, 10]),
        "weight": rng.choice([1.0, 1.0, 0.5, 2.0]),
    }
    if limits:
        person["max_per_day"] = rng.choice([2, 3, None])
        person["max_per_week"] = rng.choice([6, 8, None])
    return person


def _rooms(rng: random.Random, n: int, days: list[datetime], busy: float) -> list[dict[str, Any]]:
    tz = ZoneInfo(ONSITE_ZONE)
    out = []
    for r in range(n):
        blocks = []
        for d in days:
            t = datetime(d.year, d.month, d.day, 8, 0, tzinfo=tz)
            while t.hour < 19:
                length = timedelta(minutes=rng.choice([30, 60, 90]))
                if rng.random() < busy:
                    blocks.append({"start": _iso(t), "end": _iso(t + length)})
                t += length
        out.append({"id": f"room-{r}", "capacity": rng.choice([4, 6, 8, 12]), "busy": blocks})
    return out


def generate(family: str, seed: int) -> Problem:
    """One reproducible instance of a family."""
    rng = random.Random(f"{family}-{seed}")
    if family == "S":
        days = _workdays(10)
        people = [
            _person(rng, 100 + i, rng.choice([ONSITE_ZONE, *REMOTE_ZONES[:3]]), days, 0.5) for i in range(10)
        ]
        sessions = [
            {
                "id": "screen",
                "name": "Phone screen",
                "duration_minutes": 45,
                "interviewers": {"pool": [p["id"] for p in people], "count": 1},
            }
        ]
        return _problem(days, 14, 15, sessions, people, [], rng, same_day=True)
    if family in ("M", "T"):
        tight = family == "T"
        days = _workdays(10)
        zones = [ONSITE_ZONE] * 6 + REMOTE_ZONES[:2]
        people = [_person(rng, 100 + i, rng.choice(zones), days, 0.55 if tight else 0.5) for i in range(60)]
        ids = [p["id"] for p in people]
        sessions = []
        for s in range(5):
            pool = rng.sample(ids, rng.randint(4, 6) if tight else rng.randint(6, 10))
            count = rng.choice([1, 1, 2])
            required = [pool.pop()] if rng.random() < 0.3 else []
            sessions.append(
                {
                    "id": f"s{s}",
                    "name": f"Onsite {s + 1}",
                    "duration_minutes": rng.choice([30, 45, 60]),
                    "interviewers": {"required": required, "pool": pool, "count": count + len(required)},
                    "room": {"required": True},
                }
            )
        rooms = _rooms(rng, 8, days, 0.5 if tight else 0.4)
        avail = _windows(rng, days, 5) if tight else None
        return _problem(days, 14, 5, sessions, people, rooms, rng, same_day=True, availability=avail)
    if family == "L":
        days = _workdays(15)
        zones = [ONSITE_ZONE] * 5 + REMOTE_ZONES
        people = [_person(rng, 100 + i, rng.choice(zones), days, 0.5) for i in range(150)]
        ids = [p["id"] for p in people]
        sessions = []
        for s in range(6):
            pool = rng.sample(ids, rng.randint(6, 12))
            trainees = rng.sample([i for i in ids if i not in pool], rng.randint(2, 4))
            sessions.append(
                {
                    "id": f"s{s}",
                    "name": f"Loop {s + 1}",
                    "duration_minutes": rng.choice([45, 60]),
                    "interviewers": {"pool": pool, "count": rng.choice([1, 2])},
                    "trainee": {"pool": trainees},
                    "room": {"required": True},
                }
            )
        rooms = _rooms(rng, 10, days, 0.4)
        return _problem(days, 21, 15, sessions, people, rooms, rng, same_day=False, max_days=2)
    raise ValueError(f"unknown family {family!r} (use S, M, L or T)")


def _windows(rng: random.Random, days: list[datetime], n: int) -> list[dict[str, str]]:
    tz = ZoneInfo(ONSITE_ZONE)
    out = []
    for d in sorted(rng.sample(days, n)):
        start = datetime(d.year, d.month, d.day, rng.choice([9, 10, 12, 13]), 0, tzinfo=tz)
        out.append({"start": _iso(start), "end": _iso(start + timedelta(hours=rng.choice([3, 4, 5])))})
    return out


def _problem(
    days: list[datetime],
    calendar_days: int,
    grid: int,
    sessions: list[dict[str, Any]],
    people: list[dict[str, Any]],
    rooms: list[dict[str, Any]],
    rng: random.Random,
    *,
    same_day: bool,
    max_days: int = 1,
    availability: list[dict[str, str]] | None = None,
) -> Problem:
    data: dict[str, Any] = {
        "format": "hireflow.problem/v1",
        "horizon": {"start": _iso(START), "end": _iso(START + timedelta(days=calendar_days))},
        "granularity_minutes": grid,
        "candidate": {
            "time_zone": ONSITE_ZONE,
            "hours": {"start": "08:00", "end": "19:00"},
            "availability": availability,
            "busy": [],
        },
        "loop": {"same_day": same_day, "max_days": max_days, "min_gap_minutes": 0, "max_gap_minutes": 30},
        "sessions": sessions,
        "interviewers": people,
        "rooms": rooms,
        "options": 10,
        "objective": rng.choice(["earliest", "earliest", "balanced"]),
    }
    return Problem.model_validate(data)


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def run_instance(
    family: str, seed: int, *, time_limit: float, workers: int, truth_limit: float
) -> dict[str, Any]:
    problem = generate(family, seed)
    c0, t0 = time.process_time(), time.perf_counter()
    first = plan(problem, options=1, time_limit=time_limit, workers=workers)
    c1, t1 = time.process_time(), time.perf_counter()
    ten = plan(problem, options=10, time_limit=time_limit, workers=workers)
    c2, t2 = time.process_time(), time.perf_counter()
    greedy = greedy_plan(problem, options=10)
    t3 = time.perf_counter()
    violations = validate(problem, ten) + validate(problem.model_copy(update={"options": 1}), first)
    row: dict[str, Any] = {
        "family": family,
        "seed": seed,
        "objective": problem.objective,
        "first_ms": round((t1 - t0) * 1000, 1),
        "ten_ms": round((t2 - t1) * 1000, 1),
        "greedy_ms": round((t3 - t2) * 1000, 1),
        # CPU time of this process (all solver threads): close to wall time on a quiet machine with 1 worker
        "first_cpu_ms": round((c1 - c0) * 1000, 1),
        "ten_cpu_ms": round((c2 - c1) * 1000, 1),
        "status": ten.status,
        "options": len(ten.options),
        "variables": ten.stats.variables,
        "greedy_options": len(greedy.options),
        "violations": [str(v) for v in violations],
        "blockers": [b.kind for b in ten.blockers],
        "best": ten.options[0].score.total if ten.options else None,
        "greedy_best": min((o.score.total for o in greedy.options), default=None),
        # hours the planner's best loop starts before greedy's first (same objective scale otherwise)
        "start_gain_h": round((greedy.options[0].start - ten.options[0].start).total_seconds() / 3600, 2)
        if ten.options and greedy.options
        else None,
        "size": sum(len(s.interviewers.pool) + len(s.interviewers.required) for s in problem.sessions)
        * len(problem.sessions),
    }
    if family == "T":
        # does a loop exist? one long solve over the whole horizon (no date decomposition, no early stop)
        truth = plan(
            problem,
            options=1,
            time_limit=truth_limit,
            workers=max(workers, 2),
            decompose=False,
            explain_blockers=False,
        )
        row["exists"] = {"optimal": True, "feasible": True, "infeasible": False}.get(truth.status)
    return row


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    solved = [r for r in rows if r["options"]]
    both = [r for r in rows if r["best"] is not None and r["greedy_best"] is not None]
    earliest = [r["start_gain_h"] for r in both if r["objective"] == "earliest"]
    out: dict[str, Any] = {
        "instances": len(rows),
        "first_ms": {
            "median": _pct([r["first_ms"] for r in rows], 0.5),
            "p95": _pct([r["first_ms"] for r in rows], 0.95),
        },
        "ten_ms": {
            "median": _pct([r["ten_ms"] for r in rows], 0.5),
            "p95": _pct([r["ten_ms"] for r in rows], 0.95),
        },
        "first_cpu_ms": {
            "median": _pct([r["first_cpu_ms"] for r in rows], 0.5),
            "p95": _pct([r["first_cpu_ms"] for r in rows], 0.95),
        },
        "ten_cpu_ms": {
            "median": _pct([r["ten_cpu_ms"] for r in rows], 0.5),
            "p95": _pct([r["ten_cpu_ms"] for r in rows], 0.95),
        },
        "solved_share": round(len(solved) / len(rows), 3) if rows else None,
        "greedy_solved_share": round(sum(1 for r in rows if r["greedy_options"]) / len(rows), 3)
        if rows
        else None,
        "mean_options": round(statistics.mean(r["options"] for r in rows), 2) if rows else None,
        "objective_vs_greedy": {
            "compared": len(both),
            "planner_better": sum(1 for r in both if r["best"] < r["greedy_best"]),
            "equal": sum(1 for r in both if r["best"] == r["greedy_best"]),
            "planner_worse": sum(1 for r in both if r["best"] > r["greedy_best"]),
            # `earliest` only: `balanced` (and soft conflicts greedy ignores) may rightly start later
            "mean_start_gain_h_earliest": round(statistics.mean(earliest), 2) if earliest else None,
        },
        "planner_only": sum(1 for r in rows if r["options"] and not r["greedy_options"]),
        "invalid_options": sum(len(r["violations"]) for r in rows),
    }
    if rows and "exists" in rows[0]:
        exists = [r for r in rows if r.get("exists")]
        out["exists"] = len(exists)
        out["found_where_exists"] = sum(1 for r in exists if r["options"])
        out["greedy_missed_where_exists"] = sum(1 for r in exists if not r["greedy_options"])
        out["unknown_truth"] = sum(1 for r in rows if r.get("exists") is None)
    return out


def _plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for family, marker in (("S", "o"), ("M", "s"), ("L", "^"), ("T", "x")):
        pts = [r for r in rows if r["family"] == family]
        if pts:
            ax.scatter(
                [r["variables"] for r in pts],
                [r["first_ms"] for r in pts],
                marker=marker,
                label=f"{family} first option",
                alpha=0.7,
            )
            ax.scatter(
                [r["variables"] for r in pts],
                [r["ten_ms"] for r in pts],
                marker=marker,
                label=f"{family} 10 options",
                alpha=0.4,
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("CP-SAT variables built (all windows)")
    ax.set_ylabel("wall time (ms)")
    ax.set_title("Hireflow planner: solve time vs instance size")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", type=int, default=20, help="instances per family")
    ap.add_argument("--families", default="S,M,L,T")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/planner.json"))
    ap.add_argument("--time-limit", type=float, default=10.0, help="planner time limit per call (s)")
    ap.add_argument("--workers", type=int, default=1, help="CP-SAT workers per solve")
    ap.add_argument(
        "--truth-limit", type=float, default=60.0, help="T: time limit of the existence check (s)"
    )
    ap.add_argument("--no-plot", action="store_true")
    args = ap.parse_args(argv)
    families = [f.strip().upper() for f in args.families.split(",") if f.strip()]
    rows: list[dict[str, Any]] = []
    result: dict[str, Any] = {
        "generated": datetime.now(UTC).isoformat(),
        "machine": platform.platform(),
        "python": platform.python_version(),
        "workers": args.workers,
        "time_limit": args.time_limit,
        "targets": {"M_first_p95_ms": 300, "M_ten_p95_ms": 1500, "L_ten_p95_ms": 5000},
        "families": {},
    }
    for family in families:
        fam_rows = []
        for seed in range(args.instances):
            row = run_instance(
                family, seed, time_limit=args.time_limit, workers=args.workers, truth_limit=args.truth_limit
            )
            fam_rows.append(row)
            print(
                json.dumps(
                    {
                        k: row[k]
                        for k in (
                            "family",
                            "seed",
                            "first_ms",
                            "ten_ms",
                            "first_cpu_ms",
                            "ten_cpu_ms",
                            "status",
                            "options",
                            "greedy_options",
                        )
                    }
                ),
                flush=True,
            )
        result["families"][family] = summarise(fam_rows)
        rows += fam_rows
    result["instances"] = rows
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    if not args.no_plot:
        _plot(rows, args.out.with_suffix(".png"))
    print(json.dumps(result["families"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
