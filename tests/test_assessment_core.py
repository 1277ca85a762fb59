"""The AssessmentWorkflow's decision core, event by event, without Temporal (milliseconds per test)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from models.activity_io import NoteInput
from models.assessment_io import (
    AssessmentContext,
    AssessmentEmailInput,
    AssessmentPolicy,
    AssessmentRequest,
    DecisionInput,
    DecisionResult,
    DecisionRule,
    ExtendInput,
    GatherAssessmentInput,
    InviteInput,
    WriteBackInput,
)
from models.assessments import (
    AssessmentResult,
    AssessmentState,
    CandidateRef,
    Invitation,
    ProviderEvent,
)
from workflows.assessment_core import (
    AssessmentCommand,
    AssessmentCommandKind,
    AssessmentCore,
    AssessmentOutcome,
)

S = AssessmentState
K = AssessmentCommandKind
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ADA = CandidateRef(email="ada@example.com", first_name="Ada", last_name="L", time_zone="Europe/London")
CONTEXT = AssessmentContext(
    application_id=11,
    candidate_id=22,
    job_id=33,
    job_name="Backend Engineer",
    stage_id=301,
    next_stage_id=302,
    candidate=ADA,
    recruiter_id=5,
    recruiter_email="rita@acme.example",
)


@dataclass
class World:
    """Answers each command like the outside world would; tests change the answers."""

    now: datetime = T0
    context: AssessmentContext = field(default_factory=lambda: CONTEXT)
    result: AssessmentResult | None = None
    fail: dict[K, AssessmentOutcome] = field(default_factory=dict)
    decision: DecisionResult = field(default_factory=lambda: DecisionResult(outcome="done"))
    ran: list[AssessmentCommand] = field(default_factory=list)

    def answer(self, command: AssessmentCommand) -> AssessmentOutcome:
        if command.kind in self.fail:
            return self.fail.pop(command.kind)
        arg = command.input
        if command.kind == K.GATHER:
            return AssessmentOutcome.success(self.context)
        if command.kind == K.INVITE:
            assert isinstance(arg, InviteInput)
            return AssessmentOutcome.success(
                Invitation(
                    provider="embedded",
                    invitation_id="inv-1",
                    test_url="http://127.0.0.1:8710/take/x",
                    invited_at=self.now,
                    deadline=arg.deadline,
                )
            )
        if command.kind == K.FETCH_RESULT:
            return AssessmentOutcome.success(
                self.result or AssessmentResult(invitation_id="inv-1", status="invited")
            )
        if command.kind == K.DECIDE:
            return AssessmentOutcome.success(self.decision)
        return AssessmentOutcome.success()

    def drain(self, core: AssessmentCore) -> None:
        for _ in range(100):
            command = core.next_command()
            if command is None:
                return
            self.ran.append(command)
            core.on_outcome(command, self.answer(command), self.now)
        raise AssertionError("the core never settles")

    def advance(self, core: AssessmentCore, to: datetime) -> None:
        """Fire every timer up to `to`, as the shell's sleeps would."""
        while (wake := core.next_wake()) is not None and wake <= to:
            self.now = max(self.now, wake)
            core.tick(self.now)
            self.drain(core)
        self.now = to

    def kinds(self, kind: K) -> list[AssessmentCommand]:
        return [c for c in self.ran if c.kind == kind]

    def notes(self) -> list[str]:
        return [c.input.body for c in self.kinds(K.ADD_NOTE) if isinstance(c.input, NoteInput)]


def request(**changes: object) -> AssessmentRequest:
    base: dict[str, object] = {
        "application_id": 11,
        "test_key": "python-basics",
        "provider": "embedded",
        "test_id": "python-basics",
        "test_name": "Python basics",
        "rule": DecisionRule(threshold=70),
    }
    return AssessmentRequest.model_validate(base | changes)


def started(**changes: object) -> tuple[AssessmentCore, World]:
    core = AssessmentCore(request(**changes), "assess-11-python-basics", strict=True)
    world = World()
    core.start(world.now)
    world.drain(core)
    return core, world


def completed(world: World, score: float | None = 85.0) -> None:
    world.result = AssessmentResult(
        invitation_id="inv-1", status="completed", score=score, max_score=100, report_url="http://r/1.pdf"
    )


