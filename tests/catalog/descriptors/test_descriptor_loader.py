"""Reading YAML streams, files, directories, Locations and placeholders."""

import os
import textwrap
from pathlib import Path

import pytest

from catalog.descriptors import load_documents, read_catalog, read_text

COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
spec:
  type: service
  lifecycle: production
  owner: team-a
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_multi_document_stream_keeps_indices_and_lines():
    text = "---\n" + COMPONENT.format(name="a") + "---\n# comment\n" + COMPONENT.format(name="b")
    documents, problems = load_documents(text)
    assert problems == []
    assert [d.index for d in documents] == [1, 2]
    assert [d.line for d in documents] == [2, 12]
    assert documents[1].lines["metadata.name"] == 15
    assert documents[1].lines["spec.owner"] == 19
    assert documents[1].data["metadata"]["name"] == "b"


def test_sequence_item_lines_are_recorded():
    documents, _ = load_documents("kind: Component\nspec:\n  consumesApis:\n    - a\n    - b\n")
    assert documents[0].lines["spec.consumesApis[1]"] == 5


def test_syntax_error_reports_document_and_line_and_keeps_the_others():
    text = (
        COMPONENT.format(name="a")
        + "---\nmetadata: [unclosed\nspec: {}\n---\n"
        + COMPONENT.format(name="c")
    )
    catalog = read_text(text, file="teams.yaml")
    assert [e.name for e in catalog.entities] == ["a", "c"]
    assert [e.document for e in catalog.entities] == [1, 3]
    (problem,) = catalog.problems
    assert problem.file == "teams.yaml"
    assert problem.document == 2
    assert problem.code == "yaml"
    assert problem.line in (10, 11)
    assert "teams.yaml, document 2, line" in str(problem)


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        (
            "apiVersion: backstage.io/v1alpha1\nmetadata: {name: x}\n",
            "missing_kind",
            "missing 'kind'",
        ),
        (
            "apiVersion: backstage.io/v1alpha1\nkind: Widget\nmetadata: {name: x}\n",
            "unknown_kind",
            "unknown kind 'Widget'",
        ),
        ("kind: Component\nmetadata: {name: x}\n", "missing_api_version", "apiVersion"),
        (
            "apiVersion: v1\nkind: Component\nmetadata: {name: x}\n",
            "unknown_api_version",
            "unsupported apiVersion",
        ),
        ("apiVersion: backstage.io/v1alpha1\nkind: Component\n", "missing_metadata", "metadata"),
        (
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {title: x}\n",
            "missing_name",
            "metadata.name",
        ),
        (
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: 'a b'}\n",
            "invalid_name",
            "not valid",
        ),
        (
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a, namespace: A_B}\n",
            "invalid_namespace",
            "namespace",
        ),
        (
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a}\nspec: [1]\n",
            "invalid_spec",
            "spec",
        ),
        ("- just\n- a list\n", "not_mapping", "mapping"),
    ],
)
def test_bad_documents_are_reported_with_location(body, code, fragment):
    text = COMPONENT.format(name="ok") + "---\n" + body
    catalog = read_text(text, file="bad.yaml")
    assert [e.name for e in catalog.entities] == ["ok"]
    (problem,) = catalog.problems
    assert (problem.file, problem.document, problem.code) == ("bad.yaml", 2, code)
    assert problem.line >= 10
    assert fragment in problem.message


def test_unknown_kind_points_at_the_kind_line():
    catalog = read_text("apiVersion: backstage.io/v1alpha1\nmetadata: {name: x}\nkind: Widget\n")
    assert catalog.problems[0].line == 3


def test_directory_scan_reads_yaml_recursively_and_skips_non_descriptors(tmp_path):
    write(tmp_path / "a" / "catalog-info.yaml", COMPONENT.format(name="a"))
    write(tmp_path / "b" / "deep" / "x.yml", COMPONENT.format(name="b"))
    write(tmp_path / "b" / "values.yaml", "replicas: 3\n")
    write(tmp_path / ".git" / "c.yaml", COMPONENT.format(name="hidden"))
    write(tmp_path / "notes.txt", COMPONENT.format(name="txt"))
    catalog = read_catalog([tmp_path])
    assert sorted(e.name for e in catalog.entities) == ["a", "b"]
    assert catalog.files == ["a/catalog-info.yaml", "b/deep/x.yml"]
    assert catalog.skipped == ["b/values.yaml"]
    assert catalog.problems == []


