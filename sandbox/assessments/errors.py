"""The API's one error shape: `{"error": "..."}` with a 4xx/5xx status."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


class ApiError(Exception):
    def __init__(self, http_status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = http_status
        self.message = message
        self.extra = extra

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.message, **self.extra}, status_code=self.status)
