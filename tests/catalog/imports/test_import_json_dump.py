"""Importing a JSON dump of Backstage's catalog API gives the same catalog as the YAML tree
it came from (``realworld/backstage-dump/``: ``api/entities.json`` is what
``GET /api/catalog/entities`` answered for the catalog in ``yaml/``)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from catalog.models import Api, ApiVersion, EntitySource, ImportJob, Service, Team
from catalog.services.imports import catalog_import
from tests.catalog.imports.test_realworld import CORPUS, snapshot

pytestmark = pytest.mark.django_db

TREE = CORPUS / "backstage-dump"
DUMP = TREE / "api" / "entities.json"
URL = "/api/v1/catalog/import/"


def kinds(report) -> dict[str, tuple[int, int, int, int]]:
    return {kind: (c.created, c.updated, c.unchanged, c.failed) for kind, c in report.kinds.items()}


def test_a_dump_imports_the_same_catalog_as_its_yaml_tree_idempotently():
    report = catalog_import(paths=[str(DUMP)], source="shop")
    assert report.errors == []
    assert [(p.code, p.document) for p in report.problems] == [
        ("location_dump", 1),
        ("location_dump", 2),
        ("location_dump", 12),
    ]
    assert (report.created, report.updated, report.unchanged) == (17, 0, 0)
    assert Team.objects.count() == 3
    assert sorted(Service.objects.values_list("slug", flat=True)) == [
        "assets-bucket",
        "payments-db",
        "payments-service",
        "products-db",
        "products-service",
        "storefront",
    ]
    assert sorted(ApiVersion.objects.values_list("api__slug", "version")) == [
        ("payments-api", "2.1.0"),
        ("products-api", "1.4.0"),
    ]
    payments = Service.objects.get(slug="payments-service")
    # server fields are not kept: the annotations are the ones the YAML declares
    assert "backstage.io/managed-by-location" not in payments.annotations
    assert "backstage.io/view-url" not in payments.annotations
    assert payments.annotations["github.com/project-slug"] == "acme/payments-service"
    assert not EntitySource.objects.filter(kind="Location").exists()
    source = EntitySource.objects.get(entity_ref="component:default/payments-service")
    assert (source.file, source.document) == (DUMP.name, 13)
    assert "uid" not in json.dumps(source.extra)
    imported = snapshot()

    again = catalog_import(paths=[str(DUMP)], source="shop")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 17)
    assert snapshot() == imported

    # the YAML the dump came from: every entity unchanged, only its Locations are new
    from_yaml = catalog_import(paths=[str(TREE / "yaml")], source="shop")
    assert from_yaml.errors == [] and from_yaml.problems == []
    assert (from_yaml.created, from_yaml.updated, from_yaml.unchanged) == (2, 0, 17)
    assert kinds(from_yaml)["Location"] == (2, 0, 0, 0)
    assert snapshot() == imported


def test_the_yaml_tree_then_the_dump_changes_nothing_but_reports_its_locations_stale():
    catalog_import(paths=[str(TREE / "yaml")], source="shop")
    from_yaml = snapshot()
    report = catalog_import(paths=[str(DUMP)], source="shop")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 17)
    assert sorted(report.stale) == [
        "location:default/shop-catalog",
        "location:default/shop-components",
    ]
    assert snapshot() == from_yaml


def test_a_changed_dump_updates_only_what_changed():
    catalog_import(paths=[str(DUMP)], source="shop")
    entities = json.loads(DUMP.read_text())
    storefront = next(e for e in entities if e["metadata"]["name"] == "storefront")
    storefront["metadata"]["description"] = "The shop's web front"
    for entity in entities:  # Backstage re-stamps etags on every refresh: not a change
        entity["metadata"]["etag"] = "refreshed"
    changed = DUMP.parent.parent.parent / "_changed-dump.json"
    try:
        changed.write_text(json.dumps(entities))
        report = catalog_import(paths=[str(changed)], source="shop")
    finally:
        changed.unlink()
    assert (report.created, report.updated, report.unchanged) == (0, 1, 16)
    assert Service.objects.get(slug="storefront").description == "The shop's web front"


@pytest.fixture
def upload(api_client, admin, django_capture_on_commit_callbacks):
    """Upload a file as staff (multipart ``file``), run the queued job: the finished job."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    def call(name: str, content: bytes, **fields) -> ImportJob:
        body = {"file": SimpleUploadedFile(name, content), **fields}
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client(admin).post(URL, body, format="multipart")
        assert response.status_code == 202, response.content
        return ImportJob.objects.get(pk=response.json()["id"])

    return call


def test_dump_pages_in_an_uploaded_archive_and_a_one_file_upload(upload):
    entities = json.loads(DUMP.read_text())
    pages = [entities[:10], entities[10:]]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number, items in enumerate(pages, start=1):
            body = {"items": items, "totalItems": len(entities), "pageInfo": {}}
            archive.writestr(f"backstage/page-{number}.json", json.dumps(body))
    job = upload("dump.zip", buffer.getvalue(), source="shop")
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert job.summary["created"] == 17, (job.summary, job.problems)
    assert [p["code"] for p in job.problems] == ["location_dump"] * 3
    assert job.problems[0]["origin"] == "bootstrap:bootstrap"
    assert Api.objects.count() == 2

    # the whole dump as one uploaded file (saved as catalog-info.yaml: read by content)
    job = upload("entities.json", DUMP.read_bytes(), source="shop")
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    summary = job.summary
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 0, 17)


def test_a_dump_posted_as_a_yaml_body(api_client, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(admin).post(
            URL + "?source=shop", data=DUMP.read_bytes(), content_type="application/yaml"
        )
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert job.summary["created"] == 17
    # the body is saved as catalog-info.yaml and recognised as a dump by its content
    assert {(p["file"], p["code"]) for p in job.problems} == {
        ("catalog-info.yaml", "location_dump")
    }


def test_an_uploaded_malformed_dump_fails_with_its_position_and_writes_nothing(upload):
    text = DUMP.read_text()
    broken = text.replace('"kind": "Component",', '"kind": "Component"', 1)
    job = upload("entities.json", broken.encode(), strict="true")
    assert job.status == ImportJob.Status.FAILED
    ((code, line, message),) = [(p["code"], p["line"], p["message"]) for p in job.problems]
    assert code == "json"
    assert line == broken[: broken.index('"kind": "Component"')].count("\n") + 2
    assert message.startswith("JSON syntax error: Expecting ',' delimiter")
    assert Team.objects.count() == 0 and EntitySource.objects.count() == 0
