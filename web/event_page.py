"""The candidate's event page `/event/<token>`: one form for their availability on a recruiting event's days.

The link is an `availability` token (integrations/links.py) whose subject names the event workflow and
the application (`integrations.event_client.parse_event_link_subject`). GET reads the workflow's
`availability_view` query and shows each event day cut into hourly blocks in the candidate's zone,
pre-checked with what they said before; once the event is planned it shows their loop instead. POST
(CSRF-checked like the scheduling pages, cookie scoped to `/event/`) turns the checked blocks into
windows and sends them with the `submit_availability` update, the form's nonce as its request id, so a
repeated post has one effect; the page shows the workflow's own answer. An answer naming anything but
the view's blocks is refused as a whole (400) before the workflow is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile
from temporalio.client import WorkflowQueryFailedError, WorkflowQueryRejectedError, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from integrations.event_client import EventClient, parse_event_link_subject
from integrations.links import (
    ExpiredLinkTokenError,
    LinkClaims,
    LinkTokenError,
    TamperedLinkTokenError,
    event_link_url,
    verify_link_token,
)
from integrations.logs import get_logger
from integrations.mail.timefmt import format_instant, zone_city
from models.event_io import AvailabilityInput, AvailabilityView, EventCandidateState
from web.csrf import FIELD_NAME
from web.event_views import (
    AnswerError,
    blocks_view,
    parse_answer,
    planned_lines,
    window_lines,
)
from web.middleware_limits import BodyTooLargeError
from web.pages import CandidatePages, PageError, update_failure_text
from web.view_cache import form_request_id, new_form_nonce
from web.views import valid_zone, zone_choices

log = get_logger(__name__)

COOKIE_PATH = "/event/"
CONTACT = "Please contact your recruiter."
NOT_INVITED = frozenset({EventCandidateState.EXCLUDED, EventCandidateState.UNREACHABLE})
MAX_FORM_FIELDS = 400  # 5 days of 24 hourly blocks, a day box each, and the hidden fields


@dataclass
class EventLink:
    """One request's verified link: the event, the application, and the zone asked for."""

    token: str
    claims: LinkClaims
    workflow_id: str
    application_id: int
    events: EventClient
    tz_requested: str | None