def webhook(event_id: str = "e1", **fields: object) -> ProviderEvent:
    return ProviderEvent.model_validate(
        {"provider": "embedded", "event_id": event_id, "kind": "completed", "invitation_id": "inv-1"} | fields
    )


# ---------------------------------------------------------------------------------------------- paths


def test_invite_remind_complete_write_back_and_advance() -> None:
    core, world = started()
    assert core.state == S.WAITING and core.deadline == T0 + timedelta(days=7)
    invite = world.kinds(K.INVITE)[0].input
    assert isinstance(invite, InviteInput) and invite.reference == "assess-11-python-basics/invite/1"
    world.advance(core, T0 + timedelta(days=6, hours=12))
    reminders = [c.input for c in world.kinds(K.SEND_EMAIL) if isinstance(c.input, AssessmentEmailInput)]
    assert [r.template for r in reminders] == ["assessment_reminder", "assessment_reminder"]
    assert reminders[0].to == ["ada@example.com"] and reminders[0].deadline == core.deadline
    completed(world)
    core.provider_event(webhook(), world.now)
    core.provider_event(webhook(), world.now)  # the provider retried its delivery
    world.drain(core)
    assert len(world.kinds(K.FETCH_RESULT)) == 1
    assert sum(h.event == "provider_completed" for h in core.history) == 1
    write = world.kinds(K.WRITE_BACK)[0].input
    assert isinstance(write, WriteBackInput) and write.values == {"assessment_score": 85.0}
    assert write.report is not None and "85 / 100" in write.note
    decide = world.kinds(K.DECIDE)[0].input
    assert isinstance(decide, DecisionInput)
    assert (decide.action, decide.from_stage_id, decide.to_stage_id) == ("advance", 301, 302)
    assert core.state == S.COMPLETED and core.decision == "advanced" and core.done
    assert any("advanced the application" in n for n in world.notes())


def test_below_the_threshold_only_recommends_review_by_default() -> None:
    core, world = started()
    completed(world, 42)
    core.provider_event(webhook(), world.now)
    world.drain(core)
    assert core.state == S.COMPLETED and not world.kinds(K.DECIDE)
    assert any("below the threshold of 70" in n and "nothing was changed" in n for n in world.notes())


def test_a_rejecting_rule_rejects_with_its_reason_and_dry_run_only_says_so() -> None:
    rule = DecisionRule(threshold=70, below="reject", rejection_reason_id=9)
    core, world = started(rule=rule)
    completed(world, 42)
    core.provider_event(webhook(), world.now)
    world.drain(core)
    decide = world.kinds(K.DECIDE)[0].input
    assert isinstance(decide, DecisionInput) and (decide.action, decide.rejection_reason_id) == ("reject", 9)
    core, world = started(rule=rule.model_copy(update={"dry_run": True}))
    completed(world, 42)
    core.provider_event(webhook(), world.now)
    world.drain(core)
    assert not world.kinds(K.DECIDE) and core.state == S.COMPLETED
    assert any("dry run" in n and "rejected" in n for n in world.notes())


def test_without_a_rule_the_result_is_written_back_and_nothing_decided() -> None:
    core, world = started(rule=DecisionRule())
    completed(world)
    core.provider_event(webhook(), world.now)
    world.drain(core)
    assert core.state == S.COMPLETED and world.kinds(K.WRITE_BACK) and not world.kinds(K.DECIDE)


def test_a_missing_email_escalates_and_resume_invites_once_it_is_fixed() -> None:
    core = AssessmentCore(request(), "assess-11-python-basics", strict=True)
    world = World(context=CONTEXT.model_copy(update={"candidate": None}))
    core.start(world.now)
    world.drain(core)
    assert core.state == S.ESCALATED and "no email" in core.escalation_reason
    assert world.kinds(K.SEND_EMAIL) and not world.kinds(K.INVITE)
    world.context = CONTEXT  # the recruiter added the email in Greenhouse
    assert core.resume("note-1", world.now).outcome == "accepted"
    world.drain(core)
    assert core.state == S.WAITING and len(world.kinds(K.INVITE)) == 1


