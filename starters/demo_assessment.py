"""`hireflow demo --scenario assessment`: the take-home test chain of the dev stack, narrated.

A recruiter moves an untouched Phone Screen application of an engineering job into "Take Home Test"
(Harvest v3 move); the Greenhouse sandbox's signed `candidate_stage_change` webhook reaches the web
app, which starts the AssessmentWorkflow (the stage is mapped to the embedded "python-basics" test,
advance at 70); the provider emails the candidate; Hireflow reminds them (compressed clock); the
candidate takes the test on the provider's HTML form over HTTP; the provider's signed completion
webhook brings the score; Hireflow writes it to the custom field, a note and the PDF report, and moves
the application to Onsite, whose own stage-change webhook starts the SchedulingWorkflow (Onsite is
auto-schedule in the dev stack). Every effect is read back where it landed.

The scene reuses the scheduling demo's `DemoRun` (waits with reasons, the mailbox, the cast, the
timeline); only what is particular to assessments lives here.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from integrations.assessment_client import AssessmentClient
from models.assessment_io import AssessmentStatusSnapshot
from models.assessments import assessment_workflow_id
from models.greenhouse import Attachment, MoveApplication, Note
from models.messages import SchedulingStatusSnapshot, scheduling_workflow_id
from sandbox.assessments.catalog import BY_ID
from sandbox.assessments.mailer import SUBJECT_PREFIX
from starters.demo import Cast, DemoRun, strip_ref
from starters.demo_browser import CandidateBrowser, DemoError, ParsedPage
from starters.demo_mailbox import Mail
from starters.dev_seed import DEV_ADVANCE_AT, DEV_AUTO_SCHEDULE_STAGE, DEV_TEST_ID
from workflows.scheduling import SchedulingWorkflow

PHONE_SCREEN = "Phone Screen"
SCORE_FIELD = "assessment_score"
WRONG_ANSWERS = 1  # the candidate misses one question: 3 of 4 right is 75, above the bar of 70
TAKE_LINK = re.compile(r"https?://[^\s<>\"']+/take/[A-Za-z0-9_-]+")


@dataclass
class AssessmentDemoResult:
    """What the assessment scene did, for the summary and for tests."""

    cast: Cast
    take_home_stage_id: int
    onsite_stage_id: int
    assessment_workflow_id: str
    scheduling_workflow_id: str
    invitation: Mail | None = None
    reminder: Mail | None = None
    test_url: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    pages: list[ParsedPage] = field(default_factory=list)
    status: AssessmentStatusSnapshot | None = None
    score_field: Any = None
    note: Note | None = None
    report: Attachment | None = None
    scheduling: SchedulingStatusSnapshot | None = None
    assessment_url: str = ""
    scheduling_url: str = ""
    seconds: float = 0.0


class AssessmentScene:
    """The chain on one application, narrated on `run.timeline`."""

    def __init__(self, run: DemoRun) -> None:
        self.run = run
        self.say = run.timeline.say
        self.assessments = AssessmentClient(run.client, run.settings)
        self._narrated: set[tuple[str, str, str]] = set()
        self._workflow_id: str | None = None

    # ---------------------------------------------------------------------------------- helpers

    async def _narrate(self) -> None:
        """Print the AssessmentWorkflow's own history entries not shown yet."""
        if self._workflow_id is None:
            return
        try:
            status = await self.assessments.status(self._workflow_id)
        except Exception:
            return
        for entry in status.history:
            key = (entry.at.isoformat(), entry.event, entry.detail)
            if key not in self._narrated:
                self._narrated.add(key)
                self.say(f"  · assessment {entry.event}{': ' + entry.detail if entry.detail else ''}")

    async def _status_when(self, what: str, states: set[str], limit: float) -> AssessmentStatusSnapshot:
        assert self._workflow_id is not None
        workflow_id = self._workflow_id

        async def check() -> AssessmentStatusSnapshot | None:
            await self._narrate()
            status = await self.assessments.status(workflow_id)
            if status.state == "escalated" and "escalated" not in states:
                raise DemoError(f"the assessment escalated: {status.escalation_reason}." + self.run.where())
            return status if status.state in states else None

        return await self.run.wait(
            what, check, limit, hint=f"The workflow: {self.run.workflow_url(workflow_id)}.", every=0.5
        )

    async def _delivery_line(self) -> str:
        """How the sandbox's last `candidate_stage_change` delivery went (its admin API)."""
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(f"{self.run.settings.greenhouse_base_url}/_sandbox/webhooks")
        changes = [d for d in response.json() if d.get("action") == "candidate_stage_change"]
        if not changes:
            return "no delivery recorded"
        last = changes[-1]
        return f"HTTP {last.get('last_status')} after {last.get('attempts')} attempt(s)"

    # ---------------------------------------------------------------------------------- the cast

    async def choose_cast(self) -> tuple[Cast, int, int, int]:
        """An untouched, emailable Phone Screen application of an engineering job, with the job's
        Phone Screen, Take Home Test and Onsite stage ids."""
        run = self.run
        seed = await run.seed_summary()
        gh = run.gh
        for job_id, take_home in sorted(seed.take_home_stage_ids.items()):
            stages = sorted(
                [s async for s in gh.list_job_interview_stages(job_ids=[job_id])], key=lambda s: s.sort_order
            )
            ids = [s.id for s in stages]
            if take_home not in ids or ids.index(take_home) + 1 >= len(ids):
                continue
            onsite = stages[ids.index(take_home) + 1]
            if onsite.name != DEV_AUTO_SCHEDULE_STAGE:
                continue
            async for app in gh.list_applications(job_ids=[job_id], status="active", stage_name=PHONE_SCREEN):
                if not (app.candidate_id and app.job_interview_stage_id) or app.prospect:
                    continue
                if await run.taken(assessment_workflow_id(app.id, DEV_TEST_ID)) or await run.taken(
                    scheduling_workflow_id(app.id, onsite.id)
                ):
                    continue
                candidate = await gh.get_candidate(app.candidate_id)
                if candidate.email_addresses and candidate.can_email:
                    cast = await run.cast_of(gh, seed, app, candidate)
                    return cast, app.job_interview_stage_id, take_home, onsite.id
        raise DemoError(
            "the sandbox has no untouched, emailable Phone Screen application in an engineering job."
            + run.where()
        )

    # ---------------------------------------------------------------------------------- the scene

    async def play(self) -> AssessmentDemoResult:
        run = self.run
        started = asyncio.get_running_loop().time()
        cast, phone, take_home, onsite = await self.choose_cast()
        result = AssessmentDemoResult(
            cast=cast,
            take_home_stage_id=take_home,
            onsite_stage_id=onsite,
            assessment_workflow_id=assessment_workflow_id(cast.application_id, DEV_TEST_ID),
            scheduling_workflow_id=scheduling_workflow_id(cast.application_id, onsite),
        )
        result.assessment_url = run.workflow_url(result.assessment_workflow_id)
        result.scheduling_url = run.workflow_url(result.scheduling_workflow_id)
        self.say(
            f"Greenhouse: {cast.candidate_name} ({cast.candidate_email}) is in {PHONE_SCREEN} for "
            f"{cast.job_name}, application {cast.application_id}; recruiter {cast.recruiter_name}"
        )
        await self.move_to_take_home(cast, phone, take_home, result)
        browser = CandidateBrowser()
        try:
            await self.invited(cast, result)
            await self.reminded(cast, result)
            await self.take_test(browser, result)
            result.pages = browser.visits
        finally:
            await browser.aclose()
        await self.scored(result)
        await self.written_back(cast, result)
        await self.scheduling_started(result)
        result.seconds = asyncio.get_running_loop().time() - started
        return result

    async def move_to_take_home(
        self, cast: Cast, phone: int, take_home: int, result: AssessmentDemoResult
    ) -> None:
        run = self.run
        await run.gh.move_application(
            cast.application_id,
            MoveApplication(from_stage_id=phone, to_stage_id=take_home),
            as_user=cast.recruiter_id,
        )
        self.say(
            f"{cast.recruiter_name} moves the application to Take Home Test "
            f"(Harvest v3 POST /v3/applications/{cast.application_id}/move)"
        )
        workflow_id = result.assessment_workflow_id

        async def started() -> bool:
            return await run.taken(workflow_id)

        await run.wait(
            f"the webhook starting {workflow_id}",
            started,
            45,
            hint="Greenhouse's candidate_stage_change goes to the web app's /webhooks/greenhouse "
            f"(deliveries: {run.settings.greenhouse_base_url}/_sandbox/webhooks).",
        )
        self._workflow_id = workflow_id
        self.say(
            f"Greenhouse's candidate_stage_change webhook reached the web app ({await self._delivery_line()}, "
            f'signed); the stage is mapped to "{DEV_TEST_ID}" (advance at {DEV_ADVANCE_AT:g}), so it started '
            f"{workflow_id}: {result.assessment_url}"
        )

    async def invited(self, cast: Cast, result: AssessmentDemoResult) -> None:
        status = await self._status_when("the invitation at the provider", {"waiting"}, 60)
        deadline = f", deadline {status.deadline:%H:%M:%S} UTC" if status.deadline else ""
        self.say(f"The embedded provider holds the invitation{deadline}")
        mail = await self.run.mail(
            cast.candidate_email,
            "the provider's invitation email",
            lambda m: m.subject.startswith(SUBJECT_PREFIX) and TAKE_LINK.search(m.text) is not None,
        )
        link = TAKE_LINK.search(mail.text)
        assert link is not None
        result.invitation, result.test_url = mail, link.group(0)
        self.run.timeline.detail(f"with the test link {result.test_url}")

    async def reminded(self, cast: Cast, result: AssessmentDemoResult) -> None:
        policy = self.run.settings.assessment_policy
        first = max(policy.reminders_before, default=None)
        if first is None:
            return
        wait = (policy.deadline - first).total_seconds()
        self.say(
            f"The candidate puts it off; Hireflow's first reminder is due {wait:g} s after the invitation"
        )
        result.reminder = await self.run.mail(
            cast.candidate_email,
            "Hireflow's reminder",
            lambda m: m.subject.lower().startswith("reminder") and result.test_url in m.text,
            limit=wait + 45,
        )

    async def take_test(self, browser: CandidateBrowser, result: AssessmentDemoResult) -> None:
        page = await browser.get(result.test_url)
        self.say(f"The candidate opens the test link: {page.line()}")
        form = next((f for f in page.forms if "nonce" in f.fields), None)  # the answers' form
        if page.status != 200 or form is None:
            raise DemoError(
                f"the test page has no form to submit: {page.line()} at {page.url}." + self.run.where()
            )
        test = BY_ID[DEV_TEST_ID]
        answers: dict[str, str] = {}
        for index, question in enumerate(test.questions):
            name, offered = f"q{index}", form.radios.get(f"q{index}", [])
            right = question.answer
            wrong = index >= len(test.questions) - WRONG_ANSWERS
            choice = (right + 1) % len(question.options) if wrong else right
            if str(choice) not in offered:
                raise DemoError(f"the test page does not offer answer {choice} to question {index + 1}.")
            answers[name] = str(choice)
        result.answers = answers
        correct = len(test.questions) - WRONG_ANSWERS
        button = form.buttons[0] if form.buttons else "submit"
        self.say(f'The candidate answers {len(answers)} questions ({correct} right) and presses "{button}"')
        done = await browser.submit(page, form, **answers)
        self.say(f"  → {done.line()}")
        if done.status != 200 or done.heading != "Test submitted":
            raise DemoError(
                f"the provider did not take the answers: {done.line()} {done.message}." + self.run.where()
            )

    async def scored(self, result: AssessmentDemoResult) -> None:
        status = await self._status_when("the score and the decision", {"completed"}, 90)
        result.status = status
        self.say(
            f"The provider's signed completion webhook reached the web app; the workflow scored it: "
            f"{status.score:g} of {status.max_score or 100:g} (percentile {status.percentile}), "
            f"decision {status.decision or '-'}"
        )

    async def written_back(self, cast: Cast, result: AssessmentDemoResult) -> None:
        """The effects in Greenhouse, read through Harvest: field, note, report, stage."""
        gh = self.run.gh
        application = await gh.get_application(cast.application_id)
        value = (application.custom_fields or {}).get(SCORE_FIELD)
        result.score_field = value.value if value is not None else None
        self.say(f"Greenhouse: application custom field {SCORE_FIELD} = {result.score_field}")
        notes = await self.run.hireflow_notes(cast.candidate_id)
        result.note = next((n for n in notes if "assessment is complete" in (n.body or "")), None)
        if result.note is None:
            raise DemoError("Hireflow's result note is not on the candidate." + self.run.where())
        self.say(f'Greenhouse: note "{strip_ref(result.note.body)}"')
        reports = [a async for a in gh.list_attachments(application_ids=[cast.application_id])]
        result.report = next(
            (a for a in reports if a.type == "take_home_test" and (a.filename or "").endswith(".pdf")), None
        )
        if result.report is None:
            raise DemoError("the PDF report is not attached to the application." + self.run.where())
        self.say(f"Greenhouse: attachment {result.report.filename} (take_home_test)")
        if application.job_interview_stage_id != result.onsite_stage_id:
            raise DemoError(
                f"the application is in {application.stage_name}, not {DEV_AUTO_SCHEDULE_STAGE}."
                + self.run.where()
            )
        self.say(f"Greenhouse: the application is now in {application.stage_name or DEV_AUTO_SCHEDULE_STAGE}")

    async def scheduling_started(self, result: AssessmentDemoResult) -> None:
        run = self.run
        workflow_id = result.scheduling_workflow_id

        async def started() -> bool:
            return await run.taken(workflow_id)

        await run.wait(
            f"the webhook starting {workflow_id}",
            started,
            45,
            hint=f"{DEV_AUTO_SCHEDULE_STAGE} is auto-schedule in the dev stack (`hireflow web rule list`).",
        )
        handle = run.client.get_workflow_handle_for(SchedulingWorkflow.run, workflow_id)
        result.scheduling = await handle.query(SchedulingWorkflow.status)
        self.say(
            f"The move's candidate_stage_change webhook started scheduling the onsite ({DEV_AUTO_SCHEDULE_STAGE} "
            f"is auto-schedule): {workflow_id}, {result.scheduling.state.value}: {result.scheduling_url}"
        )


