"""Email replies to workflow messages: classify them and hand them to the workflow as a signal.

Auto-replies (out of office, bounces) are dropped here; everything else reaches the workflow with who
sent it, whether that was authenticated, and whose reply address it came to. The workflow decides
whether it may act (only the candidate's own address acts for the candidate). Runs started before
replies were attributed cannot tell senders or roles apart, so only an authenticated reply from the
candidate's address on record to the candidate's address is passed to them. Classification runs in a thread: a huge hostile reply must not stall
the event loop. The reply body is never logged.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import RPCError

from integrations.logs import get_logger
from integrations.mail.classify import classify_reply_off_loop
from integrations.mail.inbound import InboundReply
from integrations.scheduling_client import SchedulingClient
from models.messages import CandidateRepliedInput
from models.scheduling import Interval

log = get_logger(__name__)

EXCERPT_CHARS = 300
EVENT_PREFIX = "event-"  # models.event_io.event_workflow_id; its link subjects start the same way


async def _from_candidate_on_record(scheduling: SchedulingClient, reply: InboundReply) -> bool:
    """The reply came, authenticated, from the candidate's address on record to the candidate's address."""
    if reply.reply_role not in (None, "candidate") or not reply.sender_authenticated:
        return False
    context = await scheduling.page_context(reply.workflow_id)
    address = (context.candidate_email or "") if context else ""
    return bool(address) and reply.sender.strip().lower() == address.strip().lower()


async def forward_reply(client: Client, reply: InboundReply) -> str:
    """Signal `candidate_replied` on the reply's workflow; returns what happened, for logs and tests."""
    if reply.auto_reply_reason:
        log.info("reply_ignored", workflow_id=reply.workflow_id, reason=reply.auto_reply_reason)
        return "ignored"
    if reply.workflow_id.startswith(EVENT_PREFIX):
        # An event's mail is answered on its page, not by email (its emails carry no reply address);
        # a reply naming an event is dropped here, never retried against a scheduling query it lacks.
        log.info("reply_for_event_ignored", workflow_id=reply.workflow_id)
        return "event"
    scheduling = SchedulingClient(client)
    try:
        status = await scheduling.status(reply.workflow_id)
    except RPCError as error:
        log.warning("reply_for_unknown_workflow", workflow_id=reply.workflow_id, error=error.message)
        return "unknown_workflow"
    if not status.replies_attributed and not await _from_candidate_on_record(scheduling, reply):
        # A run from before attribution would act on any reply as the candidate's: only theirs reaches it.
        log.warning("reply_not_forwarded", workflow_id=reply.workflow_id, reason="run predates reply roles")
        return "not_forwarded"
    text = reply.new_text or reply.text
    verdict = await classify_reply_off_loop(text, status.candidate_time_zone, reply.received_at)
    intent = (
        "decline" if reply.rsvp == "DECLINED" and reply.reply_role == "interviewer" else verdict.intent.value
    )
    windows = [Interval(start=w.start, end=w.end) for w in verdict.windows]
    await scheduling.candidate_replied(
        reply.workflow_id,
        CandidateRepliedInput(
            intent=intent,
            windows=windows,
            excerpt=text.strip()[:EXCERPT_CHARS],
            sender=reply.sender[:320],
            sender_authenticated=reply.sender_authenticated,
            role=reply.reply_role,
            user_id=reply.reply_user_id,
            chain_ref=reply.chain_ref,
        ),
    )
    log.info(
        "reply_forwarded",
        workflow_id=reply.workflow_id,
        intent=intent,
        windows=len(windows),
        role=reply.reply_role or "unknown",
        authenticated=reply.sender_authenticated,
    )
    return intent
