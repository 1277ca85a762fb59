"""Classify a candidate's reply: confirm, decline, propose times, cancel, or question.

Rule-based and deterministic (the same text always gives the same answer, so the workflow can
call it directly with `workflow.now()` as the reference). Order of precedence: withdrawing from the
process beats everything; concrete times beat a bare "that doesn't work" (unless the reply clearly
confirms them); a decline beats agreement words; weak agreement ("thanks", "ok") counts only without a
question; anything else we cannot act on is a question for the recruiter.

Anyone can write to a reply address, so the text is hostile until proven otherwise: only its first
`MAX_REPLY_CHARS` characters are read, every pattern runs in linear time, and async callers use
`classify_reply_off_loop` so that even the capped work never holds an event loop.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from integrations.mail.timeparse import MAX_TEXT_CHARS, TimeWindow, parse_time_windows

MAX_REPLY_CHARS = MAX_TEXT_CHARS
"""A reply's new text is classified on its first 10,000 characters (intent and proposed times come
first; what follows is signatures and disclaimers). The excerpt the workflow keeps is shorter still."""


class ReplyIntent(StrEnum):
    CONFIRM = "confirm"
    DECLINE = "decline"
    PROPOSE_TIMES = "propose_times"
    CANCEL = "cancel"
    QUESTION = "question"


class ReplyClassification(BaseModel):
    """What the reply asks for; `windows` are the proposed times (UTC) when there are any."""

    model_config = ConfigDict(frozen=True)

    intent: ReplyIntent
    windows: list[TimeWindow] = []
    has_question: bool = False
    matched: str | None = None


_CANCEL = re.compile(
    r"\b(withdraw(ing)?|no longer (interested|looking|available for (this|the) (role|position))|"
    r"not interested|accepted (another|an(other)?) (offer|position|role)|taken (another|a) (job|position|role)|"
    r"(please )?cancel (the|my|our|all)?\s*(interviews?|application|process)|remove me|take me out|"
    r"pull(ing)? out|decided not to (proceed|continue|move forward)|stop (the|my) (process|application))\b",
    re.I,
)
_DECLINE = re.compile(
    r"(\b(can ?no[t]?|can't|cannot|won't|will not|unable to|not able to) (make|attend|do|join)\b|"
    r"\b(does ?n[o']t|do ?n[o']t|won'?t|will not) work\b|\bnot (available|free)\b|"
    r"\bnone of (these|those|the|them)\b|\b(need|have|want) to (re-?schedule|move|change)\b|"
    r"\bre-?schedule\b|\bdecline\b|\bconflict\b|\bunfortunately\b)",
    re.I,
)
_CONFIRM_STRONG = re.compile(
    r"\b(confirm(ed|ing)?|works (for|with) me|that works|(sounds|looks) (good|great|fine|perfect)|"
    r"see you( then| there)?|i'?ll be there|i will be there|accept(ed)?|all set|count me in|fine by me)\b",
    re.I,
)
_CONFIRM_WEAK = re.compile(r"\b(perfect|great|yes|yep|yeah|ok(ay)?|thank(s| you)|looking forward)\b", re.I)
# `[^\S\n]*`, not `\s*`: from every line start, `\s*` would run on over all the blank lines below it
_QUESTION_START = re.compile(
    r"^[^\S\n]*(how|what|where|when|who|which|why|will|is|are|can|could|do|does|should|would|may)\b",
    re.I | re.M,
)


def classify_reply(
    text: str,
    tz_name: str,
    reference: datetime,
    *,
    default_duration: timedelta = timedelta(hours=1),
) -> ReplyClassification:
    """Classify the new part of a reply (`InboundReply.new_text`) written in `tz_name`.

    Reads the first `MAX_REPLY_CHARS` characters. CPU-bound (milliseconds at the cap): from async code
    call `classify_reply_off_loop`.
    """
    text = text[:MAX_REPLY_CHARS]
    body = " ".join(text.split())
    has_question = "?" in body or bool(_QUESTION_START.search(text))
    if not body:
        return ReplyClassification(intent=ReplyIntent.QUESTION, has_question=False, matched=None)
    if m := _CANCEL.search(body):
        return ReplyClassification(intent=ReplyIntent.CANCEL, has_question=has_question, matched=m.group(0))
    windows = parse_time_windows(text, tz_name, reference, default_duration=default_duration)
    decline = _DECLINE.search(body)
    strong = _CONFIRM_STRONG.search(body)
    if windows:
        # "See you Tuesday!" confirms; "Tuesday doesn't work, Thursday 2-4?" proposes
        intent = ReplyIntent.CONFIRM if strong and not decline else ReplyIntent.PROPOSE_TIMES
        return ReplyClassification(intent=intent, windows=windows, has_question=has_question, matched=None)
    if decline:
        return ReplyClassification(
            intent=ReplyIntent.DECLINE, has_question=has_question, matched=decline.group(0)
        )
    if strong:
        return ReplyClassification(
            intent=ReplyIntent.CONFIRM, has_question=has_question, matched=strong.group(0)
        )
    if not has_question and (weak := _CONFIRM_WEAK.search(body)):
        return ReplyClassification(intent=ReplyIntent.CONFIRM, has_question=False, matched=weak.group(0))
    return ReplyClassification(intent=ReplyIntent.QUESTION, has_question=has_question, matched=None)


async def classify_reply_off_loop(
    text: str,
    tz_name: str,
    reference: datetime,
    *,
    default_duration: timedelta = timedelta(hours=1),
) -> ReplyClassification:
    """`classify_reply` in a worker thread, so the event loop (web app, worker) keeps serving meanwhile."""
    return await asyncio.to_thread(
        classify_reply, text, tz_name, reference, default_duration=default_duration
    )
