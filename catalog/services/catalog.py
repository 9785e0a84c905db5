"""Writes of the catalog core: teams, services, APIs, versions and dependencies.

Every function checks its invariants and raises ``DomainError`` (a clear 4xx through the API) or
Django's ``ValidationError``; nothing is written when it refuses.
"""

from __future__ import annotations

import semver
from django.db import transaction

from catalog.models import Api, ApiVersion, Dependency, Membership, Service, Team
from portal.api.exceptions import DomainError


def version_parse(*, version: str) -> semver.Version:
    """Parse a SemVer string (a leading ``v`` is tolerated). Raises DomainError when invalid."""
    text = (version or "").strip()
    if text[:1] in {"v", "V"}:
        text = text[1:]
    try:
        return semver.Version.parse(text)
    except (ValueError, TypeError) as exc:
        raise DomainError(
            f"'{version}' is not a valid semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.0).",
            rule="version-invalid",
            errors={"version": [f"'{version}' is not a valid semantic version: {exc}"]},
        ) from exc


@transaction.atomic
def team_member_set(*, team: Team, user, role: str = Membership.Role.MEMBER) -> Membership:
    """Add ``user`` to ``team`` with ``role`` (or change their role)."""
    if role not in Membership.Role.values:
        raise DomainError(f"Unknown role '{role}'.", errors={"role": ["Unknown role."]})
    membership, _ = Membership.objects.update_or_create(
        team=team, user=user, defaults={"role": role}
    )
    return membership


@transaction.atomic
def dependency_create(
    *,
    consumer: Service,
    api_version: ApiVersion,
    operations=None,
    purpose: str = "",
    requested_at=None,
    live_at=None,
) -> Dependency:
    """Declare that ``consumer`` uses ``api_version``.

    Refuses a service consuming its own API, a duplicate declaration, a retired version and a
    live date before the request date.
    """
    provider_id = api_version.api.provider_id
    if consumer.pk == provider_id:
        raise DomainError(
            "A service cannot consume its own API.",
            rule="dependency-self",
            errors={"consumer": ["A service cannot consume its own API."]},
        )
    if api_version.status == ApiVersion.Status.RETIRED:
        raise DomainError(
            f"{api_version} is retired and cannot gain consumers.",
            rule="dependency-retired-version",
            errors={"api_version": ["This version is retired."]},
        )
    if requested_at and live_at and live_at < requested_at:
        raise DomainError(
            "live_at cannot be before requested_at.",
            errors={"live_at": ["Must be on or after requested_at."]},
        )
    if Dependency.objects.filter(consumer=consumer, api_version=api_version).exists():
        raise DomainError(
            f"{consumer} already consumes {api_version}.",
            kind="conflict",
            rule="dependency-duplicate",
            errors={"api_version": ["This dependency already exists."]},
        )
    dependency = Dependency.objects.create(
        consumer=consumer,
        api_version=api_version,
        provider_id=provider_id,
        purpose=purpose,
        requested_at=requested_at,
        live_at=live_at,
    )
    if operations:
        ops = list(operations)
        foreign = [op for op in ops if op.api_version_id != api_version.pk]
        if foreign:
            raise DomainError(
                "Operations must belong to the consumed API version.",
                errors={"operations": ["Operations must belong to the consumed API version."]},
            )
        dependency.operations.set(ops)
    return dependency


@transaction.atomic
def api_version_create(
    *,
    api: Api,
    version: str,
    stability: str = ApiVersion.Stability.STABLE,
    released_on=None,
    changelog: str = "",
    spec: str = "",
) -> ApiVersion:
    """Create a version of ``api``; the version string must be valid SemVer and unique per API."""
    parsed = version_parse(version=version)
    if ApiVersion.objects.filter(api=api, version=version).exists():
        raise DomainError(
            f"{api} already has a version {version}.",
            kind="conflict",
            rule="version-duplicate",
            errors={"version": ["This version already exists."]},
        )
    return ApiVersion.objects.create(
        api=api,
        version=version,
        major=parsed.major,
        minor=parsed.minor,
        patch=parsed.patch,
        prerelease=parsed.prerelease or "",
        stability=stability,
        released_on=released_on,
        changelog=changelog,
        spec=spec,
    )
