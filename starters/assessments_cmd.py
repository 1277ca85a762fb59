"""`hireflow assessments map|unmap|list` (which job stage sends which test) and `hireflow assess`
(send one application a test now).

Exit codes: 0 done, 1 something named does not exist or a service failed, 2 an invalid value.
The store, Greenhouse and Temporal are imported when a command runs, not when the CLI loads.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from integrations.assessment_mappings import AssessmentMappings
    from models.assessment_io import AssessmentRequest
    from models.assessment_store import AssessmentStageMapping
    from models.settings import Settings

assessments_app = typer.Typer(help="Which job stage sends which assessment.", no_args_is_help=True)

NOT_FOUND = 1
INVALID = 2


def _fail(message: str, code: int = NOT_FOUND) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _stage(value: str) -> tuple[int | None, str | None]:
    """`--stage 1234` is a job interview stage id; anything else is the stage's name."""
    value = value.strip()
    if not value:
        raise _fail("--stage needs a stage name or id", INVALID)
    return (int(value), None) if value.isdigit() else (None, value)


def _mappings() -> AssessmentMappings:
    from integrations.assessment_mappings import AssessmentMappings
    from models.settings import get_settings
    from models.store import create_engine_for, init_db

    engine = create_engine_for(get_settings().resolved_database_url())
    init_db(engine)
    return AssessmentMappings(engine)


def _stage_label(row: AssessmentStageMapping) -> str:
    return str(row.job_interview_stage_id) if row.job_interview_stage_id is not None else row.stage_name or ""


def _rule_label(row: AssessmentStageMapping) -> str:
    if row.threshold is None:
        rule = "write back only"
    else:
        below = f"reject ({row.rejection_reason_id})" if row.below == "reject" else "note"
        rule = f"advance at {row.threshold:g}, below: {below}"
    return rule + (" [dry run]" if row.dry_run else "")


def render_table(rows: list[AssessmentStageMapping]) -> str:
    """The mappings as aligned columns."""
    header = ("JOB", "STAGE", "TEST", "PROVIDER", "TEST ID", "NAME", "RULE", "DEADLINE")
    lines = [
        (
            str(r.job_id),
            _stage_label(r),
            r.test_key,
            r.provider,
            r.test_id,
            r.test_name,
            _rule_label(r),
            f"{r.deadline_days or 7}d",
        )
        for r in rows
    ]
    widths = [max(len(c) for c in column) for column in zip(header, *lines, strict=False)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (header, *lines)
    )


@assessments_app.command("map")
def map_stage(
    job: int = typer.Option(..., "--job", help="Greenhouse job id."),
    stage: str = typer.Option(
        ..., "--stage", help="Stage name (case-insensitive) or job interview stage id."
    ),
    provider: str = typer.Option(..., "--provider", help="embedded, hackerearth or hackerrank."),
    test: str = typer.Option(..., "--test", help="The provider's test id."),
    key: str | None = typer.Option(None, "--key", help="Slug in workflow ids (default: from --test)."),
    name: str | None = typer.Option(None, "--name", help="The test's name as people read it."),
    advance_at: float | None = typer.Option(None, "--advance-at", help="Advance at this score or more."),
    below: str = typer.Option("note", "--below", help="Below the threshold: note or reject."),
    rejection_reason: int | None = typer.Option(None, "--rejection-reason", help="With --below reject."),
    advance_to: int | None = typer.Option(None, "--advance-to", help="Stage id (default: the next one)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Write what would be decided as a note only."),
    deadline_days: int | None = typer.Option(None, "--deadline-days", help="Days to take the test."),
    reminder_hours: list[int] | None = typer.Option(
        None, "--remind-hours", help="Hours before the deadline to remind (repeatable)."
    ),
    fields: list[str] | None = typer.Option(
        None, "--field", help="value=name_key, e.g. score=assessment_score (repeatable)."
    ),
) -> None:
    """Send this test to every application that enters this job stage (mapping again replaces it)."""
    from pydantic import ValidationError

    from models.assessment_store import AssessmentMappingSpec

    stage_id, stage_name = _stage(stage)
    field_map: dict[str, str] | None = None
    if fields:
        pairs = [f.split("=", 1) for f in fields]
        if any(len(p) != 2 for p in pairs):
            raise _fail("--field takes value=name_key", INVALID)
        field_map = {p[0].strip(): p[1].strip() for p in pairs}
    try:
        spec = AssessmentMappingSpec.model_validate(
            {
                "job_id": job,
                "job_interview_stage_id": stage_id,
                "stage_name": stage_name,
                "test_key": key or test.strip().lower(),
                "provider": provider,
                "test_id": test.strip(),
                "test_name": name or test.strip(),
                "rule": {
                    "threshold": advance_at,
                    "below": below,
                    "rejection_reason_id": rejection_reason,
                    "advance_to_stage_id": advance_to,
                    "dry_run": dry_run,
                },
                "deadline_days": deadline_days,
                "reminder_hours": reminder_hours or None,
                "field_map": field_map,
            }
        )
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'mapping'}: {e['msg']}" for e in error.errors()[:5]
        )
        raise _fail(problems, INVALID) from error
    row = _mappings().add(spec)
    typer.echo(f"mapped job {row.job_id}, stage {_stage_label(row)!r} → {row.test_key} ({_rule_label(row)})")


