"""Our rule ids and levels against oasdiff's (/work/shared/reference/oasdiff-rules.tsv).

Every rule id we know (catalog.openapi.rules.RULES) that oasdiff has must carry oasdiff's default
level, and every id we emit must be oasdiff's, unless listed below with its reason. The reasons
are the judgement calls docs/openapi.md gives ("The engine"); a test checks the docs name each id.
"""

from __future__ import annotations

import csv
import itertools
from datetime import date
from pathlib import Path

import pytest
import yaml

from catalog.openapi import DiffOptions, diff, load_document
from catalog.openapi.rules import CONTEXTUAL_LEVEL_RULES, ERROR, INFO, RULES, WARNING
from tests.catalog.openapi.builders import operation_pair, parameter_pair, request_pair, run
from tests.catalog.openapi.test_corpus import CORPUS, DEFAULT_TODAY, PAIRS
from tests.catalog.openapi.test_rules import CASES, TODAY

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = next(
    p
    for p in (
        Path("/work/shared/reference/oasdiff-rules.tsv"),
        ROOT.parent / "shared" / "reference" / "oasdiff-rules.tsv",
    )
    if p.is_file()
)
DOCS = ROOT / "docs" / "openapi.md"
_LEVELS = {"ERR": ERROR, "WARN": WARNING, "INFO": INFO}

# Ids oasdiff has whose default level we deliberately set differently: id -> reason.
LEVEL_JUDGEMENT_CALLS = {
    "api-operation-id-removed": "warning, not info: it breaks generated clients",
    "request-parameter-default-value-added": (
        "info, not error: documenting the default the server already applied changes nothing"
    ),
}

# Ids oasdiff does not have: id -> reason (our additions, named by the issue or filling a gap).
OUR_ADDITIONS = {
    "request-property-format-changed": "the issue names it: the accepted range narrows",
    "response-property-format-changed": "the issue names it: the returned range widens",
    "api-server-removed": "the issue names it: clients lose a base URL",
    "request-body-additional-properties-restricted": "oasdiff has no additionalProperties rule",
    "request-property-additional-properties-restricted": "oasdiff has no additionalProperties rule",
    "request-property-max-items-decreased": "oasdiff names array bounds for parameters only",
    "request-property-max-items-set": "oasdiff names array bounds for parameters only",
    "response-property-max-items-increased": "oasdiff names array bounds for parameters only",
}


def _reference() -> dict[str, str]:
    with REFERENCE.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {row["rule_id"]: _LEVELS[row["default_level"]] for row in rows}


REF = _reference()


def test_the_reference_is_read_whole():
    assert len(REF) == 509
    assert REF["request-parameter-property-type-changed"] == WARNING
    assert REF["endpoint-deprecated-with-sunset"] == INFO


def test_our_levels_are_oasdiffs_except_the_judgement_calls():
    wrong = {
        rule: (level, REF[rule])
        for rule, level in RULES.items()
        if rule in REF and level != REF[rule] and rule not in LEVEL_JUDGEMENT_CALLS
    }
    assert wrong == {}


def test_every_judgement_call_is_a_real_difference():
    """The allow-list stays true: an entry whose level now agrees must go."""
    for rule in LEVEL_JUDGEMENT_CALLS:
        assert rule in REF, rule
        assert RULES[rule] != REF[rule], rule


def test_ids_oasdiff_lacks_are_our_listed_additions():
    assert {rule for rule in RULES if rule not in REF} == set(OUR_ADDITIONS)


def test_docs_give_every_judgement_call_and_addition():
    text = DOCS.read_text()
    missing = [rule for rule in (*LEVEL_JUDGEMENT_CALLS, *OUR_ADDITIONS) if f"`{rule}`" not in text]
    assert missing == []


