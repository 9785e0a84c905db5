"""Publish and the stored findings (``GET /api-versions/{id}/spec/``) name, on every finding, the
version it is against — additively: the default policy's body is today's plus that field."""

from __future__ import annotations

import pytest

from catalog.models import ApiVersion
from catalog.openapi import Finding
from tests.catalog.specs.conftest import as_yaml, v2_removing_name
from tests.catalog.specs.test_compare_all_supported import (
    publish,
    three_majors,  # noqa: F401 (fixture)
    use_policy,
    without_owners,
)

pytestmark = pytest.mark.django_db

ENGINE_FIELDS = list(Finding("x", "error", "t").to_dict())
TODAY_PUBLISH = {"id", "version", "base_version", "operations", "breaking", "summary", "findings"}
TODAY_STORED = {"base_version", "breaking", "summary", "findings"}


def stored(client, version: str) -> dict:
    pk = ApiVersion.objects.get(version=version).pk
    response = client.get(f"/api/v1/api-versions/{pk}/spec/")
    assert response.status_code == 200, response.content
    return response.json()


def test_all_supported_with_two_supported_majors_names_each_findings_base(
    three_majors,  # noqa: F811
    owner,
    api_client,
):
    """1.0.0 and 2.0.0 supported (3.0.0 retired), policy all_supported: 4.0.0 drops /owners,
    which breaks both; each finding says which."""
    ApiVersion.objects.filter(pk=three_majors["v3"].pk).update(status=ApiVersion.Status.RETIRED)
    use_policy(three_majors["api"], "all_supported")
    client = api_client(owner)
    response = publish(client, "4.0.0", without_owners())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["base_version"] == "2.0.0"
    assert body["base_versions"] == ["1.0.0", "2.0.0"]
    errors = [
        (f["base_version"], f["id"], f["path"]) for f in body["findings"] if f["level"] == "error"
    ]
    assert errors == [
        ("1.0.0", "api-path-removed-without-deprecation", "/owners"),
        ("2.0.0", "api-path-removed-without-deprecation", "/owners"),
    ]
    # v1 → v4 also carries v2's and v3's additive changes: against 1.0.0 and 2.0.0 they differ.
    by_base = {
        base: {(f["id"], f["location"]) for f in body["findings"] if f["base_version"] == base}
        for base in ("1.0.0", "2.0.0")
    }
    assert by_base["1.0.0"] != by_base["2.0.0"]
    assert body["summary"]["error"] == 2 and body["breaking"] is True

    again = stored(client, "4.0.0")
    assert again == {k: body[k] for k in again}
    assert set(again) == TODAY_STORED | {"base_versions"}


def test_default_policy_keeps_todays_body_plus_base_version(pets, owner, api_client):
    client = api_client(owner)
    response = client.post(
        "/api/v1/apis/pets/publish/",
        {"version": "2.0.0", "spec": as_yaml(v2_removing_name())},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == TODAY_PUBLISH
    assert body["base_version"] == "1.0.0"
    assert body["findings"], "v2 drops Pet.name: there are findings"
    for finding in body["findings"]:
        # The engine's fields in the engine's order, then the one new field.
        assert list(finding) == [*ENGINE_FIELDS, "base_version"]
        assert finding["base_version"] == "1.0.0"

    again = stored(client, "2.0.0")
    assert set(again) == TODAY_STORED
    assert again["findings"] == body["findings"]


def test_a_version_without_a_base_has_no_findings_and_a_null_base(pets, owner, api_client):
    body = stored(api_client(owner), "1.0.0")
    assert body == {
        "base_version": None,
        "breaking": False,
        "summary": {"error": 0, "warning": 0, "info": 0},
        "findings": [],
    }


def test_a_deleted_base_is_still_named(pets, owner, api_client):
    """The base version can be deleted later (``compared_to`` is SET_NULL); the findings are
    still against it, and ``compared_with`` still names it."""
    client = api_client(owner)
    publish(client, "2.0.0", v2_removing_name())
    ApiVersion.objects.filter(version="1.0.0").delete()
    body = stored(client, "2.0.0")
    assert body["base_version"] == "1.0.0"
    assert {f["base_version"] for f in body["findings"]} == {"1.0.0"}


@pytest.mark.parametrize(
    "who, expected", [("anonymous", 401), ("engineer", 200), ("member", 200), ("admin", 200)]
)
def test_stored_findings_permissions(pets, api_client, request, who, expected):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = api_client(user).get(f"/api/v1/api-versions/{pets['v1'].pk}/spec/")
    assert response.status_code == expected
    if expected == 401:
        assert "findings" not in response.json()
