"""What each of the candidate's pages does: verify the link, ask the workflow, render its answer.

Every action goes through `CandidatePages` (`web/pages.py`) for rendering, links and CSRF; every
change to a request is an update whose answer is the workflow's own, sent with the form's request
id so that a double submit is one request.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from temporalio.client import WorkflowUpdateFailedError

from integrations.logs import get_logger
from models.messages import (
    CancelInput,
    ProposeTimesInput,
    RescheduleInput,
    SchedulingState,
    SchedulingStatusSnapshot,
    SelectOptionInput,
)
from web.pages import (
    CONTACT,
    DEFAULT_ROWS,
    MAX_ROWS,
    PICKING,
    CandidatePages,
    Page,
    PageError,
    form_rows,
    update_failure_text,
)
from web.view_cache import form_request_id
from web.views import WindowError, booking_lines, parse_window

log = get_logger(__name__)


async def show_page(pages: CandidatePages, request: Request, token: str, tz: str | None) -> Response:
    page = await pages.open(token, "view", tz)
    if page.claims.purpose == "cancel":
        status = await pages._call(page, page.scheduling.status(page.workflow_id))
        return await cancel_page(pages, request, page, status)
    return await pages.state_page(request, page, await pages.live_view(page))


async def cancel_page(
    pages: CandidatePages, request: Request, page: Page, status: SchedulingStatusSnapshot
) -> Response:
    if status.state in (SchedulingState.CANCELLED, SchedulingState.COMPLETED):
        raise PageError(410, "This interview request is already closed", "There is nothing to cancel.")
    context = await pages.context(page)
    candidate_zone = context.candidate_time_zone if context else "UTC"
    tz, notice = pages.zone(page, candidate_zone)
    return pages.render(
        request,
        "cancel.html",
        token=page.token,
        lines=booking_lines(status.booking, tz, context) if status.booking else [],
        stage=context.stage_name if context else "",
        action=pages.self_url(page, "/cancel"),
        done=False,
        **pages._zone_ctx(page, tz, candidate_zone, notice),
    )


async def pick_page(pages: CandidatePages, request: Request, token: str) -> Response:
    pages.check_link(token, "pick")  # a forged or expired link is refused before its form is read
    form = await request.form()
    page = await pages.open(token, "pick", str(form.get("tz", "")) or None)
    pages.check_csrf(request, page, form)
    option_id = str(form.get("option_id", "")).strip()
    try:
        version = int(str(form.get("offer_version", "")))
    except ValueError:
        version = -1
    if not option_id or version < 0:
        view = await pages.live_view(page)
        return await pages.state_page(
            request, page, view, notice="Choose one of the times first.", status=422
        )
    pick = SelectOptionInput(
        option_id=option_id[:100], offer_version=version, request_id=form_request_id("pick", form)
    )
    try:
        result = await pages._call(page, page.scheduling.select_option(page.workflow_id, pick))
    except WorkflowUpdateFailedError as exc:
        pages.views.forget(page.workflow_id)
        view = await pages.live_view(page)
        notice = f"That time can't be booked: {update_failure_text(exc)}. Here are the current options."
        return await pages.state_page(request, page, view, notice=notice, status=409)
    pages.views.forget(page.workflow_id)
    if result.outcome in ("booked", "confirming"):
        log.info("candidate_picked", workflow_id=page.workflow_id, outcome=result.outcome)
        return RedirectResponse(pages.self_url(page, tz=page.tz_requested or "", booked="1"), status_code=303)
    view = await pages.live_view(page)
    return await pages.state_page(request, page, view, notice=result.message, status=409)


async def propose_get_page(
    pages: CandidatePages, request: Request, token: str, tz: str | None, rows: int
) -> Response:
    page = await pages.open(token, "propose", tz)
    view = await pages.live_view(page)
    if view.state not in PICKING and view.state != SchedulingState.ESCALATED:
        return await pages.state_page(request, page, view)
    zone, notice = pages.zone(page, view.candidate_time_zone)
    count = max(1, min(rows, MAX_ROWS))
    return pages.propose_form(
        request, page, zone, view.candidate_time_zone, [("", "", "")] * count, {}, notice=notice
    )


async def propose_post_page(pages: CandidatePages, request: Request, token: str) -> Response:
    pages.check_link(token, "propose")  # a forged or expired link is refused before its form is read
    form = await request.form()
    page = await pages.open(token, "propose", str(form.get("tz", "")) or None)
    pages.check_csrf(request, page, form)
    context = await pages.context(page)
    candidate_zone = context.candidate_time_zone if context else "UTC"
    tz, notice = pages.zone(page, candidate_zone)
    try:
        count = max(1, min(int(str(form.get("rows", DEFAULT_ROWS))), MAX_ROWS))
    except ValueError:
        count = DEFAULT_ROWS
    rows = form_rows(form, count)
    note = str(form.get("note", ""))[:2000]
    errors: dict[int, str] = {}
    windows = []
    for i, (day, start, end) in enumerate(rows, start=1):
        try:
            window = parse_window(i, day, start, end, tz)
        except WindowError as exc:
            errors[exc.row] = str(exc)
            continue
        if window is not None:
            windows.append(window)
    if not windows and not errors:
        errors[1] = "give at least one date with a start and end time"
    if not errors and all(w.end <= datetime.now(UTC) for w in windows):
        errors[1] = "these times are in the past; give times from now on"
    if errors:
        return pages.propose_form(request, page, tz, candidate_zone, rows, errors, note, 422, notice)
    proposal = ProposeTimesInput(
        windows=windows, time_zone=tz, note=note, request_id=form_request_id("propose", form)
    )
    try:
        result = await pages._call(page, page.scheduling.propose_times(page.workflow_id, proposal))
        pages.views.forget(page.workflow_id)
    except WorkflowUpdateFailedError as exc:
        errors[0] = update_failure_text(exc)
        return pages.propose_form(request, page, tz, candidate_zone, rows, errors, note, 409, notice)
    if result.outcome == "options" and result.options and result.offer_version is not None:
        return pages.options_page(
            request,
            page,
            result.options,
            result.offer_version,
            None,
            context,
            tz,
            None,
            200,
            result.message,
        )
    return pages.render(request, "error.html", 200, title="Thank you", message=result.message)


async def reschedule_page(pages: CandidatePages, request: Request, token: str) -> Response:
    pages.check_link(token, "reschedule")  # a forged or expired link is refused before its form is read
    form = await request.form()
    page = await pages.open(token, "reschedule", str(form.get("tz", "")) or None)
    pages.check_csrf(request, page, form)
    reason = str(form.get("reason", ""))[:1000]
    asked = RescheduleInput(by="candidate", reason=reason, request_id=form_request_id("reschedule", form))
    try:
        result = await pages._call(page, page.scheduling.reschedule(page.workflow_id, asked))
    except WorkflowUpdateFailedError as exc:
        raise PageError(
            409, "We could not ask for new times", f"{update_failure_text(exc)}. {CONTACT}"
        ) from exc
    pages.views.forget(page.workflow_id)
    log.info("candidate_asked_reschedule", workflow_id=page.workflow_id, outcome=result.outcome)
    if result.outcome in ("refused", "escalated"):
        return pages.render(
            request, "error.html", 200, title="Your recruiter will help", message=result.message
        )
    return RedirectResponse(pages.self_url(page, tz=page.tz_requested or "", requested="1"), status_code=303)


async def cancel_post(pages: CandidatePages, request: Request, token: str) -> Response:
    pages.check_link(token, "cancel")  # a forged or expired link is refused before its form is read
    form = await request.form()
    page = await pages.open(token, "cancel", str(form.get("tz", "")) or None)
    pages.check_csrf(request, page, form)
    if form.get("confirm") != "yes":
        status = await pages._call(page, page.scheduling.status(page.workflow_id))
        return await cancel_page(pages, request, page, status)
    reason = str(form.get("reason", "")).strip()[:1000]
    asked = CancelInput(by="candidate", reason=reason, request_id=form_request_id("cancel", form))
    try:
        result = await pages._call(page, page.scheduling.cancel(page.workflow_id, asked))
    except WorkflowUpdateFailedError as exc:
        raise PageError(409, "We could not cancel", f"{update_failure_text(exc)}. {CONTACT}") from exc
    pages.views.forget(page.workflow_id)
    log.info("candidate_cancelled", workflow_id=page.workflow_id, outcome=result.outcome)
    done = result if result.outcome == "done" else None
    return pages.render(
        request,
        "cancel.html",
        token=page.token,
        done=True,
        confirmed=done is not None,
        lines=[],
        stage="",
        action="",
        tz="UTC",
        zones=[],
        notice=None,
        page_url="",
        autodetect=False,
    )


def pages_router(pages: CandidatePages) -> APIRouter:
    """The routes of the candidate's pages; each action lives in `web/page_py`."""
    router = APIRouter(tags=["candidate pages"])

    @router.get("/s/{token}", response_class=HTMLResponse)
    async def show(request: Request, token: str, tz: str | None = None) -> Response:
        return await show_page(pages, request, token, tz)

    @router.post("/s/{token}/pick", response_class=HTMLResponse)
    async def pick(request: Request, token: str) -> Response:
        return await pick_page(pages, request, token)

    @router.get("/s/{token}/propose", response_class=HTMLResponse)
    async def propose_get(
        request: Request, token: str, tz: str | None = None, rows: int = DEFAULT_ROWS
    ) -> Response:
        return await propose_get_page(pages, request, token, tz, rows)

    @router.post("/s/{token}/propose", response_class=HTMLResponse)
    async def propose_post(request: Request, token: str) -> Response:
        return await propose_post_page(pages, request, token)

    @router.post("/s/{token}/reschedule", response_class=HTMLResponse)
    async def reschedule(request: Request, token: str) -> Response:
        return await reschedule_page(pages, request, token)

    @router.post("/s/{token}/cancel", response_class=HTMLResponse)
    async def cancel(request: Request, token: str) -> Response:
        return await cancel_post(pages, request, token)

    return router
