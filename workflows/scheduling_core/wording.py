"""Every sentence the SchedulingWorkflow shows to a candidate or a recruiter, in one place.

Notes go to Greenhouse, replies answer a command or a pick, reasons explain an escalation. Text
that came from outside (a candidate's excerpt, a recruiter's reason) is quoted, never trusted as
markup. Emails themselves are templates (`integrations/mail/templates/`); this is everything else.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.inert_text import quote_plain
from models.messages import BookedSession, Booking, SchedulingContext, SchedulingState
from models.scheduling import Blocker
from models.time_order import in_time_order

COMMANDS = "'@Hireflow resume', '@Hireflow reschedule' or '@Hireflow cancel'"
EXCERPT_LIMIT = 300


def quoted(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """Outside text as a plain quotation: one line, bounded, escaped so Markdown shows it as typed."""
    return quote_plain(text, limit)


def when(at: datetime) -> str:
    return f"{at.astimezone(UTC):%a %d %b %Y %H:%M} UTC"


def span(delta: timedelta) -> str:
    days, hours = delta.days, delta.seconds // 3600
    if days:
        return f"{days} day{'s' if days != 1 else ''}"
    if hours:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{max(1, delta.seconds // 60)} minutes"


# ------------------------------------------------------------------------------------------- notes


def booking_note(context: SchedulingContext, booking: Booking) -> str:
    """The loop in time order, readable in Greenhouse's notes (times in UTC, the zone named)."""
    lines = [f"Hireflow booked the {context.stage_name} loop:"]
    for session in in_time_order(booking.sessions):
        people = ", ".join(p.name if (p := context.person(i)) else str(i) for i in session.interviewers)
        start, end = session.start.astimezone(UTC), session.end.astimezone(UTC)
        lines.append(f"- {start:%a %d %b %Y %H:%M}-{end:%H:%M} UTC: {session.name} with {people}")
    return "\n".join(lines)


def escalation_note(stage: str, reason: str) -> str:
    return f"Hireflow needs a recruiter for {stage}: {reason}. Reply in a note with {COMMANDS}."


def nudge_note(stage: str, reason: str, waiting: timedelta, closes_at: datetime | None) -> str:
    close = f" Without an answer it closes the request on {when(closes_at)}." if closes_at else ""
    return (
        f"Reminder: Hireflow has been waiting {span(waiting)} for a recruiter on {stage}: {reason}. "
        f"Reply in a note with {COMMANDS}.{close}"
    )


def paused_nudge_note(stage: str, waiting: timedelta, closes_at: datetime | None) -> str:
    close = f" Without an answer it closes the request on {when(closes_at)}." if closes_at else ""
    return (
        f"Reminder: scheduling of {stage} has been paused for {span(waiting)}; the candidate hears nothing "
        f"meanwhile. Reply in a note with '@Hireflow resume' or '@Hireflow cancel'.{close}"
    )


def said_by(by: str, reason: str) -> str:
    """A cancel or reschedule reason: a person's own words are quoted inertly, Hireflow's are not."""
    if not reason:
        return "no reason given"
    return quoted(reason) if by in ("candidate", "recruiter") else reason


def cancel_note(by: str, reason: str) -> str:
    return f"Hireflow cancelled scheduling ({by}): {said_by(by, reason)}."


def replacement_note(who: str, session: str, newcomers: str) -> str:
    return f"Hireflow replaced {who} on {session} with {newcomers or 'the remaining panel'}."


def question_note(stage: str, intent: str, excerpt: str) -> str:
    said = f": {quoted(excerpt)}" if excerpt else ""
    return f"The candidate replied by email about {stage} ({intent}){said}. Hireflow is booking the loop meanwhile."


def release_trouble_note(sessions: list[BookedSession], error: str, retry: timedelta) -> str:
    return (
        f"Hireflow could not yet remove {len(sessions)} calendar event(s) and Greenhouse interview(s) of a "
        f"replaced or cancelled loop ({error}). It tries again every {span(retry)}; nothing is needed from you yet."
    )


def release_gave_up_note(sessions: list[BookedSession], days: timedelta) -> str:
    items = "; ".join(
        f"{s.name} {when(s.start)} (event {s.event_key}, interview {s.greenhouse_interview_id or '-'})"
        for s in in_time_order(sessions)
    )
    return f"Hireflow gave up removing a replaced or cancelled loop after {span(days)}. Please delete by hand: {items}."


