"""Publishing versions with specs through the API: policy enforcement, stored findings,
operations, and the consumers told what broke (the issue's "Done when" scenario)."""

from __future__ import annotations

import pytest

from catalog.models import ApiOperation, ApiSpec, ApiVersion
from portal.notifications.models import ChangeEvent, Notification
from tests.catalog.specs.conftest import V1, as_yaml, v2_additive, v2_removing_name

pytestmark = pytest.mark.django_db


def publish(client, version: str, spec: str, **extra):
    return client.post(
        "/api/v1/apis/pets/publish/", {"version": version, "spec": spec, **extra}, format="json"
    )


def test_v1_publish_stores_the_parsed_spec_and_extracts_operations(pets):
    spec = ApiSpec.objects.get(api_version=pets["v1"])
    assert spec.document["info"]["title"] == "Pets"
    assert spec.compared_to is None and spec.findings == []
    assert pets["v1"].spec_format == "yaml"
    ops = ApiOperation.objects.filter(api_version=pets["v1"]).order_by("path")
    assert [(o.method, o.path, o.operation_id, o.tags) for o in ops] == [
        ("GET", "/owners", "listOwners", ["owners"]),
        ("GET", "/pets/{id}", "getPet", ["pets"]),
    ]


def test_done_when_breaking_minor_is_refused_then_major_is_accepted_and_exactly_the_users_are_told(
    pets, owner, api_client
):
    client = api_client(owner)
    # v2 as a minor: refused with the findings; nothing stored.
    response = publish(client, "1.1.0", as_yaml(v2_removing_name()))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["rule"] == "breaking-change-requires-major"
    assert body["base_version"] == "1.0.0"
    assert [
        (f["id"], f["method"], f["path"], f["property_path"])
        for f in body["findings"]
        if f["level"] == "error"
    ] == [("response-required-property-removed", "GET", "/pets/{id}", "name")]
    assert "2.0.0" in body["detail"]
    assert not ApiVersion.objects.filter(api=pets["api"], version="1.1.0").exists()
    assert ApiSpec.objects.count() == 1
    assert not ChangeEvent.objects.exists()

    # Published as 3.0.0 (a major bump): accepted, findings stored.
    response = publish(client, "3.0.0", as_yaml(v2_removing_name()))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["breaking"] is True and body["base_version"] == "1.0.0"
    assert body["operations"] == 2
    v3 = ApiVersion.objects.get(api=pets["api"], version="3.0.0")
    spec = ApiSpec.objects.get(api_version=v3)
    assert spec.compared_to == pets["v1"]
    assert spec.error_count == 1
    assert [f["id"] for f in spec.findings] == ["response-required-property-removed"]

    # Exactly the consumers using the changed operation (or declaring none) are told.
    event = ChangeEvent.objects.get(kind="breaking_version")
    assert "3.0.0" in event.title and "1.0.0" in event.title
    assert "response-required-property-removed" in event.body
    notified = Notification.objects.filter(event=event)
    teams = pets["teams"]
    assert {n.recipient_id for n in notified} == {
        teams["adoption"].pk,
        teams["grooming"].pk,
        teams["vets"].pk,
    }
    detail = notified.filter(recipient=teams["adoption"]).first().detail
    assert detail["base_version"] == "1.0.0" and detail["version"] == "3.0.0"
    assert [c["service"] for c in detail["consumers"]] == ["adoption-svc"]
    assert [(f["id"], f["path"]) for f in detail["consumers"][0]["findings"]] == [
        ("response-required-property-removed", "/pets/{id}")
    ]


def test_additive_minor_is_accepted_without_notifying_anyone(pets, owner, api_client):
    response = publish(api_client(owner), "1.1.0", as_yaml(v2_additive()))
    assert response.status_code == 201, response.content
    assert response.json()["breaking"] is False
    assert [f["id"] for f in response.json()["findings"]] == ["response-optional-property-added"]
    assert not ChangeEvent.objects.exists()


def test_draft_versions_may_break_without_a_major_bump(pets, owner, api_client):
    response = publish(
        api_client(owner), "1.1.0-beta.1", as_yaml(v2_removing_name()), stability="draft"
    )
    assert response.status_code == 201, response.content
    assert response.json()["breaking"] is True


def test_policy_without_breaking_requires_major_accepts_and_notifies(pets, owner, api_client):
    from slas.models import VersioningPolicy

    policy = VersioningPolicy.objects.create(name="Lenient", breaking_requires_major=False)
    pets["api"].policy = policy
    pets["api"].save()
    response = publish(api_client(owner), "1.1.0", as_yaml(v2_removing_name()))
    assert response.status_code == 201, response.content
    assert ChangeEvent.objects.filter(kind="breaking_version").count() == 1


def test_republishing_the_same_breaking_version_is_not_notified_twice(pets, owner, api_client):
    from catalog.services.catalog import api_version_update

    client = api_client(owner)
    assert publish(client, "2.0.0", as_yaml(v2_removing_name())).status_code == 201
    v2 = ApiVersion.objects.get(api=pets["api"], version="2.0.0")
    api_version_update(api_version=v2, spec=as_yaml(v2_removing_name()) + "\n", actor=owner)
    assert ChangeEvent.objects.filter(kind="breaking_version").count() == 2  # new text, new digest
    api_version_update(api_version=v2, changelog="notes", actor=owner)
    assert ChangeEvent.objects.filter(kind="breaking_version").count() == 2


