"""`hireflow sync status|run|reconcile`: the mirror of the Greenhouse organisation from a terminal.

`run` starts the SyncWorkflow (or finds it running) and follows its next pass with a progress bar;
`reconcile` asks it for a full reconciliation and prints the drift it found; `status` shows the
workflow's state and, from the SQL store, how fresh each mirrored resource is.
Exit codes: 0 done, 1 Temporal or the store failed. Temporal is imported when a command runs.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from integrations.sync_client import SyncClient
    from models.settings import Settings
    from models.sync_io import DriftReport, SyncStatus

sync_app = typer.Typer(
    help="The SQL mirror of the Greenhouse organisation (SyncWorkflow).", no_args_is_help=True
)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _when(value: datetime | None) -> str:
    return value.strftime("%d %b %H:%M:%S UTC") if value else "never"


def render_drift(report: DriftReport) -> str:
    """The drift of one reconciliation as aligned columns, with sample ids."""
    header = ("RESOURCE", "LISTED", "MISSING", "STALE", "DELETED")
    rows = [
        (r.resource, str(r.listed), str(r.missing), str(r.stale), str(r.deleted)) for r in report.resources
    ]
    widths = [max(len(c) for c in column) for column in zip(header, *rows, strict=False)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in (header, *rows)
    ]
    for r in report.resources:
        for kind, ids in (("missing", r.missing_ids), ("stale", r.stale_ids), ("deleted", r.deleted_ids)):
            if ids:
                lines.append(f"  {r.resource} {kind}: {', '.join(map(str, ids))}")
    lines += [f"  {name}: not reconciled ({why})" for name, why in report.failed.items()]
    lines.append(f"{report.total} row(s) of drift, repaired")
    return "\n".join(lines)


def render_status(status: SyncStatus | None, freshness: dict[str, tuple[datetime | None, int]]) -> str:
    lines = []
    if status is None:
        lines.append("SyncWorkflow: not running (start it with `hireflow sync run`)")
    else:
        lines.append(
            f"SyncWorkflow: {status.state}, {status.passes} pass(es), last {_when(status.last_pass_at)}"
        )
        if status.progress.phase != "idle":
            lines.append(
                f"  now {status.progress.phase}: {status.progress.resource} "
                f"({status.progress.done}/{status.progress.total})"
            )
        if status.last_error:
            lines.append(f"  failing ({status.consecutive_failures} in a row): {status.last_error}")
        lines.append(
            f"  last reconciliation {_when(status.last_reconciled_at)}, next {_when(status.next_reconcile_at)}"
        )
        if status.last_drift is not None:
            lines.append(f"  last drift: {status.last_drift.total} row(s)")
    now = datetime.now(UTC)
    lines.append("RESOURCE              ROWS  SYNCED THROUGH        AGE")
    for name, (through, rows) in freshness.items():
        age = f"{(now - through).total_seconds():.0f} s" if through else "—"
        lines.append(f"{name:<20} {rows:>5}  {_when(through):<20}  {age}")
    return "\n".join(lines)


def _settings() -> Settings:
    from models.settings import get_settings
    from starters.local_keys import with_local_keys

    return with_local_keys(get_settings())  # the dev stack's key when none is configured


def _freshness(settings: Settings) -> dict[str, tuple[datetime | None, int]]:
    from integrations.mirror_store import MirrorStore
    from models.store import create_engine_for, init_db
    from models.sync_io import ALL_RESOURCES

    engine = create_engine_for(settings.resolved_database_url())
    init_db(engine)
    store = MirrorStore(engine)
    states = store.states()
    return {
        name: (states[name].synced_through if name in states else None, store.count(name))
        for name in ALL_RESOURCES
    }


async def _client(settings: Settings) -> SyncClient:
    from integrations.sync_client import SyncClient
    from workers.client import connect

    return SyncClient(await connect(settings), settings)


async def follow(
    read: Callable[[], Awaitable[SyncStatus]], done: Callable[[SyncStatus], bool], label: str
) -> SyncStatus:
    """Poll the workflow's status and draw its progress (per resource) until `done` says so."""
    import asyncio

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task(label, total=None)
        while True:
            status = await read()
            progress = status.progress
            if progress.total:
                bar.update(
                    task,
                    total=progress.total,
                    completed=progress.done,
                    description=f"{label}: {progress.resource or ''}",
                )
            if done(status):
                return status
            await asyncio.sleep(0.5)


