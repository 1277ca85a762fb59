"""What candidate pages keep between requests: a moment's cache of each request's view, and form ids.

A burst of page views (a candidate reloading, a link preview, many tabs) reads one query per
workflow per moment instead of one each, and never writes to the workflow's history; an offer this
process just re-planned counts as fresh for a few seconds, so a burst re-plans once. Every
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
# A burst of views outlasting one refresh (a slow machine, many tabs) must not re-plan the offer the
# refresh just made; after this long its age is judged by the workflow's clock again.
REFRESH_GRACE_SECONDS = 10.0
VIEWS_KEPT = 2048
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class ViewCache:
    """Process-local, short-lived cache of `OptionsView` by workflow id, and the offers it refreshed."""

    def __init__(self, seconds: float = VIEW_SECONDS, refresh_grace: float = REFRESH_GRACE_SECONDS) -> None:
        self.seconds = seconds
        self.refresh_grace = refresh_grace
        self._items: OrderedDict[str, tuple[float, OptionsView]] = OrderedDict()
        self._refreshed: OrderedDict[str, tuple[float, str, int]] = OrderedDict()

    def get(self, workflow_id: str) -> OptionsView | None:
        item = self._items.get(workflow_id)
        if item is None or time.monotonic() - item[0] > self.seconds:
            return None
        return item[1]

    def put(self, workflow_id: str, view: OptionsView) -> OptionsView:
        """Keep `view` unless a newer offer of the same request is cached (a query answered after a
        refresh); return the kept one. A view of another run chain (a new request) always replaces it."""
        cached = self.get(workflow_id)
        if cached is not None and cached.chain_id == view.chain_id and _version(cached) > _version(view):
            return cached
        _remember(self._items, workflow_id, (time.monotonic(), view))
        return view

    def put_refreshed(self, workflow_id: str, view: OptionsView) -> OptionsView:
        """A view a refresh produced: its offer counts as fresh here for `refresh_grace` seconds."""
        kept = self.put(workflow_id, view)
        _remember(self._refreshed, workflow_id, (time.monotonic(), kept.chain_id, _version(kept)))
        return kept

    def just_refreshed(self, view: OptionsView, workflow_id: str) -> bool:
        """This process re-planned this offer (or a newer one) a moment ago: doing it again gains nothing."""
        item = self._refreshed.get(workflow_id)
        if item is None or time.monotonic() - item[0] > self.refresh_grace:
            return False
        return view.chain_id == item[1] and _version(view) <= item[2]

    def forget(self, workflow_id: str) -> None:
        """After this process changed the workflow (a pick, a cancel), read it afresh."""
        self._items.pop(workflow_id, None)
        self._refreshed.pop(workflow_id, None)


def _version(view: OptionsView) -> int:
    return view.offer_version if view.offer_version is not None else -1


def _remember(items: OrderedDict[str, Any], key: str, value: Any) -> None:
    items[key] = value
    items.move_to_end(key)
    while len(items) > VIEWS_KEPT:
        items.popitem(last=False)


def new_form_nonce() -> str:
    return secrets.token_urlsafe(12)


def form_request_id(action: str, form: Any) -> str:
    """`<action>-<nonce>` from the form's hidden field; a missing or odd nonce gets a fresh one."""
    nonce = str(form.get("request_id", ""))
    if not _NONCE.match(nonce):
        nonce = new_form_nonce()
    return f"{action}-{nonce}"
