"""Reading JSON dumps of Backstage's catalog API (``/api/catalog/entities`` arrays,
``/entities/by-query`` pages) wherever YAML descriptors are read."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from catalog.descriptors import load_dump, read_catalog, resolve_catalog

DUMP = Path(__file__).parents[1] / "imports" / "realworld" / "backstage-dump" / "api"
LOCATION = "url:https://github.com/acme/shop/blob/main/catalog-info.yaml"


def served(kind: str, name: str, spec: dict | None = None, **metadata) -> dict:
    """An entity as Backstage's API serves it: namespace, uid, etag, location annotations,
    relations, status."""
    return {
        "metadata": {
            "namespace": "default",
            "annotations": {
                "backstage.io/managed-by-location": LOCATION,
                "backstage.io/managed-by-origin-location": LOCATION,
                "backstage.io/view-url": LOCATION[4:],
                "backstage.io/edit-url": LOCATION[4:].replace("/blob/", "/edit/"),
                "backstage.io/source-location": "url:https://github.com/acme/shop/tree/main/",
            },
            "name": name,
            "uid": f"uid-{name}",
            "etag": f"etag-{name}",
            **metadata,
        },
        "apiVersion": "backstage.io/v1alpha1",
        "kind": kind,
        "spec": spec if spec is not None else {},
        "relations": [{"type": "ownedBy", "targetRef": "group:default/team-a"}],
        "status": {"items": []},
    }


def component(name: str, **metadata) -> dict:
    spec = {"type": "service", "lifecycle": "production", "owner": "team-a"}
    return served("Component", name, spec, **metadata)


TEAM = served("Group", "team-a", {"type": "team", "children": []})


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def page(items: list, total: int | None = None, cursor: str | None = None) -> str:
    info = {"nextCursor": cursor} if cursor else {}
    return json.dumps(
        {"items": items, "totalItems": len(items) if total is None else total, "pageInfo": info}
    )


# --------------------------------------------------------------------------- shapes


def test_an_array_dump_reads_every_entity_with_its_index_and_line(tmp_path):
    path = write(tmp_path / "entities.json", json.dumps([TEAM, component("a")], indent=2))
    catalog = read_catalog([path])
    assert catalog.problems == []
    assert catalog.files == ["entities.json"]
    assert [(e.kind, e.name, e.document) for e in catalog.entities] == [
        ("Group", "team-a", 1),
        ("Component", "a", 2),
    ]
    # pretty-printed: the line where each entity's "{" is
    text = path.read_text().splitlines()
    assert [text[e.line - 1].strip() for e in catalog.entities] == ["{", "{"]
    assert catalog.entities[1].line > catalog.entities[0].line > 1
    assert all(e.origin == LOCATION for e in catalog.entities)


def test_a_by_query_page_reads_its_items(tmp_path):
    write(tmp_path / "page-1.json", page([TEAM, component("a"), component("b")]))
    catalog = read_catalog([tmp_path / "page-1.json"])
    assert catalog.problems == []
    assert [(e.name, e.document, e.line) for e in catalog.entities] == [
        ("team-a", 1, 1),
        ("a", 2, 1),
        ("b", 3, 1),
    ]


def test_a_pretty_printed_page_gives_the_line_of_each_item(tmp_path):
    text = json.dumps(json.loads(page([TEAM, component("a")])), indent=2)
    dump = load_dump(text, file="p.json")
    lines = text.splitlines()
    assert dump.shape == "page"
    assert [d.index for d in dump.documents] == [1, 2]
    assert all(lines[d.line - 1].strip() == "{" for d in dump.documents)
    assert lines[dump.documents[0].line - 2].strip() == '"items": ['


def test_several_pages_in_a_directory_and_a_missing_page_is_reported(tmp_path):
    write(tmp_path / "dump/page-1.json", page([TEAM, component("a")], total=4, cursor="c2"))
    write(tmp_path / "dump/page-2.json", page([component("b"), component("c")], total=4))
    catalog = read_catalog([tmp_path / "dump"])
    assert catalog.problems == []
    assert catalog.files == ["page-1.json", "page-2.json"]
    assert sorted(e.name for e in catalog.entities) == ["a", "b", "c", "team-a"]

    (tmp_path / "dump/page-2.json").unlink()
    catalog = read_catalog([tmp_path / "dump"])
    ((file, code, level, message),) = [
        (p.file, p.code, p.level, p.message) for p in catalog.problems
    ]
    assert (file, code, level) == ("page-1.json", "dump_incomplete", "warning")
    assert "2 entities" in message and "totalItems 4" in message


def test_a_single_entity_object_is_read(tmp_path):
    write(tmp_path / "by-name.json", json.dumps(component("solo"), indent=2))
    catalog = read_catalog([tmp_path])
    assert [(e.name, e.document, e.line) for e in catalog.entities] == [("solo", 1, 1)]


def test_by_refs_nulls_are_skipped_and_keep_the_indices(tmp_path):
    write(tmp_path / "refs.json", json.dumps({"items": [None, TEAM, None, component("a")]}))
    catalog = read_catalog([tmp_path])
    assert [(e.name, e.document) for e in catalog.entities] == [("team-a", 2), ("a", 4)]


def test_mixed_yaml_and_json_tree(tmp_path):
    write(
        tmp_path / "yaml/catalog-info.yaml",
        textwrap.dedent(
            """\
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: from-yaml
            spec:
              type: service
              lifecycle: production
              owner: team-a
            """
        ),
    )
    write(tmp_path / "dump/entities.json", json.dumps([TEAM, component("from-json")]))
    catalog = resolve_catalog(read_catalog([tmp_path]))
    assert catalog.problems == []
    assert catalog.files == ["dump/entities.json", "yaml/catalog-info.yaml"]
    assert sorted(e.name for e in catalog.entities) == ["from-json", "from-yaml", "team-a"]
    yaml_entity = next(e for e in catalog.entities if e.name == "from-yaml")
    assert yaml_entity.origin == "" and yaml_entity.line == 1


def test_a_json_file_that_starts_like_json_but_is_named_yaml_is_read_as_a_dump(tmp_path):
    """An uploaded body is saved as catalog-info.yaml: detection is by content."""
    path = write(tmp_path / "catalog-info.yaml", json.dumps([TEAM, component("a")]))
    catalog = read_catalog([path])
    assert catalog.problems == []
    assert [e.name for e in catalog.entities] == ["team-a", "a"]
    assert catalog.entities[1].document == 2
    assert catalog.entities[1].origin == LOCATION  # read as a dump, not as YAML


def test_yaml_flow_style_starting_with_a_brace_is_still_yaml(tmp_path):
    path = write(
        tmp_path / "c.yaml",
        '{"apiVersion": backstage.io/v1alpha1, kind: Group, metadata: {name: t}, '
        "spec: {type: team, children: []}}\n",
    )
    catalog = read_catalog([path])
    assert catalog.problems == []
    assert [(e.kind, e.name) for e in catalog.entities] == [("Group", "t")]


# --------------------------------------------------------------------------- same handling


def test_server_fields_are_ignored():
    (document,) = load_dump(json.dumps([component("a")])).documents
    assert set(document.data) == {"apiVersion", "kind", "metadata", "spec"}
    assert document.data["metadata"] == {"name": "a"}  # uid, etag, namespace default, …
    assert document.origin == LOCATION


def test_annotations_the_entity_declared_are_kept():
    entity = component("a")
    entity["metadata"]["annotations"].update(
        {
            "github.com/project-slug": "acme/a",
            # not what Backstage derives from the location: the entity's own
            "backstage.io/source-location": "url:https://github.com/acme/a/tree/main/",
        }
    )
    entity["metadata"]["namespace"] = "payments"
    (document,) = load_dump(json.dumps([entity])).documents
    assert document.data["metadata"] == {
        "name": "a",
        "namespace": "payments",
        "annotations": {
            "github.com/project-slug": "acme/a",
            "backstage.io/source-location": "url:https://github.com/acme/a/tree/main/",
        },
    }


def test_a_dump_and_the_yaml_it_came_from_hash_the_same(tmp_path):
    yaml_catalog = read_catalog([DUMP.parent / "yaml"])
    dump_catalog = read_catalog([DUMP])
    expected = {e.key: e.content_hash for e in yaml_catalog.entities if e.kind != "Location"}
    assert {e.key: e.content_hash for e in dump_catalog.entities} == expected
    assert len(expected) == 17


def test_entities_repeated_in_a_dump_are_duplicates(tmp_path):
    write(tmp_path / "entities.json", json.dumps([TEAM, component("a"), component("a")], indent=1))
    catalog = resolve_catalog(read_catalog([tmp_path]))
    assert [e.name for e in catalog.entities] == ["team-a", "a"]
    (problem,) = catalog.problems
    assert (problem.code, problem.document, problem.ref) == (
        "duplicate",
        3,
        "component:default/a",
    )
    first = catalog.entities[1]
    assert f"first defined in entities.json, document 2, line {first.line}" in problem.message
    assert problem.origin == LOCATION
    assert str(problem).startswith(f"entities.json, document 3, line {problem.line} (from url:")


def test_an_invalid_entity_gets_the_yaml_problem_at_its_index(tmp_path):
    bad = component("Not A Name!")
    no_kind = component("b")
    del no_kind["kind"]
    write(tmp_path / "entities.json", json.dumps([TEAM, bad, no_kind]))
    catalog = read_catalog([tmp_path])
    assert [e.name for e in catalog.entities] == ["team-a"]
    assert [(p.document, p.line, p.code) for p in catalog.problems] == [
        (2, 1, "invalid_name"),
        (3, 1, "missing_kind"),
    ]
    assert all(p.origin == LOCATION for p in catalog.problems)


def test_placeholders_left_in_a_dump_are_not_followed(tmp_path):
    write(tmp_path / "secret.txt", "do not read")
    api = served(
        "API",
        "x",
        {"type": "openapi", "lifecycle": "production", "owner": "team-a"},
    )
    api["spec"]["definition"] = {"$text": "./secret.txt"}
    write(tmp_path / "entities.json", json.dumps([api]))
    (entity,) = read_catalog([tmp_path / "entities.json"]).entities
    assert entity.spec["definition"] == {"$text": "./secret.txt"}


# --------------------------------------------------------------------------- refusals


def test_malformed_json_is_one_problem_with_its_position(tmp_path):
    text = json.dumps([TEAM, component("a")], indent=2)
    broken = text.replace('"kind": "Component",', '"kind": "Component"', 1)
    write(tmp_path / "entities.json", broken)
    catalog = read_catalog([tmp_path])
    assert catalog.entities == []
    (problem,) = catalog.problems
    expected_line = broken[: broken.index('"kind": "Component"')].count("\n") + 2
    assert (problem.file, problem.document, problem.line, problem.code) == (
        "entities.json",
        None,
        expected_line,
        "json",
    )
    assert problem.message.startswith(
        f"JSON syntax error: Expecting ',' delimiter (line {expected_line}, column "
    )


def test_a_truncated_one_line_dump_names_the_character(tmp_path):
    text = json.dumps([TEAM, component("a")])[:-1]  # the closing "]" is missing
    path = write(tmp_path / "entities.json", text)
    (problem,) = read_catalog([path]).problems
    assert problem.code == "json" and problem.line == 1
    assert problem.message.startswith("JSON syntax error: Expecting ',' delimiter (line 1,")
    assert problem.message.endswith(f"character {len(text)})")


def test_json_that_is_not_a_catalog_is_skipped_in_a_scan(tmp_path):
    write(tmp_path / "package.json", json.dumps({"name": "x", "dependencies": {}}))
    write(tmp_path / "app-config.json", json.dumps({"apiVersion": "backstage.io/v1", "rules": []}))
    write(tmp_path / "broken.json", "{not json")
    write(tmp_path / "k8s.json", json.dumps([{"apiVersion": "v1", "kind": "Service"}]))
    write(tmp_path / "entities.json", json.dumps([TEAM]))
    catalog = read_catalog([tmp_path])
    assert catalog.problems == []
    assert catalog.files == ["entities.json"]
    # JSON that mentions Backstage is listed as skipped; other JSON is not even looked at
    assert catalog.skipped == ["app-config.json"]


def test_a_kubernetes_list_mentioning_backstage_is_skipped_in_a_scan_but_checked_if_named(
    tmp_path,
):
    """As for YAML: a scan reads only Backstage entities; a file given explicitly is read."""
    items = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "backstage.io/x"}}]
    path = write(tmp_path / "k8s.json", json.dumps(items))
    catalog = read_catalog([tmp_path])
    assert (catalog.files, catalog.skipped, catalog.problems) == ([], ["k8s.json"], [])
    catalog = read_catalog([path])
    assert catalog.files == ["k8s.json"]
    assert [p.code for p in catalog.problems] == ["unknown_kind"]


def test_a_broken_dump_found_by_a_scan_is_reported_not_skipped(tmp_path):
    text = json.dumps([TEAM, component("a")], indent=2)
    write(tmp_path / "dump/entities.json", text[: len(text) // 2])
    catalog = read_catalog([tmp_path])
    assert catalog.skipped == [] and catalog.entities == []
    assert catalog.files == ["dump/entities.json"]
    assert [(p.file, p.code, p.level) for p in catalog.problems] == [
        ("dump/entities.json", "json", "error")
    ]


def test_an_explicit_json_file_that_is_not_a_catalog_is_an_error(tmp_path):
    path = write(tmp_path / "package.json", json.dumps({"name": "x"}))
    (problem,) = read_catalog([path]).problems
    assert (problem.code, problem.level) == ("not_catalog", "error")
    assert "not a Backstage catalog" in str(problem)


def test_an_empty_page_is_a_catalog_with_nothing_in_it(tmp_path):
    path = write(tmp_path / "page.json", page([]))
    catalog = read_catalog([path])
    assert (catalog.entities, catalog.problems, catalog.files) == ([], [], ["page.json"])


def test_locations_in_a_dump_are_skipped_not_followed(tmp_path):
    write(tmp_path / "other.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Group\n")
    location = served("Location", "root", {"type": "file", "targets": ["./other.yaml"]})
    write(tmp_path / "dump/entities.json", json.dumps([location, TEAM], indent=2))
    catalog = read_catalog([tmp_path / "dump"])
    assert [e.name for e in catalog.entities] == ["team-a"]
    assert catalog.files == ["entities.json"]  # other.yaml was not followed
    (problem,) = catalog.problems
    assert (problem.code, problem.level, problem.document, problem.line) == (
        "location_dump",
        "warning",
        1,
        2,
    )
    assert "Location 'root' skipped" in problem.message
    assert "not followed" in problem.message
    assert problem.origin == LOCATION


def test_the_corpus_dump_reads_cleanly():
    catalog = resolve_catalog(read_catalog([DUMP / "entities.json"]))
    assert catalog.errors == []
    assert [p.code for p in catalog.problems] == ["location_dump"] * 3
    assert len(catalog.entities) == 17
    kinds = sorted({e.kind for e in catalog.entities})
    assert kinds == ["API", "Component", "Domain", "Group", "Resource", "System", "User"]
    api = next(e for e in catalog.entities if e.name == "payments-api")
    assert api.spec["definition"].startswith("openapi: 3.0.3\n")
