"""Email replies to workflow messages: classify them and hand them to the workflow as a signal.

Auto-replies (out of office, bounces) are dropped here; everything else reaches the workflow, which
decides what the reply means in its current state. The reply body is never logged.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import RPCError

from integrations.logs import get_logger
from integrations.mail.classify import classify_reply
from integrations.mail.inbound import InboundReply
from integrations.scheduling_client import SchedulingClient
from models.messages import CandidateRepliedInput
from models.scheduling import Interval

log = get_logger(__name__)

EXCERPT_CHARS = 300


async def forward_reply(client: Client, reply: InboundReply) -> str:
    """Signal `candidate_replied` on the reply's workflow; returns what happened, for logs and tests."""
    if reply.auto_reply_reason:
        log.info("reply_ignored", workflow_id=reply.workflow_id, reason=reply.auto_reply_reason)
        return "ignored"
    scheduling = SchedulingClient(client)
    try:
        status = await scheduling.status(reply.workflow_id)
    except RPCError as error:
        log.warning("reply_for_unknown_workflow", workflow_id=reply.workflow_id, error=error.message)
        return "unknown_workflow"
    text = reply.new_text or reply.text
    verdict = classify_reply(text, status.candidate_time_zone, reply.received_at)
    windows = [Interval(start=w.start, end=w.end) for w in verdict.windows]
    await scheduling.candidate_replied(
        reply.workflow_id,
        CandidateRepliedInput(
            intent=verdict.intent.value, windows=windows, excerpt=text.strip()[:EXCERPT_CHARS]
        ),
    )
    log.info(
        "reply_forwarded", workflow_id=reply.workflow_id, intent=verdict.intent.value, windows=len(windows)
    )
    return verdict.intent.value