@assessments_app.command("unmap")
def unmap_stage(
    job: int = typer.Option(..., "--job", help="Greenhouse job id."),
    stage: str = typer.Option(..., "--stage", help="Stage name or job interview stage id, as mapped."),
) -> None:
    """Stop sending a test on entering this stage (running assessments go on)."""
    stage_id, stage_name = _stage(stage)
    if not _mappings().remove(job, stage_id, stage_name):
        raise _fail(f"job {job} has no assessment mapped to stage {stage.strip()!r}")
    typer.echo(f"unmapped job {job}, stage {stage.strip()!r}")


@assessments_app.command("list")
def list_mappings(
    job: int | None = typer.Option(None, "--job", help="Only this job."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the mappings as a table."""
    rows = _mappings().list(job)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows]))
    elif not rows:
        typer.echo("no assessments mapped")
    else:
        typer.echo(render_table(rows))


async def _resolve_request(
    settings: Settings,
    mappings: AssessmentMappings,
    application: int,
    test: str,
    explicit: dict[str, str | None],
) -> AssessmentRequest:
    """The start input: given explicitly, or the test mapped in the application's job."""
    from integrations.assessment_mappings import request_for, request_for_test
    from integrations.greenhouse.client import HarvestClient
    from integrations.greenhouse.errors import NotFoundError
    from models.assessments import AssessmentTest

    if any(explicit.values()):
        flags = {"provider": "--provider", "test_id": "--test-id", "test_name": "--name"}
        missing = [flags[k] for k, v in explicit.items() if not v]
        if missing:
            raise _fail(f"an explicit test also needs {', '.join(missing)}", INVALID)
        unmapped = AssessmentTest.model_validate(
            {"provider": explicit["provider"], "test_id": explicit["test_id"], "name": explicit["test_name"]}
        )
        return request_for_test(
            unmapped, application, source="cli", test_key=test, policy=settings.assessment_policy
        )
    async with HarvestClient.from_settings(settings) as harvest:
        try:
            found = await harvest.get_application(application)
        except NotFoundError as error:
            raise _fail(f"application {application} is not in Greenhouse") from error
    if found.status != "in_process":
        raise _fail(f"application {application} is {found.status}; no assessment to send")
    if found.job_id is None:
        raise _fail(f"application {application} has no job (a prospect); pass --provider/--test-id/--name")
    row = await mappings.afind_test(found.job_id, test)
    if row is None:
        known = sorted({r.test_key for r in await mappings.alist(found.job_id)})
        raise _fail(
            f"job {found.job_id} has no test {test!r} mapped"
            + (f" (mapped: {', '.join(known)})" if known else "; map one with `hireflow assessments map`")
        )
    return request_for(row, application, source="cli", base_policy=settings.assessment_policy)


def register(app: typer.Typer) -> None:
    """Add the `assessments` group and `assess`."""
    app.add_typer(assessments_app, name="assessments")

    @app.command("assess")
    def assess(
        application: int = typer.Option(..., "--application", help="Greenhouse application id."),
        test: str = typer.Option(..., "--test", help="Test key, as mapped for the application's job."),
        provider: str | None = typer.Option(None, "--provider", help="Explicit test: the provider."),
        test_id: str | None = typer.Option(None, "--test-id", help="Explicit test: the provider's id."),
        name: str | None = typer.Option(None, "--name", help="Explicit test: its name."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Send an application a test now (or show the assessment already running for it)."""
        import asyncio

        from pydantic import ValidationError

        from integrations.assessment_client import AssessmentClient
        from integrations.greenhouse.errors import HarvestError
        from integrations.payload_keys import PayloadKeyError
        from models.settings import get_settings
        from starters.local_keys import with_local_keys
        from workers.client import connect

        settings = with_local_keys(get_settings())  # the dev stack's key when none is configured
        explicit = {"provider": provider, "test_id": test_id, "test_name": name}

        async def run() -> dict[str, Any]:
            request = await _resolve_request(settings, _mappings(), application, test.strip(), explicit)
            handle = await AssessmentClient(await connect(settings), settings).start(request)
            return {"workflow_id": handle.id, "run_id": handle.result_run_id, "test_key": request.test_key}

        try:
            started = asyncio.run(run())
        except typer.Exit:  # a refusal already explained (click's Exit is a RuntimeError)
            raise
        except ValidationError as error:
            raise _fail("; ".join(str(e["msg"]) for e in error.errors()[:3]), INVALID) from error
        except (HarvestError, RuntimeError, PayloadKeyError, OSError) as error:
            raise _fail(str(error)) from error
        if as_json:
            typer.echo(json.dumps(started))
        else:
            typer.echo(f"Assessment {started['workflow_id']} (run {started['run_id']})")
            typer.echo(f"  Temporal UI: {settings.workflow_ui_url(started['workflow_id'])}")
