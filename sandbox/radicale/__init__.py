"""Radicale, the CalDAV server of the embedded stack and the tests, run as a loopback subprocess.

`server.RadicaleServer` starts `python -m sandbox.radicale.main` (a launcher around Radicale's own
server) and stops it; see docs/calendars.md.
"""