def test_explicit_file_that_is_not_a_descriptor_is_an_error(tmp_path):
    path = write(tmp_path / "values.yaml", "replicas: 3\n")
    catalog = read_catalog([path])
    assert catalog.entities == []
    assert catalog.problems[0].code == "missing_kind"
    assert catalog.problems[0].file == "values.yaml"


def test_missing_path_is_reported(tmp_path):
    catalog = read_catalog([tmp_path / "nope"])
    assert catalog.problems[0].code == "missing"


def test_location_targets_are_followed_once_with_globs(tmp_path):
    write(
        tmp_path / "catalog-info.yaml",
        """\
        apiVersion: backstage.io/v1alpha1
        kind: Location
        metadata: {name: root}
        spec:
          type: url
          target: ./teams/a.yaml
          targets: [./teams/*.yaml, ./teams/a.yaml]
        """,
    )
    write(tmp_path / "teams" / "a.yaml", COMPONENT.format(name="a"))
    write(tmp_path / "teams" / "b.yaml", COMPONENT.format(name="b"))
    catalog = read_catalog([tmp_path / "catalog-info.yaml"])
    assert sorted(e.key for e in catalog.entities) == [
        "component:default/a",
        "component:default/b",
        "location:default/root",
    ]
    assert catalog.problems == []


def test_location_never_leaves_the_root_or_reads_the_network(tmp_path):
    outside = write(tmp_path / "secret.yaml", COMPONENT.format(name="secret"))
    root = tmp_path / "root"
    write(
        root / "catalog-info.yaml",
        f"""\
        apiVersion: backstage.io/v1alpha1
        kind: Location
        metadata: {{name: root}}
        spec:
          targets:
            - ../secret.yaml
            - {outside}
            - https://example.com/catalog-info.yaml
            - ./link.yaml
            - ./missing.yaml
            - ./none/*.yaml
        """,
    )
    os.symlink(outside, root / "link.yaml")
    catalog = read_catalog([root / "catalog-info.yaml"])
    # a Location with a refused target fails (it is not recorded as imported)
    assert catalog.entities == []
    codes = [(p.code, p.level, p.line) for p in catalog.problems]
    assert codes == [
        ("outside_root", "error", 6),
        ("outside_root", "error", 7),
        ("location_url", "warning", 8),
        ("outside_root", "error", 9),
        ("missing", "error", 10),
        ("location_empty", "warning", 11),
    ]


def test_location_without_target_is_an_error():
    catalog = read_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: x}\nspec: {type: url}\n"
    )
    assert catalog.problems[0].code == "missing_field"


API = """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: orders-api
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition:
    {placeholder}: {target}
"""


def test_text_placeholder_is_substituted_and_its_file_not_read_as_descriptor(tmp_path):
    write(
        tmp_path / "api" / "catalog-info.yaml",
        API.format(placeholder="$text", target="./openapi.yaml"),
    )
    write(
        tmp_path / "api" / "openapi.yaml",
        "openapi: 3.0.0\ninfo: {title: Orders, version: 2.1.0}\npaths: {}\n",
    )
    catalog = read_catalog([tmp_path])
    (entity,) = catalog.entities
    assert entity.spec["definition"].startswith("openapi: 3.0.0\n")
    assert catalog.files == ["api/catalog-info.yaml"]
    assert catalog.skipped == ["api/openapi.yaml"]


def test_scanned_placeholder_target_that_looks_like_a_descriptor_is_dropped(tmp_path):
    write(tmp_path / "a.yaml", API.format(placeholder="$text", target="./z-def.yaml"))
    write(tmp_path / "z-def.yaml", "kind: weird\nopenapi: 3.0.0\n")
    catalog = read_catalog([tmp_path])
    assert [e.name for e in catalog.entities] == ["orders-api"]
    assert catalog.problems == []
    assert "z-def.yaml" in catalog.skipped


