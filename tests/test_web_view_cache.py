"""ViewCache: a burst of page views re-plans an offer once, and a new request is never hidden by an old one."""

from __future__ import annotations

import pytest

from models.messages import OptionsView, SchedulingState
from web import view_cache
from web.view_cache import ViewCache

WF = "schedule-1-2"


def _view(version: int, chain: str = "chain-a") -> OptionsView:
    return OptionsView(state=SchedulingState.OFFERED, offer_version=version, chain_id=chain)


def test_a_query_answered_after_a_refresh_does_not_bring_back_the_older_offer() -> None:
    cache = ViewCache()
    cache.put_refreshed(WF, _view(4))
    kept = cache.put(WF, _view(3))
    assert kept.offer_version == 4 and cache.get(WF) == kept


def test_a_new_request_replaces_the_cached_view_whatever_its_version() -> None:
    cache = ViewCache()
    cache.put_refreshed(WF, _view(7, "chain-a"))
    kept = cache.put(WF, _view(1, "chain-b"))
    assert kept.chain_id == "chain-b"
    assert not cache.just_refreshed(kept, WF), "the old request's refresh says nothing of the new one"


def test_an_offer_just_refreshed_is_fresh_for_the_grace_then_judged_by_age_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(view_cache.time, "monotonic", lambda: clock[0])
    cache = ViewCache(seconds=2, refresh_grace=10)
    cache.put_refreshed(WF, _view(5))
    clock[0] += 5  # the view itself has expired from the cache, the grace has not
    assert cache.get(WF) is None
    assert cache.just_refreshed(_view(5), WF) and cache.just_refreshed(_view(4), WF)
    assert not cache.just_refreshed(_view(6), WF), "a newer offer was not refreshed here"
    clock[0] += 6
    assert not cache.just_refreshed(_view(5), WF)


def test_forget_drops_the_view_and_the_grace() -> None:
    cache = ViewCache()
    cache.put_refreshed(WF, _view(2))
    cache.forget(WF)
    assert cache.get(WF) is None and not cache.just_refreshed(_view(2), WF)
