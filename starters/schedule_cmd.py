"""`hireflow schedule`, `hireflow status`, `hireflow cancel`: requests from a terminal.

The Temporal and Harvest clients are imported when a command runs, not when the CLI loads.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from models.messages import CommandResult, SchedulingStatusSnapshot


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _when(value: Any) -> str:
    return value.strftime("%a %d %b %Y %H:%M UTC") if value else "—"


def render_status(status: SchedulingStatusSnapshot, workflow_url: str) -> str:
    """The status snapshot as a person reads it in a terminal."""
    from models.time_order import in_time_order

    lines = [
        f"{status.workflow_id}: {status.state.value}" + (" (paused)" if status.paused else ""),
        f"  application {status.application_id}, stage {status.job_interview_stage_id}",
    ]
    if status.waiting_for:
        lines.append(
            f"  waiting for {status.waiting_for}"
            + (f" until {_when(status.deadline)}" if status.deadline else "")
        )
    if status.escalation_reason and status.state.value == "escalated":
        lines.append(f"  needs a recruiter: {status.escalation_reason}")
    if status.offer and status.booking is None:
        lines.append(f"  {len(status.offer.options)} option(s) offered (version {status.offer.version}):")
        lines += [f"    {o.rank}. {_when(o.start)} → {_when(o.end)}" for o in status.offer.options[:5]]
    if status.booking:
        lines.append("  booked:")
        for s in in_time_order(status.booking.sessions):
            lines.append(
                f"    {s.name}: {_when(s.start)} to {s.end.strftime('%H:%M')} with {', '.join(map(str, s.interviewers))}"
                + (
                    f" (Greenhouse interview {s.greenhouse_interview_id})"
                    if s.greenhouse_interview_id
                    else ""
                )
            )
    lines.append(
        f"  {status.reminders_sent} reminder(s), {status.reschedules} reschedule(s), {status.replacements} replacement(s)"
    )
    for entry in status.history[-5:]:
        lines.append(f"  {_when(entry.at)}  {entry.event}  {entry.detail}")
    lines.append(f"  Temporal UI: {workflow_url}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add `schedule`, `status` and `cancel`."""

    @app.command("schedule")
    def schedule(
        application: int = typer.Option(..., "--application", help="Greenhouse application id."),
        stage: int | None = typer.Option(
            None, "--stage", help="Job interview stage id (default: current stage)."
        ),
        notes: str = typer.Option("", "--notes", help="Recruiter notes stored with the request."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Start scheduling an application's stage (or show the request already running)."""
        import asyncio

        from integrations.greenhouse.client import HarvestClient
        from integrations.payload_keys import PayloadKeyError
        from models.settings import get_settings
        from starters.local_keys import with_local_keys
        from starters.requests import RequestError, current_stage_id, start_scheduling
        from workers.client import connect

        settings = with_local_keys(get_settings())  # the dev stack's key when none is configured

        async def run() -> dict[str, Any]:
            stage_id = stage
            if stage_id is None:
                async with HarvestClient.from_settings(settings) as harvest:
                    stage_id = await current_stage_id(harvest, application)
            client = await connect(settings)
            handle = await start_scheduling(client, settings, application, stage_id, recruiter_notes=notes)
            return {
                "workflow_id": handle.id,
                "run_id": handle.result_run_id,
                "job_interview_stage_id": stage_id,
            }

        try:
            started = asyncio.run(run())
        except (RequestError, RuntimeError, PayloadKeyError) as error:
            raise _fail(str(error)) from error
        if as_json:
            typer.echo(json.dumps(started))
        else:
            typer.echo(f"Scheduling {started['workflow_id']} (run {started['run_id']})")
            typer.echo(f"  Temporal UI: {settings.workflow_ui_url(started['workflow_id'])}")

    @app.command("status")
    def status(
        ident: str = typer.Argument(
            ..., help="Workflow id (schedule-<application>-<stage>) or application id."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Show the state of a scheduling request."""
        import asyncio

        from integrations.payload_keys import PayloadKeyError
        from models.settings import get_settings
        from starters.local_keys import with_local_keys
        from starters.requests import RequestError, request_status
        from workers.client import connect

        settings = with_local_keys(get_settings())  # the dev stack's key when none is configured

        async def run() -> SchedulingStatusSnapshot:
            return await request_status(await connect(settings), ident)

        try:
            snapshot = asyncio.run(run())
        except (RequestError, RuntimeError, PayloadKeyError) as error:
            raise _fail(str(error)) from error
        typer.echo(
            snapshot.model_dump_json(indent=2)
            if as_json
            else render_status(snapshot, settings.workflow_ui_url(snapshot.workflow_id))
        )

    @app.command("cancel")
    def cancel(
        ident: str = typer.Argument(..., help="Workflow id or application id."),
        reason: str = typer.Option("cancelled from the command line", "--reason"),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Cancel a scheduling request: events and Greenhouse interviews are removed, everyone is told."""
        import asyncio

        from integrations.payload_keys import PayloadKeyError
        from models.settings import get_settings
        from starters.local_keys import with_local_keys
        from starters.requests import RequestError, cancel_request
        from workers.client import connect

        settings = with_local_keys(get_settings())  # the dev stack's key when none is configured

        async def run() -> tuple[str, CommandResult]:
            return await cancel_request(await connect(settings), ident, reason)

        try:
            workflow_id, result = asyncio.run(run())
        except (RequestError, RuntimeError, PayloadKeyError) as error:
            raise _fail(str(error)) from error
        answer = {"outcome": result.outcome, "state": result.state.value, "message": result.message}
        typer.echo(
            json.dumps({"workflow_id": workflow_id, "cancel": "requested", **answer})
            if as_json
            else f"Cancel requested for {workflow_id}: {result.message}"
        )
