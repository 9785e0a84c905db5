"""Fixtures for the spec registry's integration tests: an API with v1.0.0 published and three
consumers — two use GET /pets/{id} (whose response loses a field in v2), one uses only
GET /owners (untouched)."""

from __future__ import annotations

import copy

import pytest
import yaml

from catalog.models import ApiOperation, Dependency
from catalog.services.catalog import api_version_create
from tests.catalog.factories import ApiFactory, ServiceFactory, TeamFactory

V1 = {
    "openapi": "3.0.3",
    "info": {"title": "Pets", "version": "1.0.0"},
    "paths": {
        "/pets/{id}": {
            "get": {
                "operationId": "getPet",
                "tags": ["pets"],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "A pet",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                        },
                    }
                },
            }
        },
        "/owners": {
            "get": {
                "operationId": "listOwners",
                "tags": ["owners"],
                "responses": {
                    "200": {
                        "description": "Owners",
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": {"type": "string"}}
                            }
                        },
                    }
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Pet": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "tag": {"type": "string"},
                },
            }
        }
    },
}


def v2_removing_name() -> dict:
    doc = copy.deepcopy(V1)
    pet = doc["components"]["schemas"]["Pet"]
    pet["required"] = ["id"]
    del pet["properties"]["name"]
    return doc


def v2_additive() -> dict:
    doc = copy.deepcopy(V1)
    doc["components"]["schemas"]["Pet"]["properties"]["colour"] = {"type": "string"}
    return doc


def as_yaml(doc: dict) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


@pytest.fixture
def pets(db, team, owner):
    """The Pets API (provided by ``team``'s service) with v1.0.0 published and three consumers."""
    provider = ServiceFactory(slug="pet-store", owner=team)
    api = ApiFactory(slug="pets", name="Pets", provider=provider)
    v1 = api_version_create(api=api, version="1.0.0", spec=as_yaml(V1), actor=owner)
    get_pet = ApiOperation.objects.get(api_version=v1, method="GET", path="/pets/{id}")
    list_owners = ApiOperation.objects.get(api_version=v1, method="GET", path="/owners")
    teams = {name: TeamFactory(slug=name) for name in ("adoption", "grooming", "census", "vets")}
    consumers = {}
    for name, ops in (
        ("adoption", [get_pet]),
        ("grooming", [get_pet, list_owners]),
        ("census", [list_owners]),
    ):
        service = ServiceFactory(slug=f"{name}-svc", owner=teams[name])
        dependency = Dependency.objects.create(consumer=service, api_version=v1, provider=provider)
        dependency.operations.set(ops)
        consumers[name] = service
    # A consumer that declared no operations may use any of them.
    consumers["vets"] = ServiceFactory(slug="vets-svc", owner=teams["vets"])
    Dependency.objects.create(consumer=consumers["vets"], api_version=v1, provider=provider)
    return {"api": api, "v1": v1, "teams": teams, "consumers": consumers, "provider": provider}
