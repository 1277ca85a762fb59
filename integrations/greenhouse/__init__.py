"""Greenhouse Harvest v3 client: OAuth token cache, cursor pagination, rate-limit pacing, typed errors."""

from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.errors import (
    AuthError,
    BadRequestError,
    ForbiddenError,
    HarvestConnectionError,
    HarvestError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnsafeLinkError,
    ValidationError,
)
from integrations.greenhouse.pagination import Listing
from integrations.greenhouse.query import TimeRange

__all__ = [
    "AuthError",
    "BadRequestError",
    "ForbiddenError",
    "HarvestClient",
    "HarvestConnectionError",
    "HarvestError",
    "Listing",
    "NotFoundError",
    "RateLimitedError",
    "ServerError",
    "TimeRange",
    "UnsafeLinkError",
    "ValidationError",
]
