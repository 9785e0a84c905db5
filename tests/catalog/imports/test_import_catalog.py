"""import_catalog / export_catalog through the management commands, checking the database."""

import shutil
import textwrap
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

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
from tests.catalog.factories import TeamFactory

EXAMPLE = Path(__file__).parents[1] / "descriptors" / "fixtures" / "backstage_example"

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(tmp_path):
    target = tmp_path / "catalog"
    shutil.copytree(EXAMPLE, target)
    return target


def run(*args) -> str:
    out = StringIO()
    call_command("import_catalog", *map(str, args), "--no-progress", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """The catalog as plain data, independent of primary keys."""
    return {
        "teams": sorted(Team.objects.values_list("slug", "name", "email", "description")),
        "members": sorted(Membership.objects.values_list("team__slug", "user__username")),
        "domains": sorted(Domain.objects.values_list("slug", "owner__slug")),
        "systems": sorted(System.objects.values_list("slug", "domain__slug", "owner__slug")),
        "services": sorted(
            Service.objects.values_list(
                "slug", "name", "kind", "lifecycle", "layer", "tier", "owner__slug", "system__slug"
            )
        ),
        "tags": sorted(Service.tags.through.objects.values_list("service__slug", "tag__slug")),
        "apis": sorted(Api.objects.values_list("slug", "type", "provider__slug")),
        "versions": sorted(ApiVersion.objects.values_list("api__slug", "version", "spec")),
        "deps": sorted(
            Dependency.objects.values_list(
                "consumer__slug", "api_version__api__slug", "provider__slug"
            )
        ),
        "links": sorted(ServiceLink.objects.values_list("source__slug", "target__slug")),
    }


def test_backstage_example_imports_every_kind(tree):
    output = run(tree)
    assert "11 created, 0 updated, 0 unchanged, 0 failed" in output
    assert "is a URL and was not followed" in output
    team = Team.objects.get(slug="artist-relations-team")
    assert (team.name, team.email) == ("Artist Relations", "artist-relations@example.com")
    User = get_user_model()
    jdoe = User.objects.get(username="jdoe")
    assert (jdoe.email, jdoe.first_name, jdoe.last_name) == (
        "jenny-doe@example.com",
        "Jenny",
        "Doe",
    )
    assert not jdoe.has_usable_password()
    assert sorted(Membership.objects.values_list("team__slug", "user__username")) == [
        ("artist-relations-team", "breanna.davison"),
        ("artist-relations-team", "jdoe"),
        ("infrastructure", "breanna.davison"),
    ]
    web = Service.objects.get(slug="artist-web")
    assert (web.kind, web.lifecycle, web.owner, web.system.slug) == (
        "website",
        "production",
        team,
        "artist-engagement-portal",
    )
    assert web.system.domain.slug == "artists"
    assert web.annotations["circleci.com/project-slug"] == "github/example-org/artist-website"
    assert web.links[0]["title"] == "Admin Dashboard"
    assert list(web.tags.values_list("slug", flat=True)) == ["java"]
    db = Service.objects.get(slug="artists-db")
    assert db.kind == "database"
    api = Api.objects.get(slug="artist-api")
    assert (api.provider, api.type) == (web, "openapi")
    version = api.versions.get()
    assert (version.version, version.major, version.minor) == ("1.2.0", 1, 2)
    assert "title: Artist API" in version.spec
    dep = Dependency.objects.get()
    assert (dep.consumer.slug, dep.api_version, dep.provider) == ("artist-lookup", version, web)
    assert sorted(ServiceLink.objects.values_list("source__slug", "target__slug")) == [
        ("artist-lookup", "artist-web"),
        ("artist-lookup", "artists-db"),
        ("artist-web", "artists-db"),
    ]
    assert EntitySource.objects.count() == 11


def test_second_import_changes_nothing(tree, django_assert_max_num_queries):
    run(tree)
    before = snapshot()
    stamps = dict(Service.objects.values_list("slug", "updated_at"))
    output = run(tree)
    assert "0 created, 0 updated, 11 unchanged, 0 failed" in output
    assert snapshot() == before
    assert dict(Service.objects.values_list("slug", "updated_at")) == stamps


def test_unchanged_reimport_uses_a_constant_number_of_queries(
    tree, tmp_path, django_assert_max_num_queries
):
    run(tree)
    with django_assert_max_num_queries(30):
        run(tree)


def test_changed_file_updates_only_what_changed(tree):
    run(tree)
    path = tree / "components" / "artist-lookup" / "catalog-info.yaml"
    text = path.read_text().replace("lifecycle: experimental", "lifecycle: production")
    text = text.replace("    - component:artist-web\n", "")
    path.write_text(text)
    (tree / "components" / "artist-web" / "artist-api.oas.yaml").write_text(
        (tree / "components" / "artist-web" / "artist-api.oas.yaml")
        .read_text()
        .replace("1.2.0", "1.3.0")
    )
    web_stamp = Service.objects.get(slug="artist-web").updated_at
    output = run(tree)
    assert "0 created, 2 updated, 9 unchanged, 0 failed" in output
    assert Service.objects.get(slug="artist-lookup").lifecycle == "production"
    assert Service.objects.get(slug="artist-web").updated_at == web_stamp
    assert sorted(ServiceLink.objects.values_list("source__slug", "target__slug")) == [
        ("artist-lookup", "artists-db"),
        ("artist-web", "artists-db"),
    ]
    assert sorted(ApiVersion.objects.values_list("version", flat=True)) == ["1.2.0", "1.3.0"]
    # the existing consumer keeps its dependency (on the version it declared)
    assert Dependency.objects.get().api_version.version == "1.2.0"


def test_consumes_removed_deletes_the_dependency(tree):
    run(tree)
    path = tree / "components" / "artist-lookup" / "catalog-info.yaml"
    path.write_text(path.read_text().replace("  consumesApis:\n    - api:default/artist-api\n", ""))
    run(tree)
    assert Dependency.objects.count() == 0


def test_dry_run_writes_nothing_and_shows_the_plan(tree):
    output = run(tree, "--dry-run")
    assert "11 would be created" in output
    assert "+ component:default/artist-web" in output
    assert Team.objects.count() == 0 and EntitySource.objects.count() == 0


def test_disappeared_entities_are_reported_then_pruned(tree):
    run(tree)
    shutil.rmtree(tree / "components" / "artist-lookup")
    output = run(tree)
    assert "component:default/artist-lookup" in output and "use --prune" in output
    assert Service.objects.filter(slug="artist-lookup").exists()
    output = run(tree, "--prune", "--dry-run")
    assert "would be pruned" in output
    assert Service.objects.filter(slug="artist-lookup").exists()
    output = run(tree, "--prune")
    assert "1 stale (1 pruned)" in output
    assert not Service.objects.filter(slug="artist-lookup").exists()
    assert Dependency.objects.count() == 0
    assert not EntitySource.objects.filter(entity_ref="component:default/artist-lookup").exists()
    assert "0 created, 0 updated, 10 unchanged" in run(tree, "--prune")


def test_prune_only_touches_the_same_source(tree, tmp_path):
    run(tree)
    other = tmp_path / "other"
    other.mkdir()
    (other / "team.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: other}\nspec: {type: team, children: []}\n"
    )
    output = run(other, "--prune")
    assert "1 created, 0 updated, 0 unchanged, 0 failed (" in output
    assert Service.objects.count() == 3


def test_bad_documents_are_reported_and_the_rest_imports(tree):
    (tree / "broken.yaml").write_text(
        textwrap.dedent(
            """\
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata: {name: orphan}
            spec: {type: service, lifecycle: production, owner: nobody}
            ---
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata: [oops
            ---
            apiVersion: backstage.io/v1alpha1
            metadata: {name: no-kind}
            """
        )
    )
    output = run(tree)
    assert (
        "broken.yaml, document 1, line 4 [component:default/orphan]: spec.owner: group:default/nobody does not match any Group"
        in output
    )
    assert "broken.yaml, document 2, line" in output and "YAML syntax error" in output
    assert "broken.yaml, document 3, line 10: missing 'kind'" in output
    assert "11 created, 0 updated, 0 unchanged, 3 failed" in output
    assert not Service.objects.filter(slug="orphan").exists()


def test_strict_imports_nothing_when_a_document_fails(tree):
    (tree / "broken.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Widget\nmetadata: {name: w}\n"
    )
    with pytest.raises(CommandError, match="--strict"):
        run(tree, "--strict")
    assert Team.objects.count() == 0 and Service.objects.count() == 0


def test_references_resolve_against_rows_already_in_the_portal(tmp_path):
    TeamFactory(slug="payments")
    (tmp_path / "c.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: ledger}\n"
        "spec: {type: service, lifecycle: beta, owner: 'group:default/payments'}\n"
    )
    run(tmp_path)
    ledger = Service.objects.get(slug="ledger")
    assert ledger.owner.slug == "payments"
    assert ledger.lifecycle == "experimental"
    assert ledger.annotations["portal.dev/backstage-lifecycle"] == "beta"


def test_api_without_provider_fails_with_its_location(tmp_path):
    TeamFactory(slug="payments")
    (tmp_path / "a.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: lonely}\n"
        "spec: {type: openapi, lifecycle: production, owner: payments, definition: 'openapi: 3.0.0'}\n"
    )
    output = run(tmp_path)
    assert (
        "a.yaml, document 1, line 1 [api:default/lonely]: api:default/lonely is not provided by any Component"
        in output
    )
    assert not Api.objects.exists()


def test_version_coercion_and_layer_tier_annotations(tmp_path):
    TeamFactory(slug="payments")
    (tmp_path / "c.yaml").write_text(
        textwrap.dedent(
            """\
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: ledger
              annotations: {portal.dev/layer: base, portal.dev/tier: "1"}
            spec: {type: service, lifecycle: production, owner: payments, providesApis: [ledger-api]}
            ---
            apiVersion: backstage.io/v1alpha1
            kind: API
            metadata: {name: ledger-api}
            spec:
              type: grpc
              lifecycle: production
              owner: payments
              definition: |
                openapi: 3.0.0
                info: {title: x, version: "2"}
            """
        )
    )
    run(tmp_path)
    ledger = Service.objects.get(slug="ledger")
    assert (ledger.layer, ledger.tier) == ("base", 1)
    assert "portal.dev/tier" not in ledger.annotations
    api = Api.objects.get()
    assert api.type == "grpc"
    assert api.versions.get().version == "2.0.0"
    assert (
        EntitySource.objects.get(entity_ref="api:default/ledger-api").extra[
            "portal.dev/definition-version"
        ]
        == "2"
    )


def test_export_round_trips_to_the_same_catalog(tree, tmp_path, django_db_reset_sequences=None):
    run(tree)
    before = snapshot()
    out = tmp_path / "export"
    call_command("export_catalog", "--out", str(out), stdout=StringIO())
    exported = (out / "teams" / "artist-relations-team" / "catalog-info.yaml").read_text()
    assert "consumesApis:\n  - artist-api" in exported
    assert "definition: |\n    openapi: 3.0.0" in exported
    # wipe the catalog and import the export
    Dependency.objects.all().delete()
    Api.objects.all().delete()
    ServiceLink.objects.all().delete()
    Service.objects.all().delete()
    System.objects.all().delete()
    Domain.objects.all().delete()
    Membership.objects.all().delete()
    Team.objects.all().delete()
    get_user_model().objects.all().delete()
    EntitySource.objects.all().delete()
    output = run(out)
    assert "0 failed" in output
    assert snapshot() == before
    # and exporting again gives the same YAML
    again = tmp_path / "again"
    call_command("export_catalog", "--out", str(again), stdout=StringIO())
    assert (again / "org.yaml").read_text() == (out / "org.yaml").read_text()
    assert (again / "teams" / "artist-relations-team" / "catalog-info.yaml").read_text() == exported


def test_export_one_team_to_stdout(tree):
    run(tree)
    out = StringIO()
    call_command("export_catalog", "--team", "infrastructure", stdout=out)
    text = out.getvalue()
    assert "name: infrastructure" in text and "kind: Component" not in text
    with pytest.raises(CommandError, match="No team"):
        call_command("export_catalog", "--team", "nope", stdout=StringIO())


def test_api_moving_to_another_provider_keeps_dependency_provider_in_sync(tree):
    run(tree)
    web = tree / "components" / "artist-web" / "catalog-info.yaml"
    web.write_text(web.read_text().replace("  providesApis: [artist-api]\n", ""))
    lookup = tree / "components" / "artist-lookup" / "catalog-info.yaml"
    lookup.write_text(
        lookup.read_text().replace(
            "  consumesApis:\n    - api:default/artist-api\n", "  providesApis: [artist-api]\n"
        )
    )
    db = tree / "components" / "artist-web" / "catalog-info.yaml"
    db.write_text(
        db.read_text().replace(
            "  dependsOn: [resource:artists-db]\n",
            "  dependsOn: [resource:artists-db]\n  consumesApis: [artist-api]\n",
        )
    )
    output = run(tree)
    assert "0 failed" in output
    api = Api.objects.get(slug="artist-api")
    assert api.provider.slug == "artist-lookup"
    dep = Dependency.objects.get()
    assert (dep.consumer.slug, dep.provider.slug) == ("artist-web", "artist-lookup")
