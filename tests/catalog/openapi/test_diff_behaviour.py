"""Engine behaviour beyond single rules: refs, allOf, cycles, direction, noise, determinism."""

from __future__ import annotations

import copy
import random

from catalog.openapi import RULES, diff
from catalog.openapi.rules import CONTEXTUAL_LEVEL_RULES, LEVEL_OVERRIDES, OASDIFF_RULES
from tests.catalog.openapi.builders import (
    document,
    errors,
    ids,
    ok,
    request_pair,
    response_pair,
    run,
)
from tests.catalog.openapi.test_rules import CASES, TODAY

STR = {"type": "string"}
PET_REF = {"$ref": "#/components/schemas/Pet"}


def pets_api(pet: dict, *, extra_schemas: dict | None = None) -> dict:
    """Three operations: two use Pet (one in a response, one in a request), one does not."""
    return document(
        {
            "/pets": {
                "get": {
                    "operationId": "listPets",
                    "responses": ok({"type": "array", "items": PET_REF}),
                },
                "post": {
                    "operationId": "createPet",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": PET_REF}},
                    },
                    "responses": ok(PET_REF, status="201"),
                },
            },
            "/owners": {
                "get": {
                    "operationId": "listOwners",
                    "responses": ok({"type": "array", "items": STR}),
                }
            },
        },
        {"Pet": pet, **(extra_schemas or {})},
    )


def test_identical_documents_have_no_findings():
    doc = pets_api({"type": "object", "properties": {"name": STR}})
    assert diff(doc, copy.deepcopy(doc)) == []
    assert diff(doc, doc) == []


def test_change_in_a_referenced_component_is_reported_at_every_operation_using_it():
    base = pets_api(
        {"type": "object", "required": ["name"], "properties": {"name": STR, "tag": STR}}
    )
    rev = pets_api({"type": "object", "properties": {"tag": STR}})
    findings = diff(base, rev)
    removed = [
        (f.method, f.path, f.property_path)
        for f in findings
        if f.id == "response-required-property-removed"
    ]
    assert removed == [("GET", "/pets", "items/name"), ("POST", "/pets", "name")]
    # In the request the same change is harmless (the property becomes optional + removed): a warning.
    assert [(f.method, f.id) for f in findings if f.section == "request"] == [
        ("POST", "request-property-removed")
    ]
    assert not [f for f in findings if f.path == "/owners"]


def test_changes_inside_allof_are_found():
    base = pets_api(
        {
            "allOf": [
                {"$ref": "#/components/schemas/Named"},
                {"type": "object", "properties": {"tag": STR}},
            ]
        },
        extra_schemas={
            "Named": {"type": "object", "required": ["name"], "properties": {"name": STR}}
        },
    )
    rev = pets_api(
        {
            "allOf": [
                {"$ref": "#/components/schemas/Named"},
                {"type": "object", "properties": {"tag": STR}},
            ]
        },
        extra_schemas={
            "Named": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "integer"}},
            }
        },
    )
    findings = diff(base, rev)
    assert sorted((f.method, f.id, f.property_path) for f in findings) == [
        ("GET", "response-property-type-changed", "items/name"),
        ("POST", "request-property-type-changed", "name"),
        ("POST", "response-property-type-changed", "name"),
    ]


def test_allof_restructuring_with_the_same_effective_schema_is_not_a_finding():
    flat = pets_api(
        {"type": "object", "required": ["name"], "properties": {"name": STR, "tag": STR}}
    )
    composed = pets_api(
        {
            "allOf": [
                {"$ref": "#/components/schemas/Named"},
                {"type": "object", "properties": {"tag": STR}},
            ]
        },
        extra_schemas={
            "Named": {"type": "object", "required": ["name"], "properties": {"name": STR}}
        },
    )
    assert diff(flat, composed) == []


