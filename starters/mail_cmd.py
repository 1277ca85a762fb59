"""`hireflow mail list|show|sink`: read what the embedded SMTP sink received (its Maildir), or run it.

What each command needs is imported when it runs, not when the CLI loads.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

mail_app = typer.Typer(help="Read mail caught by the embedded SMTP sink.", no_args_is_help=True)

MaildirOption = typer.Option(None, "--maildir", help="Maildir to read (default: HIREFLOW state dir /mail).")


def _maildir(path: Path | None) -> Path:
    from models.settings import get_settings

    return path if path is not None else get_settings().resolved_maildir()


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


@mail_app.command("list")
def list_cmd(
    maildir: Path | None = MaildirOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List received messages, oldest first."""
    from starters.maildir import list_messages

    try:
        items = list_messages(_maildir(maildir))
    except FileNotFoundError as exc:
        _fail(str(exc))
        return
    if as_json:
        typer.echo(json.dumps([m.model_dump(mode="json") for m in items], indent=2))
        return
    if not items:
        typer.echo("no messages")
        return
    for n, m in enumerate(items, start=1):
        when = m.date.strftime("%Y-%m-%d %H:%M") if m.date else "?"
        invite = " [invite]" if m.has_invite else ""
        typer.echo(f"{n:>3}  {when}  {m.to[:32]:<32}  {m.subject}{invite}  ({m.id})")


@mail_app.command("show")
def show_cmd(
    ident: str = typer.Argument(..., help="Message number from `mail list`, its id, or a unique id prefix."),
    maildir: Path | None = MaildirOption,
    raw: bool = typer.Option(False, "--raw", help="Print the stored RFC 5322 bytes."),
) -> None:
    """Show one message: headers, plain-text body and any calendar invitation."""
    from integrations.mail.ics import parse_ics
    from integrations.mail.inbound import body_text
    from starters.maildir import read_message, read_raw

    path = _maildir(maildir)
    try:
        if raw:
            sys.stdout.buffer.write(read_raw(path, ident))
            return
        msg = read_message(path, ident)
    except (FileNotFoundError, KeyError) as exc:
        _fail(str(exc.args[0]) if exc.args else str(exc))
        return
    for name in ("Date", "From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "In-Reply-To"):
        if msg[name]:
            typer.echo(f"{name}: {msg[name]}")
    typer.echo("")
    typer.echo(body_text(msg).rstrip())
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            try:
                inv = parse_ics(payload)
            except ValueError as exc:
                typer.echo(f"\n[invalid calendar part: {exc}]")
                break
            typer.echo(
                f"\n[calendar {inv.method}] {inv.summary}: {inv.start.isoformat()} to {inv.end.isoformat()}"
                f" (UID {inv.uid}, SEQUENCE {inv.sequence}{', ' + inv.status if inv.status else ''})"
            )
            break


@mail_app.command("sink")
def sink_cmd(
    maildir: Path | None = MaildirOption,
    host: str = typer.Option("127.0.0.1", help="Address to listen on (keep it on loopback)."),
    port: int = typer.Option(2525, help="Port to listen on; 0 picks a free one."),
) -> None:
    """Run the SMTP sink alone (`hireflow dev` starts it for you). Replies are logged, not routed."""
    import asyncio

    from integrations.logs import configure_logging, get_logger
    from models.settings import get_settings
    from starters.mail_sink import SmtpSink

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    log = get_logger("hireflow.mail")

    async def run() -> None:
        def on_reply(reply: object) -> None:
            log.info("mail.reply_received", workflow_id=getattr(reply, "workflow_id", None))

        async with SmtpSink(_maildir(maildir), host=host, port=port, on_reply=on_reply) as sink:
            typer.echo(f"SMTP sink on {host}:{sink.port}, writing {_maildir(maildir)} (Ctrl-C to stop)")
            await asyncio.Event().wait()

    try:
        asyncio.run(run())
    except RuntimeError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        pass


def register(app: typer.Typer) -> None:
    """Add the `mail` command group to the `hireflow` app."""
    app.add_typer(mail_app, name="mail")
