"""Harvest v3 error bodies (harvest-v3.md §1.2-§1.3), raised as one exception type and rendered verbatim."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

UNAUTHORIZED_ERRORS = ["Token could not be decoded. Please ensure your token is from a trusted source."]


class HarvestError(Exception):
    """An error answered with `status` and exactly `body` (plus optional headers)."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def not_found() -> HarvestError:
    return HarvestError(404, {"message": "Resource not found"})


def unauthorized() -> HarvestError:
    return HarvestError(401, {"message": "Unauthorized", "errors": list(UNAUTHORIZED_ERRORS)})


def forbidden() -> HarvestError:
    return HarvestError(403, {"message": "Forbidden"})


def unprocessable(*errors: str | dict[str, str]) -> HarvestError:
    """422 whose `errors` entries are strings or single-key objects, as Greenhouse sends them."""
    return HarvestError(422, {"message": "Unprocessable Content", "errors": list(errors)})


def field_error(field: str, message: str) -> HarvestError:
    return unprocessable({field: message})


def too_many_requests(retry_after: int) -> HarvestError:
    return HarvestError(429, {"message": "Too Many Requests"}, {"Retry-After": str(retry_after)})
