"""Writes of the catalog core: teams, services, APIs, versions and dependencies.

Every function checks its invariants and raises ``DomainError`` (a clear 4xx through the API) or
Django's ``ValidationError``; nothing is written when it refuses (every function is atomic).
Permissions are checked by the interfaces (API, pages, admin) with ``catalog.selectors.permissions``.

Hooks into other areas (called only when the other area provides them):

- ``catalog.services.specs.spec_publish(*, api_version, document, actor)`` — when a version is
  created or updated with a spec (validation, operations, breaking-change findings).
- ``catalog.services.deprecations.migrations_sync_for_dependency(*, dependency)`` — when a
  dependency is created or switched to another version.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass

import semver
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email, validate_slug
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from catalog.models import (
    Api,
    ApiOperation,
    ApiVersion,
    Dependency,
    Membership,
    Service,
    System,
    Tag,
    Team,
)
from portal.api.exceptions import DomainError

# --- hooks into other areas ----------------------------------------------------------------


def _hook(module: str, name: str):
    """``module.name`` if that module exists and defines it, else ``None``."""
    if importlib.util.find_spec(module) is None:
        return None
    return getattr(importlib.import_module(module), name, None)


# --- validation helpers --------------------------------------------------------------------


def _invalid(field: str, message: str, *, rule: str = "") -> DomainError:
    return DomainError(message, rule=rule, errors={field: [message]})


def _check_slug(slug: str, *, field: str = "slug") -> str:
    slug = (slug or "").strip()
    try:
        validate_slug(slug)
    except ValidationError as exc:
        raise _invalid(
            field, "Use letters, numbers, hyphens or underscores only.", rule="slug-invalid"
        ) from exc
    if len(slug) > 100:
        raise _invalid(field, "At most 100 characters.")
    return slug


def _check_name(name: str, *, field: str = "name", max_length: int = 200) -> str:
    name = (name or "").strip()
    if not name:
        raise _invalid(field, "This field is required.")
    if len(name) > max_length:
        raise _invalid(field, f"At most {max_length} characters.")
    return name


def _check_url(value: str, *, field: str) -> str:
    value = (value or "").strip()
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError as exc:
            raise _invalid(field, "Enter a valid http(s) URL.") from exc
        if len(value) > 500:
            raise _invalid(field, "At most 500 characters.")
    return value


def _check_choice(value, choices, *, field: str):
    if value not in choices:
        raise _invalid(field, f"'{value}' is not one of: {', '.join(map(str, choices))}.")
    return value


def _unique(model, *, field: str = "slug", value, exclude_pk=None, label: str = "") -> None:
    qs = model.objects.filter(**{field: value})
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise DomainError(
            f"{label or model._meta.verbose_name.capitalize()} '{value}' already exists.",
            kind="conflict",
            rule=f"{model._meta.model_name}-duplicate",
            errors={field: ["Already taken."]},
        )


# --- versions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedVersion:
    major: int
    minor: int
    patch: int
    prerelease: str = ""


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


_MAJOR_ONLY = re.compile(r"^[vV]?(\d{1,9})$")
_CALVER = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def version_parse_scheme(*, version: str, scheme: str) -> ParsedVersion:
    """Parse ``version`` under a versioning scheme: ``semver`` (1.4.0), ``calver`` (2025-01-31)
    or ``major`` (v3). Raises DomainError (400, rule ``version-invalid``) when it does not fit."""
    text = (version or "").strip()
    if not text or len(text) > 100:
        raise _invalid("version", "A version string of 1 to 100 characters is required.")
    if scheme == "calver":
        match = _CALVER.match(text)
        try:
            if not match:
                raise ValueError
            day = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError as exc:
            raise DomainError(
                f"'{version}' is not a calendar version (YYYY-MM-DD, e.g. 2025-01-31).",
                rule="version-invalid",
                errors={"version": ["Use the calendar scheme YYYY-MM-DD of this API's policy."]},
            ) from exc
        return ParsedVersion(day.year, day.month, day.day)
    if scheme == "major":
        match = _MAJOR_ONLY.match(text)
        if not match:
            raise DomainError(
                f"'{version}' is not a major-only version (v1, v2, …).",
                rule="version-invalid",
                errors={"version": ["This API's policy uses major-only versions: v1, v2, …"]},
            )
        return ParsedVersion(int(match[1]), 0, 0)
    parsed = version_parse(version=text)
    if max(parsed.major, parsed.minor, parsed.patch) > 2_000_000_000:
        raise _invalid(
            "version", "Version numbers must be below 2,000,000,000.", rule="version-invalid"
        )
    return ParsedVersion(parsed.major, parsed.minor, parsed.patch, parsed.prerelease or "")


def _policy_for(api: Api):
    from slas.selectors import policy_for_api

    return policy_for_api(api=api)


def _freeze_policy(api_version: ApiVersion) -> None:
    """Freeze the effective policy onto a version that is beta or stable and has no snapshot."""
    if api_version.policy_snapshot or api_version.stability not in ("beta", "stable"):
        return
    policy, source = _policy_for(api_version.api)
    snapshot = policy.as_snapshot()
    snapshot["source"] = source
    snapshot["frozen_at"] = dt.date.today().isoformat()
    api_version.policy_snapshot = snapshot


def _publish_spec(*, api_version: ApiVersion, actor) -> None:
    """The single call site of the spec registry (validation, operations, breaking changes)."""
    if not api_version.spec:
        return
    max_bytes = _spec_max_bytes()
    if len(api_version.spec.encode("utf-8", "replace")) > max_bytes:
        raise DomainError(
            f"The spec is larger than {max_bytes} bytes.",
            rule="spec-too-large",
            errors={"spec": [f"At most {max_bytes} bytes."]},
        )
    publish = _hook("catalog.services.specs", "spec_publish")
    if publish is not None:
        publish(api_version=api_version, document=api_version.spec, actor=actor)


def _spec_max_bytes() -> int:
    from django.conf import settings

    return int(getattr(settings, "PORTAL_SPEC_MAX_BYTES", 5 * 1024 * 1024))


STABILITY_VALUES = list(ApiVersion.Stability.values)
STATUS_VALUES = list(ApiVersion.Status.values)


@transaction.atomic
def api_version_create(
    *,
    api: Api,
    version: str,
    stability: str = ApiVersion.Stability.STABLE,
    status: str = ApiVersion.Status.ACTIVE,
    released_on=None,
    changelog: str = "",
    spec: str = "",
    actor=None,
) -> ApiVersion:
    """Create a version of ``api``.

    The version string must fit the scheme of the API's effective policy (SemVer by default) and
    be unique per API (409). A beta or stable version gets the policy frozen onto it. A spec is
    handed to the spec registry (``spec_publish``), whose refusal rolls everything back.
    """
    _check_choice(stability, STABILITY_VALUES, field="stability")
    _check_choice(status, STATUS_VALUES, field="status")
    if status == ApiVersion.Status.RETIRED:
        raise _invalid("status", "A new version cannot start retired.")
    policy, _ = _policy_for(api)
    parsed = version_parse_scheme(version=version, scheme=policy.scheme)
    version = version.strip()
    if ApiVersion.objects.filter(api=api, version=version).exists():
        raise DomainError(
            f"{api} already has a version {version}.",
            kind="conflict",
            rule="version-duplicate",
            errors={"version": ["This version already exists."]},
        )
    api_version = ApiVersion(
        api=api,
        version=version,
        major=parsed.major,
        minor=parsed.minor,
        patch=parsed.patch,
        prerelease=parsed.prerelease,
        stability=stability,
        status=status,
        released_on=released_on,
        changelog=changelog or "",
        spec=spec or "",
    )
    _freeze_policy(api_version)
    api_version.save()
    _publish_spec(api_version=api_version, actor=actor)
    return api_version


@transaction.atomic
def api_version_update(*, api_version: ApiVersion, actor=None, **fields) -> ApiVersion:
    """Change a version's ``stability``, ``status``, ``released_on``, ``changelog`` or ``spec``.

    Refuses: lowering the stability of a beta/stable version (a promise was made; 409), retiring
    a version that still has consumers (use the deprecation workflow; 409), un-retiring.
    Becoming beta or stable freezes the effective policy onto the version.
    """
    allowed = {"stability", "status", "released_on", "changelog", "spec"}
    unknown = set(fields) - allowed
    if unknown:
        raise _invalid(sorted(unknown)[0], "This field cannot be changed.")
    api_version = (
        ApiVersion.objects.select_for_update().select_related("api").get(pk=api_version.pk)
    )
    if "stability" in fields:
        new = _check_choice(fields["stability"], STABILITY_VALUES, field="stability")
        rank = ApiVersion.STABILITY_RANK
        if rank[new] < rank[api_version.stability] and rank[api_version.stability] >= rank["beta"]:
            raise DomainError(
                f"{api_version} is {api_version.stability}; its stability cannot go down to {new}.",
                kind="conflict",
                rule="stability-downgrade",
                errors={"stability": ["A beta or stable version cannot become less stable."]},
            )
        api_version.stability = new
    if "status" in fields:
        new = _check_choice(fields["status"], STATUS_VALUES, field="status")
        if api_version.status == ApiVersion.Status.RETIRED and new != ApiVersion.Status.RETIRED:
            raise DomainError(
                f"{api_version} is retired; publish a new version instead.",
                kind="conflict",
                rule="version-unretire",
                errors={"status": ["A retired version stays retired."]},
            )
        if (
            new == ApiVersion.Status.RETIRED
            and api_version.status != ApiVersion.Status.RETIRED
            and Dependency.objects.filter(api_version=api_version).exists()
        ):
            raise DomainError(
                f"{api_version} still has consumers; retire it through a deprecation.",
                kind="conflict",
                rule="version-retire-with-consumers",
                errors={"status": ["This version still has consumers."]},
            )
        api_version.status = new
    if "released_on" in fields:
        api_version.released_on = fields["released_on"]
    if "changelog" in fields:
        api_version.changelog = fields["changelog"] or ""
    spec_changed = "spec" in fields and (fields["spec"] or "") != api_version.spec
    if spec_changed:
        api_version.spec = fields["spec"] or ""
    _freeze_policy(api_version)
    api_version.save()
    if spec_changed:
        _publish_spec(api_version=api_version, actor=actor)
    return api_version


@transaction.atomic
def api_version_delete(*, api_version: ApiVersion) -> None:
    """Delete a version nobody consumes (409 otherwise: deprecate and retire it instead)."""
    if Dependency.objects.filter(api_version=api_version).exists():
        raise DomainError(
            f"{api_version} has consumers and cannot be deleted; deprecate it instead.",
            kind="conflict",
            rule="version-has-consumers",
        )
    api_version.delete()


# --- teams ---------------------------------------------------------------------------------


def _team_fields(fields: dict, *, partial: bool) -> dict:
    out = {}
    if "name" in fields or not partial:
        out["name"] = _check_name(fields.get("name", ""))
    if "description" in fields:
        out["description"] = fields["description"] or ""
    if "email" in fields:
        email = (fields["email"] or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise _invalid("email", "Enter a valid e-mail address.") from exc
        out["email"] = email
    if "chat_channel" in fields:
        channel = (fields["chat_channel"] or "").strip()
        if len(channel) > 200:
            raise _invalid("chat_channel", "At most 200 characters.")
        out["chat_channel"] = channel
    return out


@transaction.atomic
def team_create(*, slug: str, name: str, actor=None, **fields) -> Team:
    """Create a team (slug unique, 409). ``actor`` (when given and not staff) becomes its owner."""
    slug = _check_slug(slug)
    values = _team_fields({"name": name, **fields}, partial=False)
    _unique(Team, value=slug)
    team = Team.objects.create(slug=slug, **values)
    if actor is not None and getattr(actor, "is_authenticated", False) and not actor.is_staff:
        Membership.objects.create(team=team, user=actor, role=Membership.Role.OWNER)
    return team


@transaction.atomic
def team_update(*, team: Team, **fields) -> Team:
    """Change a team's name, description, e-mail or chat channel (the slug is permanent)."""
    if "slug" in fields and fields["slug"] != team.slug:
        raise _invalid("slug", "The slug of a team cannot change.")
    fields.pop("slug", None)
    for key, value in _team_fields(fields, partial=True).items():
        setattr(team, key, value)
    team.save()
    return team


