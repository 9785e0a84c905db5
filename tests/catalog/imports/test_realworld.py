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
    "monorepo": {
        "counts": {
            "teams": 1,
            "users": 1,
            "memberships": 1,
            "domains": 0,
            "systems": 1,
            "services": 3,
            "apis": 2,
            "versions": 2,
            "dependencies": 1,
            "links": 1,
        },
        "summary": "8 created, 0 updated, 0 unchanged, 0 failed",
        "problems": [],
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


# --------------------------------------------------------------------------- per catalog


def test_acme_org_maps_profiles_links_annotations_and_user_owners(tmp_path):
    import_tree("acme-org", tmp_path)
    platform = Team.objects.get(slug="platform")
    assert (platform.name, platform.email) == ("platform", "platform@acme.example")
    assert Team.objects.get(slug="web-team").name == "Web Experience"
    assert Team.objects.get(slug="acme").name == "ACME Corp"
    # both guests (default and development namespace) are members of platform
    assert sorted(platform.members.values_list("username", flat=True)) == [
        "ana.silva",
        "development.guest",
        "guest",
        "tom.berg",
    ]
    # spec.owner: user:guest → the guest's first group
    assert Service.objects.get(slug="guest-sandbox").owner == platform
    portal = Service.objects.get(slug="artist-portal")
    assert (portal.name, portal.kind) == ("Artist Portal", "website")
    assert portal.repository_url == "https://github.com/acme/artist-portal/tree/main/"
    assert portal.documentation_url == "https://docs.acme.example/artist-portal"
    assert portal.runbook_url == "https://runbooks.acme.example/artist-portal"
    assert portal.links[0] == {
        "url": "https://dashboard.acme.example/artist-portal",
        "title": "Dashboard",
        "icon": "dashboard",
        "type": "admin-dashboard",
    }
    assert portal.annotations["backstage.io/techdocs-ref"] == "dir:."
    assert portal.system.domain.slug == "artists"
    # labels and group fields without a column are kept for export
    source = EntitySource.objects.get(entity_ref="component:default/artist-portal")
    assert source.extra["metadata"]["labels"] == {"tier": "frontend"}
    group = EntitySource.objects.get(entity_ref="group:default/acme")
    assert group.extra["spec"]["descendants"] == ["infrastructure", "platform", "web-team"]
    # a URL definition is never fetched: an empty version, exported back as the placeholder
    public = ApiVersion.objects.get(api__slug="public-api")
    assert (public.version, public.spec) == ("1.0.0", "")
    out = StringIO()
    call_command("export_catalog", "--team", "web-team", stdout=out)
    assert "definition:\n    $text: https://github.com/acme/public-api/blob/main/openapi.yaml" in (
        out.getvalue()
    )
    assert ApiVersion.objects.get(api__slug="artist-api").version == "1.4.0"
    assert ApiVersion.objects.get(api__slug="playlist-api").version == "2.1.0"


def test_namespaced_entities_get_distinct_slugs_and_resolve_across_namespaces(tmp_path):
    import_tree("namespaces", tmp_path)
    assert sorted(Team.objects.values_list("slug", flat=True)) == ["core", "payments--core"]
    ledger = Service.objects.get(slug="payments--ledger-core")
    default = Service.objects.get(slug="ledger-core")
    assert ledger.owner.slug == "payments--core"
    assert default.owner.slug == "core"
    assert ledger.system.slug == default.system.slug == "payments--ledger"
    assert ledger.system.domain.slug == "payments--money"
    dep = Dependency.objects.get()
    assert (dep.consumer, dep.provider, dep.api_version.api.slug) == (
        default,
        ledger,
        "payments--ledger-api",
    )
    assert list(ServiceLink.objects.values_list("source__slug", "target__slug")) == [
        ("ledger-core", "payments--ledger-core")
    ]
    assert sorted(Membership.objects.values_list("team__slug", "user__username")) == [
        ("core", "payments.maria"),
        ("payments--core", "payments.maria"),
    ]


def test_api_definitions_versions_and_formats(tmp_path):
    import_tree("api-definitions", tmp_path)
    rows = {
        slug: (api_type, version, (major, minor, patch), prerelease, spec_format)
        for slug, api_type, version, major, minor, patch, prerelease, spec_format in (
            ApiVersion.objects.values_list(
                "api__slug",
                "api__type",
                "version",
                "major",
                "minor",
                "patch",
                "prerelease",
                "spec_format",
            )
        )
    }
    assert rows == {
        "orders-v1": ("openapi", "1.0.0", (1, 0, 0), "", "yaml"),
        "orders-31": ("openapi", "1.0.0", (1, 0, 0), "", "json"),
        "legacy-swagger": ("openapi", "2021-06-01", (2021, 6, 1), "", "yaml"),
        "order-events": ("asyncapi", "1.0.0-beta.1", (1, 0, 0), "beta.1", "yaml"),
        "storefront-graphql": ("graphql", "1.0.0", (1, 0, 0), "", ""),
        "inventory-grpc": ("grpc", "1.0.0", (1, 0, 0), "", ""),
        "cart-trpc": ("openapi", "1.0.0", (1, 0, 0), "", ""),
        "billing-soap": ("openapi", "1.0.0", (1, 0, 0), "", ""),
        "catalog-openapi-placeholder": ("openapi", "4.0.0", (4, 0, 0), "", "yaml"),
        "partner-api": ("openapi", "1.0.0", (1, 0, 0), "", ""),
        "no-version": ("openapi", "1.0.0", (1, 0, 0), "", "yaml"),
        "mixed-case-type": ("openapi", "1.0.0", (1, 0, 0), "", "yaml"),
    }
    assert ApiVersion.objects.get(api__slug="storefront-graphql").spec.startswith(
        '"""The storefront schema."""'
    )
    assert 'syntax = "proto3";' in ApiVersion.objects.get(api__slug="inventory-grpc").spec
    extra = dict(EntitySource.objects.filter(kind="API").values_list("entity_ref", "extra"))
    assert extra["api:default/orders-v1"]["portal.dev/definition-version"] == "v1"
    assert extra["api:default/cart-trpc"]["spec"]["type"] == "trpc"
    assert extra["api:default/mixed-case-type"]["spec"]["type"] == "OpenAPI"
    # the placeholder targets are data, not descriptors
    assert not EntitySource.objects.filter(file__startswith="specs/").exists()


def test_messy_files_are_read_or_skipped_cleanly(tmp_path):
    report, _ = import_tree("messy-files", tmp_path)
    assert Team.objects.get().slug == "data-eng"  # UTF-8 with a BOM
    jorg = get_user_model().objects.get(username="jorg")  # UTF-16 with a BOM
    assert (jorg.first_name, jorg.last_name) == ("Jörg", "Müller")
    etl = Service.objects.get(slug="etl-runner")  # CRLF
    assert etl.description == "Line endings are CRLF.\nTwo lines.\n"
    assert Service.objects.get(slug="spaced").description == "tabs\tinside values are fine"
    loader = Service.objects.get(slug="warehouse-loader")
    assert loader.annotations == {"acme.example/created": "2021-03-04"}
    extra = EntitySource.objects.get(entity_ref="component:default/warehouse-loader").extra
    assert extra["spec"] == {"sunsetReview": "2025-01-31", "1": "numeric keys are not JSON keys"}
    # the first of two duplicates wins; the second names both places
    assert Service.objects.get(slug="metrics-exporter").lifecycle == "production"
    duplicate = next(p for p in report.problems if p.code == "duplicate")
    assert "first defined in dup-a.yaml, document 1, line 1" in duplicate.message
    # Kubernetes, Helm, CI and mkdocs YAML, scaffolder skeletons: skipped, not errors
    catalog = __import__("catalog.descriptors", fromlist=["read_catalog"]).read_catalog(
        [tmp_path / "messy-files"]
    )
    assert sorted(catalog.skipped) == [
        "comments-only.yaml",
        "empty.yaml",
        "helm/Chart.yaml",
        "helm/templates/service.yaml",
        "k8s/deployment.yaml",
        "mkdocs.yml",
        "templates/new-service/skeleton/catalog-info.yaml",
    ]


def test_org_hierarchy_memberships_and_user_owners(tmp_path):
    import_tree("org-hierarchy", tmp_path)
    assert sorted(Membership.objects.values_list("team__slug", "user__username")) == [
        ("backend", "contractors.sam"),
        ("backend", "hank.scorpio"),
        ("mobile", "contractors.sam"),
        ("mobile", "hank.scorpio"),
        ("mobile", "mindy"),
    ]
    owners = dict(Service.objects.values_list("slug", "owner__slug"))
    assert owners == {
        "globex-ios": "mobile",
        "contractor-tool": "backend",
        "mindy-dashboard": "mobile",
    }
    assert Team.objects.get(slug="globex").email == "it@globex.example"
    extra = EntitySource.objects.get(entity_ref="user:default/hank.scorpio").extra
    assert extra["spec"]["profile"]["picture"] == "https://globex.example/hank.jpg"
    assert EntitySource.objects.get(entity_ref="group:default/mobile").extra["spec"]["parent"] == (
        "engineering"
    )


def test_names_map_to_unique_slugs_and_lifecycles_are_kept(tmp_path):
    import_tree("names-and-lifecycles", tmp_path)
    rows = {
        s.slug: (s.name, s.kind, s.lifecycle, s.annotations.get("portal.dev/backstage-lifecycle"))
        for s in Service.objects.all()
    }
    assert rows == {
        "billing-api-gateway": ("billing-api-gateway", "service", "production", "ga"),
        "billing-api-gateway-a389a1a8": (
            "Billing API gateway (dotted name)",
            "service",
            "experimental",
            "development",
        ),
        "billing_worker": ("Billing_Worker", "service", "experimental", "beta"),
        "billing-docs": ("billing-docs", "documentation", "deprecated", "sunset"),
        "billing-sdk-js": ("billing-sdk.js", "library", "production", "Production"),
        "billing-web": ("billing-web", "website", "experimental", "canary"),
        "billing-archive": ("billing-archive", "service", "retired", "end-of-life"),
        (
            "a-namespace-whose-name-is-also-rather-long-for-a-namespace-yes--"
            "a-very-long-component-name-that-is-exactly-sixty-three-chars-xx"
        )[:100]: (
            "a-very-long-component-name-that-is-exactly-sixty-three-chars-xx",
            "service",
            "production",
            None,
        ),
    }
    assert Team.objects.get().slug == "billing_team"


def test_slugs_stay_stable_when_a_clashing_entity_arrives_later(tmp_path):
    tree = tmp_path / "c"
    tree.mkdir()
    group = (
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: t}\nspec: {type: team}\n"
    )
    dotted = (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a.b}\n"
        "spec: {type: service, lifecycle: production, owner: t}\n"
    )
    (tree / "c.yaml").write_text(group + "---\n" + dotted)
    call_command("import_catalog", str(tree), "--no-progress", stdout=StringIO())
    assert list(Service.objects.values_list("slug", "name")) == [("a-b", "a.b")]
    (tree / "d.yaml").write_text(dotted.replace("a.b", "a-b"))
    out = StringIO()
    call_command("import_catalog", str(tree), "--no-progress", stdout=out)
    assert "1 created, 0 updated, 2 unchanged, 0 failed" in out.getvalue()
    slugs = dict(Service.objects.values_list("name", "slug"))
    assert slugs["a.b"] == "a-b"  # kept its row
    assert slugs["a-b"].startswith("a-b-") and len(slugs["a-b"]) == 12


