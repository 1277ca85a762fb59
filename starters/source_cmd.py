"""`hireflow source keys add|list|revoke` and `hireflow source status <batch>`: sourcing intake from a terminal.

A key is printed once, when made; the store keeps only its SHA-256. `status` reads the batch's rows from
the SQL store (the same answer as `GET /api/v1/sourcing/batches/<id>`). Exit codes: 0 done, 1 not found.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from integrations.sourcing_store import SourcingStore

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


@source_app.command("status")
def status(
    batch_id: str = typer.Argument(help="The batch_id answered by POST /api/v1/sourcing/candidates."),
) -> None:
    """A batch's per-row report: outcome, candidate, application, reason."""
    found = _store().batch(batch_id)
    if found is None:
        typer.echo(f"error: no batch {batch_id}", err=True)
        raise typer.Exit(1)
    batch, rows = found
    done = [r for r in rows if r.outcome]
    typer.echo(
        f"batch {batch.batch_id} from {batch.source}: {'done' if len(done) == batch.rows else 'running'}, "
        f"{len(done)}/{batch.rows} row(s)"
    )
    counts: dict[str, int] = {}
    for r in done:
        counts[r.outcome or ""] = counts.get(r.outcome or "", 0) + 1
        typer.echo(
            f"  row {r.row:>3}  {r.external_id:<24} {r.outcome:<18} candidate {r.candidate_id or '-'}  "
            f"application {r.application_id or '-'}  {r.reason or ''}".rstrip()
        )
    typer.echo("  " + ", ".join(f"{n} {o}" for o, n in sorted(counts.items())))


def register(app: typer.Typer) -> None:
    """Add the `source` command group."""
    app.add_typer(source_app, name="source")
