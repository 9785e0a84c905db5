"""Real-world shaped Backstage catalogs (``realworld/<name>/``) and what importing them gives.

Each catalog is modelled on what public Backstage catalogs contain: the example layout of
Backstage's own repository (Locations with ``targets``, groups with parents and children,
``$text`` definitions, URL targets), namespaces, every API definition flavour, messy files
(BOM, CRLF, tabs, trailing ``---``, Kubernetes manifests and Helm templates next to the
descriptors, scaffolder skeletons), user owners, odd names and lifecycles, Location globs
and escapes, and every relation field. For each: the rows created, the exact problems
(file, document, line, code, level), a second run that changes nothing, and an export that
imports back to the same catalog.
"""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from catalog.models import (
    Api,
    ApiVersion,
    Dependency,
    Domain,
    EntitySource,
    Membership,
    Service,
    ServiceLink,
    System,
    Team,
)
from catalog.services.imports import catalog_import

CORPUS = Path(__file__).parent / "realworld"

pytestmark = pytest.mark.django_db


def import_tree(name: str, tmp_path: Path, *, copy: bool = True):
    """Import ``realworld/<name>`` (copied to ``tmp_path``): (report, command output)."""
    tree = tmp_path / name
    if copy:
        shutil.copytree(CORPUS / name, tree, symlinks=True)
    out = StringIO()
    call_command("import_catalog", str(tree), "--no-progress", "--max-problems", "500", stdout=out)
    report = catalog_import(paths=[str(tree)], dry_run=True)
    return report, out.getvalue()


def counts() -> dict[str, int]:
    return {
        "teams": Team.objects.count(),
        "users": get_user_model().objects.count(),
        "memberships": Membership.objects.count(),
        "domains": Domain.objects.count(),
        "systems": System.objects.count(),
        "services": Service.objects.count(),
        "apis": Api.objects.count(),
        "versions": ApiVersion.objects.count(),
        "dependencies": Dependency.objects.count(),
        "links": ServiceLink.objects.count(),
    }


def problems_of(report) -> list[tuple]:
    return [(p.file, p.document, p.line, p.code, p.level) for p in report.problems]


def snapshot() -> dict:
    """The imported catalog as plain data, independent of primary keys."""
    User = get_user_model()
    return {
        "teams": sorted(Team.objects.values_list("slug", "name", "email", "description")),
        "users": sorted(User.objects.values_list("username", "email", "first_name", "last_name")),
        "members": sorted(Membership.objects.values_list("team__slug", "user__username")),
        "domains": sorted(Domain.objects.values_list("slug", "name", "owner__slug")),
        "systems": sorted(
            System.objects.values_list("slug", "name", "domain__slug", "owner__slug")
        ),
        "services": sorted(
            Service.objects.values_list(
                "slug",
                "name",
                "description",
                "kind",
                "lifecycle",
                "layer",
                "tier",
                "owner__slug",
                "system__slug",
                "repository_url",
                "documentation_url",
                "runbook_url",
            )
        ),
        "annotations": sorted(
            (s.slug, sorted(s.annotations.items())) for s in Service.objects.all()
        ),
        "tags": sorted(Service.tags.through.objects.values_list("service__slug", "tag__slug")),
        "apis": sorted(Api.objects.values_list("slug", "name", "type", "provider__slug")),
        "versions": sorted(
            ApiVersion.objects.values_list(
                "api__slug",
                "version",
                "major",
                "minor",
                "patch",
                "prerelease",
                "spec",
                "spec_format",
            )
        ),
        "deps": sorted(
            Dependency.objects.values_list(
                "consumer__slug", "api_version__api__slug", "api_version__version", "provider__slug"
            )
        ),
        "links": sorted(ServiceLink.objects.values_list("source__slug", "target__slug")),
    }