def test_the_gathered_reason_for_no_email_is_the_escalation_reason_and_the_digest_is_asked_for() -> None:
    digest = "ab" * 32
    core = AssessmentCore(request(expected_email_sha256=digest), "assess-11-python-basics", strict=True)
    reason = "the email address Greenhouse sent with the test is not on the candidate's profile"
    world = World(context=CONTEXT.model_copy(update={"candidate": None, "no_email_reason": reason}))
    core.start(world.now)
    world.drain(core)
    [gather] = world.kinds(K.GATHER)
    assert isinstance(gather.input, GatherAssessmentInput) and gather.input.expected_email_sha256 == digest
    assert core.state == S.ESCALATED and core.escalation_reason == reason


def test_a_refused_invitation_escalates_with_the_providers_reason() -> None:
    core = AssessmentCore(request(), "assess-11-python-basics", strict=True)
    world = World()
    world.fail[K.INVITE] = AssessmentOutcome.failure(
        "AssessmentRejectedError", "test not published", non_retryable=True
    )
    core.start(world.now)
    world.drain(core)
    assert (
        core.state == S.ESCALATED and "refused the invitation (test not published)" in core.escalation_reason
    )
    answer = core.resume("note-2", world.now)
    world.drain(core)
    assert answer.outcome == "accepted" and core.state == S.WAITING
    refs = [c.input.reference for c in world.kinds(K.INVITE) if isinstance(c.input, InviteInput)]
    assert refs == ["assess-11-python-basics/invite/1"] * 2, "a retried invitation keeps its idempotency key"
    assert core.resume("note-2", world.now) == answer, "the same note has one effect"


def test_the_deadline_passing_withdraws_the_invitation_and_expires() -> None:
    core, world = started()
    world.advance(core, T0 + timedelta(days=8))
    assert core.state == S.EXPIRED and core.done
    assert world.kinds(K.CANCEL_INVITE)
    emails = [c.input for c in world.kinds(K.SEND_EMAIL) if isinstance(c.input, AssessmentEmailInput)]
    assert any(e.template == "assessment_escalation" and e.to == ["rita@acme.example"] for e in emails)
    assert any("did not complete" in n for n in world.notes())


def test_a_test_finished_just_before_the_deadline_still_counts() -> None:
    core, world = started()
    completed(world)  # no webhook arrived (lost); the deadline check reads the result
    world.advance(core, T0 + timedelta(days=8))
    assert core.state == S.COMPLETED and world.kinds(K.WRITE_BACK)


def test_a_score_that_lags_the_completion_is_fetched_again_then_escalates() -> None:
    core, world = started()
    completed(world, score=None)
    core.provider_event(webhook(), world.now)
    world.drain(core)
    assert core.state == S.SCORING and core.next_wake() == world.now + timedelta(minutes=1)
    completed(world, 91)
    world.advance(core, world.now + timedelta(minutes=2))
    assert core.state == S.COMPLETED
    core, world = started()
    completed(world, score=None)
    core.provider_event(webhook(), world.now)
    world.drain(core)
    world.advance(core, world.now + timedelta(hours=1))
    assert core.state == S.ESCALATED and "gave no score" in core.escalation_reason


def test_polling_providers_are_polled_until_done() -> None:
    core, world = started(policy=AssessmentPolicy(poll_every=timedelta(hours=1)))
    world.advance(core, T0 + timedelta(hours=3, minutes=1))
    assert len(world.kinds(K.FETCH_RESULT)) == 3 and core.state == S.WAITING
    completed(world)
    world.advance(core, T0 + timedelta(hours=4, minutes=1))
    assert core.state == S.COMPLETED


def test_extend_moves_the_deadline_and_its_reminders_within_a_limit() -> None:
    core, world = started(policy=AssessmentPolicy(max_extensions=1))
    first = core.extend(timedelta(days=3), "note-7", world.now)
    assert first.outcome == "done" and core.deadline == T0 + timedelta(days=10)
    world.drain(core)
    assert core.extend(timedelta(days=3), "note-7", world.now) == first
    assert core.extend(timedelta(days=3), "note-8", world.now).outcome == "refused"
    assert len(world.kinds(K.EXTEND)) == 1
    ext = world.kinds(K.EXTEND)[0].input
    assert isinstance(ext, ExtendInput) and ext.deadline == T0 + timedelta(days=10)
    world.advance(core, T0 + timedelta(days=9, hours=1))
    assert len(world.kinds(K.SEND_EMAIL)) == 2 and core.state == S.WAITING


