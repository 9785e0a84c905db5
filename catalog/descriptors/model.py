"""Plain data produced by the descriptor reader: entities and the problems found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .refs import KINDS, EntityRef, make_ref


@dataclass(slots=True)
class Problem:
    """Something wrong with one document: where it is and what is wrong.

    ``document`` is the 1-based index of the YAML document inside ``file`` (in a JSON
    dump of Backstage's catalog API: of the entity in the array); ``line`` is 1-based.
    ``level`` is ``error`` (the entity is not imported) or ``warning``. ``origin`` is where
    Backstage had read an entity of a dump (its ``backstage.io/managed-by-location``).
    """

    file: str
    document: int | None
    line: int | None
    message: str
    code: str = "invalid"
    ref: str = ""
    level: str = "error"
    origin: str = ""

    @property
    def location(self) -> str:
        parts = [self.file]
        if self.document is not None:
            parts.append(f"document {self.document}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        text = ", ".join(parts)
        return f"{text} (from {self.origin})" if self.origin else text

    def __str__(self) -> str:
        subject = f" [{self.ref}]" if self.ref else ""
        return f"{self.location}{subject}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "document": self.document,
            "line": self.line,
            "message": self.message,
            "code": self.code,
            "ref": self.ref,
            "level": self.level,
        } | ({"origin": self.origin} if self.origin else {})


@dataclass(slots=True)
class Entity:
    """One valid-looking Backstage entity with its origin.

    ``data`` is the document after ``$text``/``$json``/``$yaml`` substitution; ``refs`` is
    filled by :func:`catalog.descriptors.validate.resolve_catalog` with the parsed
    references of each relation field (``owner``, ``consumesApis``, …).
    """

    kind: str  # canonical spelling: "Component", "API", …
    api_version: str
    namespace: str
    name: str
    data: dict[str, Any]
    file: str
    document: int
    line: int
    content_hash: str
    lines: dict[str, int] = field(default_factory=dict)
    refs: dict[str, list[EntityRef]] = field(default_factory=dict)
    #: references left out because their target failed (see ``resolve_catalog``)
    unresolved: list[str] = field(default_factory=list)
    #: read from a JSON dump: where Backstage had read it (``managed-by-location``), else ""
    origin: str = ""

    @property
    def ref(self) -> EntityRef:
        return make_ref(self.kind, self.namespace, self.name)

    @property
    def key(self) -> str:
        return str(self.ref)

    @property
    def metadata(self) -> dict[str, Any]:
        return self.data.get("metadata") or {}

    @property
    def spec(self) -> dict[str, Any]:
        return self.data.get("spec") or {}

    def line_of(self, path: str) -> int:
        """Best line for a dotted field path (``spec.owner``, ``spec.consumesApis[2]``)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            if path.endswith("]"):
                path = path[: path.rindex("[")]
            elif "." in path:
                path = path[: path.rindex(".")]
            else:
                break
        return self.line

    def problem(self, message: str, *, field: str = "", code: str = "invalid") -> Problem:
        return Problem(
            self.file,
            self.document,
            self.line_of(field) if field else self.line,
            message,
            code=code,
            ref=self.key,
            origin=self.origin,
        )


def canonical_kind(kind: object) -> str | None:
    return KINDS.get(kind.lower()) if isinstance(kind, str) else None


@dataclass(slots=True)
class Catalog:
    """Everything read from a set of paths."""

    entities: list[Entity] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    def by_kind(self, kind: str) -> list[Entity]:
        return [e for e in self.entities if e.kind == kind]
