"""A scope the credential lacks reaches the workflow as a 403 that is not retried and names the scope.

The scheduling core reports a failed write in its escalation note and the Temporal UI with this message,
so the recruiter reads which scope to grant instead of watching a step retry for hours.
"""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.errors import from_harvest
from activities.greenhouse import GreenhouseActivities
from integrations.greenhouse.errors import MissingScopeError
from models.activity_io import NoteInput
from models.failure_policy import NON_RETRYABLE_ERRORS
from sandbox.greenhouse.auth import ALL_SCOPES
from tests.fixtures.sandbox import SandboxFactory, client_for


def test_a_missing_scope_maps_to_the_forbidden_type_that_is_never_retried() -> None:
    error = MissingScopeError(
        "Forbidden", scope="harvest:notes:create", status=403, method="POST", path="/v3/notes"
    )
    translated = from_harvest(error)
    assert translated.type == "HarvestForbiddenError" and translated.non_retryable
    assert translated.type in NON_RETRYABLE_ERRORS
    assert "the credential needs scope harvest:notes:create" in str(translated)


async def test_a_note_refused_for_a_missing_scope_fails_at_once_naming_it(
    sandbox_factory: SandboxFactory,
) -> None:
    granted = sorted(set(ALL_SCOPES) - {"harvest:notes:create"})
    async with sandbox_factory(candidates=5) as server:
        await server.add_credential("narrow", "secret", granted)
        async with client_for(server, client_id="narrow", client_secret="secret") as gh:
            candidate = (await gh.list_candidates(per_page=1).collect())[0]
            with pytest.raises(ApplicationError) as raised:
                await ActivityEnvironment().run(
                    GreenhouseActivities(gh).add_candidate_note,
                    NoteInput(key="k-1", candidate_id=candidate.id, body="hello", first_issue=True),
                )
    assert raised.value.type == "HarvestForbiddenError" and raised.value.non_retryable
    assert "harvest:notes:create" in str(raised.value)
