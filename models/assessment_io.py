"""Typed inputs and results of the AssessmentWorkflow's activities (one model per message)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from models.assessments import CandidateRef, Primitive, ProviderName
from models.messages import TaskQueues


class DecisionRule(BaseModel):
    """What a score decides. Off by default: without a threshold the result is only written back."""

    threshold: float | None = Field(default=None, description="Advance at this score or more.")
    below: Literal["note", "reject"] = Field(
        default="note", description="Below it: a note recommending review, or a rejection (opt-in)."
    )
    rejection_reason_id: int | None = None
    advance_to_stage_id: int | None = Field(default=None, description="None: the next stage of the plan.")
    dry_run: bool = Field(default=False, description="Write what would be done as a note, do nothing.")

    @model_validator(mode="after")
    def _reject_needs_a_reason(self) -> DecisionRule:
        if self.below == "reject" and self.rejection_reason_id is None:
            raise ValueError("a rule that rejects needs rejection_reason_id")
        return self


class AssessmentPolicy(BaseModel):
    """Timing of one assessment; defaults from the issue (reminders 72 h and 24 h before the deadline)."""

    deadline: timedelta = Field(default=timedelta(days=7), gt=timedelta(0))
    reminders_before: list[timedelta] = Field(
        default_factory=lambda: [timedelta(hours=72), timedelta(hours=24)]
    )
    poll_every: timedelta | None = Field(
        default=None, description="Poll the provider this often (providers without webhooks)."
    )
    score_wait: timedelta = Field(
        default=timedelta(minutes=30), description="How long a completed test may still lack its score."
    )
    max_extensions: int = Field(default=3, ge=0)


class AssessmentRequest(BaseModel):
    """Start input of the AssessmentWorkflow: ids and configuration only (no personal data)."""

    application_id: int
    test_key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    provider: ProviderName
    test_id: str = Field(min_length=1, max_length=128)
    test_name: str = Field(min_length=1, max_length=300)
    source: Literal["stage", "mention", "partner", "cli"] = "cli"
    policy: AssessmentPolicy = Field(default_factory=AssessmentPolicy)
    rule: DecisionRule = Field(default_factory=DecisionRule)
    field_map: dict[str, str] = Field(
        default_factory=lambda: {"score": "assessment_score"},
        description="Result value (score, percentile, status, report_url) → application custom field name_key.",
    )
    partner_callback_url: str | None = Field(default=None, description="Greenhouse's url from send_test.")
    expected_email_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="Digest of the address Greenhouse's Send Test named: it must be on the profile.",
    )
    requested_by: int | None = None
    queues: TaskQueues = Field(default_factory=TaskQueues)


class AssessmentContext(BaseModel):
    """What Greenhouse says about the application, read once at the start (and on resume)."""

    application_id: int
    candidate_id: int
    job_id: int
    job_name: str
    stage_id: int | None = Field(default=None, description="The job interview stage the application is in.")
    next_stage_id: int | None = None
    status: Literal["in_process", "rejected", "hired", "converted"] = "in_process"
    candidate: CandidateRef | None = Field(default=None, description="None: cannot be emailed (see why).")
    no_email_reason: str = Field(default="", description="Why `candidate` is None, in a recruiter's words.")
    recruiter_id: int | None = None
    recruiter_email: str | None = None


class GatherAssessmentInput(BaseModel):
    application_id: int
    expected_email_sha256: str | None = None
    lean: bool = Field(
        default=False,
        description="Skip the stage list and the recruiter's address (read when a mail needs it).",
    )


class InviteInput(BaseModel):
    provider: ProviderName
    reference: str
    test_id: str
    candidate: CandidateRef
    deadline: AwareDatetime
    job_name: str = ""


class InvitationRef(BaseModel):
    """One invitation at a provider (cancel, fetch)."""

    provider: ProviderName
    invitation_id: str


class ExtendInput(BaseModel):
    provider: ProviderName
    invitation_id: str
    deadline: AwareDatetime


class WriteBackInput(BaseModel):
    """Everything written to Greenhouse for a result: one custom-field request, a note, the report."""

    key: str
    application_id: int
    candidate_id: int
    values: dict[str, Primitive] = Field(default_factory=dict, description="name_key → value, one request.")
    note: str
    report: InvitationRef | None = Field(default=None, description="Attach the provider's PDF report.")
    report_filename: str = "assessment-report.pdf"
    first_issue: bool = Field(
        default=False, description="First time the workflow asks for this key: attempt 1 skips the lookups."
    )


class DecisionInput(BaseModel):
    key: str
    application_id: int
    action: Literal["advance", "reject"]
    from_stage_id: int | None = None
    to_stage_id: int | None = None
    rejection_reason_id: int | None = None


class DecisionResult(BaseModel):
    outcome: Literal["done", "moved_meanwhile"]
    detail: str = ""


class AssessmentEmailInput(BaseModel):
    """A mail of the assessment process (the templates say the rest)."""

    key: str
    template: Literal["assessment_reminder", "assessment_escalation"]
    to: list[str] = Field(default_factory=list)
    to_user_id: int | None = Field(default=None, description="A Greenhouse user, read when sending.")
    recipient_name: str = ""
    time_zone: str = "UTC"
    job_name: str = ""
    test_name: str = ""
    test_url: str | None = None
    deadline: AwareDatetime | None = None
    reason: str = ""
    candidate_id: int | None = Field(
        default=None, description="Mail to the candidate: its copy is logged on this profile."
    )
    application_id: int | None = None

    @model_validator(mode="after")
    def _someone(self) -> AssessmentEmailInput:
        if not self.to and self.to_user_id is None:
            raise ValueError("an assessment email needs `to` or `to_user_id`")
        return self


class NotifyPartnerInput(BaseModel):
    """Greenhouse's Partner API callback: PATCH the url (no body) so it reads test_status."""

    key: str
    url: str