@transaction.atomic
def team_delete(*, team: Team) -> None:
    """Delete a team that owns no services (409 otherwise)."""
    if Service.objects.filter(owner=team).exists():
        raise DomainError(
            f"{team} still owns services; hand them over first.",
            kind="conflict",
            rule="team-owns-services",
        )
    team.delete()


@transaction.atomic
def team_member_set(*, team: Team, user, role: str = Membership.Role.MEMBER) -> Membership:
    """Add ``user`` to ``team`` with ``role`` (or change their role).

    Refuses demoting the team's last owner (409)."""
    if role not in Membership.Role.values:
        raise DomainError(f"Unknown role '{role}'.", errors={"role": ["Unknown role."]})
    existing = Membership.objects.select_for_update().filter(team=team, user=user).first()
    if (
        existing
        and existing.role == Membership.Role.OWNER
        and role != Membership.Role.OWNER
        and _owner_count(team) == 1
    ):
        raise DomainError(
            f"{user} is the last owner of {team}.",
            kind="conflict",
            rule="team-last-owner",
            errors={"role": ["A team keeps at least one owner."]},
        )
    membership, _ = Membership.objects.update_or_create(
        team=team, user=user, defaults={"role": role}
    )
    return membership


@transaction.atomic
def team_member_remove(*, team: Team, user) -> None:
    """Remove ``user`` from ``team``; refuses removing the last owner (409), 400 if not a member."""
    membership = Membership.objects.select_for_update().filter(team=team, user=user).first()
    if membership is None:
        raise _invalid("user", f"{user} is not a member of {team}.")
    if membership.role == Membership.Role.OWNER and _owner_count(team) == 1:
        raise DomainError(
            f"{user} is the last owner of {team}.",
            kind="conflict",
            rule="team-last-owner",
            errors={"user": ["A team keeps at least one owner."]},
        )
    membership.delete()


