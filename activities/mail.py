"""The email activity: turn a workflow's `EmailInput` into a typed template context and send it once.

The outbox (keyed by `EmailInput.key`) makes a retried activity find the email its first attempt
sent. Links to the candidate's pages are signed here, so the workflow never handles secrets.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from integrations.event_client import parse_event_link_subject
from integrations.links import LinkPurpose, event_link_url, link_url, make_link_token
from integrations.logs import get_logger
from integrations.mail import contexts as mail
from integrations.mail.ics import Attendee as IcsAttendee
from integrations.mail.ics import CalendarInvite
from integrations.mail.service import MailRequest, MailService, ProfileTarget
from integrations.mail.transport import PermanentMailError, TransientMailError
from integrations.org_store import OrgConfigStore
from models.activity_io import EmailInput, EmailResult
from models.messages import BookedSession, SchedulingContext, chain_ref
from models.org_config import OrgSettings
from models.settings import Settings
from models.time_order import in_time_order

log = get_logger(__name__)

# Mail to people other than the candidate; everything else is copied onto the candidate's profile.
NOT_TO_CANDIDATE = frozenset({"interviewer_notice", "recruiter_escalation"})
# Mail whose replies no workflow reads: no signed reply address (replies reach the From address, never
# a workflow), and the email says to answer on the page. An event's availability request is one: the
# inbound side routes replies to scheduling workflows only, and the event's answer is its page's form.
UNROUTED_REPLIES = frozenset({"availability_request"})


def _names(context: SchedulingContext, session: BookedSession) -> list[str]:
    return [p.name if (p := context.person(u)) else f"user {u}" for u in session.interviewers]


def mail_session(context: SchedulingContext, session: BookedSession) -> mail.Session:
    return mail.Session(
        title=session.name,
        start=session.start,
        end=session.end,
        interviewers=_names(context, session),
        location=session.room,
        video_url=session.video_url,
    )


def loop_summary(context: SchedulingContext) -> str:
    minutes = sum(s.duration_minutes for s in context.sessions)
    count = len(context.sessions)
    hours, rest = divmod(minutes, 60)
    length = (
        f"{hours} hour{'s' if hours != 1 else ''}" + (f" {rest} minutes" if rest else "")
        if hours
        else f"{rest} minutes"
    )
    return f"{count} interview{'s' if count != 1 else ''}, about {length} in all"


class MailActivities:
    """Sends the SchedulingWorkflow's emails through the outbox."""

    def __init__(self, service: MailService, settings: Settings, org: OrgConfigStore) -> None:
        self.service = service
        self.settings = settings
        self.org = org

    def _link(self, workflow_id: str, purpose: LinkPurpose, expires_at: datetime, chain_id: str = "") -> str:
        """A signed page link; bound to the request's chain when the workflow gave one."""
        token = make_link_token(
            workflow_id,
            purpose,
            expires_at,
            self.settings.signing_secret.get_secret_value(),
            chain_id=chain_id or None,
        )
        return link_url(self.settings.web_base_url, token)

    def _event_link(self, subject: str, expires_at: datetime, chain_id: str = "") -> str:
        """The event page's signed link for one candidate (`subject`: "<event wid>~<application id>")."""
        if parse_event_link_subject(subject) is None:
            raise ValueError(
                f"{subject!r} is not an event link subject (<event workflow id>~<application id>)"
            )
        token = make_link_token(
            subject,
            "availability",
            expires_at,
            self.settings.signing_secret.get_secret_value(),
            chain_id=chain_id or None,
        )
        return event_link_url(self.settings.web_base_url, token)

    def _context(self, request: EmailInput, now: datetime, org: OrgSettings) -> mail.AnyMailContext:
        context = request.context
        workflow_id = request.reply_token_workflow_id or request.key.split("/", 1)[0]
        common = {
            "recipient_name": request.recipient_name or "there",
            "company_name": org.company_name,
            "job_title": context.job_name,
            "time_zone": request.recipient_time_zone or context.candidate_time_zone,
        }
        sessions = [mail_session(context, s) for s in request.booking_sessions]
        chain = request.chain_id
        expires = request.expires_at or now + timedelta(days=7)
        last = max((s.end for s in request.booking_sessions), default=now) + timedelta(days=1)
        match request.template:
            case "invitation":
                return mail.InvitationContext(
                    **common,
                    schedule_url=self._link(workflow_id, "pick", expires, chain),
                    expires_at=expires,
                    loop_summary=loop_summary(context),
                )
            case "availability_request":
                # An event's question; reply_token_workflow_id is the event link subject.
                return mail.AvailabilityRequestContext(
                    **common,
                    availability_url=self._event_link(workflow_id, expires, chain),
                    respond_by=request.expires_at,
                    duration_summary=loop_summary(context),
                    event=request.reason,
                )
            case "reminder":
                return mail.ReminderContext(
                    **common,
                    about="pick_time",
                    action_url=self._link(workflow_id, "pick", expires, chain),
                )
            case "confirmation":
                return mail.ConfirmationContext(
                    **common,
                    sessions=sessions,
                    reschedule_url=self._link(workflow_id, "reschedule", last, chain),
                    cancel_url=self._link(workflow_id, "cancel", last, chain),
                )
            case "reschedule":
                return mail.RescheduleContext(
                    **common,
                    previous_sessions=[mail_session(context, s) for s in request.previous_sessions],
                    sessions=sessions,
                    reason=request.reason or None,
                    reschedule_url=self._link(workflow_id, "reschedule", last, chain),
                )
            case "cancellation":
                return mail.CancellationContext(**common, sessions=sessions, reason=request.reason or None)
            case "interviewer_notice":
                return mail.InterviewerNoticeContext(
                    **common,
                    action=request.notice_action,
                    candidate_name=context.candidate_first_name or "the candidate",
                    session=sessions[0],
                )
            case "cancel_confirmation":
                return mail.CancelConfirmationContext(
                    **common,
                    sessions=sessions,
                    cancel_url=self._link(workflow_id, "cancel", max(last, now + timedelta(days=3)), chain),
                )
            case "recruiter_escalation":
                return mail.EscalationContext(
                    **common,
                    candidate_name=context.candidate_first_name or f"candidate {context.candidate_id}",
                    reason=request.reason,
                    details=[
                        f"Application {context.application_id}, {context.stage_name} for {context.job_name}"
                    ],
                    workflow_url=self.settings.workflow_ui_url(workflow_id),
                )
        raise ApplicationError(
            f"no email template for {request.template!r}", type="MailTemplateError", non_retryable=True
        )

    def _invite(self, request: EmailInput, org: OrgSettings) -> CalendarInvite | None:
        if request.ics_method is None or not request.booking_sessions:
            return None
        context = request.context
        lines = [
            f"{s.name}: {s.start:%H:%M}-{s.end:%H:%M} UTC with {', '.join(_names(context, s))}"
            for s in in_time_order(request.booking_sessions)
        ]
        video = next((s.video_url for s in request.booking_sessions if s.video_url), None)
        return CalendarInvite(
            uid=request.ics_uid or request.key,
            sequence=request.ics_sequence,
            start=min(s.start for s in request.booking_sessions),
            end=max(s.end for s in request.booking_sessions),
            summary=f"{context.stage_name}: {context.job_name} at {org.company_name}",
            description="\n".join(lines),
            location=video or next((s.room for s in request.booking_sessions if s.room), None),
            url=video,
            organizer_email=self.settings.calendar_organizer,
            organizer_name=f"{org.company_name} recruiting",
            attendees=[
                IcsAttendee(email=address, name=request.recipient_name or None) for address in request.to
            ],
        )

    @staticmethod
    def _profile(request: EmailInput) -> ProfileTarget | None:
        """The candidate's profile for mail to the candidate; None for interviewers and recruiters."""
        if request.template in NOT_TO_CANDIDATE or request.reply_role not in (None, "candidate"):
            return None
        return ProfileTarget(
            candidate_id=request.context.candidate_id, application_id=request.context.application_id
        )

    @activity.defn
    async def send_email(self, request: EmailInput) -> EmailResult:
        """Render and send, at most once per key."""
        now = datetime.now().astimezone()
        org = await self.org.aorg()
        try:
            mail_request = MailRequest(
                idempotency_key=request.key,
                purpose=request.template,
                to=request.to,
                context=self._context(request, now, org),
                workflow_id=None if request.template in UNROUTED_REPLIES else request.reply_token_workflow_id,
                reply_role=request.reply_role,
                reply_user_id=request.reply_user_id,
                chain_ref=chain_ref(request.chain_id) if request.chain_id else "",
                invite=self._invite(request, org),
                ics_method=request.ics_method or "REQUEST",
                profile=self._profile(request),
            )
        except ValueError as error:
            raise ApplicationError(
                f"email {request.template} is invalid: {error}", type="MailInputError", non_retryable=True
            ) from error
        try:
            outcome = await self.service.send(mail_request)
        except PermanentMailError as error:
            raise ApplicationError(
                f"email refused: {error}", type="MailRefusedError", non_retryable=True
            ) from error
        except TransientMailError as error:
            raise ApplicationError(f"mail relay unavailable: {error}", type="MailUnavailableError") from error
        log.info(
            "email_sent",
            workflow_id=request.reply_token_workflow_id,
            template=request.template,
            already_sent=outcome.already_sent,
            status=str(outcome.status),
        )
        return EmailResult(message_id=outcome.message_id, sent=True, duplicate=outcome.already_sent)