class AssessmentHistoryEntry(BaseModel):
    at: AwareDatetime
    event: str
    detail: str = ""


class AssessmentStatusSnapshot(BaseModel):
    """The `status` query: what a recruiter, the Partner API and the CLI read."""

    workflow_id: str
    application_id: int
    test_name: str
    state: str
    deadline: AwareDatetime | None = None
    reminders_sent: int = 0
    extensions: int = 0
    invitation_id: str | None = None
    score: float | None = None
    max_score: float | None = None
    percentile: float | None = None
    report_url: str | None = None
    decision: str = ""
    escalation_reason: str = ""
    waiting_for: str = ""
    history: list[AssessmentHistoryEntry] = Field(default_factory=list)


# ------------------------------------------------------------------------------------ updates


class ExtendAssessmentInput(BaseModel):
    """Move the deadline later by `days` and `hours` (at least an hour in all; older payloads carry days only)."""

    days: int = Field(ge=0, le=60)
    hours: int = Field(default=0, ge=0, le=23)
    request_id: str = Field(min_length=1, max_length=200, description="The note's id: one effect per note.")

    @model_validator(mode="after")
    def _at_least_an_hour(self) -> ExtendAssessmentInput:
        if self.by < timedelta(hours=1):
            raise ValueError("extend by at least one hour")
        return self

    @property
    def by(self) -> timedelta:
        return timedelta(days=self.days, hours=self.hours)


class StopAssessmentInput(BaseModel):
    by: str = Field(default="recruiter", max_length=40)
    reason: str = Field(default="", max_length=2000)
    request_id: str = Field(min_length=1, max_length=200)


class ResumeAssessmentInput(BaseModel):
    request_id: str = Field(min_length=1, max_length=200)


class AssessmentAnswer(BaseModel):
    """What an update did (done, accepted, refused) in a person's words, and the state after it."""

    outcome: str
    message: str
    state: str
    deadline: AwareDatetime | None = Field(default=None, description="The deadline after the update.")