def test_webhooks_for_other_invitations_or_candidates_change_nothing() -> None:
    core, world = started()
    completed(world)
    core.provider_event(webhook("x1", invitation_id="inv-other"), world.now)
    core.provider_event(webhook("x2", invitation_id=None, email="eve@example.com"), world.now)
    core.provider_event(webhook("x3", provider="hackerrank"), world.now)
    world.drain(core)
    assert core.state == S.WAITING and not world.kinds(K.FETCH_RESULT)
    core.provider_event(
        webhook("x4", invitation_id=None, email="ADA@example.com", test_id="python-basics"), world.now
    )
    world.drain(core)
    assert core.state == S.COMPLETED, "providers that name the candidate by email are matched by it"


def test_cancel_while_the_invitation_is_in_flight_withdraws_it() -> None:
    core = AssessmentCore(request(), "assess-11-python-basics", strict=True)
    world = World()
    core.start(world.now)
    gather = core.next_command()
    assert gather is not None
    core.on_outcome(gather, world.answer(gather), world.now)
    invite = core.next_command()
    assert invite is not None and invite.kind == K.INVITE
    assert core.cancel("recruiter", "role closed", "note-9", world.now).outcome == "accepted"
    core.on_outcome(invite, world.answer(invite), world.now)
    world.drain(core)
    assert core.state == S.CANCELLED and world.kinds(K.CANCEL_INVITE)
    assert core.cancel("recruiter", "again", "note-10", world.now).outcome == "refused"


def test_a_closed_application_stops_before_or_after_inviting() -> None:
    core = AssessmentCore(request(), "assess-11-python-basics", strict=True)
    world = World(context=CONTEXT.model_copy(update={"status": "rejected"}))
    core.start(world.now)
    world.drain(core)
    assert core.state == S.CANCELLED and not world.kinds(K.INVITE)
    core, world = started()
    core.application_closed("rejected", world.now)
    world.drain(core)
    assert core.state == S.CANCELLED and world.kinds(K.CANCEL_INVITE)


def test_a_failed_write_back_escalates_and_resume_writes_it_once_more() -> None:
    core, world = started()
    completed(world)
    world.fail[K.WRITE_BACK] = AssessmentOutcome.failure("HarvestUnavailable", "503 for 12 hours")
    core.provider_event(webhook(), world.now)
    world.drain(core)
    assert core.state == S.ESCALATED and "could not be written" in core.escalation_reason
    core.resume("note-3", world.now)
    world.drain(core)
    keys = [c.input.key for c in world.kinds(K.WRITE_BACK) if isinstance(c.input, WriteBackInput)]
    assert core.state == S.COMPLETED and len(keys) == 2 and len(set(keys)) == 1


def test_an_application_moved_meanwhile_is_left_where_it_is() -> None:
    core, world = started()
    world.decision = DecisionResult(outcome="moved_meanwhile")
    completed(world)
    core.provider_event(webhook(), world.now)
    world.drain(core)
    assert core.state == S.COMPLETED and core.decision.startswith("skipped")
    assert any("moved or closed it meanwhile" in n for n in world.notes())


def test_greenhouse_partner_requests_are_told_when_the_result_is_in() -> None:
    core, world = started(source="partner", partner_callback_url="https://app.greenhouse.io/cb/1")
    completed(world)
    core.provider_event(webhook(), world.now)
    world.drain(core)
    assert [c.input.url for c in world.kinds(K.NOTIFY_PARTNER)] == ["https://app.greenhouse.io/cb/1"]  # type: ignore[union-attr]


def test_cancel_reasons_in_notes_are_inert() -> None:
    core, world = started()
    core.cancel("recruiter", "see [here](https://evil.example)", "n", world.now)
    world.drain(core)
    assert all("https://" not in n and "](" not in n for n in world.notes())


@pytest.mark.parametrize("make", [lambda: started()[0]])
def test_status_names_no_candidate_data(make: Callable[[], AssessmentCore]) -> None:
    text = make().status().model_dump_json()
    assert "ada@example.com" not in text and "Ada" not in text


