"""Parse, normalise and validate OpenAPI 3.0 / 3.1 documents (YAML or JSON)."""

from __future__ import annotations

import json
from typing import Any

import yaml

from catalog.openapi.errors import SpecError, guarded
from catalog.openapi.refs import lookup, pointer

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_NODES = 2_000_000  # YAML aliases can expand a small file into a huge tree

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe YAML loader that keeps timestamps as strings (an `x-sunset: 2025-01-01` or an
    example date stays JSON-serialisable, as it would be in a JSON document)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def parse_document(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict:
    """Parse YAML or JSON text into a normalised OpenAPI 3.0/3.1 mapping (string keys, no
    aliases shared). Does not validate against the OpenAPI schema (see `load_document`).

    Raises SpecError: too large, not UTF-8, not YAML/JSON, not a mapping, not OpenAPI 3.0/3.1."""
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise SpecError(
            f"The document is {size} bytes; the limit is {max_bytes} bytes.", code="too_large"
        )
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SpecError("The document is not UTF-8 text.", code="not_text") from exc
    else:
        text = data
    if not text.strip():
        raise SpecError("The document is empty.", code="empty")
    stripped = text.lstrip()
    raw: Any
    if stripped.startswith(("{", "[")):
        try:
            raw = json.loads(text)
        except ValueError as exc:
            line, col = getattr(exc, "lineno", 0), getattr(exc, "colno", 0)
            raise SpecError(
                f"Not valid JSON: {getattr(exc, 'msg', exc)}",
                location=f"line {line}, column {col}",
                code="not_json",
            ) from exc
    else:
        try:
            raw = yaml.load(text, Loader=_Loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            location = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise SpecError(
                f"Not valid YAML: {problem}", location=location, code="not_yaml"
            ) from exc
    if not isinstance(raw, dict):
        raise SpecError(
            "The document is not an OpenAPI object (expected a mapping at the top level).",
            code="not_openapi",
        )
    version = raw.get("openapi")
    if not isinstance(version, str) or not version.startswith(("3.0.", "3.1.")):
        found = f"openapi: {version!r}" if "openapi" in raw else "no 'openapi' field"
        if "swagger" in raw:
            found = f"swagger: {raw['swagger']!r}"
        raise SpecError(
            f"Only OpenAPI 3.0 and 3.1 documents are supported ({found}).",
            location="/openapi",
            code="not_openapi",
        )
    return _normalise(raw)


def _normalise(raw: dict) -> dict:
    """Copy the tree with string keys, counting nodes (alias bombs) and refusing cycles."""
    budget = [MAX_NODES]

    def walk(node: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise SpecError(
                f"The document has more than {MAX_NODES} nodes (check for YAML alias expansion).",
                code="too_large",
            )
        if depth > 200:
            raise SpecError("The document is nested more than 200 levels deep.", code="too_deep")
        if isinstance(node, dict):
            return {str(k): walk(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, depth + 1) for v in node]
        return node

    return walk(raw, 0)


def check_refs(document: dict) -> None:
    """Every `$ref` is local and points somewhere. Raises SpecError with the ref's location."""
    stack: list[tuple[Any, tuple]] = [(document, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                try:
                    lookup(document, ref)
                except SpecError as exc:
                    raise SpecError(exc.message, location=pointer(path), code=exc.code) from None
            for key, value in node.items():
                if isinstance(value, dict | list):
                    stack.append((value, (*path, key)))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, dict | list):
                    stack.append((value, (*path, index)))


def validate_document(document: dict) -> None:
    """Validate against the OpenAPI 3.0 / 3.1 schema (openapi-spec-validator).

    Raises SpecError with the validator's message and the JSON pointer of the first error."""
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    check_refs(document)
    version = str(document.get("openapi", ""))
    validator_class = (
        OpenAPIV31SpecValidator if version.startswith("3.1.") else OpenAPIV30SpecValidator
    )
    try:
        error = next(iter(validator_class(document).iter_errors()), None)
    except SpecError:
        raise
    except Exception as exc:  # the validator raises referencing errors instead of reporting them
        raise SpecError(f"Invalid OpenAPI document: {_short(str(exc))}", code="invalid") from exc
    if error is not None:
        path = list(getattr(error, "absolute_path", None) or getattr(error, "path", None) or [])
        raise SpecError(
            _short(getattr(error, "message", str(error))), location=pointer(path) or "/"
        )


def _short(message: str, limit: int = 500) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


@guarded("read the document")
def load_document(
    data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES, validate: bool = True
) -> dict:
    """Parse and (by default) validate a document; the one entry point for uploads."""
    document = parse_document(data, max_bytes=max_bytes)
    if validate:
        validate_document(document)
    else:
        check_refs(document)
    return document
