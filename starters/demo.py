"""`hireflow demo`: the whole product on the embedded stack, narrated.

A recruiter @mentions Hireflow in a Greenhouse note on an application in its Onsite stage; the
mention watcher answers with a note and starts the SchedulingWorkflow; the candidate reads the
invitation from the SMTP sink's Maildir and plays the real web page over HTTP like a browser would
(cookie, CSRF field, radio button, POST, redirect); the timeline ends with the bookings, the
Greenhouse interviews read back through Harvest, Hireflow's notes and the Temporal UI link.

Scenarios: `book` (default), `reschedule` (the candidate moves the loop from the confirmation's
link), `decline` (an interviewer declines in their calendar and is replaced), `escalate` (the
candidate never answers: reminders, then a note and an email to the recruiter). Clocks are
compressed (`demo_policy`) so every path fits in a minute. Each step waits with a timeout and, when
something does not happen, says what and where the logs are.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import textwrap
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

import httpx
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from activities.greenhouse import REFERENCE_PREFIX
from integrations.calendar.base import ResponseStatus
from integrations.calendar.caldav import CalDAVCalendar
from integrations.greenhouse.client import HarvestClient
from integrations.links import LinkTokenError, verify_link_token
from integrations.mail.timefmt import EN_DASH, format_range
from integrations.scheduling_client import SchedulingClient
from models.assessment_io import AssessmentPolicy
from models.greenhouse import AddNote, Application, Candidate, Interview, Note
from models.messages import (
    Booking,
    CancelInput,
    Person,
    SchedulingContext,
    SchedulingPolicy,
    SchedulingState,
    SchedulingStatusSnapshot,
    scheduling_workflow_id,
)
from models.settings import Settings
from models.time_zones import to_iana
from sandbox.calendars import default_rooms
from sandbox.greenhouse.seed import SeedSummary
from starters.demo_browser import CandidateBrowser, DemoError, PageOption, ParsedPage
from starters.demo_mailbox import Mail, Mailbox, read_mail
from starters.devstack import DevStack, DevStackConfig
from starters.maildir import list_messages
from starters.schedules import MENTION_WATCH_SCHEDULE_ID, trigger_mention_watch
from starters.stack_options import DEMO_STATE_DIR
from workflows.scheduling import SchedulingWorkflow

if TYPE_CHECKING:
    from starters.demo_assessment import AssessmentDemoResult
    from starters.demo_sourcing import SourcingDemoResult

Scenario = Literal["book", "reschedule", "decline", "escalate", "assessment", "sourcing"]
SCENARIOS: dict[str, str] = {
    "book": "the candidate picks a time on the web page and the loop is booked",
    "reschedule": "the candidate books, then asks for a different time from the confirmation's link",
    "decline": "the candidate books, then an interviewer declines in their calendar and is replaced",
    "escalate": "the candidate never answers: two reminders, then the recruiter is asked to step in",
    "assessment": "a Phone Screen application goes to Take Home Test: invitation, the test taken, score "
    "written back, moved to Onsite and its scheduling started",
    "sourcing": "a sourcing tool's CSV is imported (created, matched, skipped, with a résumé) and a stage "
    "change in Greenhouse reaches the source's webhook, signed",
}
DEFAULT_STATE_DIR = DEMO_STATE_DIR  # defined with the command's options, which must load fast
MARKER = ".hireflow-demo"
APPLICATION_ATTEMPTS = 4
CAST_SCAN = 12
WIDTH = 118  # the timeline wraps here
T = TypeVar("T")


def demo_policy() -> SchedulingPolicy:
    """The scheduling policy with compressed clocks: every scenario fits in about a minute."""
    return SchedulingPolicy(
        reminder_after=[timedelta(seconds=10), timedelta(seconds=20)],
        escalate_after_last_reminder=timedelta(seconds=10),
        rsvp_poll_interval=timedelta(seconds=3),
    )


def demo_assessment_policy() -> AssessmentPolicy:
    """Assessment timing with compressed clocks: a 3-minute deadline, reminders 160 s and 60 s before it
    (the first 20 s after the invitation), so a reminder shows and the candidate still has time."""
    return AssessmentPolicy(
        deadline=timedelta(minutes=3),
        reminders_before=[timedelta(seconds=160), timedelta(seconds=60)],
    )


def demo_settings(base: Settings | None = None) -> Settings:
    """Base settings of the demo's stack: the compressed policies for every scheduling request and
    assessment it starts."""
    base = base or Settings()
    return base.model_copy(
        update={"scheduling_policy": demo_policy(), "assessment_policy": demo_assessment_policy()}
    )


def clocks_line(policy: SchedulingPolicy) -> str:
    def s(value: timedelta) -> str:
        return f"{value.total_seconds():g} s"

    reminders = " and ".join(s(r) for r in policy.reminder_after) or "none"
    return (
        f"Clocks are compressed for the demo: reminders {reminders} after the invitation, escalation "
        f"{s(policy.escalate_after_last_reminder)} after the last one, RSVPs checked every "
        f"{s(policy.rsvp_poll_interval)} (production defaults: 24 h and 48 h, 24 h, 30 min)."
    )


def assessment_clocks_line(policy: AssessmentPolicy) -> str:
    reminders = " and ".join(f"{r.total_seconds():g} s" for r in policy.reminders_before) or "none"
    return (
        f"Assessment clocks are compressed too: deadline {policy.deadline.total_seconds():g} s after the "
        f"invitation, reminders {reminders} before it (production defaults: 7 days; 72 h and 24 h before)."
    )


# ------------------------------------------------------------------------------------- timeline


@dataclass
class Timeline:
    """Narrated lines with the seconds elapsed since the demo started."""

    echo: Callable[[str], None] = print
    started: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def say(self, text: str) -> None:
        """A timed line; long text wraps under itself."""
        self._wrapped(f"{self.elapsed():7.1f}s  ", text)

    def detail(self, text: str) -> None:
        self._wrapped(" " * 13, text)

    def plain(self, text: str = "") -> None:
        self._out(text)

    def _wrapped(self, prefix: str, text: str) -> None:
        lead = len(text) - len(text.lstrip(" "))
        indent = " " * (len(prefix) + lead + 2)
        lines = textwrap.wrap(
            text,
            WIDTH - len(prefix),
            subsequent_indent=" " * (lead + 2),
            break_long_words=False,  # links stay whole, so they can be clicked
            break_on_hyphens=False,
        ) or [""]
        self._out(prefix + lines[0])
        for line in lines[1:]:
            self._out(indent + line.lstrip(" "))

    def _out(self, line: str) -> None:
        self.lines.append(line)
        self.echo(line)


# ----------------------------------------------------------------------------------- the run itself


@dataclass
class Cast:
    """Who plays in the demo: the application, its candidate and recruiter."""

    application_id: int
    stage_id: int
    stage_name: str
    job_name: str
    candidate_id: int
    candidate_name: str
    candidate_email: str
    candidate_zone: str
    recruiter_id: int
    recruiter_name: str
    recruiter_email: str

    @property
    def workflow_id(self) -> str:
        return scheduling_workflow_id(self.application_id, self.stage_id)


@dataclass
class DemoResult:
    """What one scenario did, for the closing summary and for tests."""

    scenario: str
    cast: Cast
    mention_note: Note
    reply_note: Note | None = None
    invitation: Mail | None = None
    picks: list[str] = field(default_factory=list)
    status: SchedulingStatusSnapshot | None = None
    interviews: list[Interview] = field(default_factory=list)
    interview_panels: dict[int, list[int]] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    mails: list[Mail] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    declined: tuple[str, int] | None = None  # (session id, interviewer) of the decline scenario
    pages: list[ParsedPage] = field(default_factory=list)
    workflow_url: str = ""
    candidate_url: str = ""
    seconds: float = 0.0

    @property
    def workflow_id(self) -> str:
        return self.cast.workflow_id

    @property
    def booking(self) -> Booking | None:
        return self.status.booking if self.status else None


def strip_ref(body: str | None) -> str:
    """A note's text without Hireflow's idempotency tag, on one line."""
    return " ".join(_note_lines(body))


def _note_lines(body: str | None) -> list[str]:
    text = re.sub(r"\s*" + re.escape(REFERENCE_PREFIX) + r"[0-9a-f]+\]", "", body or "")
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _short(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class DemoRun:
    """One scenario against a running stack (settings of a DevStack whose watcher is up)."""

    def __init__(
        self,
        settings: Settings,
        client: Client,
        timeline: Timeline,
        *,
        logs_dir: Path,
        alive: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.client = client
        self.timeline = timeline
        self.logs_dir = logs_dir
        self.alive = alive
        self.mailbox = Mailbox(settings.resolved_maildir())
        self.secret = settings.signing_secret.get_secret_value()
        self.seed: SeedSummary | None = None
        self.context: SchedulingContext | None = None
        self._handle: WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot] | None = None
        self._narrated: set[tuple[str, str, str]] = set()
        self._narrator: asyncio.Task[None] | None = None
        self.confirmation: Mail | None = None
        self.gh = HarvestClient.from_settings(settings)  # one client and token for the run

    # -------------------------------------------------------------------------------- helpers

    def workflow_url(self, workflow_id: str) -> str:
        return self.settings.workflow_ui_url(workflow_id)

    def where(self) -> str:
        wf = f" The workflow: {self.workflow_url(self._handle.id)}." if self._handle else ""
        return f" Logs: {self.logs_dir}/ (hireflow.log: worker, web app, watcher).{wf}"

    async def wait(
        self,
        what: str,
        check: Callable[[], Awaitable[T | None]],
        limit: float,
        hint: str = "",
        every: float = 0.25,
    ) -> T:
        """Poll `check` until it returns something; a DemoError saying what did not happen otherwise."""
        deadline = time.monotonic() + limit
        while True:
            dead = self.alive()
            if dead:
                raise DemoError(f"{what} cannot happen: {dead}.{self.where()}")
            found = await check()
            if found is not None and found is not False:
                await self._narrate_once()  # what the workflow did first reads first
                return found
            if time.monotonic() > deadline:
                state = await self._state_text()
                raise DemoError(
                    f"{what} did not happen within {limit:g} s.{state}{' ' + hint if hint else ''}{self.where()}"
                )
            await asyncio.sleep(every)

    async def _state_text(self) -> str:
        if self._handle is None:
            return ""
        try:
            status = await self._handle.query(SchedulingWorkflow.status)
        except Exception:
            return " The workflow does not answer its status query."
        last = "; ".join(f"{h.event}: {h.detail}" for h in status.history[-3:])
        return (
            f" The workflow is {status.state.value}, waiting for {status.waiting_for or '-'} (last: {last})."
        )

    async def status(self) -> SchedulingStatusSnapshot:
        assert self._handle is not None
        return await self._handle.query(SchedulingWorkflow.status)

    async def until_state(self, *states: SchedulingState, limit: float = 60) -> SchedulingStatusSnapshot:
        async def check() -> SchedulingStatusSnapshot | None:
            status = await self.status()
            return status if status.state in states else None

        names = " or ".join(s.value for s in states)
        return await self.wait(f"the workflow reaching {names}", check, limit)

    async def mail(self, to: str, what: str, match: Callable[[Mail], bool], limit: float = 30) -> Mail:
        async def check() -> Mail | None:
            return self.mailbox.take(to, match)

        mail = await self.wait(
            f"{what} to {to}", check, limit, hint=f"Mail caught by the sink: {self.mailbox.maildir}."
        )
        self.timeline.say(
            f'Email to {mail.to}: "{mail.subject}"' + (f" [{mail.ics_line()}]" if mail.ics else "")
        )
        return mail

    def link_purpose(self, url: str) -> str:
        token = url.rsplit("/s/", 1)[-1]
        try:
            return verify_link_token(token, self.secret, datetime.now(UTC)).purpose
        except LinkTokenError:
            return "unknown"

    def who(self, user_id: int) -> str:
        person = self.context.person(user_id) if self.context else None
        return person.name if person else f"user {user_id}"

    def zone(self) -> str:
        return self.context.candidate_time_zone if self.context else "UTC"

    async def _narrate(self) -> None:
        """Print the workflow's own history entries as they appear (its `status` query)."""
        while True:
            await self._narrate_once()
            await asyncio.sleep(0.3)

    async def _narrate_once(self) -> None:
        if self._narrator is None or self._handle is None:
            return
        try:
            status = await self.status()
        except Exception:
            return
        for entry in status.history:
            key = (entry.at.isoformat(), entry.event, entry.detail)
            if key not in self._narrated:
                self._narrated.add(key)
                detail = f": {entry.detail}" if entry.detail else ""
                self.timeline.say(f"  · workflow {entry.event}{detail}")

    # ---------------------------------------------------------------------------------- the cast

    async def seed_summary(self) -> SeedSummary:
        if self.seed is None:
            async with httpx.AsyncClient(timeout=30) as http:
                response = await http.get(f"{self.settings.greenhouse_base_url}/_sandbox/seed")
                response.raise_for_status()
            self.seed = SeedSummary.model_validate(response.json())
        return self.seed

    async def taken(self, workflow_id: str) -> bool:
        try:
            await self.client.get_workflow_handle(workflow_id).describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    async def choose_cast(self, skip: set[int]) -> Cast:
        """An active, emailable application in an Onsite stage that no workflow has touched yet.

        Candidates living in one of the offices' zones come first (their panels share working hours).
        The first `CAST_SCAN` untouched applications are read with one candidates call, so the demo
        leaves the Harvest rate limit to the worker.
        """
        seed = await self.seed_summary()
        office_zones = {o.time_zone for o in seed.offices}
        apps: list[Application] = []
        gh = self.gh
        async for app in gh.list_applications(status="active", stage_name="Onsite"):
            if app.id in skip or not (app.job_interview_stage_id and app.candidate_id and app.job_id):
                continue
            if not await self.taken(scheduling_workflow_id(app.id, app.job_interview_stage_id)):
                apps.append(app)
            if len(apps) >= CAST_SCAN:
                break
        ids = [a.candidate_id for a in apps if a.candidate_id]
        candidates = {c.id: c async for c in gh.list_candidates(ids=ids)} if ids else {}
        emailable = [
            (app, c)
            for app in apps
            if (c := candidates.get(app.candidate_id or 0)) and c.email_addresses and c.can_email
        ]
        emailable.sort(key=lambda pair: to_iana(pair[1].time_zone) not in office_zones)  # stable
        if emailable:
            return await self.cast_of(gh, seed, *emailable[0])
        raise DemoError(
            "the sandbox has no untouched, emailable application in an Onsite stage." + self.where()
        )

    async def cast_of(
        self, gh: HarvestClient, seed: SeedSummary, app: Application, candidate: Candidate
    ) -> Cast:
        assert app.job_interview_stage_id and app.job_id
        recruiter_id = app.recruiter_id or seed.recruiter_ids[0]
        recruiter = next(iter([u async for u in gh.list_users(ids=[recruiter_id])]), None)
        job = await gh.get_job(app.job_id)
        name = " ".join(p for p in (candidate.first_name, candidate.last_name) if p)
        return Cast(
            application_id=app.id,
            stage_id=app.job_interview_stage_id,
            stage_name=app.stage_name or "Onsite",
            job_name=job.name or f"job {app.job_id}",
            candidate_id=candidate.id,
            candidate_name=name or f"candidate {candidate.id}",
            candidate_email=candidate.email_addresses[0].value,
            candidate_zone=candidate.time_zone or "",
            recruiter_id=recruiter_id,
            recruiter_name=recruiter.name if recruiter and recruiter.name else f"user {recruiter_id}",
            recruiter_email=(recruiter.primary_email or "") if recruiter else "",
        )

    async def hireflow_notes(self, candidate_id: int) -> list[Note]:
        notes = [n async for n in self.gh.list_notes(candidate_ids=[candidate_id])]
        return sorted((n for n in notes if n.user_id == self.settings.greenhouse_user_id), key=lambda n: n.id)

    # ------------------------------------------------------------------------------- the scenes

    async def mention(self, cast: Cast) -> tuple[Note, Note]:
        """The recruiter's note, the watcher triggered now, Hireflow's reply note and the workflow."""
        first = cast.candidate_name.split()[0]
        body = f"@{self.settings.mention_name} schedule the onsite, video is fine for {first}."
        before = {n.id for n in await self.hireflow_notes(cast.candidate_id)}
        note = await self.gh.add_note(
            AddNote(candidate_id=cast.candidate_id, application_id=cast.application_id, body=body),
            as_user=cast.recruiter_id,
        )
        self.timeline.say(
            f'{cast.recruiter_name} (recruiter) adds a note on {cast.candidate_name}\'s profile: "{body}"'
        )
        await trigger_mention_watch(self.client)
        self.timeline.say(
            f"Mention watch triggered now (schedule {MENTION_WATCH_SCHEDULE_ID}; "
            f"it also runs every {self.settings.mention_watch_interval_seconds:g} s)"
        )

        async def reply() -> Note | None:
            fresh = [
                n
                for n in await self.hireflow_notes(cast.candidate_id)
                if n.id not in before and n.id > note.id
            ]
            return fresh[0] if fresh else None

        answer = await self.wait(
            "Hireflow's reply note on the candidate",
            reply,
            45,
            hint=f"Look at the schedule {MENTION_WATCH_SCHEDULE_ID} and its MentionWatchWorkflow runs in the Temporal UI.",
            every=1.0,  # each look is a Harvest call; the worker needs the rate limit more
        )
        self.timeline.say(f'Hireflow replies in Greenhouse: "{strip_ref(answer.body)}"')
        self._handle = self.client.get_workflow_handle_for(SchedulingWorkflow.run, cast.workflow_id)

        async def started() -> bool:
            return await self.taken(cast.workflow_id)

        await self.wait(
            f"the workflow {cast.workflow_id} starting",
            started,
            30,
            hint=f'Hireflow replied: "{strip_ref(answer.body)}".',
        )
        self.timeline.say(f"Workflow {cast.workflow_id} is running: {self.workflow_url(cast.workflow_id)}")
        self._narrator = asyncio.create_task(self._narrate())
        return note, answer

    async def offered(self, cast: Cast) -> SchedulingStatusSnapshot:
        status = await self.until_state(SchedulingState.OFFERED, SchedulingState.ESCALATED, limit=120)
        self.context = await SchedulingClient(self.client).page_context(cast.workflow_id)
        return status

    async def invitation(self, cast: Cast) -> tuple[Mail, str]:
        mail = await self.mail(
            cast.candidate_email,
            "the invitation email",
            lambda m: any(self.link_purpose(u) == "pick" for u in m.links),
        )
        url = next(u for u in mail.links if self.link_purpose(u) == "pick")
        self.timeline.detail(f"with the candidate's link {url}")
        return mail, url

    async def pick_on_page(
        self, browser: CandidateBrowser, page: ParsedPage, choose: Callable[[list[PageOption]], PageOption]
    ) -> tuple[ParsedPage, PageOption]:
        """Choose an option on the options page and press the button; retry when it was just taken."""
        for _ in range(3):
            form = page.form("/pick")
            if form is None or not page.options:
                raise DemoError(f"the candidate's page has no options to pick: {page.line()} at {page.url}")
            option = choose(page.options)
            button = form.buttons[0] if form.buttons else "submit"
            self.timeline.say(f'Candidate picks "{option.when}" and presses "{button}"')
            result = await browser.submit(page, form, option_id=option.option_id)
            self.timeline.say(f"  → {result.line()}")
            if (
                result.heading == "One moment"
            ):  # booking takes longer than the pick's answer: the page refreshes
                result = await browser.settle(
                    result, lambda p: p.heading != "One moment", "the booking to be confirmed", 60
                )
                self.timeline.say(f"  → {result.line()}")
            if result.heading.startswith("Your interviews are booked"):
                return result, option
            if result.status == 409 and result.options:
                self.timeline.say(f"  the page says: {result.notice or result.message}; picking again")
                page = result
                continue
            raise DemoError(
                f"the pick did not book: the page shows {result.line()} {result.notice or result.message}."
                + self.where()
            )
        raise DemoError("three picks in a row were taken meanwhile." + self.where())

    async def open_options(self, browser: CandidateBrowser, url: str, what: str) -> ParsedPage:
        page = await browser.get(url)
        page = await browser.settle(page, lambda p: bool(p.options), "the options", 60)
        days = {o.day for o in page.options}
        self.timeline.say(f"{what}: {page.line()} with {len(page.options)} time(s) over {len(days)} day(s)")
        if page.options:
            self.timeline.detail(f'first: "{page.options[0].when}"')
        return page

    async def confirmed(self, cast: Cast, what: str = "the confirmation with a calendar invitation") -> Mail:
        return await self.mail(
            cast.candidate_email, what, lambda m: m.ics is not None and b"METHOD:REQUEST" in m.ics
        )

    async def booked(self, replacing: Booking | None = None) -> SchedulingStatusSnapshot:
        """Wait for a booked loop (a new one when `replacing` is given) with nothing left under way."""

        async def check() -> SchedulingStatusSnapshot | None:
            status = await self.status()
            ok = (
                status.state == SchedulingState.SCHEDULED
                and status.booking is not None
                and (replacing is None or status.booking.booking_id != replacing.booking_id)
                and status.quiet  # a replaced loop is released right after
            )
            return status if ok else None

        what = "the new booking" if replacing else "the booking"
        return await self.wait(f"{what} confirmed (state scheduled)", check, 60)

    async def show_calendars(self, booking: Booking, previous: Booking | None = None) -> None:
        """Read the booked events back from Radicale (the organizer's copy and each attendee's)."""
        organizer = self.settings.calendar_organizer
        async with CalDAVCalendar(self.settings.caldav_url) as caldav:
            self.timeline.say(f"Calendar events in Radicale (organizer {organizer}):")
            for session in sorted(booking.sessions, key=lambda s: s.start):
                event = await caldav.get_event(organizer, session.event_key)
                if event is None or event.status != "confirmed":
                    raise DemoError(
                        f"the calendar event of {session.name} is not in Radicale." + self.where()
                    )
                people = ", ".join(a.email for a in event.attendees)
                room = f", room {event.rooms[0].id}" if event.rooms else ""
                when = f"{event.start:%a %d %b %H:%M}{EN_DASH}{event.end:%H:%M} UTC"
                self.timeline.detail(f"{session.name}: {when}, {people}{room}")
            if previous is not None:
                for session in previous.sessions:
                    old = await caldav.get_event(organizer, session.event_key)
                    if old is not None and old.status != "cancelled":
                        raise DemoError(f"the old event of {session.name} is still booked." + self.where())
                self.timeline.detail(
                    f"the {len(previous.sessions)} event(s) of the old loop are cancelled in Radicale"
                )

    # ------------------------------------------------------------------------------ scenarios

    async def play(self, scenario: Scenario) -> DemoResult:
        """Run one scenario on an untouched Onsite application; the result feeds `summary`."""
        try:
            return await self._play(scenario)
        finally:
            await self.stop_narrator()
            await self.gh.aclose()

    async def _play(self, scenario: Scenario) -> DemoResult:
        started = time.monotonic()
        skip: set[int] = set()
        for _attempt in range(APPLICATION_ATTEMPTS):
            cast = await self.choose_cast(skip)
            skip.add(cast.application_id)
            zone = f", time zone {cast.candidate_zone}" if cast.candidate_zone else ""
            self.timeline.say(
                f"Greenhouse: {cast.candidate_name} ({cast.candidate_email}{zone}) is in {cast.stage_name} "
                f"for {cast.job_name}, application {cast.application_id}; recruiter {cast.recruiter_name}"
            )
            note, reply = await self.mention(cast)
            status = await self.offered(cast)
            if status.state == SchedulingState.OFFERED:
                break
            self.timeline.say(
                f"Hireflow could not offer a loop ({_short(status.escalation_reason, 90)}); the recruiter "
                "cancels it and the demo takes the next Onsite application"
            )
            await self.stop_narrator()
            await self.status_handle().signal(
                SchedulingWorkflow.cancel, CancelInput(by="recruiter", reason="demo: the panel cannot meet")
            )
        else:
            raise DemoError(
                f"no Onsite application could be offered a loop in {APPLICATION_ATTEMPTS} tries."
                + self.where()
            )
        result = DemoResult(scenario, cast, note, reply, workflow_url=self.workflow_url(cast.workflow_id))
        browser = CandidateBrowser()
        try:
            invitation, url = await self.invitation(cast)
            result.invitation, result.candidate_url = invitation, url
            if scenario == "escalate":
                await self.escalate(cast, result)
            else:
                await self.book(cast, browser, url, scenario, result)
                if scenario == "reschedule":
                    await self.reschedule(cast, browser, result)
                elif scenario == "decline":
                    await self.decline(cast, result)
            result.pages = browser.visits
            await self.stop_narrator()
            await self.collect(cast, result)
        finally:
            await browser.aclose()
            await self.stop_narrator()
        result.seconds = time.monotonic() - started
        return result

    def status_handle(self) -> WorkflowHandle[SchedulingWorkflow, SchedulingStatusSnapshot]:
        assert self._handle is not None
        return self._handle

    async def stop_narrator(self) -> None:
        if self._narrator is not None:
            self._narrator.cancel()
            try:
                await self._narrator
            except asyncio.CancelledError:
                pass
            self._narrator = None

    async def book(
        self, cast: Cast, browser: CandidateBrowser, url: str, scenario: Scenario, result: DemoResult
    ) -> None:
        page = await self.open_options(browser, url, "The candidate opens the link")
        choose: Callable[[list[PageOption]], PageOption] = lambda options: options[0]  # noqa: E731
        if scenario == "decline":
            offer = (await self.status()).offer
            assert offer is not None
            cutoff = (
                datetime.now(UTC)
                + self.settings.scheduling_policy.decline_replace_cutoff
                + timedelta(hours=2)
            )
            far = {o.option_id for o in offer.options if o.start > cutoff}
            if not far:
                raise DemoError(
                    "no option starts after the decline cut-off; try again tomorrow." + self.where()
                )
            choose = lambda options: next(o for o in options if o.option_id in far)  # noqa: E731
            self.timeline.detail(
                f"(for the decline the candidate takes a time more than "
                f"{self.settings.scheduling_policy.decline_replace_cutoff.total_seconds() / 3600:g} h ahead, so the interviewer can be replaced)"
            )
        _, option = await self.pick_on_page(browser, page, choose)
        result.picks.append(option.option_id)
        self.confirmation = await self.confirmed(cast)
        status = await self.booked()
        assert status.booking is not None
        await self.show_calendars(status.booking)

    async def reschedule(self, cast: Cast, browser: CandidateBrowser, result: DemoResult) -> None:
        confirmation = self.confirmation
        assert confirmation is not None
        links = [u for u in confirmation.links if self.link_purpose(u) == "reschedule"]
        if not links:
            raise DemoError("the confirmation email has no reschedule link." + self.where())
        first = (await self.status()).booking
        assert first is not None
        self.timeline.say(
            "The candidate needs another time and opens “Need a different time?” from the confirmation"
        )
        page = await browser.get(links[0])
        self.timeline.say(f"  → {page.line()}")
        form = page.form("/reschedule")
        if form is None:
            raise DemoError(f"the reschedule page has no form: {page.line()} at {page.url}." + self.where())
        reason = "Something came up that day, could we move it?"
        self.timeline.say(
            f'Candidate writes "{reason}" and presses "{form.buttons[0] if form.buttons else "submit"}"'
        )
        page = await browser.submit(page, form, reason=reason)
        self.timeline.say(f"  → {page.line()}")
        page = await browser.settle(page, lambda p: bool(p.options), "new options", 60)
        self.timeline.say(
            f'New times on the page: {len(page.options)} time(s), first "{page.options[0].when}"'
        )
        old = {(s.start, s.end) for s in first.sessions}
        offer = (await self.status()).offer
        starts = {o.option_id: o.start for o in (offer.options if offer else [])}

        def different(options: list[PageOption]) -> PageOption:
            return next(
                (o for o in options if starts.get(o.option_id) not in {s for s, _ in old}), options[-1]
            )

        _, option = await self.pick_on_page(browser, page, different)
        result.picks.append(option.option_id)
        await self.confirmed(cast, "the new time with an updated calendar invitation")
        status = await self.booked(replacing=first)
        assert status.booking is not None
        await self.show_calendars(status.booking, previous=first)

    async def decline(self, cast: Cast, result: DemoResult) -> None:
        booking = (await self.status()).booking
        assert booking is not None and self.context is not None
        session = booking.sessions[0]
        decliner = self.context.person(session.interviewers[0])
        if decliner is None or not decliner.email:
            raise DemoError(f"interviewer {session.interviewers[0]} has no calendar." + self.where())
        async with CalDAVCalendar(self.settings.caldav_url) as caldav:
            await caldav.set_response(decliner.email, session.event_key, ResponseStatus.DECLINED)
        result.declined = (session.session_id, decliner.user_id)
        self.timeline.say(
            f"{decliner.name} declines {session.name} in their calendar (PARTSTAT=DECLINED in Radicale)"
        )

        async def replaced() -> SchedulingStatusSnapshot | None:
            status = await self.status()
            if status.state == SchedulingState.ESCALATED:
                raise DemoError(
                    f"Hireflow escalated instead of replacing: {status.escalation_reason}." + self.where()
                )
            ok = status.replacements >= 1 and status.state == SchedulingState.SCHEDULED
            return status if ok else None

        status = await self.wait(f"{decliner.name} being replaced on {session.name}", replaced, 60)
        assert status.booking is not None
        moved = next(s for s in status.booking.sessions if s.session_id == session.session_id)
        newcomers = [i for i in moved.interviewers if i not in session.interviewers]
        names = ", ".join(self.who(i) for i in newcomers) or "the rest of the panel"
        self.timeline.say(
            f"Hireflow replaced {decliner.name} with {names}; same time, the rest of the loop untouched"
        )
        for newcomer in newcomers:
            person = self.context.person(newcomer)
            if person and person.email:
                await self.mail(person.email, "the notice to the new interviewer", lambda m: True)

        # The note is written after the state shows the replacement: wait for it rather than race it.
        async def noted() -> Note | None:
            notes = await self.hireflow_notes(cast.candidate_id)
            return next((n for n in notes if f"Hireflow replaced {decliner.name}" in (n.body or "")), None)

        await self.wait("the replacement note in Greenhouse", noted, 30)
        await self.show_calendars(status.booking)

    async def escalate(self, cast: Cast, result: DemoResult) -> None:
        policy = self.settings.scheduling_policy
        self.timeline.say(
            "The candidate does not open the link (compressed clocks: reminders after "
            + " and ".join(f"{r.total_seconds():g} s" for r in policy.reminder_after)
            + f", escalation {policy.escalate_after_last_reminder.total_seconds():g} s after the last)"
        )
        for n in range(1, len(policy.reminder_after) + 1):
            await self.mail(
                cast.candidate_email, f"reminder {n}", lambda m: "reminder" in m.subject.lower(), 40
            )
        status = await self.until_state(SchedulingState.ESCALATED, limit=40)
        self.timeline.say(f"Hireflow escalates: {status.escalation_reason}")

        async def escalation_note() -> Note | None:
            notes = await self.hireflow_notes(cast.candidate_id)
            return next((n for n in notes if n.body and "needs a recruiter" in n.body), None)

        note = await self.wait("the escalation note in Greenhouse", escalation_note, 30, every=1.0)
        self.timeline.say(f'Note in Greenhouse: "{strip_ref(note.body)}"')
        if cast.recruiter_email:
            await self.mail(cast.recruiter_email, "the escalation email to the recruiter", lambda m: True)

    async def collect(self, cast: Cast, result: DemoResult) -> None:
        result.status = await self.status()
        gh = self.gh
        interviews = [
            i
            async for i in gh.list_interviews(application_ids=[cast.application_id])
            if i.external_event_id and not i.external_event_id.startswith("seed-")
        ]
        booked_ids = {s.greenhouse_interview_id for s in (result.booking.sessions if result.booking else [])}
        result.interviews = sorted(
            (i for i in interviews if i.id in booked_ids),
            key=lambda i: i.starts_at or datetime.min.replace(tzinfo=UTC),
        )
        for interview in result.interviews:
            result.interview_panels[interview.id] = [
                p.user_id
                async for p in gh.list_interviewers(interview_ids=[interview.id])
                if p.user_id is not None
            ]
        result.notes = await self.hireflow_notes(cast.candidate_id)
        result.people = list(self.context.people) if self.context else []
        maildir = self.mailbox.maildir
        result.mails = [read_mail(maildir, m.id) for m in list_messages(maildir)]

    # ---------------------------------------------------------------------------------- summary

    async def summary(self, result: DemoResult) -> None:
        t = self.timeline
        cast = result.cast
        zone = self.zone()
        rooms = {r.id: r.name for r in default_rooms((await self.seed_summary()).offices)}
        t.plain()
        t.plain(
            f"Done in {t.elapsed():.0f} s ({result.seconds:.0f} s for the scenario). "
            f"Workflow state: {result.status.state.value if result.status else '?'}"
        )
        t.plain()
        booking = result.booking
        if booking is None:
            t.plain("Bookings: none (the candidate never picked a time).")
        else:
            t.plain(f"Bookings of {cast.candidate_name}, times in the candidate's zone ({zone}):")
            for s in sorted(booking.sessions, key=lambda s: s.start):
                people = ", ".join(self.who(i) for i in s.interviewers)
                t.plain(f"  {s.name}: {format_range(s.start, s.end, zone)}")
                t.plain(f"      with {people}")
                where = [f"room: {rooms.get(s.room, s.room)}"] if s.room else []
                where += [f"video: {s.video_url}"] if s.video_url else []
                t.plain(f"      {' · '.join(where) or 'no room or video link'}")
        t.plain()
        if result.interviews:
            t.plain(
                f"Greenhouse interviews on application {cast.application_id} (read back through Harvest):"
            )
            names = {s.greenhouse_interview_id: s.name for s in (booking.sessions if booking else [])}
            for i in result.interviews:
                panel = ", ".join(self.who(u) for u in result.interview_panels.get(i.id, []))
                when = (
                    f"{i.starts_at:%Y-%m-%d %H:%M}{EN_DASH}{i.ends_at:%H:%M} UTC"
                    if i.starts_at and i.ends_at
                    else "?"
                )
                t.plain(f"  #{i.id} {names.get(i.id, 'interview')}: {when}, {i.status or ''}, panel {panel}")
                t.plain(
                    f"      external event {i.external_event_id}"
                    + (f", video {i.video_conferencing_url}" if i.video_conferencing_url else "")
                )
        else:
            t.plain("Greenhouse interviews: none booked.")
        t.plain()
        t.plain(f"Hireflow's notes on {cast.candidate_name} in Greenhouse:")
        for n in result.notes:
            lines = _note_lines(n.body) or [""]
            t.plain(f"  - {lines[0]}")
            for line in lines[1:]:
                t.plain(f"    {line}")
        t.plain()
        t.plain("Emails caught by the SMTP sink:")
        for m in result.mails:
            t.plain(f"  - to {m.to}: {m.subject}" + (f" [{m.ics_line()}]" if m.ics else ""))
        t.plain()
        t.plain(f"Temporal UI: {result.workflow_url}")


