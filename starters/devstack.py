"""The embedded stack of `hireflow dev`: every service on loopback, started and stopped as one.

Each component is an async context manager; an `AsyncExitStack` starts them in order and tears them
down in reverse, whether the stack ends by Ctrl-C, SIGTERM or a component dying. Child servers are
also tied to this process, so they die with it when there is no teardown (SIGKILL); whatever an
earlier run still left behind in the same state directory is stopped before the port check.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import TracebackType

import httpx
from pydantic import SecretStr

from integrations.assessment_mappings import AssessmentMappings
from integrations.calendar.caldav import CalDAVCalendar
from integrations.logs import get_logger
from integrations.mail.inbound import InboundReply
from integrations.mail.message import parse_address
from integrations.mail.profile_log import ProfileLogStore
from integrations.org_store import OrgConfigStore
from integrations.sourcing_store import SourcingStore
from integrations.sync_client import SyncClient
from models.secret_checks import VERIFIED_SECRETS
from models.settings import Settings
from models.store import create_engine_for, init_db
from models.sync_io import SYNC_WORKFLOW_ID
from sandbox.assessments.config import AssessmentSandboxConfig
from sandbox.assessments.server import AssessmentSandboxServer
from sandbox.calendars import default_rooms, seed_calendars
from sandbox.greenhouse.seed import SeedSummary
from sandbox.radicale.server import RadicaleServer
from starters.dev_seed import dev_assessment_mappings, dev_auto_schedule_stages, org_config_rows
from starters.leftovers import stop_leftovers
from starters.local_keys import ensure_local_keys
from starters.local_secrets import local_secrets
from starters.mail_sink import SmtpSink
from starters.ports import ensure_ports_free
from starters.processes import ManagedProcess
from starters.run_records import run_dir
from starters.schedules import MENTION_WATCH_SCHEDULE_ID, ensure_schedules
from starters.temporal_dev import temporal_dev_server
from starters.web_server import serving_web
from web.store import ensure_rule
from workers.client import connect
from workers.main import running_workers
from workers.replies import forward_reply

log = get_logger(__name__)

VERIFIED_FIELDS = frozenset(secret.field for secret in VERIFIED_SECRETS)
DEV_SOURCE, DEV_SOURCE_KEY = "dev", "dev-source-key"  # sourcing intake's source and key of the local stack
DEV_PARTNER_KEY = "dev-partner-key"  # Greenhouse's Assessment Partner API key of the local stack (printed)
SANDBOX_WEBHOOK_SECRET_ENV = "HIREFLOW_GREENHOUSE_WEBHOOK_SECRET"
"""Read by `hireflow sandbox greenhouse --webhook-secret` (its envvar): the sandbox plays Greenhouse."""
DEV_WEBHOOK_RETRY_DELAYS = (1.0, 2.0, 5.0, 15.0, 60.0, 900.0, 3600.0)
"""The sandbox's webhook retries in the dev stack: the web app starts after the sandbox (and may be
restarted), so a delivery that finds nobody listening arrives seconds after it does, not Greenhouse's
minute later."""


@dataclass(frozen=True)
class DevStackConfig:
    """Where the stack keeps its files and which loopback ports it binds."""

    state_dir: Path = Path(".hireflow")
    host: str = "127.0.0.1"
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    greenhouse_port: int = 8700
    caldav_port: int = 5232
    smtp_port: int = 2525
    web_port: int = 8000
    assessments_port: int = 8710
    seed: int = 7
    candidates: int = 200
    rate_limit: int = 75
    rate_window_seconds: float = 30.0

    def _generated_secrets(self, base: Settings) -> dict[str, SecretStr]:
        """The state directory's secrets for every verified secret `base` leaves at its default."""
        return {
            field: SecretStr(value)
            for field, value in local_secrets(self.state_dir).items()
            if field in VERIFIED_FIELDS and field not in base.model_fields_set
        }

    @property
    def greenhouse_webhook_url(self) -> str:
        """Where the Greenhouse sandbox delivers its webhooks: the web app's endpoint."""
        return f"http://{self.host}:{self.web_port}/webhooks/greenhouse"

    def ports(self) -> dict[str, int]:
        return {
            "Temporal gRPC": self.temporal_port,
            "Temporal Web UI": self.temporal_ui_port,
            "Greenhouse sandbox": self.greenhouse_port,
            "CalDAV (Radicale)": self.caldav_port,
            "SMTP sink": self.smtp_port,
            "web app": self.web_port,
            "Assessment provider": self.assessments_port,
        }

    def settings(self, base: Settings | None = None) -> Settings:
        """Hireflow settings pointing at this stack's services, as development, with the state
        directory's generated secrets (`starters.local_secrets`) unless `base` set them explicitly
        (environment, `.env` or keyword); other knobs from `base`."""
        base = base or Settings()
        host = self.host
        return base.model_copy(
            update={
                **self._generated_secrets(base),
                "environment": "development",
                "state_dir": self.state_dir,
                "temporal_address": f"{host}:{self.temporal_port}",
                "temporal_ui_url": f"http://{host}:{self.temporal_ui_port}",
                "greenhouse_base_url": f"http://{host}:{self.greenhouse_port}",
                "greenhouse_token_url": f"http://{host}:{self.greenhouse_port}/token",
                "greenhouse_client_id": "hireflow-sandbox",
                "greenhouse_client_secret": SecretStr("sandbox-secret"),
                "caldav_url": f"http://{host}:{self.caldav_port}",
                "smtp_host": host,
                "smtp_port": self.smtp_port,
                "smtp_starttls": False,
                "smtp_ssl": False,
                "database_url": f"sqlite:///{(self.state_dir / 'hireflow.db').resolve()}",
                "web_base_url": f"http://{host}:{self.web_port}",
                "mail_maildir": self.state_dir / "mail",
                "assessment_partner_key": base.assessment_partner_key or SecretStr(DEV_PARTNER_KEY),
                "assessment_sandbox_url": f"http://{host}:{self.assessments_port}",
            }
        )


