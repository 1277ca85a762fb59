"""Greenhouse's Rails-style zone names map to real IANA zones."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from models.time_zones import RAILS_TO_IANA, to_iana


def test_every_rails_name_maps_to_a_zone_the_pinned_tzdata_knows() -> None:
    for rails, iana in RAILS_TO_IANA.items():
        assert to_iana(rails) == iana, rails
        ZoneInfo(iana)


def test_iana_names_pass_through_and_nonsense_is_refused() -> None:
    assert to_iana("Europe/London") == "Europe/London"
    assert to_iana("  Eastern Time (US & Canada) ") == "America/New_York"
    assert to_iana("Mars/Olympus_Mons") is None
    assert to_iana("") is None and to_iana(None) is None


def test_mapped_zones_keep_their_daylight_saving_rules() -> None:
    pacific = ZoneInfo(RAILS_TO_IANA["Pacific Time (US & Canada)"])
    assert datetime(2026, 7, 1, 12, tzinfo=pacific).utcoffset().total_seconds() == -7 * 3600  # type: ignore[union-attr]
    assert datetime(2026, 12, 1, 12, tzinfo=pacific).utcoffset().total_seconds() == -8 * 3600  # type: ignore[union-attr]
