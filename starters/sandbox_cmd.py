"""`hireflow sandbox greenhouse|assessments`: run the Greenhouse Harvest v3 sandbox or the assessment provider.

The sandbox is imported when the command runs, not when the CLI loads.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sandbox.assessments.server import AssessmentSandboxServer
    from sandbox.greenhouse.server import SandboxServer

sandbox_app = typer.Typer(help="Local stand-ins for outside services.", no_args_is_help=True)


def _print_banner(server: SandboxServer) -> None:
    seed = server.seed
    typer.echo(f"""
Greenhouse Harvest v3 sandbox is up (Ctrl-C stops it):

  Base URL        {server.base_url}   (Harvest under /v3, admin API under /_sandbox)
  Token URL       {server.token_url}
  Client ID       {server.client_id}
  Client secret   {server.client_secret}
  Hireflow user   {seed.hireflow_user_id}   (site admin; use as `sub`)
  Org             {seed.candidate_count} candidates, {seed.application_count} applications, {len(seed.job_ids)} jobs, \
{len(seed.interviewers)} interviewers (seed {seed.seed})
  Rate limit      {server.config.rate_limit} requests / {server.config.rate_window_seconds:g} s per credential

Try: curl -s -u {server.client_id}:{server.client_secret} -d grant_type=client_credentials {server.token_url}
""")


def _print_assessments_banner(server: AssessmentSandboxServer) -> None:
    state_dir = server.config.state_dir
    typer.echo(f"""
Assessment provider sandbox is up (Ctrl-C stops it):

  Base URL        {server.base_url}   (API under /api, candidate pages under /take, admin under /_sandbox)
  Invitations     {state_dir / "assessments.db" if state_dir else "in memory (gone when it stops)"}
  Webhooks to     {server.config.webhook_url or "each invitation's callback_url only"}

Try: curl -s -H "Authorization: Bearer $HIREFLOW_ASSESSMENT_SANDBOX_TOKEN" {server.base_url}/api/tests
""")


def _register_assessments() -> None:
    @sandbox_app.command("assessments")
    def assessments(
        host: str = typer.Option("127.0.0.1", help="Address to bind (keep it on loopback)."),
        port: int = typer.Option(8710, help="Port to bind."),
        token: str = typer.Option(
            "sandbox-assessments-token",
            "--token",
            envvar="HIREFLOW_ASSESSMENT_SANDBOX_TOKEN",
            help="Bearer token the API accepts.",
        ),
        webhook_secret: str = typer.Option(
            "sandbox-assessment-webhook-secret",
            "--webhook-secret",
            envvar="HIREFLOW_ASSESSMENT_WEBHOOK_SECRET",
            help="HMAC secret of the X-Assessment-Signature header.",
        ),
        webhook_url: str | None = typer.Option(
            None, "--webhook-url", help="Where to POST events of invitations without a callback_url."
        ),
        state_dir: Path | None = typer.Option(
            None, "--state-dir", help="Keep invitations in <dir>/assessments.db (default: in memory)."
        ),
        public_base_url: str | None = typer.Option(
            None, "--public-base-url", help="Base of test and report links (default: where it listens)."
        ),
    ) -> None:
        """Run the embedded assessment provider (tests, invitations, candidate page, signed webhooks)."""
        import asyncio

        from pydantic import ValidationError

        from sandbox.assessments.config import AssessmentSandboxConfig
        from sandbox.assessments.server import serve

        try:
            config = AssessmentSandboxConfig(
                token=token,
                webhook_secret=webhook_secret,
                webhook_url=webhook_url,
                state_dir=state_dir,
                public_base_url=public_base_url,
            )
        except ValidationError as exc:
            raise typer.BadParameter(str(exc)) from exc
        try:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(serve(config, host=host, port=port, on_ready=_print_assessments_banner))
        except (OSError, RuntimeError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo("Assessment sandbox stopped.")


def _delays(spec: str) -> list[float]:
    """`--webhook-retry 1,2,5`: positive seconds, at least one."""
    try:
        delays = [float(part) for part in spec.split(",") if part.strip()]
    except ValueError:
        delays = []
    if not delays or any(not 0 < d <= 86_400 for d in delays):
        raise typer.BadParameter(
            "give seconds between 0 and 86400, e.g. 1,2,5,15", param_hint="--webhook-retry"
        )
    return delays


def register(app: typer.Typer) -> None:
    """Add the `hireflow sandbox` group."""

    @sandbox_app.command("greenhouse")
    def greenhouse(
        host: str = typer.Option("127.0.0.1", help="Address to bind (keep it on loopback)."),
        port: int = typer.Option(8700, help="Port to bind."),
        seed: int = typer.Option(7, help="Seed of the generated organisation."),
        candidates: int = typer.Option(200, min=0, help="Number of candidates to generate."),
        rate_limit: int = typer.Option(75, "--rate-limit", min=1, help="Requests per window per credential."),
        rate_window: float = typer.Option(
            30.0, "--rate-window", min=0.1, help="Rate-limit window in seconds."
        ),
        token_ttl: int = typer.Option(3600, "--token-ttl", min=1, help="Access-token lifetime in seconds."),
        database_url: str = typer.Option(
            "sqlite://", "--database-url", help="SQLAlchemy URL (default in-memory SQLite; PostgreSQL works)."
        ),
        webhook_url: str | None = typer.Option(
            None, "--webhook-url", help="Where to POST Greenhouse webhooks."
        ),
        webhook_secret: str = typer.Option(
            "sandbox-webhook-secret",
            "--webhook-secret",
            envvar="HIREFLOW_GREENHOUSE_WEBHOOK_SECRET",
            help="HMAC secret for the webhook Signature header (the web app's, when set in the environment).",
        ),
        webhook_retry: str | None = typer.Option(
            None,
            "--webhook-retry",
            help="Seconds between delivery attempts after a failure, comma-separated "
            "(default Greenhouse's: 60,900,3600,7200,14400,28800).",
        ),
        fault: list[str] = typer.Option(
            [],
            "--fault",
            help="Fault rule PATH[:status=500,rate=0.2,latency=300,count=3,method=GET]; repeatable.",
        ),
        public_base_url: str | None = typer.Option(
            None, "--public-base-url", help="Base URL for Link headers when behind a proxy."
        ),
        reset: bool = typer.Option(
            False, "--reset", help="Reseed even if --database-url already holds this seed's org."
        ),
    ) -> None:
        """Run a seeded Greenhouse that speaks Harvest v3 (token endpoint, /v3 reads and writes, webhooks)."""
        import asyncio

        from sandbox.greenhouse.config import SandboxConfig, parse_fault
        from sandbox.greenhouse.server import serve

        try:
            faults = [parse_fault(spec) for spec in fault]
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--fault") from exc
        delays = _delays(webhook_retry) if webhook_retry is not None else None
        config = SandboxConfig(
            database_url=database_url,
            seed=seed,
            candidates=candidates,
            rate_limit=rate_limit,
            rate_window_seconds=rate_window,
            token_ttl_seconds=token_ttl,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            faults=faults,
            public_base_url=public_base_url,
            reset=reset,
        )
        if delays is not None:
            config = config.model_copy(update={"webhook_retry_delays": delays})
        try:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(serve(config, host=host, port=port, on_ready=_print_banner))
        except (OSError, RuntimeError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo("Greenhouse sandbox stopped.")

    _register_assessments()
    app.add_typer(sandbox_app, name="sandbox")
