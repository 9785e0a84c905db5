"""Tiny builders for minimal OpenAPI documents used by the engine tests."""

from __future__ import annotations

import copy
from typing import Any

from catalog.openapi import DiffOptions, Finding, diff


def document(paths: dict | None = None, schemas: dict | None = None, **extra: Any) -> dict:
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "Pets", "version": "1.0.0"},
        "paths": paths or {},
    }
    if schemas:
        doc["components"] = {"schemas": schemas}
    doc.update(extra)
    return copy.deepcopy(doc)


def ok(schema: dict | None = None, *, headers: dict | None = None, status: str = "200") -> dict:
    response: dict = {"description": "ok"}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    if headers:
        response["headers"] = headers
    return {status: response}


def request_pair(
    base_schema: dict, rev_schema: dict, *, required: bool = True
) -> tuple[dict, dict]:
    """POST /pets with a JSON request body: base and revision schemas."""

    def make(schema):
        body = {"required": required, "content": {"application/json": {"schema": schema}}}
        return document(
            {
                "/pets": {
                    "post": {"operationId": "createPet", "requestBody": body, "responses": ok()}
                }
            }
        )

    return make(base_schema), make(rev_schema)


def response_pair(base_schema: dict, rev_schema: dict) -> tuple[dict, dict]:
    """GET /pets returning JSON: base and revision schemas."""

    def make(schema):
        return document({"/pets": {"get": {"operationId": "listPets", "responses": ok(schema)}}})

    return make(base_schema), make(rev_schema)


def parameter_pair(base_params: list, rev_params: list, path: str = "/pets") -> tuple[dict, dict]:
    def make(params, p):
        return document(
            {p: {"get": {"operationId": "listPets", "parameters": params, "responses": ok()}}}
        )

    return make(base_params, path), make(rev_params, path)


def operation_pair(
    base_op: dict, rev_op: dict, path: str = "/pets", method: str = "get"
) -> tuple[dict, dict]:
    base_op = {"responses": ok(), **base_op}
    rev_op = {"responses": ok(), **rev_op}
    return document({path: {method: base_op}}), document({path: {method: rev_op}})


def run(base: dict, rev: dict, **options: Any) -> list[Finding]:
    return diff(base, rev, options=DiffOptions(**options) if options else None)


def ids(findings: list[Finding]) -> list[str]:
    return [f.id for f in findings]


def only(findings: list[Finding], rule: str) -> Finding:
    matching = [f for f in findings if f.id == rule]
    assert len(matching) == 1, f"expected one {rule}, got {ids(findings)}"
    return matching[0]


def errors(findings: list[Finding]) -> list[str]:
    return [f.id for f in findings if f.level == "error"]
