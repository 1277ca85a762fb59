"""JSON from the outside, refused when it nests deeper than any real payload before a parser sees it.

`json.loads` (and protobuf's JSON parser) recurse once per nesting level: 100,000 levels raise
`RecursionError` from deep inside C code, which on CPython 3.11 can leave the thread's recursion
accounting off and break later, unrelated code (`ast.parse` then fails with "AST constructor recursion
depth mismatch"). A linear scan bounds the depth first, so no parser ever recurses that far.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # Greenhouse webhooks, Mailgun headers, SendGrid envelopes, codec batches: under 10


class TooDeepError(ValueError):
    """The JSON text nests more than `MAX_DEPTH` arrays or objects."""


def check_depth(text: str | bytes, max_depth: int = MAX_DEPTH) -> None:
    """Raise `TooDeepError` if brackets outside strings nest deeper than `max_depth` (linear time)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > max_depth:
                raise TooDeepError(f"JSON nested deeper than {max_depth} levels")
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1


def loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads` for outside input: `ValueError` (incl. `TooDeepError`) for anything malformed."""
    check_depth(text, max_depth)
    return json.loads(text)
