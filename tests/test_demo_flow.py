"""`hireflow demo` against the real embedded stack: every scenario, and every effect checked where it landed.

One `DevStack` (Temporal dev server, Greenhouse sandbox, Radicale, SMTP sink, web app, worker,
mention watch) on free ports in a temporary state directory, with the demo's compressed policy; each
scenario plays on its own application. The assertions read the effects back independently of the
demo's own bookkeeping: the sandbox's notes and interviews through Harvest, events in Radicale, the
Maildir, and `SchedulingStatus` through the real `temporal workflow list --query` CLI.

`HIREFLOW_SCREENSHOTS=1` also refreshes `docs/screenshots/temporal-ui-workflow.png` (headless
Chromium on the booked workflow's Temporal UI page).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import mailbox
import os
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import httpx
import icalendar
import pytest
import pytest_asyncio
from temporalio.client import Client
from typer.testing import CliRunner

from integrations.calendar.caldav import CalDAVCalendar
from integrations.greenhouse.client import HarvestClient
from integrations.links import verify_link_token
from integrations.mail.inbound import body_text
from models.assessment_io import AssessmentStatusSnapshot
from models.greenhouse import Note
from models.messages import SchedulingState
from models.settings import Settings
from starters.binaries import temporal_cli
from starters.cli import app
from starters.demo import (
    DemoError,
    DemoResult,
    DemoRun,
    Timeline,
    demo_assessment_policy,
    demo_policy,
    demo_settings,
    prepare_state_dir,
)
from starters.demo_assessment import AssessmentDemoResult, play_assessment
from starters.demo_sourcing import SourcingDemoResult, play_sourcing
from starters.dev_seed import DEV_TEST_ID
from starters.devstack import DevStack, DevStackConfig
from starters.ports import free_port
from workers.client import connect

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "temporal-ui-workflow.png"


@dataclass
class Demo:
    stack: DevStack
    client: Client
    state_dir: Path

    @property
    def settings(self) -> Settings:
        return self.stack.settings

    def run(self) -> tuple[DemoRun, list[str]]:
        """A run whose timeline lines are kept for the assertions and printed for a failure's report."""
        lines: list[str] = []

        def echo(line: str) -> None:
            lines.append(line)
            print(line)

        return DemoRun(
            self.settings, self.client, Timeline(echo=echo), logs_dir=self.state_dir / "logs"
        ), lines

    async def play(self, scenario: str) -> tuple[DemoResult, list[str]]:
        run, lines = self.run()
        result = await run.play(scenario)  # type: ignore[arg-type]
        await run.summary(result)
        return result, lines

    async def play_assessment(self) -> tuple[AssessmentDemoResult, list[str]]:
        run, lines = self.run()
        return await play_assessment(run), lines

    async def play_sourcing(self) -> tuple[SourcingDemoResult, list[str]]:
        run, lines = self.run()
        return await play_sourcing(run), lines


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Demo]:
    state_dir = tmp_path_factory.mktemp("demo") / "state"
    prepare_state_dir(state_dir)
    config = DevStackConfig(
        state_dir=state_dir,
        temporal_port=free_port(),
        temporal_ui_port=free_port(),
        greenhouse_port=free_port(),
        caldav_port=free_port(),
        smtp_port=free_port(),
        web_port=free_port(),
        assessments_port=free_port(),
    )
    async with DevStack(config, base_settings=demo_settings()) as stack:
        yield Demo(stack, await connect(stack.settings), state_dir)


# ------------------------------------------------------------------------------------- helpers


def _messages(maildir: Path, to: str) -> list[EmailMessage]:
    box = mailbox.Maildir(maildir, create=False)
    found = []
    for key in box.keys():
        msg = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        if to.lower() in str(msg.get("To", "")).lower():
            found.append(msg)
    return found


def _ics(msg: EmailMessage) -> icalendar.Calendar | None:
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return icalendar.Calendar.from_ical(payload)
    return None


