"""`create_app(settings, temporal_client_factory)`: the candidate pages, Greenhouse webhooks and `/healthz`.

The Temporal client is injected (tests pass their environment's client; `hireflow web` passes
`workers.client.connect`) and connected lazily, so the app starts even while Temporal is down.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from integrations.assessments.registry import ProviderCache
from integrations.logs import get_logger, redact_access_log
from integrations.mail.inbound import InboundReply
from integrations.mail.message import parse_address
from integrations.mail.profile_log import ProfileLogStore
from models import web_store  # noqa: F401  (registers the web tables in the metadata)
from models.settings import Settings
from models.store import create_engine_for, init_db
from web.assessment_partner import assessment_partner_router
from web.assessment_webhooks import assessment_webhook_router
from web.calendar_route import calendar_router
from web.codec_server import MAX_BODY_BYTES as CODEC_MAX_BODY_BYTES
from web.codec_server import codec_router
from web.event_page import event_router
from web.inbound_mail import router_from_settings
from web.middleware_headers import SecurityHeadersMiddleware, apply_security_headers
from web.middleware_limits import BodyLimit, BodyLimitMiddleware
from web.page_actions import pages_router
from web.pages import CandidatePages, PageError
from web.sourcing_api import PREFIX as SOURCING_PREFIX
from web.sourcing_api import sourcing_router
from web.temporal import ClientFactory, TemporalGateway, TemporalUnavailableError
from web.webhooks import webhook_router
from workers.replies import forward_reply

HERE = Path(__file__).parent
MACHINE_PATHS = ("/webhooks/", "/inbound/", "/api/")  # answered in JSON; people get the HTML error page
log = get_logger(__name__)


def create_app(
    settings: Settings, temporal_client_factory: ClientFactory, *, engine: Engine | None = None
) -> FastAPI:
    """The web app, bound to `settings`; `engine` defaults to the configured SQL store."""
    engine = engine or create_engine_for(settings.resolved_database_url())
    init_db(engine)
    gateway = TemporalGateway(temporal_client_factory)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    pages = CandidatePages(settings, gateway, templates)

    app = FastAPI(title="Hireflow", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.gateway = gateway
    app.state.engine = engine
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(webhook_router(settings, engine, gateway))
    app.include_router(calendar_router(pages))
    app.include_router(pages_router(pages))
    app.include_router(event_router(pages))
    app.include_router(codec_router(settings))
    providers = ProviderCache(settings)
    app.include_router(assessment_webhook_router(settings, engine, gateway, providers.get))
    app.include_router(assessment_partner_router(settings, engine, gateway))
    app.include_router(sourcing_router(settings, engine, gateway))

    profile_log = ProfileLogStore(engine)
    public_from = parse_address(settings.mail_from).addr_spec

    async def deliver_reply(reply: InboundReply) -> None:
        """A candidate's emailed reply, from SendGrid or Mailgun, reaches its workflow as a signal.

        Queued for the candidate's Greenhouse profile first (idempotent by Message-ID): if either
        step fails the provider is answered 503 and posts again.
        """
        await profile_log.record_inbound(reply, to=public_from)
        await forward_reply(await gateway.client(), reply)

    app.include_router(router_from_settings(settings, deliver_reply, engine))
    # Added last = outermost: the limit answers before anything reads a body, and every answer
    # (413s and error pages included) carries the security headers.
    app.add_middleware(
        BodyLimitMiddleware,
        limits=[
            BodyLimit("/inbound/", settings.inbound_mail_max_bytes),
            BodyLimit("/codec/", CODEC_MAX_BODY_BYTES),
            BodyLimit(SOURCING_PREFIX + "/", settings.sourcing_max_body_bytes),
        ],
        default_max_bytes=settings.web_max_body_bytes,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    redact_access_log()  # `hireflow web` runs uvicorn's own access log: no link tokens in it

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """Temporal reachable and the SQL store answering: 200; otherwise 503 naming what is down."""
        checks: dict[str, str] = {}
        try:
            client = await gateway.client()
            ok = await client.service_client.check_health(timeout=timedelta(seconds=3))
            checks["temporal"] = "ok" if ok else "not serving"
        except (TemporalUnavailableError, Exception) as exc:  # any failure means "down" here
            checks["temporal"] = f"unreachable: {type(exc).__name__}"
        try:
            await run_in_threadpool(_ping_db, engine)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        healthy = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if healthy else "degraded", **checks}, status_code=200 if healthy else 503
        )

    @app.exception_handler(PageError)
    async def page_error(request: Request, error: PageError) -> HTMLResponse:
        return pages.error_page(request, error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> HTMLResponse | JSONResponse:
        if request.url.path.startswith(MACHINE_PATHS):
            return JSONResponse({"error": error.detail}, status_code=error.status_code)
        title = "Page not found" if error.status_code == 404 else "Something went wrong"
        return pages.error_page(request, PageError(error.status_code, title, "Check the link in your email."))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> HTMLResponse | JSONResponse:
        log.exception("web_unexpected_error", path=request.url.path)
        response: HTMLResponse | JSONResponse
        if request.url.path.startswith(MACHINE_PATHS):
            response = JSONResponse({"error": "internal error; please retry"}, status_code=503)
        else:
            response = pages.error_page(
                request,
                PageError(500, "Something went wrong on our side", "Please try again in a few minutes."),
            )
        # Starlette sends this answer outside the user middleware: set the headers here too.
        apply_security_headers(response.headers, request.url.path)
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> HTMLResponse:
        return pages.error_page(
            request, PageError(400, "That request didn't look right", "Go back and try again.")
        )

    return app


def _ping_db(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
