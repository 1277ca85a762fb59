"""Recording a booking's Greenhouse interviews: no listing on a new attempt's first try, found on a retry.

A booking attempt's external event ids derive from the attempt, so its first try cannot meet interviews
an earlier try made: it saves the `GET /v3/interviews` (one Harvest request per booked loop). A retried
try (the first one's answer lost) lists them and records nothing twice.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import httpx
from temporalio.testing import ActivityEnvironment

from activities.greenhouse import GreenhouseActivities
from models.activity_io import InterviewsInput
from models.messages import BookedSession
from tests.fixtures.sandbox import SandboxFactory, client_for


def environment(attempt: int) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    return env


async def test_a_first_try_records_without_listing_and_a_retry_finds_what_it_recorded(
    sandbox_factory: SandboxFactory,
) -> None:
    paths: list[str] = []

    async def count(request: httpx.Request) -> None:
        paths.append(f"{request.method} {request.url.path}")

    async with (
        sandbox_factory(candidates=10) as server,
        httpx.AsyncClient(event_hooks={"request": [count]}) as http,
    ):
        gh = client_for(server, http=http)
        app = next(
            a for a in await gh.list_applications(status="active").collect() if a.job_interview_stage_id
        )
        assert app.job_interview_stage_id is not None
        [job_interview, *_] = await gh.list_job_interviews(
            job_interview_stage_ids=[app.job_interview_stage_id]
        ).collect()
        user = next(u for u in await gh.list_users().collect() if u.id != server.hireflow_user_id)
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
        session = BookedSession(
            session_id="s1",
            job_interview_id=job_interview.id,
            name="Coding",
            start=start,
            end=start + timedelta(hours=1),
            interviewers=[user.id],
            event_key="schedule-1-2-b1-s1",
        )
        request = InterviewsInput(application_id=app.id, sessions=[session], first_issue=True)
        activities = GreenhouseActivities(gh)

        paths.clear()
        first = await environment(1).run(activities.record_greenhouse_interviews, request)
        assert [p for p in paths if "/v3/interviews" in p] == ["POST /v3/interviews"]

        paths.clear()  # the answer was lost: Temporal retries the same input
        again = await environment(2).run(activities.record_greenhouse_interviews, request)
        assert [p for p in paths if "/v3/interviews" in p] == ["GET /v3/interviews"]
        assert again == first and first.sessions[0].greenhouse_interview_id is not None

        # An input that is not a first issue always looks first.
        paths.clear()
        await environment(1).run(
            activities.record_greenhouse_interviews, request.model_copy(update={"first_issue": False})
        )
        assert [p for p in paths if "/v3/interviews" in p] == ["GET /v3/interviews"]
