"""OAuth client credentials for the sandbox: credentials with scopes, JWT minting and verification (§1)."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import jwt

from sandbox.greenhouse.errors import unauthorized

# Every scope a Harvest v3 credential can hold for the resources the sandbox serves.
LIST_RESOURCES = (
    "candidates applications application_stages jobs job_interview_stages job_interviews interview_kits "
    "default_interviewers interviews interviewers users offices departments notes scorecards offers sources "
    "job_posts custom_fields email_templates attachments user_job_permissions user_roles rejection_reasons rejection_details custom_field_options "
    "candidate_educations candidate_employments candidate_tags applied_candidate_tags referrers prospect_pools "
    "prospect_pool_stages prospect_details webhooks"
).split()
WRITE_SCOPES = (
    "harvest:candidates:create harvest:candidates:update harvest:applications:create harvest:applications:update "
    "harvest:applications:move harvest:applications:reject harvest:applications:unreject harvest:applications:hire "
    "harvest:notes:create harvest:attachments:create harvest:interviews:create harvest:interviews:update "
    "harvest:interviews:destroy harvest:candidates:merge harvest:candidates:anonymize "
    "harvest:applications:convert_to_candidate harvest:candidate_educations:create "
    "harvest:candidate_educations:destroy harvest:candidate_employments:create "
    "harvest:candidate_employments:destroy harvest:candidate_tags:create harvest:candidate_tags:destroy "
    "harvest:applied_candidate_tags:create harvest:applied_candidate_tags:destroy "
    "harvest:attachments:destroy harvest:webhooks:create harvest:webhooks:update harvest:webhooks:destroy"
).split()
ALL_SCOPES: tuple[str, ...] = tuple(f"harvest:{r}:list" for r in LIST_RESOURCES) + tuple(WRITE_SCOPES)
GRANT_TYPES = (
    "authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:token-exchange"
)
# Real client ids carry a recognisable suffix; ours must look like `<name>` of 3+ safe characters.
CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,}$")


@dataclass
class Credential:
    client_id: str
    client_secret: str
    scopes: frozenset[str]
    service_user_id: int


@dataclass(frozen=True)
class Principal:
    """Who a verified bearer token acts as."""

    client_id: str
    user_id: int
    scopes: frozenset[str]


@dataclass
class TokenIssuer:
    """Signs and verifies HS256 JWTs with a secret private to this sandbox instance."""

    ttl_seconds: int
    signing_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    credentials: dict[str, Credential] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, credential: Credential) -> None:
        with self._lock:
            self.credentials[credential.client_id] = credential

    def get(self, client_id: str) -> Credential | None:
        with self._lock:
            return self.credentials.get(client_id)

    def mint(self, credential: Credential, user_id: int) -> dict[str, object]:
        now = time.time()
        exp = round(
            now + self.ttl_seconds, 3
        )  # NumericDate may be fractional: the lifetime is exactly the TTL
        claims = {
            "sub": str(user_id),
            "iat": int(now),
            "exp": exp,
            "jti": secrets.token_hex(8),
            "client_id": credential.client_id,
            "scopes": sorted(credential.scopes),
        }
        token = jwt.encode(claims, self.signing_key, algorithm="HS256")
        expiry = datetime.fromtimestamp(exp, UTC)
        expires_at = expiry.strftime("%Y-%m-%dT%H:%M:%S.") + f"{expiry.microsecond // 1000:03d}Z"
        return {
            "token_type": "Bearer",
            "access_token": token,
            "expires_in": self.ttl_seconds,
            "expires_at": expires_at,
        }

    def verify(self, authorization: str | None) -> Principal:
        """The principal of a `Bearer <jwt>` header, or a 401 with the Harvest body."""
        if not authorization:
            raise unauthorized()
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized()
        try:
            claims = jwt.decode(
                token.strip(),
                self.signing_key,
                algorithms=["HS256"],
                options={"require": ["sub", "exp", "client_id"]},
            )
            user_id = int(claims["sub"])
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise unauthorized() from exc
        credential = self.get(str(claims["client_id"]))
        if credential is None:
            raise unauthorized()
        # Scopes are read from the credential, not the token: removed scopes apply to live tokens (§1.4).
        return Principal(credential.client_id, user_id, credential.scopes)


def parse_basic(authorization: str | None) -> tuple[str, str] | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


def error_id() -> str:
    return f"err-{secrets.token_hex(6)}"
