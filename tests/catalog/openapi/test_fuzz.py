"""Malformed input never crashes the engine: random mutations of valid documents give either
findings or a SpecError, never another exception."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.openapi import DiffOptions, SpecError, diff, extract_operations, load_document
from catalog.openapi.views import operations_view

CORPUS = Path(__file__).parent / "corpus"
SOURCES = [
    CORPUS / "payments-many-changes" / "base.yaml",
    CORPUS / "github-additive" / "base.yaml",
    CORPUS / "catalog-recursive-schemas" / "base.yaml",
    CORPUS / "accounts-convert-3-0-to-3-1" / "base.yaml",
]
TEXTS = [p.read_text() for p in SOURCES]
DOCUMENTS = [load_document(t) for t in TEXTS]

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            {"$ref": "#/components/schemas/Nowhere"},
            {"$ref": "#/components/schemas"},
            {"$ref": "#"},
            {"$ref": "https://example.com/x.yaml"},
            {"$ref": 12},
            {"type": ["string", "null", 3]},
            {"type": "object", "properties": None, "required": "name"},
            {"allOf": [{"$ref": "#/paths"}, None, 3]},
            {"oneOf": "x", "anyOf": [None], "enum": "abc"},
            {"minimum": "1", "maxLength": None, "exclusiveMinimum": True, "items": []},
            {"content": {"application/json": None}},
            {"schema": {"$ref": "#/components/schemas/Nowhere"}},
            [],
            [None, 1, "x"],
            {},
        ]
    ),
)


def _paths(node, prefix=()):
    """Every (container, key) location in a tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


PATHS = [list(_paths(doc)) for doc in DOCUMENTS]


@st.composite
def mutated(draw):
    index = draw(st.integers(0, len(DOCUMENTS) - 1))
    doc = copy.deepcopy(DOCUMENTS[index])
    for _ in range(draw(st.integers(1, 6))):
        location = draw(st.sampled_from(PATHS[index]))
        parent = doc
        try:
            for key in location[:-1]:
                parent = parent[key]
            key = location[-1]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(key, None)
            else:
                parent[key] = copy.deepcopy(draw(JUNK))  # sampled junk is shared: no cycles
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this location
    return index, doc


def _must_not_crash(call):
    try:
        return call()
    except SpecError:
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_random_mutations_give_findings_or_a_spec_error(case):
    index, doc = case
    base = DOCUMENTS[index]
    options = DiffOptions(deprecation_days=30)
    for a, b in ((base, doc), (doc, base), (doc, doc)):
        result = _must_not_crash(lambda a=a, b=b: diff(a, b, options=options))
        assert result is None or isinstance(result, list)
    _must_not_crash(lambda: extract_operations(doc))
    _must_not_crash(lambda: operations_view(doc))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_documents_are_validated_cleanly_on_upload(case):
    index, doc = case
    text = json.dumps(doc, default=str)
    loaded = _must_not_crash(lambda: load_document(text))
    if loaded is not None:  # a valid document: the engine copes with it, no safety net needed
        assert isinstance(diff(DOCUMENTS[index], loaded), list)
        assert isinstance(diff(loaded, DOCUMENTS[index]), list)
        assert isinstance(extract_operations(loaded), list)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, len(TEXTS) - 1),
    st.integers(0, 10_000),
    st.integers(0, 40),
    st.text(alphabet=":{}[]-?&*!|>'\"#%@`\n\t ab1", max_size=8),
)
def test_text_mutations_give_a_document_or_a_spec_error(index, at, cut, insert):
    text = TEXTS[index]
    at = at % len(text)
    broken = text[:at] + insert + text[at + cut :]
    loaded = _must_not_crash(lambda: load_document(broken))
    if loaded is not None:
        _must_not_crash(lambda: diff(DOCUMENTS[index], loaded))


def test_non_mapping_and_non_openapi_inputs_are_spec_errors():
    for text in ("- a\n- b\n", "just text", "openapi: 2.0\n", "{", b"\xff\xfe\x00", "x: &a [*a]"):
        _must_not_crash(lambda text=text: load_document(text))
    assert yaml.safe_load("a: 1") == {"a": 1}


def test_an_infinite_limit_is_a_spec_error_not_a_crash():
    """Found by the fuzzing above: ``maxLength: inf`` made ``int()`` raise OverflowError."""

    def document(max_length):
        parameter = {"name": "q", "in": "query", "schema": {"type": "string",
                                                            "maxLength": max_length}}  # fmt: skip
        return {
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/x": {"get": {"parameters": [parameter],
                                     "responses": {"200": {"description": "ok"}}}}},
        }  # fmt: skip

    assert diff(document(9), document(5))  # a finite change is a finding
    with pytest.raises(SpecError) as caught:
        diff(document(9), document(float("inf")))
    assert caught.value.code == "malformed"
