"""The Hireflow worker process: three task queues, one set of shared clients.

- main queue: the workflows, calendar and mail activities;
- Harvest queue: every Greenhouse call, with a server-side rate limit across the whole fleet (the
  mirror's sync listings run there at the lowest task priority, after interactive work);
- planner queue: CP-SAT searches, bounded to the machine's cores.
Shutdown is graceful: in-flight activities get time to finish before the process exits.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Interceptor, Worker

from activities.assessments import AssessmentActivities
from activities.calendar import CalendarActivities
from activities.events import EventActivities
from activities.greenhouse import GreenhouseActivities
from activities.mail import MailActivities
from activities.mentions import MentionActivities
from activities.planning import PlanningActivities
from activities.retention import RetentionActivities
from activities.source_push import SourcePushActivities
from activities.sourcing import SourcingActivities
from activities.sync import SyncActivities
from integrations.assessment_index import AssessmentIndex
from integrations.assessments.registry import ProviderCache
from integrations.calendar.factory import build_calendar, build_video
from integrations.greenhouse.client import HarvestClient
from integrations.interview_index import InterviewIndex
from integrations.logs import get_logger
from integrations.mail.profile_drain import ProfileLogDrain, run_drain
from integrations.mail.profile_log import ProfileLogStore
from integrations.mail.service import MailService
from integrations.mirror import MirrorReader
from integrations.mirror_store import MirrorStore
from integrations.org_store import OrgConfigStore
from models.settings import Settings
from models.store import create_engine_for, init_db
from workers.client import connect
from workers.search_attributes import ensure_search_attributes
from workflows import ALL_WORKFLOWS

log = get_logger(__name__)

HARVEST_WINDOW_SECONDS = 30.0


def harvest_activities_per_second(settings: Settings) -> float:
    """Fleet-wide cap on Harvest activities; each makes a few requests and the client paces the rest."""
    return max(0.5, settings.greenhouse_rate_limit / HARVEST_WINDOW_SECONDS)


@dataclass
class WorkerSet:
    """The running workers and the clients they share."""

    workers: list[Worker]


ALL_QUEUES: frozenset[str] = frozenset({"main", "harvest", "planner"})


@asynccontextmanager
async def running_workers(
    client: Client,
    settings: Settings,
    *,
    queues: Collection[str] = ALL_QUEUES,
    interceptors: Sequence[Interceptor] = (),
) -> AsyncIterator[WorkerSet]:
    """Start the workers of `queues` (all three by default) wired from `settings`; stop them on exit.

    A deployment can run the planner apart from the rest; `interceptors` serve chaos runs.
    """
    async with AsyncExitStack() as stack:
        engine = create_engine_for(settings.resolved_database_url())
        init_db(engine)
        org = OrgConfigStore(engine)
        harvest = await stack.enter_async_context(HarvestClient.from_settings(settings))
        calendar = build_calendar(settings)
        stack.push_async_callback(calendar.aclose)
        video = build_video(settings, engine)
        mail = MailActivities(MailService.from_settings(settings, engine), settings, org)
        calendars = CalendarActivities(calendar, video, org, settings.calendar_organizer)
        greenhouse = GreenhouseActivities(harvest, org, InterviewIndex(engine), MirrorReader(engine))
        planning = PlanningActivities(calendar, org, settings.calendar_organizer)
        events = EventActivities(client)
        sync = SyncActivities(harvest, MirrorStore(engine))
        sourcing = SourcingActivities(harvest, engine)
        source_push = SourcePushActivities(settings)
        retention = RetentionActivities(harvest, engine)
        providers = ProviderCache(settings)
        stack.push_async_callback(providers.aclose)
        mentions = MentionActivities(harvest, client, settings, engine, providers=providers.get)
        assessments = AssessmentActivities(
            harvest,
            settings,
            providers.get,
            MailService.from_settings(settings, engine),
            org,
            index=AssessmentIndex(engine),
        )
        chosen: dict[str, Worker] = {}
        if "main" in queues:
            chosen[settings.task_queue] = Worker(
                client,
                task_queue=settings.task_queue,
                workflows=ALL_WORKFLOWS,
                activities=[
                    calendars.book_calendar_events,
                    calendars.cancel_calendar_events,
                    calendars.read_attendee_responses,
                    mail.send_email,
                    events.find_running_requests,
                    mentions.act_on_mention,
                    mentions.mark_mention_handled,
                    assessments.invite_candidate,
                    assessments.extend_invitation,
                    assessments.cancel_invitation,
                    assessments.fetch_assessment_result,
                    assessments.notify_greenhouse_partner,
                    assessments.send_assessment_email,
                    sourcing.fail_sourcing_row,
                    source_push.post_source_status,
                    retention.read_consent_deadline,
                ],
                interceptors=interceptors,
                graceful_shutdown_timeout=timedelta(seconds=30),
            )
        if "harvest" in queues:
            chosen[settings.harvest_task_queue] = Worker(
                client,
                task_queue=settings.harvest_task_queue,
                activities=[
                    greenhouse.gather_scheduling_context,
                    greenhouse.list_event_applications,
                    greenhouse.record_greenhouse_interviews,
                    greenhouse.update_greenhouse_interview,
                    greenhouse.delete_greenhouse_interviews,
                    greenhouse.add_candidate_note,
                    mentions.list_mentions,
                    mentions.resolve_mention,
                    assessments.gather_assessment_context,
                    assessments.write_assessment_result,
                    assessments.decide_application,
                    sync.sync_resource,
                    sync.reconcile_resource,
                    sourcing.import_sourcing_row,
                    retention.erase_candidate,
                ],
                interceptors=interceptors,
                max_task_queue_activities_per_second=harvest_activities_per_second(settings),
                graceful_shutdown_timeout=timedelta(seconds=30),
            )
        if "planner" in queues:
            chosen[settings.planner_task_queue] = Worker(
                client,
                task_queue=settings.planner_task_queue,
                activities=[planning.find_options, planning.check_option, planning.plan_event],
                interceptors=interceptors,
                max_concurrent_activities=max(1, os.cpu_count() or 1),
                graceful_shutdown_timeout=timedelta(seconds=30),
            )
        workers = list(chosen.values())
        tasks = [asyncio.create_task(worker.run()) for worker in workers]
        drain_stop = asyncio.Event()
        if "harvest" in queues:
            # Emails to candidates are copied onto their Greenhouse profiles from the SQL queue.
            drain = ProfileLogDrain(ProfileLogStore(engine), harvest)
            tasks.append(asyncio.create_task(run_drain(drain, drain_stop)))

        async def shutdown() -> None:
            drain_stop.set()
            await asyncio.gather(*(worker.shutdown() for worker in workers), return_exceptions=True)
            await asyncio.gather(*tasks, return_exceptions=True)

        stack.push_async_callback(shutdown)
        log.info("workers_started", task_queues=list(chosen))
        yield WorkerSet(workers=workers)


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set `stop` instead of killing the process."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or `stop` is set).

    The handlers go in before anything else: a SIGTERM while connecting is a graceful stop too."""
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    client = await connect(settings)
    await ensure_search_attributes(client)
    async with running_workers(client, settings):
        await stop.wait()
        log.info("workers_stopping")
