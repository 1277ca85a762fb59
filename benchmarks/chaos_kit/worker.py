"""The worker of a chaos run as its own OS process: `python -m benchmarks.chaos_kit.worker`.

It runs `workers.main.running_workers`, what `hireflow worker` runs, with settings from `HIREFLOW_*`,
for the task queues in `CHAOS_QUEUES` (`main,harvest,planner` by default; a planner outage is a planner
worker that is gone). With `CHAOS_ARM_FILE` set, an activity interceptor SIGKILLs the whole process at
one activity boundary of one workflow, named in that file when the harness arms it:

    {"workflow_id": "sched-...", "activity": "send_email", "occurrence": 2, "point": "before" | "after"}

`before`: the 2nd `send_email` of that workflow since arming has started and done nothing; `after`: it
ran (its effect happened) and its result never reached Temporal. The activities seen after arming are
written to `<arm file>.trace` (one JSON line each), and the one killed at to `<arm file>.fired`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

POINTS = ("before", "after")


class ArmFile:
    """The harness's instruction, re-read at every activity start (a file the harness rewrites)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._armed_key: str | None = None
        self._seen = 0
        self._counts: Counter[str] = Counter()

    def step(self, info: activity.Info) -> str | None:
        """Count this activity if it belongs to the armed workflow; the kill point if it is the chosen one."""
        try:
            arm: dict[str, Any] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        if arm.get("workflow_id") != info.workflow_id:
            return None
        key = f"{arm['workflow_id']}/{arm.get('armed_at')}"
        if key != self._armed_key:
            self._armed_key, self._seen, self._counts = key, 0, Counter()
        self._seen += 1
        self._counts[info.activity_type] += 1
        step = {
            "nth": self._seen,
            "activity": info.activity_type,
            "occurrence": self._counts[info.activity_type],
            "attempt": info.attempt,
        }
        with self.path.with_suffix(".trace").open("a") as trace:
            trace.write(json.dumps(step) + "\n")
        chosen = (arm.get("activity"), int(arm.get("occurrence", 0)))
        if chosen != (info.activity_type, self._counts[info.activity_type]):
            return None
        point = str(arm.get("point", "before"))
        return point if point in POINTS else None

    def fire(self, info: activity.Info, point: str) -> None:
        """Record where the process dies, durably, then die as a power cut would (no clean-up)."""
        fired = self.path.with_suffix(".fired")
        with fired.open("w") as out:
            where = {"activity": info.activity_type, "occurrence": self._counts[info.activity_type]}
            json.dump({**where, "nth": self._seen, "point": point}, out)
            out.flush()
            os.fsync(out.fileno())
        os.kill(os.getpid(), signal.SIGKILL)


class _KillingInbound(ActivityInboundInterceptor):
    def __init__(self, nxt: ActivityInboundInterceptor, arm: ArmFile) -> None:
        super().__init__(nxt)
        self._arm = arm

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        point = self._arm.step(info)
        if point == "before":
            self._arm.fire(info, point)
        try:
            return await super().execute_activity(input)
        finally:
            if point == "after":
                self._arm.fire(info, point)


class KillInterceptor(Interceptor):
    """Kills the worker process at the activity boundary the arm file names."""

    def __init__(self, arm: ArmFile) -> None:
        self._arm = arm

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _KillingInbound(next, self._arm)


async def _run() -> None:
    from integrations.logs import configure_logging
    from models.settings import get_settings
    from models.time_zones import use_pinned_tzdata
    from workers.client import connect
    from workers.main import ALL_QUEUES, running_workers

    use_pinned_tzdata()
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    queues = [q for q in os.environ.get("CHAOS_QUEUES", ",".join(sorted(ALL_QUEUES))).split(",") if q]
    arm_path = os.environ.get("CHAOS_ARM_FILE")
    interceptors = [KillInterceptor(ArmFile(Path(arm_path)))] if arm_path else []
    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_workers(client, settings, queues=queues, interceptors=interceptors):
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(_run())
