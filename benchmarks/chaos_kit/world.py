"""The stack of a chaos run and its groups: each group is a worker with its own task queues and store,
reaching CalDAV and SMTP through its own outage proxies, so outages of different systems run side by side.

Greenhouse is taken down with the sandbox's own fault injection (every `/v3` request answered `503`), which
is global: a Greenhouse wave runs while no other group needs Greenhouse. A planner outage is the group's
planner worker killed (activities wait in its task queue) and started again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import sys
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from temporalio.client import Client

from benchmarks.workflows import (
    ROOT,
    Application,
    Stack,
    child_environment,
    child_python_env,
)
from integrations.greenhouse.client import HarvestClient
from integrations.scheduling_client import SchedulingClient
from models.failure_policy import System
from models.settings import Settings
from sandbox.outage import OutageMode, OutageProxy
from starters.processes import ManagedProcess

HOST = "127.0.0.1"
CORE_QUEUES = "main,harvest"


@dataclass
class Group:
    """One worker set: its settings (queues, store, proxied URLs), proxies and worker processes."""

    name: str
    dir: Path
    settings: Settings
    calendar: OutageProxy | None = None
    mail: OutageProxy | None = None
    workers: dict[str, ManagedProcess] = field(default_factory=dict)
    arm_file: Path | None = None


class ChaosWorld:
    """What every scenario shares: the stack, the applications not yet used, the Temporal client."""

    def __init__(self, stack: Stack, apps: list[Application], exits: AsyncExitStack) -> None:
        self.stack = stack
        self.client: Client = stack.client
        self.scheduling = SchedulingClient(stack.client, stack.settings)
        self._apps: Iterator[Application] = iter(apps)
        self._exits = exits
        self._starts = itertools.count()
        self.storage = stack.state / "radicale" / "collections" / "collection-root"

    def take_app(self) -> Application:
        try:
            return next(self._apps)
        except StopIteration:
            raise RuntimeError(
                "the sandbox has no unused Onsite application left; raise --candidates"
            ) from None

    # ------------------------------------------------------------------------------------ groups

    async def group(self, name: str, *, proxied: bool = False, arm: bool = False) -> Group:
        """A group with its own task queues and SQL store (a copy of the seeded one), workers started."""
        folder = self.stack.state / "groups" / name
        folder.mkdir(parents=True, exist_ok=True)
        store = folder / "hireflow.db"
        shutil.copyfile(self.stack.state / "hireflow.db", store)
        base = self.stack.settings
        update: dict[str, object] = {
            "task_queue": f"chaos-{name}-main",
            "harvest_task_queue": f"chaos-{name}-harvest",
            "planner_task_queue": f"chaos-{name}-planner",
            "database_url": f"sqlite:///{store}",
        }
        group = Group(name, folder, base)
        if proxied:
            radicale_port = int(base.caldav_url.rsplit(":", 1)[1].rstrip("/"))
            group.calendar = await self._exits.enter_async_context(
                OutageProxy(HOST, radicale_port, name=f"{name}-caldav")
            )
            group.mail = await self._exits.enter_async_context(
                OutageProxy(HOST, base.smtp_port, name=f"{name}-smtp")
            )
            update |= {"caldav_url": group.calendar.url("http"), "smtp_port": group.mail.port}
        group.settings = base.model_copy(update=update)
        group.arm_file = folder / "arm.json" if arm else None
        await self.start_workers(group, "core")
        if not arm:  # an armed group's one process also runs the planner, so its activities can be killed too
            await self.start_workers(group, "planner")
        return group

    async def start_workers(self, group: Group, role: str) -> ManagedProcess:
        """Start the group's `core` (main and Harvest queues) or `planner` worker process."""
        log = group.dir / f"{role}-{next(self._starts)}.log"

        async def ready() -> bool:
            try:
                return "workers_started" in log.read_text(errors="replace")
            except OSError:
                return False

        env = {
            **child_environment(group.settings),
            **child_python_env(self.stack.state),
            "CHAOS_QUEUES": "planner" if role == "planner" else CORE_QUEUES,
        }
        if group.arm_file is not None:
            env["CHAOS_QUEUES"] = f"{CORE_QUEUES},planner"
            env["CHAOS_ARM_FILE"] = str(group.arm_file)
        process = ManagedProcess(
            f"{group.name}-{role}",
            [sys.executable, "-m", "benchmarks.chaos_kit.worker"],
            log,
            ready,
            env=env,
            cwd=ROOT,
            startup_timeout=120,
            stop_timeout=40,
        )
        await self._exits.enter_async_context(process)
        group.workers[role] = process
        return process

    async def kill_workers(self, group: Group, role: str) -> None:
        """SIGKILL a worker process, as a crash or a power cut would end it."""
        process = group.workers.pop(role, None)
        if process is None or process.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.stop()

    async def stop_workers(self, group: Group, role: str) -> None:
        """Stop a worker process the polite way (in-flight activities finish)."""
        process = group.workers.pop(role, None)
        if process is not None:
            await process.stop()

    # ----------------------------------------------------------------------------------- outages

    async def down(self, group: Group, system: System) -> None:
        if system == System.GREENHOUSE:
            await self._sandbox("POST", json={"path_prefix": "/v3", "status": 503, "error_rate": 1.0})
        elif system == System.CALENDAR:
            assert group.calendar is not None
            await group.calendar.down(OutageMode.RESET)
        elif system == System.MAIL:
            assert group.mail is not None
            await group.mail.down(OutageMode.SMTP_421)
        else:
            await self.kill_workers(group, "planner")

    async def up(self, group: Group, system: System) -> None:
        if system == System.GREENHOUSE:
            await self._sandbox("DELETE")
        elif system == System.CALENDAR:
            assert group.calendar is not None
            await group.calendar.up()
        elif system == System.MAIL:
            assert group.mail is not None
            await group.mail.up()
        else:
            await self.start_workers(group, "planner")

    async def _sandbox(self, method: str, json: dict[str, object] | None = None) -> None:
        url = f"{self.stack.settings.greenhouse_base_url}/_sandbox/faults"
        async with httpx.AsyncClient(timeout=10) as http:
            (await http.request(method, url, json=json)).raise_for_status()

    # --------------------------------------------------------------------------------- greenhouse

    async def interview_ids(self, application_id: int) -> set[int]:
        async with HarvestClient.from_settings(self.stack.settings) as gh:
            return {i.id async for i in gh.list_interviews(application_ids=[application_id])}


async def sleep_until(loop_time: float) -> None:
    await asyncio.sleep(max(0.0, loop_time - asyncio.get_running_loop().time()))