def test_json_and_yaml_placeholders(tmp_path):
    write(tmp_path / "j.yaml", API.format(placeholder="$json", target="./d.json"))
    (tmp_path / "d.json").write_text('{"openapi": "3.1.0"}')
    catalog = read_catalog([tmp_path / "j.yaml"])
    assert catalog.entities[0].spec["definition"] == {"openapi": "3.1.0"}
    write(tmp_path / "y.yaml", API.format(placeholder="$yaml", target="./d.yml"))
    (tmp_path / "d.yml").write_text("openapi: 3.1.0\n")
    catalog = read_catalog([tmp_path / "y.yaml"])
    assert catalog.entities[0].spec["definition"] == {"openapi": "3.1.0"}


@pytest.mark.parametrize(
    ("placeholder", "target", "code"),
    [
        ("$text", "./missing.yaml", "missing"),
        ("$text", "../../etc/passwd", "outside_root"),
        ("$text", "/etc/passwd", "outside_root"),
        ("$json", "./bad.json", "placeholder"),
    ],
)
def test_bad_placeholders_fail_the_entity_with_its_line(tmp_path, placeholder, target, code):
    (tmp_path / "bad.json").write_text("{not json")
    write(tmp_path / "api.yaml", API.format(placeholder=placeholder, target=target))
    catalog = read_catalog([tmp_path / "api.yaml"])
    assert catalog.entities == []
    (problem,) = catalog.problems
    assert (problem.code, problem.document, problem.line) == (code, 1, 9)  # spec.definition
    assert problem.ref == "api:default/orders-api"


def test_url_placeholder_is_kept_with_a_warning(tmp_path):
    write(
        tmp_path / "api.yaml",
        API.format(placeholder="$text", target="https://example.com/openapi.yaml"),
    )
    catalog = read_catalog([tmp_path / "api.yaml"])
    assert catalog.entities[0].spec["definition"] == {"$text": "https://example.com/openapi.yaml"}
    assert [p.level for p in catalog.problems] == ["warning"]


def test_content_hash_changes_with_a_placeholder_file(tmp_path):
    write(tmp_path / "api.yaml", API.format(placeholder="$text", target="./o.yaml"))
    (tmp_path / "o.yaml").write_text("openapi: 3.0.0\n")
    first = read_catalog([tmp_path]).entities[0].content_hash
    assert read_catalog([tmp_path]).entities[0].content_hash == first
    (tmp_path / "o.yaml").write_text("openapi: 3.1.0\n")
    assert read_catalog([tmp_path]).entities[0].content_hash != first


def test_oversized_and_non_utf8_files_are_refused(tmp_path):
    write(tmp_path / "big.yaml", COMPONENT.format(name="big") + "#" * 200)
    (tmp_path / "latin.yaml").write_bytes(b"kind: Component\nmetadata: {name: caf\xe9}\n")
    catalog = read_catalog([tmp_path], max_file_bytes=200)
    assert sorted(p.code for p in catalog.problems) == ["too_large", "unreadable"]
    assert catalog.entities == []


# --------------------------------------------------------------------------- real-world files


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: b"\xef\xbb\xbf" + t.encode(),
        lambda t: t.replace("\n", "\r\n").encode(),
        lambda t: t.replace("\n", "\r").encode(),
        lambda t: t.encode("utf-16"),
        lambda t: t.encode("utf-32"),
    ],
    ids=["utf8-bom", "crlf", "cr", "utf16-bom", "utf32-bom"],
)
def test_encodings_and_line_endings(tmp_path, encode):
    (tmp_path / "c.yaml").write_bytes(encode(COMPONENT.format(name="café-ok".replace("é", "e"))))
    catalog = read_catalog([tmp_path])
    assert catalog.problems == []
    assert [(e.name, e.line, e.lines["spec.owner"]) for e in catalog.entities] == [
        ("cafe-ok", 1, 8)
    ]


