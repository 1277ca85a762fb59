"""`hireflow source keys add|list|revoke`, `hireflow source import FILE` and `hireflow source status <batch>`.

A key is printed once, when made; the store keeps only its SHA-256. `import` reads a CSV or JSON Lines
file (starters/source_file.py), stores its good rows as batches and starts their SourcingWorkflows, the
same path as `POST /api/v1/sourcing/candidates`; it draws a progress bar and ends with the per-row report.
`status` reads the batch's rows from the SQL store (the same answer as `GET /api/v1/sourcing/batches/<id>`).
Exit codes: 0 done, 1 not found or some rows refused or failed, 2 the file cannot be read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from integrations.sourcing_client import SourcingClient
    from integrations.sourcing_store import SourcingStore
    from models.settings import Settings
    from models.sourcing import SourcedCandidate
    from models.sourcing_store import SourcingBatch, SourcingRow

source_app = typer.Typer(help="Sourcing intake: source API keys and batch reports.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys of sources (stored hashed).", no_args_is_help=True)
source_app.add_typer(keys_app, name="keys")
SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def _store() -> SourcingStore:
    from integrations.sourcing_store import SourcingStore
    from models.settings import get_settings
    from models.store import create_engine_for, init_db

    engine = create_engine_for(get_settings().resolved_database_url())
    init_db(engine)
    return SourcingStore(engine)


@keys_app.command("add")
def add(
    source: str = typer.Argument(help="The source's name, e.g. inhire (lower case, digits, - and _)."),
    label: str = typer.Option("", help="A note for whoever lists the keys later."),
    webhook_url: str | None = typer.Option(None, help="Where status changes of its candidates are posted."),
) -> None:
    """Make a key for SOURCE (creating the source) and print it once."""
    if not SOURCE_NAME.match(source):
        typer.echo("error: a source name is lower case letters, digits, - and _ (max 63)", err=True)
        raise typer.Exit(1)
    store = _store()
    if webhook_url:
        store.ensure_source(source, webhook_url)
    typer.echo(store.add_key(source, label))


@keys_app.command("list")
def list_keys() -> None:
    """Every key: id, source, label, created, revoked (never the key itself)."""
    for key in _store().list_keys():
        revoked = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        typer.echo(
            f"{key.id:>4}  {key.source:<20} {key.label:<20} {key.created_at:%Y-%m-%d %H:%M}  {revoked}"
        )


@keys_app.command("revoke")
def revoke(key_id: int = typer.Argument(help="The id shown by `hireflow source keys list`.")) -> None:
    """Revoke a key at once: calls with it answer 401."""
    if not _store().revoke_key(key_id):
        typer.echo(f"error: no active key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"key {key_id} revoked")


@source_app.command("webhook")
def webhook(
    source: str = typer.Argument(help="The source's name."),
    url: str | None = typer.Argument(None, help="Where its candidates' status changes are posted."),
) -> None:
    """Set (or show) SOURCE's webhook URL, and print the secret its requests are signed with."""
    from models.settings import get_settings
    from models.source_push import SIGNATURE_HEADER, source_signing_secret

    if url is not None and not re.match(r"^https?://\S+$", url):
        typer.echo("error: the webhook URL must be http(s)://…", err=True)
        raise typer.Exit(1)
    found = _store().ensure_source(source, url)
    secret = source_signing_secret(get_settings().signing_secret.get_secret_value(), source)
    typer.echo(f"webhook: {found.webhook_url or '(none: status changes are not pushed)'}")
    typer.echo(f"signing secret: {secret}  (header {SIGNATURE_HEADER}: sha256=<HMAC-SHA256 of the body>)")


@source_app.command("map")
def map_statuses(
    source: str = typer.Argument(help="The source's name."),
    pairs: list[str] = typer.Argument(
        None,
        help="GREENHOUSE=STATUS: GREENHOUSE is hired, rejected, stage or stage:<Stage Name>; '' silences it.",
    ),
) -> None:
    """Map Greenhouse changes to SOURCE's own statuses, then print the map in force."""
    from integrations.sourcing_store import SourcePushStore
    from models.source_push import DEFAULT_STATUS_MAP

    store = _store()
    if store.source(source) is None:
        typer.echo(f"error: no source {source}", err=True)
        raise typer.Exit(1)
    pushes = SourcePushStore(store.engine)
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not (key in DEFAULT_STATUS_MAP or (key.startswith("stage:") and len(key) > 6)):
            typer.echo(
                f"error: {pair!r}: write hired=…, rejected=…, stage=… or stage:<Stage Name>=…", err=True
            )
            raise typer.Exit(1)
        pushes.set_status(source, key, value.strip()[:100])
    for key, value in sorted({**DEFAULT_STATUS_MAP, **pushes.status_map(source)}.items()):
        typer.echo(f"{key:<32} {value or '(not told)'}")


@source_app.command("status")
def status(
    batch_id: str = typer.Argument(help="The batch_id answered by POST /api/v1/sourcing/candidates."),
) -> None:
    """A batch's per-row report: outcome, candidate, application, reason."""
    found = _store().batch(batch_id)
    if found is None:
        typer.echo(f"error: no batch {batch_id}", err=True)
        raise typer.Exit(1)
    _print_batch(*found)


