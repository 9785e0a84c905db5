"""A deterministic generator of large OpenAPI documents, for benchmarks and scale tests.

`generate(operations=1000)` makes a ~2 MB document (as JSON) whose operations carry inline
parameters, request bodies and responses plus `$ref`s to shared (and recursive) components;
`mutate(document)` returns a revision with a known mix of breaking and additive changes.
"""

from __future__ import annotations

import copy
import random

_TYPES = ("string", "integer", "number", "boolean")


def _property(rng: random.Random, depth: int) -> dict:
    kind = rng.choice(_TYPES)
    schema: dict = {"type": kind, "description": "Generated property " + "x" * rng.randint(0, 20)}
    if kind == "string":
        if rng.random() < 0.3:
            schema["enum"] = [f"v{i}" for i in range(rng.randint(2, 6))]
        else:
            schema["maxLength"] = rng.randint(10, 200)
    elif kind == "integer":
        schema.update(format="int64", minimum=0, maximum=rng.randint(100, 10_000))
    if depth < 2 and rng.random() < 0.15:
        return {"type": "object", "required": ["id"], "properties": _properties(rng, depth + 1, 4)}
    if depth < 2 and rng.random() < 0.1:
        return {"type": "array", "items": _property(rng, depth + 1), "maxItems": 100}
    return schema


def _properties(rng: random.Random, depth: int, count: int) -> dict:
    props = {"id": {"type": "string", "format": "uuid"}}
    for i in range(count):
        props[f"field_{depth}_{i}"] = _property(rng, depth)
    return props


def generate(operations: int = 1000, *, seed: int = 0, components: int = 50) -> dict:
    rng = random.Random(seed)
    schemas = {}
    for c in range(components):
        schemas[f"Model{c}"] = {
            "type": "object",
            "required": ["id"],
            "properties": {
                **_properties(rng, 1, 6),
                "parent": {"$ref": f"#/components/schemas/Model{c}"},  # a cycle
                "related": {"$ref": f"#/components/schemas/Model{(c + 1) % components}"},
            },
        }
    paths: dict = {}
    methods = ("get", "post", "put", "delete")
    for i in range(operations):
        path = f"/resources{i // 4}/{{id}}/items"
        method = methods[i % 4]
        model = {"$ref": f"#/components/schemas/Model{rng.randrange(components)}"}
        op: dict = {
            "operationId": f"op{i}",
            "summary": f"Operation {i}",
            "tags": [f"tag{i % 20}"],
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                },
                {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {
                    "description": "ok",
                    "headers": {"X-Rate-Limit": {"required": True, "schema": {"type": "integer"}}},
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["data"],
                                "properties": {"data": model, **_properties(rng, 0, 5)},
                            }
                        }
                    },
                },
                "404": {"description": "missing"},
            },
        }
        if method in ("post", "put"):
            op["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": _properties(rng, 0, 5)}
                    }
                },
            }
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "Synthetic", "version": "1.0.0"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def mutate(document: dict, *, seed: int = 1, changes: int = 50) -> dict:
    """A revision with `changes` edits spread over the document (breaking and additive)."""
    rng = random.Random(seed)
    rev = copy.deepcopy(document)
    ops = [(p, m) for p, item in rev["paths"].items() for m in item]
    for n in range(changes):
        path, method = rng.choice(ops)
        op = rev["paths"][path].get(method)
        if op is None:
            continue
        props = op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
        action = n % 5
        if action == 0:
            props.pop(sorted(props)[-1], None)  # response property removed
        elif action == 1:
            op["parameters"].append(
                {"name": f"new{n}", "in": "query", "required": True, "schema": {"type": "string"}}
            )
        elif action == 2:
            props[f"added{n}"] = {"type": "string"}  # additive
        elif action == 3:
            op["deprecated"] = True
        else:
            del rev["paths"][path][method]
    model = rev["components"]["schemas"]["Model0"]["properties"]
    model[sorted(k for k in model if k.startswith("field"))[0]] = {"type": "boolean"}
    return rev
