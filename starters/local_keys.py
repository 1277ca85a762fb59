"""The embedded stack's own payload key: generated once, kept in the state directory (0600).

A restarted `hireflow dev` reads its old histories with the same key, and `hireflow schedule|status|
cancel` run beside it read the same file when HIREFLOW_PAYLOAD_ENCRYPTION_KEYS is unset.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import SecretStr

from integrations.payload_keys import Keyring, generate_entry
from models.settings import Settings

KEY_FILE = "payload-keys"


def ensure_local_keys(state_dir: Path) -> str:
    """The keyring text in `state_dir/payload-keys`, created with a fresh key (mode 0600) when absent."""
    path = state_dir / KEY_FILE
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(generate_entry("local") + "\n")
    text = path.read_text(encoding="ascii").strip()
    Keyring.parse(text)  # a damaged file is named now, not at the first payload
    return text


def with_local_keys(settings: Settings) -> Settings:
    """`settings`, with the state directory's key when none is configured and the dev stack left one."""
    if settings.payload_encryption_keys is not None:
        return settings
    path = settings.state_dir / KEY_FILE
    if not path.is_file():
        return settings
    text = path.read_text(encoding="ascii").strip()
    return settings.model_copy(update={"payload_encryption_keys": SecretStr(text)})
