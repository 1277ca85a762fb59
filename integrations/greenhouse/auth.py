"""OAuth client-credentials tokens for Harvest v3, cached per acting user (`sub`).

Every Harvest call acts as the token's `sub`, so we keep one token per sub. Minting is single-flight
per sub (a burst of concurrent first calls mints once: Greenhouse may revoke the previous token when
a new one is minted) and tokens are refreshed shortly before they expire. The token endpoint's TTL
field is not settled (reference §8.1), so `expires_at`, `expires_in` and `expires` are all accepted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from pydantic import SecretStr

from integrations.greenhouse.errors import (
    AuthError,
    HarvestConnectionError,
    body_message,
    error_for_response,
    parse_retry_after,
)
from integrations.logs import get_logger

log = get_logger(__name__)

DEFAULT_TTL_SECONDS = 3600.0
REFRESH_MARGIN_SECONDS = 60.0
TOKEN_RETRIES = 2


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and the wall-clock epoch second it expires at. `repr` hides the secret value."""

    value: str
    expires_at: float
    sub: int | None
    issued_at: float = 0.0

    def __repr__(self) -> str:
        return f"AccessToken(sub={self.sub!r}, expires_at={self.expires_at!r})"

    def needs_refresh(self, now: float, margin: float = REFRESH_MARGIN_SECONDS) -> bool:
        """True once we are within `margin` of expiry (at most half the lifetime, so short tokens get used)."""
        lifetime = self.expires_at - self.issued_at
        return now >= self.expires_at - min(margin, max(lifetime, 0.0) / 2)


def _parse_iso(value: str) -> float:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():  # +0000 -> +00:00
        text = f"{text[:-2]}:{text[-2:]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"expiry timestamp without a time zone: {value!r}")
    return parsed.timestamp()


def token_lifetime(body: dict[str, Any], now: float) -> float:
    """Seconds the token in `body` stays valid: `expires_at` (ISO), `expires_in` or `expires`; else 3600."""
    expires_at = body.get("expires_at")
    if isinstance(expires_at, str) and expires_at.strip():
        try:
            lifetime = _parse_iso(expires_at) - now
        except ValueError:
            log.warning("harvest_token_unparsable_expiry", field="expires_at")
        else:
            if lifetime > 0:
                return lifetime
            # Already "expired": our clock disagrees with the server's. Trust a relative field instead,
            # otherwise every call would mint a new token.
            log.warning("harvest_token_expiry_in_the_past", skew_seconds=round(-lifetime))
    for field in ("expires_in", "expires"):
        raw = body.get(field)
        if raw is None or isinstance(raw, bool):
            continue
        try:
            return float(raw)
        except (TypeError, ValueError):
            pass
        if isinstance(raw, str):
            try:
                return _parse_iso(raw) - now
            except ValueError:
                log.warning("harvest_token_unparsable_expiry", field=field)
    return DEFAULT_TTL_SECONDS


def parse_token_response(body: Any, *, sub: int | None, now: float) -> AccessToken:
    """Build an `AccessToken` from the token endpoint's JSON, or raise `AuthError` if it holds none."""
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("access_token"), str)
        or not body["access_token"]
    ):
        raise AuthError(
            "token endpoint answered without an access_token", status=200, method="POST", path="/token"
        )
    token_type = str(body.get("token_type") or "Bearer")
    if token_type.lower() != "bearer":
        raise AuthError(f"unsupported token_type {token_type!r}", status=200, method="POST", path="/token")
    return AccessToken(
        value=body["access_token"], expires_at=now + token_lifetime(body, now), sub=sub, issued_at=now
    )


class TokenCache:
    """Mints and caches client-credentials tokens per `sub` (None = the integration service user)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        token_url: str,
        client_id: str,
        client_secret: SecretStr,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        refresh_margin: float = REFRESH_MARGIN_SECONDS,
        max_rate_limit_wait: float = 120.0,
    ) -> None:
        if not client_id:
            raise ValueError("client_id is required")
        self._http = http
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._margin = refresh_margin
        self._sleep = sleep
        self._max_wait = max_rate_limit_wait
        self._tokens: dict[int | None, AccessToken] = {}
        self._locks: dict[int | None, asyncio.Lock] = {}
        self.mint_count = 0

    def _lock(self, sub: int | None) -> asyncio.Lock:
        return self._locks.setdefault(sub, asyncio.Lock())

    async def get(self, sub: int | None) -> AccessToken:
        """A valid token for `sub`, minting at most once however many callers ask at the same time."""
        token = self._tokens.get(sub)
        if token is not None and not token.needs_refresh(self._clock(), self._margin):
            return token
        async with self._lock(sub):
            token = self._tokens.get(sub)
            if token is not None and not token.needs_refresh(self._clock(), self._margin):
                return token
            token = await self._mint(sub)
            self._tokens[sub] = token
            return token

    async def renew_after_401(self, sub: int | None, rejected: AccessToken) -> AccessToken:
        """Replace a token the API refused; concurrent callers holding the same stale token share one mint."""
        async with self._lock(sub):
            current = self._tokens.get(sub)
            if current is not None and current.value != rejected.value:
                return current
            token = await self._mint(sub)
            self._tokens[sub] = token
            return token

    def forget(self, sub: int | None) -> None:
        """Drop the cached token for `sub`."""
        self._tokens.pop(sub, None)

    async def _mint(self, sub: int | None) -> AccessToken:
        form = {"grant_type": "client_credentials"}
        if sub is not None:
            form["sub"] = str(sub)
        auth = httpx.BasicAuth(self._client_id, self._client_secret.get_secret_value())
        waited = 0.0
        failures = 0
        while True:
            started = self._clock()
            try:
                response = await self._http.post(self._token_url, data=form, auth=auth)
            except httpx.TransportError as exc:
                # Minting twice is harmless (the newer token wins), so retry like a GET.
                failures += 1
                if failures > TOKEN_RETRIES:
                    raise HarvestConnectionError(
                        f"token endpoint unreachable ({type(exc).__name__})", method="POST", path="/token"
                    ) from exc
                await self._sleep(0.5 * failures)
                continue
            if response.status_code >= 500 and failures < TOKEN_RETRIES:
                failures += 1
                await self._sleep(0.5 * failures)
                continue
            # The token endpoint has its own (60 s) window: wait a 429 out if that fits the budget.
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if response.status_code != 429 or retry_after is None or waited + retry_after > self._max_wait:
                break
            waited += retry_after
            log.info("harvest_token_rate_limited", retry_after=retry_after)
            await self._sleep(retry_after)
        if response.status_code != 200:
            error = error_for_response(response, method="POST", path=httpx.URL(self._token_url).path)
            if response.status_code in (400, 401):
                message, errors = body_message(response)
                raise AuthError(
                    f"token request refused: {message}",
                    status=response.status_code,
                    method="POST",
                    path=error.path,
                    errors=errors,
                )
            raise error
        try:
            body = response.json()
        except ValueError as exc:
            raise AuthError(
                "token endpoint answered with non-JSON", status=200, method="POST", path="/token"
            ) from exc
        token = parse_token_response(body, sub=sub, now=started)
        self.mint_count += 1
        log.info("harvest_token_minted", sub=sub, ttl_seconds=round(token.expires_at - started))
        return token