def _with_stack_keys(settings: Settings) -> Settings:
    """Development settings that encrypt payloads: the configured keys, else the state directory's own."""
    update: dict[str, object] = {"environment": "development"}
    if settings.payload_encryption_keys is None:
        update["payload_encryption_keys"] = SecretStr(ensure_local_keys(settings.state_dir))
    return settings.model_copy(update=update)


@dataclass
class Endpoint:
    """One line of what `hireflow dev` prints: a service and how to reach it."""

    name: str
    url: str
    note: str = ""


def partner_endpoint(settings: Settings, web_url: str) -> Endpoint:
    """The Assessment Partner API line: the dev key is printed, a configured one never is."""
    key = settings.assessment_partner_key
    shown = DEV_PARTNER_KEY if key is not None and key.get_secret_value() == DEV_PARTNER_KEY else None
    who = f"Basic user {shown}, empty password" if shown else "Basic user HIREFLOW_ASSESSMENT_PARTNER_KEY"
    return Endpoint("Assessment Partner API", f"{web_url}/assessments/partner/", who)


def dev_source_endpoint(settings: Settings, web_url: str) -> Endpoint:
    """Create the source `dev` with the key `dev-source-key` (idempotent) and say how to use it."""
    engine = create_engine_for(settings.resolved_database_url())
    init_db(engine)
    SourcingStore(engine).add_key(DEV_SOURCE, "hireflow dev", key=DEV_SOURCE_KEY)
    engine.dispose()
    return Endpoint(
        "Sourcing intake",
        f"{web_url}/api/v1/sourcing/candidates",
        f"source {DEV_SOURCE}, Authorization: Bearer {DEV_SOURCE_KEY}",
    )


