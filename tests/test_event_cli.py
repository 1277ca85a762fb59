"""`hireflow event create|status|cancel`: argument errors, a start on the dev server, what status prints.

`create` runs against the Greenhouse sandbox (the stage by id or name, the office's zone) and the
Temporal dev server: the EventWorkflow execution it starts is read back with its input (no worker
runs it here). `status` and `cancel` print what the workflow answers; the answers are constructed
(the EventClient's query and update are replaced) so the printing is tested apart from the workflow.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from integrations.event_client import WORKFLOW, EventClient
from integrations.greenhouse.client import HarvestClient
from models.event_io import (
    EventCancelInput,
    EventCandidateState,
    EventCommandResult,
    EventInvitee,
    EventRequest,
    EventState,
    EventStatus,
    event_workflow_id,
)
from models.scheduling import Interval
from models.settings import Settings, get_settings
from sandbox.greenhouse.server import SandboxServer
from sandbox.radicale.server import RadicaleServer
from starters.cli import app
from starters.event_cmd import render_event_status
from starters.ports import free_port
from tests.support.stack import seeded_store, settings_environment, stack_settings, terminate_running

runner = CliRunner()
_FIRST = date.today() + timedelta(days=900 + random.randrange(4000))


_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[", re.MULTILINE)


def invoke(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout without the clients' log lines, stderr."""
    result = runner.invoke(app, ["event", *args])
    out = "".join(line for line in result.stdout.splitlines(keepends=True) if not _LOG_LINE.match(line))
    return result.exit_code, out, result.stderr


async def ainvoke(*args: str) -> tuple[int, str, str]:
    """The command in a thread: the in-process sandbox and dev server answer on this test's loop."""
    return await asyncio.to_thread(invoke, *args)


# ------------------------------------------------------------------------------ argument errors


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--day", "2027-02-30"], "--day '2027-02-30' is not a date: give YYYY-MM-DD"),
        (["--day", "24 March"], "--day '24 March' is not a date"),
        (["--day", "2031-03-24", "--day", "2031-03-24"], "--day 2031-03-24 is given twice"),
        ([f"--day=2031-03-{d}" for d in range(20, 26)], "6 days given; an event has at most 5"),
        (["--day", "2031-03-24", "--time-zone", "Mars/Olympus"], "--time-zone 'Mars/Olympus' is not an IANA zone"),
        (["--day", "2031-03-24", "--name", " "], "--name takes 1 to 80 characters"),
    ],
)  # fmt: skip
def test_bad_arguments_exit_2_with_what_would_work(args: list[str], says: str) -> None:
    code, out, err = invoke("create", "--job", "1", "--stage", "Onsite", *args)
    assert code == 2 and out == "" and says in err, err


def test_the_commands_are_listed_and_need_their_arguments() -> None:
    code, out, _ = invoke("--help")
    assert code == 0 and all(word in out for word in ("create", "status", "cancel"))
    assert runner.invoke(app, ["event", "create", "--stage", "Onsite", "--day", "2031-01-01"]).exit_code == 2
    assert runner.invoke(app, ["event", "status"]).exit_code == 2


def test_status_renders_state_days_deadline_counts_and_each_candidate() -> None:
    day = datetime(2031, 3, 24, 9, tzinfo=UTC)
    status = EventStatus(
        workflow_id="event-1-2-20310324",
        state=EventState.COLLECTING,
        job_id=1,
        job_interview_stage_id=2,
        job_name="Backend Engineer",
        stage_name="Onsite",
        days=[Interval(start=day, end=day + timedelta(hours=9))],
        answer_by=datetime(2031, 3, 21, 17, tzinfo=UTC),
        candidates=[
            EventInvitee(application_id=11, state=EventCandidateState.INVITED),
            EventInvitee(application_id=12, state=EventCandidateState.ANSWERED),
            EventInvitee(application_id=13, state=EventCandidateState.UNREACHABLE, reason="no email address"),
            EventInvitee(application_id=14, state=EventCandidateState.INVITED),
        ],
    )
    assert render_event_status(status, "http://ui/event-1-2-20310324").splitlines() == [
        "event-1-2-20310324: collecting",
        "  hiring day for Backend Engineer, Onsite",
        "  day: Mon 24 Mar 2031 09:00 UTC to 18:00 UTC",
        "  answers by: Fri 21 Mar 2031 17:00 UTC",
        "  candidates: 4 (invited 2, answered 1, unreachable 1)",
        "    application 11  invited",
        "    application 12  answered",
        "    application 13  unreachable  no email address",
        "    application 14  invited",
        "  plans made: 0",
        "  Temporal UI: http://ui/event-1-2-20310324",
    ]
    bare = EventStatus(
        workflow_id="event-9-8-20310101", state=EventState.GATHERING, job_id=9, job_interview_stage_id=8
    )
    assert render_event_status(bare, "u").splitlines()[1:5] == [
        "  hiring day for job 9, stage 8",
        "  answers by: —",
        "  candidates: 0",
        "  plans made: 0",
    ]


