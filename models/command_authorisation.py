"""Who may command Hireflow by @mention: the configurable rule (`HIREFLOW_MENTION_COMMAND_ROLES`).

A rule maps each mention command (or `*`, every command not listed) to the grants that may give it:
`site_admin`, `recruiter` and `coordinator` (of the note's application), and `job_admin:<role name>`
(a job permission on the application's job holding that `/v3/user_roles` role; `job_admin:*` is any).
Commands missing from a configured rule take its `*`, or the built-in default when there is no `*`.
Bad values fail at start-up with a message that names the setting, never at the first note.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel, model_validator

from models.mentions import MENTION_ACTIONS

EVERY_COMMAND = "*"
PERSON_GRANTS = ("site_admin", "recruiter", "coordinator")
JOB_ROLE_PREFIX = "job_admin:"
ANY_JOB_ROLE = "*"
SETTING = "HIREFLOW_MENTION_COMMAND_ROLES"

_TEAM = ["site_admin", "recruiter", "coordinator"]
DEFAULT_COMMAND_ROLES: dict[str, list[str]] = {
    # Changing a request takes the application's own team, a site admin or a full job admin on the job...
    EVERY_COMMAND: [*_TEAM, "job_admin:Standard", "job_admin:Private"],
    # ...while asking how it stands only takes any job permission on the job (a hiring manager, say).
    "status": [*_TEAM, "job_admin:*"],
}


class CommandRule(BaseModel):
    """The grants that allow one command; job role names are kept case-folded."""

    model_config = ConfigDict(frozen=True)

    command: str
    site_admin: bool = False
    recruiter: bool = False
    coordinator: bool = False
    job_roles: frozenset[str] = frozenset()
    job_role_labels: tuple[str, ...] = ()  # as configured, for the reply note

    def allows_job_role(self, role_name: str) -> bool:
        return ANY_JOB_ROLE in self.job_roles or role_name.strip().casefold() in self.job_roles


class CommandRoles(RootModel[dict[str, tuple[str, ...]]]):
    """The whole rule: command (or `*`) -> grants. Accepts a dict, a list (every command), JSON or CSV."""

    root: dict[str, tuple[str, ...]]

    @classmethod
    def default(cls) -> CommandRoles:
        return cls.model_validate(DEFAULT_COMMAND_ROLES)

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, value: Any) -> Any:
        if isinstance(value, str | bytes):
            value = _parse_text(value.decode() if isinstance(value, bytes) else value)
        if isinstance(value, list | tuple):
            value = {EVERY_COMMAND: list(value)}
        if not isinstance(value, dict):
            raise ValueError(f"{SETTING} must be a JSON object, a JSON list or a comma-separated list")
        return {str(k).strip().lower(): _grants(k, v) for k, v in value.items()}

    @model_validator(mode="after")
    def _known_commands(self) -> CommandRoles:
        unknown = sorted(set(self.root) - {EVERY_COMMAND, *MENTION_ACTIONS})
        if unknown:
            known = ", ".join([EVERY_COMMAND, *MENTION_ACTIONS])
            raise ValueError(f"{SETTING} names unknown commands {unknown}; use {known}")
        return self

    def rule_for(self, command: str) -> CommandRule:
        """The rule of one command: its own grants, else `*`, else the built-in default."""
        grants = self.root.get(command)
        if grants is None:
            grants = self.root.get(EVERY_COMMAND)
        if grants is None:
            defaults = DEFAULT_COMMAND_ROLES
            grants = tuple(defaults.get(command, defaults[EVERY_COMMAND]))
        labels = tuple(g[len(JOB_ROLE_PREFIX) :].strip() for g in grants if g.startswith(JOB_ROLE_PREFIX))
        return CommandRule(
            command=command,
            site_admin="site_admin" in grants,
            recruiter="recruiter" in grants,
            coordinator="coordinator" in grants,
            job_roles=frozenset(label.casefold() for label in labels),
            job_role_labels=labels,
        )


def _parse_text(text: str) -> Any:
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError as error:
            raise ValueError(f"{SETTING} is not valid JSON: {error}") from error
    return [part for part in (p.strip() for p in stripped.split(",")) if part]


def _grants(command: object, value: Any) -> tuple[str, ...]:
    """Normalise one command's grants; the keywords are case-insensitive, role names are kept as written."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError(f"{SETTING}: the grants of {command!r} must be a list of strings")
    grants: list[str] = []
    for raw in value:
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError(f"{SETTING}: grant {raw!r} of {command!r} must be a non-empty string")
        grant = raw.strip()
        lowered = grant.lower()
        if lowered in PERSON_GRANTS:
            grants.append(lowered)
        elif lowered.startswith(JOB_ROLE_PREFIX) and grant[len(JOB_ROLE_PREFIX) :].strip():
            grants.append(JOB_ROLE_PREFIX + grant[len(JOB_ROLE_PREFIX) :].strip())
        else:
            allowed = ", ".join([*PERSON_GRANTS, "job_admin:<role name>", "job_admin:*"])
            raise ValueError(f"{SETTING}: unknown grant {grant!r} for {command!r}; use {allowed}")
    return tuple(grants)