def test_deeply_nested_property_change_has_its_path_and_pointer():
    def nested(leaf):
        return {
            "type": "object",
            "properties": {
                "data": {
                    "type": "object",
                    "properties": {
                        "items": {
                            "type": "array",
                            "items": {"type": "object", "properties": {"price": leaf}},
                        }
                    },
                }
            },
        }

    base, rev = response_pair(nested({"type": "integer"}), nested({"type": "string"}))
    (finding,) = diff(base, rev)
    assert finding.id == "response-property-type-changed"
    assert finding.property_path == "data/items/items/price"
    assert finding.location == (
        "/paths/~1pets/get/responses/200/content/application~1json/schema"
        "/properties/data/properties/items/items/properties/price"
    )
    assert "'data/items/items/price'" in finding.text


def test_recursive_schema_terminates_and_reports_each_change_once():
    node = {
        "type": "object",
        "properties": {
            "name": STR,
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        },
    }
    base = document(
        {"/tree": {"get": {"responses": ok({"$ref": "#/components/schemas/Node"})}}}, {"Node": node}
    )
    changed = copy.deepcopy(node)
    changed["properties"]["name"] = {"type": "integer"}
    rev = document(
        {"/tree": {"get": {"responses": ok({"$ref": "#/components/schemas/Node"})}}},
        {"Node": changed},
    )
    assert [(f.id, f.property_path) for f in diff(base, rev)] == [
        ("response-property-type-changed", "name")
    ]


def test_mutually_recursive_schemas_terminate():
    schemas = {
        "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}, "x": STR}},
        "B": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}, "y": STR}},
    }
    base = document({"/a": {"get": {"responses": ok({"$ref": "#/components/schemas/A"})}}}, schemas)
    rev_schemas = copy.deepcopy(schemas)
    del rev_schemas["B"]["properties"]["y"]
    rev = document(
        {"/a": {"get": {"responses": ok({"$ref": "#/components/schemas/A"})}}}, rev_schemas
    )
    assert [(f.id, f.property_path) for f in diff(base, rev)] == [
        ("response-optional-property-removed", "b/y")
    ]


def test_self_referencing_allof_and_ref_loops_terminate():
    schemas = {
        "Loop": {
            "allOf": [
                {"$ref": "#/components/schemas/Loop"},
                {"type": "object", "properties": {"a": STR}},
            ]
        },
        "R1": {"$ref": "#/components/schemas/R2"},
        "R2": {"$ref": "#/components/schemas/R1"},
    }
    doc = document(
        {
            "/l": {
                "get": {
                    "responses": ok(
                        {
                            "type": "object",
                            "properties": {
                                "l": {"$ref": "#/components/schemas/Loop"},
                                "r": {"$ref": "#/components/schemas/R1"},
                            },
                        }
                    )
                }
            }
        },
        schemas,
    )
    rev = copy.deepcopy(doc)
    rev["components"]["schemas"]["Loop"]["allOf"][1]["properties"]["a"] = {"type": "integer"}
    assert [(f.id, f.property_path) for f in diff(doc, rev)] == [
        ("response-property-type-changed", "l/a")
    ]


def test_renaming_a_path_parameter_alone_is_not_breaking():
    def doc(name):
        return document(
            {
                f"/pets/{{{name}}}": {
                    "get": {
                        "parameters": [
                            {"name": name, "in": "path", "required": True, "schema": STR}
                        ],
                        "responses": ok(),
                    }
                }
            }
        )

    assert diff(doc("id"), doc("petId")) == []


def test_description_summary_example_and_ordering_changes_are_not_findings():
    base = pets_api(
        {
            "type": "object",
            "required": ["name", "tag"],
            "properties": {"name": STR, "tag": {"type": "string", "enum": ["a", "b"]}},
        }
    )
    rev = copy.deepcopy(base)
    rev["info"]["description"] = "now documented"
    rev["paths"]["/pets"]["get"]["summary"] = "List the pets"
    rev["paths"]["/pets"]["get"]["description"] = "Longer text"
    pet = rev["components"]["schemas"]["Pet"]
    pet["description"] = "A pet"
    pet["example"] = {"name": "Rex"}
    pet["required"] = ["tag", "name"]
    pet["properties"] = {
        "tag": {"type": "string", "enum": ["b", "a"], "description": "x"},
        "name": STR,
    }
    rev["paths"] = dict(reversed(list(rev["paths"].items())))
    assert diff(base, rev) == []


