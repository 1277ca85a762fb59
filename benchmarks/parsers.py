"""Parsers of untrusted text against hostile input: seconds by input size, with and without the caps.

    uv run --frozen python -m benchmarks.parsers --sizes 10000,100000,1000000 \\
        --out benchmarks/results/parsers.json

Each parser (reply classification, proposed times, mentions in notes, quoted-text stripping, HTML to
text, auto-reply subjects) reads the worst inputs we know, repeated to each size. `capped` is what
production does (the length caps apply); `uncapped` lifts the caps of the time parser and the
classifier to show that the parse itself is linear: seconds per size should grow 10x per 10x.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __name__ == "__main__" and not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from integrations.greenhouse import mention_arguments, mentions
from integrations.mail import classify, inbound, timeparse

REF = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TZ = "Europe/London"

PARSERS: dict[str, tuple[Callable[[str], object], list[str]]] = {
    "classify_reply": (
        lambda t: classify.classify_reply(t, TZ, REF),
        ["monday 2pm - ", "monday\u2003", "dec 3 2pm to ", "not monday, ", "\n"],
    ),
    "parse_time_windows": (lambda t: timeparse.parse_time_windows(t, TZ, REF), ["3 dec 2pm - ", "2 to    "]),
    "mention_text": (
        lambda t: mentions.mention_text("@Hireflow " + t, "@[Hireflow](user:7) " + t, "Hireflow", 7),
        ["@[", "\u2003", "\r", " \n"],
    ),
    "parse_command": (lambda t: mentions.parse_command("schedule " + t), ["\u2003", "on x "]),
    "parse_command_guards": (mentions.parse_command, ["send ", "extend ", "send, "]),
    "parse_extension": (mention_arguments.parse_extension, ["9", "1.", "a ", "minus ", "3 \u2003"]),
    "strip_quoted": (inbound.strip_quoted, ["on x\n", ">\n", "\n"]),
    "html_to_text": (inbound.html_to_text, ["<", "<b>", "<![", "<p>x"]),
    "auto_reply_reason": (lambda t: inbound.auto_reply_reason([], t, "jane@example.com"), [" ", "out "]),
}
UNCAPPED = ("classify_reply", "parse_time_windows")


@contextmanager
def caps_lifted() -> Iterator[None]:
    """The time parser's and classifier's caps out of the way (the others are linear regardless)."""
    saved = (timeparse.MAX_TEXT_CHARS, timeparse.MAX_WINDOWS, classify.MAX_REPLY_CHARS)
    timeparse.MAX_TEXT_CHARS = timeparse.MAX_WINDOWS = classify.MAX_REPLY_CHARS = 10**9
    try:
        yield
    finally:
        timeparse.MAX_TEXT_CHARS, timeparse.MAX_WINDOWS, classify.MAX_REPLY_CHARS = saved


def seconds(parse: Callable[[str], object], unit: str, size: int, repeat: int) -> float:
    """Best of `repeat` runs on `unit` repeated to `size` characters."""
    text = (unit * (size // len(unit) + 1))[:size]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        parse(text)
        best = min(best, time.perf_counter() - start)
    return round(best, 5)


def measure(names: list[str], sizes: list[int], repeat: int) -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name in names:
        parse, units = PARSERS[name]
        out[name] = {
            unit: {str(size): seconds(parse, unit, size, repeat) for size in sizes} for unit in units
        }
        print(json.dumps({name: out[name]}), flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="input sizes in characters")
    ap.add_argument("--uncapped-sizes", default="10000,50000,200000", help="sizes with the caps lifted")
    ap.add_argument("--repeat", type=int, default=3, help="runs per point (the best is kept)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/parsers.json"))
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    uncapped_sizes = [int(s) for s in args.uncapped_sizes.split(",") if s.strip()]
    result: dict[str, Any] = {
        "generated": datetime.now(UTC).isoformat(),
        "machine": platform.platform(),
        "python": platform.python_version(),
        "caps": {
            "reply_chars": classify.MAX_REPLY_CHARS,
            "time_windows": timeparse.MAX_WINDOWS,
            "note_chars": mentions.NOTE_TEXT_MAX_CHARS,
            "subject_chars": inbound.MAX_SUBJECT_CHARS,
            "quote_scan_chars": inbound.MAX_QUOTE_SCAN_CHARS,
            "html_chars": inbound.MAX_HTML_CHARS,
        },
        "target_seconds_per_mb": 1.0,
        "capped": measure(list(PARSERS), sizes, args.repeat),
    }
    with caps_lifted():
        result["uncapped"] = measure(list(UNCAPPED), uncapped_sizes, args.repeat)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
