"""The example layout of Backstage's own documentation, read end to end."""

from pathlib import Path

import pytest

from catalog.descriptors import read_catalog, resolve_catalog

EXAMPLE = Path(__file__).parent / "fixtures" / "backstage_example"

KEYS = [
    "api:default/artist-api",
    "component:default/artist-lookup",
    "component:default/artist-web",
    "domain:default/artists",
    "group:default/artist-relations-team",
    "group:default/infrastructure",
    "location:default/example-catalog",
    "resource:default/artists-db",
    "system:default/artist-engagement-portal",
    "user:default/breanna.davison",
    "user:default/jdoe",
]


@pytest.mark.parametrize("entry", ["catalog-info.yaml", "."])
def test_example_catalog_reads_from_the_location_or_the_directory(entry):
    catalog = resolve_catalog(read_catalog([EXAMPLE / entry]))
    assert sorted(e.key for e in catalog.entities) == KEYS
    assert [p.code for p in catalog.errors] == []
    # the remote Location target is reported, never fetched
    assert [p.code for p in catalog.warnings] == ["location_url"]
    assert "components/artist-web/artist-api.oas.yaml" in catalog.skipped or entry != "."


def test_example_relations_and_text_definition():
    catalog = resolve_catalog(read_catalog([EXAMPLE / "catalog-info.yaml"]))
    by_key = {e.key: e for e in catalog.entities}
    api = by_key["api:default/artist-api"]
    assert "title: Artist API" in api.spec["definition"]
    assert api.file == "components/artist-web/catalog-info.yaml"
    assert (api.document, api.line) == (2, 26)
    lookup = by_key["component:default/artist-lookup"]
    assert [str(r) for r in lookup.refs["consumesApis"]] == ["api:default/artist-api"]
    assert [str(r) for r in lookup.refs["dependsOn"]] == [
        "component:default/artist-web",
        "resource:default/artists-db",
    ]
    web = by_key["component:default/artist-web"]
    assert [str(r) for r in web.refs["providesApis"]] == ["api:default/artist-api"]
    assert web.metadata["links"][0]["title"] == "Admin Dashboard"
    assert by_key["user:default/breanna.davison"].refs["memberOf"][0].name == "infrastructure"
    assert (
        by_key["group:default/artist-relations-team"].spec["profile"]["displayName"]
        == "Artist Relations"
    )