def _owner_count(team: Team) -> int:
    return Membership.objects.filter(team=team, role=Membership.Role.OWNER).count()


# --- services ------------------------------------------------------------------------------

#: What ``service_create``/``service_update`` set, in the order the API shows a service's fields.
SERVICE_FIELD_ORDER = (
    "name",
    "description",
    "owner",
    "system",
    "layer",
    "tier",
    "lifecycle",
    "kind",
    "tags",
    "repository_url",
    "documentation_url",
    "runbook_url",
    "links",
    "annotations",
    "onboarding_notes",
)
SERVICE_FIELDS = frozenset(SERVICE_FIELD_ORDER)


def tags_resolve(*, names: Iterable[str]) -> list[Tag]:
    """Tags for ``names`` (slugified, created when new), in order, without duplicates."""
    slugs: list[str] = []
    for name in names or []:
        slug = slugify(str(name))[:100]
        if not slug:
            raise _invalid("tags", f"'{name}' is not a usable tag.")
        if slug not in slugs:
            slugs.append(slug)
    if len(slugs) > 50:
        raise _invalid("tags", "At most 50 tags.")
    existing = {t.slug: t for t in Tag.objects.filter(slug__in=slugs)}
    missing = [Tag(slug=s) for s in slugs if s not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.slug: t for t in Tag.objects.filter(slug__in=slugs)}
    return [existing[s] for s in slugs]