def test_the_state_diagram_in_the_docs_is_the_table() -> None:
    import re
    from pathlib import Path

    from workflows.assessment_core.table import mermaid

    text = (Path(__file__).resolve().parents[1] / "docs" / "workflows.md").read_text()
    found = re.search(
        r"<!-- assessment-diagram:begin -->\n```mermaid\n(.*?)\n```\n<!-- assessment-diagram:end -->",
        text,
        re.S,
    )
    assert found and found.group(1) == mermaid(), (
        "paste workflows/assessment_core/table.mermaid() into the docs"
    )


# ------------------------------------------------------------------------------------------- lean runs


def lean_core(run_tag: str = "run0001a") -> tuple[AssessmentCore, World]:
    core = AssessmentCore(request(), "assess-11-python-basics", strict=True, lean=True, run_tag=run_tag)
    lean_context = CONTEXT.model_copy(update={"next_stage_id": None, "recruiter_email": None})
    world = World(context=lean_context)
    core.start(world.now)
    world.drain(core)
    return core, world


def test_a_lean_run_keys_its_writes_by_run_and_asks_no_lookup_before_a_first_post() -> None:
    core, world = lean_core()
    [gather] = world.kinds(K.GATHER)
    assert isinstance(gather.input, GatherAssessmentInput) and gather.input.lean
    [invite] = world.kinds(K.INVITE)
    assert isinstance(invite.input, InviteInput)
    assert invite.input.reference == "assess-11-python-basics/run0001a/invite/1"
    completed(world)
    core.provider_event(webhook(), world.now)
    world.drain(core)
    [write] = world.kinds(K.WRITE_BACK)
    assert isinstance(write.input, WriteBackInput) and write.input.first_issue
    assert write.input.key.startswith("assess-11-python-basics/run0001a/")
    [decide] = world.kinds(K.DECIDE)
    assert isinstance(decide.input, DecisionInput) and decide.input.to_stage_id is None, "the move advances"
    notes = [c.input for c in world.kinds(K.ADD_NOTE) if isinstance(c.input, NoteInput)]
    assert notes and all(n.first_issue for n in notes)


def test_a_retake_writes_under_new_keys_and_a_reissued_write_looks_first() -> None:
    first, _ = lean_core("run0001a")
    second, world = lean_core("run0002b")
    assert first.key_base != second.key_base
    completed(world)
    world.fail[K.WRITE_BACK] = AssessmentOutcome.failure("HarvestUnavailableError", "Greenhouse is down")
    second.provider_event(webhook(), world.now)
    world.drain(second)
    assert second.state == S.ESCALATED
    assert second.resume("note-1", world.now).outcome == "accepted"
    world.drain(second)
    writes = [c.input for c in world.kinds(K.WRITE_BACK) if isinstance(c.input, WriteBackInput)]
    assert len(writes) == 2 and writes[0].key == writes[1].key
    assert [w.first_issue for w in writes] == [True, False], "the first write may have landed in part"


def test_a_lean_escalation_mails_the_recruiter_by_user_id_and_an_old_run_by_address() -> None:
    core, world = lean_core()
    world.fail[K.FETCH_RESULT] = AssessmentOutcome.failure("AssessmentRejectedError", "gone")
    completed(world)
    core.provider_event(webhook(), world.now)
    world.drain(core)
    mails = [c.input for c in world.kinds(K.SEND_EMAIL) if isinstance(c.input, AssessmentEmailInput)]
    assert core.state == S.ESCALATED and mails
    assert mails[-1].to == [] and mails[-1].to_user_id == CONTEXT.recruiter_id
    old = AssessmentCore(request(), "assess-11-python-basics", strict=True)
    old_world = World()
    old.start(old_world.now)
    old_world.drain(old)
    old_world.fail[K.FETCH_RESULT] = AssessmentOutcome.failure("AssessmentRejectedError", "gone")
    completed(old_world)
    old.provider_event(webhook(), old_world.now)
    old_world.drain(old)
    old_mails = [c.input for c in old_world.kinds(K.SEND_EMAIL) if isinstance(c.input, AssessmentEmailInput)]
    assert old_mails[-1].to == ["rita@acme.example"] and old_mails[-1].to_user_id is None
