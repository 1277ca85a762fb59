"""Links to a workflow's page in the Temporal Web UI: one form, with the configured namespace."""

from __future__ import annotations

from models.messages import SchedulingState, SchedulingStatusSnapshot
from models.settings import Settings
from starters.schedule_cmd import render_status


def test_workflow_links_name_the_configured_namespace() -> None:
    settings = Settings(temporal_ui_url="https://ui.example.com", temporal_namespace="acme.x1y2z")
    url = settings.workflow_ui_url("schedule-1-2")
    assert url == "https://ui.example.com/namespaces/acme.x1y2z/workflows/schedule-1-2"

    status = SchedulingStatusSnapshot(
        workflow_id="schedule-1-2", application_id=1, job_interview_stage_id=2, state=SchedulingState.OFFERED
    )
    assert render_status(status, url).endswith(f"Temporal UI: {url}")