def until_answered(waiter: Awaitable[object]) -> Callable[[SyncStatus], bool]:
    """Follow a reconciliation until its update answers. Not until the phase reads idle: the workflow may
    still be waiting to pick the request up (idle) when the bar starts, which used to end it at once."""
    import asyncio

    future = asyncio.ensure_future(waiter)
    return lambda _status: future.done()


@sync_app.command("run")
def run(
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Follow the next pass to its end."),
) -> None:
    """Start the SyncWorkflow (or find it running) and follow its next incremental pass."""
    import asyncio

    from temporalio.service import RPCError

    from integrations.payload_keys import PayloadKeyError

    settings = _settings()

    async def go() -> SyncStatus | None:
        sync = await _client(settings)
        await sync.ensure_started()
        if not wait:
            return None
        before = (await sync.status()).passes
        await sync.sync_now()
        return await follow(sync.status, lambda s: s.passes > before, "syncing")

    try:
        status = asyncio.run(go())
    except (RPCError, RuntimeError, PayloadKeyError) as error:
        raise _fail(str(error)) from error
    from models.sync_io import SYNC_WORKFLOW_ID

    if status is not None:
        changed = sum(r.changed for r in status.last_pass)
        typer.echo(f"Pass {status.passes} done: {changed} row(s) changed")
        if status.last_error:
            typer.echo(f"  failing: {status.last_error}")
    typer.echo(
        f"SyncWorkflow {SYNC_WORKFLOW_ID} running; Temporal UI: {settings.workflow_ui_url(SYNC_WORKFLOW_ID)}"
    )


@sync_app.command("reconcile")
def reconcile(as_json: bool = typer.Option(False, "--json", help="Print the drift report as JSON.")) -> None:
    """Run one full reconciliation now (starting the sync if needed) and print the drift it repaired."""
    import asyncio

    from temporalio.service import RPCError

    from integrations.payload_keys import PayloadKeyError

    settings = _settings()

    async def go() -> DriftReport:
        sync = await _client(settings)
        await sync.ensure_started()
        update = await sync.start_reconcile()
        waiter = asyncio.ensure_future(update.result())
        if not as_json:
            await follow(sync.status, until_answered(waiter), "reconciling")
        return await waiter

    try:
        report = asyncio.run(go())
    except (RPCError, RuntimeError, PayloadKeyError) as error:
        raise _fail(str(error)) from error
    typer.echo(report.model_dump_json(indent=2) if as_json else render_drift(report))


@sync_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The SyncWorkflow's state and how fresh each mirrored resource is."""
    import asyncio

    from temporalio.service import RPCError

    from integrations.payload_keys import PayloadKeyError

    settings = _settings()

    async def go() -> SyncStatus | None:
        sync = await _client(settings)
        return await sync.status() if await sync.running() else None

    try:
        current = asyncio.run(go())
        freshness = _freshness(settings)
    except (RPCError, RuntimeError, PayloadKeyError) as error:
        raise _fail(str(error)) from error
    if as_json:
        body: dict[str, Any] = {
            "workflow": current.model_dump(mode="json") if current else None,
            "resources": {
                name: {"synced_through": through.isoformat() if through else None, "rows": rows}
                for name, (through, rows) in freshness.items()
            },
        }
        typer.echo(json.dumps(body, indent=2))
    else:
        typer.echo(render_status(current, freshness))


def register(app: typer.Typer) -> None:
    app.add_typer(sync_app, name="sync")
