"""Typed Harvest v3 errors, one class per way a call can fail.

Each error carries the HTTP status, method, path (never the query string, which may hold an email
filter) and the message Greenhouse put in the body. Tokens and secrets are never part of an error.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from integrations.greenhouse.scopes import required_scope


class HarvestError(Exception):
    """Base class: a Harvest request failed. `status` is None when no response arrived."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        path: str = "",
        errors: list[Any] | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        self.errors: list[Any] = errors or []
        where = f"{method} {path}".strip()
        prefix = f"{status} " if status is not None else ""
        detail = f": {self.errors}" if self.errors else ""
        super().__init__(f"{prefix}{where}: {message}{detail}" if where else f"{prefix}{message}{detail}")


class BadRequestError(HarvestError):
    """400: the request was malformed (also the token endpoint's answer to a bad grant or client id)."""


class AuthError(HarvestError):
    """401: the token was refused even after one re-mint, or the client credentials are wrong."""


class ForbiddenError(HarvestError):
    """403: the credential lacks the scope, or the acting user (`sub`) is not allowed (reads need a site admin)."""


class MissingScopeError(ForbiddenError):
    """403 on a call whose scope the client knows: `scope` names what to tick under *Manage scopes*.

    Greenhouse's body is only `{"message": "Forbidden"}`; for reads a non-site-admin acting user gets the
    same answer, so the message says both.
    """

    def __init__(self, message: str, *, scope: str, **kwargs: Any) -> None:
        self.scope = scope
        super().__init__(message, **kwargs)
        hint = (
            " (or, for a read, the acting user is not a site admin)" if self.method.upper() == "GET" else ""
        )
        self.args = (f"{self.args[0]} — the credential needs scope {scope}{hint}",)


class NotFoundError(HarvestError):
    """404: unknown path, or no object with that id."""


class ValidationError(HarvestError):
    """422: Greenhouse refused the input; `errors` holds its list (strings or single-key objects)."""


class ConflictError(HarvestError):
    """409: the object changed under the request (Greenhouse does not document when; treated as a race)."""


class ApplicationMovedError(ConflictError, ValidationError):
    """A stage move was refused because `from_stage_id` is no longer the application's current stage.

    Someone (a recruiter, a rule, another workflow) moved it meanwhile; or our own earlier move
    succeeded without us seeing the answer. Greenhouse answers 422 naming `from_stage_id` (or a 409);
    either way re-read the application before deciding anything. Not retryable as is.
    """


class RateLimitedError(HarvestError):
    """429 that could not be waited out within the client's budget; `retry_after` says how long to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(HarvestError):
    """5xx from Greenhouse (after retries, for idempotent requests)."""


class HarvestConnectionError(HarvestError):
    """No usable response: connection refused, timeout, broken stream (after retries where safe)."""


class UnsafeLinkError(HarvestError):
    """A pagination `Link` pointed off the API origin; following it could leak the bearer token."""


_BY_STATUS: dict[int, type[HarvestError]] = {
    400: BadRequestError,
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitedError,
}


def body_message(response: httpx.Response) -> tuple[str, list[Any]]:
    """The `message` (or OAuth `error`) and the `errors` list of an error body, tolerating any shape."""
    try:
        data = response.json()
    except ValueError:
        text = response.text.strip()
        return (text[:200] or response.reason_phrase or "error"), []
    if not isinstance(data, dict):
        return str(data)[:200], []
    message = (
        data.get("message") or data.get("error_description") or data.get("error") or response.reason_phrase
    )
    errors = data.get("errors")
    return str(message), errors if isinstance(errors, list) else []


def error_for_response(response: httpx.Response, *, method: str, path: str) -> HarvestError:
    """Map an unsuccessful response to its typed error (a 403 names the scope the call needs)."""
    message, errors = body_message(response)
    status = response.status_code
    if status == 403:
        scope = required_scope(method, path)
        if scope is not None:
            return MissingScopeError(
                message,
                scope=scope,
                status=status,
                method=method,
                path=path,
                errors=errors,
            )
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else HarvestError
    if cls is RateLimitedError:
        return RateLimitedError(
            message,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            status=status,
            method=method,
            path=path,
            errors=errors,
        )
    return cls(message, status=status, method=method, path=path, errors=errors)


def is_stale_stage(error: HarvestError) -> bool:
    """Whether a refused move says the application is no longer in `from_stage_id` (409, or 422 naming it)."""
    if isinstance(error, ConflictError):
        return True
    if not isinstance(error, ValidationError):
        return False
    for entry in error.errors:
        if isinstance(entry, dict) and "from_stage_id" in entry:
            return True
        if isinstance(entry, str) and "from_stage_id" in entry:
            return True
    return "from_stage_id" in error.message


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds (delta form; the HTTP-date form is accepted too)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
