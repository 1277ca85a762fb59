"""What a chaos scenario left behind, counted where it landed: Radicale's files, the sandbox, the sink.

Invariants checked once a workflow is quiet (docs/workflows.md, "Invariants"):
- it did not end Failed (nor was it terminated or timed out);
- each session of its current booking has one live calendar event (the organizer's copy and every
  attendee's) and one Greenhouse interview; nothing else it created is live (orphans);
- no Greenhouse interview, note or email happened twice (duplicates).
"""

from __future__ import annotations

import email
import mailbox
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import icalendar
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus

from benchmarks.chaos_kit.world import ChaosWorld
from benchmarks.workflows import Application
from integrations.greenhouse.client import HarvestClient
from models.messages import BookedSession, SchedulingStatusSnapshot

REFERENCE = re.compile(r"\[hireflow ref [0-9a-f]{12}\]")
BAD_ENDINGS = {
    WorkflowExecutionStatus.FAILED,
    WorkflowExecutionStatus.TERMINATED,
    WorkflowExecutionStatus.TIMED_OUT,
}


@dataclass
class Effects:
    """Counts for one workflow; every field but `live_sessions` has the goal 0."""

    failed: int = 0
    task_failures: int = 0
    orphaned_events: int = 0
    orphaned_interviews: int = 0
    missing_events: int = 0
    missing_interviews: int = 0
    duplicate_interviews: int = 0
    duplicate_notes: int = 0
    live_sessions: int = 0
    details: list[str] = field(default_factory=list)

    def problems(self) -> int:
        return (
            self.failed
            + self.task_failures
            + self.orphaned_events
            + self.orphaned_interviews
            + self.missing_events
            + self.missing_interviews
            + self.duplicate_interviews
            + self.duplicate_notes
        )

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "details" or v}


def calendar_copies(storage: Path, workflow_id: str) -> dict[str, dict[str, str]]:
    """Every event of this workflow in Radicale's files: key -> holder (calendar owner) -> STATUS."""
    found: dict[str, dict[str, str]] = {}
    prefix = f"{workflow_id}-b"
    for path in storage.glob("*/calendar/*.ics"):
        try:
            raw = path.read_bytes()
        except OSError:
            continue  # replaced while we looked; the next check sees it
        if prefix.encode() not in raw:
            continue
        for event in icalendar.Calendar.from_ical(raw).walk("VEVENT"):
            key = str(event.get("X-HIREFLOW-KEY", ""))
            if key.startswith(prefix):
                found.setdefault(key, {})[path.parent.parent.name] = str(event.get("STATUS", "CONFIRMED"))
    return found


async def workflow_effects(
    world: ChaosWorld, workflow_id: str, app: Application, baseline: set[int]
) -> Effects:
    """Check the invariants for one quiet workflow; `baseline` are the application's interviews before it."""
    out = Effects()
    handle = world.scheduling.handle(workflow_id)
    described = await handle.describe()
    if described.status in BAD_ENDINGS:
        out.failed = 1
        out.details.append(f"workflow ended {described.status.name}")
    out.task_failures = await task_failures(world, workflow_id)
    if out.task_failures:
        out.details.append(
            f"{out.task_failures} workflow task(s) failed (a handler raised, or nondeterminism)"
        )
    status: SchedulingStatusSnapshot | None = None
    if described.status in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED):
        status = await world.scheduling.status(workflow_id)
    running = described.status == WorkflowExecutionStatus.RUNNING
    booking = status.booking if status and running else None
    current = {s.event_key: s for s in booking.sessions} if booking else {}
    out.live_sessions = len(current)
    expected = await expected_holders(world, workflow_id, list(current.values()))
    copies = calendar_copies(world.storage, workflow_id)
    for key, holders in copies.items():
        live = {h for h, st in holders.items() if st.upper() != "CANCELLED"}
        if key not in current and live:
            out.orphaned_events += len(live)
            out.details.append(f"event {key} still live for {sorted(live)}")
        elif key in current:
            missing, extra = expected[key] - live, live - expected[key]
            out.missing_events += len(missing)
            out.orphaned_events += len(extra)
            if missing or extra:
                out.details.append(f"event {key}: not live for {sorted(missing)}, live for {sorted(extra)}")
    for key in set(current) - set(copies):
        out.missing_events += len(expected[key])
        out.details.append(f"event {key} of the booking does not exist")
    async with HarvestClient.from_settings(world.stack.settings) as gh:
        interviews = [
            i async for i in gh.list_interviews(application_ids=[app.application_id]) if i.id not in baseline
        ]
        notes = [n async for n in gh.list_notes(candidate_ids=[app.candidate_id])]
    wanted = {s.greenhouse_interview_id for s in current.values()}
    for interview in interviews:
        if interview.id not in wanted:
            out.orphaned_interviews += 1
            out.details.append(f"Greenhouse interview {interview.id} left live")
    out.missing_interviews = len(wanted - {i.id for i in interviews})
    by_event = Counter(i.external_event_id for i in interviews if i.external_event_id)
    out.duplicate_interviews = sum(n - 1 for n in by_event.values() if n > 1)
    references = Counter(ref for n in notes for ref in set(REFERENCE.findall(n.body or "")))
    out.duplicate_notes = sum(n - 1 for n in references.values() if n > 1)
    if out.duplicate_notes:
        out.details.append(f"notes written twice: {[r for r, n in references.items() if n > 1]}")
    return out


async def task_failures(world: ChaosWorld, workflow_id: str) -> int:
    """Workflow tasks of the current run that failed (an exception in workflow code, or nondeterminism)."""
    failed = 0
    async for event in world.scheduling.handle(workflow_id).fetch_history_events():
        failed += event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    return failed


async def expected_holders(
    world: ChaosWorld, workflow_id: str, sessions: list[BookedSession]
) -> dict[str, set[str]]:
    """Who must hold a live copy of each session's event: the organizer, every panelist whose calendar
    is on the server (Radicale's files), and the room."""
    context = await world.scheduling.page_context(workflow_id) if sessions else None
    emails = {p.user_id: (p.email or "").lower() for p in (context.people if context else [])}
    organizer = world.stack.settings.calendar_organizer.lower()
    out: dict[str, set[str]] = {}
    for session in sessions:
        people = [*session.interviewers, *([session.trainee] if session.trainee else [])]
        holders = {organizer} | {
            emails[i] for i in people if emails.get(i) and (world.storage / emails[i] / "calendar").is_dir()
        }
        out[session.event_key] = holders | ({session.room} if session.room else set())
    return out


def duplicate_mails(maildir: Path) -> dict[str, int]:
    """Messages the sink received more than once (the same Message-ID): id -> extra copies."""
    box = mailbox.Maildir(maildir, create=False)
    seen: Counter[str] = Counter()
    for key in box.keys():
        message = email.message_from_bytes(box.get_bytes(key))
        seen[str(message.get("Message-ID", ""))] += 1
    return {mid: n - 1 for mid, n in seen.items() if mid and n > 1}
