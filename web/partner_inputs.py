"""What Greenhouse sends the Assessment Partner API, parsed strictly, and the ids we derive from it.

`greenhouse_profile_url` (`https://app.greenhouse.io/people/<candidate>?application_id=<app>`) is the only
place Greenhouse names the application, so it is parsed strictly: anything else is a 422, never a guess.
The `partner_interview_id` is the workflow id (`assess-<application>-<test key>`): it carries no personal
data and maps back to the workflow without a table.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from models.assessments import assessment_test_key, assessment_workflow_id

MAX_ID = 12  # digits of a Greenhouse id
INTERVIEW_ID_RE = re.compile(r"^assess-[1-9][0-9]{0,11}-[a-z0-9][a-z0-9_.-]{0,63}$")
_PROFILE_PATH_RE = re.compile(r"^/people/([1-9][0-9]{0,11})/?$")
_EMAIL_RE = re.compile(r"[^\s@<>\"']{1,64}@[^\s@<>\"']{1,255}")

Short = Annotated[str, StringConstraints(max_length=300)]


class InputError(ValueError):
    """A request Greenhouse sent that we cannot act on; the message is safe to answer and store."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class PartnerCandidate(BaseModel):
    """The candidate as Greenhouse sends it. The workflow reads the candidate from Greenhouse itself: only
    the profile url and the email's digest (which must match an address on the profile) are kept."""

    model_config = ConfigDict(extra="ignore")

    first_name: Short | None = None
    last_name: Short | None = None
    preferred_name: Short | None = None
    resume_url: Annotated[str, StringConstraints(max_length=4000)] | None = None
    phone_number: Short | None = None
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    greenhouse_profile_url: str = Field(min_length=1, max_length=2000)


class SendTestBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    partner_test_id: str = Field(min_length=1, max_length=128)
    candidate: PartnerCandidate
    sent_by: Annotated[str, StringConstraints(max_length=320)] | None = None
    url: str = Field(
        min_length=1, max_length=2000, description="Greenhouse's callback (PATCH on completion)."
    )


class ResponseErrorBody(BaseModel):
    """Greenhouse telling us a call of ours (or an answer) went wrong; `candidate_email` is not kept."""

    model_config = ConfigDict(extra="ignore")

    api_call: str = Field(min_length=1, max_length=100)
    errors: list[Annotated[str, StringConstraints(max_length=2000)]] = Field(max_length=50)
    partner_test_id: str | None = Field(default=None, max_length=128)
    partner_test_name: str | None = Field(default=None, max_length=300)
    partner_interview_id: str | None = Field(default=None, max_length=200)
    candidate_email: str | None = Field(default=None, max_length=320)


def application_id_from_profile(url: str) -> int:
    """The `application_id` of `https://<host>/people/<candidate id>?application_id=<id>`, exactly one."""
    field = "candidate.greenhouse_profile_url"
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(field, "greenhouse_profile_url must be an http(s) url")
    if not _PROFILE_PATH_RE.match(parts.path):
        raise InputError(field, "greenhouse_profile_url must be /people/<candidate id>")
    values = parse_qs(parts.query, keep_blank_values=True).get("application_id", [])
    if len(values) != 1:
        raise InputError(
            field, "greenhouse_profile_url must carry exactly one application_id query parameter"
        )
    value = values[0]
    if not value.isascii() or not value.isdigit() or len(value) > MAX_ID or int(value) == 0:
        raise InputError(field, "application_id in greenhouse_profile_url must be a positive integer id")
    return int(value)


def interview_id(application_id: int, test_id: str) -> str:
    return assessment_workflow_id(application_id, assessment_test_key(test_id))


def valid_interview_id(value: str | None) -> bool:
    """Ours: `assess-<application>-<test key>` within the lengths we issue (anything else is a 404)."""
    return value is not None and len(value) <= 200 and INTERVIEW_ID_RE.match(value) is not None


def mask_emails(text: str) -> str:
    """Error text is kept for the operator; email addresses in it are not."""
    return _EMAIL_RE.sub("[email]", text)


def check_callback_url(url: str, *, extra_host: str | None, allow_http: bool) -> str:
    """Greenhouse's callback, which the workflow PATCHes with the partner key: only Greenhouse's own
    hosts (`greenhouse.io` and its subdomains, or the configured Greenhouse host, e.g. the sandbox),
    https unless in development, so the key never goes elsewhere."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise InputError("url", "url must be an https url")
    if parts.username or parts.password:
        raise InputError("url", "url must not carry credentials")
    if not (
        host == "greenhouse.io" or host.endswith(".greenhouse.io") or (extra_host and host == extra_host)
    ):
        raise InputError("url", "url must be on a Greenhouse host")
    return url.strip()
