"""One minimal base/revision pair per rule: the rule fires, once, with its level."""

from __future__ import annotations

from datetime import date

import pytest

from tests.catalog.openapi.builders import (
    document,
    ok,
    only,
    operation_pair,
    parameter_pair,
    request_pair,
    response_pair,
    run,
)

TODAY = date(2025, 6, 1)


def obj(properties: dict, required: list | None = None, **extra) -> dict:
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = required
    return schema


STR = {"type": "string"}
INT = {"type": "integer"}


def q(name: str, required: bool = False, **schema) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema or {"type": "string"},
    }


def two_paths(keep_second: bool, deprecated: bool = False, sunset: str | None = None) -> dict:
    pets = {"operationId": "listPets", "responses": ok()}
    if deprecated:
        pets["deprecated"] = True
    if sunset:
        pets["x-sunset"] = sunset
    paths = {"/owners": {"get": {"responses": ok()}}}
    if keep_second:
        paths["/pets"] = {"get": pets}
    return document(paths)


def two_methods(keep_post: bool, deprecated: bool = False, sunset: str | None = None) -> dict:
    post = {"operationId": "createPet", "responses": ok()}
    if deprecated:
        post["deprecated"] = True
    if sunset:
        post["x-sunset"] = sunset
    item = {"get": {"responses": ok()}}
    if keep_post:
        item["post"] = post
    return document({"/pets": item})


def secured(security, **components) -> dict:
    op = {"responses": ok()}
    if security is not None:
        op["security"] = security
    doc = document({"/pets": {"get": op}})
    doc["components"] = {
        "securitySchemes": {
            "oauth": {
                "type": "oauth2",
                "flows": {"clientCredentials": {"tokenUrl": "/t", "scopes": {}}},
            },
            "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
        }
    }
    return doc