def test_scan_skips_yaml_that_is_not_backstage(tmp_path):
    write(tmp_path / "k8s.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n")
    write(tmp_path / "chart/Chart.yaml", "apiVersion: v2\nname: x\nversion: 1.0.0\n")
    write(tmp_path / "chart/templates/svc.yaml", "metadata:\n  name: {{ .Values.name }}\n  x: [\n")
    write(tmp_path / "latin.yaml", "")
    (tmp_path / "latin.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    write(
        tmp_path / "skeleton/catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name }}\n",
    )
    write(
        tmp_path / "jinja/api.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: {{ declaration.name }}\n",
    )
    write(
        tmp_path / "annotated.yaml",
        COMPONENT.format(name="harnessed")
        + "  # a valid descriptor may mention {{ }} in its values\n"
        + "  system: sys\n",
    )
    write(tmp_path / "broken.yaml", "apiVersion: backstage.io/v1alpha1\nkind: [Component\n")
    catalog = read_catalog([tmp_path])
    assert sorted(catalog.skipped) == [
        "chart/Chart.yaml",
        "chart/templates/svc.yaml",
        "jinja/api.yaml",
        "k8s.yaml",
        "latin.yaml",
        "skeleton/catalog-info.yaml",
    ]
    assert [e.name for e in catalog.entities] == ["harnessed"]
    # a broken file that mentions backstage.io is still reported
    assert [(p.file, p.code) for p in catalog.problems] == [("broken.yaml", "yaml")]
    # the same files given explicitly are reported
    explicit = read_catalog([tmp_path / "k8s.yaml"])
    assert explicit.problems[0].code == "unknown_kind"


def test_templates_are_skipped_with_a_warning(tmp_path):
    write(
        tmp_path / "template.yaml",
        """\
        apiVersion: scaffolder.backstage.io/v1beta3
        kind: Template
        metadata:
          name: new-service
        spec:
          owner: team-a
          steps:
            - input: {values: {name: "${{ parameters.name }}"}}
        """,
    )
    catalog = read_catalog([tmp_path])
    assert catalog.entities == []
    ((file, document, line, code, level, message),) = [
        (p.file, p.document, p.line, p.code, p.level, p.message) for p in catalog.problems
    ]
    assert (file, document, line, code, level) == ("template.yaml", 1, 2, "skipped_kind", "warning")
    assert (
        message == "Template 'new-service' skipped: a scaffolder Template has no portal equivalent"
    )


def test_recursive_or_absurdly_nested_documents_are_reported_not_crashing():
    recursive = read_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        "metadata: &m {name: x, self: *m}\nspec: {type: service}\n"
    )
    assert [p.code for p in recursive.problems] == ["yaml"]
    nested = read_text("a: " + "[" * 3000 + "]" * 3000 + "\n")
    assert [p.code for p in nested.problems] == ["yaml"]


def test_unquoted_dates_and_non_string_keys_become_text():
    catalog = read_text(
        COMPONENT.format(name="x") + "  reviewed: 2024-02-29\n  3: three\n  on: yes\n"
    )
    (entity,) = catalog.entities
    assert entity.spec["reviewed"] == "2024-02-29"
    assert entity.spec["3"] == "three"
    assert entity.spec["true"] is True  # YAML 1.1 'on' key, kept as text


def test_openapi_and_asyncapi_placeholders_read_the_file(tmp_path):
    write(tmp_path / "openapi.yaml", "openapi: 3.0.0\ninfo: {title: x, version: 1.0.0}\n")
    write(
        tmp_path / "api.yaml",
        API.format(placeholder="$openapi", target="./openapi.yaml")
        + "---\n"
        + API.replace("orders-api", "events").format(
            placeholder="$asyncapi", target="./openapi.yaml"
        ),
    )
    catalog = read_catalog([tmp_path])
    assert catalog.problems == []
    assert [e.spec["definition"][:14] for e in catalog.entities] == ["openapi: 3.0.0"] * 2
    assert catalog.skipped == ["openapi.yaml"]


def test_alias_bombs_are_refused_without_expanding_them():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    text = (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: bomb}\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: t\n"
        + "".join(f"  {line}\n" for line in levels)
    )
    catalog = read_text(text)
    assert catalog.entities == []
    assert [(p.code, p.document) for p in catalog.problems] == [("too_large", 1)]


def test_a_location_target_that_is_a_directory_says_so(tmp_path):
    write(
        tmp_path / "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: r}\n"
        "spec: {targets: [./services/]}\n",
    )
    (tmp_path / "services").mkdir()
    catalog = read_catalog([tmp_path / "catalog-info.yaml"])
    assert "is a directory; name a file or a glob such as './services/**/catalog-info.yaml'" in (
        catalog.problems[0].message
    )
