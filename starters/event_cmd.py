"""`hireflow event create|status|cancel`: recruiting events (hiring days) from a terminal.

Exit codes: 0 done, 1 the event refused (a cancel it could not take), 2 an invalid value, something
named that does not exist (job, stage, event) or a service that cannot be reached.
The Temporal and Harvest clients are imported when a command runs, not when the CLI loads.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:
    from integrations.event_client import EventClient
    from models.event_io import EventStatus
    from models.settings import Settings

T = TypeVar("T")

event_app = typer.Typer(
    help="Recruiting events: every candidate of a job's stage on one to five days.", no_args_is_help=True
)

REFUSED = 1
INVALID = 2
MAX_DAYS = 5  # models.event_io.MAX_EVENT_DAYS (not imported: the CLI loads no models it does not run)


def _fail(message: str, code: int = INVALID) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def parse_days(values: list[str]) -> list[date]:
    """`--day` values as sorted distinct dates; bad values exit 2 with what would work."""
    days: list[date] = []
    for value in values:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError as error:
            raise _fail(f"--day {value!r} is not a date: give YYYY-MM-DD, e.g. --day 2027-03-24") from error
        if day in days:
            raise _fail(f"--day {day.isoformat()} is given twice")
        days.append(day)
    if not days:
        raise _fail("give at least one --day YYYY-MM-DD")
    if len(days) > MAX_DAYS:
        raise _fail(f"{len(days)} days given; an event has at most {MAX_DAYS}")
    return sorted(days)


def check_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise _fail(
            f"--time-zone {value!r} is not an IANA zone (e.g. Europe/London, America/New_York)"
        ) from error
    return value


def parse_answer_by(value: str, zone: str) -> datetime:
    """`--answer-by` as an aware instant; a time without an offset is read in the event's zone."""
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise _fail(f"--answer-by {value!r} is not an ISO date-time, e.g. 2027-03-20T17:00") from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(zone))


def _when(value: datetime | None) -> str:
    return value.strftime("%a %d %b %Y %H:%M UTC") if value else "—"


def render_event_status(status: EventStatus, workflow_url: str) -> str:
    """The event's status as a person reads it in a terminal: state, days, deadline, counts, candidates."""
    from datetime import UTC

    job = status.job_name or f"job {status.job_id}"
    stage = status.stage_name or f"stage {status.job_interview_stage_id}"
    lines = [f"{status.workflow_id}: {status.state.value}", f"  {status.name} for {job}, {stage}"]
    for interval in status.days:
        start, end = interval.start.astimezone(UTC), interval.end.astimezone(UTC)
        lines.append(f"  day: {_when(start)} to {end:%H:%M} UTC")
    lines.append(f"  answers by: {_when(status.answer_by)}")
    if status.escalation:
        lines.append(f"  needs a recruiter: {status.escalation}")
    counts: dict[str, int] = {}
    for candidate in status.candidates:
        counts[candidate.state.value] = counts.get(candidate.state.value, 0) + 1
    listed = ", ".join(f"{state} {n}" for state, n in counts.items())
    lines.append(f"  candidates: {len(status.candidates)}" + (f" ({listed})" if listed else ""))
    for candidate in status.candidates:
        reason = f"  {candidate.reason}" if candidate.reason else ""
        lines.append(f"    application {candidate.application_id}  {candidate.state.value}{reason}")
    lines.append(f"  plans made: {status.plans_made}")
    lines.append(f"  Temporal UI: {workflow_url}")
    return "\n".join(lines)


async def _resolve_stage(settings: Settings, job_id: int, stage: str) -> tuple[int, str, str]:
    """(stage id, stage name, the job's office zone) for `--stage` given as an id or a name of the job."""
    from integrations.greenhouse.client import HarvestClient
    from integrations.greenhouse.errors import NotFoundError
    from integrations.greenhouse.mentions import Named, match_named

    value = stage.strip()
    if not value:
        raise _fail("--stage needs a stage name or id")
    async with HarvestClient.from_settings(settings) as harvest:
        try:
            job = await harvest.get_job(job_id)
        except NotFoundError as error:
            raise _fail(f"job {job_id} is not in Greenhouse") from error
        plan = [s async for s in harvest.list_job_interview_stages(job_ids=[job_id]) if s.active]
        zone = await _office_zone(settings, job)
    plan.sort(key=lambda s: (s.sort_order, s.id))
    named = [Named(s.id, s.name or "") for s in plan]
    if value.isdigit():
        found = [n for n in named if n.id == int(value)]
    else:
        wanted = " ".join(value.lower().split())
        found = [n for n in named if " ".join(n.name.lower().split()) == wanted] or match_named(value, named)
    if len(found) != 1:
        names = ", ".join(f"{n.name!r} ({n.id})" for n in named)
        what = "matches several stages" if found else "is not a stage"
        raise _fail(f"--stage {value!r} {what} of job {job_id} ({job.name}); its stages: {names}")
    return found[0].id, found[0].name, zone