def test_location_globs_cycles_and_refusals(tmp_path):
    import_tree("locations", tmp_path)
    assert sorted(Service.objects.values_list("slug", flat=True)) == [
        "indexer",
        "query-log",
        "search-api",
    ]
    assert sorted(
        EntitySource.objects.filter(kind="Location").values_list("entity_ref", flat=True)
    ) == [
        "location:default/back-to-root",
        "location:default/github-discovery",
    ]
    assert Team.objects.get(slug="relevance")  # found through ./teams/**/*.yaml
    assert ApiVersion.objects.get().version == "1.1.0"  # $text ../../openapi/search.yaml


def test_relations_links_subcomponents_and_systems(tmp_path):
    import_tree("relations", tmp_path)
    assert sorted(ServiceLink.objects.values_list("source__slug", "target__slug")) == [
        ("player", "playback-db"),
        ("player", "transcoder"),
        ("player-ui", "transcoder"),  # transcoder.dependencyOf
        ("transcoder", "media-bucket"),  # media-bucket.dependencyOf
    ]
    assert sorted(
        Dependency.objects.values_list("consumer__slug", "api_version__api__slug", "provider__slug")
    ) == [("player", "manifest-api", "transcoder"), ("player-ui", "playback-api", "player")]
    assert Service.objects.get(slug="media-bucket").kind == "s3-bucket"
    extra = EntitySource.objects.get(entity_ref="component:default/player-ui").extra
    assert extra["spec"]["subcomponentOf"] == "player"
    player = EntitySource.objects.get(entity_ref="component:default/player").extra
    assert player["dependsOn_other"] == ["api:manifest-api", "system:playback"]
    assert EntitySource.objects.get(entity_ref="domain:default/video").extra["spec"] == {
        "subdomainOf": "media"
    }
    out = StringIO()
    call_command("export_catalog", stdout=out)
    assert (
        "  dependsOn:\n  - component:transcoder\n  - resource:playback-db\n"
        "  - api:manifest-api\n  - system:playback\n"
    ) in out.getvalue()


