"""The rules added to close gaps with oasdiff's list: the discriminator family, x-extensible-enum
values removed, and OpenAPI 3.1 webhooks. Each pair gives exactly the expected findings (id,
level, location, property path), and so does the reverse pair."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from catalog.openapi.rules import RULES
from tests.catalog.openapi.builders import (
    document,
    operation_pair,
    parameter_pair,
    request_pair,
    response_pair,
    run,
)

TODAY = date(2025, 6, 1)

DOG = "#/components/schemas/Dog"
CAT = "#/components/schemas/Cat"
PETS = {
    "Dog": {
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"type": "string"}, "barks": {"type": "boolean"}},
    },
    "Cat": {
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"type": "string"}, "purrs": {"type": "boolean"}},
    },
}


def pet(discriminator: dict | None) -> dict:
    """A polymorphic pet: one of Dog or Cat, with `discriminator` when given."""
    schema: dict = {"oneOf": [{"$ref": DOG}, {"$ref": CAT}]}
    if discriminator is not None:
        schema["discriminator"] = discriminator
    return schema


def wrapped(schema: dict) -> dict:
    return {"type": "object", "properties": {"pet": schema}}


def with_pets(pair: tuple[dict, dict]) -> tuple[dict, dict]:
    for doc in pair:
        doc["components"] = {"schemas": copy.deepcopy(PETS)}
    return pair


REQUEST_SCHEMA = "/paths/~1pets/post/requestBody/content/application~1json/schema"
RESPONSE_SCHEMA = "/paths/~1pets/get/responses/200/content/application~1json/schema"

# Where the polymorphic schema sits: (rule prefix, pair builder, schema location, property path).
PLACES = [
    ("request-body", lambda b, r: request_pair(b, r), REQUEST_SCHEMA, ""),
    (
        "request-property",
        lambda b, r: request_pair(wrapped(b), wrapped(r)),
        REQUEST_SCHEMA + "/properties/pet",
        "pet",
    ),
    ("response-body", lambda b, r: response_pair(b, r), RESPONSE_SCHEMA, ""),
    (
        "response-property",
        lambda b, r: response_pair(wrapped(b), wrapped(r)),
        RESPONSE_SCHEMA + "/properties/pet",
        "pet",
    ),
]

KIND = {"propertyName": "kind"}
# (name, base discriminator, revision discriminator, forward findings, reverse findings), each
# finding as (rule suffix, location inside the schema).
CHANGES = [
    (
        "added",
        None,
        KIND,
        [("discriminator-added", "/discriminator")],
        [("discriminator-removed", "/discriminator")],
    ),
    (
        "property-name",
        KIND,
        {"propertyName": "type"},
        [("discriminator-property-name-changed", "/discriminator/propertyName")],
        [("discriminator-property-name-changed", "/discriminator/propertyName")],
    ),
    (
        "mapping-added",
        KIND,
        {**KIND, "mapping": {"dog": DOG}},
        [("discriminator-mapping-added", "/discriminator/mapping/dog")],
        [("discriminator-mapping-deleted", "/discriminator/mapping/dog")],
    ),
    (
        "mapping-changed",
        {**KIND, "mapping": {"dog": DOG, "cat": CAT}},
        {**KIND, "mapping": {"dog": DOG, "cat": DOG}},
        [("discriminator-mapping-changed", "/discriminator/mapping/cat")],
        [("discriminator-mapping-changed", "/discriminator/mapping/cat")],
    ),
    (
        "several-at-once",
        {**KIND, "mapping": {"dog": DOG, "kitten": CAT}},
        {"propertyName": "type", "mapping": {"dog": CAT, "cat": CAT}},
        [
            ("discriminator-mapping-added", "/discriminator/mapping/cat"),
            ("discriminator-mapping-changed", "/discriminator/mapping/dog"),
            ("discriminator-mapping-deleted", "/discriminator/mapping/kitten"),
            ("discriminator-property-name-changed", "/discriminator/propertyName"),
        ],
        [
            ("discriminator-mapping-added", "/discriminator/mapping/kitten"),
            ("discriminator-mapping-changed", "/discriminator/mapping/dog"),
            ("discriminator-mapping-deleted", "/discriminator/mapping/cat"),
            ("discriminator-property-name-changed", "/discriminator/propertyName"),
        ],
    ),
]


def found(findings) -> list[tuple[str, str, str, str]]:
    return sorted((f.id, f.level, f.location, f.property_path) for f in findings)


@pytest.mark.parametrize(("prefix", "build", "at", "prop"), PLACES, ids=[p[0] for p in PLACES])
@pytest.mark.parametrize(
    ("change", "b_disc", "r_disc", "forward", "reverse"), CHANGES, ids=[c[0] for c in CHANGES]
)
def test_discriminator_changes_in_both_directions(
    prefix, build, at, prop, change, b_disc, r_disc, forward, reverse
):
    base, rev = with_pets(build(pet(b_disc), pet(r_disc)))
    assert found(run(base, rev, today=TODAY)) == sorted(
        (f"{prefix}-{kind}", "info", at + where, prop) for kind, where in forward
    )
    assert found(run(rev, base, today=TODAY)) == sorted(
        (f"{prefix}-{kind}", "info", at + where, prop) for kind, where in reverse
    )


def test_discriminator_sentences_name_the_property_and_the_targets():
    base, rev = with_pets(
        request_pair(
            wrapped(pet({**KIND, "mapping": {"dog": DOG}})),
            wrapped(pet({**KIND, "mapping": {"dog": CAT}})),
        )
    )
    (finding,) = run(base, rev, today=TODAY)
    assert finding.text == (
        "Request property 'pet' in the request body (application/json): discriminator mapping"
        " 'dog' changed from '#/components/schemas/Dog' to '#/components/schemas/Cat'."
    )
    assert finding.section == "request"
    (removed,) = run(*with_pets(response_pair(pet(KIND), pet(None))), today=TODAY)
    assert removed.text == "200 response (application/json): discriminator on 'kind' removed."


def test_a_mapping_to_a_schema_name_is_the_same_as_its_reference():
    base, rev = with_pets(
        response_pair(
            pet({**KIND, "mapping": {"dog": DOG}}), pet({**KIND, "mapping": {"dog": "Dog"}})
        )
    )
    assert run(base, rev, today=TODAY) == []
    assert run(rev, base, today=TODAY) == []


def test_reordering_or_annotating_a_discriminator_is_not_a_change():
    old = {"propertyName": "kind", "mapping": {"dog": DOG, "cat": CAT}}
    new = {"mapping": {"cat": CAT, "dog": DOG}, "propertyName": "kind", "x-note": "sorted"}
    assert run(*with_pets(response_pair(pet(old), pet(new))), today=TODAY) == []


def test_a_discriminator_change_in_a_shared_component_is_reported_at_each_operation():
    def make(discriminator):
        doc = document(
            {
                "/pets": {
                    "get": {
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {
                                    "application/json": {
                                        "schema": {"$ref": "#/components/schemas/Pet"}
                                    }
                                },
                            }
                        }
                    },
                    "post": {
                        "requestBody": {
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                            }
                        },
                        "responses": {"201": {"description": "created"}},
                    },
                }
            },
            schemas={**PETS, "Pet": pet(discriminator)},
        )
        return doc

    findings = run(make({**KIND, "mapping": {"dog": DOG}}), make(KIND), today=TODAY)
    assert sorted((f.method, f.id) for f in findings) == [
        ("GET", "response-body-discriminator-mapping-deleted"),
        ("POST", "request-body-discriminator-mapping-deleted"),
    ]


def test_a_nullable_wrapper_keeps_the_discriminator():
    """`anyOf: [Pet, null]` is Pet or null: it became nullable, its discriminator did not go."""

    def make(schema):
        doc = response_pair(wrapped(schema), wrapped(schema))[0]
        doc["openapi"] = "3.1.0"
        doc["components"] = {"schemas": {**copy.deepcopy(PETS), "Pet": pet(KIND)}}
        return doc

    ref = {"$ref": "#/components/schemas/Pet"}
    base, rev = make(ref), make({"anyOf": [ref, {"type": "null"}]})
    assert [f.id for f in run(base, rev, today=TODAY)] == ["response-property-became-nullable"]


@pytest.mark.parametrize(
    "discriminator",
    [{"propertyName": 3}, {"propertyName": "kind", "mapping": ["dog"]}, {"mapping": {"dog": 1}}],
)
def test_a_malformed_discriminator_does_not_crash(discriminator):
    base, rev = with_pets(response_pair(pet(discriminator), pet(KIND)))
    findings = run(base, rev, today=TODAY)
    assert all(f.id.startswith("response-body-discriminator-") for f in findings)
    assert run(rev, rev, today=TODAY) == []


# ---------------------------------------------------------------- x-extensible-enum


def ext(*values: str) -> dict:
    return {"type": "string", "x-extensible-enum": list(values)}


def status_query(schema: dict) -> list[dict]:
    return [{"name": "status", "in": "query", "schema": schema}]


PARAM_AT = "/paths/~1pets/get/parameters/query/status/schema"

EXTENSIBLE = [
    (
        "parameter",
        parameter_pair(status_query(ext("open", "closed")), status_query(ext("open"))),
        [("request-parameter-x-extensible-enum-value-removed", "error", PARAM_AT, "")],
    ),
    (
        "request-property",
        request_pair(
            {"type": "object", "properties": {"status": ext("open", "closed")}},
            {"type": "object", "properties": {"status": ext("open")}},
        ),
        [
            (
                "request-property-x-extensible-enum-value-removed",
                "error",
                REQUEST_SCHEMA + "/properties/status",
                "status",
            )
        ],
    ),
    (
        "request-body",  # oasdiff has no body id: the property one, at the body's schema
        request_pair(ext("open", "closed"), ext("open")),
        [("request-property-x-extensible-enum-value-removed", "error", REQUEST_SCHEMA, "")],
    ),
    (
        "request-array-items",
        request_pair(
            {"type": "object", "properties": {"tags": {"type": "array", "items": ext("a", "b")}}},
            {"type": "object", "properties": {"tags": {"type": "array", "items": ext("b")}}},
        ),
        [
            (
                "request-property-x-extensible-enum-value-removed",
                "error",
                REQUEST_SCHEMA + "/properties/tags/items",
                "tags/items",
            )
        ],
    ),
    # A response may return values clients have not seen (that is the extension's promise), and
    # returning fewer is fine: no finding either way.
    (
        "response-property",
        response_pair(
            {"type": "object", "properties": {"status": ext("open", "closed")}},
            {"type": "object", "properties": {"status": ext("open")}},
        ),
        [],
    ),
    # Dropping the extension restricts nothing; adding it documents values, it does not
    # restrict them either.
    (
        "extension-dropped",
        parameter_pair(status_query(ext("open", "closed")), status_query({"type": "string"})),
        [],
    ),
]


@pytest.mark.parametrize(("name", "pair", "expected"), EXTENSIBLE, ids=[e[0] for e in EXTENSIBLE])
def test_x_extensible_enum_value_removed_only_in_requests(name, pair, expected):
    base, rev = pair
    assert found(run(base, rev, today=TODAY)) == sorted(expected)
    assert found(run(rev, base, today=TODAY)) == []  # values added: the extension's promise


def test_x_extensible_enum_sentence_names_the_value():
    base, rev = parameter_pair(
        status_query(ext("open", "closed", "stale")), status_query(ext("open"))
    )
    texts = [f.text for f in run(base, rev, today=TODAY)]
    assert texts == [
        "Query parameter 'status': x-extensible-enum value \"closed\" removed.",
        "Query parameter 'status': x-extensible-enum value \"stale\" removed.",
    ]


def test_x_extensible_enum_from_an_allof_part_is_kept():
    base, rev = request_pair(
        {"allOf": [ext("open", "closed"), {"description": "state"}]},
        {"allOf": [ext("open"), {"description": "state"}]},
    )
    assert [f.id for f in run(base, rev, today=TODAY)] == [
        "request-property-x-extensible-enum-value-removed"
    ]


# ---------------------------------------------------------------- webhooks (OpenAPI 3.1)


def hooks(*names: str) -> dict:
    operation = {
        "post": {
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {"200": {"description": "received"}},
        }
    }
    doc = document({}, webhooks={name: copy.deepcopy(operation) for name in names})
    doc["openapi"] = "3.1.0"
    return doc


def test_webhook_removed_is_an_error_and_added_is_info():
    base, rev = hooks("pet.created", "pet.sold"), hooks("pet.created")
    assert [(f.id, f.level, f.location, f.method, f.path, f.text) for f in run(base, rev)] == [
        (
            "webhook-removed",
            "error",
            "/webhooks/pet.sold",
            "",
            "",
            "Removed the webhook 'pet.sold'; subscribers stop receiving it.",
        )
    ]
    assert [(f.id, f.level, f.location, f.text) for f in run(rev, base)] == [
        ("webhook-added", "info", "/webhooks/pet.sold", "Added the webhook 'pet.sold'.")
    ]


def test_a_renamed_webhook_is_one_removed_and_one_added():
    findings = run(hooks("pets/created"), hooks("pet.created"))
    assert found(findings) == [
        ("webhook-added", "info", "/webhooks/pet.created", ""),
        ("webhook-removed", "error", "/webhooks/pets~1created", ""),
    ]


def test_documents_without_webhooks_or_with_malformed_ones_give_nothing():
    plain = document({})
    assert run(plain, plain) == []
    malformed = {**document({}), "webhooks": ["pet.created"]}
    assert run(malformed, plain) == []
    assert run(hooks("pet.created"), hooks("pet.created")) == []


# ---------------------------------------------------------------- a media type's schema


def bodies(with_schema: bool) -> tuple[dict, dict]:
    """POST /pets taking and returning application/json, with or without schemas."""
    media = {"schema": {"type": "object"}} if with_schema else {}
    op = {
        "requestBody": {"content": {"application/json": copy.deepcopy(media)}},
        "responses": {
            "200": {"description": "ok", "content": {"application/json": copy.deepcopy(media)}}
        },
    }
    return document({"/pets": {"post": op}})


def test_a_media_type_schema_added_or_removed_in_both_directions():
    plain, typed = bodies(False), bodies(True)
    request_at = "/paths/~1pets/post/requestBody/content/application~1json/schema"
    response_at = "/paths/~1pets/post/responses/200/content/application~1json/schema"
    assert found(run(plain, typed)) == [
        ("request-body-media-type-schema-added", "error", request_at, ""),
        ("response-body-media-type-schema-added", "info", response_at, ""),
    ]
    assert found(run(typed, plain)) == [
        ("request-body-media-type-schema-removed", "info", request_at, ""),
        ("response-body-media-type-schema-removed", "warning", response_at, ""),
    ]
    texts = {f.id: f.text for f in run(plain, typed)}
    assert texts["request-body-media-type-schema-added"] == (
        "The request media type application/json now has a schema; bodies that do not match it"
        " are refused."
    )
    assert run(plain, plain) == []


# ---------------------------------------------------------------- parameter and property lifecycle


def limit(**extra) -> list[dict]:
    return [{"name": "limit", "in": "query", "schema": {"type": "integer"}, **extra}]


LIMIT_AT = "/paths/~1pets/get/parameters/query/limit"
DEP = {"deprecated": True}

PARAMETER_LIFECYCLE = [
    # (name, base extra, revision extra, options, forward, reverse)
    (
        "deprecated",
        {},
        DEP,
        {},
        [("request-parameter-deprecated", "info")],
        [("request-parameter-reactivated", "info")],
    ),
    (
        "deprecated-with-sunset",
        {},
        {**DEP, "x-sunset": "2026-01-01"},
        {"deprecation_days": 180},
        [("request-parameter-deprecated", "info")],
        [("request-parameter-reactivated", "info")],
    ),
    (
        "sunset-missing",
        {},
        DEP,
        {"deprecation_days": 180},
        [
            ("request-parameter-deprecated", "info"),
            ("request-parameter-deprecated-sunset-missing", "error"),
        ],
        [("request-parameter-reactivated", "info")],
    ),
    (
        "sunset-too-small",
        {},
        {**DEP, "x-sunset": "2025-07-01"},
        {"deprecation_days": 180},
        [
            ("request-parameter-deprecated", "info"),
            ("request-parameter-sunset-date-too-small", "error"),
        ],
        [("request-parameter-reactivated", "info")],
    ),
    (
        "sunset-parse",
        {},
        {**DEP, "x-sunset": "after the summer"},
        {},
        [("request-parameter-deprecated", "info"), ("request-parameter-sunset-parse", "error")],
        [("request-parameter-reactivated", "info")],
    ),
    (
        "sunset-deleted",
        {**DEP, "x-sunset": "2026-01-01"},
        DEP,
        {},
        [("request-parameter-sunset-deleted", "error")],
        [],  # a sunset given to a deprecated parameter: more notice, not less
    ),
    (
        "sunset-moved-too-close",
        {**DEP, "x-sunset": "2026-01-01"},
        {**DEP, "x-sunset": "2025-07-01"},
        {"deprecation_days": 90},
        [("request-parameter-sunset-date-changed-too-small", "error")],
        [],  # moved later
    ),
]


@pytest.mark.parametrize(
    ("name", "b_extra", "r_extra", "options", "forward", "reverse"),
    PARAMETER_LIFECYCLE,
    ids=[c[0] for c in PARAMETER_LIFECYCLE],
)
def test_parameter_lifecycle_in_both_directions(name, b_extra, r_extra, options, forward, reverse):
    base, rev = parameter_pair(limit(**b_extra), limit(**r_extra))
    assert found(run(base, rev, today=TODAY, **options)) == sorted(
        (rule, level, LIMIT_AT, "") for rule, level in forward
    )
    assert found(run(rev, base, today=TODAY, **options)) == sorted(
        (rule, level, LIMIT_AT, "") for rule, level in reverse
    )


def test_parameter_lifecycle_sentences():
    base, rev = parameter_pair(limit(), limit(**DEP, **{"x-sunset": "2025-07-01"}))
    assert [f.text for f in run(base, rev, today=TODAY, deprecation_days=180)] == [
        "Query parameter 'limit': the sunset date 2025-07-01 is 30 days away; at least 180 are"
        " required.",
        "Query parameter 'limit': deprecated with sunset 2025-07-01.",
    ]


def test_sunset_moved_earlier_but_still_far_enough_is_fine():
    base, rev = parameter_pair(
        limit(**DEP, **{"x-sunset": "2026-06-01"}), limit(**DEP, **{"x-sunset": "2026-01-01"})
    )
    assert run(base, rev, today=TODAY, deprecation_days=90) == []


@pytest.mark.parametrize(
    ("sunset", "expected"),
    [
        ("2099-01-01", [("request-parameter-removed-before-sunset", "error")]),
        ("2020-01-01", [("request-parameter-removed-with-deprecation", "info")]),
        ("someday", [("request-parameter-removed-with-deprecation", "info")]),
    ],
)
def test_a_deprecated_parameter_removed_before_its_sunset(sunset, expected):
    base, rev = parameter_pair(limit(**DEP, **{"x-sunset": sunset}), [])
    assert found(run(base, rev, today=TODAY)) == sorted(
        (rule, level, LIMIT_AT, "") for rule, level in expected
    )


def test_endpoint_sunset_deleted_or_moved_too_close():
    def op(sunset):
        return {"deprecated": True, **({"x-sunset": sunset} if sunset else {})}

    at = "/paths/~1pets/get/x-sunset"
    base, rev = operation_pair(op("2026-01-01"), op(None))
    assert found(run(base, rev, today=TODAY)) == [("sunset-deleted", "error", at, "")]
    assert run(rev, base, today=TODAY) == []
    base, rev = operation_pair(op("2026-01-01"), op("2025-06-15"))
    (finding,) = run(base, rev, today=TODAY, deprecation_days=30)
    assert (finding.id, finding.level, finding.location) == (
        "api-sunset-date-changed-too-small",
        "error",
        at,
    )
    assert finding.text == (
        "The deprecated endpoint: the sunset date moved from 2026-01-01 to 2025-06-15, 14 days"
        " away (at least 30 are required)."
    )
    assert run(rev, base, today=TODAY, deprecation_days=30) == []


def prop_pair(section: str, b_extra: dict, r_extra: dict, **flags) -> tuple[dict, dict]:
    def schema(extra):
        return {"type": "object", "properties": {"name": {"type": "string", **flags, **extra}}}

    build = request_pair if section == "request" else response_pair
    return build(schema(b_extra), schema(r_extra))


PROPERTY_LIFECYCLE = [
    ("deprecated", {}, DEP, {}, [("property-deprecated", "info")]),
    (
        "with-sunset",
        {},
        {**DEP, "x-sunset": "2026-01-01"},
        {"deprecation_days": 30},
        [("property-deprecated-with-sunset", "info")],
    ),
    (
        "sunset-missing",
        {},
        DEP,
        {"deprecation_days": 30},
        [("property-deprecated", "info"), ("property-deprecated-sunset-missing", "error")],
    ),
    (
        "sunset-invalid",
        {},
        {**DEP, "x-sunset": "soon"},
        {},
        [
            ("property-deprecated-with-sunset", "info"),
            ("property-deprecated-sunset-invalid", "error"),
        ],
    ),
    (
        "sunset-too-small",
        {},
        {**DEP, "x-sunset": "2025-06-10"},
        {"deprecation_days": 30},
        [
            ("property-deprecated-with-sunset", "info"),
            ("property-sunset-date-too-small", "error"),
        ],
    ),
    ("reactivated", DEP, {}, {}, [("property-reactivated", "info")]),
]


@pytest.mark.parametrize("section", ["request", "response"])
@pytest.mark.parametrize(
    ("name", "b_extra", "r_extra", "options", "expected"),
    PROPERTY_LIFECYCLE,
    ids=[c[0] for c in PROPERTY_LIFECYCLE],
)
def test_property_lifecycle(section, name, b_extra, r_extra, options, expected):
    base, rev = prop_pair(section, b_extra, r_extra)
    schema_at = REQUEST_SCHEMA if section == "request" else RESPONSE_SCHEMA
    at = schema_at + "/properties/name/deprecated"
    assert found(run(base, rev, today=TODAY, **options)) == sorted(
        (f"{section}-{rule}", level, at, "name") for rule, level in expected
    )


def test_property_lifecycle_sentence_and_ignored_sides():
    base, rev = prop_pair("response", {}, {**DEP, "x-sunset": "2026-01-01"})
    (finding,) = run(base, rev, today=TODAY)
    assert finding.text == (
        "Response property 'name' in the 200 response (application/json): deprecated with sunset"
        " 2026-01-01."
    )
    # readOnly properties are not sent, writeOnly ones not returned: their deprecation is moot
    assert (
        run(*prop_pair("request", {}, DEP, readOnly=True), today=TODAY, deprecation_days=30) == []
    )
    assert (
        run(*prop_pair("response", {}, DEP, writeOnly=True), today=TODAY, deprecation_days=30) == []
    )


# ---------------------------------------------------------------- JSON Schema 2020-12 keywords

KEYWORDS = [
    # (keyword, value added, rule stem, location inside the schema)
    ("prefixItems", [{"type": "string"}], "prefix-items", "/prefixItems"),
    ("if", {"required": ["kind"]}, "if", "/if"),
    ("then", {"required": ["name"]}, "then", "/then"),
    ("else", {"required": ["id"]}, "else", "/else"),
    ("contains", {"type": "string"}, "contains", "/contains"),
    ("propertyNames", {"pattern": "^[a-z_]+$"}, "property-names", "/propertyNames"),
    ("unevaluatedItems", False, "unevaluated-items", "/unevaluatedItems"),
    ("unevaluatedProperties", False, "unevaluated-properties", "/unevaluatedProperties"),
    ("contentSchema", {"type": "object"}, "content-schema", "/contentSchema"),
    ("patternProperties", {"^x-": {"type": "string"}}, "pattern-property", ""),
    ("dependentSchemas", {"card": {"required": ["billing"]}}, "dependent-schema", ""),
    ("dependentRequired", {"card": ["billing"]}, "dependent-required", ""),
]


def keyword_at(keyword: str, value, where: str) -> str:
    if where:
        return where
    (entry,) = value
    return f"/{keyword}/{entry.replace('~', '~0').replace('/', '~1')}"


@pytest.mark.parametrize(
    ("keyword", "value", "stem", "where"), KEYWORDS, ids=[k[0] for k in KEYWORDS]
)
@pytest.mark.parametrize("place", PLACES, ids=[p[0] for p in PLACES])
def test_json_schema_keywords_added_and_removed_with_oasdiff_levels(
    keyword, value, stem, where, place
):
    prefix, build, at, prop = place
    plain = {"description": "a pet"}
    base, rev = build(plain, {**plain, keyword: value})
    location = at + keyword_at(keyword, value, where)
    added, removed = f"{prefix}-{stem}-added", f"{prefix}-{stem}-removed"
    assert found(run(base, rev)) == [(added, RULES[added], location, prop)]
    assert found(run(rev, base)) == [(removed, RULES[removed], location, prop)]


def test_a_restricting_keyword_breaks_requests_when_added_and_responses_when_removed():
    with_if = {"if": {"required": ["kind"]}, "then": {"required": ["name"]}}
    assert [f.level for f in run(*request_pair({}, with_if))] == ["error", "error"]
    assert [f.level for f in run(*request_pair(with_if, {}))] == ["info", "info"]
    assert [f.level for f in run(*response_pair(with_if, {}))] == ["error", "error"]
    assert [f.level for f in run(*response_pair({}, with_if))] == ["info", "info"]


def test_dependent_required_entry_changed_is_an_error_both_ways():
    old = {"dependentRequired": {"card": ["billing"]}}
    new = {"dependentRequired": {"card": ["billing", "cvc"]}}
    at = REQUEST_SCHEMA + "/dependentRequired/card"
    assert found(run(*request_pair(old, new))) == [
        ("request-body-dependent-required-changed", "error", at, "")
    ]
    assert [f.id for f in run(*response_pair(new, old))] == [
        "response-body-dependent-required-changed"
    ]
    assert [f.id for f in run(*response_pair(wrapped(old), wrapped(new)))] == [
        "response-property-dependent-required-changed"
    ]
    assert [f.id for f in run(*request_pair(wrapped(new), wrapped(old)))] == [
        "request-property-dependent-required-changed"
    ]
    reordered = {"dependentRequired": {"card": ["cvc", "billing"]}}
    assert run(*request_pair(new, reordered)) == []


@pytest.mark.parametrize(
    ("keyword", "stem"),
    [("contentMediaType", "content-media-type"), ("contentEncoding", "content-encoding")],
)
def test_content_encoding_keywords_changed_break_both_sides(keyword, stem):
    old, new = {"type": "string", keyword: "a"}, {"type": "string", keyword: "b"}
    for build, section in ((request_pair, "request"), (response_pair, "response")):
        base, rev = build(wrapped(old), wrapped(new))
        (finding,) = run(base, rev)
        assert (finding.id, finding.level) == (f"{section}-property-{stem}-changed", "error")
        assert finding.text.endswith(f"{keyword} changed from 'a' to 'b'.")
        assert [f.id for f in run(*build(wrapped({"type": "string"}), wrapped(new)))] == [
            f"{section}-property-{stem}-changed"
        ]
        assert [f.id for f in run(*build(new, old))] == [f"{section}-body-{stem}-changed"]


CONTAINS = {"type": "array", "contains": {"type": "string"}}

CONTAINS_BOUNDS = [
    # (section, base extra, revision extra, forward findings (id, sentence end)); the reverse
    # pair loosens a request or tightens a response: no finding, as for every limit.
    (
        "request",
        {},
        {"minContains": 2},
        [("request-property-min-contains-increased", "minContains increased from 1 to 2.")],
    ),
    (
        "request",
        {"maxContains": 5},
        {"maxContains": 3},
        [("request-property-max-contains-decreased", "maxContains decreased from 5 to 3.")],
    ),
    (
        "request",
        {},
        {"maxContains": 3},
        [("request-property-max-contains-decreased", "maxContains decreased from unbounded to 3.")],
    ),
    (
        "response",
        {"minContains": 2},
        {},
        [("response-property-min-contains-decreased", "minContains decreased from 2 to 1.")],
    ),
    (
        "response",
        {"maxContains": 3},
        {},
        [
            (
                "response-property-max-contains-increased",
                "maxContains increased from 3 to unbounded.",
            )
        ],
    ),
]


@pytest.mark.parametrize(("section", "b_extra", "r_extra", "expected"), CONTAINS_BOUNDS)
def test_contains_bounds(section, b_extra, r_extra, expected):
    build = request_pair if section == "request" else response_pair
    base, rev = build(wrapped({**CONTAINS, **b_extra}), wrapped({**CONTAINS, **r_extra}))
    findings = run(base, rev)
    assert [(f.id, f.level) for f in findings] == [(rule, RULES[rule]) for rule, _ in expected]
    assert [f.text.rsplit(": ", 1)[1] for f in findings] == [text for _, text in expected]
    assert run(rev, base) == []


def test_contains_bounds_need_contains_on_both_sides():
    base, rev = request_pair({"type": "array"}, {**CONTAINS, "minContains": 2, "maxContains": 3})
    assert [f.id for f in run(base, rev)] == ["request-body-contains-added"]


# ---------------------------------------------------------------- readOnly / writeOnly flips


@pytest.mark.parametrize("section", ["request", "response"])
@pytest.mark.parametrize("required", [True, False], ids=["required", "optional"])
@pytest.mark.parametrize(
    ("keyword", "name"), [("readOnly", "read-only"), ("writeOnly", "write-only")]
)
def test_a_property_became_read_or_write_only_and_back(section, required, keyword, name):
    def schema(flagged: bool) -> dict:
        prop = {"type": "string", **({keyword: True} if flagged else {})}
        return {
            "type": "object",
            "properties": {"name": prop},
            **({"required": ["name"]} if required else {}),
        }

    build = request_pair if section == "request" else response_pair
    base, rev = build(schema(False), schema(True))
    at = (
        REQUEST_SCHEMA if section == "request" else RESPONSE_SCHEMA
    ) + f"/properties/name/{keyword}"
    which = "required" if required else "optional"
    became, back = (
        f"{section}-{which}-property-became-{name}",
        f"{section}-{which}-property-became-not-{name}",
    )
    assert found(run(base, rev)) == [(became, RULES[became], at, "name")]
    assert found(run(rev, base)) == [(back, RULES[back], at, "name")]


def test_only_a_required_response_property_no_longer_write_only_is_a_warning():
    def schema(flagged: bool) -> dict:
        prop = {"type": "string", **({"writeOnly": True} if flagged else {})}
        return {"type": "object", "required": ["secret"], "properties": {"secret": prop}}

    (finding,) = run(*response_pair(schema(True), schema(False)))
    assert (finding.id, finding.level) == (
        "response-required-property-became-not-write-only",
        "warning",
    )
    assert finding.text == (
        "Response property 'secret' in the 200 response (application/json): no longer writeOnly."
    )