def test_requests_may_accept_more():
    base, rev = request_pair(
        {
            "type": "object",
            "required": ["a"],
            "properties": {
                "a": {"type": "string", "maxLength": 5, "enum": ["x"]},
                "n": {"type": "integer", "minimum": 5, "maximum": 10},
            },
        },
        {
            "type": "object",
            "properties": {
                "a": {"type": "string", "maxLength": 50, "enum": ["x", "y"]},
                "n": {"type": "number"},
                "extra": STR,
            },
        },
    )
    findings = diff(base, rev)
    assert errors(findings) == []
    assert {f.level for f in findings} == {"info"}


def test_requests_may_not_accept_less():
    base, rev = request_pair(
        {
            "type": "object",
            "properties": {
                "a": {"type": "string", "maxLength": 50, "enum": ["x", "y"]},
                "n": {"type": "number"},
            },
        },
        {
            "type": "object",
            "required": ["a"],
            "properties": {
                "a": {"type": "string", "maxLength": 5, "enum": ["x"]},
                "n": {"type": "integer"},
            },
        },
    )
    assert sorted(errors(diff(base, rev))) == [
        "request-property-became-required",
        "request-property-enum-value-removed",
        "request-property-max-length-decreased",
        "request-property-type-changed",
    ]


def test_responses_may_return_more_fields_but_not_fewer_or_wider():
    base, rev = response_pair(
        {"type": "object", "required": ["a"], "properties": {"a": STR, "n": {"type": "integer"}}},
        {
            "type": "object",
            "required": ["a", "b"],
            "properties": {"a": STR, "b": STR, "n": {"type": "integer"}},
        },
    )
    assert errors(diff(base, rev)) == []
    base, rev = response_pair(
        {"type": "object", "required": ["a"], "properties": {"a": STR, "n": {"type": "integer"}}},
        {
            "type": "object",
            "properties": {"a": {"type": "string", "nullable": True}, "n": {"type": "number"}},
        },
    )
    assert sorted(errors(diff(base, rev))) == [
        "response-property-became-nullable",
        "response-property-became-optional",
        "response-property-type-generalized",
    ]


def test_openapi_31_nullability_forms():
    base, rev = response_pair(
        {"type": "object", "properties": {"a": STR, "b": {"$ref": "#/x"}}},
        {"type": "object", "properties": {"a": {"type": ["string", "null"]}, "b": {"$ref": "#/x"}}},
    )
    for doc in (base, rev):
        doc["openapi"] = "3.1.0"
        doc["x"] = {"type": "integer"}
    assert ids(diff(base, rev)) == ["response-property-became-nullable"]
    base, rev = response_pair(
        {"type": "object", "properties": {"b": {"$ref": "#/x"}}},
        {"type": "object", "properties": {"b": {"anyOf": [{"$ref": "#/x"}, {"type": "null"}]}}},
    )
    for doc in (base, rev):
        doc["x"] = {"type": "integer"}
    assert ids(diff(base, rev)) == ["response-property-became-nullable"]


def test_read_only_and_write_only_properties_respect_direction():
    base, rev = request_pair(
        {"type": "object", "properties": {"a": STR}},
        {
            "type": "object",
            "required": ["id"],
            "properties": {"a": STR, "id": {"type": "string", "readOnly": True}},
        },
    )
    assert errors(diff(base, rev)) == []
    base, rev = response_pair(
        {
            "type": "object",
            "required": ["secret"],
            "properties": {"secret": {"type": "string", "writeOnly": True}},
        },
        {"type": "object", "properties": {}},
    )
    assert errors(diff(base, rev)) == []


def test_one_of_branches_are_matched_by_ref_not_position():
    schemas = {"Cat": {"type": "object"}, "Dog": {"type": "object"}}
    base, rev = response_pair(
        {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}]},
        {"oneOf": [{"$ref": "#/components/schemas/Dog"}, {"$ref": "#/components/schemas/Cat"}]},
    )
    base["components"] = rev["components"] = {"schemas": schemas}
    assert diff(base, rev) == []