# ------------------------------------------------------------------------------------ entry point


def prepare_state_dir(state_dir: Path, fresh: bool = True) -> None:
    """Make `state_dir` empty (when `fresh`) and marked; never wipe a directory the demo did not create."""
    marker = state_dir / MARKER
    if state_dir.exists() and fresh:
        if not marker.exists() and any(state_dir.iterdir()):
            raise DemoError(
                f"{state_dir} is not empty and not a demo state directory (no {MARKER} inside); "
                "choose another --state-dir or remove it yourself"
            )
        shutil.rmtree(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "logs").mkdir(exist_ok=True)
    marker.write_text("Created by `hireflow demo`; wiped at the start of every demo run.\n")


@dataclass
class DemoOptions:
    scenario: Scenario = "book"
    stack: DevStackConfig = field(default_factory=lambda: DevStackConfig(state_dir=DEFAULT_STATE_DIR))
    keep_running: bool = False


def _alive(stack: DevStack) -> Callable[[], str | None]:
    def check() -> str | None:
        dead = [p for p in stack.processes if p.exited()]
        return f"{dead[0].name} exited; see {dead[0].log_path}" if dead else None

    return check


async def run_demo(
    options: DemoOptions, timeline: Timeline
) -> DemoResult | AssessmentDemoResult | SourcingDemoResult:
    """Start the stack, play the scenario, print the summary; keep the stack up when asked."""
    from starters.demo_assessment import play_assessment  # it builds on this module
    from starters.demo_sourcing import play_sourcing

    config = options.stack
    settings = demo_settings()
    timeline.plain(f'Hireflow demo, scenario "{options.scenario}": {SCENARIOS[options.scenario]}.')
    timeline.plain(clocks_line(settings.scheduling_policy))
    if options.scenario == "assessment":
        timeline.plain(assessment_clocks_line(settings.assessment_policy))
    timeline.plain()
    timeline.say(
        f"Starting the embedded stack in {config.state_dir} (fresh): Temporal, Greenhouse sandbox, "
        "Radicale, SMTP sink, web app, worker ..."
    )
    async with DevStack(config, base_settings=settings) as stack:
        timeline.say(
            f"Stack up: Temporal UI {stack.settings.temporal_ui_url}, web app {stack.settings.web_base_url}, "
            f"Greenhouse sandbox {stack.settings.greenhouse_base_url}/v3"
        )
        client = await _connect(stack.settings)
        run = DemoRun(
            stack.settings, client, timeline, logs_dir=config.state_dir / "logs", alive=_alive(stack)
        )
        result: DemoResult | AssessmentDemoResult | SourcingDemoResult
        if options.scenario == "assessment":
            result = await play_assessment(run)
        elif options.scenario == "sourcing":
            result = await play_sourcing(run)
        else:
            result = await run.play(options.scenario)
            await run.summary(result)
        if options.keep_running:
            stack.watch_signals()  # before saying Ctrl-C stops it
            explore(timeline, stack, result)
            reason = await stack.wait_until_stopped()
            timeline.plain(f"Stopping ({reason}) ...")
    return result


