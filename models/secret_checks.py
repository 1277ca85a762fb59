"""Secrets Hireflow *verifies* must be real before a production process starts.

Two secrets decide what Hireflow accepts from the outside world: `signing_secret` (candidate links,
CSRF fields, reply addresses, video room names) and `greenhouse_webhook_secret` (the HMAC of every
Greenhouse webhook). Their defaults are published in this repository, so a process running on them
accepts forged links and forged webhooks. Outbound credentials (Harvest client secret, CalDAV, SMTP,
Zoom, Microsoft) are not checked here: a wrong one only makes the other side refuse Hireflow, loudly.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from models.settings import Settings

MIN_SECRET_BYTES = 32
"""HMAC-SHA256 keys shorter than its 32-byte output give away strength; random values this long cannot be guessed."""

MIN_DISTINCT_CHARACTERS = 8
"""Fewer distinct characters than this is a placeholder (`aaaa…`, `0000…`), not a random value."""

GENERATE_HINT = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'

PUBLIC_DEFAULTS = frozenset(
    {
        "dev-signing-secret-change-me",  # Settings.signing_secret
        "sandbox-webhook-secret",  # Settings.greenhouse_webhook_secret, the sandbox's and its CLI's
        "sandbox-secret",  # the sandbox's client secret, printed in the README
        "test-signing-secret",  # tests/fixtures/mail.py
    }
)
"""Values published in this repository: whoever reads it can sign with them."""

_PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "replace-me", "your-secret")


@dataclass(frozen=True)
class VerifiedSecret:
    """One secret Hireflow checks incoming data against, named as operators set it."""

    field: str
    purpose: str

    @property
    def env_var(self) -> str:
        return f"HIREFLOW_{self.field.upper()}"


VERIFIED_SECRETS = (
    VerifiedSecret("signing_secret", "signs candidate links, CSRF fields and reply addresses"),
    VerifiedSecret("greenhouse_webhook_secret", "authenticates Greenhouse webhooks"),
)


def _weakness(value: str) -> str | None:
    """Why `value` cannot serve as a secret, or None. Never includes the value itself."""
    if not value.strip():
        return "is empty"
    if value in PUBLIC_DEFAULTS:
        return "is a public default from Hireflow's source"
    lowered = value.lower()
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return "is a placeholder"
    size = len(value.encode("utf-8"))
    if size < MIN_SECRET_BYTES:
        return f"is too short ({size} bytes; at least {MIN_SECRET_BYTES} needed)"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return "repeats too few characters to be random"
    return None


def problems(settings: Settings) -> list[str]:
    """One line per verified secret that is empty, public, a placeholder or too short (whatever the
    environment); empty when every one is fit for production."""
    found: list[str] = []
    values: dict[str, str] = {}
    for secret in VERIFIED_SECRETS:
        raw = getattr(settings, secret.field)
        value = raw.get_secret_value() if isinstance(raw, SecretStr) else str(raw or "")
        weakness = _weakness(value)
        if weakness is not None:
            found.append(f"{secret.env_var} {weakness}; it {secret.purpose}.")
        else:
            values[secret.env_var] = value
    if len(values) == len(VERIFIED_SECRETS) and len(set(values.values())) < len(values):
        names = " and ".join(values)
        found.append(
            f"{names} are the same value; Greenhouse admins see the webhook secret, so it must not sign links."
        )
    return found


class InsecureSecretsError(RuntimeError):
    """A production process was about to start on secrets anyone can know."""

    def __init__(self, found: list[str]) -> None:
        self.problems = found
        super().__init__("\n".join(found))

    def report(self) -> str:
        """What the command prints: every problem, then how to fix it."""
        lines = [f"error: {line}" for line in self.problems]
        lines.append(f"Generate each secret with: {GENERATE_HINT}")
        lines.append(
            "and set it in the environment (docs/configuration.md); `hireflow dev` and `hireflow demo` "
            "generate local ones."
        )
        return "\n".join(lines)


def require_real_secrets(settings: Settings) -> None:
    """Raise `InsecureSecretsError` unless every verified secret is real; development refuses nothing."""
    if settings.is_development:
        return
    found = problems(settings)
    if found:
        raise InsecureSecretsError(found)
