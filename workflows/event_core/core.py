"""EventCore: the EventWorkflow's decisions, with no Temporal in sight.

The shell feeds it events with the time they happen at (`start`, `answer`, `loop_update`, `cancel`,
`timer`, and `complete` with each command's outcome) and runs the commands it queues. Commands for
different candidates are independent, so the shell may run them side by side; the core takes their
outcomes in any order.

An event's life: read the stage's active applications and each one's scheduling context; email each
reachable candidate a link to the event page; collect answers until everyone answered or the deadline;
plan the whole event (`planner.event_plan`); start a SchedulingWorkflow per planned loop, which books it
through the single-loop saga and looks after it; when a loop is cancelled (or a late answer comes in)
while there is still time, plan the waitlist again around the loops already planned.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.activity_io import EmailInput, GatherInput, NoteInput
from models.event_io import (
    AvailabilityInput,
    AvailabilityResult,
    AvailabilityView,
    EventApplicationsInput,
    EventApplicationsResult,
    EventCancelInput,
    EventCommandResult,
    EventInvitee,
    EventRequest,
    EventStatus,
    LoopUpdateInput,
    PlanEventCandidate,
    PlanEventInput,
    RunningRequestsInput,
    RunningRequestsResult,
)
from models.event_io import EventCandidateState as C
from models.event_io import EventState as E
from models.events import EventPlan
from models.messages import (
    EventSlot,
    HistoryEntry,
    SchedulingContext,
    SchedulingRequest,
    scheduling_workflow_id,
)
from models.scheduling import Interval
from workflows.event_core import wording
from workflows.event_core.commands import EventCommand, EventCommandKind, EventOutcome
from workflows.event_core.table import TERMINAL, allowed

HISTORY_KEPT = 60
MAX_ANSWERS = 10  # changes of mind per candidate; each may plan the waitlist again
RETRY_AFTER = timedelta(hours=1)
WAITING = frozenset({C.INVITED})
LIVE_LOOPS = frozenset({C.SCHEDULED, C.BOOKED, C.HANDED_OVER})


class UndeclaredEventTransitionError(RuntimeError):
    """A move the transition table does not list (raised in tests, recorded in production)."""


class EventCore:
    """One recruiting event's decisions. Public methods are events."""

    def __init__(self, request: EventRequest, workflow_id: str, *, chain_id: str = "", strict: bool = False):
        self.request = request
        self.wid = workflow_id
        self.chain_id = chain_id
        self.strict = strict
        self.state = E.GATHERING
        self.now = datetime.min
        self.event = ""
        self.invitees: dict[int, EventInvitee] = {}
        self.queue: list[EventCommand] = []
        self.inflight: dict[int, EventCommand] = {}
        self.history: list[HistoryEntry] = []
        self.answers: dict[str, AvailabilityResult] = {}
        self.answer_by: datetime | None = None
        self.reminded = False
        self.plans_made = 0
        self.plan_pending = False  # a re-plan is due once the one in flight returns
        self.bound: int | None = None
        self.escalation = ""
        self.escalations = 0
        self.retry_at: datetime | None = None
        self.job_name = ""
        self.stage_name = ""
        self._next_id = 0
        zone = ZoneInfo(request.time_zone)
        policy = request.policy
        self.days = [
            Interval(
                start=datetime.combine(d, policy.day_start, zone),
                end=datetime.combine(d, policy.day_end, zone),
            )
            for d in request.days
        ]

    # ------------------------------------------------------------------------------- lifecycle

    def start(self, now: datetime) -> None:
        self.now = now
        self.event = "start"
        first = self.days[0].start
        policy = self.request.policy
        latest = min(now + policy.answer_window, first - policy.answer_lead)
        # A deadline given after the first day starts would plan nothing in time: it ends with the first day's start.
        self.answer_by = max(now, min(self.request.answer_by or latest, first))
        self._record("started", f"{self.request.name} on {wording.days_text(self.request.days)}")
        if self.days[-1].end <= now:
            self._go(E.COMPLETED, event="event_over")
            self.escalation = "the event's days are over"
            return
        self._list()

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def finished(self) -> bool:
        return self.terminal and not self.queue and not self.inflight

    def take_commands(self) -> list[EventCommand]:
        """Every queued command, now in flight (they are independent of one another)."""
        taken, self.queue = self.queue, []
        for command in taken:
            self.inflight[command.id] = command
        return taken

    def complete(self, command: EventCommand, outcome: EventOutcome, now: datetime) -> None:
        self.now = now
        self.event = command.kind.value
        self.inflight.pop(command.id, None)
        handlers = {
            EventCommandKind.LIST: self._on_list,
            EventCommandKind.GATHER: self._on_gather,
            EventCommandKind.FIND_RUNNING: self._on_running,
            EventCommandKind.EMAIL: self._on_email,
            EventCommandKind.PLAN: self._on_plan,
            EventCommandKind.NOTE: self._on_note,
            EventCommandKind.START_LOOP: self._on_started,
            EventCommandKind.CANCEL_LOOP: self._on_cancelled_loop,
        }
        handlers[command.kind](command, outcome)

    def deadline(self) -> tuple[datetime, str] | None:
        """The next moment the core must hear of, and what it is for."""
        if self.terminal:
            return None
        over = (self.days[-1].end, "the event's last day ends")
        if self.state == E.COLLECTING and self.answer_by is not None:
            remind = self.answer_by - self.request.policy.remind_before_deadline
            if (
                not self.reminded
                and remind > self.now
                and any(i.state in WAITING for i in self.invitees.values())
            ):
                return (remind, "remind candidates who have not answered")
            return (self.answer_by, "answers are due")
        if self.state == E.ESCALATED and self.retry_at is not None:
            return min((self.retry_at, "try again"), over)
        return over

    def timer(self, now: datetime) -> None:
        self.now = now
        if self.terminal:
            return
        if now >= self.days[-1].end:
            self._go(E.COMPLETED, event="event_over")
            self._record("event_over", self._counts_text())
            return
        if self.state == E.COLLECTING and self.answer_by is not None:
            if now >= self.answer_by:
                self._go(E.PLANNING, event="answers_due")
                self._plan("answers due")
            elif not self.reminded and now >= self.answer_by - self.request.policy.remind_before_deadline:
                self.reminded = True
                self._invite(reminder=True)
            return
        if self.state == E.ESCALATED and self.retry_at is not None and now >= self.retry_at:
            self.retry_at = None
            if not any(i.context for i in self.invitees.values()):
                self.invitees = {}
                self._go(E.GATHERING, event="retry_due")
                self._list()
            else:
                self._go(E.PLANNING, event="retry_due")
                self._plan("retry")

    # -------------------------------------------------------------------------------- messages

    def availability_problem(self, answer: AvailabilityInput, now: datetime | None = None) -> str | None:
        """Why an answer cannot be taken (validator and handler share it; no writes)."""
        now = now or self.now
        if answer.request_id and answer.request_id in self.answers:
            return None
        invitee = self.invitees.get(answer.application_id)
        if invitee is None or invitee.state in (C.EXCLUDED, C.UNREACHABLE):
            return wording.NOT_INVITED
        if self.terminal or (self.state == E.ESCALATED and not self.plans_made):
            return wording.CLOSED
        if invitee.state in LIVE_LOOPS or invitee.state == C.COMPLETED:
            return wording.BOOKED_ALREADY
        if self.state not in (E.COLLECTING, E.GATHERING) and not self._can_replan(now):
            return wording.CLOSED
        if answer.windows and not self._inside_days(answer.windows):
            return wording.OUTSIDE_DAYS
        if invitee.answers >= MAX_ANSWERS:
            return wording.TOO_MANY_ANSWERS
        return None

    def answer(self, answer: AvailabilityInput, now: datetime) -> AvailabilityResult:
        self.now = now
        self.event = "answer"
        if answer.request_id and answer.request_id in self.answers:
            return self.answers[answer.request_id]
        if problem := self.availability_problem(answer):
            return self._reply(answer.request_id, AvailabilityResult(outcome="refused", message=problem))
        invitee = self.invitees[answer.application_id]
        windows = self._clip(answer.windows)
        if invitee.answers and windows == invitee.windows and invitee.state in (C.ANSWERED, C.UNSCHEDULED):
            return self._reply(  # the same times again: nothing to plan anew
                answer.request_id, AvailabilityResult(outcome="recorded", message=wording.RECORDED_SAME)
            )
        invitee.answers += 1
        invitee.windows = windows
        invitee.answered_at = invitee.answered_at or now  # the waitlist keeps the first answer's place
        invitee.reason = ""
        if not invitee.windows:
            invitee.state = C.UNAVAILABLE
            self._record("unavailable", f"application {invitee.application_id}")
            return self._reply(
                answer.request_id, AvailabilityResult(outcome="recorded", message=wording.UNAVAILABLE)
            )
        invitee.state = C.ANSWERED
        self._record("answered", f"application {invitee.application_id}: {len(invitee.windows)} window(s)")
        if self.state == E.COLLECTING:
            if not any(i.state in WAITING for i in self.invitees.values()):
                self._go(E.PLANNING, event="all_answered")
                self._plan("every candidate answered")
            return self._reply(
                answer.request_id, AvailabilityResult(outcome="recorded", message=wording.RECORDED)
            )
        self._replan("a late answer")
        return self._reply(
            answer.request_id, AvailabilityResult(outcome="recorded", message=wording.RECORDED_LATE)
        )

    def loop_update(self, update: LoopUpdateInput, now: datetime) -> None:
        self.now = now
        self.event = "loop_update"
        invitee = self.invitees.get(update.application_id)
        if invitee is None or invitee.state not in (*LIVE_LOOPS, C.CANCELLED):
            return  # not ours, or already over: a duplicate or a late report changes nothing
        states = {
            "booked": C.BOOKED,
            "handed_over": C.HANDED_OVER,
            "cancelled": C.CANCELLED,
            "completed": C.COMPLETED,
        }
        new = states[update.state]
        if invitee.state == C.CANCELLED and new != C.CANCELLED:
            return
        if invitee.state == new and invitee.reason == update.detail:
            return
        invitee.state, invitee.reason = new, update.detail
        self._record(f"loop_{update.state}", f"application {update.application_id}")
        if new == C.CANCELLED and not self.terminal:
            self._replan("a planned loop was cancelled")

    def cancel(self, request: EventCancelInput, now: datetime) -> EventCommandResult:
        self.now = now
        self.event = "cancel"
        if self.state == E.CANCELLED:
            return EventCommandResult(outcome="done", message=wording.ALREADY_CANCELLED)
        if self.state == E.COMPLETED:
            return EventCommandResult(outcome="refused", message=wording.ALREADY_OVER)
        self._go(E.CANCELLED)
        self.queue = []  # nothing queued has started: no loop, email or note goes out after a cancel
        self._record("cancelled", f"by user {request.user_id or 'unknown'}: {request.reason[:200]}")
        for invitee in self.invitees.values():
            if invitee.state not in LIVE_LOOPS:
                continue
            invitee.state, invitee.reason = C.CANCELLED, "the event was cancelled"
            if invitee.loop_started:
                self._cancel_loop(invitee)
            # A loop still starting is cancelled once its start is confirmed (`_on_started`).
        return EventCommandResult(outcome="done", message=wording.CANCELLED)

    # ------------------------------------------------------------------------------- gathering

    def _list(self) -> None:
        arg = EventApplicationsInput(
            job_id=self.request.job_id,
            job_interview_stage_id=self.request.job_interview_stage_id,
            limit=self.request.policy.max_candidates,
        )
        self._issue(EventCommandKind.LIST, arg, "list the stage's active applications")

    def _on_list(self, command: EventCommand, outcome: EventOutcome) -> None:
        if self.state != E.GATHERING:
            return
        if not outcome.ok:
            self.retry_at = self.now + RETRY_AFTER
            self._escalate(wording.list_failed(outcome.message), "list_failed")
            return
        found: EventApplicationsResult = outcome.result
        if not found.application_ids:
            self.escalation = "no active candidate is in the stage"
            self._go(E.COMPLETED, event="nobody")
            self._record("nobody", self.escalation)
            return
        self._record(
            "listed",
            f"{len(found.application_ids)} application(s)"
            + (f"; {found.more} more left out (the event's limit)" if found.more else ""),
        )
        for application_id in found.application_ids:
            self.invitees[application_id] = EventInvitee(application_id=application_id)
            self._issue(
                EventCommandKind.GATHER,
                GatherInput(
                    application_id=application_id, job_interview_stage_id=self.request.job_interview_stage_id
                ),
                f"read application {application_id}",
                application_id,
            )

    def _on_gather(self, command: EventCommand, outcome: EventOutcome) -> None:
        invitee = self.invitees[command.application_id or 0]
        if outcome.ok:
            context: SchedulingContext = outcome.result
            invitee.context = context
            invitee.candidate_id = context.candidate_id
            invitee.first_name = context.candidate_first_name
            invitee.time_zone = context.candidate_time_zone
            invitee.email = context.candidate_email
            self.job_name, self.stage_name = context.job_name, context.stage_name
            if not context.sessions:
                invitee.state, invitee.reason = C.EXCLUDED, "the stage has no interviews to schedule"
            elif not context.candidate_email:
                invitee.state = C.UNREACHABLE
                invitee.reason = (
                    "Greenhouse's 'can email' is off"
                    if not context.candidate_can_email
                    else "no email address"
                )
        else:
            invitee.state, invitee.reason = C.EXCLUDED, wording.gather_failed(outcome.message)
        if self.state == E.GATHERING and not any(c.kind == EventCommandKind.GATHER for c in self._open()):
            self._gathered()

    def _gathered(self) -> None:
        self._record("gathered", self._counts_text())
        if all(i.context is None for i in self.invitees.values()):
            # Not one application could be read: Greenhouse is down, not the candidates. Try again later.
            first = next(iter(self.invitees.values()))
            self.invitees = {}
            self.retry_at = self.now + RETRY_AFTER
            self._escalate(wording.list_failed(first.reason), "gather_failed")
            return
        reachable = [i.application_id for i in self.invitees.values() if i.state == C.INVITED]
        if not reachable:
            self._ask()
            return
        arg = RunningRequestsInput(
            application_ids=reachable, job_interview_stage_id=self.request.job_interview_stage_id
        )
        self._issue(EventCommandKind.FIND_RUNNING, arg, "look for scheduling requests already running")

    def _on_running(self, command: EventCommand, outcome: EventOutcome) -> None:
        if self.state != E.GATHERING:
            return
        if outcome.ok:
            found: RunningRequestsResult = outcome.result
            for application_id in found.application_ids:
                invitee = self.invitees.get(application_id)
                if invitee is not None and invitee.state == C.INVITED:
                    invitee.state, invitee.reason = C.EXCLUDED, wording.ALREADY_SCHEDULING
        else:  # starting each loop still refuses a second request; say so and go on
            self._record("running_check_failed", outcome.message[:200])
        self._ask()

    def _ask(self) -> None:
        """Ask every reachable candidate for their times, or plan the whole days when there is no time."""
        reachable = [i for i in self.invitees.values() if i.state == C.INVITED]
        if self.answer_by is not None and self.answer_by > self.now and reachable:
            self._go(E.COLLECTING, event="gathered")
            self._invite(reminder=False)
            return
        # No time to ask (or nobody to ask): every candidate who can come is planned for the whole days.
        for invitee in self.invitees.values():
            if invitee.state == C.INVITED and invitee.context is not None:
                invitee.state, invitee.reason, invitee.windows = C.ANSWERED, wording.NOT_ASKED, []
        self._go(E.PLANNING, event="gathered")
        self._plan("no time to ask")

    def _invite(self, *, reminder: bool) -> None:
        for invitee in self.invitees.values():
            if invitee.state not in WAITING or invitee.context is None or not invitee.email:
                continue
            kind = "reminder" if reminder else "invitation"
            self._issue(
                EventCommandKind.EMAIL,
                EmailInput(
                    key=f"{self.wid}/availability/{invitee.application_id}"
                    + ("/reminder" if reminder else ""),
                    template="availability_request",
                    to=[invitee.email],
                    recipient_name=invitee.first_name,
                    recipient_time_zone=invitee.time_zone,
                    context=invitee.context,
                    expires_at=self.answer_by,
                    reason=f"{self.request.name} on {wording.days_text(self.request.days)}",
                    reply_token_workflow_id=f"{self.wid}~{invitee.application_id}",
                    chain_id=self.chain_id,
                ),
                f"email application {invitee.application_id} the event page ({kind})",
                invitee.application_id,
            )
        self._record("reminded" if reminder else "invited", self._counts_text())

    def _on_email(self, command: EventCommand, outcome: EventOutcome) -> None:
        if outcome.ok:
            return
        if command.application_id is None:
            self._record("escalation_email_failed", outcome.message[:200])
            return
        invitee = self.invitees[command.application_id]
        if invitee.state in WAITING:
            invitee.state, invitee.reason = (
                C.UNREACHABLE,
                f"the invitation could not be sent: {outcome.message}"[:480],
            )
            self._record("invitation_failed", f"application {invitee.application_id}")
            if self.state == E.COLLECTING and not any(i.state in WAITING for i in self.invitees.values()):
                self._go(E.PLANNING, event="all_answered")
                self._plan("every reachable candidate answered")

    # -------------------------------------------------------------------------------- planning

    def _can_replan(self, now: datetime | None = None) -> bool:
        return (now or self.now) < self.days[0].start - self.request.policy.replan_until

    def _replan(self, why: str) -> None:
        """Plan the waitlist again around the loops already planned, if there is time and somebody waits."""
        if self.terminal or not self._can_replan() or not self._waitlist():
            return
        if self.state == E.RUNNING:
            self._go(E.PLANNING, event="replan")
            self._plan(why)
        else:
            self.plan_pending = True

    def _waitlist(self) -> list[EventInvitee]:
        waiting = [i for i in self.invitees.values() if i.state in (C.ANSWERED, C.UNSCHEDULED) and i.context]
        return sorted(waiting, key=lambda i: (i.answered_at or self.now, i.application_id))

    def _plan(self, why: str) -> None:
        waitlist = self._waitlist()
        if not waitlist:
            self._record("planned", "nobody to plan")
            self._go(E.RUNNING, event="planned")
            return
        # Loops planned and not handed over stay as they are; a handed-over loop is its request's own now.
        reserved = [
            p for i in self.invitees.values() if i.state in (C.SCHEDULED, C.BOOKED) for p in i.placements
        ]
        context = waitlist[0].context
        assert context is not None
        policy = self.request.policy
        arg = PlanEventInput(
            workflow_id=self.wid,
            days=self.days,
            mode=self.request.mode,
            granularity_minutes=policy.granularity_minutes,
            max_gap_minutes=policy.max_gap_minutes,
            context=context,
            candidates=[
                PlanEventCandidate(application_id=i.application_id, time_zone=i.time_zone, windows=i.windows)
                for i in waitlist
            ],
            reserved=reserved,
            time_limit_seconds=policy.planner_time_limit_seconds,
        )
        self.plan_pending = False
        self._record("planning", f"{len(waitlist)} candidate(s), {len(reserved)} session(s) kept ({why})")
        self._issue(EventCommandKind.PLAN, arg, f"plan {len(waitlist)} candidate(s) for the event")

    def _on_plan(self, command: EventCommand, outcome: EventOutcome) -> None:
        if self.state != E.PLANNING:
            return
        if not outcome.ok:
            self.retry_at = self.now + RETRY_AFTER
            self._escalate(wording.plan_failed(outcome.message), "plan_failed")
            return
        plan: EventPlan = outcome.result
        self.plans_made += 1
        self.escalation = ""
        self.bound = plan.stats.bound_candidates
        started = 0
        for scheduled in plan.scheduled:
            invitee = self.invitees.get(int(scheduled.candidate))
            if invitee is None or invitee.state not in (C.ANSWERED, C.UNSCHEDULED):
                continue
            invitee.state, invitee.reason = C.SCHEDULED, ""
            invitee.placements = sorted(scheduled.placements, key=lambda p: p.start)
            invitee.blockers = []
            invitee.scheduling_workflow_id = scheduling_workflow_id(
                invitee.application_id, self.request.job_interview_stage_id
            )
            started += 1
            self._issue(
                EventCommandKind.START_LOOP,
                self._loop_request(invitee),
                f"book the loop of application {invitee.application_id}",
                invitee.application_id,
            )
        for unscheduled in plan.unscheduled:
            invitee = self.invitees.get(int(unscheduled.candidate))
            if invitee is None or invitee.state not in (C.ANSWERED, C.UNSCHEDULED):
                continue
            reason = wording.blocker_reason(unscheduled.blockers)
            first_time = invitee.state == C.ANSWERED
            invitee.state, invitee.reason, invitee.blockers = C.UNSCHEDULED, reason, unscheduled.blockers
            if first_time and invitee.candidate_id is not None:
                self._issue(
                    EventCommandKind.NOTE,
                    NoteInput(
                        key=f"{self.wid}/unscheduled/{invitee.application_id}",
                        candidate_id=invitee.candidate_id,
                        application_id=invitee.application_id,
                        body=wording.unscheduled_note(self.request.name, self.request.days, reason),
                    ),
                    f"note why application {invitee.application_id} is on the waitlist",
                    invitee.application_id,
                )
        self._record(
            "planned",
            f"plan {self.plans_made}: {started} scheduled, {len(plan.unscheduled)} waitlisted, "
            f"bound {plan.stats.bound_candidates}, {plan.status}",
        )
        if started:
            self._go(E.BOOKING, event="planned")
        else:
            self._go(E.RUNNING, event="planned")
            self._after_running()

    def _loop_request(self, invitee: EventInvitee) -> SchedulingRequest:
        return SchedulingRequest(
            application_id=invitee.application_id,
            job_interview_stage_id=self.request.job_interview_stage_id,
            requested_by_user_id=self.request.requested_by_user_id,
            source="api",
            recruiter_notes=f"{self.request.name} on {wording.days_text(self.request.days)}",
            policy=self.request.loop_policy.model_copy(
                update={
                    "mode": self.request.mode,
                    "granularity_minutes": self.request.policy.granularity_minutes,
                }
            ),
            queues=self.request.queues,
            event_slot=EventSlot(
                event_workflow_id=self.wid,
                placements=invitee.placements,
                windows=invitee.windows or self.days,
            ),
        )

    def _cancel_loop(self, invitee: EventInvitee) -> None:
        assert invitee.scheduling_workflow_id is not None
        self._issue(
            EventCommandKind.CANCEL_LOOP,
            invitee.scheduling_workflow_id,
            f"cancel the loop of application {invitee.application_id}",
            invitee.application_id,
        )

    def _horizon_days(self) -> int:
        """A loop's request must see the event's last day (its re-check plans inside its horizon)."""
        needed = (self.days[-1].end - self.now).days + 2
        return max(self.request.loop_policy.horizon_days, min(90, needed))

    def _on_started(self, command: EventCommand, outcome: EventOutcome) -> None:
        invitee = self.invitees[command.application_id or 0]
        if outcome.ok:
            invitee.loop_started = True
            if self.state == E.CANCELLED:
                self._cancel_loop(invitee)
                return
        if not outcome.ok and invitee.state == C.SCHEDULED:
            invitee.state, invitee.reason = C.EXCLUDED, wording.start_failed(outcome.message)
            invitee.placements = []
            self._record("start_failed", f"application {invitee.application_id}: {outcome.message[:200]}")
            self.plan_pending = self.plan_pending or bool(self._waitlist())
        if self.state == E.BOOKING and not any(c.kind == EventCommandKind.START_LOOP for c in self._open()):
            self._go(E.RUNNING, event="loops_started")
            self._after_running()

    def _after_running(self) -> None:
        if self.plan_pending and self.state == E.RUNNING:
            self.plan_pending = False
            self._replan("places came free while planning")

    def _on_note(self, command: EventCommand, outcome: EventOutcome) -> None:
        if not outcome.ok:
            self._record("note_failed", f"application {command.application_id}: {outcome.message[:200]}")

    def _on_cancelled_loop(self, command: EventCommand, outcome: EventOutcome) -> None:
        if not outcome.ok:
            self._record("cancel_failed", f"application {command.application_id}: {outcome.message[:200]}")

    # ---------------------------------------------------------------------------------- reads

    def status(self) -> EventStatus:
        return EventStatus(
            workflow_id=self.wid,
            state=self.state,
            job_id=self.request.job_id,
            job_interview_stage_id=self.request.job_interview_stage_id,
            job_name=self.job_name,
            stage_name=self.stage_name,
            name=self.request.name,
            days=self.days,
            answer_by=self.answer_by,
            candidates=[
                i.model_copy(update={"context": None, "email": None}) for i in self.invitees.values()
            ],
            plans_made=self.plans_made,
            bound_candidates=self.bound,
            escalation=self.escalation,
            history=self.history,
        )

    def availability_view(self, application_id: int, now: datetime | None = None) -> AvailabilityView:
        invitee = self.invitees.get(application_id)
        candidate_state = invitee.state if invitee else C.EXCLUDED
        problem = self.availability_problem(AvailabilityInput(application_id=application_id), now)
        return AvailabilityView(
            state=self.state,
            open=problem is None,
            candidate_state=candidate_state,
            first_name=invitee.first_name if invitee else "",
            job_name=self.job_name,
            event_name=self.request.name,
            days=self.days,
            candidate_time_zone=invitee.time_zone if invitee else "UTC",
            granularity_minutes=max(30, self.request.policy.granularity_minutes),
            windows=invitee.windows if invitee else [],
            answer_by=self.answer_by,
            placements=invitee.placements if invitee and invitee.state in LIVE_LOOPS else [],
            session_names={s.session_id: s.name for s in invitee.context.sessions}
            if invitee and invitee.context
            else {},
            message=problem or "",
            chain_id=self.chain_id,
        )

    def details(self) -> str:
        """Markdown for the Temporal UI: where the event stands and every candidate's state."""
        lines = [
            f"**{self.state.value}** · {wording.days_text(self.request.days)} ({self.request.time_zone})",
            f"Job {self.request.job_id}, stage {self.request.job_interview_stage_id}"
            + (f" · answers due {self.answer_by:%Y-%m-%d %H:%M} UTC" if self.answer_by else ""),
            "",
            self._counts_text(),
        ]
        if self.bound is not None:
            lines.append(f"Plans made: {self.plans_made} · proven bound: {self.bound} candidate(s)")
        if self.escalation:
            lines.append(f"Waiting on a recruiter: {self.escalation}")
        if self.invitees:
            lines += ["", "| application | state | first session (UTC) | reason |", "|---|---|---|---|"]
            for invitee in list(self.invitees.values())[:80]:
                first = f"{invitee.placements[0].start:%Y-%m-%d %H:%M}" if invitee.placements else ""
                reason = invitee.reason.replace("|", "/").replace("\n", " ")[:160]
                lines.append(f"| {invitee.application_id} | {invitee.state.value} | {first} | {reason} |")
        return "\n".join(lines)

    # -------------------------------------------------------------------------------- helpers

    def _open(self) -> list[EventCommand]:
        return [*self.queue, *self.inflight.values()]

    def _issue(
        self, kind: EventCommandKind, arg: object, summary: str, application_id: int | None = None
    ) -> None:
        self._next_id += 1
        self.queue.append(EventCommand(self._next_id, kind, arg, summary[:100], application_id))

    def _reply(self, request_id: str, result: AvailabilityResult) -> AvailabilityResult:
        if request_id:
            self.answers[request_id] = result
        return result

    def _escalate(self, reason: str, event: str) -> None:
        """Wait for a recruiter, and tell them: the recruiter of the stage's applications, by email."""
        self.escalation = reason
        self.escalations += 1
        self._go(E.ESCALATED, event=event)
        self._record("escalated", reason)
        context = next((i.context for i in self.invitees.values() if i.context is not None), None)
        recruiter = context.person(context.recruiter_id) if context and context.recruiter_id else None
        if context is None or recruiter is None or not recruiter.email:
            return  # nobody known yet to tell: the Temporal UI and `hireflow event status` show it
        self._issue(
            EventCommandKind.EMAIL,
            EmailInput(
                key=f"{self.wid}/escalation/{self.escalations}",
                template="recruiter_escalation",
                to=[recruiter.email],
                recipient_name=recruiter.name,
                recipient_time_zone=recruiter.time_zone,
                context=context,
                reason=f"{self.request.name} on {wording.days_text(self.request.days)}: {reason}",
                reply_token_workflow_id=self.wid,
                reply_role="recruiter",
                reply_user_id=recruiter.user_id,
                chain_id=self.chain_id,
            ),
            "email the recruiter why the event waits for them",
        )

    def _go(self, target: E, *, event: str | None = None) -> None:
        source, name = self.state, event or self.event
        if target == source:
            return
        if not allowed(source, name, target):
            if self.strict:
                raise UndeclaredEventTransitionError(f"{source.value} --{name}--> {target.value}")
            self._record("undeclared_transition", f"{source.value} --{name}--> {target.value}")
        self.state = target

    def _record(self, event: str, detail: str = "") -> None:
        self.history.append(HistoryEntry(at=self.now, event=event, detail=detail[:500]))
        del self.history[:-HISTORY_KEPT]

    def _counts_text(self) -> str:
        counts: dict[str, int] = {}
        for invitee in self.invitees.values():
            counts[invitee.state.value] = counts.get(invitee.state.value, 0) + 1
        if not counts:
            return "no candidates yet"
        return ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))

    def _inside_days(self, windows: list[Interval]) -> bool:
        return all(any(w.start < d.end and d.start < w.end for d in self.days) for w in windows)

    def _clip(self, windows: list[Interval]) -> list[Interval]:
        """The answer's windows cut to the event's days, merged, in order."""
        pieces = sorted(
            (max(w.start, d.start), min(w.end, d.end))
            for w in windows
            for d in self.days
            if w.start < d.end and d.start < w.end
        )
        merged: list[list[datetime]] = []
        for start, end in pieces:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return [Interval(start=s, end=e) for s, e in merged]
