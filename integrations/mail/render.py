"""Render an email (subject, plain text, HTML) from a typed context with jinja2.

Each template is three files, `<name>.subject.j2`, `<name>.txt.j2` and `<name>.html.j2`. A customer
overrides any of them by putting a file of the same name in `HIREFLOW_MAIL_TEMPLATE_DIR`, which is
searched before the built-ins (so an override may still extend `_layout.html.j2`). Undefined variables
are errors, HTML is autoescaped, and the subject is collapsed to one line (no header injection).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    select_autoescape,
)
from pydantic import BaseModel, ConfigDict

from integrations.mail import timefmt
from integrations.mail.contexts import MailContext

BUILTIN_TEMPLATE_DIR = Path(__file__).parent / "templates"


class TemplateRenderError(ValueError):
    """A template failed to render (missing variable, syntax error, multi-line subject)."""


class RenderedEmail(BaseModel):
    """The three bodies of one email, ready for `compose_message`."""

    model_config = ConfigDict(frozen=True)

    template: str
    subject: str
    text: str
    html: str


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


class TemplateRenderer:
    """Renders contexts with the built-in templates, overridden file by file from `override_dir`."""

    def __init__(self, override_dir: Path | None = None) -> None:
        if override_dir is not None and not override_dir.is_dir():
            raise ValueError(f"mail template directory {override_dir} does not exist or is not a directory")
        loaders = [FileSystemLoader(str(BUILTIN_TEMPLATE_DIR))]
        if override_dir is not None:
            loaders.insert(0, FileSystemLoader(str(override_dir)))
        self._env = Environment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )

    @staticmethod
    def _helpers(ctx: MailContext) -> dict[str, Callable[..., str] | str]:
        tz, cycle = ctx.time_zone, ctx.hour_cycle

        def when(start: datetime, end: datetime) -> str:
            return timefmt.format_range(start, end, tz, cycle)

        def at(moment: datetime) -> str:
            return timefmt.format_instant(moment, tz, cycle)

        def day(moment: datetime) -> str:
            return timefmt.format_day(moment.astimezone(timefmt.zone(tz)))

        city = timefmt.zone_city(tz)
        return {
            "when": when,
            "at": at,
            "day": day,
            "utc": timefmt.format_utc,
            "zone_name": "UTC" if city in {"UTC", "GMT"} else f"{city} time",
        }

    def render(self, ctx: MailContext) -> RenderedEmail:
        """Render the template named by the context's class; raises `TemplateRenderError` on any problem."""
        name = getattr(ctx, "template", "")
        if not name:
            raise TemplateRenderError(
                f"{type(ctx).__name__} names no template; use one of the concrete contexts"
            )
        variables: dict[str, Any] = {field: getattr(ctx, field) for field in type(ctx).model_fields}
        variables.pop("template")
        variables.update(self._helpers(ctx))
        try:
            subject = self._env.get_template(f"{name}.subject.j2").render(variables)
            text = self._env.get_template(f"{name}.txt.j2").render(variables)
            html = self._env.get_template(f"{name}.html.j2").render(variables)
        except TemplateError as exc:
            raise TemplateRenderError(f"template {name!r} failed to render: {exc}") from exc
        subject = " ".join(subject.split())
        if not subject:
            raise TemplateRenderError(f"template {name!r} rendered an empty subject")
        return RenderedEmail(template=name, subject=subject, text=_tidy_text(text), html=html.strip() + "\n")
