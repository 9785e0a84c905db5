"""The corpus of realistic base/revision pairs (tests/catalog/openapi/corpus/<pair>/).

Each pair has `base.*` and `revision.*` (YAML or JSON, loaded and validated exactly like an
upload) and `expected.yaml`:

    description: what the pair exercises
    breaking: true|false             # any error-level finding
    errors: ["<rule-id> <METHOD> <path>", ...]     # exactly the error-level findings
    warnings: [...]                  # optional: exactly the warning-level findings
    absent: [<rule-id>, ...]         # optional: ids that must not appear at any level
    options: {today: ..., deprecation_days: ...}   # optional DiffOptions (today defaults below)

A document-level finding (a removed server) is written as just its rule id.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import pytest
import yaml

from catalog.openapi import DiffOptions, diff, load_document

CORPUS = Path(__file__).parent / "corpus"
DEFAULT_TODAY = date(2025, 6, 1)
PAIRS = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.yaml").is_file())


@functools.cache
def _document(folder: Path, stem: str) -> dict:
    (path,) = [p for p in folder.iterdir() if p.stem == stem]
    return load_document(path.read_bytes())


def _triple(text: str) -> tuple[str, str, str]:
    rule, method, path = [*text.split(maxsplit=2), "", ""][:3]
    return rule, method, path


def _run(name: str):
    folder = CORPUS / name
    expected = yaml.safe_load((folder / "expected.yaml").read_text())
    options = dict(expected.get("options") or {})
    today = options.pop("today", None)
    options["today"] = date.fromisoformat(str(today)) if today else DEFAULT_TODAY
    findings = diff(
        _document(folder, "base"), _document(folder, "revision"), options=DiffOptions(**options)
    )
    return expected, findings


def test_the_corpus_is_large_enough():
    assert len(PAIRS) >= 40
    breaking = sum(
        yaml.safe_load((CORPUS / n / "expected.yaml").read_text())["breaking"] for n in PAIRS
    )
    assert 15 <= breaking <= len(PAIRS) - 15  # both verdicts are well represented


@pytest.mark.parametrize("name", PAIRS)
def test_pair(name):
    expected, findings = _run(name)
    got = {level: set() for level in ("error", "warning", "info")}
    for f in findings:
        got[f.level].add((f.id, f.method, f.path))
    report = "\n".join(f"{f.level:7} {f.id} {f.method} {f.path}: {f.text}" for f in findings)
    assert got["error"] == {_triple(t) for t in expected["errors"]}, report
    assert bool(got["error"]) is expected["breaking"], report
    if "warnings" in expected:
        assert got["warning"] == {_triple(t) for t in expected["warnings"]}, report
    for rule in expected.get("absent") or ():
        assert all(f.id != rule for f in findings), report


@pytest.mark.parametrize("name", PAIRS)
def test_pair_is_stable_and_symmetric_documents_are_clean(name):
    """The same pair twice gives the same findings in the same order; each document against
    itself gives none."""
    folder = CORPUS / name
    base, rev = _document(folder, "base"), _document(folder, "revision")
    first = diff(base, rev, options=DiffOptions(today=DEFAULT_TODAY))
    assert first == diff(base, rev, options=DiffOptions(today=DEFAULT_TODAY))
    assert diff(rev, rev, options=DiffOptions(today=DEFAULT_TODAY)) == []
