"""The chaos run's own parts, without a stack: the kill switch counts the right activities, the
checks read Radicale's files and the sink's Maildir the way the run relies on."""

from __future__ import annotations

import json
import mailbox
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from benchmarks.chaos_kit.checks import calendar_copies, duplicate_mails
from benchmarks.chaos_kit.worker import ArmFile


def _info(workflow_id: str, activity_type: str = "send_email") -> Any:
    return SimpleNamespace(workflow_id=workflow_id, activity_type=activity_type, attempt=1)


def test_the_kill_switch_fires_at_the_chosen_occurrence_in_the_armed_workflow_only(tmp_path: Path) -> None:
    path = tmp_path / "arm.json"
    arm = ArmFile(path)
    assert arm.step(_info("wf-1")) is None, "nothing armed yet"
    chosen = {"workflow_id": "wf-1", "activity": "send_email", "occurrence": 2, "point": "after"}
    path.write_text(json.dumps({**chosen, "armed_at": 1}))
    assert arm.step(_info("wf-1")) is None  # the 1st send_email
    assert arm.step(_info("wf-2")) is None, "another workflow's activity is not counted"
    assert arm.step(_info("wf-1", "add_candidate_note")) is None
    assert arm.step(_info("wf-1")) == "after"  # the 2nd send_email of wf-1
    assert arm.step(_info("wf-1")) is None, "it fires once"
    trace = [json.loads(line) for line in path.with_suffix(".trace").read_text().splitlines()]
    assert [(t["activity"], t["occurrence"]) for t in trace] == [
        ("send_email", 1),
        ("add_candidate_note", 1),
        ("send_email", 2),
        ("send_email", 3),
    ]
    path.write_text(json.dumps({**chosen, "occurrence": 1, "point": "before", "armed_at": 2}))
    assert arm.step(_info("wf-1")) == "before", "re-arming starts counting again"


def _event(key: str, status: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:x@hireflow\r\n"
        "DTSTAMP:20261205T100000Z\r\nDTSTART:20261207T100000Z\r\nDTEND:20261207T110000Z\r\n"
        f"X-HIREFLOW-KEY:{key}\r\nSTATUS:{status}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def test_calendar_copies_reads_every_holder_and_status_of_a_workflow(tmp_path: Path) -> None:
    for holder, key, status in [
        ("scheduler@acme.test", "sched-1-b1-s1", "CONFIRMED"),
        ("ana@acme.test", "sched-1-b1-s1", "CANCELLED"),
        ("ana@acme.test", "sched-1-b2-s1", "CONFIRMED"),
        ("ana@acme.test", "sched-10-b1-s1", "CONFIRMED"),  # another workflow
    ]:
        folder = tmp_path / holder / "calendar"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{abs(hash((holder, key)))}.ics").write_text(_event(key, status))
    (tmp_path / "ana@acme.test" / "calendar" / ".Radicale.cache").mkdir()
    found = calendar_copies(tmp_path, "sched-1")
    assert found == {
        "sched-1-b1-s1": {"scheduler@acme.test": "CONFIRMED", "ana@acme.test": "CANCELLED"},
        "sched-1-b2-s1": {"ana@acme.test": "CONFIRMED"},
    }


def test_duplicate_mails_counts_extra_copies_of_one_message_id(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    for message_id in ["<a@hireflow>", "<b@hireflow>", "<a@hireflow>", "<a@hireflow>"]:
        message = EmailMessage()
        message["Message-ID"] = message_id
        message.set_content("hello")
        box.add(message)
    assert duplicate_mails(tmp_path / "mail") == {"<a@hireflow>": 2}