def test_a_large_multi_document_file(tmp_path):
    """3,000 documents in one file, one of them broken in the middle."""
    docs = [
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: big}\nspec: {type: team}\n"
    ]
    for i in range(3000):
        if i == 1500:
            docs.append("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: [broken\n")
            continue
        docs.append(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
            f"metadata:\n  name: svc-{i:04d}\n  tags: [generated]\n"
            f"spec:\n  type: service\n  lifecycle: production\n  owner: big\n"
            + (f"  dependsOn: [svc-{i - 1:04d}]\n" if i % 10 == 1 and i != 1501 else "")
        )
    (tmp_path / "all.yaml").write_text("---\n".join(docs) + "---\n")
    out = StringIO()
    call_command("import_catalog", str(tmp_path), "--no-progress", stdout=out)
    assert "3000 created, 0 updated, 0 unchanged, 1 failed" in out.getvalue()
    text = (tmp_path / "all.yaml").read_text()
    line = text[: text.index("metadata: [broken")].count("\n") + 1
    assert f"error: all.yaml, document 1502, line {line + 1}: YAML syntax error" in out.getvalue()
    assert Service.objects.count() == 2999
    assert ServiceLink.objects.count() == 299
    out = StringIO()
    call_command("import_catalog", str(tmp_path), "--no-progress", stdout=out)
    assert "0 created, 0 updated, 3000 unchanged, 1 failed" in out.getvalue()


