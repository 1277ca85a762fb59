"""Templates: every one renders readable text and accessible HTML; overrides; typed contexts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from integrations.mail.contexts import (
    AnyMailContext,
    AvailabilityRequestContext,
    CancellationContext,
    ConfirmationContext,
    EscalationContext,
    InterviewerNoticeContext,
    InvitationContext,
    MailContext,
    ReminderContext,
    RescheduleContext,
    Session,
)
from integrations.mail.render import TemplateRenderer, TemplateRenderError

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
S1 = Session(
    title="Technical interview",
    start=T0,
    end=T0 + timedelta(hours=1),
    interviewers=["Alice Ng"],
    video_url="https://meet.jit.si/hf-1",
)
S2 = Session(
    title="Hiring manager", start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=2), location="Room 4"
)
BASE = {
    "recipient_name": "Jane",
    "company_name": "Acme",
    "job_title": "Backend Engineer",
    "time_zone": "Europe/London",
}
URL = "https://hireflow.example/s/abc"

ALL: list[MailContext] = [
    InvitationContext(**BASE, schedule_url=URL, expires_at=T0, loop_summary="two interviews"),
    AvailabilityRequestContext(**BASE, availability_url=URL, respond_by=T0, duration_summary="2 hours"),
    ReminderContext(**BASE, about="interview", sessions=[S1, S2], action_url=URL),
    ReminderContext(**BASE, about="pick_time", action_url=URL),
    ConfirmationContext(**BASE, sessions=[S1, S2], reschedule_url=URL, cancel_url=URL),
    RescheduleContext(
        **BASE, sessions=[S2], previous_sessions=[S1], reason="Alice is ill.", reschedule_url=URL
    ),
    CancellationContext(
        **BASE, sessions=[S1], reason="The role is filled.", contact_email="jobs@acme.example"
    ),
    InterviewerNoticeContext(**BASE, action="scheduled", candidate_name="Jane Doe", session=S1),
    EscalationContext(
        **BASE, candidate_name="Jane Doe", reason="No option fits.", details=["Pool exhausted"]
    ),
]

RENDERER = TemplateRenderer()


@pytest.mark.parametrize("ctx", ALL, ids=lambda c: f"{c.template}-{getattr(c, 'about', '')}")
def test_every_template_renders_text_and_accessible_html(ctx: MailContext) -> None:
    out = RENDERER.render(ctx)
    assert out.subject and "\n" not in out.subject and "{" not in out.subject
    assert out.text.startswith("Hi Jane,") and "Acme" in out.text
    assert not re.search(r"<[a-z/][^>]*>", out.text.replace("<b>", "")), "no HTML in the plain-text part"
    assert "\n\n\n" not in out.text
    assert '<html lang="en">' in out.html and "<title>" in out.html
    assert "<img" not in out.html and "background-image" not in out.html, "must work without images"
    for url in re.findall(r'href="([^"]+)"', out.html):
        assert url in out.text or url.startswith("mailto:"), f"link {url} missing from the text part"


def test_times_use_the_reader_zone_and_interviewers_also_see_utc() -> None:
    notice = InterviewerNoticeContext(
        **{**BASE, "time_zone": "Asia/Kolkata"},
        action="rescheduled",
        candidate_name="Jane Doe",
        session=S1,
        previous_session=S2,
    )
    out = RENDERER.render(notice)
    assert "Tuesday 1 December, 20:30\u201321:30 (Kolkata time, IST)" in out.text
    assert "In UTC: 2026-12-01 15:00 UTC" in out.text
    assert out.subject == "Rescheduled: Technical interview with Jane Doe, Tuesday 1 December"


def test_html_escapes_untrusted_values() -> None:
    ctx = EscalationContext(
        **{**BASE, "recipient_name": "<script>x</script>"}, candidate_name="A & B", reason="r"
    )
    out = RENDERER.render(ctx)
    assert "<script>" not in out.html and "&lt;script&gt;" in out.html and "A &amp; B" in out.html
    assert "<script>x</script>" in out.text  # plain text is not HTML: no entities there


def test_customer_override_directory_wins_and_can_extend_builtins(tmp_path: Path) -> None:
    (tmp_path / "invitation.subject.j2").write_text("{{ company_name }} would love to meet you")
    (tmp_path / "invitation.html.j2").write_text(
        '{% extends "_layout.html.j2" %}{% block title %}Hello{% endblock %}'
        "{% block content %}<p>Custom {{ schedule_url }}</p>{% endblock %}"
    )
    out = TemplateRenderer(tmp_path).render(ALL[0])
    assert out.subject == "Acme would love to meet you"
    assert "<p>Custom https://hireflow.example/s/abc</p>" in out.html and '<html lang="en">' in out.html
    assert "Choose the time that suits you best" in out.text  # not overridden: built-in


def test_override_with_unknown_variable_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "invitation.subject.j2").write_text("Hi {{ candidate_first_name }}")
    with pytest.raises(TemplateRenderError, match="candidate_first_name"):
        TemplateRenderer(tmp_path).render(ALL[0])


def test_missing_override_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        TemplateRenderer(tmp_path / "nope")


def test_contexts_reject_missing_and_bad_fields() -> None:
    with pytest.raises(ValidationError, match="schedule_url"):
        InvitationContext(**BASE, loop_summary="x")
    with pytest.raises(ValidationError, match="IANA"):
        InvitationContext(**{**BASE, "time_zone": "EST5"}, schedule_url=URL, loop_summary="x")
    with pytest.raises(ValidationError, match="timezone-aware"):
        Session(title="x", start=datetime(2026, 1, 1, 9), end=datetime(2026, 1, 1, 10))
    with pytest.raises(ValidationError, match="ends before"):
        Session(title="x", start=T0, end=T0)
    with pytest.raises(ValidationError, match="at least one session"):
        ReminderContext(**BASE, about="interview", action_url=URL)
    with pytest.raises(ValidationError, match="extra"):
        ConfirmationContext(**BASE, sessions=[S1], reschedule_url=URL, typo_field=1)  # type: ignore[call-arg]


def test_contexts_round_trip_through_json_with_the_discriminator() -> None:
    adapter: TypeAdapter[AnyMailContext] = TypeAdapter(AnyMailContext)
    for ctx in ALL:
        again = adapter.validate_json(adapter.dump_json(ctx))  # type: ignore[arg-type]
        assert type(again) is type(ctx) and again == ctx
