"""The client module names the AssessmentWorkflow's handlers as strings; every name must be real."""

from __future__ import annotations

from temporalio import workflow

from integrations import assessment_client as ac
from workflows.assessment import AssessmentWorkflow


def test_every_handler_the_client_names_exists_with_that_kind() -> None:
    definition = workflow._Definition.must_from_class(AssessmentWorkflow)
    assert definition.name == ac.WORKFLOW
    assert {ac.EXTEND, ac.CANCEL, ac.RESUME} <= set(definition.updates)
    assert {ac.PROVIDER_EVENT, ac.CLOSED} <= set(definition.signals)
    assert ac.STATUS in definition.queries
