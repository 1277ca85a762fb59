"""Build the configured calendar provider and video-link policy from `Settings`.

Missing credentials fail here, at start-up, with the name of the setting to fill in, instead of
at the first booking.
"""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from integrations.calendar.base import CalendarProvider, CalendarRequestError
from integrations.calendar.caldav import CalDAVCalendar
from integrations.calendar.google import GoogleCalendar, ServiceAccountTokens
from integrations.calendar.microsoft import GraphCalendar, GraphTokens
from integrations.calendar.video import VideoLinks, ZoomMeetings
from integrations.calendar.zoom_store import MemoryZoomStore, SQLZoomStore, ZoomMeetingStore
from models.settings import Settings


def _need(value: object, name: str, provider: str) -> None:
    if not value:
        raise CalendarRequestError(f"calendar provider {provider!r} needs HIREFLOW_{name.upper()}")


def build_calendar(settings: Settings) -> CalendarProvider:
    """The provider named by `HIREFLOW_CALENDAR_PROVIDER` (default: CalDAV on the embedded Radicale)."""
    if settings.calendar_provider == "caldav":
        password = settings.caldav_password.get_secret_value() if settings.caldav_password else ""
        return CalDAVCalendar(settings.caldav_url, username=settings.caldav_username, password=password)
    if settings.calendar_provider == "google":
        _need(settings.google_service_account_file, "google_service_account_file", "google")
        _need(settings.google_delegated_subject, "google_delegated_subject", "google")
        assert (
            settings.google_service_account_file is not None and settings.google_delegated_subject is not None
        )
        try:
            info = json.loads(settings.google_service_account_file.read_text())
        except (OSError, ValueError) as exc:
            raise CalendarRequestError(
                f"cannot read the Google service-account key {settings.google_service_account_file}: {exc}"
            ) from exc
        return GoogleCalendar(
            ServiceAccountTokens(info),
            subject=settings.google_delegated_subject,
            send_updates=settings.google_send_updates,
        )
    _need(settings.microsoft_tenant_id, "microsoft_tenant_id", "microsoft")
    _need(settings.microsoft_client_id, "microsoft_client_id", "microsoft")
    _need(settings.microsoft_client_secret, "microsoft_client_secret", "microsoft")
    assert settings.microsoft_client_secret is not None
    tokens = GraphTokens(
        str(settings.microsoft_tenant_id),
        str(settings.microsoft_client_id),
        settings.microsoft_client_secret.get_secret_value(),
    )
    return GraphCalendar(tokens, mailbox=settings.calendar_organizer)


def build_video(settings: Settings, engine: Engine | None = None) -> VideoLinks:
    """The video policy of `HIREFLOW_VIDEO_PROVIDER`; Zoom records go to the SQL store when given."""
    if settings.video_provider == "native" and settings.calendar_provider == "caldav":
        raise CalendarRequestError(
            "HIREFLOW_VIDEO_PROVIDER=native needs the google or microsoft calendar provider"
        )
    zoom = None
    if settings.video_provider == "zoom":
        for name in ("zoom_account_id", "zoom_client_id", "zoom_client_secret"):
            if not getattr(settings, name):
                raise CalendarRequestError(f"video provider 'zoom' needs HIREFLOW_{name.upper()}")
        assert settings.zoom_client_secret is not None
        store: ZoomMeetingStore = SQLZoomStore(engine) if engine is not None else MemoryZoomStore()
        zoom = ZoomMeetings(
            str(settings.zoom_account_id),
            str(settings.zoom_client_id),
            settings.zoom_client_secret.get_secret_value(),
            store,
        )
    return VideoLinks(
        settings.video_provider,
        signing_secret=settings.signing_secret.get_secret_value(),
        jitsi_url=settings.jitsi_base_url,
        zoom=zoom,
    )
