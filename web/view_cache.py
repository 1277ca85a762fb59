"""What candidate pages keep between requests: a moment's cache of each request's view, and form ids.

A burst of page views (a candidate reloading, a link preview, many tabs) reads one query per
workflow per moment instead of one each, and never writes to the workflow's history. Every
rendered form carries a nonce; the request id built from it makes a double submit one request.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import OrderedDict
from typing import Any

from models.messages import OptionsView

VIEW_SECONDS = 2.0
VIEWS_KEPT = 2048
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class ViewCache:
    """Process-local, short-lived cache of `OptionsView` by workflow id."""

    def __init__(self, seconds: float = VIEW_SECONDS) -> None:
        self.seconds = seconds
        self._items: OrderedDict[str, tuple[float, OptionsView]] = OrderedDict()

    def get(self, workflow_id: str) -> OptionsView | None:
        item = self._items.get(workflow_id)
        if item is None or time.monotonic() - item[0] > self.seconds:
            return None
        return item[1]

    def put(self, workflow_id: str, view: OptionsView) -> None:
        self._items[workflow_id] = (time.monotonic(), view)
        self._items.move_to_end(workflow_id)
        while len(self._items) > VIEWS_KEPT:
            self._items.popitem(last=False)

    def forget(self, workflow_id: str) -> None:
        """After this process changed the workflow (a pick, a cancel), read it afresh."""
        self._items.pop(workflow_id, None)


def new_form_nonce() -> str:
    return secrets.token_urlsafe(12)


def form_request_id(action: str, form: Any) -> str:
    """`<action>-<nonce>` from the form's hidden field; a missing or odd nonce gets a fresh one."""
    nonce = str(form.get("request_id", ""))
    if not _NONCE.match(nonce):
        nonce = new_form_nonce()
    return f"{action}-{nonce}"
