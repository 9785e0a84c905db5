"""Per-kind checks and entity-reference resolution across a whole catalog."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .model import Catalog, Entity, Problem
from .refs import KINDS, EntityRef, RefError, parse_ref


@dataclass(frozen=True, slots=True)
class RefField:
    """A ``spec`` field holding entity references."""

    name: str
    default_kind: str | None
    kinds: frozenset[str]
    many: bool = False
    required: bool = False


def _f(
    name: str, default: str | None, kinds: str, *, many: bool = False, required: bool = False
) -> RefField:
    return RefField(name, default, frozenset(kinds.split()), many, required)


OWNER = _f("owner", "group", "group user", required=True)
SYSTEM = _f("system", "system", "system")
ANY_KIND = " ".join(KINDS)

#: fields whose target must be imported for the entity to be imported (the portal has no
#: row without an owner); a reference in any other field to an entity that is in the
#: catalog but failed is dropped with a warning, and the referring entity still imports.
HARD_FIELDS = frozenset({"owner"})

#: reference fields per kind; ``dependsOn`` may omit the kind (component is assumed) and,
#: as in Backstage, may point to any kind (only Components and Resources become links).
REF_FIELDS: dict[str, tuple[RefField, ...]] = {
    "Component": (
        OWNER,
        SYSTEM,
        _f("subcomponentOf", "component", "component"),
        _f("providesApis", "api", "api", many=True),
        _f("consumesApis", "api", "api", many=True),
        _f("dependsOn", "component", ANY_KIND, many=True),
        _f("dependencyOf", "component", ANY_KIND, many=True),
    ),
    "API": (OWNER, SYSTEM),
    "Resource": (
        OWNER,
        SYSTEM,
        _f("dependsOn", "component", ANY_KIND, many=True),
        _f("dependencyOf", "component", ANY_KIND, many=True),
    ),
    "System": (OWNER, _f("domain", "domain", "domain")),
    "Domain": (OWNER, _f("subdomainOf", "domain", "domain")),
    "Group": (
        _f("parent", "group", "group"),
        _f("children", "group", "group", many=True),
        _f("members", "user", "user", many=True),
    ),
    "User": (_f("memberOf", "group", "group", many=True),),
    "Location": (),
}

#: required string fields of ``spec`` per kind (references are checked above).
REQUIRED_STRINGS: dict[str, tuple[str, ...]] = {
    "Component": ("type", "lifecycle"),
    "API": ("type", "lifecycle"),
    "Resource": ("type",),
    "Group": ("type",),
}

STRING_LIST_METADATA = ("tags",)


def check_entity(entity: Entity) -> list[Problem]:
    """Structural checks of one entity that need no other entity."""
    problems: list[Problem] = []
    entity.unresolved = []
    spec, metadata = entity.spec, entity.metadata
    for key in REQUIRED_STRINGS.get(entity.kind, ()):
        value = spec.get(key)
        if value is None or value == "":
            problems.append(
                entity.problem(f"missing 'spec.{key}'", field="spec", code="missing_field")
            )
        elif not isinstance(value, str):
            problems.append(entity.problem(f"'spec.{key}' must be a string", field=f"spec.{key}"))
    if entity.kind == "API" and "definition" not in spec:
        problems.append(
            entity.problem("missing 'spec.definition'", field="spec", code="missing_field")
        )
    for key in STRING_LIST_METADATA:
        value = metadata.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            problems.append(
                entity.problem(
                    f"'metadata.{key}' must be a list of strings", field=f"metadata.{key}"
                )
            )
    for key in ("annotations", "labels"):
        value = metadata.get(key)
        if value is not None and not isinstance(value, dict):
            problems.append(
                entity.problem(f"'metadata.{key}' must be a mapping", field=f"metadata.{key}")
            )
    links = metadata.get("links")
    if links is not None and not (
        isinstance(links, list)
        and all(isinstance(link, dict) and isinstance(link.get("url"), str) for link in links)
    ):
        problems.append(
            entity.problem(
                "'metadata.links' must be a list of {url, title}", field="metadata.links"
            )
        )
    profile = spec.get("profile")
    if profile is not None and not isinstance(profile, dict):
        problems.append(entity.problem("'spec.profile' must be a mapping", field="spec.profile"))
    for ref_field in REF_FIELDS.get(entity.kind, ()):
        problems.extend(_parse_field(entity, ref_field))
    return problems


def _parse_field(entity: Entity, ref_field: RefField) -> list[Problem]:
    key = ref_field.name
    where = f"spec.{key}"
    value = entity.spec.get(key)
    if value is None or value == [] or value == "":
        if ref_field.required:
            return [entity.problem(f"missing '{where}'", field="spec", code="missing_field")]
        entity.refs[key] = []
        return []
    if ref_field.many:
        if not isinstance(value, list):
            return [entity.problem(f"'{where}' must be a list of entity references", field=where)]
        items = [(f"{where}[{i}]", v) for i, v in enumerate(value)]
    else:
        items = [(where, value)]
    refs, problems = [], []
    for item_where, item in items:
        try:
            ref = parse_ref(
                item,
                default_kind=ref_field.default_kind,
                default_namespace=entity.namespace,
                allowed_kinds=ref_field.kinds,
            )
        except RefError as exc:
            problems.append(
                entity.problem(f"{item_where}: {exc}", field=item_where, code="invalid_ref")
            )
            continue
        if ref not in refs:
            refs.append(ref)
    entity.refs[key] = refs
    return problems


def resolve_catalog(catalog: Catalog, *, known: Collection[str] = ()) -> Catalog:
    """Check every entity and resolve its references; invalid entities are removed.

    An entity is dropped (with a Problem naming its file, document and line) when it fails
    :func:`check_entity`, duplicates an earlier entity's reference, or references an entity
    that is neither in the catalog nor in ``known`` (refs such as ``group:default/payments``
    already in the portal). An owner that failed drops its entities transitively (a
    Component owned by a Group that failed); a reference in another field to an entity
    that failed is left out with a warning (a Component consuming an API that failed still
    imports, without that dependency). Returns the same catalog, mutated.
    """
    valid: dict[str, Entity] = {}
    for entity in catalog.entities:
        problems = check_entity(entity)
        if problems:
            catalog.problems.extend(problems)
            continue
        first = valid.get(entity.key)
        if first is not None:
            catalog.problems.append(
                entity.problem(
                    f"duplicate entity {entity.key}, first defined in {first.file}, "
                    f"document {first.document}, line {first.line}",
                    code="duplicate",
                )
            )
            continue
        valid[entity.key] = entity

    known = set(known)
    reported = {
        (p.ref, p.message) for p in catalog.problems if p.code == "unresolved_ref" and p.ref
    }
    changed = True
    while changed:
        changed = False
        failed = {p.ref for p in catalog.problems if p.ref and p.level == "error"}
        for key, entity in list(valid.items()):
            dangling = _dangling(entity, valid, known, failed, reported)
            if any(p.level == "error" for p in dangling):
                catalog.problems.extend(p for p in dangling if p.level == "error")
                del valid[key]
                failed.add(key)
                changed = True
            else:
                catalog.problems.extend(dangling)
    catalog.entities = list(valid.values())
    return catalog


def _dangling(
    entity: Entity,
    valid: dict[str, Entity],
    known: set[str],
    failed: set[str],
    reported: set[tuple[str, str]],
) -> list[Problem]:
    problems: list[Problem] = []
    for ref_field in REF_FIELDS.get(entity.kind, ()):
        refs = entity.refs.get(ref_field.name)
        if not refs:
            continue
        left_out: list[EntityRef] = []
        for i, ref in enumerate(refs):
            key = str(ref)
            if key in valid or key in known:
                continue
            where = f"spec.{ref_field.name}" + (
                f"[{_index_of(entity, ref_field, i)}]" if ref_field.many else ""
            )
            if key in failed and ref_field.name not in HARD_FIELDS:
                left_out.append(ref)
                if key not in entity.unresolved:
                    entity.unresolved.append(key)
                problem = entity.problem(
                    f"{where}: {key} was not imported (see its own problem); "
                    "this reference is left out",
                    field=where,
                    code="unresolved_ref",
                )
                problem.level = "warning"
                if (problem.ref, problem.message) not in reported:
                    reported.add((problem.ref, problem.message))
                    problems.append(problem)
                continue
            problems.append(
                entity.problem(
                    f"{where}: {key} does not match any {ref.kind_label} in the catalog"
                    + (" (it was not imported)" if key in failed else ""),
                    field=where,
                    code="dangling_ref",
                )
            )
        if left_out and not any(p.level == "error" for p in problems):
            entity.refs[ref_field.name] = [r for r in refs if r not in left_out]
    return problems


def _index_of(entity: Entity, ref_field: RefField, position: int) -> int:
    """Index in the original list of the ``position``-th distinct parsed reference."""
    target = entity.refs[ref_field.name][position]
    for i, item in enumerate(entity.spec.get(ref_field.name) or []):
        try:
            if (
                parse_ref(
                    item, default_kind=ref_field.default_kind, default_namespace=entity.namespace
                )
                == target
            ):
                return i
        except RefError:
            continue
    return position
