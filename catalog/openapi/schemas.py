"""A normalised view of JSON schemas (OpenAPI 3.0 and 3.1 dialects) for the diff engine.

`$ref`s are followed, `allOf` is merged into one effective schema, nullability is read from
3.0's `nullable`, 3.1's `type: [..., "null"]` and `oneOf/anyOf` with a `null` branch, and
schema cycles are cut (a schema that contains itself through `allOf` is merged once).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from catalog.openapi.refs import Resolver, ref_name


def canonical(value: Any) -> str:
    """A stable, hashable text for an enum/const value."""
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(slots=True)
class Schema:
    types: frozenset[str] = frozenset()
    nullable: bool = False
    format: str | None = None
    enum: dict[str, Any] | None = None  # canonical -> value
    const: str | None = None
    has_const: bool = False
    lower: tuple[float, bool] | None = None  # (bound, exclusive)
    upper: tuple[float, bool] | None = None
    min_length: int = 0
    max_length: int | None = None
    min_items: int = 0
    max_items: int | None = None
    # JSON Schema 2020-12 `contains` on the schema itself (not merged through allOf) and its
    # bounds: minContains defaults to 1, maxContains to unbounded.
    contains: bool = False
    min_contains: int = 1
    max_contains: int | None = None
    pattern: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)  # name -> raw schema
    required: frozenset[str] = frozenset()
    items: Any = None
    additional: Any = None  # raw schema when additionalProperties is a schema
    closed: bool = False  # additionalProperties: false
    default: str | None = None  # canonical default value
    has_default: bool = False
    alternatives: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)  # oneOf/anyOf
    read_only: bool = False
    write_only: bool = False
    deprecated: bool = False
    # x-extensible-enum (Zalando): the values known today, others may come: canonical -> value
    extensible_enum: dict[str, Any] | None = None
    # The schema's own discriminator (not inherited through allOf): propertyName (None when
    # missing or not a string) and mapping (value -> target, schema names read as refs).
    has_discriminator: bool = False
    discriminator_property: str | None = None
    discriminator_mapping: dict[str, str] = field(default_factory=dict)
    node: Any = None  # the (resolved) raw schema this was built from

    def single_branch(self) -> Any:
        """The branch of a `oneOf: [X]` / `anyOf: [X]` wrapper that adds nothing else, or None."""
        if len(self.alternatives) != 1 or self.types or self.properties or self.enum:
            return None
        (branches,) = self.alternatives.values()
        return branches[0][1] if len(branches) == 1 else None


def _number(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


class SchemaIndex:
    """Normalised schemas of one document, cached by node identity."""

    def __init__(self, document: dict, resolver: Resolver | None = None) -> None:
        self.resolver = resolver or Resolver(document)
        self._cache: dict[int, Schema] = {}
        self._building: set[int] = set()

    def get(self, raw: Any) -> Schema:
        key = id(raw)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        node = self.resolver.resolve(raw)
        if node is not raw:
            schema = self.get(node)
            self._cache[key] = schema
            return schema
        if key in self._building:  # a schema that contains itself through allOf
            return Schema()
        self._building.add(key)
        try:
            schema = self._build(node if isinstance(node, dict) else {})
        finally:
            self._building.discard(key)
        self._cache[key] = schema
        return schema

    def _build(self, node: dict) -> Schema:
        s = Schema(node=node)
        raw_type = node.get("type")
        types = (
            {t for t in raw_type if isinstance(t, str)}
            if isinstance(raw_type, list)
            else ({raw_type} if isinstance(raw_type, str) else set())
        )
        if "null" in types:
            s.nullable = True
            types.discard("null")
        s.types = frozenset(types)
        if node.get("nullable") is True:
            s.nullable = True
        s.format = node.get("format") if isinstance(node.get("format"), str) else None
        if isinstance(node.get("enum"), list):
            values = {}
            for value in node["enum"]:
                if value is None:
                    s.nullable = True
                    continue
                values[canonical(value)] = value
            s.enum = values
        if "const" in node:
            s.has_const = True
            s.const = canonical(node["const"])
        s.lower = self._bound(node, "minimum", "exclusiveMinimum")
        s.upper = self._bound(node, "maximum", "exclusiveMaximum")
        s.min_length = int(_number(node.get("minLength")) or 0)
        s.max_length = _int_or_none(node.get("maxLength"))
        s.min_items = int(_number(node.get("minItems")) or 0)
        s.max_items = _int_or_none(node.get("maxItems"))
        if "contains" in node:
            s.contains = True
            min_contains = _int_or_none(node.get("minContains"))
            s.min_contains = 1 if min_contains is None else min_contains
            s.max_contains = _int_or_none(node.get("maxContains"))
        s.pattern = node.get("pattern") if isinstance(node.get("pattern"), str) else None
        if isinstance(node.get("properties"), dict):
            s.properties = dict(node["properties"])
        if isinstance(node.get("required"), list):
            s.required = frozenset(str(r) for r in node["required"])
        if isinstance(node.get("items"), dict):
            s.items = node["items"]
        if isinstance(node.get("additionalProperties"), dict):
            s.additional = node["additionalProperties"]
        elif node.get("additionalProperties") is False:
            s.closed = True
        if "default" in node:
            s.has_default = True
            s.default = canonical(node["default"])
        s.read_only = node.get("readOnly") is True
        s.write_only = node.get("writeOnly") is True
        s.deprecated = node.get("deprecated") is True
        if isinstance(node.get("x-extensible-enum"), list):
            s.extensible_enum = {
                canonical(v): v for v in node["x-extensible-enum"] if v is not None
            }
        discriminator = node.get("discriminator")
        if isinstance(discriminator, dict):
            s.has_discriminator = True
            name = discriminator.get("propertyName")
            s.discriminator_property = name if isinstance(name, str) else None
            mapping = discriminator.get("mapping")
            if isinstance(mapping, dict):
                s.discriminator_mapping = {
                    str(k): _mapping_target(v) for k, v in mapping.items() if isinstance(v, str)
                }
        for keyword in ("oneOf", "anyOf"):
            branches = node.get(keyword)
            if not isinstance(branches, list):
                continue
            kept = [b for b in branches if not _is_null(self.resolver.resolve(b))]
            if len(kept) < len(branches):
                s.nullable = True
            if len(kept) == 1 and len(branches) > 1 and not s.types and not s.properties:
                # `anyOf: [X, {type: null}]` is "X or null": merge X in.
                self._merge(s, self.get(kept[0]))
                _take_discriminator(s, self.get(kept[0]))
            elif kept:
                s.alternatives[keyword] = _keyed(kept)
        if isinstance(node.get("allOf"), list):
            for part in node["allOf"]:
                self._merge(s, self.get(part))
        return s

    @staticmethod
    def _bound(node: dict, inclusive: str, exclusive: str) -> tuple[float, bool] | None:
        bounds = []
        value = _number(node.get(inclusive))
        if value is not None:
            bounds.append((value, node.get(exclusive) is True))  # 3.0 boolean form
        value = _number(node.get(exclusive))
        if value is not None:  # 3.1 numeric form
            bounds.append((value, True))
        if not bounds:
            return None
        if inclusive == "minimum":  # the tightest lower bound
            return max(bounds, key=lambda b: (b[0], b[1]))
        return min(bounds, key=lambda b: (b[0], not b[1]))

    @staticmethod
    def _merge(into: Schema, part: Schema) -> None:
        """Merge an allOf branch: both apply, so constraints accumulate."""
        if part.types:
            into.types = into.types & part.types if into.types else part.types
        into.nullable = into.nullable or part.nullable
        into.format = into.format or part.format
        if part.enum is not None:
            into.enum = (
                {k: v for k, v in into.enum.items() if k in part.enum}
                if into.enum is not None
                else dict(part.enum)
            )
        if part.has_const and not into.has_const:
            into.has_const, into.const = True, part.const
        if part.lower and (not into.lower or part.lower > into.lower):
            into.lower = part.lower
        if part.upper and (not into.upper or part.upper < into.upper):
            into.upper = part.upper
        into.min_length = max(into.min_length, part.min_length)
        if part.max_length is not None:
            into.max_length = min(x for x in (into.max_length, part.max_length) if x is not None)
        into.min_items = max(into.min_items, part.min_items)
        if part.max_items is not None:
            into.max_items = min(x for x in (into.max_items, part.max_items) if x is not None)
        into.pattern = into.pattern or part.pattern
        for name, prop in part.properties.items():
            into.properties.setdefault(name, prop)
        into.required = into.required | part.required
        into.items = into.items if into.items is not None else part.items
        into.additional = into.additional if into.additional is not None else part.additional
        into.closed = into.closed or part.closed
        if part.has_default and not into.has_default:
            into.has_default, into.default = True, part.default
        for keyword, branches in part.alternatives.items():
            into.alternatives.setdefault(keyword, branches)
        into.read_only = into.read_only or part.read_only
        into.write_only = into.write_only or part.write_only
        into.deprecated = into.deprecated or part.deprecated
        if part.extensible_enum is not None:
            into.extensible_enum = {**part.extensible_enum, **(into.extensible_enum or {})}


def _is_null(node: Any) -> bool:
    return isinstance(node, dict) and (
        node.get("type") == "null"
        or node.get("enum") == [None]
        or ("const" in node and node["const"] is None)
    )


def _take_discriminator(into: Schema, part: Schema) -> None:
    """`X or null` keeps X's discriminator (unless the wrapper has its own)."""
    if part.has_discriminator and not into.has_discriminator:
        into.has_discriminator = True
        into.discriminator_property = part.discriminator_property
        into.discriminator_mapping = dict(part.discriminator_mapping)


