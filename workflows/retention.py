"""ConsentRetentionWorkflow: a sourced candidate is kept while a consent basis lasts, then erased.

One execution per candidate (`retention-<candidate id>`), started by the SourcingWorkflow when a row
creates or matches a candidate, and told `consent_renewed` when a later row brings a newer basis. It
sleeps (durably, for months) until `notice_days` before the deadline, writes a note on the profile
saying when and why the candidate will be anonymised, sleeps until the deadline, reads the consent
records again (a newer basis moves the deadline, and the wait starts over) and otherwise erases the
candidate: anonymised in Greenhouse, Hireflow's copies removed (integrations/erasure.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.greenhouse import GreenhouseActivities
    from activities.retention import RetentionActivities
    from models.activity_io import NoteInput
    from models.failure_policy import CallKind, FailurePolicy, System
    from models.retention import (
        ConsentDeadline,
        ConsentDeadlineInput,
        EraseCandidateInput,
        ErasureResult,
        RetentionInput,
        RetentionStatus,
    )
    from workflows.retry import retry_policy

ATTEMPT_TIMEOUT = timedelta(minutes=2)


@workflow.defn
class ConsentRetentionWorkflow:
    @workflow.init
    def __init__(self, request: RetentionInput) -> None:
        self._request = request
        self._renewed = False
        self._status = RetentionStatus(candidate_id=request.candidate_id, state="waiting")

    @workflow.signal
    def consent_renewed(self) -> None:
        """A source recorded a basis for the candidate: read the deadline again."""
        self._renewed = True

    @workflow.query
    def status(self) -> RetentionStatus:
        return self._status

    @workflow.run
    async def run(self, request: RetentionInput) -> RetentionStatus:
        warned_for: datetime | None = None
        # A basis that lapsed before Hireflow saw it still gets its notice: nobody is erased unannounced.
        floor = workflow.now() + request.policy.notice
        while True:
            self._renewed = False
            found = _not_before(await self._deadline(), floor)
            if found.deadline is None:
                return self._set("no_consent", found)
            self._set("warned" if warned_for == found.deadline else "waiting", found)
            if await self._sleep_until(found.deadline - request.policy.notice):
                continue
            if warned_for != found.deadline:
                await self._warn(found)
                warned_for = found.deadline
                self._set("warned", found)
            if await self._sleep_until(found.deadline):
                continue
            latest = _not_before(await self._deadline(), floor)  # a renewal may not have been signalled
            if latest.deadline is None:
                return self._set("no_consent", latest)
            if latest.deadline > workflow.now():
                continue
            erased = await self._erase(latest)
            workflow.logger.info("candidate erased", extra={"candidate_id": request.candidate_id})
            self._set("erased", latest, f"{erased.greenhouse}; {sum(erased.removed.values())} copies removed")
            return self._status

    async def _sleep_until(self, when: datetime) -> bool:
        """Wait until `when`; True when a renewal came first (the deadline must be read again)."""
        remaining = (when - workflow.now()).total_seconds()
        if remaining <= 0:
            return self._renewed
        try:
            await workflow.wait_condition(
                lambda: self._renewed, timeout=remaining, timeout_summary="retention"
            )
        except TimeoutError:
            return False
        return True

    async def _deadline(self) -> ConsentDeadline:
        budget = FailurePolicy().budget(System.GREENHOUSE, CallKind.READ)
        return await workflow.execute_activity_method(
            RetentionActivities.read_consent_deadline,
            ConsentDeadlineInput(candidate_id=self._request.candidate_id, policy=self._request.policy),
            start_to_close_timeout=ATTEMPT_TIMEOUT,
            schedule_to_close_timeout=budget.give_up_after,
            retry_policy=retry_policy(budget),
            summary="read the consent on record",
        )

    async def _warn(self, found: ConsentDeadline) -> None:
        assert found.deadline is not None
        budget = FailurePolicy().budget(System.GREENHOUSE, CallKind.IDEMPOTENT_WRITE)
        body = (
            f"Hireflow will anonymise this candidate on {found.deadline:%Y-%m-%d} (UTC): the "
            f"{found.basis.replace('_', ' ')} basis recorded by {found.source} lapses then. "
            "A newer basis from a source keeps them; `hireflow gdpr erase` erases them now."
        )
        await workflow.execute_activity_method(
            GreenhouseActivities.add_candidate_note,
            NoteInput(
                key=f"retention-{self._request.candidate_id}-{found.deadline:%Y%m%d%H%M}",
                candidate_id=self._request.candidate_id,
                body=body,
            ),
            task_queue=self._request.queues.harvest,
            start_to_close_timeout=ATTEMPT_TIMEOUT,
            schedule_to_close_timeout=budget.give_up_after,
            retry_policy=retry_policy(budget),
            summary="tell the recruiter when the candidate will be anonymised",
        )

    async def _erase(self, found: ConsentDeadline) -> ErasureResult:
        budget = FailurePolicy().budget(System.GREENHOUSE, CallKind.IDEMPOTENT_WRITE)
        return await workflow.execute_activity_method(
            RetentionActivities.erase_candidate,
            EraseCandidateInput(
                candidate_id=self._request.candidate_id, reason=f"retention: {found.basis} basis lapsed"
            ),
            task_queue=self._request.queues.harvest,
            start_to_close_timeout=ATTEMPT_TIMEOUT,
            schedule_to_close_timeout=budget.give_up_after,
            retry_policy=retry_policy(budget),
            summary="anonymise in Greenhouse and erase Hireflow's copies",
        )

    def _set(self, state: str, found: ConsentDeadline, detail: str = "") -> RetentionStatus:
        self._status = RetentionStatus(
            candidate_id=self._request.candidate_id, state=state, deadline=found.deadline, basis=found.basis
        )
        when = f"{found.deadline:%Y-%m-%d %H:%M} UTC" if found.deadline else "none on record"
        workflow.set_current_details(
            f"## Consent retention\nCandidate {self._request.candidate_id}: **{state}**; deadline {when}"
            f" ({found.basis or 'no basis'}). {detail}".rstrip()
        )
        return self._status


def _not_before(found: ConsentDeadline, floor: datetime) -> ConsentDeadline:
    if found.deadline is None or found.deadline >= floor:
        return found
    return found.model_copy(update={"deadline": floor})
