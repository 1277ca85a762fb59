"""Telling an application's running workflows that it is closed (rejected, hired, deleted, erased).

One loop for every caller: the Greenhouse webhook endpoint and `hireflow gdpr erase` both signal each
running scheduling request and assessment of the applications, found by their `ApplicationId`.
"""

from __future__ import annotations

from collections.abc import Iterable

from temporalio.client import Client

from integrations.assessment_client import AssessmentClient
from integrations.scheduling_client import SchedulingClient
from models.messages import ApplicationClosedInput
from models.settings import Settings


async def close_application_workflows(
    client: Client, settings: Settings, application_ids: Iterable[int], closed: ApplicationClosedInput
) -> list[str]:
    """Signal `closed` to every running workflow of the applications; returns their ids."""
    scheduling, assessments = SchedulingClient(client, settings), AssessmentClient(client, settings)
    signalled: list[str] = []
    for application_id in application_ids:
        for workflow_id in await scheduling.for_application(application_id):
            await scheduling.application_closed(workflow_id, closed)
            signalled.append(workflow_id)
        for workflow_id in await assessments.for_application(application_id):
            await assessments.application_closed(workflow_id, closed)
            signalled.append(workflow_id)
    return signalled
