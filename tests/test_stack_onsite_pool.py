"""The test stack's Onsite pool refills itself instead of running dry when a session takes every application."""

from __future__ import annotations

from pathlib import Path

from integrations.greenhouse.client import HarvestClient
from tests.fixtures.sandbox import SandboxFactory
from tests.support.stack import onsite_application, stack_settings


async def test_a_taken_pool_moves_one_more_emailable_application_into_onsite(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    async with sandbox_factory(candidates=30) as server:
        settings = stack_settings(server, "http://127.0.0.1:1", 1, tmp_path)
        async with HarvestClient.from_settings(settings) as gh:
            before = {a.id async for a in gh.list_applications(status="active", stage_name="Onsite")}

            application_id, stage_id, candidate_id = await onsite_application(settings, skip=before)

            assert application_id not in before
            now_onsite = {a.id async for a in gh.list_applications(status="active", stage_name="Onsite")}
            assert now_onsite == before | {application_id}
            moved = await gh.get_application(application_id)
            assert moved.job_interview_stage_id == stage_id and moved.candidate_id == candidate_id
            candidate = await gh.get_candidate(candidate_id)
            assert candidate.can_email and candidate.email_addresses