def _service_values(fields: dict) -> tuple[dict, list[Tag] | None]:
    unknown = set(fields) - SERVICE_FIELDS
    if unknown:
        raise _invalid(sorted(unknown)[0], "Unknown field.")
    out: dict = {}
    if "name" in fields:
        out["name"] = _check_name(fields["name"])
    if "description" in fields:
        out["description"] = fields["description"] or ""
    if "owner" in fields:
        if not isinstance(fields["owner"], Team):
            raise _invalid("owner", "An owning team is required.")
        out["owner"] = fields["owner"]
    if "system" in fields:
        if fields["system"] is not None and not isinstance(fields["system"], System):
            raise _invalid("system", "Unknown system.")
        out["system"] = fields["system"]
    if "layer" in fields:
        out["layer"] = _check_choice(fields["layer"], Service.Layer.values, field="layer")
    if "tier" in fields:
        out["tier"] = _check_choice(fields["tier"], Service.Tier.values, field="tier")
    if "lifecycle" in fields:
        out["lifecycle"] = _check_choice(
            fields["lifecycle"], Service.Lifecycle.values, field="lifecycle"
        )
    if "kind" in fields:
        out["kind"] = (fields["kind"] or "service")[:50]
    for key in ("repository_url", "documentation_url", "runbook_url"):
        if key in fields:
            out[key] = _check_url(fields[key], field=key)
    if "links" in fields:
        links = fields["links"] or []
        if not isinstance(links, list) or not all(
            isinstance(link, dict) and "url" in link for link in links
        ):
            raise _invalid("links", "A list of {title, url} objects.")
        for link in links:
            _check_url(str(link.get("url", "")), field="links")
        out["links"] = [{"title": str(x.get("title", "")), "url": str(x["url"])} for x in links]
    if "annotations" in fields:
        if not isinstance(fields["annotations"] or {}, dict):
            raise _invalid("annotations", "An object of string values.")
        out["annotations"] = fields["annotations"] or {}
    if "onboarding_notes" in fields:
        out["onboarding_notes"] = fields["onboarding_notes"] or ""
    tags = tags_resolve(names=fields["tags"]) if "tags" in fields else None
    return out, tags


