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
from .imports import EntitySource, ImportJob, ServiceLink

__all__ = [
    "Api",
    "ApiOperation",
    "ApiVersion",
    "Dependency",
    "Domain",
    "EntitySource",
    "ImportJob",
    "Membership",
    "Service",
    "ServiceLink",
    "System",
    "Tag",
    "Team",
]
