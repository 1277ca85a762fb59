"""A local Greenhouse that speaks Harvest v3 (token endpoint, /v3 reads and writes, rate limits, webhooks).

Public API: `SandboxConfig`, `create_app`, `SandboxServer`, `serve`, `SeedSummary` (see docs/sandbox.md).
"""

from sandbox.greenhouse.app import create_app
from sandbox.greenhouse.config import FaultRule, SandboxConfig
from sandbox.greenhouse.seed import SeedOffice, SeedPerson, SeedSummary
from sandbox.greenhouse.server import SandboxServer, serve

__all__ = [
    "FaultRule",
    "SandboxConfig",
    "SandboxServer",
    "SeedOffice",
    "SeedPerson",
    "SeedSummary",
    "create_app",
    "serve",
]
