"""`hireflow gdpr erase --candidate N`: erase a person on request, and say what was removed where.

In this order, so nothing keeps acting on the person and nothing is half done: (1) stop every running
scheduling request and assessment of their applications (Temporal), (2) anonymise them in Greenhouse
(Harvest `PATCH /v3/candidates/{id}/anonymize`, scope `harvest:candidates:anonymize`), (3) remove
Hireflow's own copies (integrations/erasure.py). A step that fails stops the run with the reason and
exit code 1; running it again is safe. Exit code 0 when everything was erased.
"""

from __future__ import annotations

import asyncio

import typer

gdpr_app = typer.Typer(help="Data protection requests.", no_args_is_help=True)


@gdpr_app.callback()
def _gdpr() -> None:
    """Data protection requests (a group, so `hireflow gdpr erase` keeps its name as commands are added)."""


@gdpr_app.command("erase")
def erase(
    candidate: int = typer.Option(..., "--candidate", min=1, help="The Greenhouse candidate id."),
    reason: str = typer.Option("erasure request", help="Recorded with the erasure (no personal data)."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Stop Hireflow's processes for CANDIDATE, anonymise them in Greenhouse, erase Hireflow's copies."""
    if not yes and not typer.confirm(
        f"Erase candidate {candidate} in Greenhouse and Hireflow? This cannot be undone"
    ):
        raise typer.Exit(1)
    asyncio.run(_erase(candidate, reason))


async def _erase(candidate_id: int, reason: str) -> None:
    from integrations.application_closing import close_application_workflows
    from integrations.erasure import erase_candidate
    from integrations.greenhouse.client import HarvestClient
    from integrations.greenhouse.errors import HarvestError, MissingScopeError
    from models.messages import ApplicationClosedInput
    from models.settings import get_settings
    from models.store import create_engine_for, init_db
    from workers.client import connect

    settings = get_settings()
    async with HarvestClient.from_settings(settings) as harvest:
        try:
            applications = [
                a.id for a in await harvest.list_applications(candidate_ids=[candidate_id]).collect()
            ]
        except HarvestError as exc:
            typer.echo(
                f"error: cannot read candidate {candidate_id}'s applications from Greenhouse: {exc}", err=True
            )
            raise typer.Exit(1) from exc
        try:
            stopped = len(
                await close_application_workflows(
                    await connect(settings),
                    settings,
                    applications,
                    ApplicationClosedInput(reason="candidate_deleted"),
                )
            )
        except Exception as exc:  # Temporal unreachable or refusing: nothing has been erased yet
            typer.echo(
                f"error: could not stop running requests in Temporal ({exc}); nothing was erased", err=True
            )
            raise typer.Exit(1) from exc
        typer.echo(f"temporal: {stopped} running request(s) of {len(applications)} application(s) stopped")
        engine = create_engine_for(settings.resolved_database_url())
        init_db(engine)
        try:
            greenhouse, removed = await erase_candidate(harvest, engine, candidate_id, reason=reason)
        except MissingScopeError as exc:
            typer.echo(
                f"error: Greenhouse refused: tick {exc.scope} for Hireflow's credential; nothing more was erased",
                err=True,
            )
            raise typer.Exit(1) from exc
        except HarvestError as exc:
            typer.echo(
                f"error: Greenhouse could not anonymise the candidate ({exc}); nothing more was erased",
                err=True,
            )
            raise typer.Exit(1) from exc
        finally:
            engine.dispose()
    typer.echo(f"greenhouse: {greenhouse}")
    for where, count in removed.items():
        typer.echo(f"hireflow {where}: {count} removed")


def register(app: typer.Typer) -> None:
    """Add the `gdpr` command group."""
    app.add_typer(gdpr_app, name="gdpr")