# What each catalog gives: row counts, the summary line and every problem as
# (file, document, line, code, level).
CASES: dict[str, dict] = {
    "acme-org": {
        "counts": {
            "teams": 4,
            "users": 5,
            "memberships": 5,
            "domains": 1,
            "systems": 1,
            "services": 4,
            "apis": 4,
            "versions": 4,
            "dependencies": 1,
            "links": 1,
        },
        "summary": "23 created, 0 updated, 0 unchanged, 2 failed",
        "problems": [
            ("catalog-info.yaml", 1, 13, "location_url", "warning"),
            ("apis/public-api.yaml", 1, 10, "placeholder_url", "warning"),
            ("components/recommender.yaml", 1, 10, "dangling_ref", "error"),
            ("apis/recommendations-api.yaml", 1, 1, "no_provider", "error"),
            ("components/playlist-service.yaml", 1, 14, "unresolved_ref", "warning"),
        ],
    },
    "namespaces": {
        "counts": {
            "teams": 2,
            "users": 1,
            "memberships": 2,
            "domains": 1,
            "systems": 1,
            "services": 2,
            "apis": 1,
            "versions": 1,
            "dependencies": 1,
            "links": 1,
        },
        "summary": "8 created, 0 updated, 0 unchanged, 1 failed",
        "problems": [("catalog-info.yaml", 9, 103, "dangling_ref", "error")],
    },
    "api-definitions": {
        "counts": {
            "teams": 1,
            "users": 0,
            "memberships": 0,
            "domains": 0,
            "systems": 0,
            "services": 2,
            "apis": 12,
            "versions": 12,
            "dependencies": 4,
            "links": 0,
        },
        "summary": "15 created, 0 updated, 0 unchanged, 0 failed",
        "problems": [
            ("apis.yaml", 10, 132, "placeholder_url", "warning"),
            ("apis.yaml", 7, 91, "unknown_api_type", "warning"),
            ("apis.yaml", 8, 105, "unknown_api_type", "warning"),
        ],
    },
    "messy-files": {
        "counts": {
            "teams": 1,
            "users": 1,
            "memberships": 1,
            "domains": 0,
            "systems": 0,
            "services": 5,
            "apis": 0,
            "versions": 0,
            "dependencies": 0,
            "links": 0,
        },
        "summary": "7 created, 0 updated, 0 unchanged, 2 failed",
        "problems": [
            ("tabs.yaml", 1, 6, "yaml", "error"),
            ("templates/new-service/template.yaml", 1, 2, "skipped_kind", "warning"),
            ("docs/dup-b.yaml", 1, 2, "duplicate", "error"),
        ],
    },
    "org-hierarchy": {
        "counts": {
            "teams": 4,
            "users": 4,
            "memberships": 5,
            "domains": 0,
            "systems": 1,
            "services": 3,
            "apis": 0,
            "versions": 0,
            "dependencies": 0,
            "links": 0,
        },
        "summary": "12 created, 0 updated, 0 unchanged, 3 failed",
        "problems": [
            ("org.yaml", 5, 50, "missing_field", "error"),
            ("components.yaml", 4, 36, "dangling_ref", "error"),
            ("components.yaml", 3, 27, "owner_without_team", "error"),
        ],
    },
    "names-and-lifecycles": {
        "counts": {
            "teams": 1,
            "users": 0,
            "memberships": 0,
            "domains": 0,
            "systems": 0,
            "services": 8,
            "apis": 0,
            "versions": 0,
            "dependencies": 0,
            "links": 0,
        },
        "summary": "9 created, 0 updated, 0 unchanged, 2 failed",
        "problems": [
            ("catalog-info.yaml", 10, 87, "invalid_name", "error"),
            ("catalog-info.yaml", 11, 96, "invalid_name", "error"),
        ],
    },
    "locations": {
        "counts": {
            "teams": 2,
            "users": 0,
            "memberships": 0,
            "domains": 0,
            "systems": 0,
            "services": 3,
            "apis": 1,
            "versions": 1,
            "dependencies": 1,
            "links": 0,
        },
        "summary": "8 created, 0 updated, 0 unchanged, 1 failed",
        "problems": [
            ("catalog-info.yaml", 1, 11, "location_empty", "warning"),
            ("catalog-info.yaml", 1, 12, "outside_root", "error"),
            ("catalog-info.yaml", 1, 13, "outside_root", "error"),
            ("catalog-info.yaml", 1, 14, "missing", "error"),
            ("catalog-info.yaml", 2, 25, "location_url", "warning"),
            ("catalog-info.yaml", 2, 26, "location_url", "warning"),
        ],
    },
    "relations": {
        "counts": {
            "teams": 1,
            "users": 0,
            "memberships": 0,
            "domains": 2,
            "systems": 1,
            "services": 5,
            "apis": 2,
            "versions": 2,
            "dependencies": 2,
            "links": 4,
        },
        "summary": "11 created, 0 updated, 0 unchanged, 1 failed",
        "problems": [
            ("catalog-info.yaml", 10, 101, "dangling_ref", "error"),
            ("catalog-info.yaml", 7, 61, "self_consumption", "warning"),
        ],
    },
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_import_gives_the_expected_catalog_and_problems(name, tmp_path):
    expected = CASES[name]
    report, output = import_tree(name, tmp_path)
    assert expected["summary"] in output
    assert counts() == expected["counts"]
    assert problems_of(report) == expected["problems"]
    # every problem is printed with its file, document and line
    for file, document, line, _code, level in expected["problems"]:
        assert f"{level}: {file}, document {document}, line {line}" in output


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_import_changes_nothing(name, tmp_path):
    import_tree(name, tmp_path)
    before = snapshot()
    report, output = import_tree(name, tmp_path, copy=False)
    assert "0 created, 0 updated" in output
    assert (report.created, report.updated) == (0, 0)
    assert snapshot() == before


def wipe() -> None:
    Dependency.objects.all().delete()
    ApiVersion.objects.all().delete()
    Api.objects.all().delete()
    ServiceLink.objects.all().delete()
    Service.objects.all().delete()
    System.objects.all().delete()
    Domain.objects.all().delete()
    Membership.objects.all().delete()
    Team.objects.all().delete()
    get_user_model().objects.all().delete()
    EntitySource.objects.all().delete()


@pytest.mark.parametrize("name", sorted(CASES))
def test_export_imports_back_to_the_same_catalog(name, tmp_path):
    import_tree(name, tmp_path)
    before = snapshot()
    out = tmp_path / "export"
    call_command("export_catalog", "--out", str(out), stdout=StringIO())
    wipe()
    output = StringIO()
    call_command("import_catalog", str(out), "--no-progress", stdout=output)
    assert " 0 failed" in output.getvalue(), output.getvalue()
    after = snapshot()
    assert after == before
    again = tmp_path / "again"
    call_command("export_catalog", "--out", str(again), stdout=StringIO())
    for path in sorted(p for p in out.rglob("*.yaml")):
        assert (again / path.relative_to(out)).read_text() == path.read_text(), path
