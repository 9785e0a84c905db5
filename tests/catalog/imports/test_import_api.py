"""POST /api/v1/catalog/import/ (staff only), progress by id, and the progress page."""

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from catalog.models import Api, Dependency, ImportJob, Service, Team

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).parents[1] / "descriptors" / "fixtures" / "backstage_example"
URL = "/api/v1/catalog/import/"

YAML = b"""\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: payments}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ledger}
spec: {type: service, lifecycle: production, owner: payments}
"""


def tar_of(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(directory, arcname="catalog")
    return buffer.getvalue()


def post_yaml(client, body=YAML, query=""):
    return client.post(URL + query, data=body, content_type="application/yaml")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Tests run inside a transaction: run the task queued on commit (eager Celery) right away."""

    def call(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return call


def test_staff_imports_a_yaml_body_and_sees_the_report(api_client, admin, committed):
    client = api_client(admin)
    response = committed(post_yaml, client)
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get()
    assert response.json()["id"] == job.pk
    # eager Celery in tests: the job already ran
    detail = client.get(f"{URL}{job.pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["status"] == "succeeded"
    assert body["percent"] == 100
    assert body["summary"]["created"] == 2
    assert Service.objects.get(slug="ledger").owner == Team.objects.get(slug="payments")
    job.refresh_from_db()
    assert bytes(job.payload) == b""
    assert job.created_by == admin


def test_archive_upload_follows_locations_and_text(api_client, admin, committed):
    client = api_client(admin)
    upload = io.BytesIO(tar_of(EXAMPLE))
    upload.name = "catalog.tar.gz"
    response = committed(
        client.post, URL, {"file": upload, "source": "repo:artists"}, format="multipart"
    )
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get()
    assert (job.status, job.source, job.payload_kind) == ("succeeded", "repo:artists", "tar")
    assert Api.objects.get(slug="artist-api").versions.get().version == "1.2.0"
    assert Dependency.objects.count() == 1


def test_zip_upload_and_dry_run(api_client, admin, committed):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("teams/catalog-info.yaml", YAML)
    buffer.seek(0)
    buffer.name = "c.zip"
    response = committed(
        api_client(admin).post, URL + "?dry_run=true", {"file": buffer}, format="multipart"
    )
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get()
    assert job.summary["created"] == 2 and job.summary["dry_run"] is True
    assert not Service.objects.exists()


def test_problems_are_in_the_report(api_client, admin, committed):
    response = committed(
        post_yaml, api_client(admin), YAML.replace(b"owner: payments", b"owner: nobody")
    )
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded"
    (problem,) = job.problems
    assert (problem["file"], problem["document"], problem["line"], problem["code"]) == (
        "catalog-info.yaml",
        2,
        9,
        "dangling_ref",
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"replicas: 3\n", "missing_kind"),
        (b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n", "unknown_kind"),
        (b"metadata:\n  name: {{ .Values.name }}\n  x: [\n", "yaml"),
    ],
)
def test_a_yaml_body_that_is_not_a_descriptor_is_reported_not_skipped(
    api_client, admin, committed, body, code
):
    response = committed(post_yaml, api_client(admin), body)
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert [(p["file"], p["code"]) for p in job.problems] == [("catalog-info.yaml", code)]
    assert job.summary["failed"] == 1


def test_strict_failure_is_recorded(api_client, admin, committed):
    response = committed(
        post_yaml, api_client(admin), YAML + b"---\nkind: Widget\n", query="?strict=true"
    )
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.status == "failed" and "nothing was imported" in job.error
    assert not Team.objects.exists()


@pytest.mark.parametrize("role", ["anonymous", "engineer", "owner"])
def test_only_staff_may_import_or_read(api_client, role, request):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    client = api_client(user)
    refused = 401 if role == "anonymous" else 403
    response = post_yaml(client)
    assert response.status_code == refused
    assert not ImportJob.objects.exists()
    job = ImportJob.objects.create(payload=b"x", payload_kind="yaml", source="s")
    assert client.get(f"{URL}{job.pk}/").status_code == refused


def make_tar(entries) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info, data in entries:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def tar_file(name, data=b"kind: x\n"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def tar_link(name, target):
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info, None


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (make_tar([tar_file("../evil.yaml")]), "escapes"),
        (make_tar([tar_file("/etc/evil.yaml")]), "escapes"),
        (make_tar([tar_link("link.yaml", "/etc/passwd")]), "not a regular file"),
        (b"\x1f\x8bnot really gzip", "cannot be read"),
    ],
    # stable ids: the gzip header holds a timestamp, and pytest-xdist workers must agree
    ids=["dot-dot", "absolute", "symlink", "not-gzip"],
)
def test_unsafe_or_broken_archives_are_refused(api_client, admin, payload, fragment):
    upload = io.BytesIO(payload)
    upload.name = "c.tar.gz"
    response = api_client(admin).post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert fragment in response.json()["detail"]
    assert not ImportJob.objects.exists()


def test_zip_bomb_is_refused(api_client, admin, monkeypatch):
    monkeypatch.setattr("catalog.services.imports.MAX_UNPACKED_BYTES", 1000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.yaml", b"#" * 100_000)
    buffer.seek(0)
    buffer.name = "bomb.zip"
    response = api_client(admin).post(URL, {"file": buffer}, format="multipart")
    assert response.status_code == 400
    assert "unpacks to more than" in response.json()["detail"]
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("body", [b"", b"\xff\xfe bad"])
def test_empty_or_non_utf8_body_is_refused(api_client, admin, body):
    response = post_yaml(api_client(admin), body)
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_no_payload_is_refused(api_client, admin):
    response = api_client(admin).post(URL, {"source": "x"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_unknown_job_is_404(api_client, admin):
    assert api_client(admin).get(f"{URL}999/").status_code == 404


def test_progress_page_for_staff_only(web_client, admin, engineer, api_client, committed):
    committed(post_yaml, api_client(admin))
    job = ImportJob.objects.get()
    page = web_client(admin).get(f"/catalog/imports/{job.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-status="succeeded"' in html and "2 created, 0 updated" in html
    listing = web_client(admin).get("/catalog/imports/")
    assert f"/catalog/imports/{job.pk}/" in listing.content.decode()
    partial = web_client(admin).get(f"/catalog/imports/{job.pk}/", HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"import-progress" in partial.content
    assert web_client(engineer).get(f"/catalog/imports/{job.pk}/").status_code == 302
    assert web_client(admin).get("/catalog/imports/999/").status_code == 404


def test_running_job_page_polls(web_client, admin):
    job = ImportJob.objects.create(
        payload=b"x",
        payload_kind="yaml",
        source="s",
        status="running",
        progress_done=3,
        progress_total=10,
    )
    html = web_client(admin).get(f"/catalog/imports/{job.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in html and "30%" in html


def test_empty_list_page(web_client, admin):
    assert "No imports yet." in web_client(admin).get("/catalog/imports/").content.decode()
