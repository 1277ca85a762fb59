"""Outside text made inert for Markdown: shown as the characters typed, never as links, images or HTML.

Candidates, recruiters and Greenhouse users write free text (email replies, cancel reasons, notes).
Hireflow quotes it in the Temporal UI's Markdown details and in Greenhouse notes. Escaping every
character CommonMark or GFM could act on (emphasis, code, links, images, raw HTML, entities, tables,
headings) and breaking the autolink triggers (`scheme://`, `www.`, `user@host`) keeps it plain text in
both, whatever renderer reads it. Pure functions, safe inside the workflow sandbox.
"""

from __future__ import annotations

import re

# CommonMark lets a backslash escape any ASCII punctuation; these are the ones that can start markup.
_MARKUP = re.compile(r"([\\`*_{}\[\]()<>#+!|~&])")
_AUTOLINK_SCHEME = re.compile(r"://")
_AUTOLINK_WWW = re.compile(r"(?i)(www)\.")  # no \b: GFM links `_www.x` too
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def escape_markdown(text: str) -> str:
    """`text` with every Markdown-active character escaped and autolinks broken (linear time)."""
    text = _CONTROL.sub("", text)
    text = _MARKUP.sub(r"\\\1", text)
    text = _AUTOLINK_SCHEME.sub(r":\/\/", text)
    text = _AUTOLINK_WWW.sub(r"\1\\.", text)
    return text.replace("@", r"\@")


def quote_plain(text: str, limit: int) -> str:
    """Outside text as one inert line in double quotes, at most `limit` characters of it."""
    flat = " ".join(text[: limit * 4].split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return f'"{escape_markdown(flat)}"'
