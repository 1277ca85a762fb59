"""`hireflow mail list/show` against a Maildir filled by the real sink."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from integrations.mail.service import MailService
from starters.cli import app
from tests.fixtures.mail import SinkHandle, confirmation_request

runner = CliRunner()


@pytest.mark.integration
async def test_list_and_show(mail_service: MailService, smtp_sink: SinkHandle) -> None:
    await mail_service.send(confirmation_request(datetime(2026, 12, 1, 15, 0, tzinfo=UTC)))
    md = str(smtp_sink.maildir)

    listed = runner.invoke(app, ["mail", "list", "--maildir", md, "--json"])
    assert listed.exit_code == 0, listed.output
    [item] = json.loads(listed.output)
    assert item["has_invite"] and item["subject"].startswith("Confirmed:")

    table = runner.invoke(app, ["mail", "list", "--maildir", md])
    assert "  1  " in table.output and "[invite]" in table.output

    shown = runner.invoke(app, ["mail", "show", "1", "--maildir", md])
    assert shown.exit_code == 0, shown.output
    assert "Subject: Confirmed:" in shown.output and "(New York time, EST)" in shown.output
    assert "[calendar REQUEST]" in shown.output and "SEQUENCE 0" in shown.output

    by_prefix = runner.invoke(app, ["mail", "show", item["id"][:12], "--maildir", md, "--raw"])
    assert by_prefix.exit_code == 0 and "BEGIN:VCALENDAR" not in by_prefix.output  # base64 on the wire
    assert "Content-Type: text/calendar" in by_prefix.output


def test_clear_errors(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["mail", "list", "--maildir", f"{tmp_path}/nope"])
    assert missing.exit_code == 1 and "not a Maildir" in missing.output
    for sub in ("cur", "new", "tmp"):
        (tmp_path / "md" / sub).mkdir(parents=True)
    empty = runner.invoke(app, ["mail", "list", "--maildir", f"{tmp_path}/md"])
    assert empty.exit_code == 0 and "no messages" in empty.output
    unknown = runner.invoke(app, ["mail", "show", "42", "--maildir", f"{tmp_path}/md"])
    assert unknown.exit_code == 1 and "no message" in unknown.output