async def _connect(settings: Settings) -> Client:
    from workers.client import connect

    return await connect(settings)


def explore(
    timeline: Timeline, stack: DevStack, result: DemoResult | AssessmentDemoResult | SourcingDemoResult
) -> None:
    s = stack.settings
    config = stack.config
    defaults = config.temporal_port == 7233
    env = "" if defaults else f"HIREFLOW_TEMPORAL_ADDRESS={s.temporal_address} "
    t = timeline
    t.plain()
    t.plain("The stack stays up to explore (Ctrl-C stops everything):")
    from starters.demo_assessment import AssessmentDemoResult as AssessmentResult

    if not isinstance(result, DemoResult | AssessmentResult):
        t.plain(f"  batch              {result.sourcing_url}")
        t.plain(f"  report             uv run hireflow source status {result.batch_id}")
        t.plain(f"  logs               {config.state_dir / 'logs'}/")
        return
    if isinstance(result, AssessmentResult):
        t.plain(f"  assessment         {result.assessment_url}")
        t.plain(f"  scheduling         {result.scheduling_url}")
        t.plain(
            f"  Greenhouse sandbox {s.greenhouse_base_url}/v3 (webhooks: {s.greenhouse_base_url}/_sandbox/webhooks)"
        )
        t.plain(f"  mail               uv run hireflow mail list --maildir {s.resolved_maildir()}")
        t.plain(f"  logs               {config.state_dir / 'logs'}/")
        return
    t.plain(f"  Temporal UI        {result.workflow_url}")
    t.plain(f"  candidate's page   {result.candidate_url}")
    t.plain(
        f"  Greenhouse sandbox {s.greenhouse_base_url}/v3 (client hireflow-sandbox, secret sandbox-secret)"
    )
    t.plain(f"  CalDAV (Radicale)  {s.caldav_url}")
    t.plain(f"  mail               uv run hireflow mail list --maildir {s.resolved_maildir()}")
    t.plain(f"  status             {env}uv run hireflow status {result.cast.application_id}")
    state = result.status.state.value if result.status else "scheduled"
    t.plain(
        f"  SchedulingStatus   uv run temporal workflow list --address {s.temporal_address} "
        f"--query \"SchedulingStatus = '{state}'\""
    )
    t.plain(f"  logs               {config.state_dir / 'logs'}/")
