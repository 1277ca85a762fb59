"""The candidate's page `GET/POST /take/{token}`: a plain HTML form (Jinja2, autoescaped, no JavaScript).

The token in the link is an unguessable secret distinct from the invitation id. Completion is POST-only
and needs the nonce issued with the form; a cross-site POST (an `Origin` other than this host) is refused;
the store lets only one submission complete. Pages forbid framing and referrers (the link is a secret).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from sandbox.assessments import lifecycle
from sandbox.assessments.catalog import BY_ID, SandboxTest
from sandbox.assessments.state import SandboxState
from sandbox.assessments.tables import InvitationRow, utc

router = APIRouter(prefix="/take")
MAX_TOKEN_LENGTH = 64
MAX_FIELDS = 64
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_ENV = Environment(loader=PackageLoader("sandbox.assessments", "templates"), autoescape=True)


def _page(template: str, status: int = 200, **context: object) -> HTMLResponse:
    html = _ENV.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def _message(status: int, title: str, message: str) -> HTMLResponse:
    return _page("message.html", status, title=title, message=message)


NOT_FOUND = (404, "Test not found", "This link does not lead to a test. Please check the link in your email.")
GONE = {
    "expired": "The deadline for this test has passed. Please contact the recruiter if you need more time.",
    "cancelled": "This test has been withdrawn. There is nothing more to do here.",
}


def _closed(row: InvitationRow) -> HTMLResponse | None:
    """The page for an invitation that cannot be taken any more, or None if it can."""
    if row.status in GONE:
        return _message(410, "This test is closed", GONE[row.status])
    return None


async def _lookup(request: Request, token: str) -> tuple[SandboxState, InvitationRow | None]:
    state: SandboxState = request.app.state.sandbox
    row = await state.store.by_token(token) if len(token) <= MAX_TOKEN_LENGTH else None
    if row is not None:
        row = await lifecycle.expire_if_overdue(state, row)
    return state, row


def _answers(test: SandboxTest, form: FormData) -> Mapping[int, int] | None:
    """`q<i>` → chosen option index; None if any value is not one of the offered options."""
    answers: dict[int, int] = {}
    for index, question in enumerate(test.questions):
        value = form.get(f"q{index}")
        if value is None:
            continue
        if not isinstance(value, str) or not value.isdigit() or int(value) >= len(question.options):
            return None
        answers[index] = int(value)
    return answers


def _nonce_matches(presented: object, expected: str | None) -> bool:
    if not isinstance(presented, str) or expected is None:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # old browsers and non-browser clients send none; the nonce still applies
    return urlsplit(origin).netloc == request.headers.get("host", "")


@router.get("/{token}")
async def take(token: str, request: Request) -> HTMLResponse:
    state, row = await _lookup(request, token)
    if row is None:
        return _message(*NOT_FOUND)
    if (closed := _closed(row)) is not None:
        return closed
    if row.status == "completed":
        return _message(200, "Test submitted", "You have already submitted this test. Thank you!")
    row = await lifecycle.start(state, row)
    if (closed := _closed(row)) is not None:
        return closed
    test = BY_ID[row.test_id]
    deadline = utc(row.deadline)
    return _page(
        "take.html",
        title=test.name,
        test=test,
        name=f"{row.first_name} {row.last_name}".strip() or "there",
        token=token,
        nonce=row.form_nonce or "",
        deadline_iso=deadline.isoformat(),
        deadline_text=deadline.strftime("%d %B %Y, %H:%M UTC"),
    )


@router.post("/{token}")
async def submit(token: str, request: Request) -> HTMLResponse:
    if not _same_origin(request):
        return _message(403, "Not allowed", "This form can only be submitted from its own page.")
    state, row = await _lookup(request, token)
    if row is None:
        return _message(*NOT_FOUND)
    if (closed := _closed(row)) is not None:
        return closed
    if row.status != "started":
        return _message(
            409, "Already submitted", "This test has already been submitted (or was never opened)."
        )
    try:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    except HTTPException:  # malformed multipart data, or too many fields
        return _message(400, "Bad form", "The form could not be read. Please reload the page and try again.")
    if not _nonce_matches(form.get("nonce"), row.form_nonce):
        return _message(403, "Form out of date", "Please reload the test page and submit it from there.")
    answers = _answers(BY_ID[row.test_id], form)
    if answers is None:
        return _message(422, "Unexpected answer", "Please choose one of the offered options.")
    completed = await lifecycle.complete(state, row, answers)
    if completed is None:
        return _message(409, "Already submitted", "This test has already been submitted.")
    return _message(200, "Test submitted", "Thank you! Your answers are in; the recruiter will be in touch.")
