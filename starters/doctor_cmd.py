"""`hireflow doctor [--json] [--test-candidate]`: what works, and what to fix in Greenhouse.

Exit codes: 0 every check passed (skips allowed), 1 something failed. The checks live in
`starters/doctor.py` and are imported when the command runs, so the CLI starts at once.
"""

from __future__ import annotations

import typer


def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    with_test_candidate: bool = typer.Option(
        False,
        "--test-candidate",
        help="Also create a marked test candidate with a résumé and an application, read it back, remove it.",
    ),
) -> None:
    """Check Greenhouse scopes, the webhook path, Temporal, SMTP, CalDAV and the assessment provider."""
    import asyncio

    from integrations.greenhouse.client import HarvestClient
    from models.settings import get_settings
    from starters import doctor as checks
    from starters.local_keys import with_local_keys

    settings = with_local_keys(get_settings())

    async def go() -> list[checks.CheckResult]:
        async with HarvestClient.from_settings(settings) as harvest:
            results = await checks.run_checks(settings, harvest)
            if with_test_candidate:
                results += await checks.run_test_candidate(harvest)
            return results

    results = asyncio.run(go())
    typer.echo(checks.render_json(results) if as_json else checks.render_table(results))
    if checks.failed(results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
