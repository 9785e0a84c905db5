"""OpenAPI spec engine: load and validate documents, extract operations, diff two versions.

Pure Python, no Django import (see ARCHITECTURE.md). Entry points:

    document = load_document(text_or_bytes)            # SpecError on bad input
    operations = extract_operations(document)
    findings = diff(base_document, revision_document, options=DiffOptions(...))
    print(render(findings, "markdown"))
"""

from catalog.openapi.diff import DiffOptions, diff
from catalog.openapi.errors import SpecError
from catalog.openapi.findings import Finding, has_errors, render, sort_findings, summary
from catalog.openapi.loader import (
    DEFAULT_MAX_BYTES,
    check_refs,
    load_document,
    parse_document,
    validate_document,
)
from catalog.openapi.operations import Operation, extract_operations, normalise_path
from catalog.openapi.rules import ERROR, INFO, RULES, WARNING

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ERROR",
    "INFO",
    "RULES",
    "WARNING",
    "DiffOptions",
    "Finding",
    "Operation",
    "SpecError",
    "check_refs",
    "diff",
    "extract_operations",
    "has_errors",
    "load_document",
    "normalise_path",
    "parse_document",
    "render",
    "sort_findings",
    "summary",
    "validate_document",
]