def summary(run: DemoRun, result: AssessmentDemoResult) -> None:
    t = run.timeline
    status = result.status
    t.plain()
    t.plain(f"Done in {t.elapsed():.0f} s ({result.seconds:.0f} s for the scenario).")
    t.plain()
    t.plain(f"Assessment of {result.cast.candidate_name}, application {result.cast.application_id}:")
    if status is not None:
        t.plain(
            f"  {status.test_name}: {status.state}, score {status.score:g}, decision {status.decision}, "
            f"{status.reminders_sent} reminder(s)"
        )
    t.plain(
        f"  Greenhouse: {SCORE_FIELD} = {result.score_field}; report {result.report.filename if result.report else '-'}"
    )
    if result.note is not None:
        t.plain(f"  Note: {strip_ref(result.note.body)}")
    t.plain()
    t.plain("Emails caught by the SMTP sink:")
    for mail in (result.invitation, result.reminder):
        if mail is not None:
            t.plain(f"  - to {mail.to}: {mail.subject}")
    t.plain()
    t.plain(f"Temporal UI (assessment): {result.assessment_url}")
    t.plain(f"Temporal UI (scheduling): {result.scheduling_url}")


async def play_assessment(run: DemoRun) -> AssessmentDemoResult:
    """Play the scene on `run`'s stack and print its summary."""
    try:
        result = await AssessmentScene(run).play()
    finally:
        await run.gh.aclose()
    summary(run, result)
    return result
