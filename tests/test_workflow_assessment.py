"""The AssessmentWorkflow on the time-skipping test server with in-memory activities.

Days pass in milliseconds: reminders, the deadline, a webhook arriving as a signal, a Temporal cancel.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.assessments import AssessmentActivities
from activities.greenhouse import GreenhouseActivities
from models import temporal_keys as keys
from models.activity_io import NoteInput
from models.assessment_io import (
    AssessmentContext,
    AssessmentEmailInput,
    AssessmentRequest,
    AssessmentStatusSnapshot,
    DecisionInput,
    DecisionResult,
    DecisionRule,
    ExtendAssessmentInput,
    ExtendInput,
    GatherAssessmentInput,
    InvitationRef,
    InviteInput,
    NotifyPartnerInput,
    ResumeAssessmentInput,
    WriteBackInput,
)
from models.assessments import (
    AssessmentResult,
    CandidateRef,
    Invitation,
    ProviderEvent,
    assessment_workflow_id,
)
from models.messages import TaskQueues
from tests.support.histories import recording, save_history
from workflows.assessment import AssessmentWorkflow

CONTEXT = AssessmentContext(
    application_id=0,
    candidate_id=22,
    job_id=33,
    job_name="Backend Engineer",
    stage_id=301,
    next_stage_id=302,
    candidate=CandidateRef(email="ada@example.com", first_name="Ada"),
    recruiter_email="rita@acme.example",
)


@dataclass
class Provider:
    """The outside world as the activities see it."""

    result: AssessmentResult | None = None
    context: AssessmentContext = field(default_factory=lambda: CONTEXT)
    invites: list[InviteInput] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    emails: list[AssessmentEmailInput] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: list[WriteBackInput] = field(default_factory=list)
    decisions: list[DecisionInput] = field(default_factory=list)
    extended: list[ExtendInput] = field(default_factory=list)

    def activities(self) -> list[Callable[..., Any]]:
        world = self

        @activity.defn(name=AssessmentActivities.gather_assessment_context.__name__)
        async def gather(request: GatherAssessmentInput) -> AssessmentContext:
            return world.context.model_copy(update={"application_id": request.application_id})

        @activity.defn(name=AssessmentActivities.invite_candidate.__name__)
        async def invite(request: InviteInput) -> Invitation:
            world.invites.append(request)
            return Invitation(
                provider=request.provider,
                invitation_id=f"inv-{len(world.invites)}",
                test_url="http://127.0.0.1:8710/take/t",
                invited_at=activity.info().current_attempt_scheduled_time,
                deadline=request.deadline,
            )

        @activity.defn(name=AssessmentActivities.extend_invitation.__name__)
        async def extend(request: ExtendInput) -> None:
            world.extended.append(request)

        @activity.defn(name=AssessmentActivities.cancel_invitation.__name__)
        async def cancel(request: InvitationRef) -> None:
            world.cancelled.append(request.invitation_id)

        @activity.defn(name=AssessmentActivities.fetch_assessment_result.__name__)
        async def fetch(request: InvitationRef) -> AssessmentResult:
            return world.result or AssessmentResult(invitation_id=request.invitation_id, status="invited")

        @activity.defn(name=AssessmentActivities.write_assessment_result.__name__)
        async def write(request: WriteBackInput) -> None:
            world.written.append(request)

        @activity.defn(name=AssessmentActivities.decide_application.__name__)
        async def decide(request: DecisionInput) -> DecisionResult:
            world.decisions.append(request)
            return DecisionResult(outcome="done")

        @activity.defn(name=AssessmentActivities.notify_greenhouse_partner.__name__)
        async def notify(_: NotifyPartnerInput) -> None:
            return None

        @activity.defn(name=AssessmentActivities.send_assessment_email.__name__)
        async def email(request: AssessmentEmailInput) -> None:
            world.emails.append(request)

        @activity.defn(name=GreenhouseActivities.add_candidate_note.__name__)
        async def note(request: NoteInput) -> None:
            world.notes.append(request.body)

        return [gather, invite, extend, cancel, fetch, write, decide, notify, email, note]


@dataclass
class Harness:
    env: WorkflowEnvironment
    world: Provider
    queue: str
    started: list[WorkflowHandle[AssessmentWorkflow, AssessmentStatusSnapshot]] = field(default_factory=list)

    async def start(self, **changes: object) -> WorkflowHandle[AssessmentWorkflow, AssessmentStatusSnapshot]:
        application_id = int(uuid.uuid4().int % 10**9)
        request = AssessmentRequest.model_validate(
            {
                "application_id": application_id,
                "test_key": "python-basics",
                "provider": "embedded",
                "test_id": "python-basics",
                "test_name": "Python basics",
                "rule": DecisionRule(threshold=70),
                "queues": TaskQueues(main=self.queue, harvest=self.queue, planner=self.queue),
            }
            | changes
        )
        handle = await self.env.client.start_workflow(
            AssessmentWorkflow.run,
            request,
            id=assessment_workflow_id(application_id, request.test_key),
            task_queue=self.queue,
        )
        self.started.append(handle)
        return handle


@pytest_asyncio.fixture
async def harness(
    time_skipping_env: WorkflowEnvironment, request: pytest.FixtureRequest
) -> AsyncIterator[Harness]:
    world = Provider()
    queue = f"assess-{uuid.uuid4().hex[:8]}"
    async with Worker(
        time_skipping_env.client,
        task_queue=queue,
        workflows=[AssessmentWorkflow],
        activities=world.activities(),
    ):
        harness = Harness(time_skipping_env, world, queue)
        try:
            yield harness
        finally:  # leave no timers running on the shared test server
            for n, handle in enumerate(harness.started):
                try:
                    await asyncio.wait_for(handle.terminate("test over"), 5)
                except Exception:  # already closed
                    pass
                if recording():
                    await save_history(handle, "assessment", f"{request.node.name}_{n}")


async def _state(handle: WorkflowHandle[AssessmentWorkflow, AssessmentStatusSnapshot]) -> str:
    return (await handle.query(AssessmentWorkflow.status)).state


async def test_invite_remind_then_a_webhook_scores_writes_back_and_advances(harness: Harness) -> None:
    handle = await harness.start()
    await harness.env.sleep(timedelta(days=6, hours=12))
    assert await _state(handle) == "waiting"
    assert [e.template for e in harness.world.emails] == ["assessment_reminder", "assessment_reminder"]
    harness.world.result = AssessmentResult(
        invitation_id="inv-1", status="completed", score=88, max_score=100
    )
    event = ProviderEvent(provider="embedded", event_id="e1", kind="completed", invitation_id="inv-1")
    await handle.signal(AssessmentWorkflow.provider_event, event)
    await handle.signal(AssessmentWorkflow.provider_event, event)
    final = await handle.result()
    assert final.state == "completed" and final.decision == "advanced" and final.score == 88
    assert len(harness.world.written) == 1 and harness.world.written[0].values == {"assessment_score": 88.0}
    assert [d.action for d in harness.world.decisions] == ["advance"]
    described = await handle.describe()
    assert described.typed_search_attributes.get(keys.ASSESSMENT_STATUS) == "completed"
    assert described.typed_search_attributes.get(keys.ASSESSMENT_SCORE) == 88


async def test_no_completion_by_the_deadline_expires_and_withdraws(harness: Harness) -> None:
    handle = await harness.start()
    final = await handle.result()  # the server skips the seven days
    assert final.state == "expired" and harness.world.cancelled == ["inv-1"]
    assert any(e.template == "assessment_escalation" for e in harness.world.emails)


async def test_extend_is_an_update_with_one_effect_per_note(harness: Harness) -> None:
    handle = await harness.start()
    await harness.env.sleep(timedelta(days=1))
    first = await handle.execute_update(
        AssessmentWorkflow.extend, ExtendAssessmentInput(days=3, request_id="n1")
    )
    again = await handle.execute_update(
        AssessmentWorkflow.extend, ExtendAssessmentInput(days=3, request_id="n1")
    )
    assert first.outcome == "done" and again == first and len(harness.world.extended) == 1
    status = await handle.query(AssessmentWorkflow.status)
    assert status.deadline is not None and status.extensions == 1


async def test_extend_by_days_and_hours_answers_the_new_deadline(harness: Harness) -> None:
    """A mention's "by 36 hours" arrives as days=1, hours=12; the answer carries the deadline it set."""
    handle = await harness.start()
    await harness.env.sleep(timedelta(hours=2))
    before = await handle.query(AssessmentWorkflow.status)
    assert before.deadline is not None
    answer = await handle.execute_update(
        AssessmentWorkflow.extend, ExtendAssessmentInput(days=1, hours=12, request_id="note-7")
    )
    assert answer.outcome == "done" and answer.deadline == before.deadline + timedelta(hours=36)
    older = await handle.execute_update(  # a payload written before `hours` existed: days only
        AssessmentWorkflow.extend, ExtendAssessmentInput.model_validate({"days": 2, "request_id": "note-8"})
    )
    assert older.deadline == before.deadline + timedelta(hours=36 + 48)
    await harness.env.sleep(timedelta(minutes=5))
    assert [e.deadline for e in harness.world.extended] == [answer.deadline, older.deadline]


async def test_a_temporal_cancel_withdraws_the_invitation(harness: Harness) -> None:
    handle = await harness.start()
    await harness.env.sleep(timedelta(hours=1))
    await handle.cancel()
    final = await handle.result()
    assert final.state == "cancelled" and harness.world.cancelled == ["inv-1"]


async def test_a_missing_email_waits_for_a_recruiter_then_resumes(harness: Harness) -> None:
    harness.world.context = CONTEXT.model_copy(update={"candidate": None})
    handle = await harness.start()
    await harness.env.sleep(timedelta(minutes=5))
    assert await _state(handle) == "escalated" and not harness.world.invites
    harness.world.context = CONTEXT
    answer = await handle.execute_update(AssessmentWorkflow.resume, ResumeAssessmentInput(request_id="n2"))
    assert answer.outcome == "accepted"
    await harness.env.sleep(timedelta(minutes=5))
    assert await _state(handle) == "waiting" and len(harness.world.invites) == 1