class EventPages:
    """The event page's handlers; rendering, CSRF and error pages are shared with `CandidatePages`."""

    def __init__(self, pages: CandidatePages) -> None:
        self.pages = pages

    # ------------------------------------------------------------------------------------ plumbing

    def verify(self, token: str) -> tuple[LinkClaims, str, int]:
        """The claims and subject of an authentic, unexpired `availability` token (PageError otherwise)."""
        try:
            claims = verify_link_token(token, self.pages.secret, datetime.now(UTC))
        except ExpiredLinkTokenError as exc:
            raise PageError(
                410,
                "The answers for this event are closed",
                "This link worked until the answers closed. If you still want to come, or have not "
                f"heard from us, {CONTACT[0].lower()}{CONTACT[1:]}",
            ) from exc
        except TamperedLinkTokenError as exc:
            raise PageError(
                403,
                "This link doesn't look right",
                f"It may have been changed or cut off. Open the link from your email again. {CONTACT}",
            ) from exc
        except LinkTokenError as exc:
            raise PageError(
                400, "We don't recognise this link", f"Check that the whole link was copied. {CONTACT}"
            ) from exc
        if claims.purpose != "availability":
            raise PageError(
                403, "This link can't do that", f"Use the link from your email for that. {CONTACT}"
            )
        subject = parse_event_link_subject(claims.workflow_id)
        if subject is None:
            raise PageError(400, "We don't recognise this link", CONTACT)
        return claims, subject[0], subject[1]

    async def open(self, token: str, tz: str | None) -> EventLink:
        claims, workflow_id, application_id = self.verify(token)
        try:
            client = await self.pages.gateway.client()
        except Exception as exc:  # TemporalUnavailableError, or anything the factory raised
            raise _unavailable() from exc
        return EventLink(token, claims, workflow_id, application_id, EventClient(client), tz)

    async def view(self, link: EventLink) -> AvailabilityView:
        try:
            view = await link.events.availability_view(link.workflow_id, link.application_id)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise PageError(404, "We can't find this event", CONTACT) from exc
            log.error("event_page_temporal_error", workflow_id=link.workflow_id, error=str(exc))
            raise _unavailable() from exc
        except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as exc:
            log.warning("event_page_query_refused", workflow_id=link.workflow_id, error=str(exc))
            raise PageError(404, "We can't find your invitation to this event", CONTACT) from exc
        if link.claims.chain_id is not None and view.chain_id and view.chain_id != link.claims.chain_id:
            log.info("event_link_for_earlier_event", workflow_id=link.workflow_id)
            raise PageError(
                410,
                "This event has moved on",
                f"This link belongs to an earlier event; use the link in your most recent email. {CONTACT}",
            )
        return view

    def zone(self, link: EventLink, candidate_zone: str) -> tuple[str, str | None]:
        default = valid_zone(candidate_zone) or "UTC"
        if not link.tz_requested:
            return default, None
        chosen = valid_zone(link.tz_requested)
        if chosen is None:
            return (
                default,
                f"We don't know the time zone “{link.tz_requested[:64]}”; times are shown in {default}.",
            )
        return chosen, None

    def url(self, link: EventLink, **params: str) -> str:
        path = urlsplit(event_link_url(self.pages.settings.web_base_url, link.token)).path
        query = {k: v for k, v in params.items() if v}
        return path + (f"?{urlencode(query)}" if query else "")

    def render(self, request: Request, link: EventLink, status: int, **ctx: Any) -> HTMLResponse:
        """The event template with a CSRF field bound to this link; sets the `/event/` cookie when new."""
        csrf = self.pages.csrf
        nonce, fresh = csrf.nonce(request)
        ctx.setdefault("refresh", None)
        ctx.update(
            csrf_field=FIELD_NAME,
            csrf_token=csrf.form_token(nonce, link.token),
            form_nonce=new_form_nonce(),
            token=link.token,
        )
        response = self.pages.templates.TemplateResponse(request, "event.html", ctx, status_code=status)
        if fresh:
            csrf.set_cookie(response, nonce, path=COOKIE_PATH)
        return response

    # -------------------------------------------------------------------------------------- pages

    def page(
        self,
        request: Request,
        link: EventLink,
        view: AvailabilityView,
        *,
        status: int = 200,
        notice: str | None = None,
        answer: str | None = None,
    ) -> HTMLResponse:
        """The page for whatever the event and the candidate's answer say."""
        tz, zone_notice = self.zone(link, view.candidate_time_zone)
        now = datetime.now(UTC)
        planned = planned_lines(view.placements, tz, view.session_names) if view.placements else []
        mode = "planned" if planned else ("form" if view.open else "closed")
        return self.render(
            request,
            link,
            status,
            mode=mode,
            notice=notice or zone_notice,
            answer=answer,
            view=view,
            first_name=view.first_name,
            event_name=view.event_name or "recruiting event",
            job=view.job_name,
            message=view.message,
            days=blocks_view(view, tz) if mode == "form" else [],
            planned=planned,
            said=window_lines(view.windows, tz),
            said_none=view.candidate_state == EventCandidateState.UNAVAILABLE,
            not_invited=view.candidate_state in NOT_INVITED,
            answer_by=format_instant(view.answer_by, tz) if view.answer_by else "",
            action=self.url(link),
            tz=tz,
            tz_label="UTC" if tz in ("UTC", "Etc/UTC") else f"{zone_city(tz)} time ({tz})",
            zones=zone_choices(tz, valid_zone(view.candidate_time_zone) or "UTC", now)
            if mode == "form"
            else [],
            page_url=self.url(link),
            autodetect=link.tz_requested is None,
        )

    async def show(self, request: Request, token: str, tz: str | None) -> Response:
        link = await self.open(token, tz)
        return self.page(request, link, await self.view(link))

    async def answer(self, request: Request, token: str) -> Response:
        self.verify(token)  # a forged or expired link is refused before its form is read
        form = await _form(request)
        link = await self.open(token, _text(form, "tz") or None)
        if not self.pages.csrf.valid(request, _text(form, FIELD_NAME), link.token):
            raise PageError(
                403,
                "Please try that again",
                "Your browser did not send the page's security check (cookies may be blocked, or the page "
                "was open for very long). Go back, reload the page and send your times again; nothing was "
                "recorded.",
            )
        view = await self.view(link)
        tz, _ = self.zone(link, view.candidate_time_zone)
        try:
            windows = parse_answer(
                view, _texts(form, "block"), _texts(form, "day"), none=_text(form, "none") == "1"
            )
        except AnswerError as exc:
            if view.open:
                return self.page(request, link, view, status=400, notice=f"Nothing was recorded: {exc}.")
            raise PageError(400, "That answer didn't look right", f"Nothing was recorded: {exc}.") from exc
        answer = AvailabilityInput(
            application_id=link.application_id,
            windows=windows,
            time_zone=tz,
            request_id=form_request_id("availability", form),
        )
        try:
            result = await link.events.submit_availability(link.workflow_id, answer)
        except WorkflowUpdateFailedError as exc:
            refused = update_failure_text(exc)
            log.info("event_answer_refused", workflow_id=link.workflow_id, reason=refused)
            return self.page(request, link, await self.view(link), status=409, notice=f"{refused}.")
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise PageError(410, "This event is closed", f"Nothing was recorded. {CONTACT}") from exc
            log.error("event_page_temporal_error", workflow_id=link.workflow_id, error=str(exc))
            raise _unavailable() from exc
        log.info("event_answer", workflow_id=link.workflow_id, outcome=result.outcome, windows=len(windows))
        fresh = await self.view(link)
        if result.outcome != "recorded":
            return self.page(request, link, fresh, status=409, notice=result.message)
        return self.page(request, link, fresh, answer=result.message)


async def _form(request: Request) -> FormData:
    """The posted form: URL-encoded or multipart without files, a bounded number of fields."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise PageError(415, "That request didn't look right", "Go back and send the form again.")
    try:
        form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    except BodyTooLargeError:
        raise  # the limit middleware answers 413
    except Exception as exc:  # too many fields, a file, a broken multipart body
        raise PageError(
            400, "That request didn't look right", "Go back and send the form again; nothing was recorded."
        ) from exc
    if len(form.multi_items()) > MAX_FORM_FIELDS or any(
        isinstance(v, UploadFile) for _, v in form.multi_items()
    ):
        raise PageError(
            400, "That request didn't look right", "Go back and send the form again; nothing was recorded."
        )
    return form


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _texts(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


def _unavailable() -> PageError:
    return PageError(
        503, "We can't reach the scheduler right now", "Please try again in a few minutes.", refresh=30
    )


def event_router(pages: CandidatePages) -> APIRouter:
    """GET and POST `/event/<token>`: the candidate's availability for a recruiting event."""
    router = APIRouter(tags=["candidate pages"])
    events = EventPages(pages)

    @router.get("/event/{token}", response_class=HTMLResponse)
    async def show(request: Request, token: str, tz: str | None = None) -> Response:
        return await events.show(request, token, tz)

    @router.post("/event/{token}", response_class=HTMLResponse)
    async def answer(request: Request, token: str) -> Response:
        return await events.answer(request, token)

    return router
