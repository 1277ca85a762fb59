"""Untrusted text in the Temporal UI's details is inert: a candidate's note, a cancel reason, a
recruiter's words never become links, images or mentions in the rendered Markdown (issue 10, item 7)."""

from __future__ import annotations

import re
from datetime import timedelta

from models.messages import Interval, ProposeTimesInput
from tests.support.core_world import World, new_core
from workflows.details import render_details

HOSTILE = "[claim your prize](https://evil.example/x) ![p](https://evil.example/i.png) <img src=x onerror=alert(1)> @all"


def _assert_inert(markdown: str) -> None:
    """Markdown's own backslash escapes make the characters literal (CommonMark); nothing unescaped survives."""
    assert not re.search(r"(?<!\\)\]\((?:https?:|\S)", markdown), "a Markdown link or image survived"
    assert not re.search(r"(?<!\\)<img", markdown), "raw HTML survived"
    assert not re.search(r"(?<![\\\w])@all", markdown), "a mention survived"
    assert "evil.example" in markdown.replace("\\", ""), "the words are kept, only made inert"


def test_a_candidates_note_and_a_cancel_reason_render_as_plain_text() -> None:
    world = World()
    core = new_core()
    core.start(world.now)
    world.drain(core)
    window = Interval(start=world.now + timedelta(days=2), end=world.now + timedelta(days=2, hours=8))
    core.propose(ProposeTimesInput(windows=[window], note=HOSTILE), world.now)
    world.drain(core)
    core.cancel("recruiter", f"role filled {HOSTILE}", "cancel-1", world.now)
    world.drain(core)

    details = render_details(core.status("schedule-501-201"))

    assert "role filled" in details
    _assert_inert(details)
