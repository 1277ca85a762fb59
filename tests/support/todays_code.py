"""The SchedulingWorkflow as it was before the state machine, under its own name, for regressions.

Issue 9's reproductions run on it too and must fail there (strict xfail): proof each was real.
It is the frozen `LegacyScheduling` that pre-patch executions replay, behind today's handlers.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.messages import SchedulingRequest, SchedulingStatusSnapshot
    from workflows.scheduling import SchedulingWorkflow
    from workflows.scheduling_legacy import LegacyScheduling


@workflow.defn(name="SchedulingWorkflow")
class TodaysCode(SchedulingWorkflow):
    """Every message goes to the frozen code, as on a history recorded before the patch."""

    @workflow.init
    def __init__(self, request: SchedulingRequest) -> None:
        super().__init__(request)
        self._legacy = LegacyScheduling(request)

    @workflow.run
    async def run(self, request: SchedulingRequest) -> SchedulingStatusSnapshot:
        return await super().run(request)
