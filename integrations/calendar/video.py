"""Video links for booked sessions: Jitsi by default, Zoom through its API, Meet/Teams natively.

* Jitsi needs no account: the room name is an HMAC of the booking key with the signing secret,
  so it is stable across retries and cannot be guessed from the key.
* Meet and Teams are created by the calendar itself (`EventSpec.native_video=True`).
* Zoom: server-to-server OAuth (account credentials grant) and `POST /users/{user}/meetings`.
  Zoom has no idempotency key, so each meeting is recorded under the booking key
  (`zoom_store.py`) and tagged in its agenda; a retry finds it in the store or on Zoom.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from integrations.calendar.base import (
    CalendarError,
    CalendarNotFoundError,
    CalendarPermissionError,
    CalendarRequestError,
    VideoLink,
    event_id_for,
)
from integrations.calendar.http import CachedToken, RetryPolicy, Sleep, send
from integrations.calendar.zoom_store import ZoomMeetingStore, ZoomRecord
from integrations.logs import get_logger

log = get_logger(__name__)

VideoChoice = Literal["jitsi", "zoom", "native", "none"]


def jitsi_link(key: str, secret: str, base_url: str = "https://meet.jit.si") -> VideoLink:
    """A Jitsi room for booking `key`: `Hireflow-<26 chars of HMAC-SHA256>`."""
    if not key or not secret:
        raise ValueError("a Jitsi link needs a booking key and a signing secret")
    mac = hmac.new(secret.encode(), f"jitsi:{key}".encode(), hashlib.sha256).digest()
    room = "Hireflow-" + base64.b32encode(mac[:16]).decode().rstrip("=").lower()
    return VideoLink(provider="jitsi", url=f"{base_url.rstrip('/')}/{room}", meeting_id=room)


def _tag(key: str) -> str:
    return f"[hireflow:{event_id_for(key)}]"


def _retryable(resp: httpx.Response) -> bool:
    return resp.status_code == 429 or resp.status_code >= 500


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class ZoomMeetings:
    """Zoom meetings per booking key, created at most once."""

    def __init__(
        self,
        account_id: str,
        client_id: str,
        client_secret: str,
        store: ZoomMeetingStore,
        *,
        user: str = "me",
        api_url: str = "https://api.zoom.us/v2",
        token_url: str = "https://zoom.us/oauth/token",
        client: httpx.AsyncClient | None = None,
        policy: RetryPolicy = RetryPolicy(),
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not (account_id and client_id and client_secret):
            raise CalendarRequestError("Zoom needs account id, client id and client secret")
        self.account_id, self.client_id, self._secret = account_id, client_id, client_secret
        self.store = store
        self.user = user
        self.api_url = api_url.rstrip("/")
        self.token_url = token_url
        self._client = client or httpx.AsyncClient(timeout=30)
        self._policy, self._sleep = policy, sleep
        self._token: CachedToken | None = None
        self._lock = asyncio.Lock()

    async def _access_token(self) -> str:
        async with self._lock:
            if self._token and self._token.fresh:
                return self._token.value
            basic = base64.b64encode(f"{self.client_id}:{self._secret}".encode()).decode()
            resp = await send(
                self._client,
                "POST",
                self.token_url,
                retryable=_retryable,
                what="Zoom token",
                headers={"Authorization": f"Basic {basic}"},
                data={"grant_type": "account_credentials", "account_id": self.account_id},
            )
            body = _json(resp)
            if resp.status_code != 200:
                raise CalendarPermissionError(
                    f"Zoom refused the server-to-server OAuth app {self.client_id}: "
                    f"{body.get('reason') or body.get('error') or resp.status_code}; check account id, client id "
                    "and secret, and that the app is activated"
                )
            self._token = CachedToken(str(body["access_token"]), float(body.get("expires_in", 3600)))
            return self._token.value

    async def _call(
        self, method: str, path: str, *, ok: tuple[int, ...], what: str, **kw: Any
    ) -> httpx.Response:
        for attempt in range(2):
            token = await self._access_token()
            resp = await send(
                self._client,
                method,
                f"{self.api_url}{path}",
                retryable=_retryable,
                policy=self._policy,
                sleep=self._sleep,
                what=f"Zoom {what}",
                headers={"Authorization": f"Bearer {token}"},
                **kw,
            )
            if resp.status_code == 401 and attempt == 0:
                self._token = None
                continue
            break
        if resp.status_code in ok:
            return resp
        body = _json(resp)
        message = f"{body.get('code', resp.status_code)}: {body.get('message', '')}"
        if resp.status_code in (401, 403):
            raise CalendarPermissionError(
                f"Zoom {what} refused ({message}); the app needs the meeting:write:meeting:admin scope"
            )
        if resp.status_code == 404:
            raise CalendarNotFoundError(f"Zoom {what}: not found ({message})")
        if resp.status_code == 400:
            raise CalendarRequestError(f"Zoom {what}: bad request ({message})")
        raise CalendarError(f"Zoom {what}: unexpected {resp.status_code} ({message})")

    async def _find_on_zoom(self, key: str) -> dict[str, Any] | None:
        tag, page = _tag(key), ""
        while True:
            params = {"type": "upcoming", "page_size": "300", **({"next_page_token": page} if page else {})}
            data = _json(
                await self._call(
                    "GET", f"/users/{self.user}/meetings", ok=(200,), params=params, what="meetings.list"
                )
            )
            for m in data.get("meetings", []):
                if tag in str(m.get("agenda", "")):
                    return m
            page = str(data.get("next_page_token") or "")
            if not page:
                return None

    async def ensure_meeting(
        self, key: str, topic: str, start: datetime, end: datetime, time_zone: str = "UTC"
    ) -> VideoLink:
        """The meeting for `key`, created on first call and reused on every retry."""
        if end <= start or start.tzinfo is None:
            raise CalendarRequestError("a Zoom meeting needs an aware start before its end")
        record = await self.store.get(key)
        if record is not None:
            return VideoLink(provider="zoom", url=record.join_url, meeting_id=record.meeting_id)
        found = await self._find_on_zoom(key)
        if found is None:
            body = {
                "topic": topic[:200],
                "type": 2,
                "start_time": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "duration": max(1, int((end - start).total_seconds() // 60)),
                "timezone": time_zone,
                "agenda": f"Interview scheduled by Hireflow {_tag(key)}",
                "settings": {
                    "join_before_host": False,
                    "waiting_room": True,
                    "approval_type": 2,
                    "auto_recording": "none",
                    "email_notification": False,
                    "mute_upon_entry": True,
                },
            }
            found = _json(
                await self._call(
                    "POST", f"/users/{self.user}/meetings", ok=(201,), json=body, what="meetings.create"
                )
            )
            log.info("zoom.meeting_created", meeting_id=found.get("id"))
        record = ZoomRecord(key=key, meeting_id=str(found["id"]), join_url=str(found["join_url"]))
        await self.store.put(record)
        return VideoLink(provider="zoom", url=record.join_url, meeting_id=record.meeting_id)

    async def update_meeting(
        self, key: str, start: datetime, end: datetime, topic: str | None = None
    ) -> None:
        record = await self.store.get(key)
        if record is None:
            raise CalendarNotFoundError(f"no Zoom meeting recorded for {key!r}")
        body: dict[str, Any] = {
            "start_time": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration": max(1, int((end - start).total_seconds() // 60)),
        }
        if topic:
            body["topic"] = topic[:200]
        await self._call(
            "PATCH", f"/meetings/{record.meeting_id}", ok=(204,), json=body, what="meetings.update"
        )

    async def delete_meeting(self, key: str) -> None:
        """Delete the meeting; a missing record or meeting counts as done."""
        record = await self.store.get(key)
        if record is None:
            return
        try:
            await self._call(
                "DELETE",
                f"/meetings/{record.meeting_id}",
                ok=(204, 200),
                params={"schedule_for_reminder": "false"},
                what="meetings.delete",
            )
        except CalendarNotFoundError:
            pass
        await self.store.delete(key)


class VideoLinks:
    """Which video link a booking gets: `(link, native)` to put on the EventSpec."""

    def __init__(
        self,
        choice: VideoChoice,
        *,
        signing_secret: str,
        jitsi_url: str = "https://meet.jit.si",
        zoom: ZoomMeetings | None = None,
    ) -> None:
        if choice == "zoom" and zoom is None:
            raise CalendarRequestError("video provider 'zoom' needs Zoom credentials (HIREFLOW_ZOOM_*)")
        self.choice, self.secret, self.jitsi_url, self.zoom = choice, signing_secret, jitsi_url, zoom

    async def for_booking(
        self, key: str, topic: str, start: datetime, end: datetime, time_zone: str = "UTC"
    ) -> tuple[VideoLink | None, bool]:
        if self.choice == "jitsi":
            return jitsi_link(key, self.secret, self.jitsi_url), False
        if self.choice == "zoom":
            assert self.zoom is not None
            return await self.zoom.ensure_meeting(key, topic, start, end, time_zone), False
        if self.choice == "native":
            return None, True
        return None, False
