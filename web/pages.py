"""The candidate's pages under `/s/<token>`: live options, pick, propose times, reschedule, cancel.

The token's purpose decides what the page offers (a pick link cannot cancel). Every action is a
plain HTML form (works without JavaScript) protected by the signed double-submit cookie; picks and
proposals are workflow updates, so the answer on the page is the workflow's own decision.
Problems end on a friendly page with the right status and what to do next, never a stack trace.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from integrations.links import (
    ExpiredLinkTokenError,
    LinkClaims,
    LinkPurpose,
    LinkTokenError,
    TamperedLinkTokenError,
    link_url,
    make_link_token,
    verify_link_token,
)
from integrations.logs import get_logger
from integrations.mail.timefmt import zone_city
from integrations.scheduling_client import SchedulingClient
from models.messages import (
    OfferedOption,
    OptionsView,
    SchedulingContext,
    SchedulingState,
)
from models.settings import Settings
from web.calendar_links import google_calendar_url
from web.context_lookup import ContextCache, cached_context
from web.csrf import FIELD_NAME, CsrfGuard
from web.temporal import TemporalGateway, TemporalUnavailableError
from web.view_cache import ViewCache, new_form_nonce
from web.views import (
    booking_lines,
    group_options,
    valid_zone,
    zone_choices,
)

log = get_logger(__name__)

ALLOWED: dict[str, frozenset[str]] = {
    "pick": frozenset({"view", "pick", "propose", "ics"}),
    "reschedule": frozenset({"view", "reschedule", "pick", "propose", "ics"}),
    "cancel": frozenset({"view", "cancel", "ics"}),
    "availability": frozenset(),  # an event's link: its page is /event/<token> (web/event_page.py)
}
PICKING = frozenset({SchedulingState.OFFERED, SchedulingState.NEGOTIATING, SchedulingState.RESCHEDULING})
WORKING = frozenset(
    {
        SchedulingState.GATHERING,
        SchedulingState.BOOKING,
        SchedulingState.REPLACING_INTERVIEWER,
        SchedulingState.CANCELLING,
    }
)
OPTIONS_MAX_AGE_SECONDS = 120  # older options are re-planned when a page is viewed
DEFAULT_ROWS, MAX_ROWS = 3, 10
CONTACT = "Please contact your recruiter, who can send you a new link."


class PageError(Exception):
    """Ends a request on the friendly error page."""

    def __init__(self, status: int, title: str, message: str, *, refresh: int | None = None) -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.refresh = status, title, message, refresh


@dataclass
class Page:
    """One request's verified link, workflow handle and display zone."""

    token: str
    claims: LinkClaims
    scheduling: SchedulingClient
    tz_requested: str | None

    @property
    def workflow_id(self) -> str:
        return self.claims.workflow_id


