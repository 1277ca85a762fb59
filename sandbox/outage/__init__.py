"""A fault-injecting TCP proxy that takes a local service (Radicale, the SMTP sink) down and up again.

Public API: `OutageProxy`, `OutageMode`, `OutageStats`; `OutageAdmin` and `OutageControl` drive a proxy
from another process (`python -m sandbox.outage`). See docs/sandbox.md, "Outages".
"""

from sandbox.outage.admin import OutageAdmin, OutageControl
from sandbox.outage.proxy import OutageProxy, OutageStats
from sandbox.outage.refusals import OutageMode

__all__ = ["OutageAdmin", "OutageControl", "OutageMode", "OutageProxy", "OutageStats"]
