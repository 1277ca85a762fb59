"""The parser benchmark writes its JSON, restores the caps it lifts, and stays within budget at 100 KB."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.parsers import PARSERS, main
from integrations.mail import classify, timeparse


def test_benchmark_writes_json_and_restores_the_caps(tmp_path: Path) -> None:
    out = tmp_path / "parsers.json"
    caps = (timeparse.MAX_TEXT_CHARS, timeparse.MAX_WINDOWS, classify.MAX_REPLY_CHARS)
    assert (
        main(["--sizes", "1000,100000", "--uncapped-sizes", "1000", "--repeat", "1", "--out", str(out)]) == 0
    )
    assert (timeparse.MAX_TEXT_CHARS, timeparse.MAX_WINDOWS, classify.MAX_REPLY_CHARS) == caps
    data = json.loads(out.read_text())
    assert set(data["capped"]) == set(PARSERS)
    assert set(data["uncapped"]) == {"classify_reply", "parse_time_windows"}
    slowest = max(s for units in data["capped"].values() for sizes in units.values() for s in sizes.values())
    assert slowest < 1.0, data["capped"]
