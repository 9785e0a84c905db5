"""Import a Backstage catalog: an idempotent bulk upsert keyed by entity reference.

The descriptor engine (``catalog.descriptors``) reads and validates; this module maps the
valid entities onto Team, user accounts, Membership, Domain, System, Service, Api,
ApiVersion, Dependency and ServiceLink rows with bulk operations (a constant number of
queries per kind, never one per row) inside one transaction, so a run is written entirely
or not at all, and an entity that fails validation is not written at all.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count

from catalog.descriptors import (
    REF_FIELDS,
    Catalog,
    Entity,
    EntityRef,
    Problem,
    RefError,
    parse_ref,
    read_catalog,
    resolve_catalog,
)
from catalog.descriptors.refs import DEFAULT_NAMESPACE
from catalog.models import (
    Api,
    ApiVersion,
    Dependency,
    Domain,
    EntitySource,
    Membership,
    Service,
    ServiceLink,
    System,
    Tag,
    Team,
)

Progress = Callable[[str, int, int], None]
BATCH = 2000

LAYER_ANNOTATION = "portal.dev/layer"
TIER_ANNOTATION = "portal.dev/tier"
LIFECYCLE_ANNOTATION = "portal.dev/backstage-lifecycle"
VERSION_ANNOTATION = "portal.dev/definition-version"
DEPENDS_ON_OTHER = "dependsOn_other"

LIFECYCLES = {
    "experimental": "experimental",
    "production": "production",
    "deprecated": "deprecated",
    "retired": "retired",
    # common non-standard spellings
    "development": "experimental",
    "dev": "experimental",
    "alpha": "experimental",
    "beta": "experimental",
    "preview": "experimental",
    "prototype": "experimental",
    "ga": "production",
    "stable": "production",
    "live": "production",
    "prod": "production",
    "sunset": "deprecated",
    "end-of-life": "retired",
    "eol": "retired",
    "decommissioned": "retired",
}
LAYERS = {"base", "core", "enabling"}
API_TYPES = set(Api.Type.values)
#: other spellings of spec.type seen in real catalogs; the original is kept for export
API_TYPE_ALIASES = {
    "swagger": Api.Type.OPENAPI,
    "oas": Api.Type.OPENAPI,
    "oas3": Api.Type.OPENAPI,
    "rest": Api.Type.OPENAPI,
    "proto": Api.Type.GRPC,
    "protobuf": Api.Type.GRPC,
    "grpc-docs": Api.Type.GRPC,  # the grpc-docs plugin's type
    "grpc-web": Api.Type.GRPC,
    "async": Api.Type.ASYNCAPI,
}
#: types whose definition is an OpenAPI/AsyncAPI-like YAML or JSON document with info.version
DOCUMENT_TYPES = {Api.Type.OPENAPI, Api.Type.ASYNCAPI, Api.Type.EVENT}
PLACEHOLDER_KEYS = ("$text", "$json", "$yaml", "$openapi", "$asyncapi")
ORDER = ["Group", "User", "Domain", "System", "Component", "Resource", "API", "Location"]


class CatalogImportRefused(Exception):
    """``--strict`` and at least one document failed: nothing was written."""

    def __init__(self, report: ImportReport):
        failed = sum(c.failed for c in report.kinds.values())
        super().__init__(f"{failed} document(s) failed; nothing was imported")
        self.report = report


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    stale: int = 0
    pruned: int = 0


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    source: str
    dry_run: bool = False
    prune: bool = False
    kinds: dict[str, KindCounts] = field(default_factory=lambda: defaultdict(KindCounts))
    problems: list[Problem] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    planned: dict[str, list[str]] = field(default_factory=lambda: {"created": [], "updated": []})
    edges: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    timings: dict[str, float] = field(default_factory=dict)
    files: int = 0

    @property
    def created(self) -> int:
        return sum(c.created for c in self.kinds.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.kinds.values())

    @property
    def unchanged(self) -> int:
        return sum(c.unchanged for c in self.kinds.values())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    def summary_line(self) -> str:
        verb = "would be " if self.dry_run else ""
        pruned = sum(c.pruned for c in self.kinds.values())
        failed = sum(c.failed for c in self.kinds.values())
        text = (
            f"{self.created} {verb}created, {self.updated} {verb}updated, "
            f"{self.unchanged} unchanged, {failed} failed"
        )
        if self.stale:
            text += f", {len(self.stale)} stale" + (
                f" ({pruned} {verb}pruned)" if self.prune else ""
            )
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": sum(c.failed for c in self.kinds.values()),
            "kinds": {
                k: vars(v) for k, v in sorted(self.kinds.items(), key=lambda kv: _order(kv[0]))
            },
            "edges": dict(self.edges),
            "stale": self.stale,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "summary": self.summary_line(),
        }


def _order(kind: str) -> int:
    return ORDER.index(kind) if kind in ORDER else len(ORDER)


# --------------------------------------------------------------------------- mapping helpers


def ref_slug(ref: EntityRef) -> str:
    """The portal slug of an entity: its name, namespaced when not ``default``."""
    name = re.sub(r"[^a-z0-9_-]+", "-", ref.name.lower()).strip("-") or "x"
    if ref.namespace != DEFAULT_NAMESPACE:
        name = f"{ref.namespace}--{name}"
    return name[:100]


def ref_username(ref: EntityRef) -> str:
    name = ref.name if ref.namespace == DEFAULT_NAMESPACE else f"{ref.namespace}.{ref.name}"
    return name[:150]


def _table(kind: str) -> str:
    """The portal table of a kind (as named in ``_Importer.ids``): resources are services."""
    kind = kind.lower()
    return "component" if kind == "resource" else kind


def _base_slug(entity: Entity) -> str:
    return ref_username(entity.ref) if entity.kind == "User" else ref_slug(entity.ref)


_CALVER = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def coerce_version(raw: object) -> tuple[str, str]:
    """SemVer from an OpenAPI ``info.version``: ("1" → "1.0.0", "v2.1" → "2.1.0").

    Returns ``(version, original)``; ``original`` is empty when no coercion was needed.
    """
    text = str(raw).strip() if raw not in (None, "") else ""
    if not text:
        return "1.0.0", ""
    if _CALVER.fullmatch(text):  # "2021-06-01": the portal's calendar versioning scheme
        return text, ""
    match = re.fullmatch(
        r"[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?", text
    )
    if not match:
        return "1.0.0", text
    major, minor, patch, pre, build = match.groups()
    numbers = [int(major), int(minor or 0), int(patch or 0)]
    version = f"{numbers[0]}.{numbers[1]}.{numbers[2]}{pre or ''}{build or ''}"
    if max(numbers) > 2_000_000_000 or len(version) > 100:
        return "1.0.0", text[:200]
    return version, ("" if version == text else text)


def api_type_of(raw: str) -> tuple[str, bool]:
    """The portal's Api.type for a Backstage ``spec.type``, and whether it is a known one.

    Unknown types (``trpc``, ``soap``, …) are shown as OpenAPI; the original is kept on the
    import record and written back by export.
    """
    lower = raw.strip().lower()
    if lower in API_TYPES:
        return lower, True
    if lower in API_TYPE_ALIASES:
        return API_TYPE_ALIASES[lower], True
    return Api.Type.OPENAPI, False


def definition_text(definition: object) -> str:
    if isinstance(definition, str):
        return definition
    if definition is None:
        return ""
    return yaml.safe_dump(definition, sort_keys=False, allow_unicode=True)


_HAS_INFO = re.compile(r"""^\s*["']?info["']?\s*:|"info"\s*:""", re.M)


def definition_version(text: str) -> object:
    """``info.version`` of an OpenAPI/AsyncAPI document, without parsing the whole thing twice."""
    match = re.search(r"^info:\s*$(.*?)^\S", text + "\n~", re.M | re.S)
    if match:
        found = re.search(
            r"^\s+version:\s*['\"]?([^'\"\n#]+?)['\"]?\s*(?:#.*)?$", match.group(1), re.M
        )
        if found:
            return found.group(1)
    if not _HAS_INFO.search(text):  # GraphQL SDL, protobuf, …: nothing to parse
        return None
    try:
        if text.lstrip().startswith("{"):
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (ValueError, yaml.YAMLError, RecursionError):
        return None
    if isinstance(data, dict) and isinstance(data.get("info"), dict):
        return data["info"].get("version")
    return None


def _strip(data: dict, mapped: dict[str, Iterable[str]]) -> dict:
    """The document without the mapped fields: what export must add back from ``extra``."""
    extra = copy.deepcopy(data)
    for section, keys in mapped.items():
        part = extra.get(section)
        if isinstance(part, dict):
            for key in keys:
                part.pop(key, None)
            if not part:
                extra.pop(section, None)
    extra.pop("kind", None)
    if extra.get("apiVersion") == "backstage.io/v1alpha1":
        extra.pop("apiVersion")
    return extra


def _text(value: object, limit: int) -> str:
    return "" if value is None else str(value)[:limit]


def _url(value: object) -> str:
    text = _text(value, 1000).strip()
    if text.startswith("url:"):
        text = text[4:]
    return text if text.startswith(("http://", "https://")) and len(text) <= 500 else ""


METADATA_MAPPED = ["name", "namespace", "title", "description"]


@dataclass
class Row:
    """The planned row of one entity: model fields plus bookkeeping."""

    entity: Entity
    fields: dict[str, Any]
    extra: dict[str, Any]
    status: str = ""  # created | updated | unchanged
    object_id: int | None = None


# --------------------------------------------------------------------------- the importer


def catalog_import(
    *,
    paths: Iterable[str],
    source: str | None = None,
    prune: bool = False,
    dry_run: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Read ``paths`` and import them; see :func:`catalog_import_entities`."""
    paths = [str(p) for p in paths]
    started = time.perf_counter()
    if progress:
        progress("reading", 0, 0)
    catalog = read_catalog(paths)
    report_source = source or ",".join(sorted(paths))
    return catalog_import_entities(
        catalog=catalog,
        source=report_source,
        prune=prune,
        dry_run=dry_run,
        strict=strict,
        progress=progress,
        read_seconds=time.perf_counter() - started,
    )


def catalog_import_entities(
    *,
    catalog: Catalog,
    source: str,
    prune: bool = False,
    dry_run: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
    read_seconds: float = 0.0,
) -> ImportReport:
    """Upsert every valid entity of ``catalog``, keyed by its entity reference.

    Guarantees: a second run over the same catalog creates and updates nothing; an entity
    whose content hash is unchanged is not touched; entities that fail validation (or
    depend on one that failed) are reported with file, document and line and not written;
    everything else is written in one transaction. Entities previously imported from the
    same ``source`` that are gone are reported as stale, and deleted when ``prune``.
    ``dry_run`` computes the same report and writes nothing.

    Raises CatalogImportRefused when ``strict`` and any document failed (nothing written).
    """
    importer = _Importer(catalog, source=source, prune=prune, dry_run=dry_run, progress=progress)
    importer.report.timings["read"] = read_seconds
    importer.report.files = len(catalog.files)
    importer.plan()
    if strict and importer.report.errors:
        raise CatalogImportRefused(importer.report)
    if dry_run:
        importer.finish_dry_run()
    else:
        importer.write()
    return importer.report


class _Importer:
    def __init__(
        self,
        catalog: Catalog,
        *,
        source: str,
        prune: bool,
        dry_run: bool,
        progress: Progress | None,
    ):
        self.catalog = catalog
        self.source = source[:500]
        self.report = ImportReport(source=self.source, dry_run=dry_run, prune=prune)
        self.prune = prune
        self.progress = progress or (lambda phase, done, total: None)
        self.rows: dict[str, Row] = {}
        self.sources: dict[str, EntitySource] = {}
        # ref key -> row id, for every entity that can be referenced (imported or already there)
        self.ids: dict[str, dict[str, int]] = defaultdict(dict)
        self.api_version_ids: dict[str, int] = {}
        self.api_provider: dict[str, str] = {}
        self.team_of_user: dict[str, str] = {}
        self.slugs: dict[str, str] = {}
        self.row_slugs: dict[str, dict[int, str]] = defaultdict(dict)
        self.User = get_user_model()

    # ------------------------------------------------------------------ planning

    def _tick(self, phase: str) -> float:
        now = time.perf_counter()
        last = getattr(self, "_last", None)
        if last is not None:
            self.report.timings[last[0]] = now - last[1]
        self._last = (phase, now)
        return now

    def plan(self) -> None:
        self._tick("load")
        self.progress("validating", 0, len(self.catalog.entities))
        self.sources = {
            s.entity_ref: s for s in EntitySource.objects.all().iterator(chunk_size=5000)
        }
        known = self._known_refs()
        self._tick("validate")
        resolve_catalog(self.catalog, known=known)
        while self._portal_checks():
            resolve_catalog(self.catalog, known=known)
        self._assign_slugs()
        self._notes()
        self.report.problems = list(self.catalog.problems)
        failing = {(p.ref or f"{p.file}#{p.document}") for p in self.report.errors}
        for subject in failing:  # one per failed document, however many problems it has
            kind = subject.split(":", 1)[0] if ":" in subject else ""
            label = next((k for k in ORDER if k.lower() == kind), "unknown")
            self.report.kinds[label].failed += 1
        self._tick("plan")
        self.progress("planning", 0, len(self.catalog.entities))
        for entity in self.catalog.entities:
            existing = self.sources.get(entity.key)
            if existing is None or (existing.object_id is None and entity.kind != "Location"):
                row = self._map(entity)
                row.status = "created"
            elif existing.content_hash == self._hash(entity) and existing.source == self.source:
                # unchanged: mapped lazily, only if a neighbour's change needs its fields
                row = Row(entity, {}, {}, status="unchanged", object_id=existing.object_id)
            else:
                row = self._map(entity)
                row.status = "updated"
                row.object_id = existing.object_id
            self.rows[entity.key] = row
            self.report.kinds[entity.kind].__dict__[row.status] += 1
            if row.status != "unchanged":
                self.report.planned[row.status].append(entity.key)
        self._verify_objects()
        present = set(self.rows) | {p.ref for p in self.report.problems if p.ref}
        self.report.stale = sorted(
            ref for ref, s in self.sources.items() if s.source == self.source and ref not in present
        )
        for ref in self.report.stale:
            self.report.kinds[self.sources[ref].kind].stale += 1

    def _known_refs(self) -> set[str]:
        """Refs that resolve without being in the catalog: imported before, or made by hand."""
        known = set(self.sources)
        # a row made by an import is known by its reference only (a Resource row is not
        # ``component:default/<slug>``); a row made by hand is known by its slug
        imported: dict[str, set[int]] = defaultdict(set)
        for src in self.sources.values():
            if src.object_id is not None:
                imported[_table(src.kind)].add(src.object_id)
        for kind, model, attr in (
            ("group", Team, "slug"),
            ("component", Service, "slug"),
            ("api", Api, "slug"),
            ("system", System, "slug"),
            ("domain", Domain, "slug"),
            ("user", self.User, "username"),
        ):
            slugs, mine = self.row_slugs[kind], imported[kind]
            for pk, slug in model.objects.values_list("pk", attr).iterator(chunk_size=5000):
                slugs[pk] = slug
                if pk not in mine:
                    key = f"{kind}:default/{slug.lower()}"
                    known.add(key)
                    self.ids[kind].setdefault(key, pk)
        for ref, src in self.sources.items():
            if src.object_id is not None:
                kind = ref.split(":", 1)[0]
                self.ids["component" if kind == "resource" else kind][ref] = src.object_id
                if kind == "resource":
                    self.ids["resource"][ref] = src.object_id
            if src.version_id is not None:
                self.api_version_ids[ref] = src.version_id
        return known

    def _portal_checks(self) -> bool:
        """Rules the portal adds to Backstage's; returns True when an entity was dropped."""
        by_key = {e.key: e for e in self.catalog.entities}
        dropped: set[str] = set()
        problems = self.catalog.problems
        # every API needs a provider: the first Component listing it in providesApis
        self.api_provider = {}
        for entity in self.catalog.entities:
            if entity.kind == "Component":
                for ref in entity.refs.get("providesApis", ()):
                    key = str(ref)
                    if key in self.api_provider and self.api_provider[key] != entity.key:
                        problems.append(
                            Problem(
                                entity.file,
                                entity.document,
                                entity.line_of("spec.providesApis"),
                                f"{key} is already provided by {self.api_provider[key]}; the portal keeps one provider",
                                code="second_provider",
                                ref=entity.key,
                                level="warning",
                            )
                        )
                        continue
                    self.api_provider[key] = entity.key
        existing_providers = dict(
            Api.objects.filter(
                slug__in=[ref_slug(e.ref) for e in self.catalog.entities if e.kind == "API"]
            ).values_list("slug", "provider_id")
        )
        for entity in self.catalog.entities:
            if entity.kind == "API" and entity.key not in self.api_provider:
                if (
                    entity.namespace == DEFAULT_NAMESPACE
                    and ref_slug(entity.ref) in existing_providers
                ):
                    continue
                problems.append(
                    entity.problem(
                        f"{entity.key} is not provided by any Component (spec.providesApis); "
                        "the portal needs a provider for every API",
                        code="no_provider",
                    )
                )
                dropped.add(entity.key)
        # user owners map to the user's first group
        self.team_of_user = {}
        for entity in self.catalog.entities:
            if entity.kind == "User" and entity.refs.get("memberOf"):
                self.team_of_user[entity.key] = str(entity.refs["memberOf"][0])
        for entity in sorted(self.catalog.entities, key=lambda e: e.key):
            if entity.kind == "Group":  # membership declared on the Group (spec.members)
                for ref in entity.refs.get("members", ()):
                    self.team_of_user.setdefault(str(ref), entity.key)
        user_teams = self._db_user_teams(by_key)
        for entity in self.catalog.entities:
            owners = entity.refs.get("owner") or []
            if owners and owners[0].kind == "user":
                key = str(owners[0])
                if key not in self.team_of_user and key not in user_teams:
                    problems.append(
                        entity.problem(
                            f"spec.owner: {key} belongs to no group, and the portal needs an owning team",
                            field="spec.owner",
                            code="owner_without_team",
                        )
                    )
                    dropped.add(entity.key)
                elif key not in self.team_of_user:
                    self.team_of_user[key] = user_teams[key]
        if dropped:
            self.catalog.entities = [e for e in self.catalog.entities if e.key not in dropped]
        return bool(dropped)

    def _notes(self) -> None:
        """Warnings about what the portal shows differently from Backstage."""
        for entity in self.catalog.entities:
            if entity.kind == "Component" and entity.refs.get("consumesApis"):
                own = {
                    str(r)
                    for r in entity.refs["consumesApis"]
                    if self.api_provider.get(str(r)) == entity.key
                }
                for i, item in enumerate(entity.spec.get("consumesApis") or [] if own else []):
                    try:
                        key = str(
                            parse_ref(item, default_kind="api", default_namespace=entity.namespace)
                        )
                    except RefError:
                        continue
                    if key in own:
                        own.discard(key)
                        problem = entity.problem(
                            f"spec.consumesApis[{i}]: {key} is provided by this component; "
                            "a service cannot consume its own API, the reference is left out",
                            field=f"spec.consumesApis[{i}]",
                            code="self_consumption",
                        )
                        problem.level = "warning"
                        self.catalog.problems.append(problem)
                entity.refs["consumesApis"] = [
                    r
                    for r in entity.refs["consumesApis"]
                    if self.api_provider.get(str(r)) != entity.key
                ]
            if entity.kind != "API":
                continue
            raw = str(entity.spec.get("type") or "")
            if not api_type_of(raw)[1]:
                problem = entity.problem(
                    f"spec.type {raw!r} has no portal equivalent: the API is shown as OpenAPI "
                    "and its definition kept as text (export writes the original type back)",
                    field="spec.type",
                    code="unknown_api_type",
                )
                problem.level = "warning"
                self.catalog.problems.append(problem)

    def _db_user_teams(self, by_key: dict[str, Entity]) -> dict[str, str]:
        wanted = {
            str(o[0])
            for e in self.catalog.entities
            if (o := e.refs.get("owner")) and o[0].kind == "user" and str(o[0]) not in by_key
        }
        if not wanted:
            return {}
        result: dict[str, str] = {}
        usernames = {k.split("/", 1)[1]: k for k in wanted if k.startswith("user:default/")}
        for username, slug in (
            Membership.objects.filter(user__username__in=list(usernames))
            .order_by("team__slug")
            .values_list("user__username", "team__slug")
        ):
            result.setdefault(
                usernames.get(username.lower(), username),
                f"group:default/{slug}",
            )
        return result

    def _assign_slugs(self) -> None:
        """A portal slug (username for Users) per entity: stable and unique per table.

        An entity imported before keeps the slug of its row. A new entity gets
        :func:`ref_slug` (``payments.api`` → ``payments-api``) unless another entity of the
        same table has it (this run, or a row imported from another reference): then a
        short hash of its reference is appended (``payments-api-1a2b3c4d``). Entities whose
        name is already a slug are served first, so ``payments-api`` keeps its name.
        A row made by hand with the same slug is adopted.
        """
        taken: dict[tuple[str, str], str] = {}
        for ref, src in self.sources.items():
            table = _table(src.kind)
            slug = self.row_slugs.get(table, {}).get(src.object_id) if src.object_id else None
            if slug is not None:
                taken[(table, slug)] = ref
        pending = []
        for entity in self.catalog.entities:
            if entity.kind == "Location":
                continue
            src = self.sources.get(entity.key)
            table = _table(entity.kind)
            slug = (
                self.row_slugs.get(table, {}).get(src.object_id)
                if src is not None and src.object_id
                else None
            )
            if slug is not None:
                self.slugs[entity.key] = slug
            else:
                pending.append(entity)
        base = {e.key: _base_slug(e) for e in pending}
        pending.sort(key=lambda e: (base[e.key] != e.ref.name, e.key))
        for entity in pending:
            table, slug = _table(entity.kind), base[entity.key]
            owner = taken.get((table, slug))
            if owner is not None and owner != entity.key:
                digest = hashlib.blake2b(entity.key.encode(), digest_size=4).hexdigest()
                slug = f"{slug[: (150 if table == 'user' else 100) - 9]}-{digest}"
            taken[(table, slug)] = entity.key
            self.slugs[entity.key] = slug

    def _hash(self, entity: Entity) -> str:
        owners = entity.refs.get("owner") or []
        team = (
            self.team_of_user.get(str(owners[0]), "") if owners and owners[0].kind == "user" else ""
        )
        return _hash(entity, team)

    def _slug(self, entity: Entity) -> str:
        return self.slugs.get(entity.key) or _base_slug(entity)

    def _verify_objects(self) -> None:
        """Rows deleted by hand since the last import are created again."""
        by_model: dict[Any, list[Row]] = defaultdict(list)
        for row in self.rows.values():
            if row.status == "unchanged" and row.object_id is not None:
                by_model[self._model(row.entity.kind)].append(row)
        for model, rows in by_model.items():
            if model is None:
                continue
            ids = {r.object_id for r in rows}
            alive = (
                set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
                if len(ids) < 30000
                else set(model.objects.values_list("pk", flat=True))
            )
            for row in rows:
                if row.object_id not in alive:
                    mapped = self._map(row.entity)
                    row.fields, row.extra = mapped.fields, mapped.extra
                    kind = row.entity.kind
                    self.report.kinds[kind].unchanged -= 1
                    self.report.kinds[kind].created += 1
                    row.status = "created"
                    row.object_id = None
                    self.report.planned["created"].append(row.entity.key)

    def _model(self, kind: str):
        return {
            "Group": Team,
            "User": self.User,
            "Domain": Domain,
            "System": System,
            "Component": Service,
            "Resource": Service,
            "API": Api,
        }.get(kind)

    def _map(self, entity: Entity) -> Row:
        row = self._map_fields(entity)
        if entity.unresolved:  # left out now: not written back by export either
            _drop_refs(entity, row.extra, set(entity.unresolved))
        return row

    def _map_fields(self, entity: Entity) -> Row:
        meta, spec = entity.metadata, entity.spec
        title = meta.get("title")
        name = _text(title or entity.name, 200)
        description = _text(meta.get("description"), 10_000)
        kind = entity.kind
        if kind == "Group":
            profile = spec.get("profile") or {}
            fields = {
                "slug": self._slug(entity),
                "name": _text(profile.get("displayName") or title or entity.name, 200),
                "description": description,
                "email": _text(profile.get("email"), 254),
            }
            extra = _strip(entity.data, {"metadata": METADATA_MAPPED, "spec": ["members"]})
            profile_extra = (extra.get("spec") or {}).get("profile")
            if isinstance(profile_extra, dict):
                profile_extra.pop("displayName", None)
                profile_extra.pop("email", None)
                if not profile_extra:
                    extra["spec"].pop("profile")
            return Row(entity, fields, extra)
        if kind == "User":
            profile = spec.get("profile") or {}
            display = _text(profile.get("displayName"), 300)
            first, _, last = display.partition(" ")
            fields = {
                "username": self._slug(entity),
                "email": _text(profile.get("email"), 254),
                "first_name": first[:150],
                "last_name": last[:150],
            }
            extra = _strip(entity.data, {"metadata": ["name", "namespace"], "spec": ["memberOf"]})
            profile_extra = (extra.get("spec") or {}).get("profile")
            if isinstance(profile_extra, dict):
                profile_extra.pop("email", None)
                if not profile_extra:
                    extra["spec"].pop("profile")
            return Row(entity, fields, extra)
        if kind in ("Domain", "System"):
            fields = {"slug": self._slug(entity), "name": name, "description": description}
            return Row(
                entity,
                fields,
                _strip(entity.data, {"metadata": METADATA_MAPPED, "spec": ["owner", "domain"]}),
            )
        if kind in ("Component", "Resource"):
            annotations = dict(meta.get("annotations") or {})
            layer = str(annotations.pop(LAYER_ANNOTATION, "core")).lower()
            tier_raw = annotations.pop(TIER_ANNOTATION, 3)
            try:
                tier = int(tier_raw)
            except (TypeError, ValueError):
                tier = 3
            raw_lifecycle = str(spec.get("lifecycle") or "production")
            lifecycle = LIFECYCLES.get(raw_lifecycle.lower(), "experimental")
            if lifecycle != raw_lifecycle and kind == "Component":
                annotations[LIFECYCLE_ANNOTATION] = raw_lifecycle
            links = [
                {k: v for k, v in link.items() if k in ("url", "title", "icon", "type")}
                for link in meta.get("links") or []
            ]
            fields = {
                "slug": self._slug(entity),
                "name": name,
                "description": description,
                "layer": layer if layer in LAYERS else "core",
                "tier": tier if 1 <= tier <= 4 else 3,
                "lifecycle": lifecycle,
                "kind": _text(spec.get("type"), 50),
                "links": links,
                "annotations": {str(k): v for k, v in annotations.items()},
                "repository_url": _repository(annotations),
                "documentation_url": _link(links, ("docs", "documentation")),
                "runbook_url": _link(links, ("runbook",)),
            }
            extra = _strip(
                entity.data,
                {
                    "metadata": [*METADATA_MAPPED, "tags", "links", "annotations"],
                    "spec": [
                        "type",
                        "lifecycle",
                        "owner",
                        "system",
                        "providesApis",
                        "consumesApis",
                        "dependsOn",
                    ],
                },
            )
            others = [
                item
                for item, ref in zip(
                    spec.get("dependsOn") or [], _refs_of(entity, "dependsOn"), strict=False
                )
                if ref is not None
                and ref.kind not in ("component", "resource")
                and str(ref) not in entity.unresolved
            ]
            if others:  # dependsOn an API, a System, …: no portal link, kept for export
                extra[DEPENDS_ON_OTHER] = others
            row = Row(entity, fields, extra)
            row.fields["_tags"] = sorted({_tag(t) for t in meta.get("tags") or [] if _tag(t)})
            return row
        if kind == "API":
            raw_type = str(spec.get("type") or "openapi")
            api_type, known_type = api_type_of(raw_type)
            definition = spec.get("definition")
            url = isinstance(definition, dict) and set(definition) <= set(PLACEHOLDER_KEYS)
            # a URL placeholder is never fetched: the version has no definition text
            text = "" if url else definition_text(definition)
            if text and all(
                not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
            ):
                text = ""  # only comments, e.g. export's "# x has no definition in the portal"
            found = definition_version(text) if text else None
            version, original = coerce_version(found)
            document = (known_type and api_type in DOCUMENT_TYPES) or found is not None
            if not text or not document:
                spec_format = ""  # GraphQL SDL, protobuf, TypeScript, …: kept as text
            elif text.lstrip().startswith("{"):
                spec_format = "json"
            else:
                spec_format = "yaml"
            fields = {
                "slug": self._slug(entity),
                "name": name,
                "description": description,
                "type": api_type,
                "_version": version,
                "_spec": text,
                "_spec_format": spec_format,
            }
            extra = _strip(entity.data, {"metadata": METADATA_MAPPED, "spec": ["definition"]})
            if raw_type == api_type:
                extra.get("spec", {}).pop("type", None)
            if original:
                extra[VERSION_ANNOTATION] = original
            if url:
                extra["definition_url"] = definition
            return Row(entity, fields, extra)
        return Row(entity, {}, _strip(entity.data, {}))

    def finish_dry_run(self) -> None:
        self._tick("done")
        self.report.timings.pop("done", None)
        if self.prune:
            for ref in self.report.stale:
                self.report.kinds[self.sources[ref].kind].pruned += 1

    # ------------------------------------------------------------------ writing

    def write(self) -> None:
        steps = [
            ("groups", self._write_groups),
            ("users", self._write_users),
            ("memberships", self._write_memberships),
            ("domains", self._write_domains),
            ("systems", self._write_systems),
            ("services", self._write_services),
            ("apis", self._write_apis),
            ("dependencies", self._write_dependencies),
            ("links", self._write_links),
            ("sources", self._write_sources),
        ]
        if self.prune:
            steps.append(("prune", self._prune))
        self._tick("write")
        with transaction.atomic():
            for i, (name, step) in enumerate(steps):
                self.progress(f"writing {name}", i, len(steps))
                step()
        self.progress("done", len(steps), len(steps))
        self._tick("done")
        self.report.timings.pop("done", None)

    def _rows(self, *kinds: str, changed: bool = True) -> list[Row]:
        return [
            r
            for r in self.rows.values()
            if r.entity.kind in kinds and (not changed or r.status != "unchanged")
        ]

    def _upsert(
        self, model, rows: list[Row], key: str, update_fields: list[str], *, extra_fields=None
    ) -> None:
        """Create or update ``rows`` by their natural key ``key`` (slug or username)."""
        if not rows:
            return
        extra_fields = extra_fields or (lambda row: {})
        wanted = {r.fields[key] for r in rows}
        existing = {}
        for chunk in _chunks(sorted(wanted), 5000):
            existing.update(
                {getattr(o, key): o for o in model.objects.filter(**{f"{key}__in": chunk})}
            )
        by_id = {}
        ids = [r.object_id for r in rows if r.object_id is not None]
        for chunk in _chunks(ids, 5000):
            by_id.update({o.pk: o for o in model.objects.filter(pk__in=chunk)})
        create, update = [], []
        for row in rows:
            obj = by_id.get(row.object_id) if row.object_id is not None else None
            obj = obj or existing.get(row.fields[key])
            values = {k: v for k, v in row.fields.items() if not k.startswith("_")}
            values.update(extra_fields(row))
            if obj is None:
                obj = model(**values)
                create.append((row, obj))
            else:
                for name, value in values.items():
                    setattr(obj, name, value)
                update.append((row, obj))
        if create:
            model.objects.bulk_create([o for _, o in create], batch_size=BATCH)
        if update:
            model.objects.bulk_update([o for _, o in update], update_fields, batch_size=BATCH)
        for row, obj in create + update:
            row.object_id = obj.pk

    def _index(self, kind: str, rows: Iterable[Row]) -> None:
        for row in rows:
            self.ids[kind][row.entity.key] = row.object_id

    def _team_id(self, ref: EntityRef | None) -> int | None:
        if ref is None:
            return None
        key = str(ref)
        if ref.kind == "user":
            key = self.team_of_user.get(key, "")
        return self.ids["group"].get(key)

    def _first(self, entity: Entity, name: str) -> EntityRef | None:
        refs = entity.refs.get(name) or []
        return refs[0] if refs else None

    def _write_groups(self) -> None:
        rows = self._rows("Group")
        self._upsert(Team, rows, "slug", ["name", "description", "email"])
        self._index("group", rows)

    def _write_users(self) -> None:
        rows = self._rows("User")
        unusable = make_password(None)

        def extra(row: Row) -> dict:
            return {} if row.object_id else {"password": unusable, "is_active": True}

        self._upsert(
            self.User,
            rows,
            "username",
            ["email", "first_name", "last_name", "is_active"],
            extra_fields=extra,
        )
        self._index("user", rows)

    def _write_memberships(self) -> None:
        """Team membership = User.memberOf plus Group.members, synced for the imported users."""
        desired: set[tuple[int, int]] = set()
        users: set[int] = set()
        teams: set[int] = set()
        for row in self._rows("Group", changed=False):
            team_id = self.ids["group"].get(row.entity.key)
            teams.add(team_id)
            for ref in row.entity.refs.get("members", ()):
                user_id = self.ids["user"].get(str(ref))
                if user_id:
                    desired.add((team_id, user_id))
        for row in self._rows("User", changed=False):
            user_id = self.ids["user"].get(row.entity.key)
            users.add(user_id)
            for ref in row.entity.refs.get("memberOf", ()):
                team_id = self.ids["group"].get(str(ref))
                if team_id:
                    desired.add((team_id, user_id))
        users |= {u for _, u in desired}
        existing = {}
        for chunk in _chunks(sorted(u for u in users if u), 5000):
            existing.update(
                {
                    (t, u): pk
                    for pk, t, u in Membership.objects.filter(user_id__in=chunk).values_list(
                        "pk", "team_id", "user_id"
                    )
                }
            )
        create = [Membership(team_id=t, user_id=u) for t, u in sorted(desired - set(existing))]
        Membership.objects.bulk_create(create, batch_size=BATCH, ignore_conflicts=True)
        managed_users = {
            self.ids["user"].get(r.entity.key) for r in self._rows("User", changed=False)
        }
        remove = [
            pk
            for (t, u), pk in existing.items()
            if (t, u) not in desired and t in teams and u in managed_users
        ]
        for chunk in _chunks(remove, 5000):
            Membership.objects.filter(pk__in=chunk).delete()
        self.report.edges["memberships created"] += len(create)
        self.report.edges["memberships removed"] += len(remove)

    def _write_domains(self) -> None:
        rows = self._rows("Domain")
        self._upsert(
            Domain,
            rows,
            "slug",
            ["name", "description", "owner"],
            extra_fields=lambda r: {"owner_id": self._team_id(self._first(r.entity, "owner"))},
        )
        self._index("domain", rows)

    def _write_systems(self) -> None:
        rows = self._rows("System")

        def extra(row: Row) -> dict:
            domain = self._first(row.entity, "domain")
            return {
                "owner_id": self._team_id(self._first(row.entity, "owner")),
                "domain_id": self.ids["domain"].get(str(domain)) if domain else None,
            }

        self._upsert(
            System, rows, "slug", ["name", "description", "owner", "domain"], extra_fields=extra
        )
        self._index("system", rows)

    def _write_services(self) -> None:
        rows = self._rows("Component", "Resource")

        def extra(row: Row) -> dict:
            system = self._first(row.entity, "system")
            return {
                "owner_id": self._team_id(self._first(row.entity, "owner")),
                "system_id": self.ids["system"].get(str(system)) if system else None,
            }

        fields = [
            "name",
            "description",
            "owner",
            "system",
            "layer",
            "tier",
            "lifecycle",
            "kind",
            "links",
            "annotations",
            "repository_url",
            "documentation_url",
            "runbook_url",
        ]
        self._upsert(Service, rows, "slug", fields, extra_fields=extra)
        for row in rows:
            self.ids["component"][row.entity.key] = row.object_id
            if row.entity.kind == "Resource":
                self.ids["resource"][row.entity.key] = row.object_id
        self._sync_tags(rows)

    def _sync_tags(self, rows: list[Row]) -> None:
        if not rows:
            return
        slugs = sorted({t for r in rows for t in r.fields["_tags"]})
        Tag.objects.bulk_create(
            [Tag(slug=s) for s in slugs], batch_size=BATCH, ignore_conflicts=True
        )
        tag_ids = (
            dict(Tag.objects.filter(slug__in=slugs).values_list("slug", "pk")) if slugs else {}
        )
        through = Service.tags.through
        service_ids = [r.object_id for r in rows]
        existing: dict[tuple[int, int], int] = {}
        for chunk in _chunks(service_ids, 5000):
            existing.update(
                {
                    (s, t): pk
                    for pk, s, t in through.objects.filter(service_id__in=chunk).values_list(
                        "pk", "service_id", "tag_id"
                    )
                }
            )
        desired = {(r.object_id, tag_ids[t]) for r in rows for t in r.fields["_tags"]}
        through.objects.bulk_create(
            [through(service_id=s, tag_id=t) for s, t in sorted(desired - set(existing))],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        remove = [pk for pair, pk in existing.items() if pair not in desired]
        for chunk in _chunks(remove, 5000):
            through.objects.filter(pk__in=chunk).delete()

    def _provider_id(self, row: Row) -> int | None:
        provider_key = self.api_provider.get(row.entity.key)
        if provider_key:
            return self.ids["component"].get(provider_key)
        return None

    def _write_apis(self) -> None:
        # an API is rewritten when it changed or when its provider component changed
        changed_components = {r.entity.key for r in self._rows("Component")}
        rows = [
            r
            for r in self._rows("API", changed=False)
            if r.status != "unchanged" or self.api_provider.get(r.entity.key) in changed_components
        ]
        if not rows:
            return
        for row in rows:
            if not row.fields:
                mapped = self._map(row.entity)
                row.fields, row.extra = mapped.fields, mapped.extra
        before = dict(
            Api.objects.filter(pk__in=[r.object_id for r in rows if r.object_id]).values_list(
                "pk", "provider_id"
            )
        )

        def extra(row: Row) -> dict:
            provider = self._provider_id(row)
            if provider is None:  # provided by a component outside this import: keep it
                provider = (
                    before.get(row.object_id)
                    or Api.objects.filter(slug=row.fields["slug"])
                    .values_list("provider_id", flat=True)
                    .first()
                )
            return {"provider_id": provider}

        self._upsert(
            Api, rows, "slug", ["name", "description", "type", "provider"], extra_fields=extra
        )
        self._index("api", rows)
        moved = {
            r.object_id
            for r in rows
            if r.object_id in before and before[r.object_id] != self._provider_id(r)
        }
        self._moved_apis = {
            r.object_id: self._provider_id(r)
            for r in rows
            if r.object_id in moved and self._provider_id(r)
        }
        # the imported version of each API
        versions: dict[tuple[int, str], ApiVersion] = {}
        api_ids = [r.object_id for r in rows]
        for chunk in _chunks(api_ids, 5000):
            for v in ApiVersion.objects.filter(api_id__in=chunk).only(
                "pk", "api_id", "version", "spec", "spec_format"
            ):
                versions[(v.api_id, v.version)] = v
        create, update = [], []
        for row in rows:
            if row.status == "unchanged":
                continue
            version = row.fields["_version"]
            obj = versions.get((row.object_id, version))
            if obj is None:
                parsed = _semver(version)
                obj = ApiVersion(
                    api_id=row.object_id,
                    version=version,
                    spec=row.fields["_spec"],
                    spec_format=row.fields["_spec_format"],
                    **parsed,
                )
                create.append((row, obj))
            elif obj.spec != row.fields["_spec"]:
                obj.spec = row.fields["_spec"]
                obj.spec_format = row.fields["_spec_format"]
                update.append((row, obj))
            else:
                row.fields["_version_id"] = obj.pk
        ApiVersion.objects.bulk_create([o for _, o in create], batch_size=BATCH)
        ApiVersion.objects.bulk_update(
            [o for _, o in update], ["spec", "spec_format"], batch_size=BATCH
        )
        for row, obj in create + update:
            row.fields["_version_id"] = obj.pk
        for row in rows:
            if "_version_id" in row.fields:
                self.api_version_ids[row.entity.key] = row.fields["_version_id"]
        self.report.edges["api versions created"] += len(create)
        # Dependency.provider is denormalised: follow a provider change
        for api_id, provider_id in getattr(self, "_moved_apis", {}).items():
            Dependency.objects.filter(api_version__api_id=api_id, consumer_id=provider_id).delete()
            Dependency.objects.filter(api_version__api_id=api_id).update(provider_id=provider_id)

    def _write_dependencies(self) -> None:
        """consumesApis of changed Components → Dependency rows on the imported version."""
        rows = self._rows("Component")
        if not rows:
            return
        api_ids = self.ids["api"]
        managed_apis = {api_ids[k] for k in api_ids if k in self.rows or k in self.sources}
        existing: dict[tuple[int, int], int] = {}
        consumer_ids = [r.object_id for r in rows]
        for chunk in _chunks(consumer_ids, 2000):
            existing.update(
                {
                    (c, a): pk
                    for pk, c, a in Dependency.objects.filter(consumer_id__in=chunk).values_list(
                        "pk", "consumer_id", "api_version__api_id"
                    )
                }
            )
        providers = self._api_providers()
        desired: set[tuple[int, int]] = set()
        create = []
        for row in rows:
            consumer = row.object_id
            for ref in row.entity.refs.get("consumesApis", ()):
                key = str(ref)
                api_id = api_ids.get(key)
                version_id = self.api_version_ids.get(key) or self._latest_version(api_id)
                provider = providers.get(api_id)
                if api_id is None or version_id is None or provider is None:
                    continue
                if provider == consumer:
                    self.report.problems.append(
                        row.entity.problem(
                            f"spec.consumesApis: {key} is provided by this component; a service cannot consume its own API",
                            field="spec.consumesApis",
                            code="self_consumption",
                        )
                    )
                    self.report.problems[-1].level = "warning"
                    continue
                desired.add((consumer, api_id))
                if (consumer, api_id) not in existing:
                    create.append(
                        Dependency(
                            consumer_id=consumer, api_version_id=version_id, provider_id=provider
                        )
                    )
                    existing[(consumer, api_id)] = 0
        Dependency.objects.bulk_create(create, batch_size=BATCH, ignore_conflicts=True)
        remove = [
            pk
            for (c, a), pk in existing.items()
            if pk and (c, a) not in desired and a in managed_apis
        ]
        for chunk in _chunks(remove, 5000):
            Dependency.objects.filter(pk__in=chunk).delete()
        self.report.edges["dependencies created"] += len(create)
        self.report.edges["dependencies removed"] += len(remove)

    def _api_providers(self) -> dict[int, int]:
        cached = getattr(self, "_providers_cache", None)
        if cached is None:
            cached = dict(Api.objects.values_list("pk", "provider_id").iterator(chunk_size=10000))
            self._providers_cache = cached
        return cached

    def _latest_version(self, api_id: int | None) -> int | None:
        if api_id is None:
            return None
        cache = getattr(self, "_latest_cache", None)
        if cache is None:
            cache = {}
            for pk, api in (
                ApiVersion.objects.exclude(status=ApiVersion.Status.RETIRED)
                .order_by("api_id", "major", "minor", "patch")
                .values_list("pk", "api_id")
                .iterator(chunk_size=10000)
            ):
                cache[api] = pk
            self._latest_cache = cache
        return cache.get(api_id)

    def _write_links(self) -> None:
        """dependsOn (and the reverse dependencyOf) between Components/Resources → ServiceLink.

        Recomputed for every service of the catalog when any of them changed, since a
        ``dependencyOf`` on one entity adds a link from another.
        """
        if not self._rows("Component", "Resource"):
            return
        rows = self._rows("Component", "Resource", changed=False)
        service_ids = self.ids["component"]
        scope = {r.object_id for r in rows if r.object_id}
        existing: dict[tuple[int, int], int] = {}
        for chunk in _chunks(sorted(scope), 5000):
            existing.update(
                {
                    (s, t): pk
                    for pk, s, t in ServiceLink.objects.filter(source_id__in=chunk).values_list(
                        "pk", "source_id", "target_id"
                    )
                }
            )
        desired = set()
        for row in rows:
            for ref in row.entity.refs.get("dependsOn", ()):
                target = service_ids.get(str(ref))
                if target and target != row.object_id:
                    desired.add((row.object_id, target))
            for ref in row.entity.refs.get("dependencyOf", ()):
                source = service_ids.get(str(ref))
                if source and source != row.object_id:
                    desired.add((source, row.object_id))
        create = [ServiceLink(source_id=s, target_id=t) for s, t in sorted(desired - set(existing))]
        ServiceLink.objects.bulk_create(create, batch_size=BATCH, ignore_conflicts=True)
        remove = [pk for pair, pk in existing.items() if pair not in desired]
        for chunk in _chunks(remove, 5000):
            ServiceLink.objects.filter(pk__in=chunk).delete()
        self.report.edges["links created"] += len(create)
        self.report.edges["links removed"] += len(remove)

    def _write_sources(self) -> None:
        create, update = [], []
        for row in self.rows.values():
            if row.status == "unchanged":
                continue
            entity = row.entity
            values = {
                "kind": entity.kind,
                "source": self.source,
                "file": entity.file[:1000],
                "document": entity.document,
                "content_hash": self._hash(entity),
                "object_id": row.object_id,
                "version_id": self.api_version_ids.get(entity.key)
                if entity.kind == "API"
                else None,
                "extra": row.extra,
            }
            existing = self.sources.get(entity.key)
            if existing is None:
                create.append(EntitySource(entity_ref=entity.key, **values))
            else:
                for name, value in values.items():
                    setattr(existing, name, value)
                update.append(existing)
        EntitySource.objects.bulk_create(create, batch_size=BATCH)
        EntitySource.objects.bulk_update(
            update,
            [
                "kind",
                "source",
                "file",
                "document",
                "content_hash",
                "object_id",
                "version_id",
                "extra",
            ],
            batch_size=BATCH,
        )

    def _prune(self) -> None:
        """Delete the stale entities' rows, dependents first; teams still owning rows stay."""
        stale = [self.sources[ref] for ref in self.report.stale]
        by_kind: dict[str, list[EntitySource]] = defaultdict(list)
        for src in stale:
            by_kind[src.kind].append(src)
        removed: list[EntitySource] = []

        def ids(kind: str) -> list[int]:
            return [s.object_id for s in by_kind.get(kind, []) if s.object_id is not None]

        Api.objects.filter(pk__in=ids("API")).delete()
        removed += by_kind.get("API", [])
        services = ids("Component") + ids("Resource")
        blocked = set(
            Api.objects.filter(provider_id__in=services).values_list("provider_id", flat=True)
        )
        Service.objects.filter(pk__in=[s for s in services if s not in blocked]).delete()
        for kind in ("Component", "Resource"):
            for src in by_kind.get(kind, []):
                if src.object_id in blocked:
                    self._keep(src, "it still provides APIs")
                else:
                    removed.append(src)
        System.objects.filter(pk__in=ids("System")).delete()
        Domain.objects.filter(pk__in=ids("Domain")).delete()
        removed += by_kind.get("System", []) + by_kind.get("Domain", [])
        teams = ids("Group")
        busy = set(
            Team.objects.filter(pk__in=teams)
            .annotate(n=Count("services"))
            .filter(n__gt=0)
            .values_list("pk", flat=True)
        )
        Team.objects.filter(pk__in=[t for t in teams if t not in busy]).delete()
        for src in by_kind.get("Group", []):
            if src.object_id in busy:
                self._keep(src, "it still owns services")
            else:
                removed.append(src)
        users = ids("User")
        Membership.objects.filter(user_id__in=users).delete()
        self.User.objects.filter(pk__in=users).update(is_active=False)
        removed += by_kind.get("User", []) + by_kind.get("Location", [])
        EntitySource.objects.filter(pk__in=[s.pk for s in removed]).delete()
        for src in removed:
            self.report.kinds[src.kind].pruned += 1

    def _keep(self, src: EntitySource, why: str) -> None:
        self.report.problems.append(
            Problem(
                src.file,
                src.document,
                None,
                f"not pruned: {why}",
                code="prune_blocked",
                ref=src.entity_ref,
                level="warning",
            )
        )


def _hash(entity: Entity, owner_team: str = "") -> str:
    """The content hash, plus what the rows depend on outside the document: references left
    out because their target failed (when the target imports later, the entity counts as
    changed and its relations are written) and the team a User owner maps to."""
    if not entity.unresolved and not owner_team:
        return entity.content_hash
    text = f"{entity.content_hash}|{','.join(sorted(entity.unresolved))}|{owner_team}"
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _drop_refs(entity: Entity, extra: dict, keys: set[str]) -> None:
    """Remove the references to ``keys`` from the reference fields kept in ``extra``."""
    spec = extra.get("spec")
    if not isinstance(spec, dict):
        return
    for ref_field in REF_FIELDS.get(entity.kind, ()):
        value = spec.get(ref_field.name)
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        kept = []
        for item in items:
            try:
                ref = parse_ref(
                    item,
                    default_kind=ref_field.default_kind,
                    default_namespace=entity.namespace,
                )
            except RefError:
                ref = None
            if ref is None or str(ref) not in keys:
                kept.append(item)
        if isinstance(value, list):
            spec[ref_field.name] = kept
        elif not kept:
            del spec[ref_field.name]


def _refs_of(entity: Entity, name: str) -> list[EntityRef | None]:
    """The parsed reference of each raw item of a list field (None where it does not parse)."""
    out: list[EntityRef | None] = []
    for item in entity.spec.get(name) or []:
        try:
            out.append(
                parse_ref(item, default_kind="component", default_namespace=entity.namespace)
            )
        except RefError:
            out.append(None)
    return out


def _chunks(items: list, size: int) -> Iterable[list]:
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _semver(version: str) -> dict[str, Any]:
    calver = _CALVER.fullmatch(version)
    if calver:
        year, month, day = (int(g) for g in calver.groups())
        return {"major": year, "minor": month, "patch": day, "prerelease": ""}
    match = re.match(r"(\d+)\.(\d+)\.(\d+)(?:-([^+]+))?", version)
    if not match:
        return {"major": 1, "minor": 0, "patch": 0, "prerelease": ""}
    major, minor, patch, pre = match.groups()
    return {"major": int(major), "minor": int(minor), "patch": int(patch), "prerelease": pre or ""}


def _tag(value: object) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", str(value).lower()).strip("-")[:100]


def _repository(annotations: dict) -> str:
    location = annotations.get("backstage.io/source-location")
    if location:
        return _url(location)
    slug = annotations.get("github.com/project-slug")
    if isinstance(slug, str) and slug.count("/") == 1:
        return f"https://github.com/{slug}"
    return ""


def _link(links: list[dict], kinds: tuple[str, ...]) -> str:
    for link in links:
        label = f"{link.get('type', '')} {link.get('title', '')}".lower()
        if any(k in label for k in kinds):
            return _url(link.get("url"))
    return ""


# --------------------------------------------------------------------------- import jobs (API)

MAX_ARCHIVE_FILES = 50_000
MAX_UNPACKED_BYTES = 256 * 1024 * 1024


def _archive_members(payload: bytes, kind: str) -> list[tuple[str, int]]:
    """(path, size) of the regular files of an archive; refuses anything unsafe.

    Raises DomainError for: unreadable archives, absolute paths or ``..``, links and
    devices, more than MAX_ARCHIVE_FILES files or more than MAX_UNPACKED_BYTES unpacked
    (zip bombs).
    """
    import io
    import posixpath
    import tarfile
    import zipfile

    from portal.api.exceptions import DomainError

    members: list[tuple[str, int]] = []
    try:
        if kind == "zip":
            with zipfile.ZipFile(io.BytesIO(payload)) as archive:
                for info in archive.infolist():
                    if info.is_dir():
                        continue
                    if (info.external_attr >> 16) & 0o170000 == 0o120000:
                        raise DomainError(
                            f"Archive member {info.filename!r} is a link.",
                            errors={"archive": ["Links are not allowed."]},
                        )
                    members.append((info.filename, info.file_size))
        else:
            with tarfile.open(fileobj=io.BytesIO(payload), mode="r:*") as archive:
                for info in archive.getmembers():
                    if info.isdir():
                        continue
                    if not info.isfile():
                        raise DomainError(
                            f"Archive member {info.name!r} is not a regular file.",
                            errors={"archive": ["Only regular files and directories are allowed."]},
                        )
                    members.append((info.name, info.size))
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise DomainError(
            f"The archive cannot be read: {exc}", errors={"archive": ["Not a valid archive."]}
        ) from exc
    total = 0
    for name, size in members:
        normal = posixpath.normpath(name)
        if (
            name.startswith(("/", "\\"))
            or normal.startswith("..")
            or ":" in name.split("/")[0]
            or "\\" in name
        ):
            raise DomainError(
                f"Archive member {name!r} escapes the archive.",
                errors={"archive": ["Unsafe path."]},
            )
        total += size
    if len(members) > MAX_ARCHIVE_FILES:
        raise DomainError(
            f"The archive has more than {MAX_ARCHIVE_FILES} files.",
            errors={"archive": ["Too many files."]},
        )
    if total > MAX_UNPACKED_BYTES:
        raise DomainError(
            f"The archive unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB.",
            errors={"archive": ["Too large when unpacked."]},
        )
    return members


@transaction.atomic
def import_job_create(
    *,
    payload: bytes,
    payload_kind: str,
    source: str,
    actor,
    prune: bool = False,
    dry_run: bool = False,
    strict: bool = False,
):
    """Record an import of an uploaded YAML document or archive and queue it.

    Checks the payload first (UTF-8 YAML; archives safe to unpack) and raises DomainError
    with nothing written when it is not. Schedules ``catalog.import_job_run`` after commit.
    """
    from catalog.models import ImportJob
    from catalog.tasks.imports import import_job_run as task
    from portal.api.exceptions import DomainError

    if not payload:
        raise DomainError("Nothing to import: the body is empty.", errors={"body": ["Empty."]})
    if payload_kind == ImportJob.PayloadKind.YAML:
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DomainError(
                "The YAML body is not UTF-8 text.", errors={"body": ["Not UTF-8."]}
            ) from exc
    elif payload_kind in (ImportJob.PayloadKind.TAR, ImportJob.PayloadKind.ZIP):
        _archive_members(payload, payload_kind)
    else:
        raise DomainError(f"Unknown payload kind {payload_kind!r}.")
    job = ImportJob.objects.create(
        payload=payload,
        payload_kind=payload_kind,
        source=(source or "upload")[:500],
        prune=prune,
        dry_run=dry_run,
        strict=strict,
        created_by=actor,
    )
    task.delay_on_commit(job.pk)
    return job


def import_job_run(*, job_id: int) -> None:
    """Run a queued import job: unpack into a temporary directory, import, record the report.

    Returns quietly if the job is gone or already finished. Progress is written to the job
    row as the import goes; the import itself is one transaction.
    """
    import io
    import tarfile
    import tempfile
    import zipfile
    from pathlib import Path

    from django.utils import timezone

    from catalog.models import ImportJob
    from portal.api.exceptions import DomainError

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.finished:
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), phase="unpacking"
    )
    last = [0.0]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5 and phase != "done":
            return
        last[0] = now
        ImportJob.objects.filter(pk=job.pk).update(
            phase=phase[:50], progress_done=done, progress_total=total
        )

    payload = bytes(job.payload)
    try:
        with tempfile.TemporaryDirectory(prefix="catalog-import-") as tmp:
            root = Path(tmp) / "upload"
            root.mkdir()
            target = root
            if job.payload_kind == ImportJob.PayloadKind.YAML:
                # read as an explicit file: whatever it holds is reported, nothing skipped
                target = root / "catalog-info.yaml"
                target.write_bytes(payload)
            else:
                members = dict(_archive_members(payload, job.payload_kind))
                if job.payload_kind == ImportJob.PayloadKind.ZIP:
                    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
                        for name in members:
                            # not ``target``: the import reads the whole unpacked root
                            member = root / name
                            member.parent.mkdir(parents=True, exist_ok=True)
                            member.write_bytes(archive.read(name)[:MAX_UNPACKED_BYTES])
                else:
                    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:*") as archive:
                        archive.extractall(
                            root,
                            members=[m for m in archive.getmembers() if m.isfile()],
                            filter="data",
                        )
            report = catalog_import(
                paths=[str(target)],
                source=job.source,
                prune=job.prune,
                dry_run=job.dry_run,
                strict=job.strict,
                progress=progress,
            )
    except CatalogImportRefused as exc:
        _job_finish(job, exc.report, error=str(exc))
        return
    except DomainError as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED,
            error=exc.detail,
            finished_at=timezone.now(),
            payload=b"",
        )
        return
    _job_finish(job, report)


def _job_finish(job, report: ImportReport, *, error: str = "") -> None:
    from django.utils import timezone

    from catalog.models import ImportJob

    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED if error else ImportJob.Status.SUCCEEDED,
        summary=report.as_dict(),
        problems=[p.as_dict() for p in report.problems[:1000]],
        error=error,
        phase="done",
        finished_at=timezone.now(),
        payload=b"",
    )