CASES = [
    # ---- endpoints and lifecycle
    ("api-path-removed-without-deprecation", "error", two_paths(True), two_paths(False), {}),
    ("api-path-removed-with-deprecation", "info", two_paths(True, True), two_paths(False), {}),
    (
        "api-path-removed-before-sunset",
        "error",
        two_paths(True, True, "2099-01-01"),
        two_paths(False),
        {},
    ),
    ("api-removed-without-deprecation", "error", two_methods(True), two_methods(False), {}),
    (
        "api-removed-with-deprecation",
        "info",
        two_methods(True, True, "2020-01-01"),
        two_methods(False),
        {},
    ),
    (
        "api-removed-before-sunset",
        "error",
        two_methods(True, True, "2099-01-01"),
        two_methods(False),
        {},
    ),
    ("endpoint-added", "info", two_methods(False), two_methods(True), {}),
    ("endpoint-deprecated", "info", *operation_pair({}, {"deprecated": True}), {}),
    ("endpoint-reactivated", "info", *operation_pair({"deprecated": True}, {}), {}),
    (
        "api-deprecated-sunset-missing",
        "error",
        *operation_pair({}, {"deprecated": True}),
        {"deprecation_days": 180},
    ),
    (
        "api-sunset-date-too-small",
        "error",
        *operation_pair({}, {"deprecated": True, "x-sunset": "2025-07-01"}),
        {"deprecation_days": 180},
    ),
    (
        "api-deprecated-sunset-parse",
        "error",
        *operation_pair({}, {"deprecated": True, "x-sunset": "next spring"}),
        {},
    ),
    (
        "api-operation-id-removed",
        "warning",
        *operation_pair({"operationId": "a"}, {"operationId": "b"}),
        {},
    ),
    ("api-operation-id-removed", "warning", *operation_pair({"operationId": "a"}, {}), {}),
    ("api-operation-id-added", "info", *operation_pair({}, {"operationId": "a"}), {}),
    (
        "api-server-removed",
        "warning",
        document(servers=[{"url": "https://a.example"}, {"url": "https://b.example"}]),
        document(servers=[{"url": "https://b.example"}]),
        {},
    ),
    # ---- security
    ("api-security-added", "error", secured(None), secured([{"oauth": []}]), {}),
    (
        "api-security-added",
        "error",
        secured([{"key": []}]),
        secured([{"key": [], "oauth": []}]),
        {},
    ),
    (
        "api-security-added",
        "info",
        secured([{"key": []}]),
        secured([{"key": []}, {"oauth": []}]),
        {},
    ),
    (
        "api-security-scope-added",
        "error",
        secured([{"oauth": ["read"]}]),
        secured([{"oauth": ["read", "write"]}]),
        {},
    ),
    (
        "api-security-scope-removed",
        "info",
        secured([{"oauth": ["read", "write"]}]),
        secured([{"oauth": ["read"]}]),
        {},
    ),
    (
        "api-security-removed",
        "error",
        secured([{"key": []}, {"oauth": []}]),
        secured([{"oauth": []}]),
        {},
    ),
    ("api-security-removed", "info", secured([{"key": []}]), secured([]), {}),
    # ---- parameters
    ("new-required-request-parameter", "error", *parameter_pair([], [q("limit", True)]), {}),
    ("new-optional-request-parameter", "info", *parameter_pair([], [q("limit")]), {}),
    (
        "new-request-path-parameter",
        "error",
        *parameter_pair(
            [], [{"name": "id", "in": "path", "required": True, "schema": STR}], "/pets/{id}"
        ),
        {},
    ),
    (
        "request-parameter-became-required",
        "error",
        *parameter_pair([q("limit")], [q("limit", True)]),
        {},
    ),
    (
        "request-parameter-became-optional",
        "info",
        *parameter_pair([q("limit", True)], [q("limit")]),
        {},
    ),
    ("request-parameter-removed", "warning", *parameter_pair([q("limit")], []), {}),
    (
        "request-parameter-removed-with-deprecation",
        "info",
        *parameter_pair([{**q("limit"), "deprecated": True}], []),
        {},
    ),
    (
        "request-parameter-type-changed",
        "error",
        *parameter_pair([q("limit", type="string")], [q("limit", type="integer")]),
        {},
    ),
    (
        "request-parameter-type-generalized",
        "info",
        *parameter_pair([q("n", type="integer")], [q("n", type="number")]),
        {},
    ),
    (
        "request-parameter-enum-value-removed",
        "error",
        *parameter_pair(
            [q("s", type="string", enum=["a", "b"])], [q("s", type="string", enum=["a"])]
        ),
        {},
    ),
    (
        "request-parameter-enum-value-added",
        "info",
        *parameter_pair(
            [q("s", type="string", enum=["a"])], [q("s", type="string", enum=["a", "b"])]
        ),
        {},
    ),
    (
        "request-parameter-became-enum",
        "error",
        *parameter_pair([q("s")], [q("s", type="string", enum=["a"])]),
        {},
    ),
    (
        "request-parameter-max-length-decreased",
        "error",
        *parameter_pair(
            [q("s", type="string", maxLength=10)], [q("s", type="string", maxLength=5)]
        ),
        {},
    ),
    (
        "request-parameter-max-length-set",
        "warning",
        *parameter_pair([q("s")], [q("s", type="string", maxLength=5)]),
        {},
    ),
    (
        "request-parameter-min-length-increased",
        "error",
        *parameter_pair([q("s")], [q("s", type="string", minLength=2)]),
        {},
    ),
    (
        "request-parameter-min-increased",
        "error",
        *parameter_pair([q("n", type="integer", minimum=1)], [q("n", type="integer", minimum=5)]),
        {},
    ),
    (
        "request-parameter-max-decreased",
        "error",
        *parameter_pair(
            [q("n", type="integer", maximum=100)], [q("n", type="integer", maximum=50)]
        ),
        {},
    ),
    (
        "request-parameter-pattern-added",
        "error",
        *parameter_pair([q("s")], [q("s", type="string", pattern="^[a-z]+$")]),
        {},
    ),
    (
        "request-parameter-max-items-decreased",
        "error",
        *parameter_pair(
            [q("ids", type="array", items=STR, maxItems=10)],
            [q("ids", type="array", items=STR, maxItems=3)],
        ),
        {},
    ),
    (
        "request-parameter-became-not-nullable",
        "error",
        *parameter_pair([q("s", type="string", nullable=True)], [q("s")]),
        {},
    ),
    # ---- request body
    (
        "request-body-became-required",
        "error",
        *request_pair(STR, STR, required=False)[:1],
        request_pair(STR, STR)[1],
        {},
    ),
    (
        "request-body-became-optional",
        "info",
        request_pair(STR, STR)[0],
        request_pair(STR, STR, required=False)[1],
        {},
    ),
    (
        "request-body-added-required",
        "error",
        *operation_pair(
            {},
            {"requestBody": {"required": True, "content": {"application/json": {"schema": STR}}}},
            method="post",
        ),
        {},
    ),
    (
        "request-body-added-optional",
        "info",
        *operation_pair(
            {}, {"requestBody": {"content": {"application/json": {"schema": STR}}}}, method="post"
        ),
        {},
    ),
    (
        "request-body-removed",
        "error",
        *operation_pair(
            {"requestBody": {"content": {"application/json": {"schema": STR}}}}, {}, method="post"
        ),
        {},
    ),
    (
        "request-body-media-type-removed",
        "error",
        *operation_pair(
            {
                "requestBody": {
                    "content": {
                        "application/json": {"schema": STR},
                        "application/xml": {"schema": STR},
                    }
                }
            },
            {"requestBody": {"content": {"application/json": {"schema": STR}}}},
            method="post",
        ),
        {},
    ),
    (
        "request-body-media-type-added",
        "info",
        *operation_pair(
            {"requestBody": {"content": {"application/json": {"schema": STR}}}},
            {
                "requestBody": {
                    "content": {"application/json": {"schema": STR}, "text/plain": {"schema": STR}}
                }
            },
            method="post",
        ),
        {},
    ),
    (
        "new-required-request-property",
        "error",
        *request_pair(obj({"a": STR}), obj({"a": STR, "b": STR}, ["b"])),
        {},
    ),
    (
        "new-optional-request-property",
        "info",
        *request_pair(obj({"a": STR}), obj({"a": STR, "b": STR})),
        {},
    ),
    (
        "request-property-became-required",
        "error",
        *request_pair(obj({"a": STR}), obj({"a": STR}, ["a"])),
        {},
    ),
    (
        "request-property-became-optional",
        "info",
        *request_pair(obj({"a": STR}, ["a"]), obj({"a": STR})),
        {},
    ),
    (
        "request-property-removed",
        "warning",
        *request_pair(obj({"a": STR, "b": STR}), obj({"a": STR})),
        {},
    ),
    ("request-property-type-changed", "error", *request_pair(obj({"a": STR}), obj({"a": INT})), {}),
    ("request-body-type-changed", "error", *request_pair(STR, INT), {}),
    (
        "request-property-enum-value-removed",
        "error",
        *request_pair(
            obj({"a": {"type": "string", "enum": ["x", "y"]}}),
            obj({"a": {"type": "string", "enum": ["x"]}}),
        ),
        {},
    ),
    (
        "request-property-enum-value-added",
        "info",
        *request_pair(
            obj({"a": {"type": "string", "enum": ["x"]}}),
            obj({"a": {"type": "string", "enum": ["x", "y"]}}),
        ),
        {},
    ),
    (
        "request-property-became-enum",
        "error",
        *request_pair(obj({"a": STR}), obj({"a": {"type": "string", "enum": ["x"]}})),
        {},
    ),
    (
        "request-property-max-length-decreased",
        "error",
        *request_pair(
            obj({"a": {"type": "string", "maxLength": 10}}),
            obj({"a": {"type": "string", "maxLength": 9}}),
        ),
        {},
    ),
    (
        "request-property-max-length-set",
        "warning",
        *request_pair(obj({"a": STR}), obj({"a": {"type": "string", "maxLength": 9}})),
        {},
    ),
    (
        "request-property-min-length-increased",
        "error",
        *request_pair(
            obj({"a": {"type": "string", "minLength": 1}}),
            obj({"a": {"type": "string", "minLength": 3}}),
        ),
        {},
    ),
    (
        "request-property-min-increased",
        "error",
        *request_pair(
            obj({"a": {"type": "integer", "minimum": 0}}),
            obj({"a": {"type": "integer", "minimum": 1}}),
        ),
        {},
    ),
    (
        "request-property-min-increased",
        "error",
        *request_pair(
            obj({"a": {"type": "integer", "minimum": 0}}),
            obj({"a": {"type": "integer", "minimum": 0, "exclusiveMinimum": True}}),
        ),
        {},
    ),
    (
        "request-property-min-set",
        "warning",
        *request_pair(obj({"a": INT}), obj({"a": {"type": "integer", "minimum": 1}})),
        {},
    ),
    (
        "request-property-max-decreased",
        "error",
        *request_pair(
            obj({"a": {"type": "integer", "maximum": 10}}),
            obj({"a": {"type": "integer", "maximum": 9}}),
        ),
        {},
    ),
    (
        "request-property-max-set",
        "warning",
        *request_pair(obj({"a": INT}), obj({"a": {"type": "integer", "maximum": 9}})),
        {},
    ),
    (
        "request-property-pattern-added",
        "error",
        *request_pair(obj({"a": STR}), obj({"a": {"type": "string", "pattern": "^x"}})),
        {},
    ),
    (
        "request-property-pattern-changed",
        "warning",
        *request_pair(
            obj({"a": {"type": "string", "pattern": "^x"}}),
            obj({"a": {"type": "string", "pattern": "^y"}}),
        ),
        {},
    ),
    (
        "request-property-min-items-increased",
        "error",
        *request_pair(
            obj({"a": {"type": "array", "items": STR}}),
            obj({"a": {"type": "array", "items": STR, "minItems": 1}}),
        ),
        {},
    ),
    (
        "request-property-max-items-decreased",
        "error",
        *request_pair(
            obj({"a": {"type": "array", "items": STR, "maxItems": 5}}),
            obj({"a": {"type": "array", "items": STR, "maxItems": 4}}),
        ),
        {},
    ),
    (
        "request-property-became-not-nullable",
        "error",
        *request_pair(obj({"a": {"type": "string", "nullable": True}}), obj({"a": STR})),
        {},
    ),
    (
        "request-property-became-nullable",
        "info",
        *request_pair(obj({"a": STR}), obj({"a": {"type": "string", "nullable": True}})),
        {},
    ),
    (
        "request-property-one-of-removed",
        "error",
        *request_pair(obj({"a": {"oneOf": [STR, INT]}}), obj({"a": {"oneOf": [STR]}})),
        {},
    ),
    (
        "request-property-one-of-added",
        "info",
        *request_pair(obj({"a": {"oneOf": [STR]}}), obj({"a": {"oneOf": [STR, INT]}})),
        {},
    ),
    (
        "request-property-any-of-removed",
        "error",
        *request_pair(obj({"a": {"anyOf": [STR, INT]}}), obj({"a": {"anyOf": [STR]}})),
        {},
    ),
    (
        "request-property-format-changed",
        "error",
        *request_pair(
            obj({"a": {"type": "integer", "format": "int64"}}),
            obj({"a": {"type": "integer", "format": "int32"}}),
        ),
        {},
    ),
    (
        "request-property-format-changed",
        "error",
        *request_pair(obj({"a": STR}), obj({"a": {"type": "string", "format": "email"}})),
        {},
    ),
    (
        "request-property-const-added",
        "error",
        *request_pair(obj({"a": STR}), obj({"a": {"type": "string", "const": "x"}})),
        {},
    ),
    # ---- responses
    (
        "response-success-status-removed",
        "error",
        *operation_pair({"responses": {**ok(), **ok(status="202")}}, {}),
        {},
    ),
    (
        "response-success-status-added",
        "info",
        *operation_pair({}, {"responses": {**ok(), **ok(status="202")}}),
        {},
    ),
    (
        "response-non-success-status-removed",
        "info",
        *operation_pair({"responses": {**ok(), "404": {"description": "x"}}}, {}),
        {},
    ),
    (
        "response-required-property-removed",
        "error",
        *response_pair(obj({"a": STR, "b": STR}, ["b"]), obj({"a": STR})),
        {},
    ),
    (
        "response-optional-property-removed",
        "warning",
        *response_pair(obj({"a": STR, "b": STR}), obj({"a": STR})),
        {},
    ),
    (
        "response-optional-property-added",
        "info",
        *response_pair(obj({"a": STR}), obj({"a": STR, "b": STR})),
        {},
    ),
    (
        "response-property-became-optional",
        "error",
        *response_pair(obj({"a": STR}, ["a"]), obj({"a": STR})),
        {},
    ),
    (
        "response-property-became-required",
        "info",
        *response_pair(obj({"a": STR}), obj({"a": STR}, ["a"])),
        {},
    ),
    (
        "response-property-became-nullable",
        "error",
        *response_pair(obj({"a": STR}), obj({"a": {"type": "string", "nullable": True}})),
        {},
    ),
    (
        "response-property-became-not-nullable",
        "info",
        *response_pair(obj({"a": {"type": "string", "nullable": True}}), obj({"a": STR})),
        {},
    ),
    (
        "response-body-became-nullable",
        "error",
        *response_pair(obj({}), {"type": "object", "nullable": True}),
        {},
    ),
    (
        "response-property-type-changed",
        "error",
        *response_pair(obj({"a": INT}), obj({"a": STR})),
        {},
    ),
    (
        "response-property-type-generalized",
        "error",
        *response_pair(obj({"a": INT}), obj({"a": {"type": "number"}})),
        {},
    ),
    (
        "response-property-type-specialized",
        "info",
        *response_pair(obj({"a": {"type": "number"}}), obj({"a": INT})),
        {},
    ),
    (
        "response-body-type-changed",
        "error",
        *response_pair(obj({}), {"type": "array", "items": STR}),
        {},
    ),
    (
        "response-property-enum-value-added",
        "warning",
        *response_pair(
            obj({"a": {"type": "string", "enum": ["x"]}}),
            obj({"a": {"type": "string", "enum": ["x", "y"]}}),
        ),
        {},
    ),
    (
        "response-property-enum-value-removed",
        "info",
        *response_pair(
            obj({"a": {"type": "string", "enum": ["x", "y"]}}),
            obj({"a": {"type": "string", "enum": ["x"]}}),
        ),
        {},
    ),
    (
        "response-property-format-changed",
        "warning",
        *response_pair(
            obj({"a": {"type": "integer", "format": "int32"}}),
            obj({"a": {"type": "integer", "format": "int64"}}),
        ),
        {},
    ),
    (
        "response-property-max-length-increased",
        "error",
        *response_pair(
            obj({"a": {"type": "string", "maxLength": 5}}),
            obj({"a": {"type": "string", "maxLength": 6}}),
        ),
        {},
    ),
    (
        "response-property-max-length-unset",
        "error",
        *response_pair(obj({"a": {"type": "string", "maxLength": 5}}), obj({"a": STR})),
        {},
    ),
    (
        "response-property-min-decreased",
        "error",
        *response_pair(
            obj({"a": {"type": "integer", "minimum": 1}}),
            obj({"a": {"type": "integer", "minimum": 0}}),
        ),
        {},
    ),
    (
        "response-property-max-increased",
        "error",
        *response_pair(
            obj({"a": {"type": "integer", "maximum": 1}}),
            obj({"a": {"type": "integer", "maximum": 2}}),
        ),
        {},
    ),
    (
        "response-property-one-of-added",
        "error",
        *response_pair(obj({"a": {"oneOf": [STR]}}), obj({"a": {"oneOf": [STR, INT]}})),
        {},
    ),
    (
        "response-property-one-of-removed",
        "info",
        *response_pair(obj({"a": {"oneOf": [STR, INT]}}), obj({"a": {"oneOf": [STR]}})),
        {},
    ),
    (
        "response-media-type-removed",
        "error",
        *operation_pair(
            {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": STR},
                            "text/csv": {"schema": STR},
                        },
                    }
                }
            },
            {"responses": ok(STR)},
        ),
        {},
    ),
    (
        "response-media-type-added",
        "info",
        *operation_pair(
            {"responses": ok(STR)},
            {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": STR},
                            "text/csv": {"schema": STR},
                        },
                    }
                }
            },
        ),
        {},
    ),
    (
        "required-response-header-removed",
        "error",
        *operation_pair(
            {"responses": ok(headers={"X-Rate": {"required": True, "schema": INT}})},
            {"responses": ok()},
        ),
        {},
    ),
    (
        "optional-response-header-removed",
        "warning",
        *operation_pair(
            {"responses": ok(headers={"X-Rate": {"schema": INT}})}, {"responses": ok()}
        ),
        {},
    ),
    (
        "response-header-became-optional",
        "error",
        *operation_pair(
            {"responses": ok(headers={"X-Rate": {"required": True, "schema": INT}})},
            {"responses": ok(headers={"x-rate": {"schema": INT}})},
        ),
        {},
    ),
    (
        "response-header-type-changed",
        "error",
        *operation_pair(
            {"responses": ok(headers={"X-Rate": {"schema": INT}})},
            {"responses": ok(headers={"X-Rate": {"schema": STR}})},
        ),
        {},
    ),
    (
        "response-header-added",
        "info",
        *operation_pair(
            {"responses": ok()}, {"responses": ok(headers={"X-Rate": {"schema": INT}})}
        ),
        {},
    ),
]


@pytest.mark.parametrize(
    ("rule", "level", "base", "rev", "options"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_fires_once_with_its_level(rule, level, base, rev, options):
    findings = run(base, rev, today=TODAY, **options)
    finding = only(findings, rule)
    assert finding.level == level
    assert finding.text.endswith(".")
    if finding.path:
        assert finding.method in {"GET", "POST"}


def test_every_case_has_no_unexpected_errors():
    """Each minimal pair only errors on the rule it is about (no collateral false alarms)."""
    allowed_companions = {"api-deprecated-sunset-missing", "api-sunset-date-too-small"}
    for rule, _level, base, rev, options in CASES:
        findings = run(base, rev, today=TODAY, **options)
        others = [
            f.id
            for f in findings
            if f.level == "error" and f.id != rule and f.id not in allowed_companions
        ]
        assert others == [], (rule, others)
