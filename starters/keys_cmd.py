"""`hireflow keys generate`: print a new payload-encryption key entry for HIREFLOW_PAYLOAD_ENCRYPTION_KEYS."""

from __future__ import annotations

import typer

keys_app = typer.Typer(help="Payload encryption keys (docs/encryption.md).", no_args_is_help=True)


@keys_app.command("generate")
def generate(
    key_id: str | None = typer.Option(None, "--id", help="Key id (default: k + 8 random hex digits)."),
) -> None:
    """Print `id:base64-32-bytes`; put it FIRST in HIREFLOW_PAYLOAD_ENCRYPTION_KEYS to encrypt with it."""
    from integrations.payload_keys import PayloadKeyError, generate_entry

    try:
        typer.echo(generate_entry(key_id))
    except PayloadKeyError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error


def register(app: typer.Typer) -> None:
    """Add the `keys` command group."""
    app.add_typer(keys_app, name="keys")