def _mapping_target(value: str) -> str:
    """A discriminator mapping value as a reference: a bare schema name ("Dog") is
    `#/components/schemas/Dog`, anything with a "/" or "#" is already a reference."""
    if "/" in value or "#" in value:
        return value
    return "#/components/schemas/" + value


def _int_or_none(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _keyed(branches: list[Any]) -> list[tuple[str, Any]]:
    """Key oneOf/anyOf branches so reordering is not a change: a `$ref` by its target's name,
    an inline branch by its title, else by its type (`type:string`) when no other inline branch
    has that type, otherwise by its position among the remaining inline branches."""
    signatures: list[str | None] = []
    for branch in branches:
        signature = None
        if isinstance(branch, dict) and ref_name(branch) is None and "title" not in branch:
            kind = branch.get("type")
            if isinstance(kind, str):
                signature = "type:" + kind
            elif isinstance(kind, list) and all(isinstance(k, str) for k in kind):
                signature = "type:" + "/".join(sorted(kind))
        signatures.append(signature)
    keyed = []
    inline = 0
    for branch, signature in zip(branches, signatures, strict=True):
        name = ref_name(branch)
        if name is None and isinstance(branch, dict) and isinstance(branch.get("title"), str):
            name = "title:" + branch["title"]
        if name is None and signature is not None and signatures.count(signature) == 1:
            name = signature
        if name is None:
            name = f"#{inline}"
            inline += 1
        keyed.append((name, branch))
    return keyed


def allowed_values(schema: Schema) -> frozenset[str] | None:
    """The values an enum and/or const restrict a schema to (None: unrestricted), so that
    `enum: [a]` and `const: a` are the same thing."""
    values = None if schema.enum is None else frozenset(schema.enum)
    if schema.has_const:
        const = frozenset((schema.const,))
        values = const if values is None else values & const
    return values


def describe_type(schema: Schema) -> str:
    text = "/".join(sorted(schema.types)) or "any"
    if schema.format:
        text += f" ({schema.format})"
    return text