def _emitted():
    """Every finding of the rule cases and of the corpus."""
    for _rule, _level, base, rev, options in CASES:
        yield from run(base, rev, today=TODAY, **options)
    for name in PAIRS:
        folder = CORPUS / name
        expected = yaml.safe_load((folder / "expected.yaml").read_text())
        options = dict(expected.get("options") or {})
        today = options.pop("today", None)
        options["today"] = date.fromisoformat(str(today)) if today else DEFAULT_TODAY
        docs = [
            load_document(next(p for p in folder.iterdir() if p.stem == stem).read_bytes())
            for stem in ("base", "revision")
        ]
        yield from diff(*docs, options=DiffOptions(**options))


def test_emitted_ids_are_oasdiffs_or_our_additions_with_the_table_level():
    seen = 0
    unknown, wrong_level = set(), set()
    for finding in _emitted():
        seen += 1
        if finding.id not in REF and finding.id not in OUR_ADDITIONS:
            unknown.add(finding.id)
        if finding.id in CONTEXTUAL_LEVEL_RULES:
            if finding.level not in (ERROR, INFO):
                wrong_level.add((finding.id, finding.level))
        elif finding.level != RULES.get(finding.id):
            wrong_level.add((finding.id, finding.level))
    assert seen > 500
    assert unknown == set()
    assert wrong_level == set()


def _obj_param(prop_type: str) -> dict:
    return {
        "name": "filter",
        "in": "query",
        "style": "deepObject",
        "schema": {"type": "object", "properties": {"owner": {"type": prop_type}}},
    }


def test_a_nested_request_parameter_property_type_change_is_a_warning():
    base, rev = parameter_pair([_obj_param("string")], [_obj_param("boolean")])
    findings = [f for f in run(base, rev) if f.id == "request-parameter-property-type-changed"]
    assert [(f.level, f.property_path) for f in findings] == [(WARNING, "owner")]
    assert not [f for f in run(base, rev) if f.level == ERROR]


def test_a_top_level_request_parameter_type_change_is_still_an_error():
    param = {"name": "limit", "in": "query", "schema": {"type": "integer"}}
    base, rev = parameter_pair([param], [{**param, "schema": {"type": "boolean"}}])
    assert [(f.id, f.level) for f in run(base, rev)] == [("request-parameter-type-changed", ERROR)]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"x-sunset": "2030-01-01"}, "endpoint-deprecated-with-sunset"),
        ({}, "endpoint-deprecated"),
    ],
)
def test_deprecating_an_endpoint_names_the_sunset_in_the_id(extra, expected):
    base, rev = operation_pair({}, {"deprecated": True, **extra})
    findings = run(base, rev, today=TODAY)
    assert [(f.id, f.level) for f in findings] == [(expected, INFO)]


def test_a_sunset_that_is_not_a_date_is_still_reported_with_the_sunset_id():
    base, rev = operation_pair({}, {"deprecated": True, "x-sunset": "soon"})
    ids = sorted(f.id for f in run(base, rev, today=TODAY))
    assert ids == ["api-deprecated-sunset-parse", "endpoint-deprecated-with-sunset"]


@pytest.mark.parametrize(
    ("prop", "expected"),
    [
        ({"type": "string", "default": "cat"}, "request-property-became-required-with-default"),
        ({"type": "string"}, "request-property-became-required"),
    ],
)
def test_a_property_becoming_required_names_its_default(prop, expected):
    def body(required):
        return {"type": "object", "required": required, "properties": {"kind": prop}}

    base, rev = request_pair(body([]), body(["kind"]))
    assert [(f.id, f.level) for f in run(base, rev)] == [(expected, ERROR)]


def test_the_table_decides_the_level_of_a_finding(monkeypatch):
    """A level a check computes never overrides RULES (the contextual ids aside)."""
    param = {"name": "limit", "in": "query", "schema": {"type": "integer"}}
    base, rev = parameter_pair([param], [{**param, "schema": {"type": "boolean"}}])
    monkeypatch.setitem(RULES, "request-parameter-type-changed", WARNING)
    assert [(f.id, f.level) for f in run(base, rev)] == [
        ("request-parameter-type-changed", WARNING)
    ]