def greenhouse_sandbox_process(config: DevStackConfig, webhook_secret: SecretStr) -> ManagedProcess:
    """The Greenhouse sandbox as a child process, its data in a SQLite file that survives restarts.

    It delivers its webhooks to the web app, signed with the web app's secret, passed in its
    environment (not on its command line, which `ps` and the run records show), and retries them
    on the dev schedule (`DEV_WEBHOOK_RETRY_DELAYS`)."""
    base_url = f"http://{config.host}:{config.greenhouse_port}"

    async def ready() -> bool:
        try:
            async with httpx.AsyncClient(timeout=2) as http:
                response = await http.get(f"{base_url}/_sandbox/seed")
            return response.status_code == 200
        except httpx.HTTPError:
            return False

    argv = [
        sys.executable,
        "-m",
        "starters.cli",
        "sandbox",
        "greenhouse",
        "--host",
        config.host,
        "--port",
        str(config.greenhouse_port),
        "--seed",
        str(config.seed),
        "--candidates",
        str(config.candidates),
        "--rate-limit",
        str(config.rate_limit),
        "--rate-window",
        str(config.rate_window_seconds),
        "--database-url",
        f"sqlite:///{(config.state_dir / 'greenhouse.db').resolve()}",
        "--webhook-url",
        config.greenhouse_webhook_url,
        "--webhook-retry",
        ",".join(f"{delay:g}" for delay in DEV_WEBHOOK_RETRY_DELAYS),
    ]
    return ManagedProcess(
        "greenhouse-sandbox",
        argv,
        config.state_dir / "logs" / "greenhouse.log",
        ready,
        env={SANDBOX_WEBHOOK_SECRET_ENV: webhook_secret.get_secret_value()},
        label="Greenhouse sandbox",
        run_dir=run_dir(config.state_dir),
    )


