"""Runtime state of one sandbox instance, shared by the middleware and the routers via `app.state.sandbox`."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy import select
from sqlmodel import Session

from sandbox.greenhouse.auth import Credential, Principal, TokenIssuer
from sandbox.greenhouse.config import SandboxConfig
from sandbox.greenhouse.db import Store
from sandbox.greenhouse.faults import FaultInjector
from sandbox.greenhouse.ratelimit import FixedWindowLimiter
from sandbox.greenhouse.seed import SeedSummary
from sandbox.greenhouse.tables import User
from sandbox.greenhouse.webhooks import WebhookSender


@dataclass
class UserDirectory:
    """Active users and site admins, cached for the per-request `sub` checks."""

    active: set[int] = field(default_factory=set)
    site_admins: set[int] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reload(self, store: Store) -> None:
        rows = store.run(_user_flags)
        with self._lock:
            self.active = {uid for uid, _, deactivated in rows if not deactivated}
            self.site_admins = {uid for uid, admin, deactivated in rows if admin and not deactivated}

    def is_active(self, user_id: int) -> bool:
        with self._lock:
            return user_id in self.active

    def is_site_admin(self, user_id: int) -> bool:
        with self._lock:
            return user_id in self.site_admins


def _user_flags(session: Session) -> list[tuple[int, bool, bool]]:
    result = session.execute(select(User.id, User.site_admin, User.deactivated))  # type: ignore[call-overload]
    return [(int(r[0]), bool(r[1]), bool(r[2])) for r in result]


@dataclass
class SandboxState:
    config: SandboxConfig
    store: Store
    issuer: TokenIssuer
    limiter: FixedWindowLimiter
    token_limiter: FixedWindowLimiter
    faults: FaultInjector
    webhooks: WebhookSender
    users: UserDirectory = field(default_factory=UserDirectory)
    summary: SeedSummary | None = None

    def credential(self, client_id: str) -> Credential | None:
        return self.issuer.get(client_id)


def get_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def get_principal(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal
