"""`hireflow demo --scenario sourcing`: a sourcing tool's candidates come into Greenhouse, narrated.

A CSV of four rows with a résumé (`hireflow source import`'s format) is imported for the dev source:
two new people are created (one with a PDF résumé), one is already in Greenhouse under the same
address (any case) and is matched, and one row repeats an earlier record and is skipped. The report
says which and why. Then a recruiter moves a sourced application to its next stage in Greenhouse; the
sandbox's signed webhook reaches the web app, which pushes the change to the source's webhook (a real
HTTP endpoint in this process), signed with the source's secret, mapped to the source's own status.
Each candidate's consent starts a retention timer.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from integrations.sourcing_client import SourcingClient
from integrations.sourcing_store import SourcePushStore, SourcingStore
from models.greenhouse import MoveApplication
from models.retention import RetentionStatus, retention_workflow_id
from models.source_push import SIGNATURE_HEADER, sign_push, source_signing_secret
from models.sourcing_store import SourcingRow
from models.store import create_engine_for, init_db
from starters.demo import DemoRun
from starters.demo_browser import DemoError
from starters.demo_source_hook import SourceHook, running_hook
from starters.devstack import DEV_SOURCE
from starters.source_file import read_source_file

# The smallest PDF the résumé check accepts (header, an object, a trailer, %%EOF).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MAPPED_STATUS = "interviewing"


@dataclass
class SourcingDemoResult:
    csv_path: Path
    batch_id: str
    rows: list[SourcingRow] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    moved_application_id: int | None = None
    moved_to: str = ""
    push_body: dict[str, object] = field(default_factory=dict)
    signature_valid: bool = False
    retention: RetentionStatus | None = None
    sourcing_url: str = ""
    push_url: str = ""
    seconds: float = 0.0

    def outcomes(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for row in self.rows:
            found.setdefault(row.outcome or "", []).append(row.external_id)
        return found


class SourcingScene:
    def __init__(self, run: DemoRun, hook: SourceHook) -> None:
        self.run = run
        self.hook = hook
        self.say = run.timeline.say
        engine = create_engine_for(run.settings.resolved_database_url())
        init_db(engine)
        self.engine = engine
        self.store = SourcingStore(engine)

    async def play(self) -> SourcingDemoResult:
        run = self.run
        started = asyncio.get_running_loop().time()
        self.store.ensure_source(DEV_SOURCE, self.hook.url)
        self.say(
            f'The source "{DEV_SOURCE}" posts status changes to {self.hook.url} (a webhook in this process)'
        )
        path = await self.write_csv()
        found = read_source_file(path)
        if found.problems:
            raise DemoError(f"the demo's own CSV has bad lines: {found.problems}")
        batch_id = self.store.create_batch(DEV_SOURCE, found.rows)
        await SourcingClient(run.client, run.settings).start(batch_id, DEV_SOURCE, len(found.rows))
        result = SourcingDemoResult(csv_path=path, batch_id=batch_id, lines=found.lines)
        result.sourcing_url = run.workflow_url(f"sourcing-{batch_id}")
        self.say(
            f"hireflow source import {path.name}: {len(found.rows)} rows → batch {batch_id}, "
            f"SourcingWorkflow {result.sourcing_url}"
        )
        result.rows = await self.report(batch_id, found.lines)
        await self.push_back(result)
        await self.retention(result)
        result.seconds = asyncio.get_running_loop().time() - started
        return result

    async def write_csv(self) -> Path:
        """Two new people, one already in Greenhouse (address in capitals), one repeated record."""
        run = self.run
        seed = await run.seed_summary()
        listed = await run.gh.list_candidates().collect()
        existing = next(c for c in listed if c.email_addresses and c.can_email and not c.private)
        job_id = seed.job_ids[0]
        recruiter = seed.recruiter_ids[0]
        tag = uuid.uuid4().hex[:4]
        folder = run.logs_dir.parent / "sourcing"
        (folder / "cv").mkdir(parents=True, exist_ok=True)
        (folder / "cv" / "maya-okafor.pdf").write_bytes(PDF)
        consent = "consent,2026-11-30T09:00:00Z,v2"
        head = "external_id,first_name,last_name,emails,phones,job_id,resume,recruiter_id,tags,consent_basis,consent_given_at,consent_notice_version"
        rows = [
            f"src-{tag}-1,Maya,Okafor,maya.okafor.{tag}@example.com,+44 20 7946 0101,{job_id},cv/maya-okafor.pdf,{recruiter},demo,{consent}",
            f"src-{tag}-2,Tomás,Ruiz,tomas.ruiz.{tag}@example.com,,{job_id},,{recruiter},demo,{consent}",
            f"src-{tag}-3,{existing.first_name},{existing.last_name},{existing.email_addresses[0].value.upper()},,{job_id},,{recruiter},demo,{consent}",
            f"src-{tag}-1,Maya,Okafor,maya.okafor.{tag}@example.com,+44 20 7946 0101,{job_id},cv/maya-okafor.pdf,{recruiter},demo,{consent}",
        ]
        path = folder / "people.csv"
        path.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
        self.say(
            f"A sourcing tool's export, {path} (4 rows): Maya Okafor with a PDF résumé, Tomás Ruiz, "
            f"{existing.first_name} {existing.last_name} (already in Greenhouse as candidate {existing.id}) "
            "and Maya's record again"
        )
        return path

    async def report(self, batch_id: str, lines: list[int]) -> list[SourcingRow]:
        async def done() -> list[SourcingRow] | None:
            found = self.store.batch(batch_id)
            if found is None:
                return None
            batch, rows = found
            finished = [r for r in rows if r.outcome]
            return rows if len(finished) == batch.rows else None

        rows = await self.run.wait(
            f"batch {batch_id} imported", done, 60, hint="The worker imports rows on the Harvest queue."
        )
        for row in sorted(rows, key=lambda r: r.row):
            ids = f"candidate {row.candidate_id or '-'}, application {row.application_id or '-'}"
            self.run.timeline.detail(
                f"line {lines[row.row]}: {row.external_id} {row.outcome} ({ids}){' ' + row.reason if row.reason else ''}"
            )
        return rows

    async def push_back(self, result: SourcingDemoResult) -> None:
        run = self.run
        created = next((r for r in result.rows if r.outcome == "created" and r.application_id), None)
        if created is None or created.application_id is None:
            raise DemoError("the import created no application to move." + run.where())
        application = await run.gh.get_application(created.application_id)
        stages = sorted(
            [s async for s in run.gh.list_job_interview_stages(job_ids=[application.job_id or 0])],
            key=lambda s: s.sort_order,
        )
        ids = [s.id for s in stages]
        current = application.job_interview_stage_id
        if current not in ids or ids.index(current) + 1 >= len(ids):
            raise DemoError(f"application {application.id} has no next stage to move to.")
        target = stages[ids.index(current) + 1]
        SourcePushStore(self.engine).set_status(DEV_SOURCE, f"stage:{target.name}", MAPPED_STATUS)
        self.say(f'The source maps "{target.name}" to its own status "{MAPPED_STATUS}" (hireflow source map)')
        await run.gh.move_application(
            application.id,
            MoveApplication(from_stage_id=current, to_stage_id=target.id),
            as_user=application.recruiter_id,
        )
        result.moved_application_id, result.moved_to = application.id, target.name or ""
        self.say(f"A recruiter moves application {application.id} to {target.name} in Greenhouse")

        async def pushed() -> bool:
            return bool(self.hook.delivered)

        await run.wait(
            "the status push to the source's webhook",
            pushed,
            60,
            hint="Greenhouse's candidate_stage_change reaches the web app, which starts a SourceStatusPushWorkflow.",
        )
        delivery = self.hook.delivered[0]
        result.push_body = json.loads(delivery.body)
        secret = source_signing_secret(run.settings.signing_secret.get_secret_value(), DEV_SOURCE)
        result.signature_valid = delivery.headers.get(SIGNATURE_HEADER.lower()) == sign_push(
            delivery.body, secret
        )
        self.say(
            f"The source's webhook got {json.dumps(result.push_body)} "
            f"({'signature valid' if result.signature_valid else 'SIGNATURE INVALID'})"
        )

    async def retention(self, result: SourcingDemoResult) -> None:
        created = next(r for r in result.rows if r.outcome == "created" and r.candidate_id)
        assert created.candidate_id is not None
        handle = self.run.client.get_workflow_handle(retention_workflow_id(created.candidate_id))

        async def known() -> RetentionStatus | None:
            try:
                status = await handle.query("status", result_type=RetentionStatus)
            except Exception:
                return None
            return status if status.deadline is not None else None

        result.retention = await self.run.wait("the retention timer", known, 30)
        self.say(
            f"Consent keeps candidate {created.candidate_id} until {result.retention.deadline:%Y-%m-%d}; "
            f"then they are anonymised unless a source renews it ({retention_workflow_id(created.candidate_id)})"
        )


def summary(run: DemoRun, result: SourcingDemoResult) -> None:
    t = run.timeline
    t.plain()
    t.plain(f"Done in {t.elapsed():.0f} s ({result.seconds:.0f} s for the scenario).")
    t.plain()
    t.plain(f"Import of {result.csv_path}:")
    for outcome, ids in sorted(result.outcomes().items()):
        t.plain(f"  {outcome:<18} {', '.join(ids)}")
    t.plain(
        f"Status push: application {result.moved_application_id} → {result.moved_to}: {result.push_body.get('status')}"
    )
    t.plain(f"Temporal UI (batch): {result.sourcing_url}")


async def play_sourcing(run: DemoRun) -> SourcingDemoResult:
    """Play the scene on `run`'s stack, with the source's webhook up for its length, and print the summary."""
    try:
        async with running_hook() as hook:
            result = await SourcingScene(run, hook).play()
    finally:
        await run.gh.aclose()
    summary(run, result)
    return result
