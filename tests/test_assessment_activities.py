"""The AssessmentWorkflow's activities against the real Greenhouse sandbox and embedded provider:
each is idempotent, and the unhappy answers are typed (not retried when no retry can help)."""

from __future__ import annotations

import dataclasses
import mailbox
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from pydantic import SecretStr, ValidationError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.assessments import AssessmentActivities
from integrations.assessment_index import AssessmentIndex
from integrations.assessments.registry import ProviderCache
from integrations.greenhouse.client import HarvestClient
from integrations.mail.service import MailService
from models.assessment_io import (
    AssessmentEmailInput,
    DecisionInput,
    GatherAssessmentInput,
    InvitationRef,
    InviteInput,
    WriteBackInput,
)
from models.assessments import CandidateRef, email_digest
from models.greenhouse import MoveApplication, RejectApplication
from models.settings import Settings
from models.store import create_engine_for, init_db
from sandbox.assessments.server import AssessmentSandboxServer
from sandbox.greenhouse.server import SandboxServer
from tests.fixtures.mail import SinkHandle


@pytest_asyncio.fixture
async def activities(
    greenhouse_sandbox: SandboxServer, tmp_path: Path
) -> AsyncIterator[AssessmentActivities]:
    async with AssessmentSandboxServer() as provider:
        settings = Settings(
            environment="development",
            greenhouse_base_url=greenhouse_sandbox.base_url,
            greenhouse_token_url=greenhouse_sandbox.token_url,
            greenhouse_client_id=greenhouse_sandbox.client_id,
            greenhouse_client_secret=SecretStr(greenhouse_sandbox.client_secret),
            greenhouse_user_id=greenhouse_sandbox.hireflow_user_id,
            assessment_sandbox_url=provider.base_url,
            database_url=f"sqlite:///{tmp_path / 'store.db'}",
        )
        engine = create_engine_for(settings.resolved_database_url())
        init_db(engine)
        providers = ProviderCache(settings)
        async with HarvestClient.from_settings(settings) as harvest:
            yield AssessmentActivities(harvest, settings, providers.get, index=AssessmentIndex(engine))
        await providers.aclose()
        engine.dispose()


async def _phone_screen_application(gh: HarvestClient, sandbox: SandboxServer) -> tuple[int, int, int]:
    for job_id, take_home in sandbox.seed.take_home_stage_ids.items():
        stages = sorted(
            [s async for s in gh.list_job_interview_stages(job_ids=[job_id])], key=lambda s: s.sort_order
        )
        ids = [s.id for s in stages]
        phone = ids[ids.index(take_home) - 1]
        async for application in gh.list_applications(job_ids=[job_id], status="active"):
            if application.job_interview_stage_id == phone and application.candidate_id:
                return application.id, phone, take_home
    raise AssertionError("no Phone Screen application")


async def test_write_back_twice_writes_one_note_and_one_report(
    activities: AssessmentActivities, greenhouse_sandbox: SandboxServer
) -> None:
    env = ActivityEnvironment()
    gh = activities.harvest
    application_id, _, _ = await _phone_screen_application(gh, greenhouse_sandbox)
    context = await env.run(
        activities.gather_assessment_context, GatherAssessmentInput(application_id=application_id)
    )
    assert context.candidate is not None and context.next_stage_id is not None
    invitation = await env.run(
        activities.invite_candidate,
        InviteInput(
            provider="embedded",
            reference=f"test/{application_id}",
            test_id="python-basics",
            candidate=context.candidate,
            deadline=datetime.now(UTC) + timedelta(days=7),
            job_name=context.job_name,
        ),
    )
    again = await env.run(
        activities.invite_candidate,
        InviteInput(
            provider="embedded",
            reference=f"test/{application_id}",
            test_id="python-basics",
            candidate=context.candidate,
            deadline=datetime.now(UTC) + timedelta(days=7),
        ),
    )
    assert again.invitation_id == invitation.invitation_id, "the same reference invites once"
    request = WriteBackInput(
        key=f"test-result/{application_id}",
        application_id=application_id,
        candidate_id=context.candidate_id,
        values={"assessment_score": 77.0},
        note="Hireflow: the Python basics assessment is complete. Score 77.",
        report=InvitationRef(provider="embedded", invitation_id=invitation.invitation_id),
    )
    await env.run(activities.write_assessment_result, request)
    await env.run(activities.write_assessment_result, request)
    application = await gh.get_application(application_id)
    assert (application.custom_fields or {})["assessment_score"].value == 77
    notes = [n async for n in gh.list_notes(candidate_ids=[context.candidate_id])]
    assert sum("Score 77" in (n.body or "") for n in notes) == 1
    reports = [a async for a in gh.list_attachments(application_ids=[application_id])]
    assert not any(a.type == "take_home_test" for a in reports), "no report before the test is taken"


async def test_a_stale_advance_is_reported_as_moved_not_forced(
    activities: AssessmentActivities, greenhouse_sandbox: SandboxServer
) -> None:
    env = ActivityEnvironment()
    gh = activities.harvest
    application_id, phone, take_home = await _phone_screen_application(gh, greenhouse_sandbox)
    await gh.move_application(application_id, MoveApplication(from_stage_id=phone, to_stage_id=take_home))
    # Someone else already moved it on; our decision was made for the Phone Screen stage.
    stale = DecisionInput(key="d", application_id=application_id, action="advance", from_stage_id=phone)
    assert (await env.run(activities.decide_application, stale)).outcome == "moved_meanwhile"
    again = DecisionInput(
        key="d", application_id=application_id, action="advance", from_stage_id=phone, to_stage_id=take_home
    )
    assert (await env.run(activities.decide_application, again)).outcome == "done", (
        "already where we wanted it"
    )