class CandidatePages:
    def __init__(self, settings: Settings, gateway: TemporalGateway, templates: Jinja2Templates) -> None:
        self.settings = settings
        self.gateway = gateway
        self.templates = templates
        self.secret = settings.signing_secret.get_secret_value()
        self.csrf = CsrfGuard(self.secret, secure_cookie=settings.web_base_url.startswith("https://"))
        self.contexts = ContextCache()
        self.views = ViewCache()
        self._refreshing: dict[str, asyncio.Future[OptionsView]] = {}

    # ------------------------------------------------------------------------------------ plumbing

    def render(
        self, request: Request, template: str, status: int = 200, *, token: str = "", **ctx: Any
    ) -> HTMLResponse:
        nonce, fresh = self.csrf.nonce(request)
        ctx.setdefault("refresh", None)
        ctx.update(csrf_field=FIELD_NAME, csrf_token=self.csrf.form_token(nonce, token), token=token)
        ctx.setdefault(
            "form_nonce", new_form_nonce()
        )  # one per rendered form: a double submit is one request
        response = self.templates.TemplateResponse(request, template, ctx, status_code=status)
        if fresh and token:  # only pages with forms set it (an error page must not replace it)
            self.csrf.set_cookie(response, nonce)
        return response

    def error_page(self, request: Request, error: PageError) -> HTMLResponse:
        return self.render(
            request,
            "error.html",
            error.status,
            title=error.title,
            message=error.message,
            refresh=error.refresh,
        )

    async def open(self, token: str, action: str, tz: str | None) -> Page:
        claims = self._verify(token, action)
        try:
            client = await self.gateway.client()
        except TemporalUnavailableError as exc:
            raise _unavailable() from exc
        page = Page(token, claims, SchedulingClient(client, self.settings, chain_id=claims.chain_id), tz)
        await self._same_request(page)
        return page

    async def _same_request(self, page: Page) -> None:
        """A link acts only on the request it was sent for, not on a later one for the same application."""
        if page.claims.chain_id is None:
            return  # issued before links named their request; valid until it expires
        view = self.views.get(page.workflow_id)
        if view is None or view.chain_id != page.claims.chain_id:
            view = await self._call(page, page.scheduling.options_view(page.workflow_id))
            self.views.put(page.workflow_id, view)
        if view.chain_id and view.chain_id != page.claims.chain_id:
            log.info("page_link_for_earlier_request", workflow_id=page.workflow_id)
            raise PageError(
                410,
                "This request has moved on",
                "This link belongs to an earlier interview request; a newer one has replaced it. "
                f"Use the link in your most recent email. {CONTACT}",
            )

    def check_link(self, token: str, action: str) -> None:
        """Refuse a bad link (PageError) without any I/O: POST handlers call it before reading a form."""
        self._verify(token, action)

    def _verify(self, token: str, action: str) -> LinkClaims:
        try:
            claims = verify_link_token(token, self.secret, datetime.now(UTC))
        except ExpiredLinkTokenError as exc:
            raise PageError(
                410, "This link has expired", f"Links are only valid for a while. {CONTACT}"
            ) from exc
        except TamperedLinkTokenError as exc:
            raise PageError(
                403,
                "This link doesn't look right",
                "It may have been changed or cut off. Open the link from your most recent email "
                f"again; if that does not work, {CONTACT[0].lower()}{CONTACT[1:]}",
            ) from exc
        except LinkTokenError as exc:
            raise PageError(
                404, "We don't recognise this link", f"Check that the whole link was copied. {CONTACT}"
            ) from exc
        if action not in ALLOWED[claims.purpose]:
            raise PageError(
                403, "This link can't do that", f"Use the link from your email for that. {CONTACT}"
            )
        return claims

    async def _closed(self, page: Page) -> PageError:
        """Why a workflow no longer answers: never existed, or finished."""
        try:
            described = await page.scheduling.handle(page.workflow_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return PageError(404, "We can't find this interview request", CONTACT)
            return _unavailable()
        if described.status == WorkflowExecutionStatus.COMPLETED:
            try:  # a closed workflow still answers queries: cancelled and completed read differently
                final = await page.scheduling.status(page.workflow_id)
            except Exception:  # no worker to answer; the generic text is still right
                final = None
            if final is not None and final.state == SchedulingState.CANCELLED:
                return PageError(410, "This interview request was cancelled", CONTACT)
            return PageError(
                410, "This interview request has finished", f"Nothing more to do here. {CONTACT}"
            )
        return PageError(410, "This interview request is closed", f"It was stopped or cancelled. {CONTACT}")

    async def _call(self, page: Page, coro: Any) -> Any:
        """Run a Temporal call, turning 'closed' and 'unreachable' into friendly pages."""
        try:
            return await coro
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise await self._closed(page) from exc
            log.error("page_temporal_error", workflow_id=page.claims.workflow_id, error=str(exc))
            raise _unavailable() from exc

    async def live_view(self, page: Page) -> OptionsView:
        """The page's view: a query (cached for a moment); options re-planned only when stale."""
        view = self.views.get(page.workflow_id)
        if view is None:
            view = await self._call(page, page.scheduling.options_view(page.workflow_id))
            view = self.views.put(page.workflow_id, view)
        if not _stale(view) or self.views.just_refreshed(view, page.workflow_id):
            return view
        # Single flight: views arriving while this process refreshes share that refresh (other
        # processes share it through the update id, which names the offer version).
        running = self._refreshing.get(page.workflow_id)
        if running is None:
            running = asyncio.ensure_future(self._refresh(page, view))
            self._refreshing[page.workflow_id] = running
            running.add_done_callback(partial(self._refreshed, page.workflow_id))
        return await asyncio.shield(running)

    def _refreshed(self, workflow_id: str, done: asyncio.Future[OptionsView]) -> None:
        self._refreshing.pop(workflow_id, None)
        if not done.cancelled():
            done.exception()  # retrieved here too: every viewer may have left before it ended

    async def _refresh(self, page: Page, stale: OptionsView) -> OptionsView:
        try:
            fresh: OptionsView = await self._call(
                page,
                page.scheduling.refresh_options(
                    page.workflow_id, OPTIONS_MAX_AGE_SECONDS, stale.offer_version
                ),
            )
        except WorkflowUpdateFailedError as exc:
            raise PageError(
                200,
                "Getting your options ready",
                f"{update_failure_text(exc)}. This page refreshes by itself.",
                refresh=3,
            ) from exc
        # The update answers the core's view, which does not name the run chain; the query's view does.
        fresh = fresh.model_copy(update={"chain_id": fresh.chain_id or stale.chain_id})
        return self.views.put_refreshed(page.workflow_id, fresh)

    async def context(self, page: Page) -> SchedulingContext | None:
        try:
            return await cached_context(page.scheduling, self.contexts, page.workflow_id)
        except RPCError:
            return None

    def zone(self, page: Page, candidate_zone: str) -> tuple[str, str | None]:
        """The zone to show, and a notice when the requested one is unknown."""
        default = valid_zone(candidate_zone) or "UTC"
        if page.tz_requested is None or page.tz_requested == "":
            return default, None
        chosen = valid_zone(page.tz_requested)
        if chosen is None:
            return (
                default,
                f"We don't know the time zone “{page.tz_requested[:64]}”; times are shown in {default}.",
            )
        return chosen, None

    def self_url(self, page: Page, suffix: str = "", **params: str) -> str:
        path = urlsplit(link_url(self.settings.web_base_url, page.token)).path + suffix
        query = {k: v for k, v in params.items() if v}
        return path + (f"?{urlencode(query)}" if query else "")

    def mint(self, page: Page, purpose: LinkPurpose, until: datetime) -> str:
        expires = max(until, datetime.now(UTC) + timedelta(days=1))
        token = make_link_token(
            page.claims.workflow_id, purpose, expires, self.secret, chain_id=page.claims.chain_id
        )
        return urlsplit(link_url(self.settings.web_base_url, token)).path

    # -------------------------------------------------------------------------------------- pages

    async def state_page(
        self, request: Request, page: Page, view: OptionsView, *, notice: str | None = None, status: int = 200
    ) -> HTMLResponse:
        """The page for whatever state the request is in."""
        context = await self.context(page)
        tz, zone_notice = self.zone(page, view.candidate_time_zone)
        notice = notice or zone_notice
        if view.state in PICKING and view.options and view.offer_version is not None:
            return self.options_page(
                request,
                page,
                view.options,
                view.offer_version,
                view,
                context,
                tz,
                notice,
                status,
                view.message,
            )
        if view.state == SchedulingState.SCHEDULED and view.booking is not None:
            if page.claims.purpose == "reschedule" and request.query_params.get("booked") != "1":
                requested = request.query_params.get("requested") == "1"
                return self.render(
                    request,
                    "reschedule.html",
                    token=page.token,
                    lines=booking_lines(view.booking, tz, context),
                    waiting=requested,
                    refresh=2 if requested else None,
                    action=self.self_url(page, "/reschedule"),
                    **self._zone_ctx(page, tz, view.candidate_time_zone, notice),
                )
            return self.booked_page(request, page, view, context, tz, notice)
        if view.state == SchedulingState.CANCELLED:
            raise PageError(410, "This interview request was cancelled", f"{view.message} {CONTACT}".strip())
        if view.state == SchedulingState.COMPLETED:
            raise PageError(
                410, "These interviews have taken place", "Thank you! Your recruiter will be in touch."
            )
        if view.state in WORKING or view.state in PICKING:
            working = view.message or "We are working on your interviews."
            raise PageError(200, "One moment", f"{working} This page refreshes by itself.", refresh=3)
        return self.render(
            request, "error.html", status, title="Your recruiter is on it",
            message=view.message or "Your recruiter is arranging the next step and will be in touch.",
        )  # fmt: skip

    def _zone_ctx(self, page: Page, tz: str, candidate_zone: str, notice: str | None) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {
            "tz": tz,
            "tz_label": "UTC" if tz in ("UTC", "Etc/UTC") else f"{zone_city(tz)} time ({tz})",
            "zones": zone_choices(tz, valid_zone(candidate_zone) or "UTC", now),
            "notice": notice,
            "page_url": self.self_url(page),
            "autodetect": page.tz_requested is None,
        }

    def options_page(
        self,
        request: Request,
        page: Page,
        options: list[OfferedOption],
        offer_version: int,
        view: OptionsView | None,
        context: SchedulingContext | None,
        tz: str,
        notice: str | None,
        status: int = 200,
        message: str = "",
    ) -> HTMLResponse:
        candidate_zone = (
            view.candidate_time_zone if view else (context.candidate_time_zone if context else "UTC")
        )
        return self.render(
            request,
            "options.html",
            status,
            token=page.token,
            days=group_options(options, tz, context),
            offer_version=offer_version,
            expires_at=view.expires_at if view else None,
            message=message,
            stage=context.stage_name if context else "",
            job=context.job_name if context else "",
            first_name=context.candidate_first_name if context else "",
            rescheduling=view is not None and view.state == SchedulingState.RESCHEDULING,
            pick_action=self.self_url(page, "/pick"),
            propose_url=self.self_url(page, "/propose", tz=tz),
            **self._zone_ctx(page, tz, candidate_zone, notice),
        )

    def booked_page(
        self,
        request: Request,
        page: Page,
        view: OptionsView,
        context: SchedulingContext | None,
        tz: str,
        notice: str | None,
    ) -> HTMLResponse:
        booking = view.booking
        assert booking is not None
        return self.render(
            request,
            "booked.html",
            token=page.token,
            lines=booking_lines(booking, tz, context),
            ics_url=self.self_url(page, "/calendar.ics"),
            google_url=google_calendar_url(booking, context),
            reschedule_url=self.mint(page, "reschedule", booking.end),
            cancel_url=self.mint(page, "cancel", booking.end),
            video_urls=sorted({s.video_url for s in booking.sessions if s.video_url}),
            **self._zone_ctx(page, tz, view.candidate_time_zone, notice),
        )

    def propose_form(
        self,
        request: Request,
        page: Page,
        tz: str,
        candidate_zone: str,
        rows: list[tuple[str, str, str]],
        errors: dict[int, str],
        note: str = "",
        status: int = 200,
        notice: str | None = None,
    ) -> HTMLResponse:
        return self.render(
            request,
            "propose.html",
            status,
            token=page.token,
            rows=rows,
            errors=errors,
            note=note,
            action=self.self_url(page, "/propose"),
            more_rows_url=self.self_url(page, "/propose", tz=tz, rows=str(min(len(rows) + 3, MAX_ROWS))),
            can_add=len(rows) < MAX_ROWS,
            back_url=self.self_url(page, tz=tz),
            **self._zone_ctx(page, tz, candidate_zone, notice),
        )

    def check_csrf(self, request: Request, page: Page, form: Any) -> None:
        if not self.csrf.valid(request, form.get(FIELD_NAME), page.token):
            raise PageError(
                403,
                "Please try that again",
                "Your browser did not send the page's security check (cookies may be blocked, or the page "
                "was open for very long). Go back, reload the page and submit again; nothing was changed.",
            )


def _stale(view: OptionsView) -> bool:
    """Options on show that are older than a page should trust (and no refresh under way)."""
    if view.state not in PICKING or view.refreshing or view.planned_at is None:
        return False
    return (datetime.now(UTC) - view.planned_at).total_seconds() > OPTIONS_MAX_AGE_SECONDS


def _unavailable() -> PageError:
    return PageError(
        503, "We can't reach the scheduler right now", "Please try again in a few minutes.", refresh=30
    )


def update_failure_text(error: WorkflowUpdateFailedError) -> str:
    cause = error.cause
    message = getattr(cause, "message", None) or str(cause or error)
    return str(message).rstrip(".")


def form_rows(form: Any, count: int) -> list[tuple[str, str, str]]:
    return [
        (str(form.get(f"date_{i}", "")).strip(), str(form.get(f"from_{i}", "")).strip(), str(form.get(f"to_{i}", "")).strip())
        for i in range(1, count + 1)
    ]  # fmt: skip