def test_fixing_a_failed_entity_later_completes_the_relations_that_waited_for_it(tmp_path):
    import_tree("acme-org", tmp_path)
    assert not Dependency.objects.filter(consumer__slug="playlist-service").exists()
    recommender = tmp_path / "acme-org" / "components" / "recommender.yaml"
    recommender.write_text(recommender.read_text().replace("owner: sre", "owner: platform"))
    _report, output = import_tree("acme-org", tmp_path, copy=False)
    # recommender and its API are created; playlist-service, which waited for the API, updated
    assert "2 created, 1 updated, 22 unchanged, 0 failed" in output
    dep = Dependency.objects.get(consumer__slug="playlist-service")
    assert (dep.api_version.api.slug, dep.provider.slug) == ("recommendations", "recommender")
    assert (
        "0 created, 0 updated, 25 unchanged, 0 failed"
        in import_tree("acme-org", tmp_path, copy=False)[1]
    )


def test_monorepo_checkout_reads_only_the_descriptors(tmp_path):
    import_tree("monorepo", tmp_path)
    orders = Service.objects.get(slug="orders")
    assert orders.repository_url == "https://github.com/example/shop/tree/main/services/orders"
    assert sorted(orders.tags.values_list("slug", flat=True)) == ["grpc", "python", "python3-11"]
    assert orders.annotations["prometheus.io/port"] == 9090
    assert Service.objects.get(slug="payments").owner.slug == "shop-team"  # user:dana's group
    assert sorted(ApiVersion.objects.values_list("api__slug", "version")) == [
        ("orders-api", "1.2.0"),
        ("payments-api", "3.0.0"),
    ]
    catalog = __import__("catalog.descriptors", fromlist=["read_catalog"]).read_catalog(
        [tmp_path / "monorepo"]
    )
    assert sorted(catalog.skipped) == [
        "docs/mkdocs.yml",
        "services/orders/api/openapi.yaml",
        "services/orders/api/unused-draft.yaml",
        "services/orders/deploy/values.yaml",
        "services/orders/docker-compose.yml",
    ]
    assert "vendored" not in {e.name for e in catalog.entities}  # node_modules


def test_a_user_owner_moving_to_another_group_moves_the_service(tmp_path):
    import_tree("org-hierarchy", tmp_path)
    assert Service.objects.get(slug="globex-ios").owner.slug == "mobile"
    people = tmp_path / "org-hierarchy" / "people.yaml"
    people.write_text(
        people.read_text().replace("memberOf: [mobile, backend]", "memberOf: [backend]")
    )
    _report, output = import_tree("org-hierarchy", tmp_path, copy=False)
    # hank changed; globex-ios (owner: user:hank.scorpio) follows him to backend
    assert "0 created, 2 updated" in output
    assert Service.objects.get(slug="globex-ios").owner.slug == "backend"
    assert "0 created, 0 updated" in import_tree("org-hierarchy", tmp_path, copy=False)[1]


def test_an_imported_resource_is_not_a_component_on_the_next_run(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: t}\nspec: {type: team}\n"
        "---\napiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: {name: db}\n"
        "spec: {type: database, owner: t}\n"
        "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: app}\n"
        "spec: {type: service, lifecycle: production, owner: t, dependsOn: [component:db]}\n"
    )
    for _ in range(2):  # the same answer every time: db is a Resource
        report = catalog_import(paths=[str(tmp_path)])
        assert [(p.ref, p.code) for p in report.errors] == [
            ("component:default/app", "dangling_ref")
        ]
    assert not Service.objects.filter(slug="app").exists()


def test_a_definition_of_only_comments_is_no_definition(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: t}\nspec: {type: team}\n"
        "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: app}\n"
        "spec: {type: service, lifecycle: production, owner: t, providesApis: [a]}\n"
        "---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: a}\n"
        "spec: {type: openapi, lifecycle: production, owner: t, definition: '# to do'}\n"
    )
    catalog_import(paths=[str(tmp_path)])
    assert list(ApiVersion.objects.values_list("version", "spec", "spec_format")) == [
        ("1.0.0", "", "")
    ]