@transaction.atomic
def service_create(*, slug: str, name: str, owner: Team, **fields) -> Service:
    """Create a service owned by ``owner`` (slug unique → 409; invalid fields → 400).

    ``tags`` is a list of tag names (created when new). Onboarding notes are stored as Markdown and
    sanitised when rendered.
    """
    slug = _check_slug(slug)
    values, tags = _service_values({"name": name, "owner": owner, **fields})
    _unique(Service, value=slug)
    service = Service.objects.create(slug=slug, **values)
    if tags:
        service.tags.set(tags)
    return service


@transaction.atomic
def service_update(*, service: Service, **fields) -> Service:
    """Change a service (the slug is permanent). Only the given fields change."""
    if "slug" in fields and fields["slug"] != service.slug:
        raise _invalid("slug", "The slug of a service cannot change.")
    fields.pop("slug", None)
    values, tags = _service_values(fields)
    for key, value in values.items():
        setattr(service, key, value)
    service.save()
    if tags is not None:
        service.tags.set(tags)
    return service


@transaction.atomic
def service_delete(*, service: Service) -> None:
    """Delete a service that provides no APIs (409 otherwise); its own dependencies go with it."""
    if Api.objects.filter(provider=service).exists():
        raise DomainError(
            f"{service} still provides APIs; delete or move them first.",
            kind="conflict",
            rule="service-provides-apis",
        )
    service.delete()


# --- APIs ----------------------------------------------------------------------------------


def _api_values(fields: dict) -> dict:
    allowed = {"name", "provider", "type", "audience", "description", "policy"}
    unknown = set(fields) - allowed
    if unknown:
        raise _invalid(sorted(unknown)[0], "Unknown field.")
    out: dict = {}
    if "name" in fields:
        out["name"] = _check_name(fields["name"])
    if "provider" in fields:
        if not isinstance(fields["provider"], Service):
            raise _invalid("provider", "A providing service is required.")
        out["provider"] = fields["provider"]
    if "type" in fields:
        out["type"] = _check_choice(fields["type"], Api.Type.values, field="type")
    if "audience" in fields:
        out["audience"] = _check_choice(fields["audience"], Api.Audience.values, field="audience")
    if "description" in fields:
        out["description"] = fields["description"] or ""
    if "policy" in fields:
        out["policy"] = fields["policy"]
    return out


@transaction.atomic
def api_create(*, slug: str, name: str, provider: Service, **fields) -> Api:
    """Create an API provided by ``provider`` (slug unique → 409)."""
    slug = _check_slug(slug)
    values = _api_values({"name": name, "provider": provider, **fields})
    _unique(Api, value=slug, label="API")
    return Api.objects.create(slug=slug, **values)


@transaction.atomic
def api_update(*, api: Api, **fields) -> Api:
    """Change an API. Moving it to another provider keeps the graph consistent (the dependencies'
    denormalised provider follows) and is refused when the new provider consumes it (409)."""
    if "slug" in fields and fields["slug"] != api.slug:
        raise _invalid("slug", "The slug of an API cannot change.")
    fields.pop("slug", None)
    values = _api_values(fields)
    new_provider = values.get("provider")
    moved = new_provider is not None and new_provider.pk != api.provider_id
    if moved:
        deps = Dependency.objects.filter(api_version__api=api)
        if deps.filter(consumer=new_provider).exists():
            raise DomainError(
                f"{new_provider} consumes {api}; it cannot become its provider.",
                kind="conflict",
                rule="dependency-self",
                errors={"provider": ["The new provider consumes this API."]},
            )
    for key, value in values.items():
        setattr(api, key, value)
    api.save()
    if moved:
        Dependency.objects.filter(api_version__api=api).update(provider=new_provider)
    return api