def _print_batch(batch: SourcingBatch, rows: list[SourcingRow], lines: list[int] | None = None) -> None:
    """The report of one batch; `lines` (an import's) names each row by its line in the file."""
    done = [r for r in rows if r.outcome]
    typer.echo(
        f"batch {batch.batch_id} from {batch.source}: {'done' if len(done) == batch.rows else 'running'}, "
        f"{len(done)}/{batch.rows} row(s)"
    )
    counts: dict[str, int] = {}
    for r in done:
        counts[r.outcome or ""] = counts.get(r.outcome or "", 0) + 1
        where = f"line {lines[r.row]:>5}" if lines is not None and r.row < len(lines) else f"row {r.row:>3}"
        typer.echo(
            f"  {where}  {r.external_id:<24} {r.outcome:<18} candidate {r.candidate_id or '-'}  "
            f"application {r.application_id or '-'}  {r.reason or ''}".rstrip()
        )
    typer.echo("  " + ", ".join(f"{n} {o}" for o, n in sorted(counts.items())))


@source_app.command("import")
def import_file(
    file: Path = typer.Argument(help="A CSV (with a header row) or JSON Lines file of candidates."),
    source: str = typer.Option("import", help="The source the candidates are attributed to."),
    file_format: str | None = typer.Option(
        None, "--format", help="csv or jsonl (default: from the extension)."
    ),
    wait: bool = typer.Option(True, help="Wait for the import and print the per-row report."),
) -> None:
    """Import FILE's candidates into Greenhouse: bad lines are listed, the good ones go through."""
    import asyncio

    from models.settings import get_settings
    from starters.source_file import SourceFileError, read_source_file

    if not SOURCE_NAME.match(source):
        typer.echo("error: a source name is lower case letters, digits, - and _ (max 63)", err=True)
        raise typer.Exit(2)
    try:
        found = read_source_file(file, file_format)
    except SourceFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for problem in found.problems:
        typer.echo(f"line {problem.row}: {problem.field}: {problem.message}", err=True)
    if found.problems:
        typer.echo(
            f"{len(found.refused_lines)} line(s) refused, not imported; fix them and import again", err=True
        )
    if not found.rows:
        typer.echo("nothing to import", err=True)
        raise typer.Exit(1)
    failed = asyncio.run(_import(get_settings(), source, found.rows, found.lines, wait))
    if found.problems or failed:
        raise typer.Exit(1)


async def _import(
    settings: Settings, source: str, rows: list[SourcedCandidate], lines: list[int], wait: bool
) -> int:
    from integrations.sourcing_client import SourcingClient
    from workers.client import connect

    try:
        client = SourcingClient(await connect(settings), settings)
    except (RuntimeError, OSError) as exc:
        typer.echo(
            f"error: cannot reach Temporal at {settings.temporal_address}: {exc}; nothing was imported",
            err=True,
        )
        raise typer.Exit(2) from exc
    return await import_rows(_store(), client, source, rows, lines, wait=wait)


async def import_rows(
    store: SourcingStore,
    client: SourcingClient,
    source: str,
    rows: list[SourcedCandidate],
    lines: list[int],
    *,
    wait: bool = True,
) -> int:
    """Store the rows as batches, start their workflows, follow them; returns the rows that failed."""
    from temporalio.service import RPCError

    from models.sourcing import MAX_ROWS_PER_BATCH

    store.ensure_source(source)
    batches: list[tuple[str, list[int]]] = []
    for start in range(0, len(rows), MAX_ROWS_PER_BATCH):
        chunk = rows[start : start + MAX_ROWS_PER_BATCH]
        batch_id = store.create_batch(source, chunk)
        try:
            await client.start(batch_id, source, len(chunk))
        except RPCError as exc:
            store.delete_batch(batch_id)
            typer.echo(
                f"error: Temporal refused the import ({exc.message}); rows from line {lines[start]} on were "
                "not imported (the earlier ones were: importing the file again skips them)",
                err=True,
            )
            raise typer.Exit(2) from exc
        batches.append((batch_id, lines[start : start + MAX_ROWS_PER_BATCH]))
        typer.echo(f"batch {batch_id}: {len(chunk)} row(s) from {source}")
    if not wait:
        typer.echo("follow with: hireflow source status <batch>")
        return 0
    await _follow(store, [b for b, _ in batches], len(rows))
    failed = 0
    for batch_id, batch_lines in batches:
        report = store.batch(batch_id)
        assert report is not None
        _print_batch(*report, lines=batch_lines)
        failed += sum(1 for r in report[1] if r.outcome == "failed")
    return failed


async def _follow(store: SourcingStore, batch_ids: list[str], total: int) -> None:
    """A progress bar over every batch's finished rows, until all are done."""
    import asyncio

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("importing"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn()
    ) as bar:
        task = bar.add_task("import", total=total)
        while True:
            finished = 0
            for batch_id in batch_ids:
                found = store.batch(batch_id)
                finished += sum(1 for r in found[1] if r.outcome) if found else 0
            bar.update(task, completed=finished)
            if finished >= total:
                return
            await asyncio.sleep(0.5)


def register(app: typer.Typer) -> None:
    """Add the `source` command group."""
    app.add_typer(source_app, name="source")
