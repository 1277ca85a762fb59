"""Fixtures shared by the security suite: the candidate pages on the real workflow (tests/test_web_pages.py)."""

from tests.test_web_pages import web  # noqa: F401  (a pytest fixture, used by name)
