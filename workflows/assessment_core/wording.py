"""Every sentence the AssessmentWorkflow writes to a recruiter (notes, escalations, answers)."""

from __future__ import annotations

from datetime import UTC, datetime

from models.assessments import AssessmentResult
from models.inert_text import quote_plain


def when(at: datetime) -> str:
    return f"{at.astimezone(UTC):%a %d %b %Y %H:%M} UTC"


def score_line(result: AssessmentResult) -> str:
    if result.score is None:
        return "no score"
    out = f"{result.score:g}" + (f" / {result.max_score:g}" if result.max_score else "")
    return out + (f" (percentile {result.percentile:g})" if result.percentile is not None else "")


def result_note(test: str, result: AssessmentResult) -> str:
    link = f" Report: {result.report_url}" if result.report_url else ""
    return f"Hireflow: the {test} assessment is complete. Score {score_line(result)}.{link}"


def advanced_note(test: str, threshold: float, score: float) -> str:
    return (
        f"Hireflow advanced the application: {test} score {score:g} reached the threshold of {threshold:g}."
    )


def review_note(test: str, threshold: float, score: float) -> str:
    return (
        f"Hireflow: the {test} score {score:g} is below the threshold of {threshold:g}; "
        "please review the application (nothing was changed)."
    )


def rejected_note(test: str, threshold: float, score: float) -> str:
    return (
        f"Hireflow rejected the application: {test} score {score:g} is below the threshold of {threshold:g}."
    )


def dry_run_note(what: str) -> str:
    return f"Hireflow (dry run, nothing was changed) would have: {what}"


def moved_meanwhile_note(test: str) -> str:
    return (
        f"Hireflow did not move the application after the {test} assessment: "
        "someone moved or closed it meanwhile."
    )


def expired_note(test: str, deadline: datetime) -> str:
    return (
        f"Hireflow: the candidate did not complete the {test} assessment by {when(deadline)}; it has expired."
    )


def cancelled_note(test: str, by: str, reason: str) -> str:
    said = f": {quote_plain(reason, 300)}" if reason else ""
    return f"Hireflow cancelled the {test} assessment ({by}){said}."


def escalation_note(test: str, reason: str) -> str:
    return (
        f"Hireflow needs a recruiter for the {test} assessment: {reason}. "
        "Reply in a note with '@Hireflow resume' or '@Hireflow cancel'."
    )


NO_EMAIL = "the candidate has no email address in Greenhouse"
APPLICATION_CLOSED = "the application is no longer in process"


def invite_refused(error: str) -> str:
    return f"the provider refused the invitation ({error})"


def invite_failed(error: str) -> str:
    return f"the invitation could not be sent ({error})"


def gather_failed(error: str) -> str:
    return f"the application could not be read from Greenhouse ({error})"


def result_failed(error: str) -> str:
    return f"the result could not be read from the provider ({error})"


def no_score(minutes: int) -> str:
    return f"the test was completed but the provider gave no score within {minutes} minutes"


def write_back_failed(error: str) -> str:
    return f"the result could not be written to Greenhouse ({error})"


def decision_failed(error: str) -> str:
    return f"the decision could not be carried out in Greenhouse ({error})"


EXTENDED = "The deadline is extended."
EXTEND_LIMIT = "The deadline was extended as often as allowed; nothing was changed."
NOT_WAITING = "The assessment is not waiting for the candidate; nothing was changed."
CANCEL_ACCEPTED = "Cancelling the assessment."
ALREADY_OVER = "The assessment is already over; nothing was changed."
RESUMED = "Resumed."
NOT_ESCALATED = "The assessment does not need a recruiter right now; nothing was changed."
