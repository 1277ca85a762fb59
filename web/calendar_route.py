"""`GET /s/<token>/calendar.ics`: the booked loop as a file, only while the booking stands.

Why its own route: the file must follow the request's state, not just whether a booking exists. A
cancelled request serves its events as CANCELLED (or 410 once the booking is gone), and a run that
ended without finishing (terminated, failed) answers 410, never CONFIRMED events. Registered before
the other candidate pages, so it is the route that answers.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import Response
from temporalio.client import WorkflowExecutionStatus

from web.calendar_links import booking_ics, calendar_verdict
from web.pages import CONTACT, CandidatePages, Page, PageError

OPEN_RUNS = frozenset({WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED})


async def _run_open(pages: CandidatePages, page: Page) -> bool:
    """Whether the run is running or completed normally (not terminated, failed or timed out)."""
    described = await pages._call(page, page.scheduling.handle(page.workflow_id).describe())
    return described.status in OPEN_RUNS


async def calendar_download(pages: CandidatePages, token: str) -> Response:
    page = await pages.open(token, "ics", None)
    status = await pages._call(page, page.scheduling.status(page.workflow_id))
    verdict = calendar_verdict(status.state, status.booking, run_open=await _run_open(pages, page))
    if verdict == "gone":
        raise PageError(410, "This interview request is closed", f"There are no interviews to add. {CONTACT}")
    if verdict == "not_booked" or status.booking is None:
        raise PageError(404, "No booked interviews yet", "Pick a time first; the calendar file follows.")
    context = await pages.context(page)
    body = booking_ics(
        status.booking,
        context,
        domain=pages.settings.reply_domain,
        now=datetime.now(UTC),
        cancelled=verdict == "cancelled",
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="interviews.ics"'},
    )


def calendar_router(pages: CandidatePages) -> APIRouter:
    """The calendar download route (include it before `pages_router`)."""
    router = APIRouter(tags=["candidate pages"])

    @router.get("/s/{token}/calendar.ics")
    async def calendar(token: str) -> Response:
        return await calendar_download(pages, token)

    return router