async def test_provider_refusals_are_not_retried(activities: AssessmentActivities) -> None:
    env = ActivityEnvironment()
    with pytest.raises(ApplicationError) as refused:
        await env.run(
            activities.invite_candidate,
            InviteInput(
                provider="embedded",
                reference="test/unknown-test",
                test_id="no-such-test",
                candidate=CandidateRef(email="ada@example.com"),
                deadline=datetime.now(UTC) + timedelta(days=7),
            ),
        )
    assert refused.value.type == "AssessmentRejectedError" and refused.value.non_retryable


async def test_gather_invites_only_the_address_greenhouse_sent_and_explains_a_mismatch(
    activities: AssessmentActivities, greenhouse_sandbox: SandboxServer
) -> None:
    """Greenhouse's Send Test names an address (kept as a digest): it must be on the profile."""
    env = ActivityEnvironment()
    application_id, _, _ = await _phone_screen_application(activities.harvest, greenhouse_sandbox)
    application = await activities.harvest.get_application(application_id)
    candidate = await activities.harvest.get_candidate(application.candidate_id or 0)
    on_profile = [e.value for e in candidate.email_addresses if e.value]
    sent = on_profile[-1].upper()  # Greenhouse may send any of them, in any case
    matched = await env.run(
        activities.gather_assessment_context,
        GatherAssessmentInput(application_id=application_id, expected_email_sha256=email_digest(sent)),
    )
    assert matched.candidate is not None and matched.candidate.email == on_profile[-1]
    assert matched.no_email_reason == ""
    other = await env.run(
        activities.gather_assessment_context,
        GatherAssessmentInput(
            application_id=application_id, expected_email_sha256=email_digest("someone.else@example.com")
        ),
    )
    assert other.candidate is None
    assert "not on the candidate's profile" in other.no_email_reason
    assert "someone.else" not in other.no_email_reason


async def test_a_lean_gather_reads_three_resources_and_the_advance_moves_to_the_next_stage(
    activities: AssessmentActivities, greenhouse_sandbox: SandboxServer
) -> None:
    env = ActivityEnvironment()
    gh = activities.harvest
    application_id, phone, take_home = await _phone_screen_application(gh, greenhouse_sandbox)
    lean = await env.run(
        activities.gather_assessment_context, GatherAssessmentInput(application_id=application_id, lean=True)
    )
    full = await env.run(
        activities.gather_assessment_context, GatherAssessmentInput(application_id=application_id)
    )
    assert full.next_stage_id == take_home and lean.next_stage_id is None
    assert lean.recruiter_email is None and lean.recruiter_id == full.recruiter_id
    assert lean.candidate == full.candidate and lean.job_name == full.job_name
    advance = DecisionInput(key="d", application_id=application_id, action="advance", from_stage_id=phone)
    assert (await env.run(activities.decide_application, advance)).outcome == "done"
    assert (await gh.get_application(application_id)).job_interview_stage_id == take_home
    # a retry after a move whose answer was lost: the application is one stage on, where we sent it
    retry = ActivityEnvironment()
    retry.info = dataclasses.replace(retry.info, attempt=2)
    assert (await retry.run(activities.decide_application, advance)).detail == "already there"


async def test_an_advance_on_an_application_rejected_meanwhile_is_moved_not_an_error(
    activities: AssessmentActivities, greenhouse_sandbox: SandboxServer
) -> None:
    env = ActivityEnvironment()
    gh = activities.harvest
    application_id, phone, _ = await _phone_screen_application(gh, greenhouse_sandbox)
    reasons = [r.id async for r in gh.list_rejection_reasons()]
    await gh.reject_application(application_id, RejectApplication(rejection_reason_id=reasons[0]))
    advance = DecisionInput(key="d", application_id=application_id, action="advance", from_stage_id=phone)
    assert (await env.run(activities.decide_application, advance)).outcome == "moved_meanwhile"


async def test_a_mail_to_a_user_reads_their_address_when_it_is_sent(
    activities: AssessmentActivities,
    greenhouse_sandbox: SandboxServer,
    mail_service: MailService,
    smtp_sink: SinkHandle,
) -> None:
    seed = greenhouse_sandbox.seed
    recruiter = next(p for p in seed.interviewers if p.id in seed.recruiter_ids)
    with_mail = AssessmentActivities(
        activities.harvest, activities.settings, activities.providers, mail_service=mail_service
    )
    await ActivityEnvironment().run(
        with_mail.send_assessment_email,
        AssessmentEmailInput(
            key="k/escalation/1",
            template="assessment_escalation",
            to_user_id=recruiter.id,
            test_name="Python basics",
            reason="the provider refused the invitation",
        ),
    )
    [message] = list(mailbox.Maildir(smtp_sink.maildir, create=False))
    assert recruiter.email.lower() in message["To"].lower()
    with pytest.raises(ValidationError, match="to` or `to_user_id"):
        AssessmentEmailInput(key="k", template="assessment_escalation")
