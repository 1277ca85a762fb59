"""structlog configured once per process: a readable console in a terminal, JSON lines otherwise.

Standard-library records (Temporal's `workflow.logger`, uvicorn, httpx) go through the same
processors, so a worker's output is one stream of structured events.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

_configured = False

# Keys whose values must never reach a log line, whatever a caller passes.
_SECRET_KEYS = frozenset(
    {"password", "secret", "client_secret", "token", "access_token", "authorization", "body"}
)


# Bearer tokens that travel inside ordinary values: candidate links (`/s/<token>`, `/event/<token>`),
# reply addresses (`reply+<token>@`) and our Message-IDs (`<hf<24 hex>.<token>@`). Whoever reads a log
# must not be able to act as the candidate with what they read.
_TOKEN_PATTERNS = (
    (re.compile(r"/s/[^/?#\s\"'<>]+"), "/s/[redacted]"),
    (re.compile(r"/event/[^/?#\s\"'<>]+"), "/event/[redacted]"),
    (re.compile(r"(reply\+)[^@\s\"'<>]+@", re.IGNORECASE), r"\1[redacted]@"),
    (re.compile(r"(?<![0-9a-z])(hf[0-9a-f]{24}\.)[^@\s\"'<>]+@", re.IGNORECASE), r"\1[redacted]@"),
    (re.compile(r"([?&](?:token|signature|key)=)[^&#\s\"'<>]+", re.IGNORECASE), r"\1[redacted]"),
)


def redact_text(text: str) -> str:
    """`text` with link tokens, reply tokens, Message-ID tokens and credentials in query strings
    (SendGrid's `?token=`) replaced by `[redacted]`."""
    if "/s/" not in text and "/event/" not in text and "@" not in text and "=" not in text:
        return text
    for pattern, replacement in _TOKEN_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    return value


def _redact(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Secret keys are blanked whatever their value; token-bearing strings elsewhere are redacted."""
    for key in list(event_dict):
        if key.lower() in _SECRET_KEYS:
            event_dict[key] = "[redacted]"
        elif not key.startswith("_"):
            event_dict[key] = _redact_value(event_dict[key])
    return event_dict


class TokenRedactingFilter(logging.Filter):
    """Redacts tokens in stdlib records whose handlers bypass structlog (uvicorn's own access log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact_value(v) for k, v in record.args.items()}
        return True


_ACCESS_FILTER = TokenRedactingFilter()


def redact_access_log() -> None:
    """Install the filter on uvicorn's access and error loggers (idempotent; survives uvicorn's dictConfig)."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if _ACCESS_FILTER not in logger.filters:
            logger.addFilter(_ACCESS_FILTER)


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Configure structlog and the stdlib root logger; later calls are no-ops."""
    global _configured
    if _configured:
        return
    _configured = True
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    redact_access_log()
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> Any:
    """A structlog logger; bind workflow_id / application_id for context."""
    return structlog.get_logger(name)
