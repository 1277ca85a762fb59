"""Generated secrets of one embedded stack, kept in its state directory.

`hireflow dev` and `hireflow demo` must not run on the public defaults either, yet a restarted stack
has to keep accepting the links it mailed before: so each state directory gets its own random signing
and webhook secrets on first use, in `<state_dir>/secrets.json` (mode 0600), reused afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from pathlib import Path

from models.secret_checks import VERIFIED_SECRETS

SECRETS_FILE = "secrets.json"
PRIVATE_MODE = 0o600


class LocalSecretsError(RuntimeError):
    """The state directory's secrets file cannot be read as this module wrote it."""


def secrets_path(state_dir: Path) -> Path:
    return state_dir / SECRETS_FILE


def new_secret() -> str:
    """64 URL-safe characters from 48 random bytes (what the docs tell operators to generate)."""
    return secrets.token_urlsafe(48)


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LocalSecretsError(
            f"cannot read the stack's secrets in {path} ({type(error).__name__}); "
            "delete the file to generate new ones (links mailed before then stop working)"
        ) from error
    if not isinstance(data, dict) or not all(isinstance(v, str) and v for v in data.values()):
        raise LocalSecretsError(
            f"{path} is not a JSON object of non-empty strings; delete it to generate new secrets"
        )
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        path.chmod(PRIVATE_MODE)  # someone widened it: tighten, the values stay
    return data


def _write(path: Path, values: dict[str, str], *, replace: bool) -> bool:
    """Write `values` private from the first byte (never world-readable, even for an instant).

    Without `replace` an existing file wins (another process created it first): returns False.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(values, out, indent=2, sort_keys=True)
            out.write("\n")
        if replace:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)  # atomic create-if-absent
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def local_secrets(state_dir: Path) -> dict[str, str]:
    """The stack's secrets by settings field (`signing_secret`, `greenhouse_webhook_secret`), created
    on first use and kept; a field missing from an older file is added without touching the others."""
    path = secrets_path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    values = _read(path) if existed else {}
    missing = [s.field for s in VERIFIED_SECRETS if s.field not in values]
    if not missing:
        return values
    values = {**values, **{field: new_secret() for field in missing}}
    if _write(path, values, replace=existed):
        return values
    return local_secrets(state_dir)  # lost the race to create it: use the winner's