@transaction.atomic
def api_delete(*, api: Api) -> None:
    """Delete an API none of whose versions has consumers (409 otherwise)."""
    if Dependency.objects.filter(api_version__api=api).exists():
        raise DomainError(
            f"{api} has consumers and cannot be deleted; deprecate its versions instead.",
            kind="conflict",
            rule="api-has-consumers",
        )
    api.delete()


# --- dependencies --------------------------------------------------------------------------


def _check_dates(requested_at, live_at) -> None:
    if requested_at and live_at and live_at < requested_at:
        raise DomainError(
            "live_at cannot be before requested_at.",
            errors={"live_at": ["Must be on or after requested_at."]},
        )


def _check_operations(operations, api_version: ApiVersion) -> list[ApiOperation]:
    ops = list(operations or [])
    if any(op.api_version_id != api_version.pk for op in ops):
        raise DomainError(
            "Operations must belong to the consumed API version.",
            errors={"operations": ["Operations must belong to the consumed API version."]},
        )
    return ops


def _check_edge(consumer: Service, api_version: ApiVersion, *, exclude_pk=None) -> int:
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
    duplicate = Dependency.objects.filter(consumer=consumer, api_version=api_version)
    if exclude_pk is not None:
        duplicate = duplicate.exclude(pk=exclude_pk)
    if duplicate.exists():
        raise DomainError(
            f"{consumer} already consumes {api_version}.",
            kind="conflict",
            rule="dependency-duplicate",
            errors={"api_version": ["This dependency already exists."]},
        )
    return provider_id


def _sync_migrations(dependency: Dependency) -> None:
    sync = _hook("catalog.services.deprecations", "migrations_sync_for_dependency")
    if sync is not None:
        sync(dependency=dependency)


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
    """Declare that ``consumer`` uses ``api_version`` (optionally only some ``operations``).

    Refuses a service consuming its own API, a duplicate declaration (409), a retired version,
    operations of another version and a live date before the request date. Tells the
    deprecation workflow (a consumer adding a replacement version may complete a migration).
    """
    provider_id = _check_edge(consumer, api_version)
    _check_dates(requested_at, live_at)
    ops = _check_operations(operations, api_version)
    try:
        with transaction.atomic():
            dependency = Dependency.objects.create(
                consumer=consumer,
                api_version=api_version,
                provider_id=provider_id,
                purpose=purpose or "",
                requested_at=requested_at,
                live_at=live_at,
            )
    except IntegrityError as exc:  # a concurrent duplicate
        raise DomainError(
            f"{consumer} already consumes {api_version}.",
            kind="conflict",
            rule="dependency-duplicate",
        ) from exc
    if ops:
        dependency.operations.set(ops)
    _sync_migrations(dependency)
    return dependency


_MISSING = object()


@transaction.atomic
def dependency_update(
    *,
    dependency: Dependency,
    api_version: ApiVersion | None = None,
    operations=_MISSING,
    purpose=_MISSING,
    requested_at=_MISSING,
    live_at=_MISSING,
) -> Dependency:
    """Change a dependency; switching ``api_version`` (e.g. to a replacement) re-checks every
    rule, clears operations of the old version and tells the deprecation workflow."""
    dependency = Dependency.objects.select_for_update().get(pk=dependency.pk)
    consumer = dependency.consumer
    switched = api_version is not None and api_version.pk != dependency.api_version_id
    if switched:
        dependency.provider_id = _check_edge(consumer, api_version, exclude_pk=dependency.pk)
        dependency.api_version = api_version
    if purpose is not _MISSING:
        dependency.purpose = purpose or ""
    if requested_at is not _MISSING:
        dependency.requested_at = requested_at
    if live_at is not _MISSING:
        dependency.live_at = live_at
    _check_dates(dependency.requested_at, dependency.live_at)
    ops = None
    if operations is not _MISSING:
        ops = _check_operations(operations, dependency.api_version)
    dependency.save()
    if ops is not None:
        dependency.operations.set(ops)
    elif switched:
        dependency.operations.clear()
    if switched:
        _sync_migrations(dependency)
    return dependency


@transaction.atomic
def dependency_delete(*, dependency: Dependency) -> None:
    """Remove a declared dependency."""
    dependency.delete()
