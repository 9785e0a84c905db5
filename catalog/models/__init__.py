"""Catalog models, one module per area; everything is re-exported here."""

from .catalog import (
    Api,
    ApiOperation,
    ApiVersion,
    Dependency,
    Domain,
    Membership,
    Service,
    System,
    Tag,
    Team,
)

__all__ = [
    "Api",
    "ApiOperation",
    "ApiVersion",
    "Dependency",
    "Domain",
    "Membership",
    "Service",
    "System",
    "Tag",
    "Team",
]