def _temporal_list(address: str, query: str) -> list[str]:
    """Workflow ids the real Temporal CLI lists for `query`."""
    completed = subprocess.run(
        [str(temporal_cli()), "workflow", "list", "--address", address, "--query", query, "--output", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = json.loads(completed.stdout or "[]")
    return [row["execution"]["workflowId"] for row in rows]


async def _listed(address: str, query: str, workflow_id: str) -> list[str]:
    """The CLI's answer once visibility caught up (it is eventually consistent)."""
    ids: list[str] = []
    for _ in range(40):
        ids = await asyncio.to_thread(_temporal_list, address, query)
        if workflow_id in ids:
            break
        await asyncio.sleep(0.5)
    return ids


async def _notes(demo: Demo, candidate_id: int) -> list[Note]:
    async with HarvestClient.from_settings(demo.settings) as gh:
        return sorted([n async for n in gh.list_notes(candidate_ids=[candidate_id])], key=lambda n: n.id)


async def _screenshot_temporal_ui(url: str) -> None:
    from playwright.async_api import async_playwright

    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        context = await browser.new_context(
            viewport={"width": 1440, "height": 1240}, timezone_id="UTC", locale="en-US"
        )
        page = await context.new_page()
        await page.goto(url)
        await page.get_by_role("tab", name="User Metadata").click()
        # The UI renders the workflow's current details (Markdown) in a sandboxed frame.
        await page.frame_locator("iframe").last.get_by_text("Loop booked").wait_for(timeout=30_000)
        await page.wait_for_timeout(1000)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOT))
        await browser.close()


# --------------------------------------------------------------------------------------- tests


