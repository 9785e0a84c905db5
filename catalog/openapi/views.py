"""Plain data for rendering a document: operations grouped by tag, with parameters and schema
outlines (depth-first rows, `$ref` cycles shown once). Used by the version page's templates."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from catalog.openapi.errors import guarded
from catalog.openapi.operations import HTTP_METHODS, iter_operations, parse_sunset
from catalog.openapi.refs import Resolver, ref_name

MAX_ROWS = 200
MAX_DEPTH = 8


@dataclass
class SchemaRow:
    depth: int
    name: str
    type: str
    required: bool = False
    description: str = ""
    notes: str = ""  # enum values, bounds, "recursive: Pet", "nullable"...


@dataclass
class ParameterView:
    name: str
    location: str
    required: bool
    type: str
    description: str = ""
    deprecated: bool = False


@dataclass
class BodyView:
    label: str  # "application/json" or "200 application/json"
    description: str
    rows: list[SchemaRow]


@dataclass
class OperationView:
    method: str
    path: str
    operation_id: str
    summary: str
    description: str
    deprecated: bool
    sunset: str
    parameters: list[ParameterView] = field(default_factory=list)
    request: list[BodyView] = field(default_factory=list)
    responses: list[BodyView] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"op-{self.method.lower()}-" + "".join(c if c.isalnum() else "-" for c in self.path)


def _type_of(schema: dict) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = " | ".join(str(k) for k in kind)
    if kind == "array" and isinstance(schema.get("items"), dict):
        inner = ref_name(schema["items"]) or _type_of(schema["items"])
        return f"array of {inner}"
    text = str(kind) if kind else ""
    for keyword in ("oneOf", "anyOf", "allOf"):
        if isinstance(schema.get(keyword), list) and not text:
            text = keyword
    if schema.get("format"):
        text = f"{text} ({schema['format']})"
    return text or "any"


def _notes(schema: dict) -> str:
    notes = []
    if isinstance(schema.get("enum"), list):
        notes.append("one of " + ", ".join(str(v) for v in schema["enum"][:20]))
    for keyword in (
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "pattern",
    ):
        if keyword in schema:
            notes.append(f"{keyword} {schema[keyword]}")
    for keyword, note in (
        ("nullable", "nullable"),
        ("readOnly", "read-only"),
        ("writeOnly", "write-only"),
        ("deprecated", "deprecated"),
    ):
        if schema.get(keyword):
            notes.append(note)
    return "; ".join(notes)


def schema_rows(
    resolver: Resolver, schema: Any, *, name: str = "", limit: int = MAX_ROWS
) -> list[SchemaRow]:
    """Depth-first rows of a schema; a `$ref` already open above is shown as recursive."""
    rows: list[SchemaRow] = []

    def walk(node: Any, label: str, depth: int, required: bool, seen: frozenset[str]) -> None:
        if len(rows) >= limit:
            return
        ref = node.get("$ref") if isinstance(node, dict) else None
        target = resolver.resolve(node) if isinstance(node, dict) else {}
        if not isinstance(target, dict):
            target = {}
        kind = _type_of(target)
        if ref:
            kind = f"{ref_name(node)} ({kind})"
        if ref and ref in seen:
            rows.append(SchemaRow(depth, label, kind, required, "", f"recursive: {ref_name(node)}"))
            return
        rows.append(
            SchemaRow(
                depth, label, kind, required, str(target.get("description") or ""), _notes(target)
            )
        )
        if depth >= MAX_DEPTH:
            return
        inner_seen = seen | {ref} if ref else seen
        parts = [target] + [
            resolver.resolve(p) for p in target.get("allOf") or [] if isinstance(p, dict)
        ]
        required_names = set()
        for part in parts:
            if isinstance(part, dict):
                required_names |= set(part.get("required") or [])
        for part in parts:
            if not isinstance(part, dict):
                continue
            for prop, sub in (part.get("properties") or {}).items():
                walk(sub, prop, depth + 1, prop in required_names, inner_seen)
        if isinstance(target.get("items"), dict):
            items = target["items"]
            items_target = resolver.resolve(items)
            if isinstance(items_target, dict) and (
                items_target.get("properties") or items_target.get("allOf")
            ):
                walk(items, "[items]", depth + 1, False, inner_seen)
        for keyword in ("oneOf", "anyOf"):
            for index, branch in enumerate(target.get(keyword) or []):
                walk(branch, f"{keyword}[{index}]", depth + 1, False, inner_seen)

    walk(schema, name, 0, False, frozenset())
    return rows


@guarded("render the operations")
def operations_view(document: dict) -> OrderedDict[str, list[OperationView]]:
    """Operations grouped by their first tag (document tag order first, then alphabetical;
    untagged last), each with parameters, request bodies and responses."""
    resolver = Resolver(document)
    groups: dict[str, list[OperationView]] = {}
    for path, method, item, op in iter_operations(document):
        params = {}
        for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
            param = resolver.resolve(raw)
            if isinstance(param, dict) and "name" in param:
                schema = resolver.resolve(param.get("schema") or {})
                params[(param.get("in"), param["name"])] = ParameterView(
                    name=str(param["name"]),
                    location=str(param.get("in", "")),
                    required=bool(param.get("required")),
                    type=_type_of(schema if isinstance(schema, dict) else {}),
                    description=str(param.get("description") or ""),
                    deprecated=bool(param.get("deprecated")),
                )
        request = []
        body = resolver.resolve(op.get("requestBody")) if op.get("requestBody") else None
        if isinstance(body, dict):
            for media, content in (body.get("content") or {}).items():
                schema = (content or {}).get("schema")
                rows = schema_rows(resolver, schema) if schema is not None else []
                label = media + (" (required)" if body.get("required") else "")
                request.append(BodyView(label, str(body.get("description") or ""), rows))
        responses = []
        for status, raw in (op.get("responses") or {}).items():
            response = resolver.resolve(raw) or {}
            content = response.get("content") or {}
            if not content:
                responses.append(BodyView(str(status), str(response.get("description") or ""), []))
            for media, media_obj in content.items():
                schema = (media_obj or {}).get("schema")
                rows = schema_rows(resolver, schema) if schema is not None else []
                responses.append(
                    BodyView(f"{status} {media}", str(response.get("description") or ""), rows)
                )
        sunset = ""
        if op.get("x-sunset") is not None:
            try:
                sunset = parse_sunset(op["x-sunset"]).isoformat()
            except ValueError:
                sunset = str(op["x-sunset"])
        view = OperationView(
            method=method.upper(),
            path=path,
            operation_id=str(op.get("operationId") or ""),
            summary=str(op.get("summary") or ""),
            description=str(op.get("description") or ""),
            deprecated=bool(op.get("deprecated")),
            sunset=sunset,
            parameters=list(params.values()),
            request=request,
            responses=responses,
        )
        tags = op.get("tags") or []
        groups.setdefault(str(tags[0]) if tags else "", []).append(view)
    declared = [str(t.get("name")) for t in document.get("tags") or [] if isinstance(t, dict)]
    order = {name: i for i, name in enumerate(declared)}
    method_order = {m.upper(): i for i, m in enumerate(HTTP_METHODS)}
    result: OrderedDict[str, list[OperationView]] = OrderedDict()
    for tag in sorted(groups, key=lambda t: (t == "", order.get(t, len(order)), t)):
        result[tag or "Untagged"] = sorted(
            groups[tag], key=lambda o: (o.path, method_order[o.method])
        )
    return result