async def _office_zone(settings: Settings, job: Any) -> str:
    """The job's office zone as the mention command reads it; UTC when the store cannot say."""
    from activities.mention_events import office_zone
    from integrations.org_store import OrgConfigStore
    from models.store import create_engine_for, init_db

    try:
        engine = create_engine_for(settings.resolved_database_url())
        init_db(engine)
        try:
            return await office_zone(OrgConfigStore(engine), job)
        finally:
            engine.dispose()
    except Exception as error:  # the zone is a default: say so and go on
        typer.echo(f"note: could not read the office's zone ({error}); using UTC", err=True)
        return "UTC"


@event_app.command("create")
def create(
    job: int = typer.Option(..., "--job", help="Greenhouse job id."),
    stage: str = typer.Option(..., "--stage", help="The job's interview stage: id or name (e.g. Onsite)."),
    day: list[str] = typer.Option(..., "--day", help="A day of the event, YYYY-MM-DD (repeatable, up to 5)."),
    time_zone: str | None = typer.Option(
        None, "--time-zone", help="IANA zone the days are read in (default: the job's office, else UTC)."
    ),
    answer_by: str | None = typer.Option(
        None, "--answer-by", help="ISO date-time answers close (default: from the policy)."
    ),
    name: str | None = typer.Option(None, "--name", help='What to call it (default "hiring day").'),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Start a recruiting event: ask the stage's candidates for their availability, plan, book."""
    import asyncio
    from zoneinfo import ZoneInfo

    from pydantic import ValidationError

    from integrations.event_client import EventClient
    from integrations.greenhouse.errors import HarvestError
    from integrations.payload_keys import PayloadKeyError
    from models.event_io import EventRequest, event_workflow_id
    from models.settings import get_settings
    from starters.local_keys import with_local_keys
    from workers.client import connect

    days = parse_days(day)
    zone = check_zone(time_zone.strip()) if time_zone else None
    if name is not None and not (name.strip() and len(name.strip()) <= 80):
        raise _fail("--name takes 1 to 80 characters")
    settings = with_local_keys(get_settings())  # the dev stack's key when none is configured

    async def run() -> dict[str, Any]:
        try:
            stage_id, stage_name, office = await _resolve_stage(settings, job, stage)
        except HarvestError as error:
            raise _fail(f"cannot read Greenhouse at {settings.greenhouse_base_url}: {error}") from error
        event_zone = zone or office
        today = datetime.now(ZoneInfo(event_zone)).date()
        if days[0] < today:
            raise _fail(
                f"--day {days[0].isoformat()} has passed (today is {today.isoformat()} in {event_zone})"
            )
        deadline = parse_answer_by(answer_by, event_zone) if answer_by else None
        if deadline is not None and deadline <= datetime.now(deadline.tzinfo):
            raise _fail(f"--answer-by {answer_by} has passed")
        request = EventRequest(
            job_id=job,
            job_interview_stage_id=stage_id,
            days=days,
            time_zone=event_zone,
            name=(name or "hiring day").strip(),
            answer_by=deadline,
            source="cli",
        )
        workflow_id = event_workflow_id(job, stage_id, days[0])
        try:
            client = await connect(settings)
        except RuntimeError as error:
            raise _fail(f"cannot reach Temporal at {settings.temporal_address}: {error}") from error
        events = EventClient(client, settings)
        running = await _running(events, workflow_id)
        handle = await events.start(request)
        return {
            "workflow_id": handle.id,
            "run_id": handle.result_run_id,
            "already_running": running,
            "job_interview_stage_id": stage_id,
            "stage_name": stage_name,
            "days": [d.isoformat() for d in days],
            "time_zone": event_zone,
        }

    try:
        started = asyncio.run(run())
    except typer.Exit:  # a refusal already explained (click's Exit is a RuntimeError)
        raise
    except ValidationError as error:
        raise _fail("; ".join(str(e["msg"]) for e in error.errors()[:3])) from error
    except (HarvestError, RuntimeError, PayloadKeyError, OSError) as error:
        raise _fail(str(error)) from error
    if as_json:
        typer.echo(json.dumps(started))
        return
    verb = "Already running" if started["already_running"] else "Event"
    typer.echo(f"{verb} {started['workflow_id']} (run {started['run_id']})")
    typer.echo(
        f"  {started['stage_name']}, days {', '.join(started['days'])} ({started['time_zone']}); "
        "the stage's candidates are asked for their availability"
    )
    typer.echo(f"  Temporal UI: {settings.workflow_ui_url(started['workflow_id'])}")


async def _running(events: Any, workflow_id: str) -> bool:
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError, RPCStatusCode

    try:
        described = await events.handle(workflow_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return bool(described.status == WorkflowExecutionStatus.RUNNING)


def _connect_error(settings: Settings, error: Exception) -> typer.Exit:
    return _fail(f"cannot reach Temporal at {settings.temporal_address}: {error}")


def _on_event(
    settings: Settings, event_id: str, doing: str, call: Callable[[EventClient], Awaitable[T]]
) -> T:
    """Run `call` against the event; an unknown event, a refusal or an unreachable server exits 2, saying so."""
    import asyncio

    from temporalio.client import WorkflowQueryFailedError, WorkflowUpdateFailedError
    from temporalio.service import RPCError, RPCStatusCode

    from integrations.event_client import EventClient
    from integrations.payload_keys import PayloadKeyError
    from workers.client import connect

    async def run() -> T:
        try:
            client = await connect(settings)
        except RuntimeError as error:
            raise _connect_error(settings, error) from error
        return await call(EventClient(client, settings))

    try:
        return asyncio.run(run())
    except typer.Exit:
        raise
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise _fail(f"no event {event_id!r}") from error
        raise _fail(f"could not {doing} event {event_id!r}: {error}") from error
    except (
        WorkflowQueryFailedError,
        WorkflowUpdateFailedError,
        RuntimeError,
        PayloadKeyError,
        OSError,
    ) as error:
        raise _fail(f"could not {doing} event {event_id!r}: {error}") from error


@event_app.command("status")
def status(
    event_id: str = typer.Argument(..., help="The event's workflow id (event-<job>-<stage>-<YYYYMMDD>)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show an event: state, days, answer deadline, candidates per state and each candidate."""
    from models.settings import get_settings
    from starters.local_keys import with_local_keys

    settings = with_local_keys(get_settings())
    found = _on_event(settings, event_id, "read", lambda events: events.status(event_id.strip()))
    typer.echo(
        found.model_dump_json(indent=2)
        if as_json
        else render_event_status(found, settings.workflow_ui_url(found.workflow_id))
    )


@event_app.command("cancel")
def cancel(
    event_id: str = typer.Argument(..., help="The event's workflow id."),
    reason: str = typer.Option(
        "cancelled from the command line", "--reason", help="Kept in the event's history."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Cancel an event and every loop it booked; the event says what it did (or why it would not)."""
    import uuid

    from models.event_io import EventCancelInput
    from models.settings import get_settings
    from starters.local_keys import with_local_keys

    settings = with_local_keys(get_settings())
    if len(reason) > 2000:
        raise _fail("--reason takes at most 2000 characters")
    request = EventCancelInput(reason=reason, request_id=f"cli-{uuid.uuid4().hex}")
    result = _on_event(settings, event_id, "cancel", lambda events: events.cancel(event_id.strip(), request))
    if as_json:
        typer.echo(json.dumps({"workflow_id": event_id, **result.model_dump(mode="json")}))
    else:
        typer.echo(f"{event_id}: {result.outcome}: {result.message}")
    if result.outcome == "refused":
        raise typer.Exit(REFUSED)


def register(app: typer.Typer) -> None:
    """Add the `event` group."""
    app.add_typer(event_app, name="event")