def test_contextual_ids_keep_the_level_the_change_gives():
    """A scope added inside the only requirement: old tokens stop sufficing (error, not info)."""
    components = {"securitySchemes": {"oauth": {"type": "oauth2", "flows": {}}}}

    def op(scopes):
        return {"security": [{"oauth": scopes}]}

    base, rev = operation_pair(op(["read"]), op(["read", "write"]))
    base["components"] = rev["components"] = components
    levels = {(f.id, f.level) for f in run(base, rev)}
    assert ("api-security-scope-added", ERROR) in levels
    assert REF["api-security-scope-added"] == INFO


_SWEEP_SCHEMAS = [
    {"type": "string"},
    {"type": "string", "maxLength": 5},
    {"type": "string", "maxLength": 9},
    {"type": "string", "minLength": 2},
    {"type": "string", "minLength": 4},
    {"type": "integer"},
    {"type": "integer", "minimum": 1},
    {"type": "integer", "minimum": 3},
    {"type": "integer", "maximum": 5},
    {"type": "integer", "maximum": 9},
    {"type": "integer", "format": "int32"},
    {"type": "integer", "format": "int64"},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "array", "items": {"type": "string"}},
    {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    {"type": "array", "items": {"type": "string"}, "maxItems": 5},
    {"type": "array", "items": {"type": "string"}, "minItems": 1},
    {"type": "array", "items": {"type": "string"}, "minItems": 2},
    {"type": "string", "enum": ["a", "b"]},
    {"type": "string", "enum": ["a"]},
    {"type": "string", "enum": ["a", "b", "c"]},
    {"type": "string", "pattern": "^a"},
    {"type": "string", "pattern": "^b"},
    {"type": "string", "nullable": True},
    {"type": "string", "default": "a"},
    {"type": "string", "default": "b"},
    {"type": "string", "x-extensible-enum": ["a", "b"]},
    {"type": "string", "x-extensible-enum": ["a"]},
    {"type": "object"},
    {"type": "object", "additionalProperties": False},
]


def _placed(where: str, schema: dict) -> dict:
    op: dict = {"responses": {"200": {"description": "ok"}}}
    wrapped = {"type": "object", "properties": {"p": schema}}
    if where == "request body":
        op["requestBody"] = {"content": {"application/json": {"schema": schema}}}
    elif where == "request property":
        op["requestBody"] = {"content": {"application/json": {"schema": wrapped}}}
    elif where == "response body":
        op["responses"]["200"]["content"] = {"application/json": {"schema": schema}}
    elif where == "response property":
        op["responses"]["200"]["content"] = {"application/json": {"schema": wrapped}}
    elif where == "parameter":
        op["parameters"] = [{"name": "q", "in": "query", "schema": schema}]
    elif where == "parameter property":
        op["parameters"] = [{"name": "q", "in": "query", "style": "deepObject", "schema": wrapped}]
    else:
        op["responses"]["200"]["headers"] = {"X-Rate": {"schema": schema}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"post": op}},
    }


@pytest.mark.parametrize(
    "where",
    [
        "request body",
        "request property",
        "response body",
        "response property",
        "parameter",
        "parameter property",
        "response header",
    ],
)
def test_single_keyword_changes_anywhere_emit_only_known_ids_at_the_table_level(where):
    """Every change between two of the sweep's schemas, at each place a schema sits."""
    seen = 0
    unknown, wrong_level = set(), set()
    for old, new in itertools.permutations(_SWEEP_SCHEMAS, 2):
        for finding in diff(_placed(where, old), _placed(where, new)):
            seen += 1
            if finding.id not in REF and finding.id not in OUR_ADDITIONS:
                unknown.add(finding.id)
            if finding.level != RULES.get(finding.id):
                wrong_level.add((finding.id, finding.level))
    assert seen > 100
    assert unknown == set()
    assert wrong_level == set()