def closed_reason(waiting: timedelta, paused: bool) -> str:
    what = "paused" if paused else "waiting for a recruiter"
    return f"closed automatically after {span(waiting)} {what}"


REPLY_EARLIER_REQUEST = "it answers an email of an earlier request for this application"
REPLY_NOT_FROM_CANDIDATE = (
    "it did not come from the candidate's address on record through an authenticated mail path"
)
REPLY_NOT_FROM_INTERVIEWER = "it came to an interviewer's reply address but not from that interviewer"


def reply_info_note(why: str, sender: str, intent: str, excerpt: str) -> str:
    said = f": {quoted(excerpt)}" if excerpt else ""
    return (
        f"Hireflow received an email reply from {quoted(sender or 'an unknown sender', 120)} and changed "
        f"nothing, because {why}. It read as '{intent}'{said}"
    )


def cancel_asked_note(excerpt: str) -> str:
    said = f": {quoted(excerpt)}" if excerpt else ""
    return (
        "The candidate asked by email to cancel. Nothing is cancelled yet: Hireflow emailed them a link "
        f"to confirm it{said}"
    )


def interviewer_reply_note(who: str, intent: str, excerpt: str) -> str:
    said = f": {quoted(excerpt)}" if excerpt else ""
    return f"{who} (interviewer) replied by email ({intent}); nothing was changed{said}"


# ---------------------------------------------------------------------------- escalation reasons


def gather_failed(error: str) -> str:
    return f"the application could not be read from Greenhouse ({error}); Hireflow tries again every hour"


def application_missing(application_id: int, error: str) -> str:
    return f"application {application_id} could not be found in Greenhouse ({error})"


def plan_failed(error: str) -> str:
    return f"options could not be planned ({error})"


TOP_FIXES = 2  # relaxations shown per blocker in an escalation


def blockers_text(blockers: list[Blocker]) -> str:
    """The planner's blockers for a recruiter, each with its top verified fixes.

    A blocker without relaxations reads exactly as before relaxations existed, so the reason of a run
    recorded earlier (its plan came from an older activity) replays to the same text.
    """
    parts = []
    for blocker in blockers:
        fixes = [r.detail for r in blocker.relaxations[:TOP_FIXES]]
        parts.append(blocker.detail + (f" (to fix: {', or '.join(fixes)})" if fixes else ""))
    return "; ".join(parts) or "no loop fits the calendars"


def nothing_fits(blockers: str) -> str:
    return f"no interview loop can be offered: {blockers}"


def nothing_fits_any_more(blockers: str) -> str:
    return f"no interview loop fits any more: {blockers}"


NO_ANSWER = "the candidate did not answer the invitation or its reminders"
CANDIDATE_UNREACHABLE_ANSWER = (
    "Options were found, but the candidate cannot be emailed; the recruiter is asked."
)


def candidate_unreachable(context: SchedulingContext) -> str:
    why = (
        'emailing is turned off on their Greenhouse profile ("can email")'
        if not context.candidate_can_email
        else "their Greenhouse profile has no email address"
    )
    return (
        f"options for the {context.stage_name} were found, but Hireflow cannot send the invitation: {why}. "
        "Fix it in Greenhouse and reply '@Hireflow resume' (Hireflow reads the profile again), or "
        "'@Hireflow cancel' and schedule with the candidate yourself"
    )


def check_failed(error: str) -> str:
    return f"the picked time could not be checked against the calendars ({error})"


def events_failed(error: str) -> str:
    return f"calendar events could not be created ({error}); what was created has been removed"


def interviews_failed(error: str) -> str:
    return f"Greenhouse interviews could not be recorded ({error}); what was created has been removed"


def confirmation_failed(error: str) -> str:
    return f"the loop is booked but the candidate's confirmation email could not be sent ({error})"


def invitation_failed(error: str, refused: bool) -> str:
    if refused:
        return f"the candidate's email address was refused ({error}); check it in Greenhouse, then resume"
    return f"the invitation could not be emailed to the candidate ({error})"