# ------------------------------------------------------------------------- against the servers


@pytest_asyncio.fixture(scope="module")
async def stack(
    dev_server_env: WorkflowEnvironment,
    greenhouse_sandbox: SandboxServer,
    radicale: RadicaleServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Settings, Engine]]:
    state = tmp_path_factory.mktemp("event-cli")
    target = dev_server_env.client.service_client.config.target_host
    settings = stack_settings(greenhouse_sandbox, radicale.url, free_port(), state, temporal_address=target)
    engine = await seeded_store(settings, greenhouse_sandbox)
    yield settings, engine
    await terminate_running(dev_server_env.client, settings.task_queue)  # no worker runs these events
    engine.dispose()


@pytest.fixture
def env(
    stack: tuple[Settings, Engine], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Settings]:
    settings, _ = stack
    for name, value in settings_environment(settings).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HIREFLOW_STATE_DIR", str(tmp_path))  # no dev stack's payload key from this machine
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


async def _job_and_stages(settings: Settings) -> tuple[int, dict[str, int], str]:
    """An open job of the seed with an Onsite stage: (job id, stage name -> id, its office's zone)."""
    from activities.mention_events import office_zone
    from integrations.org_store import OrgConfigStore
    from models.store import create_engine_for

    async with HarvestClient.from_settings(settings) as gh:
        async for job in gh.list_jobs(status="open"):
            stages = {s.name or "": s.id async for s in gh.list_job_interview_stages(job_ids=[job.id])}
            if "Onsite" in stages:
                engine = create_engine_for(settings.resolved_database_url())
                zone = await office_zone(OrgConfigStore(engine), job)
                engine.dispose()
                return job.id, stages, zone
    raise AssertionError("no open job with an Onsite stage")


async def _start_input(settings: Settings, workflow_id: str) -> EventRequest:
    from workers.client import connect

    client = await connect(settings)  # as the CLI does: its converter
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.workflow_type.name == WORKFLOW and started.task_queue.name == settings.task_queue
    [request] = await client.data_converter.decode(started.input.payloads, [EventRequest])
    assert isinstance(request, EventRequest)
    return request


@pytest.mark.integration
async def test_create_starts_the_event_with_the_stage_by_name_and_again_finds_it(env: Settings) -> None:
    job_id, stages, zone = await _job_and_stages(env)
    first, second = _FIRST, _FIRST + timedelta(days=1)
    args = ["create", "--job", str(job_id), "--stage", " onsite ", "--day", second.isoformat()]
    args += ["--day", first.isoformat(), "--answer-by", f"{first - timedelta(days=2)}T17:00", "--json"]

    code, out, err = await ainvoke(*args)

    assert code == 0, err
    started = json.loads(out)
    wid = event_workflow_id(job_id, stages["Onsite"], first)
    assert started["workflow_id"] == wid and started["already_running"] is False
    assert (started["days"], started["time_zone"]) == ([first.isoformat(), second.isoformat()], zone)
    request = await _start_input(env, wid)
    assert (request.job_id, request.job_interview_stage_id, request.days) == (
        job_id,
        stages["Onsite"],
        [first, second],
    )
    assert (request.source, request.time_zone, request.name, request.requested_by_user_id) == (
        "cli",
        zone,
        "hiring day",
        None,
    )
    assert request.answer_by is not None and request.answer_by.isoformat().startswith(
        f"{first - timedelta(days=2)}T17:00"
    )

    code, out, err = await ainvoke(
        "create", "--job", str(job_id), "--stage", str(stages["Onsite"]), "--day", first.isoformat()
    )
    assert code == 0, err
    assert out.startswith(f"Already running {wid} (run {started['run_id']})")


