"""The rules added to close gaps with oasdiff's list: the discriminator family, x-extensible-enum
values removed, and OpenAPI 3.1 webhooks. Each pair gives exactly the expected findings (id,
level, location, property path), and so does the reverse pair."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from tests.catalog.openapi.builders import (
    document,
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
