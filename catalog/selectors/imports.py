"""Reads for Backstage import/export: import jobs and the catalog as Backstage documents."""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from catalog.descriptors import entity_document, make_ref
from catalog.descriptors.refs import DEFAULT_NAMESPACE
from catalog.models import (
    Api,
    ApiVersion,
    Dependency,
    Domain,
    EntitySource,
    ImportJob,
    Membership,
    Service,
    ServiceLink,
    System,
    Team,
)
from catalog.services.imports import (
    DEPENDS_ON_OTHER,
    LAYER_ANNOTATION,
    LIFECYCLE_ANNOTATION,
    LIFECYCLES,
    TIER_ANNOTATION,
    VERSION_ANNOTATION,
)


def import_job_list(*, user) -> QuerySet[ImportJob]:
    return (
        ImportJob.objects.select_related("created_by")
        .defer("payload")
        .order_by("-created_at", "-id")
    )


def import_job_get(*, pk: int) -> ImportJob | None:
    return ImportJob.objects.defer("payload").filter(pk=pk).first()


def _merge(extra: dict, document: dict) -> dict:
    """``document`` (from the rows) plus what only ``extra`` has (no portal column)."""
    out = {"apiVersion": extra.get("apiVersion", document["apiVersion"]), "kind": document["kind"]}
    for section in ("metadata", "spec"):
        part = dict(document.get(section) or {})
        for key, value in (extra.get(section) or {}).items():
            part.setdefault(key, copy.deepcopy(value))
        if part or (section == "spec" and document["kind"] == "User"):
            out[section] = part
    return out


def _about(row, name: str) -> dict:
    """``title`` (only when the row's name is not the entity's name) and ``description``."""
    return {"title": row.name if row.name != name else None, "description": row.description}


class _Entry(NamedTuple):
    """The entity being written: what only its import had, and its reference's parts."""

    extra: dict
    kind: str
    namespace: str
    name: str

    def document(self, kind: str, *, metadata=None, spec=None, extra=None) -> dict:
        """Its Backstage document from the rows, plus what only ``extra`` (default: its own)
        has."""
        document = entity_document(
            kind=kind, name=self.name, namespace=self.namespace, metadata=metadata, spec=spec
        )
        return _merge(self.extra if extra is None else extra, document)


class _Refs:
    """Entity references of portal rows: the imported ref when there is one, else the slug."""

    def __init__(self):
        #: namespace of the entity being written: its namespace-less references mean this one
        self.namespace = DEFAULT_NAMESPACE
        self.by_object: dict[tuple[str, int], tuple[str, str, str]] = {}
        self.extra: dict[str, dict] = {}
        self.version_of_api: dict[int, int] = {}
        for ref, kind, object_id, version_id, extra in EntitySource.objects.values_list(
            "entity_ref", "kind", "object_id", "version_id", "extra"
        ).iterator(chunk_size=5000):
            self.extra[ref] = extra
            if object_id is None:
                continue
            kind_part, rest = ref.split(":", 1)
            namespace, name = rest.split("/", 1)
            table = "service" if kind in ("Component", "Resource") else kind_part
            self.by_object[(table, object_id)] = (kind_part, namespace, name)
            if kind == "API" and version_id:
                self.version_of_api[object_id] = version_id

    def of(self, table: str, pk: int, slug: str, default_kind: str) -> tuple[str, str, str]:
        return self.by_object.get((table, pk), (default_kind, DEFAULT_NAMESPACE, slug))

    def ref(
        self, table: str, pk: int | None, slug: str, default_kind: str, *, context_kind: str
    ) -> str | None:
        if pk is None:
            return None
        kind, namespace, name = self.of(table, pk, slug, default_kind)
        return make_ref(kind, namespace, name).short(
            default_kind=context_kind, namespace=self.namespace
        )

    def extra_of(self, table: str, pk: int, slug: str, default_kind: str) -> dict:
        kind, namespace, name = self.of(table, pk, slug, default_kind)
        return self.extra.get(str(make_ref(kind, namespace, name)), {})

    def enter(self, table: str, pk: int, slug: str, default_kind: str) -> _Entry:
        """The entity about to be written; its namespace becomes the one its namespace-less
        references are relative to."""
        kind, namespace, name = self.of(table, pk, slug, default_kind)
        self.namespace = namespace
        extra = self.extra.get(str(make_ref(kind, namespace, name)), {})
        return _Entry(extra, kind, namespace, name)


