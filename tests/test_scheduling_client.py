"""The client module names the SchedulingWorkflow's handlers as strings; every name must be real."""

from __future__ import annotations

from temporalio import workflow

from integrations import scheduling_client as sc
from workflows.scheduling import SchedulingWorkflow


def test_every_handler_the_client_names_exists_with_that_kind() -> None:
    definition = workflow._Definition.must_from_class(SchedulingWorkflow)
    assert definition.name == sc.WORKFLOW
    assert {
        sc.SELECT_OPTION,
        sc.PROPOSE_TIMES,
        sc.REFRESH_OPTIONS,
        sc.CANCEL,
        sc.RESCHEDULE,
        sc.COMMAND,
    } <= set(definition.updates)
    assert {sc.DECLINED, sc.REPLIED, sc.CLOSED, sc.DELETED} <= set(definition.signals)
    assert {sc.STATUS, sc.OPTIONS_VIEW, sc.PAGE_CONTEXT} <= set(definition.queries)
