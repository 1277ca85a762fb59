"""Which Harvest v3 scope each request needs (harvest-v3.md §1.5, scopes.json, write_endpoints.json).

Greenhouse answers a missing scope with a bare `403 {"message":"Forbidden"}`; the client names the scope
itself so a missing scope is never silent (`MissingScopeError.scope`).
"""

from __future__ import annotations

import re

VERBS = ("move", "reject", "unreject", "hire", "convert_to_candidate", "merge", "anonymize")
_ID = re.compile(r"^\d+$")


def required_scope(method: str, path: str) -> str | None:
    """`harvest:<resource>:<action>` for a `/v3/...` request, or None for paths outside `/v3`."""
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or parts[0] != "v3":
        return None
    resource = parts[1]
    rest = parts[2:]
    method = method.upper()
    if rest and _ID.match(rest[0]) and len(rest) > 1 and rest[1] in VERBS:
        return f"harvest:{resource}:{rest[1]}"
    if method == "GET":
        return f"harvest:{resource}:list"
    action = {"POST": "create", "PATCH": "update", "PUT": "update", "DELETE": "destroy"}.get(method)
    return f"harvest:{resource}:{action}" if action else None
