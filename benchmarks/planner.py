"""Planner benchmark: seeded instance families, timings, solved share, objective against greedy.

    uv run --frozen python -m benchmarks.planner --instances 20 --families S,M,L,T \\
        --out benchmarks/results/planner.json

Families (each instance reproducible from its family and index):
  S  one 45-minute phone screen, pool of 10, 10 working days, 15-minute grid
  M  5-session same-day onsite, pools of 6-10 from 60 interviewers ~50% busy, rooms, 10 working days,
     5-minute grid
  L  6-session loop with trainees and rooms, 2-day split allowed, 150 interviewers, 15 working days
  T  tight M instances (busier people, small pools, a few short candidate windows): few or no loops fit
  X  M instances made infeasible by one planted cause (a 90-minute candidate window, an excluded pool,
     a full weekly limit, no room big enough): time to explain (blockers and verified relaxations),
     whether the planted cause is named, how many relaxations verified
  E  recruiting events (`planner.event_plan`): 30 candidates x 4 sessions over 2 days, 25 interviewers,
     6 rooms; candidates scheduled (all and high-priority), weighted value and proven bound against the
     first-come-first-served baseline, side by side; measured alone with
     `python -m benchmarks.planner --families E --merge --no-plot`
Writes JSON (per family and per instance) and a PNG of solve time against model size next to it.

`--cli N` also times `hireflow plan` on the first N M instances as whole processes (the console script
next to this interpreter, start-up included, bytecode cached by one untimed run): target 1.5 s.
`--merge` keeps the families of an existing output file that this run does not measure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
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

from models.events import Event
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


EVENT_CANDIDATES, EVENT_INTERVIEWERS, EVENT_ROOMS = 30, 25, 6


def generate_event(seed: int, *, candidates: int = EVENT_CANDIDATES) -> Event:
    """Family E: a two-day hiring event, 4 sessions per candidate, 25 interviewers, 6 rooms (NY office)."""
    rng = random.Random(f"E-{seed}")
    tz = ZoneInfo(ONSITE_ZONE)
    days = _workdays(2)
    people = [
        _person(rng, 100 + i, rng.choice([ONSITE_ZONE] * 4 + ["America/Chicago"]), days, 0.3)
        for i in range(EVENT_INTERVIEWERS)
    ]
    ids = [p["id"] for p in people]
    sessions = [
        {
            "id": f"s{s}",
            "name": name,
            "duration_minutes": rng.choice([45, 60]),
            "interviewers": {"pool": rng.sample(ids, rng.randint(7, 10)), "count": 2 if s == 1 else 1},
            "room": {"required": True},
        }
        for s, name in enumerate(["Coding", "System design", "Behavioural", "Hiring manager"])
    ]
    day_windows = [
        {
            "start": _iso(datetime(d.year, d.month, d.day, 8, 0, tzinfo=tz)),
            "end": _iso(datetime(d.year, d.month, d.day, 18, 0, tzinfo=tz)),
        }
        for d in days
    ]
    cands = []
    for c in range(candidates):
        avail: list[dict[str, str]] | None = None
        if rng.random() < 0.5:  # half of them name a day, or half a day
            d = rng.choice(days)
            first = rng.choice([8, 8, 10, 12])
            last = min(18, first + rng.choice([5, 6, 10]))
            avail = [
                {
                    "start": _iso(datetime(d.year, d.month, d.day, first, 0, tzinfo=tz)),
                    "end": _iso(datetime(d.year, d.month, d.day, last, 0, tzinfo=tz)),
                }
            ]
        cands.append(
            {
                "id": f"c{c:02d}",
                "time_zone": rng.choice([ONSITE_ZONE] * 3 + REMOTE_ZONES[:2]),
                "availability": avail,
                "priority": 2 if rng.random() < 0.2 else 1,
            }
        )
    data = {
        "format": "hireflow.event/v1",
        "days": day_windows,
        "granularity_minutes": 15,
        "loop": {"min_gap_minutes": 0, "max_gap_minutes": 30},
        "sessions": sessions,
        "candidates": cands,
        "interviewers": people,
        "rooms": _rooms(rng, EVENT_ROOMS, days, 0.2),
        "objective": "most_candidates",
    }
    return Event.model_validate(data)


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


PLANTED = ("candidate_window", "pool_exhausted", "load_limit", "room")


def plant(problem: Problem, cause: str) -> Problem:
    """An M instance with one rule group broken so that no loop fits (family X)."""
    data = problem.model_dump(mode="json")
    if cause == "candidate_window":
        day = _workdays(3)[2]
        start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=ZoneInfo(ONSITE_ZONE))
        data["candidate"]["availability"] = [
            {"start": _iso(start), "end": _iso(start + timedelta(minutes=90))}
        ]
    elif cause == "pool_exhausted":
        s = data["sessions"][2]["interviewers"]
        data["exclude_interviewers"] = [p for p in s["pool"] if p not in s["required"]]
    elif cause == "load_limit":
        s = data["sessions"][0]["interviewers"]
        s["required"] = s["required"] or [s["pool"][0]]
        s["count"] = max(s["count"], len(s["required"]))
        who = next(p for p in data["interviewers"] if p["id"] == s["required"][0])
        who["max_per_week"] = 0
    elif cause == "room":
        data["sessions"][1]["room"]["min_capacity"] = 99
    return Problem.model_validate(data)


def explain_instance(seed: int, *, time_limit: float, workers: int) -> dict[str, Any]:
    cause = PLANTED[seed % len(PLANTED)]
    problem = plant(generate("M", seed), cause)
    c0, t0 = time.process_time(), time.perf_counter()
    result = plan(problem, options=10, time_limit=time_limit, workers=workers)
    c1, t1 = time.process_time(), time.perf_counter()
    relaxations = [r for b in result.blockers for r in b.relaxations]
    return {
        "family": "X",
        "seed": seed,
        "planted": cause,
        "status": result.status,
        "options": len(result.options),
        "blockers": [b.kind for b in result.blockers],
        "named": cause in {b.kind for b in result.blockers},
        "relaxations": len(relaxations),
        "changes": sorted({r.change for r in relaxations}),
        "wall_ms": round((t1 - t0) * 1000, 1),
        "cpu_ms": round((c1 - c0) * 1000, 1),
        "explain_ms": result.stats.explain_ms,
    }


def summarise_explain(rows: list[dict[str, Any]]) -> dict[str, Any]:
    infeasible = [r for r in rows if r["status"] == "infeasible"]
    return {
        "instances": len(rows),
        "infeasible": len(infeasible),
        "planted_named": sum(1 for r in infeasible if r["named"]),
        "with_relaxations": sum(1 for r in infeasible if r["relaxations"]),
        "wall_ms": {
            "median": _pct([r["wall_ms"] for r in rows], 0.5),
            "p95": _pct([r["wall_ms"] for r in rows], 0.95),
        },
        "explain_ms": {
            "median": _pct([r["explain_ms"] for r in rows], 0.5),
            "p95": _pct([r["explain_ms"] for r in rows], 0.95),
            "max": max((r["explain_ms"] for r in rows), default=None),
        },
    }


def cli_timing(instances: int, runs: int) -> dict[str, Any]:
    """`hireflow plan` on M instances as whole processes: start-up, imports, solve and JSON output."""
    script = Path(sys.executable).parent / ("hireflow.exe" if os.name == "nt" else "hireflow")
    if not script.is_file():
        raise SystemExit(f"no `hireflow` script next to {sys.executable}: run `uv sync` first")
    walls: list[float] = []
    per_instance = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        for seed in range(instances):
            path = Path(tmp) / f"m{seed}.json"
            path.write_text(generate("M", seed).model_dump_json())
            command = [str(script), "plan", str(path)]
            if seed == 0:
                subprocess.run(command, env=env, capture_output=True, check=True)  # fill the bytecode cache
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                done = subprocess.run(command, env=env, capture_output=True, check=True)
                times.append(round((time.perf_counter() - t0) * 1000, 1))
            solve_ms = json.loads(done.stdout)["stats"]["wall_ms"]
            walls += times
            per_instance.append({"seed": seed, "wall_ms": times, "solve_ms": solve_ms})
    return {
        "command": "hireflow plan M.json (10 options)",
        "runs": len(walls),
        "wall_ms": {"median": _pct(walls, 0.5), "p95": _pct(walls, 0.95), "max": max(walls, default=None)},
        "target_ms": 1500,
        "instances": per_instance,
    }


def run_event(seed: int, *, time_limit: float, workers: int, cli: bool) -> dict[str, Any]:
    """Family E: the event planner against first come, first served, and `hireflow plan-event` as a process."""
    from planner.event_baseline import fcfs_plan
    from planner.event_model import priority_weights
    from planner.event_plan import solve_event
    from planner.event_validate import validate_event

    event = generate_event(seed)
    t0 = time.perf_counter()
    result = solve_event(event, time_limit=time_limit, workers=workers)
    t1 = time.perf_counter()
    baseline = fcfs_plan(event)
    t2 = time.perf_counter()
    plan = result.plan
    top = max(c.priority for c in event.candidates)
    high = {c.id for c in event.candidates if c.priority == top}
    weight = dict(
        zip(
            [c.id for c in event.candidates],
            priority_weights([c.priority for c in event.candidates]),
            strict=True,
        )
    )
    row: dict[str, Any] = {
        "family": "E",
        "seed": seed,
        "wall_ms": round((t1 - t0) * 1000, 1),
        "status": plan.status,
        "scheduled": len(plan.scheduled),
        "bound_candidates": plan.stats.bound_candidates,
        "fcfs_scheduled": len(baseline.scheduled),
        "high_priority": f"{sum(s.candidate in high for s in plan.scheduled)}/{len(high)}",
        "fcfs_high_priority": f"{sum(s.candidate in high for s in baseline.scheduled)}/{len(high)}",
        "weighted": sum(weight[s.candidate] for s in plan.scheduled),
        "fcfs_weighted": sum(weight[s.candidate] for s in baseline.scheduled),
        "fcfs_ms": round((t2 - t1) * 1000, 1),
        "stages": [
            {"name": s.name, "status": s.status, "value": s.value, "wall_ms": s.wall_ms}
            for s in result.stages
        ],
        "max_load": max(plan.load.values(), default=0),
        "fcfs_max_load": max(baseline.load.values(), default=0),
        "violations": [str(v) for v in validate_event(event, plan) + validate_event(event, baseline)],
    }
    if cli:
        row["cli_wall_ms"] = _cli_wall_ms(event, time_limit, workers)
    return row


def _cli_wall_ms(event: Event, time_limit: float, workers: int) -> float:
    """`hireflow plan-event FILE` as a whole process, start-up included."""
    import subprocess
    import tempfile

    hireflow = Path(sys.executable).with_name("hireflow")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "event.json"
        path.write_text(event.model_dump_json())
        began = time.perf_counter()
        subprocess.run(
            [
                str(hireflow),
                "plan-event",
                str(path),
                "--time-limit",
                str(time_limit),
                "--workers",
                str(workers),
            ],
            check=True,
            capture_output=True,
        )
        return round((time.perf_counter() - began) * 1000, 1)


def summarise_events(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "instances": len(rows),
        "shape": f"{EVENT_CANDIDATES} candidates x 4 sessions, 2 days, {EVENT_INTERVIEWERS} interviewers, {EVENT_ROOMS} rooms",
        "wall_ms": {
            "median": _pct([r["wall_ms"] for r in rows], 0.5),
            "p95": _pct([r["wall_ms"] for r in rows], 0.95),
        },
        "optimal": sum(1 for r in rows if r["status"] == "optimal"),
        "scheduled": [r["scheduled"] for r in rows],
        "bound_candidates": [r["bound_candidates"] for r in rows],
        "fcfs_scheduled": [r["fcfs_scheduled"] for r in rows],
        "high_priority": [r["high_priority"] for r in rows],
        "fcfs_high_priority": [r["fcfs_high_priority"] for r in rows],
        "weighted": [r["weighted"] for r in rows],
        "fcfs_weighted": [r["fcfs_weighted"] for r in rows],
        "wall_ms_each": [r["wall_ms"] for r in rows],
        "mean_scheduled": round(statistics.mean(r["scheduled"] for r in rows), 2) if rows else None,
        "mean_fcfs_scheduled": round(statistics.mean(r["fcfs_scheduled"] for r in rows), 2) if rows else None,
        "cli_wall_ms": {
            "median": _pct([r["cli_wall_ms"] for r in rows if "cli_wall_ms" in r], 0.5),
            "p95": _pct([r["cli_wall_ms"] for r in rows if "cli_wall_ms" in r], 0.95),
        },
        "invalid": sum(len(r["violations"]) for r in rows),
    }


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
        pts = [r for r in rows if r["family"] == family and "variables" in r]
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
    ap.add_argument("--cli", type=int, default=0, help="time `hireflow plan` on this many M instances")
    ap.add_argument("--cli-runs", type=int, default=3, help="processes per instance for --cli")
    ap.add_argument("--event-instances", type=int, default=5, help="E: events to plan")
    ap.add_argument(
        "--merge",
        action="store_true",
        help="keep the other families' results already in --out (e.g. E alone)",
    )
    args = ap.parse_args(argv)
    families = [f.strip().upper() for f in args.families.split(",") if f.strip()]
    rows: list[dict[str, Any]] = []
    result: dict[str, Any] = {
        "generated": datetime.now(UTC).isoformat(),
        "machine": platform.platform(),
        "python": platform.python_version(),
        "workers": args.workers,
        "time_limit": args.time_limit,
        "targets": {
            "M_first_p95_ms": 300,
            "M_ten_p95_ms": 1500,
            "L_ten_p95_ms": 5000,
            "X_explain_p95_ms": 2000,
            "cli_plan_M_ms": 1500,
        },
        "families": {},
    }
    if args.merge and args.out.exists():
        old = json.loads(args.out.read_text())
        result["families"] = {k: v for k, v in old.get("families", {}).items() if k not in families}
        result["targets"] = {**old.get("targets", {}), **result["targets"]}
        rows = [r for r in old.get("instances", []) if r.get("family") not in families]
        if "cli" in old and not args.cli:
            result["cli"] = old["cli"]
    result["targets"]["E_wall_ms"] = 10_000
    for family in families:
        if family == "X":
            x_rows = [
                explain_instance(seed, time_limit=args.time_limit, workers=args.workers)
                for seed in range(args.instances)
            ]
            for row in x_rows:
                print(json.dumps(row), flush=True)
            result["families"]["X"] = summarise_explain(x_rows)
            rows += x_rows
            continue
        if family == "E":
            ev_rows = [
                run_event(seed, time_limit=args.time_limit, workers=args.workers, cli=True)
                for seed in range(args.event_instances)
            ]
            for row in ev_rows:
                print(
                    json.dumps({k: v for k, v in row.items() if k not in ("stages", "violations")}),
                    flush=True,
                )
            result["families"]["E"] = summarise_events(ev_rows)
            rows += ev_rows
            continue
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
    if args.cli:
        result["cli"] = cli_timing(args.cli, args.cli_runs)
        print(json.dumps({k: v for k, v in result["cli"].items() if k != "instances"}), flush=True)
    result["instances"] = rows
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    if not args.no_plot:
        _plot([r for r in rows if r["family"] != "E"], args.out.with_suffix(".png"))
    print(json.dumps(result["families"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
