"""Findings: what the diff engine reports, their order and their renderings."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from catalog.openapi.rules import ERROR, LEVEL_RANK

METHOD_ORDER = {
    m: i
    for i, m in enumerate(("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"))
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One change between two documents.

    `id` is oasdiff's rule id, `level` error|warning|info, `method`/`path` the operation (empty
    for document-level findings, e.g. a removed server), `location` a JSON pointer into the
    revision (into the base for removals) with `$ref`s followed, `property_path` the property path
    inside a schema ("data/items/name"), `text` a human sentence."""

    id: str
    level: str
    text: str
    method: str = ""
    path: str = ""
    operation_id: str = ""
    location: str = ""
    property_path: str = ""
    section: str = ""  # "request", "response" or ""

    @property
    def is_error(self) -> bool:
        return self.level == ERROR

    @property
    def operation(self) -> tuple[str, str] | None:
        return (self.method, self.path) if self.method else None

    def sort_key(self) -> tuple:
        return (
            self.path,
            METHOD_ORDER.get(self.method, 99),
            LEVEL_RANK.get(self.level, 9),
            self.id,
            self.location,
            self.text,
        )

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        return cls(**{k: data.get(k, "") for k in cls.__dataclass_fields__})


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Deterministic order: by path, method, level (errors first), rule id, location. Duplicates
    (the same id at the same place) are dropped."""
    unique = {(f.id, f.method, f.path, f.location, f.text): f for f in findings}
    return sorted(unique.values(), key=Finding.sort_key)


def summary(findings: Iterable[Finding]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        counts[finding.level] = counts.get(finding.level, 0) + 1
    return counts


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.level == ERROR for f in findings)


def render(findings: list[Finding], fmt: str = "text") -> str:
    """Render findings as "text", "markdown" or "json"."""
    if fmt == "json":
        return json.dumps(
            {"summary": summary(findings), "findings": [f.to_dict() for f in findings]}, indent=2
        )
    if fmt == "markdown":
        counts = summary(findings)
        lines = [
            f"**{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info**",
            "",
        ]
        if findings:
            lines += ["| level | rule | operation | location | change |", "|---|---|---|---|---|"]
            for f in findings:
                operation = f"`{f.method} {f.path}`" if f.method else ""
                text = f.text.replace("|", "\\|")
                location = f"`{f.location}`" if f.location else ""
                lines.append(f"| {f.level} | `{f.id}` | {operation} | {location} | {text} |")
        else:
            lines.append("No changes found.")
        return "\n".join(lines) + "\n"
    if fmt != "text":
        raise ValueError(f"unknown format {fmt!r}")
    if not findings:
        return "No changes found.\n"
    lines = []
    for f in findings:
        where = f"{f.method} {f.path}" if f.method else "(document)"
        lines.append(f"{f.level:<7} [{f.id}] at {where}")
        lines.append(f"        {f.text}")
        if f.location:
            lines.append(f"        in {f.location}")
    counts = summary(findings)
    lines.append(
        f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info"
    )
    return "\n".join(lines) + "\n"
