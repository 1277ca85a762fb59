"""Worker SIGKILL at every activity boundary of a booking and of a replacement.

Each scenario has its own group (task queues, store, worker). The request is brought to just before the
step (offered for a booking; booked for a replacement), the worker is armed to kill itself at the n-th
activity of that request, before it starts or after it ran, and the step begins. Once the worker is
dead a fresh one starts; the step must then complete with every effect exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import Any

from benchmarks.chaos_kit.phases import (
    Scenario,
    Timing,
    decline_target,
    goal,
    observe,
    pick_option,
    prepare,
    reach_goal,
    verify,
)
from benchmarks.chaos_kit.world import ChaosWorld

STEPS = {"booking": "pick", "replacement": "decline"}


def read_trace(arm_file: Path) -> list[dict[str, Any]]:
    """The step's activities as the worker saw them after arming (activity, occurrence, nth)."""
    try:
        return [json.loads(line) for line in arm_file.with_suffix(".trace").read_text().splitlines()]
    except OSError:
        return []


async def _begin(world: ChaosWorld, sc: Scenario) -> None:
    status = await world.scheduling.status(sc.workflow_id)
    if sc.phase == "pick":
        with contextlib.suppress(Exception):  # the worker may die under the update: the state tells
            await pick_option(world, sc, status)
    else:
        await world.scheduling.interviewer_declined(sc.workflow_id, await decline_target(world, sc))


async def kill_scenario(
    world: ChaosWorld, step: str, activity: str, occurrence: int, point: str, timing: Timing
) -> tuple[Scenario, dict[str, Any]]:
    """One kill at the `occurrence`-th `activity` of the step (activity "": a dry run that only traces)."""
    group = await world.group(f"kill-{step}-{activity or 'dry'}-{occurrence}-{point}", arm=True)
    sc = Scenario("worker", STEPS[step], "kill", group)
    extra: dict[str, Any] = {
        "step": step,
        "activity": activity,
        "occurrence": occurrence,
        "point": point,
        "fired": None,
    }
    try:
        await prepare(world, sc, timing)
        assert group.arm_file is not None
        group.arm_file.with_suffix(".trace").unlink(missing_ok=True)  # a retried scenario traces afresh
        arm = {"workflow_id": sc.workflow_id, "activity": activity, "occurrence": occurrence, "point": point}
        group.arm_file.write_text(json.dumps({**arm, "armed_at": time.time()}))
        begun = asyncio.create_task(_begin(world, sc))
        core = group.workers["core"]
        deadline = time.monotonic() + timing.recover_within
        while time.monotonic() < deadline and not core.exited():
            with contextlib.suppress(Exception):
                if goal(sc, *await observe(world, sc)):
                    break
            await asyncio.sleep(0.3)
        fired = group.arm_file.with_suffix(".fired")
        extra["trace"] = [(t["activity"], t["occurrence"]) for t in read_trace(group.arm_file)]
        if core.exited():
            extra["fired"] = json.loads(fired.read_text()) if fired.exists() else {"unknown": True}
            group.arm_file.unlink()
            await world.kill_workers(group, "core")
            restarted = time.monotonic()
            await world.start_workers(group, "core")
            await reach_goal(world, sc, timing.recover_within)
            sc.recovery_s = time.monotonic() - restarted
        else:
            sc.exercised = False
            await reach_goal(world, sc, timing.recover_within)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(begun, 5)
        await verify(world, sc)
    except Exception as error:
        sc.outcome, sc.error = "stuck", f"{type(error).__name__}: {error}"[:400]
        with contextlib.suppress(Exception):
            await verify(world, sc)
    finally:
        for role in list(group.workers):
            await world.stop_workers(group, role)
    return sc, extra
