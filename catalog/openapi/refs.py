"""Local `$ref` resolution (JSON pointers inside one document)."""

from __future__ import annotations

from typing import Any

from catalog.openapi.errors import SpecError


def escape(token: str) -> str:
    """Escape one JSON-pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def pointer(parts: tuple | list) -> str:
    """A JSON pointer from its tokens: ("paths", "/a", "get") -> "/paths/~1a/get"."""
    return "".join("/" + escape(p) for p in parts)


def lookup(document: Any, ref: str) -> Any:
    """The node a local `$ref` ("#/components/schemas/Pet") points to.

    Raises SpecError for an external ref or a pointer to nowhere."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise SpecError(f"Only local $refs are supported, got {ref!r}", code="external_ref")
    node = document
    fragment = ref[1:]
    if fragment == "":
        return node
    if not fragment.startswith("/"):
        raise SpecError(f"$ref {ref!r} is not a JSON pointer", code="bad_ref")
    for raw in fragment[1:].split("/"):
        token = unescape(raw)
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise SpecError(f"$ref {ref!r} points to nowhere", code="dangling_ref")
    return node


class Resolver:
    """Follows `$ref` chains in one document, with a cache and protection against ref loops
    (`A -> B -> A` with no schema in between)."""

    def __init__(self, document: dict) -> None:
        self.document = document
        self._cache: dict[str, Any] = {}

    def target(self, ref: str) -> Any:
        hit = self._cache.get(ref)
        if hit is None:
            hit = self._cache[ref] = lookup(self.document, ref)
        return hit

    def resolve(self, node: Any) -> Any:
        """The node itself, or the node its `$ref` chain ends at ({} for a pure ref loop)."""
        seen = None
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if seen is None:
                seen = set()
            if ref in seen:
                return {}
            seen.add(ref)
            node = self.target(ref)
        return node


def ref_name(node: Any) -> str | None:
    """The last segment of a node's `$ref` ("#/components/schemas/Pet" -> "Pet"), if any."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            return unescape(ref.rsplit("/", 1)[-1])
    return None