@pytest.mark.parametrize(
    ("spec", "rule", "fragment"),
    [
        ("openapi: [unclosed", "spec-invalid", "Not valid YAML"),
        ("just text", "spec-invalid", "not an OpenAPI object"),
        (
            "swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n",
            "spec-invalid",
            "Only OpenAPI 3.0 and 3.1",
        ),
        (
            as_yaml(V1).replace("#/components/schemas/Pet", "#/components/schemas/Nowhere"),
            "spec-invalid",
            "points to nowhere",
        ),
        (
            as_yaml(V1).replace("version: 1.0.0", "versio: 1.0.0"),
            "spec-invalid",
            "'version' is a required property",
        ),
    ],
)
def test_malformed_specs_are_refused_with_a_clear_error_and_nothing_is_stored(
    pets, owner, api_client, spec, rule, fragment
):
    before = (ApiVersion.objects.count(), ApiSpec.objects.count(), ApiOperation.objects.count())
    response = publish(api_client(owner), "1.1.0", spec)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["rule"] == rule
    assert fragment in body["detail"]
    assert body["errors"]["spec"]
    assert (
        ApiVersion.objects.count(),
        ApiSpec.objects.count(),
        ApiOperation.objects.count(),
    ) == before


def test_dangling_ref_error_names_its_location(pets, owner, api_client):
    spec = as_yaml(V1).replace("#/components/schemas/Pet", "#/components/schemas/Nowhere")
    body = publish(api_client(owner), "1.1.0", spec).json()
    assert (
        body["location"] == "/paths/~1pets~1{id}/get/responses/200/content/application~1json/schema"
    )


def test_oversized_spec_is_refused(pets, owner, api_client, settings):
    settings.PORTAL_SPEC_MAX_BYTES = 2000
    big = as_yaml(V1) + "# " + "x" * 3000 + "\n"
    response = publish(api_client(owner), "1.1.0", big)
    assert response.status_code in (400, 413)
    assert response.json()["rule"] == "spec-too-large"
    assert not ApiVersion.objects.filter(version="1.1.0").exists()


def test_huge_upload_gets_413_before_parsing(pets, owner, api_client, settings):
    settings.PORTAL_SPEC_MAX_BYTES = 1000
    response = publish(api_client(owner), "1.1.0", "x" * 5000)
    assert response.status_code == 413
    assert not ApiVersion.objects.filter(version="1.1.0").exists()


def test_multipart_file_upload_is_accepted(pets, owner, api_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "openapi.yaml", as_yaml(v2_additive()).encode(), content_type="application/yaml"
    )
    response = api_client(owner).post(
        "/api/v1/apis/pets/publish/", {"version": "1.2.0", "spec": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", (401,)), ("engineer", (403,)), ("member", (403,)), ("admin", (201,))],
)
def test_publish_permissions(pets, api_client, request, who, expected):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = publish(api_client(user), "1.1.0", as_yaml(v2_additive()))
    assert response.status_code in expected
    assert ApiVersion.objects.filter(version="1.1.0").exists() == (201 in expected)


def test_version_spec_endpoint_returns_stored_findings(pets, owner, api_client):
    publish(api_client(owner), "2.0.0", as_yaml(v2_removing_name()))
    v2 = ApiVersion.objects.get(version="2.0.0")
    body = api_client(owner).get(f"/api/v1/api-versions/{v2.pk}/spec/").json()
    assert body["base_version"] == "1.0.0" and body["breaking"] is True
    assert body["summary"] == {"error": 1, "warning": 0, "info": 0}


def test_version_page_shows_operations_by_tag_schemas_and_the_changelog(
    pets, owner, api_client, client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    publish(api_client(owner), "2.0.0", as_yaml(v2_removing_name()))
    v2 = ApiVersion.objects.get(version="2.0.0")
    client.force_login(owner)
    response = client.get(f"/catalog/api-versions/{v2.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Changes" in html and "against 1.0.0" in html
    assert "response-required-property-removed" in html
    assert html.index("<h4>owners</h4>") < html.index("<h4>pets</h4>")  # no declared tags: by name
    assert "/pets/{id}" in html and "getPet" in html
    assert "<code>tag</code>" in html  # a schema row of Pet
    v1_html = client.get(f"/catalog/api-versions/{pets['v1'].pk}/").content.decode()
    assert "nothing to compare with" in v1_html
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/catalog/api-versions/{v2.pk}/")
    assert len(queries) < 40


def test_recursive_schemas_render_without_looping(pets, owner, api_client, client):
    import copy

    doc = copy.deepcopy(v2_additive())
    doc["components"]["schemas"]["Pet"]["properties"]["parent"] = {
        "$ref": "#/components/schemas/Pet"
    }
    assert publish(api_client(owner), "1.1.0", as_yaml(doc)).status_code == 201
    v = ApiVersion.objects.get(version="1.1.0")
    client.force_login(owner)
    html = client.get(f"/catalog/api-versions/{v.pk}/").content.decode()
    assert "recursive: Pet" in html