def reschedule_limit(by: str, limit: int) -> str:
    return f"{by} asked to reschedule again (limit of {limit} reached)"


def reschedule_nothing_fits(by: str, blockers: str) -> str:
    return f"{by} asked to reschedule but no other loop fits: {blockers}"


def late_decline(who: str, session: str) -> str:
    return f"{who} declined {session} less than the replacement cut-off ahead"


def replacement_limit(who: str, session: str) -> str:
    return f"{who} declined {session} and the replacement limit is reached"


def nobody_replaces(who: str, session: str, blockers: str) -> str:
    return f"{who} declined {session} and nobody from the pool can replace them: {blockers}"


def replacement_write_failed(who: str, session: str, error: str) -> str:
    return f"{who} declined {session}; the replacement could not be written ({error}); the panel is unchanged"


def interview_deleted(session: str) -> str:
    return f"the {session} interview was deleted in Greenhouse"


def question(intent: str, excerpt: str) -> str:
    said = f": {quoted(excerpt)}" if excerpt else ""
    return f"the candidate replied by email ({intent}){said}"


# -------------------------------------------------------------------------------------- replies

PICK_BOOKED = "Your interviews are booked."
PICK_CONFIRMING = "We're confirming your interviews; you'll get an email as soon as they're booked."
PICK_TAKEN = "That time was just taken. Here are the options that are free now."
PICK_TAKEN_NONE = "That time was just taken, and nothing else fits now; your recruiter will be in touch."
RETAKING = "That time was just taken; we're finding the times that are free now."
PICK_FAILED = "We could not complete the booking; your recruiter has been asked to help."
PROPOSE_OPTIONS = "Here are the options inside the times you gave."
PROPOSE_NONE = "None of those times work for the panel; your recruiter will get back to you."
PROPOSE_WORKING = "We're looking for times inside the ones you gave; you'll get an email with options."
PROPOSE_FAILED = "We could not look for times just now; your recruiter will get back to you."

CANCEL_ACCEPTED = "Cancelling: the calendar events and interviews are being removed and everyone is told."
CANCEL_DONE = "Cancelled: the calendar events and interviews are removed and everyone is told."
ALREADY_CANCELLED = "This request is already cancelled."
ALREADY_COMPLETED = "This request has completed; there is nothing to change."

RESCHEDULE_ACCEPTED = "Looking for new times; the current loop stays booked until the candidate picks one."
RESCHEDULE_SENT = "The candidate has new options; the current loop stays booked until they pick one."
NEW_OPTIONS_SENT = "The candidate has new options to pick from."
RESCHEDULE_BUSY = "This request is booking or changing the loop right now; try again in a minute."
RESCHEDULE_NOTHING_FITS = "No other loop fits; a recruiter will take over."
RESCHEDULE_FAILED = "New times could not be planned just now; a recruiter will take over."


def reschedule_limit_reply(limit: int) -> str:
    return f"The reschedule limit ({limit}) is reached; a recruiter will take over."


PAUSED = "Paused: no reminders or emails until you say resume."
ALREADY_PAUSED = "Already paused: no reminders or emails until you say resume."
RESUMED = "Resumed: reminders and emails go out again."
RESUMED_BOOKED = "Resumed: the booked loop stands."
RESUMED_REPLANNING = "Resumed: Hireflow is planning fresh options for the candidate."
RESUMED_REREADING = "Resumed: Hireflow is reading the application from Greenhouse again."


def refused(state: SchedulingState, what: str) -> str:
    return f"This request is {state.value}; {what} is not possible now."


PAGE_MESSAGES = {
    SchedulingState.SCHEDULED: "Your interviews are booked.",
    SchedulingState.CANCELLING: "This interview request is being cancelled.",
    SchedulingState.CANCELLED: "This interview request was cancelled.",
    SchedulingState.COMPLETED: "These interviews have taken place.",
    SchedulingState.ESCALATED: "Your recruiter is arranging the next step and will be in touch.",
    SchedulingState.BOOKING: PICK_CONFIRMING,
}

# ------------------------------------------------------------------------------- waiting for ...


def waiting_for(state: SchedulingState, *, paused: bool, what: str) -> str:
    if paused and state != SchedulingState.ESCALATED:
        return "the recruiter to resume (paused)"
    return what
