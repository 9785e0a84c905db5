"""Operations of an OpenAPI document (for ApiOperation rows and for the diff)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from catalog.openapi.errors import guarded

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE = re.compile(r"\{[^}/]*\}")


def normalise_path(path: str) -> str:
    """The path with parameter names erased: renaming a path parameter is not a change."""
    return _TEMPLATE.sub("{}", path)


def path_parameter_names(path: str) -> list[str]:
    return [m[1:-1] for m in _TEMPLATE.findall(path)]


def parse_sunset(value: object) -> date | None:
    """`x-sunset` as a date: "2026-01-31", an RFC 3339 date-time, or a date. Raises ValueError."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            pass
        try:  # RFC 8594 HTTP-date: "Sat, 31 Jan 2026 23:59:59 GMT"
            return datetime.strptime(text, "%a, %d %b %Y %H:%M:%S GMT").date()
        except ValueError:
            pass
    raise ValueError(f"cannot read {value!r} as a date")


@dataclass(frozen=True, slots=True)
class Operation:
    method: str  # upper case
    path: str
    operation_id: str = ""
    summary: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    deprecated: bool = False
    sunset: date | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, normalise_path(self.path))


def iter_operations(document: dict):
    """Yield (path, method, path_item, operation) for every operation, in document order."""
    paths = document.get("paths") or {}
    if not isinstance(paths, dict):
        return
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                yield path, method, item, operation


@guarded("read the operations")
def extract_operations(document: dict) -> list[Operation]:
    """The operations of a document, sorted by path then method. An unreadable `x-sunset` is
    kept as None (validation of the sunset belongs to the diff rules)."""
    result = []
    for path, method, _item, op in iter_operations(document):
        sunset = None
        if op.get("x-sunset") is not None:
            try:
                sunset = parse_sunset(op["x-sunset"])
            except ValueError:
                sunset = None
        tags = op.get("tags") or ()
        result.append(
            Operation(
                method=method.upper(),
                path=path,
                operation_id=str(op.get("operationId") or ""),
                summary=str(op.get("summary") or ""),
                tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
                deprecated=bool(op.get("deprecated")),
                sunset=sunset,
            )
        )
    order = {m.upper(): i for i, m in enumerate(HTTP_METHODS)}
    result.sort(key=lambda o: (o.path, order[o.method]))
    return result
