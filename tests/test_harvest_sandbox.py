"""The Harvest client against the Greenhouse sandbox over real HTTP on a free loopback port."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.greenhouse import (
    AuthError,
    ForbiddenError,
    HarvestClient,
    NotFoundError,
    ServerError,
    TimeRange,
    ValidationError,
)
from integrations.greenhouse.auth import AccessToken
from integrations.greenhouse.ratelimit import RateLimiter
from models.greenhouse import (
    AddAttachment,
    AddNote,
    Application,
    CreateApplication,
    CreateCandidate,
    CreateInterview,
    CreateProspectApplication,
    EmailAddressInput,
    FirstApplication,
    InterviewerInput,
    Job,
    MoveApplication,
    ProspectApplication,
    RejectApplication,
    UpdateCandidate,
    UpdateInterview,
)
from sandbox.greenhouse.server import SandboxServer
from tests.fixtures.sandbox import client_for

pytestmark = pytest.mark.integration

LIST_METHODS = [
    "candidates",
    "applications",
    "application_stages",
    "jobs",
    "job_interview_stages",
    "job_interviews",
    "interview_kits",
    "default_interviewers",
    "interviews",
    "interviewers",
    "users",
    "offices",
    "departments",
    "notes",
    "scorecards",
    "offers",
    "sources",
    "job_posts",
    "custom_fields",
    "email_templates",
    "user_job_permissions",
    "user_roles",
    "rejection_reasons",
    "attachments",
]


@asynccontextmanager
async def harvest(server: SandboxServer, **kwargs: Any) -> AsyncIterator[HarvestClient]:
    async with client_for(server, **kwargs) as gh:
        yield gh


async def test_every_list_endpoint_parses(greenhouse_sandbox: SandboxServer) -> None:
    async with harvest(greenhouse_sandbox) as gh:
        counts = {name: len(await getattr(gh, f"list_{name}")().collect()) for name in LIST_METHODS}
    assert all(counts.values()), counts
    assert counts["candidates"] == greenhouse_sandbox.seed.candidate_count
    assert counts["applications"] == greenhouse_sandbox.seed.application_count


async def test_pagination_across_many_pages_lists_each_object_once(greenhouse_sandbox: SandboxServer) -> None:
    async with harvest(greenhouse_sandbox) as gh:
        listing = gh.list_applications(per_page=7)
        small = [a.id async for a in listing]
        whole = [a.id for a in await gh.list_applications(per_page=500).collect()]
    assert listing.pages == math.ceil(greenhouse_sandbox.seed.application_count / 7)
    assert small == whole  # same order (id descending), nothing lost, nothing twice
    assert len(set(small)) == len(small) == greenhouse_sandbox.seed.application_count
    assert small == sorted(small, reverse=True)


async def test_filters_chunks_and_projection(greenhouse_sandbox: SandboxServer) -> None:
    async with harvest(greenhouse_sandbox) as gh:
        candidates = await gh.list_candidates().collect()
        ids = [c.id for c in candidates]
        assert len(ids) > 100
        chunked = gh.list_candidates(ids=ids, per_page=20)
        assert chunked.requests_planned == math.ceil(len(ids) / 50)
        assert sorted(c.id for c in await chunked.collect()) == sorted(ids)

        apps = await gh.list_applications(
            job_ids=[greenhouse_sandbox.seed.job_ids[0]], fields=["job_id", "candidate_id"]
        ).collect()
        assert apps and {a.job_id for a in apps} == {greenhouse_sandbox.seed.job_ids[0]}
        assert all(a.stage_name is None for a in apps)  # projected out

        newest = max(c.created_at for c in candidates if c.created_at)
        window = TimeRange(gte=newest - timedelta(seconds=1), lte=newest + timedelta(seconds=1))
        recent = await gh.list_candidates(created_at=window).collect()
        assert recent and all(
            c.created_at and abs(c.created_at - newest) <= timedelta(seconds=1) for c in recent
        )

        assert await gh.list_applications(status="active", prospect=False, per_page=50).collect()


async def test_token_remint_on_401_and_proactive_refresh(sandbox_factory: Any) -> None:
    async with sandbox_factory(candidates=5, token_ttl_seconds=2) as server, harvest(server) as gh:
        await gh.list_jobs().collect()
        assert gh.tokens.mint_count == 1
        first = gh.tokens._tokens[server.hireflow_user_id]
        refresh_at = first.expires_at - (first.expires_at - first.issued_at) / 2
        await asyncio.sleep(refresh_at - time.time() + 0.05)  # past half the lifetime: refreshed, no 401
        await gh.list_jobs().collect()
        assert gh.tokens.mint_count == 2

        # The server expires the token while the client still trusts it (clock skew, revocation): one 401,
        # one re-mint, one retry, and the caller never notices.
        sub = server.hireflow_user_id
        stale = gh.tokens._tokens[sub]
        gh.tokens._tokens[sub] = AccessToken(stale.value, stale.expires_at + 3600, sub, stale.issued_at)
        await asyncio.sleep(2.1)
        assert len(await gh.list_jobs().collect()) == len(server.seed.job_ids)
        assert gh.tokens.mint_count == 3

        gh.tokens._tokens[sub] = AccessToken("not-a-jwt", stale.expires_at + 3600, sub, stale.issued_at)
        assert await gh.list_offices().collect()
        assert gh.tokens.mint_count == 4


async def test_error_mapping_over_http(greenhouse_sandbox: SandboxServer) -> None:
    server = greenhouse_sandbox
    async with harvest(server, client_secret="wrong-secret", rate_limiter=RateLimiter()) as gh:
        with pytest.raises(AuthError) as auth_info:
            await gh.list_jobs().collect()
    assert auth_info.value.status == 401 and "wrong-secret" not in str(auth_info.value)

    await server.add_credential("jobs-only", "jobs-secret", ["harvest:jobs:list"])
    async with harvest(server, client_id="jobs-only", client_secret="jobs-secret", user_id=None) as gh:
        assert await gh.list_jobs().collect()
        with pytest.raises(ForbiddenError) as forbidden:
            await gh.list_candidates().collect()
    assert (forbidden.value.status, forbidden.value.path) == (403, "/v3/candidates")

    async with harvest(server, user_id=server.seed.recruiter_ids[0]) as gh:  # reads need a site admin
        with pytest.raises(ForbiddenError):
            await gh.list_jobs().collect()

    async with harvest(server) as gh:
        with pytest.raises(NotFoundError) as missing:
            await gh.list_resource("/v3/no_such_things", Job).collect()
        assert missing.value.status == 404
        with pytest.raises(NotFoundError):
            await gh.get_candidate(1)
        with pytest.raises(NotFoundError):
            await gh.delete_interview(1)
        app = await anext(aiter(gh.list_applications(status="active", per_page=1)))
        with pytest.raises(ValidationError) as invalid:
            await gh.move_application(app.id, MoveApplication(from_stage_id=1))
        assert invalid.value.status == 422 and invalid.value.errors


async def test_server_errors_retried_for_reads_not_writes(sandbox_factory: Any) -> None:
    async with sandbox_factory(candidates=5) as server, harvest(server) as gh:
        await server.add_fault("/v3/jobs", status=503, count=2)
        assert len(await gh.list_jobs().collect()) == len(server.seed.job_ids)

        candidate = (await gh.list_candidates().collect())[0]
        await server.add_fault("/v3/notes", status=500, count=1, method="POST")
        with pytest.raises(ServerError):
            await gh.add_note(AddNote(candidate_id=candidate.id, body="only once"))
        assert not [
            n for n in await gh.list_notes(candidate_ids=[candidate.id]).collect() if n.body == "only once"
        ]


async def test_429_recovery_with_nothing_lost(sandbox_factory: Any) -> None:
    async with sandbox_factory(candidates=150, rate_limit=10_000, rate_window_seconds=1.0) as server:
        expected = server.seed.application_count
        async with harvest(server, rate_limiter=RateLimiter()) as gh:
            # 429s in the middle of a listing (Retry-After: 1) are waited out; the cursor resumes intact.
            await server.add_fault("/v3/applications", status=429, count=3)
            ids = [a.id async for a in gh.list_applications(per_page=40)]
            assert gh.limiter.stats.throttled == 3
            assert len(ids) == len(set(ids)) == expected

            # The limit drops under the client's feet (another process, a config change): it adapts.
            await server.set_rate_limit(5, 1.0)
            ids = [a.id async for a in gh.list_applications(per_page=30)]
            assert len(ids) == len(set(ids)) == expected

        # With the limit known, two concurrent listings sharing the credential's pacing meet no 429.
        async with harvest(server, rate_limiter=RateLimiter()) as gh:
            await gh.list_offices().collect()
            apps, cands = await asyncio.gather(
                gh.list_applications(per_page=40).collect(), gh.list_candidates(per_page=40).collect()
            )
            # Unpaced, these ~12 requests against 5 per second would meet several 429s. The test's window is
            # 1 s (Greenhouse's: 30 s), so a stall of the loaded test machine at a window's edge can cost one.
            assert gh.limiter.stats.throttled <= 1
            assert gh.limiter.stats.requests >= 10
        assert len({a.id for a in apps}) == len(apps) == expected
        assert len({c.id for c in cands}) == len(cands) == server.seed.candidate_count


async def test_writes_round_trip(sandbox_factory: Any) -> None:
    async with sandbox_factory(candidates=10) as server, harvest(server) as gh:
        seed = server.seed
        job_id = seed.job_ids[0]
        recruiter = seed.recruiter_ids[0]
        stages = sorted(
            await gh.list_job_interview_stages(job_ids=[job_id]).collect(), key=lambda s: s.sort_order
        )

        created = await gh.create_candidate(
            CreateCandidate(
                first_name="Test",
                last_name="Writer",
                company="Northwind",
                email_addresses=[EmailAddressInput(value="test.writer@example.com")],
                application=FirstApplication(job_id=job_id, recruiter_id=recruiter),
            ),
            as_user=recruiter,
        )
        assert (await gh.get_candidate(created.id)).last_name == "Writer"
        [app] = await gh.list_applications(candidate_ids=[created.id]).collect()
        assert app.job_id == job_id and app.job_interview_stage_id == stages[0].id

        updated = await gh.update_candidate(
            created.id, UpdateCandidate(title="Staff Engineer", tags=["hireflow"])
        )
        assert (updated.title, updated.tags) == ("Staff Engineer", ["hireflow"])

        second = await gh.create_application(
            CreateApplication(candidate_id=created.id, job_id=seed.job_ids[1])
        )
        assert isinstance(second, Application) and second.candidate_id == created.id

        attachment = await gh.add_attachment(
            AddAttachment.from_bytes(
                application_id=app.id, filename="cv.pdf", data=b"%PDF-1.4 test", type="resume"
            )
        )
        assert attachment.filename == "cv.pdf" and attachment.url

        note = await gh.add_note(
            AddNote(candidate_id=created.id, application_id=app.id, body="@Hireflow status"),
            as_user=recruiter,
        )
        assert (note.type, note.user_id, note.visibility) == ("NOTE", recruiter, "publicly_visible")
        email = await gh.add_note(
            AddNote.email(
                candidate_id=created.id,
                subject="Next steps",
                body="Hi",
                email_from="scheduling@acme.example",
                email_to=["test.writer@example.com"],
            )
        )
        assert email.type == "EMAIL" and email.subject == "Next steps"

        await gh.advance_application(app.id, from_stage_id=stages[0].id)
        moved = await gh.get_application(app.id)
        assert moved.job_interview_stage_id == stages[1].id
        with pytest.raises(ValidationError):  # compare-and-swap: the old stage is no longer current
            await gh.advance_application(app.id, from_stage_id=stages[0].id)
        await gh.move_application(
            app.id, MoveApplication(from_stage_id=stages[1].id, to_stage_id=stages[2].id)
        )
        assert (await gh.get_application(app.id)).job_interview_stage_id == stages[2].id

        [job_interview, *_] = await gh.list_job_interviews(job_interview_stage_ids=[stages[2].id]).collect()
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
        interviewer = seed.interviewers[0].id
        interview = await gh.create_interview(
            CreateInterview(
                application_id=app.id,
                job_interview_id=job_interview.id,
                interviewers=[InterviewerInput(user_id=interviewer)],
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                external_event_id="hireflow-test-evt-1",
            )
        )
        assert interview.starts_at == start and interview.external_event_id == "hireflow-test-evt-1"
        panel = await gh.list_interviewers(interview_ids=[interview.id]).collect()
        assert [p.user_id for p in panel] == [interviewer]

        other = seed.interviewers[1].id
        changed = await gh.update_interview(
            interview.id,
            UpdateInterview(
                starts_at=start + timedelta(hours=2),
                ends_at=start + timedelta(hours=3),
                interviewers=[InterviewerInput(user_id=other, response_status="accepted")],
            ),
        )
        assert changed.starts_at == start + timedelta(hours=2)
        panel = await gh.list_interviewers(interview_ids=[interview.id]).collect()
        assert [(p.user_id, p.response_status) for p in panel] == [(other, "accepted")]
        await gh.delete_interview(interview.id)
        assert await gh.list_interviews(ids=[interview.id]).collect() == []

        reason = (await gh.list_rejection_reasons().collect())[0]
        await gh.reject_application(app.id, RejectApplication(rejection_reason_id=reason.id, notes="not now"))
        assert (await gh.get_application(app.id)).status == "rejected"
        with pytest.raises(ValidationError):
            await gh.reject_application(app.id, RejectApplication(rejection_reason_id=reason.id))
        await gh.unreject_application(app.id)
        restored = await gh.get_application(app.id)
        assert restored.status == "in_process" and restored.job_interview_stage_id == stages[2].id


async def test_prospects_created_through_the_client(sandbox_factory: Any) -> None:
    """`create_candidate` as a prospect, and `create_application` making an existing candidate a prospect."""
    async with sandbox_factory(candidates=5) as server, harvest(server) as gh:
        job_id = server.seed.job_ids[0]
        created = await gh.create_candidate(
            CreateCandidate(
                first_name="Pia", last_name="Lund", application=ProspectApplication(job_ids=[job_id])
            )
        )
        [prospect] = await gh.list_applications(candidate_ids=[created.id]).collect()
        assert (prospect.prospect, prospect.job_id, prospect.prospective_job_ids) == (True, None, [job_id])
        assert prospect.stage_id is None

        bare = await gh.create_candidate(CreateCandidate(first_name="Ola", last_name="Berg"))
        assert await gh.list_applications(candidate_ids=[bare.id]).collect() == []
        jobless = await gh.create_application(CreateProspectApplication(candidate_id=bare.id))
        assert (jobless.candidate_id, jobless.prospect, jobless.job_id) == (bare.id, True, None)
        [listed] = await gh.list_applications(candidate_ids=[bare.id], prospect=True).collect()
        assert listed.id == jobless.id