@dataclass
class DevStack:
    """Starts the embedded services in order; `endpoints` says where each one listens."""

    config: DevStackConfig
    base_settings: Settings | None = None
    endpoints: list[Endpoint] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    processes: list[ManagedProcess] = field(default_factory=list)
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    _stop: asyncio.Event | None = None
    _stop_reason: str = ""

    async def __aenter__(self) -> DevStack:
        config = self.config
        await asyncio.to_thread(stop_leftovers, config.state_dir)
        ensure_ports_free(config.ports(), config.host)
        config.state_dir.mkdir(parents=True, exist_ok=True)
        stack_settings = config.settings(
            self.base_settings
        )  # a bad secrets file stops us before anything runs
        try:
            temporal = await self._stack.enter_async_context(
                temporal_dev_server(
                    config.state_dir,
                    config.host,
                    config.temporal_port,
                    config.temporal_ui_port,
                    run_dir=run_dir(config.state_dir),
                    codec_endpoint=f"http://{config.host}:{config.web_port}/codec",
                )
            )
            self.processes.append(temporal)
            self.endpoints += [
                Endpoint("Temporal gRPC", f"{config.host}:{config.temporal_port}", "namespace default"),
                Endpoint("Temporal Web UI", f"http://{config.host}:{config.temporal_ui_port}"),
            ]
            sandbox = await self._stack.enter_async_context(
                greenhouse_sandbox_process(config, stack_settings.greenhouse_webhook_secret)
            )
            self.processes.append(sandbox)
            self.endpoints.append(
                Endpoint(
                    "Greenhouse sandbox",
                    f"http://{config.host}:{config.greenhouse_port}/v3",
                    f"token http://{config.host}:{config.greenhouse_port}/token, "
                    "client id hireflow-sandbox, secret sandbox-secret",
                )
            )
            radicale = await self._stack.enter_async_context(
                RadicaleServer(config.state_dir / "radicale", config.host, config.caldav_port)
            )
            self.endpoints.append(
                Endpoint("CalDAV (Radicale)", radicale.url, "one calendar per person and room")
            )
            provider = await self._stack.enter_async_context(
                AssessmentSandboxServer(
                    AssessmentSandboxConfig(
                        token=stack_settings.assessment_sandbox_token.get_secret_value(),
                        webhook_secret=stack_settings.assessment_webhook_secret.get_secret_value(),
                        webhook_url=f"http://{config.host}:{config.web_port}/webhooks/assessments/embedded",
                        state_dir=config.state_dir / "assessments",
                        smtp_host=config.host,  # its invitation emails land in the SMTP sink
                        smtp_port=config.smtp_port,
                    ),
                    config.host,
                    config.assessments_port,
                )
            )
            self.endpoints.append(
                Endpoint(
                    "Assessment provider",
                    provider.base_url,
                    "embedded tests, taken at links in the invitations",
                )
            )
            self.settings = _with_stack_keys(stack_settings).model_copy(
                update={"greenhouse_user_id": await self._seed_everything(radicale.url)}
            )
            client = await connect(self.settings)

            profile_log = ProfileLogStore(create_engine_for(self.settings.resolved_database_url()))
            public_from = parse_address(self.settings.mail_from).addr_spec

            async def on_reply(reply: InboundReply) -> None:
                await profile_log.record_inbound(reply, to=public_from)
                await forward_reply(client, reply)

            sink = await self._stack.enter_async_context(
                SmtpSink(
                    config.state_dir / "mail",
                    config.host,
                    config.smtp_port,
                    on_reply=on_reply,
                )
            )
            self.endpoints.append(
                Endpoint(
                    "SMTP sink", f"smtp://{config.host}:{sink.port}", f"Maildir {config.state_dir / 'mail'}"
                )
            )
            web_url = await self._stack.enter_async_context(
                serving_web(self.settings, client, config.host, config.web_port)
            )
            self.endpoints.append(
                Endpoint("Web app", web_url, "candidate pages, /webhooks/greenhouse, /healthz")
            )
            self.endpoints.append(partner_endpoint(self.settings, web_url))
            self.endpoints.append(dev_source_endpoint(self.settings, web_url))
            await self._stack.enter_async_context(running_workers(client, self.settings))
            self.endpoints.append(
                Endpoint("Worker", self.settings.task_queue, "plus Harvest and planner task queues")
            )
            await ensure_schedules(client, self.settings)
            if self.settings.sync_enabled:
                await SyncClient(client, self.settings).ensure_started()
                self.endpoints.append(
                    Endpoint(
                        "Mirror sync",
                        f"workflow {SYNC_WORKFLOW_ID}",
                        f"every {self.settings.sync_interval_seconds:g} s into the SQL store (`hireflow sync status`)",
                    )
                )
            self.endpoints.append(
                Endpoint(
                    "Mention watch",
                    f"schedule {MENTION_WATCH_SCHEDULE_ID}",
                    f"every {self.settings.mention_watch_interval_seconds:g} s, @{self.settings.mention_name}",
                )
            )
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def _seed_everything(self, caldav_url: str) -> int:
        """Calendars and org configuration from the sandbox's seed; returns the Hireflow user id."""
        config = self.config
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.get(f"http://{config.host}:{config.greenhouse_port}/_sandbox/seed")
            response.raise_for_status()
        summary = SeedSummary.model_validate(response.json())
        rooms = default_rooms(summary.offices)
        today = date.today()
        async with CalDAVCalendar(caldav_url) as caldav:
            report = await seed_calendars(
                caldav, summary.interviewers, rooms, start=today - timedelta(days=today.weekday()), weeks=3
            )
        engine = create_engine_for(config.settings().resolved_database_url())
        init_db(engine)
        await asyncio.to_thread(OrgConfigStore(engine).save, org_config_rows(summary, rooms))
        mappings = AssessmentMappings(engine)
        for spec in dev_assessment_mappings(summary):
            await mappings.aadd(spec)
        for job_id, stage_name in dev_auto_schedule_stages(summary):
            await asyncio.to_thread(ensure_rule, engine, job_id=job_id, stage_name=stage_name)
        engine.dispose()
        log.info(
            "dev_stack_seeded",
            calendars_written=report.calendars_written,
            calendars_kept=report.calendars_skipped,
            events=report.events,
        )
        return summary.hireflow_user_id

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.aclose()

    def watch_signals(self) -> None:
        """From now on SIGINT/SIGTERM ask for a clean stop (call before telling the user the stack is up,
        so a Ctrl-C right after the banner is never taken by asyncio's default handler)."""
        if self._stop is not None:
            return
        self._stop, self._stop_reason = asyncio.Event(), ""
        loop = asyncio.get_running_loop()

        def on_signal(name: str) -> None:
            self._stop_reason = f"received {name}"
            assert self._stop is not None
            self._stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal, sig.name)

    async def wait_until_stopped(self) -> str:
        """Block until SIGINT/SIGTERM or a child dies; return the reason."""
        self.watch_signals()
        stop = self._stop
        assert stop is not None
        reason = "stopped"
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                dead = [p for p in self.processes if p.exited()]
                if dead:
                    reason = f"{dead[0].name} exited unexpectedly; see {dead[0].log_path}"
                    break
                try:
                    await asyncio.wait_for(stop.wait(), timeout=0.5)
                except TimeoutError:
                    pass
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            self._stop = None
        return self._stop_reason or reason