def test_demo_command_is_registered_with_its_options() -> None:
    result = CliRunner().invoke(app, ["demo", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--scenario", "--keep-running", "--state-dir", "--temporal-port", "--web-port"):
        assert option in result.output
    for scenario in ("book", "reschedule", "decline", "escalate", "assessment"):
        assert scenario in result.output


def test_state_dir_is_wiped_only_when_the_demo_made_it(tmp_path: Path) -> None:
    mine = tmp_path / "demo"
    prepare_state_dir(mine)
    (mine / "temporal.db").write_text("old run")
    prepare_state_dir(mine)
    assert not (mine / "temporal.db").exists() and (mine / "logs").is_dir()

    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "precious.txt").write_text("keep me")
    with pytest.raises(DemoError, match="not a demo state directory"):
        prepare_state_dir(theirs)
    assert (theirs / "precious.txt").read_text() == "keep me"


async def test_book_note_reply_email_page_pick_events_interviews_note_ics_and_visibility(demo: Demo) -> None:
    settings = demo.settings
    result, lines = await demo.play("book")
    cast = result.cast
    hireflow = settings.greenhouse_user_id

    # The recruiter's note and Hireflow's reply note, as the sandbox holds them.
    notes = await _notes(demo, cast.candidate_id)
    mention = next(n for n in notes if n.id == result.mention_note.id)
    assert mention.user_id == cast.recruiter_id and "@Hireflow schedule the onsite" in (mention.body or "")
    replies = [n for n in notes if n.user_id == hireflow and n.id > mention.id]
    assert replies, "Hireflow answered the mention with a note"
    assert result.reply_note is not None and result.reply_note.id == replies[0].id

    # The candidate's invitation carries a signed pick link to this workflow.
    mails = _messages(settings.resolved_maildir(), cast.candidate_email)
    invitation = next(m for m in mails if "/s/" in body_text(m) and _ics(m) is None)
    assert result.candidate_url in body_text(invitation)
    claims = verify_link_token(
        result.candidate_url.rsplit("/s/", 1)[1],
        settings.signing_secret.get_secret_value(),
        datetime.now(UTC),
    )
    assert claims.purpose == "pick" and claims.workflow_id == result.workflow_id

    # The page, seen over real HTTP: options, then the pick (303) landing on the confirmation.
    first, *_ = result.pages
    assert first.status == 200 and first.heading == "Choose your interview time" and first.options
    booked = next(p for p in result.pages if p.heading == "Your interviews are booked")
    assert booked.redirects == [303] and booked.status == 200
    status = result.status
    assert status is not None and status.state == SchedulingState.SCHEDULED
    booking = status.booking
    assert booking is not None and status.offer is not None
    picked = next(o for o in status.offer.options if o.option_id == result.picks[0])
    assert sorted((p.session, p.start) for p in picked.placements) == sorted(
        (s.session_id, s.start) for s in booking.sessions
    )

    # Events in Radicale: the organizer's event per session, and every interviewer busy then.
    async with CalDAVCalendar(settings.caldav_url) as caldav:
        for session in booking.sessions:
            event = await caldav.get_event(settings.calendar_organizer, session.event_key)
            assert event is not None and event.status == "confirmed"
            assert (event.start, event.end) == (session.start, session.end)
            assert cast.candidate_email.lower() in {a.email for a in event.attendees}
        people = {p.user_id: p.email for p in result.people}
        for session in booking.sessions:
            addresses = [e.lower() for i in session.interviewers if (e := people.get(i))]
            busy = await caldav.free_busy(addresses, session.start, session.end)
            for address in addresses:
                assert any(b.start <= session.start and session.end <= b.end for b in busy[address].hard), (
                    f"{address} is busy during {session.name}"
                )

    # Greenhouse: one interview per session (found by its external event id), and Hireflow's note.
    async with HarvestClient.from_settings(settings) as gh:
        interviews = {
            i.id: i
            async for i in gh.list_interviews(application_ids=[cast.application_id])
            if i.external_event_id and not i.external_event_id.startswith("seed-")
        }
        for session in booking.sessions:
            interview = interviews[session.greenhouse_interview_id or 0]
            assert interview.starts_at == session.start and interview.ends_at == session.end
            assert interview.external_event_id == (session.calendar_event_id or session.event_key)
            panel = [p.user_id async for p in gh.list_interviewers(interview_ids=[interview.id])]
            assert sorted(u for u in panel if u is not None) == sorted(session.interviewers)
    assert len(interviews) == len(booking.sessions)
    notes = await _notes(demo, cast.candidate_id)
    assert any(n.user_id == hireflow and "Hireflow booked" in (n.body or "") for n in notes)

    # The confirmation email carries an ICS that icalendar parses back to the loop.
    confirmations = [m for m in _messages(settings.resolved_maildir(), cast.candidate_email) if _ics(m)]
    assert len(confirmations) == 1
    calendar = _ics(confirmations[0])
    assert calendar is not None and str(calendar["METHOD"]) == "REQUEST"
    vevent = next(iter(calendar.walk("VEVENT")))
    assert vevent.decoded("DTSTART") == booking.start and vevent.decoded("DTEND") == booking.end

    # Visibility: the real Temporal CLI finds it by SchedulingStatus.
    query = f"WorkflowId = '{result.workflow_id}' AND SchedulingStatus = 'scheduled'"
    assert result.workflow_id in await _listed(settings.temporal_address, query, result.workflow_id)

    # The timeline ends with the bookings, the interviews and the Temporal UI link.
    text = "\n".join(lines)
    assert "Bookings of" in text and "Greenhouse interviews on application" in text
    assert (
        lines[-1]
        == f"Temporal UI: {settings.temporal_ui_url}/namespaces/default/workflows/{result.workflow_id}"
    )

    if os.environ.get("HIREFLOW_SCREENSHOTS") == "1" and HAVE_CHROMIUM:
        await _screenshot_temporal_ui(result.workflow_url)


async def test_reschedule_moves_the_loop_from_the_confirmation_link(demo: Demo) -> None:
    settings = demo.settings
    result, _ = await demo.play("reschedule")
    status = result.status
    assert status is not None and status.state == SchedulingState.SCHEDULED and status.reschedules == 1
    booking = status.booking
    assert booking is not None and booking.booking_id.endswith("-b2")
    assert any(p.heading == "Reschedule your interviews" for p in result.pages)
    assert any(p.heading == "Choose a new time" for p in result.pages)
    assert sum(1 for p in result.pages if p.heading == "Your interviews are booked") == 2
    first_key = booking.booking_id.removesuffix("-b2") + "-b1"
    async with CalDAVCalendar(settings.caldav_url) as caldav:
        for session in booking.sessions:
            event = await caldav.get_event(settings.calendar_organizer, session.event_key)
            assert event is not None and event.status == "confirmed" and event.start == session.start
            old = await caldav.get_event(settings.calendar_organizer, f"{first_key}-{session.session_id}")
            assert old is None or old.status == "cancelled"
    async with HarvestClient.from_settings(settings) as gh:
        ours = {
            i.id
            async for i in gh.list_interviews(application_ids=[result.cast.application_id])
            if i.external_event_id and not i.external_event_id.startswith("seed-")
        }
    assert ours == {s.greenhouse_interview_id for s in booking.sessions}
    invites = [
        c for m in _messages(settings.resolved_maildir(), result.cast.candidate_email) if (c := _ics(m))
    ]
    sequences = sorted(int(next(iter(c.walk("VEVENT"))).get("SEQUENCE", 0)) for c in invites)
    assert sequences == [0, 1], "the moved loop updates the same calendar entry"


async def test_decline_replaces_the_interviewer_everywhere(demo: Demo) -> None:
    settings = demo.settings
    # The seeded calendars depend on the date and hour: at some hours nobody else in the declined
    # session's pool is free then, and escalating is the right answer. The demo then takes another loop.
    for attempt in range(3):
        try:
            result, _ = await demo.play("decline")
            break
        except DemoError as error:
            if "nobody from the pool can replace" not in str(error) or attempt == 2:
                raise
    status = result.status
    assert status is not None and status.state == SchedulingState.SCHEDULED and status.replacements == 1
    assert result.declined is not None and result.booking is not None
    session_id, decliner_id = result.declined
    people = {p.user_id: p for p in result.people}
    decliner = people[decliner_id]
    session = next(s for s in result.booking.sessions if s.session_id == session_id)
    assert decliner_id not in session.interviewers and session.interviewers
    assert any(h.event == "interviewer_declined" and decliner.name in h.detail for h in status.history)
    async with CalDAVCalendar(settings.caldav_url) as caldav:
        event = await caldav.get_event(settings.calendar_organizer, session.event_key)
    assert event is not None and event.start == session.start, "same time, new panel"
    attendees = {a.email for a in event.attendees}
    assert (decliner.email or "").lower() not in attendees
    assert all((people[i].email or "").lower() in attendees for i in session.interviewers)
    async with HarvestClient.from_settings(settings) as gh:
        panel = [
            p.user_id
            async for p in gh.list_interviewers(interview_ids=[session.greenhouse_interview_id or 0])
        ]
    assert sorted(u for u in panel if u is not None) == sorted(session.interviewers)
    newcomer = people[session.interviewers[0]]
    assert _messages(settings.resolved_maildir(), newcomer.email or "?"), "the new interviewer was told"
    notes = await _notes(demo, result.cast.candidate_id)
    assert any(f"Hireflow replaced {decliner.name}" in (n.body or "") for n in notes)
    assert settings.scheduling_policy == demo_policy()


async def test_escalate_reminds_twice_then_asks_the_recruiter(demo: Demo) -> None:
    settings = demo.settings
    result, _ = await demo.play("escalate")
    status = result.status
    assert status is not None and status.state == SchedulingState.ESCALATED and status.reminders_sent == 2
    assert status.booking is None and result.pages == []
    subjects = [
        str(m["Subject"]) for m in _messages(settings.resolved_maildir(), result.cast.candidate_email)
    ]
    assert sum("Reminder" in s for s in subjects) == 2
    assert _messages(settings.resolved_maildir(), result.cast.recruiter_email), "the recruiter got an email"
    notes = await _notes(demo, result.cast.candidate_id)
    assert any("needs a recruiter" in (n.body or "") for n in notes)
    query = f"WorkflowId = '{result.workflow_id}' AND SchedulingStatus = 'escalated'"
    assert result.workflow_id in await _listed(settings.temporal_address, query, result.workflow_id)


async def test_assessment_chain_scores_advances_and_starts_scheduling(demo: Demo) -> None:
    settings = demo.settings
    result, lines = await demo.play_assessment()
    cast = result.cast
    assert settings.assessment_policy == demo_assessment_policy()

    # The provider's invitation and Hireflow's reminder, as the Maildir holds them, carry the test link.
    mails = _messages(settings.resolved_maildir(), cast.candidate_email)
    assert [m for m in mails if "Your skills test" in str(m["Subject"]) and result.test_url in body_text(m)]
    reminders = [m for m in mails if str(m["Subject"]).startswith("Reminder")]
    assert len(reminders) == 1 and result.test_url in body_text(reminders[0]), "one reminder, then taken"

    # The provider recorded the submission and scores 3 of 4 right as 75; a second submission is refused.
    invitation_id = result.status.invitation_id if result.status else None
    token = settings.assessment_sandbox_token.get_secret_value()
    async with httpx.AsyncClient(timeout=20) as http:
        held = await http.get(
            f"{settings.assessment_sandbox_url}/api/invitations/{invitation_id}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert held.status_code == 200 and held.json()["status"] == "completed"
        assert held.json()["score"] == 75
        again = await http.post(result.test_url, data={"nonce": "x", **result.answers})
        assert again.status_code == 409

    # Greenhouse, read through Harvest: the score field, the note, the PDF and the stage.
    async with HarvestClient.from_settings(settings) as gh:
        application = await gh.get_application(cast.application_id)
        reports = [a async for a in gh.list_attachments(application_ids=[cast.application_id])]
    fields = application.custom_fields or {}
    assert fields["assessment_score"].value == 75
    assert application.job_interview_stage_id == result.onsite_stage_id
    assert any(a.type == "take_home_test" and (a.filename or "").endswith(".pdf") for a in reports)
    notes = await _notes(demo, cast.candidate_id)
    assert any(
        n.user_id == settings.greenhouse_user_id
        and "assessment is complete" in (n.body or "")
        and "75" in (n.body or "")
        for n in notes
    )

    # Temporal: the assessment finished advancing; the onsite's scheduling request runs, started by the
    # webhook of the move (the workflow ids are the business keys of this application).
    assessment = demo.client.get_workflow_handle(
        result.assessment_workflow_id, result_type=AssessmentStatusSnapshot
    )
    final = await assessment.result()
    assert final.state == "completed" and final.decision == "advanced" and final.score == 75
    assert result.assessment_workflow_id == f"assess-{cast.application_id}-{DEV_TEST_ID}"
    described = await demo.client.get_workflow_handle(result.scheduling_workflow_id).describe()
    assert described.workflow_type == "SchedulingWorkflow" and described.status is not None
    assert described.status.name == "RUNNING"

    # The sandbox delivered both stage changes to the web app, signed, with 2xx answers.
    async with httpx.AsyncClient(timeout=20) as http:
        deliveries = (await http.get(f"{settings.greenhouse_base_url}/_sandbox/webhooks")).json()
    changes = [d for d in deliveries if d["action"] == "candidate_stage_change"]
    assert len(changes) >= 2 and all(d["delivered"] for d in changes)

    # The timeline ends with both Temporal UI links.
    ui = f"{settings.temporal_ui_url}/namespaces/default/workflows"
    assert lines[-2] == f"Temporal UI (assessment): {ui}/{result.assessment_workflow_id}"
    assert lines[-1] == f"Temporal UI (scheduling): {ui}/{result.scheduling_workflow_id}"


async def test_sourcing_imports_a_csv_without_duplicates_and_pushes_a_change_to_the_source(
    demo: Demo,
) -> None:
    settings = demo.settings
    result, lines = await demo.play_sourcing()

    # The report: two people created, one matched by address, the repeated record skipped.
    outcomes = {outcome: len(ids) for outcome, ids in result.outcomes().items()}
    assert outcomes == {"created": 2, "matched_existing": 1, "skipped_duplicate": 1}, outcomes
    by_line = {result.lines[r.row]: r for r in result.rows}
    assert by_line[4].outcome == "matched_existing" and by_line[4].candidate_id is not None
    first, repeat = by_line[2], by_line[5]
    assert {first.outcome, repeat.outcome} == {"created", "skipped_duplicate"}
    assert first.candidate_id == repeat.candidate_id, "the repeated record is the same person"

    # Greenhouse holds Maya once, with her résumé on the new application.
    async with HarvestClient.from_settings(settings) as gh:
        created = next(r for r in result.rows if r.outcome == "created" and r.external_id.endswith("-1"))
        assert created.application_id is not None
        [maya] = [c async for c in gh.list_candidates(ids=[created.candidate_id or 0])]
        assert maya.first_name == "Maya" and maya.last_name == "Okafor"
        resumes = [
            a async for a in gh.list_attachments(application_ids=[created.application_id], type="resume")
        ]
        assert [a.filename for a in resumes] == ["maya-okafor.pdf"]

    # The stage change reached the source's webhook, signed, in the source's words; the consent keeps a timer.
    assert result.signature_valid
    assert (
        result.push_body["status"] == "interviewing"
        and result.push_body["greenhouse_action"] == "candidate_stage_change"
    )
    assert result.push_body["application_id"] == result.moved_application_id
    assert set(result.push_body) >= {"event_id", "external_id", "candidate_id", "occurred_at"}
    assert "email" not in json.dumps(result.push_body), "ids and statuses only"
    assert result.retention is not None and result.retention.state == "waiting"
    assert (
        lines[-1]
        == f"Temporal UI (batch): {settings.temporal_ui_url}/namespaces/default/workflows/sourcing-{result.batch_id}"
    )
