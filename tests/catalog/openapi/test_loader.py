"""Loading, validation, refs and operation extraction."""

from __future__ import annotations

import json
from datetime import date

import pytest

from catalog.openapi import SpecError, extract_operations, load_document, parse_document, render
from catalog.openapi.findings import Finding

VALID = """
openapi: 3.0.3
info: {title: Pets, version: 1.0.0}
paths:
  /pets/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
    get:
      operationId: getPet
      summary: Get a pet
      tags: [pets]
      deprecated: true
      x-sunset: 2026-01-31
      responses:
        200:
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
    delete:
      responses: {'204': {description: gone}}
components:
  schemas:
    Pet:
      type: object
      properties:
        born: {type: string, format: date, example: 2020-01-01}
        parent: {$ref: '#/components/schemas/Pet'}
"""


def test_valid_yaml_is_loaded_with_string_keys_and_dates_kept_as_text():
    doc = load_document(VALID.encode())
    op = doc["paths"]["/pets/{id}"]["get"]
    assert "200" in op["responses"]
    assert op["x-sunset"] == "2026-01-31"
    json.dumps(doc)  # JSON-serialisable: no dates, no int keys


def test_json_is_accepted():
    doc = load_document(json.dumps(load_document(VALID)))
    assert doc["info"]["title"] == "Pets"


def test_openapi_31_is_accepted():
    doc = load_document(VALID.replace("3.0.3", "3.1.0"))
    assert doc["openapi"] == "3.1.0"


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("openapi: [unclosed", "not_yaml", "Not valid YAML"),
        ('{"openapi": ', "not_json", "Not valid JSON"),
        ("- just\n- a list\n", "not_openapi", "not an OpenAPI object"),
        ("swagger: '2.0'\ninfo: {}\n", "not_openapi", "swagger: '2.0'"),
        ("openapi: 4.0.0\n", "not_openapi", "Only OpenAPI 3.0 and 3.1"),
        ("   \n", "empty", "empty"),
    ],
)
def test_malformed_input_is_refused_with_a_clear_error(text, code, message):
    with pytest.raises(SpecError) as caught:
        load_document(text)
    assert caught.value.code == code
    assert message in caught.value.message


def test_yaml_error_has_a_line_and_column():
    with pytest.raises(SpecError) as caught:
        load_document("openapi: 3.0.3\ninfo:\n  title: [x\n")
    assert caught.value.location.startswith("line ")


def test_dangling_ref_is_refused_with_its_location():
    with pytest.raises(SpecError) as caught:
        load_document(
            VALID.replace(
                "#/components/schemas/Pet'}\n    delete", "#/components/schemas/Nope'}\n    delete"
            )
        )
    assert caught.value.code == "dangling_ref"
    assert "#/components/schemas/Nope" in caught.value.message
    assert (
        caught.value.location
        == "/paths/~1pets~1{id}/get/responses/200/content/application~1json/schema"
    )


def test_external_ref_is_refused():
    with pytest.raises(SpecError) as caught:
        load_document(
            VALID.replace("'#/components/schemas/Pet'}\n\n", "'other.yaml#/Pet'}\n\n").replace(
                "parent: {$ref: '#/components/schemas/Pet'}", "parent: {$ref: 'other.yaml#/Pet'}"
            )
        )
    assert caught.value.code == "external_ref"


def test_schema_violation_reports_the_validator_message_and_location():
    with pytest.raises(SpecError) as caught:
        load_document(VALID.replace("info: {title: Pets, version: 1.0.0}", "info: {title: Pets}"))
    assert "'version' is a required property" in caught.value.message
    assert caught.value.location == "/info"


def test_undeclared_path_parameter_is_refused():
    with pytest.raises(SpecError) as caught:
        load_document(
            VALID.replace(
                "    parameters:\n      - {name: id, in: path, required: true, schema: {type: string}}\n",
                "",
            )
        )
    assert "id" in caught.value.message


def test_oversized_documents_are_refused_before_parsing():
    with pytest.raises(SpecError) as caught:
        parse_document(b"x" * 101, max_bytes=100)
    assert caught.value.code == "too_large"
    assert "limit is 100 bytes" in caught.value.message


def test_yaml_alias_bombs_are_refused():
    bomb = "openapi: 3.0.3\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
    previous = "a"
    for level in range(8):
        name = f"l{level}"
        bomb += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
        previous = name
    with pytest.raises(SpecError) as caught:
        parse_document(bomb)
    assert caught.value.code == "too_large"


def test_not_utf8_is_refused():
    with pytest.raises(SpecError) as caught:
        load_document(b"\xff\xfe\x00openapi")
    assert caught.value.code == "not_text"


def test_extract_operations():
    ops = extract_operations(load_document(VALID))
    assert [(o.method, o.path, o.operation_id, o.deprecated, o.sunset, o.tags) for o in ops] == [
        ("GET", "/pets/{id}", "getPet", True, date(2026, 1, 31), ("pets",)),
        ("DELETE", "/pets/{id}", "", False, None, ()),
    ]
    assert ops[0].summary == "Get a pet"


def test_render_formats():
    findings = [
        Finding(
            id="request-parameter-removed",
            level="warning",
            text="Removed | x.",
            method="GET",
            path="/a",
            location="/paths/~1a",
        ),
        Finding(
            id="api-path-removed-without-deprecation",
            level="error",
            text="Removed /b.",
            method="GET",
            path="/b",
        ),
    ]
    text = render(findings, "text")
    assert "error   [api-path-removed-without-deprecation] at GET /b" in text
    assert text.rstrip().endswith("1 error(s), 1 warning(s), 0 info")
    markdown = render(findings, "markdown")
    assert (
        "| warning | `request-parameter-removed` | `GET /a` | `/paths/~1a` | Removed \\| x. |"
        in markdown
    )
    data = json.loads(render(findings, "json"))
    assert data["summary"] == {"error": 1, "warning": 1, "info": 0}
    assert data["findings"][1]["id"] == "api-path-removed-without-deprecation"
    assert render([], "text") == "No changes found.\n"
    with pytest.raises(ValueError):
        render(findings, "html")
