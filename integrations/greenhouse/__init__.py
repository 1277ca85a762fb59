"""Greenhouse Harvest v3 client: OAuth token cache, cursor pagination, rate-limit pacing, typed errors."""

from integrations.greenhouse.client import HarvestClient
from integrations.greenhouse.errors import (
    ApplicationMovedError,
    AuthError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    HarvestConnectionError,
    HarvestError,
    MissingScopeError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnsafeLinkError,
    ValidationError,
)
from integrations.greenhouse.pagination import Listing
from integrations.greenhouse.query import TimeRange

__all__ = [
    "ApplicationMovedError",
    "AuthError",
    "BadRequestError",
    "ConflictError",
    "ForbiddenError",
    "HarvestClient",
    "HarvestConnectionError",
    "HarvestError",
    "Listing",
    "MissingScopeError",
    "NotFoundError",
    "RateLimitedError",
    "ServerError",
    "TimeRange",
    "UnsafeLinkError",
    "ValidationError",
]
