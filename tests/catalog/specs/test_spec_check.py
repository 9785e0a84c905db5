"""The CI entry points: POST /api/v1/apis/{slug}/spec-check/ and manage.py spec_check."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from catalog.models import ApiOperation, ApiSpec, ApiVersion
from portal.notifications.models import ChangeEvent
from tests.catalog.specs.conftest import V1, as_yaml, v2_additive, v2_removing_name

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        ApiVersion.objects.count(),
        ApiSpec.objects.count(),
        ApiOperation.objects.count(),
        ChangeEvent.objects.count(),
    )


def test_spec_check_returns_findings_against_the_latest_version_and_stores_nothing(
    pets, engineer, api_client
):
    before = snapshot()
    response = api_client(engineer).post(
        "/api/v1/apis/pets/spec-check/", {"spec": as_yaml(v2_removing_name())}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["base_version"] == "1.0.0"
    assert body["breaking"] is True
    assert body["summary"]["error"] == 1
    assert body["findings"][0]["id"] == "response-required-property-removed"
    assert snapshot() == before


def test_spec_check_of_an_additive_change_is_not_breaking(pets, engineer, api_client):
    body = (
        api_client(engineer)
        .post("/api/v1/apis/pets/spec-check/", {"spec": json.dumps(v2_additive())}, format="json")
        .json()
    )
    assert body["breaking"] is False and body["summary"]["error"] == 0


def test_spec_check_refuses_bad_documents_and_unknown_apis(pets, engineer, api_client):
    client = api_client(engineer)
    response = client.post("/api/v1/apis/pets/spec-check/", {"spec": "openapi: [x"}, format="json")
    assert response.status_code == 400 and "Not valid YAML" in response.json()["detail"]
    response = client.post("/api/v1/apis/pets/spec-check/", {}, format="json")
    assert response.status_code == 400 and response.json()["errors"]["spec"]
    assert (
        client.post(
            "/api/v1/apis/nope/spec-check/", {"spec": as_yaml(V1)}, format="json"
        ).status_code
        == 404
    )


def test_spec_check_requires_a_signed_in_user(pets, api_client):
    response = api_client().post(
        "/api/v1/apis/pets/spec-check/", {"spec": as_yaml(V1)}, format="json"
    )
    assert response.status_code == 401 and "Token" in response["WWW-Authenticate"]


def test_spec_check_of_an_api_without_specs_has_no_base(db, engineer, api_client):
    from tests.catalog.factories import ApiFactory

    ApiFactory(slug="bare")
    body = (
        api_client(engineer)
        .post("/api/v1/apis/bare/spec-check/", {"spec": as_yaml(V1)}, format="json")
        .json()
    )
    assert body == {
        "base_version": None,
        "breaking": False,
        "summary": {"error": 0, "warning": 0, "info": 0},
        "findings": [],
    }


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_command_exits_non_zero_on_breaking_changes(pets, tmp_path, capsys, fmt):
    path = tmp_path / "openapi.yaml"
    path.write_text(as_yaml(v2_removing_name()))
    before = snapshot()
    with pytest.raises(SystemExit) as exited:
        call_command("spec_check", "pets", str(path), "--format", fmt)
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "response-required-property-removed" in out
    if fmt == "json":
        assert json.loads(out)["summary"]["error"] == 1
    if fmt == "markdown":
        assert out.startswith("**1 error(s)")
    assert snapshot() == before


def test_command_exits_zero_on_additive_changes(pets, tmp_path, capsys):
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(v2_additive()))
    call_command("spec_check", "pets", str(path))
    assert "response-optional-property-added" in capsys.readouterr().out


def test_command_reports_bad_input_clearly(pets, tmp_path):
    from django.core.management.base import CommandError

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {$ref: '#/nowhere'}}\n"
    )
    with pytest.raises(CommandError, match="points to nowhere"):
        call_command("spec_check", "pets", str(bad))
    with pytest.raises(CommandError, match="No API"):
        call_command("spec_check", "nope", str(bad))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("spec_check", "pets", str(tmp_path / "missing.yaml"))
