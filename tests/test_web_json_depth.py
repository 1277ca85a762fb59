"""Outside JSON is depth-checked by a linear scan before any recursive parser sees it."""

from __future__ import annotations

import time

import pytest

from web.json_depth import MAX_DEPTH, TooDeepError, check_depth, loads


def test_deep_nesting_is_refused_without_recursion() -> None:
    hostile = "[" * 1_000_000
    start = time.thread_time()  # CPU seconds: a loaded machine slows the clock on the wall, not this
    with pytest.raises(TooDeepError):
        loads(hostile)
    assert time.thread_time() - start < 1.0


def test_real_payloads_and_brackets_inside_strings_pass() -> None:
    assert loads('{"action": "x", "payload": {"a": [1, {"b": "[[[[{{{{\\"]]]"}]}}') == {
        "action": "x",
        "payload": {"a": [1, {"b": '[[[[{{{{"]]]'}]},
    }
    check_depth("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    with pytest.raises(TooDeepError):
        check_depth(b"[" * (MAX_DEPTH + 1))


def test_malformed_json_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        loads(b"\xff{")
    with pytest.raises(ValueError):
        loads('{"a": ')