def catalog_export(*, team_slug: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """The catalog as Backstage documents, grouped by output file.

    ``org.yaml`` holds Groups, Users, Domains and Systems; ``teams/<slug>/catalog-info.yaml``
    holds each team's Components, Resources and APIs (definitions inline). With
    ``team_slug`` only that team, its members and its services/APIs are exported (their
    references to other teams' entities stay as references). Constant number of queries.
    """
    refs = _Refs()
    teams = list(Team.objects.order_by("slug"))
    if team_slug is not None:
        teams = [t for t in teams if t.slug == team_slug]
    team_ids = {t.pk for t in teams}
    team_slug_by_id = dict(Team.objects.values_list("pk", "slug"))
    files: dict[str, list[dict]] = defaultdict(list)

    def team_ref(pk: int | None, context: str = "group") -> str | None:
        return (
            refs.ref("group", pk, team_slug_by_id.get(pk, ""), "group", context_kind=context)
            if pk
            else None
        )

    memberships = defaultdict(list)
    for user_id, team_id in Membership.objects.order_by("team__slug").values_list(
        "user_id", "team_id"
    ):
        memberships[user_id].append(team_id)

    for team in teams:
        entry = refs.enter("group", team.pk, team.slug, "group")
        extra_spec = entry.extra.get("spec") or {}
        spec = {"type": extra_spec.get("type", "team")}
        profile = {**(extra_spec.get("profile") or {})}
        if team.name != entry.name:
            profile["displayName"] = team.name
        if team.email:
            profile["email"] = team.email
        spec["profile"] = profile
        spec.setdefault("children", extra_spec.get("children", []))
        merged = entry.document("Group", metadata={"description": team.description}, spec=spec)
        merged["spec"].setdefault("children", [])
        files["org.yaml"].append(merged)

    User = get_user_model()
    wanted_users = {u for u, ts in memberships.items() if set(ts) & team_ids}
    if team_slug is None:  # every imported user, also those in no team
        wanted_users |= {pk for table, pk in refs.by_object if table == "user"}
    users = User.objects.filter(pk__in=wanted_users, is_active=True).order_by("username")
    for user in users:
        entry = refs.enter("user", user.pk, user.username.lower(), "user")
        extra = refs.extra_of("user", user.pk, user.username, "user")  # as the username is written
        profile = {**((extra.get("spec") or {}).get("profile") or {})}
        display = f"{user.first_name} {user.last_name}".strip()
        if display:
            profile["displayName"] = display
        if user.email:
            profile["email"] = user.email
        spec = {"profile": profile, "memberOf": [team_ref(t) for t in memberships[user.pk]]}
        files["org.yaml"].append(entry.document("User", spec=spec, extra=extra))

    services = list(
        Service.objects.filter(owner_id__in=team_ids)
        .prefetch_related("tags")
        .order_by("owner_id", "slug")
    )
    service_ids = {s.pk for s in services}
    systems_needed = {s.system_id for s in services if s.system_id}
    systems = System.objects.filter(pk__in=systems_needed) if team_slug else System.objects.all()
    systems = list(systems.order_by("slug"))
    domains = (
        Domain.objects.filter(pk__in={s.domain_id for s in systems})
        if team_slug
        else Domain.objects.all()
    )
    for domain in domains.order_by("slug"):
        entry = refs.enter("domain", domain.pk, domain.slug, "domain")
        spec = {"owner": team_ref(domain.owner_id)}
        files["org.yaml"].append(
            entry.document("Domain", metadata=_about(domain, entry.name), spec=spec)
        )
    domain_slug = dict(Domain.objects.values_list("pk", "slug"))
    system_slug = dict(System.objects.values_list("pk", "slug"))
    for system in systems:
        entry = refs.enter("system", system.pk, system.slug, "system")
        spec = {
            "owner": team_ref(system.owner_id),
            "domain": refs.ref(
                "domain",
                system.domain_id,
                domain_slug.get(system.domain_id, ""),
                "domain",
                context_kind="domain",
            ),
        }
        files["org.yaml"].append(
            entry.document("System", metadata=_about(system, entry.name), spec=spec)
        )

    service_slug = dict(Service.objects.values_list("pk", "slug"))
    apis = list(Api.objects.filter(provider_id__in=service_ids).order_by("slug"))
    api_slug = {a.pk: a.slug for a in Api.objects.only("pk", "slug")}
    provides = defaultdict(list)
    for api in apis:
        provides[api.provider_id].append(api)
    consumes = defaultdict(set)
    for consumer_id, api_id in Dependency.objects.filter(consumer_id__in=service_ids).values_list(
        "consumer_id", "api_version__api_id"
    ):
        consumes[consumer_id].add(api_id)
    depends = defaultdict(list)
    for source_id, target_id in ServiceLink.objects.filter(source_id__in=service_ids).values_list(
        "source_id", "target_id"
    ):
        depends[source_id].append(target_id)

    def service_ref(pk: int, context: str) -> str:
        return refs.ref("service", pk, service_slug.get(pk, ""), "component", context_kind=context)

    def api_ref(pk: int, context: str = "api") -> str:
        return refs.ref("api", pk, api_slug.get(pk, ""), "api", context_kind=context)

    def system_ref(pk: int | None) -> str | None:
        return refs.ref("system", pk, system_slug.get(pk, ""), "system", context_kind="system")

    versions = _export_versions(apis, refs)
    for service in services:
        path = f"teams/{team_slug_by_id[service.owner_id]}/catalog-info.yaml"
        entry = refs.enter("service", service.pk, service.slug, "component")
        kind = entry.kind
        annotations = dict(service.annotations or {})
        raw_lifecycle = annotations.pop(LIFECYCLE_ANNOTATION, None)
        lifecycle = (
            raw_lifecycle
            if raw_lifecycle
            and LIFECYCLES.get(raw_lifecycle.lower(), "experimental") == service.lifecycle
            else service.lifecycle
        )
        annotations[LAYER_ANNOTATION] = service.layer
        annotations[TIER_ANNOTATION] = str(service.tier)
        spec = {
            "type": service.kind or ("database" if kind == "resource" else "service"),
            "lifecycle": lifecycle if kind == "component" else None,
            "owner": team_ref(service.owner_id),
            "system": system_ref(service.system_id),
            "providesApis": [api_ref(a.pk) for a in provides.get(service.pk, [])]
            if kind == "component"
            else None,
            "consumesApis": sorted(api_ref(a) for a in consumes.get(service.pk, ()))
            if kind == "component"
            else None,
            "dependsOn": sorted(service_ref(t, "") for t in depends.get(service.pk, []))
            + list(entry.extra.get(DEPENDS_ON_OTHER) or []),
        }
        metadata = {
            **_about(service, entry.name),
            "annotations": annotations,
            "tags": [t.slug for t in sorted(service.tags.all(), key=lambda t: t.slug)],
            "links": service.links or None,
        }
        files[path].append(
            entry.document(
                "Resource" if kind == "resource" else "Component", metadata=metadata, spec=spec
            )
        )
        for api in provides.get(service.pk, []):
            api_entry = refs.enter("api", api.pk, api.slug, "api")
            api_extra = api_entry.extra
            spec_extra = api_extra.get("spec") or {}
            version = versions.get(api.pk)
            if version and version.spec:
                definition = version.spec
            elif isinstance(api_extra.get("definition_url"), dict):
                definition = api_extra["definition_url"]  # {$text: https://…}, never fetched
            else:
                definition = f"# {api.name} has no definition in the portal\n"
            api_spec = {
                "type": spec_extra.get("type", api.type),
                "lifecycle": spec_extra.get("lifecycle", "production"),
                "owner": spec_extra.get("owner") or team_ref(service.owner_id),
                "system": spec_extra.get("system"),
                "definition": definition,
            }
            files[path].append(
                api_entry.document(
                    "API",
                    metadata=_about(api, api_entry.name),
                    spec=api_spec,
                    extra={k: v for k, v in api_extra.items() if k != VERSION_ANNOTATION},
                )
            )
    return dict(files)


def _export_versions(apis: list[Api], refs: _Refs) -> dict[int, ApiVersion]:
    """The version whose definition is exported: the imported one, else the newest."""
    api_ids = [a.pk for a in apis]
    chosen: dict[int, ApiVersion] = {}
    for version in ApiVersion.objects.filter(api_id__in=api_ids).order_by(
        "api_id", "major", "minor", "patch"
    ):
        if (
            refs.version_of_api.get(version.api_id) == version.pk
            or version.api_id not in chosen
            or refs.version_of_api.get(version.api_id) != chosen[version.api_id].pk
        ):
            chosen[version.api_id] = version
    return chosen
