"""`hireflow web`: serve the candidate pages and the Greenhouse webhook; `hireflow web rule ...` to
mark stages as auto-schedule (a `candidate_stage_change` into them starts scheduling).

Serving in production needs real secrets (`starters.secret_guard`); the rule commands do not."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from models.web_store import StageAutoScheduleRule

web_app = typer.Typer(help="The web app: candidate pages, Greenhouse webhooks, /healthz.")
rule_app = typer.Typer(help="Stages whose webhook stage change starts scheduling.", no_args_is_help=True)
web_app.add_typer(rule_app, name="rule")


@web_app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
) -> None:
    """Serve the web app with uvicorn (Temporal is connected on first use)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from integrations.logs import configure_logging
    from integrations.payload_keys import PayloadKeyError
    from models.settings import get_settings
    from starters.secret_guard import exit_unless_real_secrets
    from web.app import create_app
    from workers.client import PayloadEncryptionNotConfiguredError, connect, data_converter

    settings = get_settings()
    exit_unless_real_secrets(settings)
    configure_logging(settings.log_level, settings.log_format)
    try:
        data_converter(settings)  # Temporal is connected later: a missing or bad key is named now
    except (PayloadEncryptionNotConfiguredError, PayloadKeyError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    app = create_app(settings, lambda: connect(settings))
    typer.echo(f"Hireflow web on http://{host}:{port} (public base URL {settings.web_base_url})")
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(), proxy_headers=True)


@rule_app.command("add")
def rule_add(
    stage_id: int | None = typer.Option(None, "--stage-id", help="Job interview stage id."),
    job_id: int | None = typer.Option(None, "--job-id", help="Job id (with --stage-name)."),
    stage_name: str | None = typer.Option(None, "--stage-name", help="Stage name, case-insensitive."),
    disabled: bool = typer.Option(False, "--disabled", help="Store the rule switched off."),
) -> None:
    """Mark a stage as auto-schedule."""
    from models.settings import get_settings
    from models.store import create_engine_for, init_db
    from web.store import add_rule

    engine = create_engine_for(get_settings().resolved_database_url())
    init_db(engine)
    try:
        rule = add_rule(
            engine,
            job_interview_stage_id=stage_id,
            job_id=job_id,
            stage_name=stage_name,
            enabled=not disabled,
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except Exception as exc:  # a duplicate rule violates a unique constraint
        typer.echo(
            f"error: could not store the rule ({type(exc).__name__}); does it exist already?", err=True
        )
        raise typer.Exit(1) from exc
    typer.echo(f"rule {rule.id}: {_describe(rule)}")


@rule_app.command("list")
def rule_list() -> None:
    """List auto-schedule rules."""
    from sqlmodel import Session, select

    from models.settings import get_settings
    from models.store import create_engine_for, init_db
    from models.web_store import StageAutoScheduleRule

    engine = create_engine_for(get_settings().resolved_database_url())
    init_db(engine)
    with Session(engine) as session:
        rules = session.exec(select(StageAutoScheduleRule)).all()
    if not rules:
        typer.echo("no rules")
    for rule in rules:
        typer.echo(f"rule {rule.id}: {_describe(rule)}")


def _describe(rule: StageAutoScheduleRule) -> str:
    target = (
        f"stage {rule.job_interview_stage_id}"
        if rule.job_interview_stage_id is not None
        else f"job {rule.job_id}, stage named {rule.stage_name!r}"
    )
    return f"{target} ({'enabled' if rule.enabled else 'disabled'})"


def register(app: typer.Typer) -> None:
    """Add the `web` command group."""
    app.add_typer(web_app, name="web")