@pytest.mark.integration
@pytest.mark.parametrize(
    ("stage", "day", "says"),
    [
        ("Final Panel", None, "--stage 'Final Panel' is not a stage of job"),
        ("123", None, "--stage '123' is not a stage of job"),
        ("Onsite", "2020-01-02", "--day 2020-01-02 has passed"),
    ],
)
async def test_an_unknown_stage_or_a_past_day_exits_2_and_starts_nothing(
    env: Settings, stage: str, day: str | None, says: str
) -> None:
    job_id, _, _ = await _job_and_stages(env)
    code, out, err = await ainvoke(
        "create", "--job", str(job_id), "--stage", stage, "--day", day or _FIRST.isoformat()
    )
    assert code == 2 and out == "" and says in err, err
    if "stage" in says:
        assert "its stages: 'Application Review'" in err


@pytest.mark.integration
async def test_an_unknown_job_and_an_unreachable_server_exit_2(
    env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = await ainvoke("create", "--job", "999", "--stage", "Onsite", "--day", _FIRST.isoformat())
    assert code == 2 and "job 999 is not in Greenhouse" in err

    monkeypatch.setenv("HIREFLOW_TEMPORAL_ADDRESS", f"127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    for args in (["status", "event-1-2-20310101"], ["cancel", "event-1-2-20310101"]):
        code, _, err = await ainvoke(*args)
        assert code == 2 and "cannot reach Temporal at 127.0.0.1:" in err, err


@pytest.mark.integration
async def test_status_and_cancel_print_what_the_event_answers(
    env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, EventCancelInput]] = []

    async def status(self: EventClient, workflow_id: str) -> EventStatus:
        return EventStatus(
            workflow_id=workflow_id,
            state=EventState.RUNNING,
            job_id=1,
            job_interview_stage_id=2,
            candidates=[EventInvitee(application_id=7, state=EventCandidateState.BOOKED)],
        )

    async def cancel(self: EventClient, workflow_id: str, request: EventCancelInput) -> EventCommandResult:
        asked.append((workflow_id, request))
        if request.reason == "no":
            return EventCommandResult(outcome="refused", message="the event is over")
        return EventCommandResult(outcome="done", message="cancelled; 1 loop cancelled")

    monkeypatch.setattr(EventClient, "status", status)
    monkeypatch.setattr(EventClient, "cancel", cancel)

    code, out, _ = await ainvoke("status", "event-1-2-20310101")
    assert code == 0 and out.startswith("event-1-2-20310101: running\n")
    assert "  candidates: 1 (booked 1)\n    application 7  booked\n" in out
    code, out, _ = await ainvoke("status", "event-1-2-20310101", "--json")
    assert json.loads(out)["state"] == "running"

    code, out, _ = await ainvoke("cancel", "event-1-2-20310101", "--reason", "venue closed")
    assert code == 0 and out == "event-1-2-20310101: done: cancelled; 1 loop cancelled\n"
    code, out, _ = await ainvoke("cancel", "event-1-2-20310101", "--reason", "no")
    assert code == 1 and out == "event-1-2-20310101: refused: the event is over\n"
    assert [(wid, r.reason) for wid, r in asked] == [
        ("event-1-2-20310101", "venue closed"),
        ("event-1-2-20310101", "no"),
    ]
    assert asked[0][1].request_id.startswith("cli-") and asked[0][1].request_id != asked[1][1].request_id


@pytest.mark.integration
async def test_status_of_an_event_that_does_not_exist_exits_2(env: Settings) -> None:
    code, _, err = await ainvoke("status", "event-1-2-19990101")
    assert code == 2 and "event-1-2-19990101" in err, err
