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
from .deprecations import (
    ConsumerMigration,
    Deprecation,
    DeprecationTransition,
    MigrationTransition,
)
from .imports import EntitySource, ImportJob, ServiceLink
from .specs import ApiSpec

__all__ = [
    "Api",
    "ApiOperation",
    "ApiSpec",
    "ApiVersion",
    "ConsumerMigration",
    "Dependency",
    "Deprecation",
    "DeprecationTransition",
    "Domain",
    "EntitySource",
    "ImportJob",
    "Membership",
    "MigrationTransition",
    "Service",
    "ServiceLink",
    "System",
    "Tag",
    "Team",
]
