"""What the assessment core asks the shell to do, and what the shell reports back."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from models.activity_io import NoteInput
from models.assessment_io import (
    AssessmentContext,
    AssessmentEmailInput,
    DecisionInput,
    DecisionResult,
    ExtendInput,
    GatherAssessmentInput,
    InvitationRef,
    InviteInput,
    NotifyPartnerInput,
    WriteBackInput,
)
from models.assessments import AssessmentResult, Invitation
from models.failure_policy import CallKind, System


class AssessmentCommandKind(StrEnum):
    """One per activity the AssessmentWorkflow calls."""

    GATHER = "gather"
    INVITE = "invite"
    EXTEND = "extend"
    CANCEL_INVITE = "cancel_invite"
    FETCH_RESULT = "fetch_result"
    WRITE_BACK = "write_back"
    DECIDE = "decide"
    ADD_NOTE = "add_note"
    SEND_EMAIL = "send_email"
    NOTIFY_PARTNER = "notify_partner"


CommandInput = (
    GatherAssessmentInput
    | InviteInput
    | ExtendInput
    | InvitationRef
    | WriteBackInput
    | DecisionInput
    | NoteInput
    | AssessmentEmailInput
    | NotifyPartnerInput
)
ActivityResult = AssessmentContext | Invitation | AssessmentResult | DecisionResult

CALLS: dict[AssessmentCommandKind, tuple[System, CallKind]] = {
    AssessmentCommandKind.GATHER: (System.GREENHOUSE, CallKind.READ),
    AssessmentCommandKind.INVITE: (System.ASSESSMENTS, CallKind.IDEMPOTENT_WRITE),
    AssessmentCommandKind.EXTEND: (System.ASSESSMENTS, CallKind.IDEMPOTENT_WRITE),
    AssessmentCommandKind.CANCEL_INVITE: (System.ASSESSMENTS, CallKind.IDEMPOTENT_WRITE),
    AssessmentCommandKind.FETCH_RESULT: (System.ASSESSMENTS, CallKind.READ),
    AssessmentCommandKind.WRITE_BACK: (System.GREENHOUSE, CallKind.IDEMPOTENT_WRITE),
    AssessmentCommandKind.DECIDE: (System.GREENHOUSE, CallKind.IDEMPOTENT_WRITE),
    AssessmentCommandKind.ADD_NOTE: (System.GREENHOUSE, CallKind.IDEMPOTENT_WRITE),
    AssessmentCommandKind.SEND_EMAIL: (System.MAIL, CallKind.IDEMPOTENT_WRITE),
    AssessmentCommandKind.NOTIFY_PARTNER: (System.GREENHOUSE, CallKind.IDEMPOTENT_WRITE),
}


class AssessmentCommand(BaseModel):
    """One activity call the core wants made."""

    id: int
    kind: AssessmentCommandKind
    input: CommandInput
    summary: str

    @property
    def system(self) -> System:
        return CALLS[self.kind][0]

    @property
    def call(self) -> CallKind:
        return CALLS[self.kind][1]


class AssessmentOutcome(BaseModel):
    """What became of a command: its result, or why it finally failed (`non_retryable`: a 4xx)."""

    ok: bool
    result: ActivityResult | None = None
    error_type: str = ""
    message: str = ""
    non_retryable: bool = False

    @classmethod
    def success(cls, result: ActivityResult | None = None) -> AssessmentOutcome:
        return cls(ok=True, result=result)

    @classmethod
    def failure(cls, error_type: str, message: str, *, non_retryable: bool = False) -> AssessmentOutcome:
        return cls(ok=False, error_type=error_type, message=message, non_retryable=non_retryable)