def test_a_mixed_document_reports_everything_in_a_deterministic_order():
    base = pets_api(
        {
            "type": "object",
            "required": ["name"],
            "properties": {"name": STR, "status": {"type": "string", "enum": ["a"]}},
        }
    )
    base["paths"]["/stores"] = {"delete": {"responses": ok()}}
    rev = pets_api(
        {"type": "object", "properties": {"status": {"type": "string", "enum": ["a", "b"]}}}
    )
    rev["paths"]["/pets"]["get"]["parameters"] = [
        {"name": "limit", "in": "query", "required": True, "schema": {"type": "integer"}}
    ]
    rev["paths"]["/pets"]["post"]["deprecated"] = True
    rev["paths"]["/toys"] = {"get": {"responses": ok()}}
    findings = run(base, rev, today=TODAY)
    assert [(f.path, f.method, f.level, f.id) for f in findings] == [
        ("/pets", "GET", "error", "new-required-request-parameter"),
        ("/pets", "GET", "error", "response-required-property-removed"),
        ("/pets", "GET", "warning", "response-property-enum-value-added"),
        ("/pets", "POST", "error", "response-required-property-removed"),
        ("/pets", "POST", "warning", "request-property-removed"),
        ("/pets", "POST", "warning", "response-property-enum-value-added"),
        ("/pets", "POST", "info", "endpoint-deprecated"),
        ("/pets", "POST", "info", "request-property-enum-value-added"),
        ("/stores", "DELETE", "error", "api-path-removed-without-deprecation"),
        ("/toys", "GET", "info", "endpoint-added"),
    ]
    shuffled_base, shuffled_rev = copy.deepcopy(base), copy.deepcopy(rev)
    rng = random.Random(7)
    for doc in (shuffled_base, shuffled_rev):
        items = list(doc["paths"].items())
        rng.shuffle(items)
        doc["paths"] = dict(items)
    assert run(shuffled_base, shuffled_rev, today=TODAY) == findings


def test_levels_follow_oasdiff_defaults_except_documented_overrides():
    for _rule, _level, base, rev, options in CASES:
        for finding in run(base, rev, today=TODAY, **options):
            assert finding.id in RULES, finding.id
            if finding.id in CONTEXTUAL_LEVEL_RULES or finding.id in LEVEL_OVERRIDES:
                continue
            assert finding.level == RULES[finding.id], finding
    assert (
        LEVEL_OVERRIDES["api-operation-id-removed"]
        == "warning"
        != OASDIFF_RULES["api-operation-id-removed"]
    )


def test_findings_serialise_round_trip():
    base, rev = response_pair(
        {"type": "object", "required": ["a"], "properties": {"a": STR}}, {"type": "object"}
    )
    (finding,) = diff(base, rev)
    assert type(finding).from_dict(finding.to_dict()) == finding


def test_findings_do_not_depend_on_document_order_even_with_shared_cycles():
    from catalog.openapi import synthetic

    base = synthetic.generate(60, components=8)
    rev = synthetic.mutate(base, changes=12)
    findings = diff(base, rev)
    assert any(f.id == "response-property-type-changed" for f in findings)
    reordered_base, reordered_rev = copy.deepcopy(base), copy.deepcopy(rev)
    for doc in (reordered_base, reordered_rev):
        doc["paths"] = dict(reversed(list(doc["paths"].items())))
        doc["components"]["schemas"] = dict(reversed(list(doc["components"]["schemas"].items())))
    assert diff(reordered_base, reordered_rev) == findings


def test_caches_do_not_change_the_findings():
    """The memo, the cycle-aware reuse and the clean-component shortcut are pure optimisations."""
    import importlib

    from catalog.openapi import DiffOptions, synthetic

    engine = importlib.import_module("catalog.openapi.diff")

    class NoCache(dict):
        def __setitem__(self, key, value):
            pass

    base = synthetic.generate(48, components=6)
    rev = synthetic.mutate(base, changes=10)
    uncached = engine._Differ(base, rev, DiffOptions())
    uncached._memo, uncached._cyclic, uncached._clean = NoCache(), NoCache(), frozenset()
    assert uncached.run() == diff(base, rev)
