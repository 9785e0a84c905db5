"""Per-kind checks and reference resolution across the catalog."""

import pytest

from catalog.descriptors import read_text, resolve_catalog

GROUP = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{name: {name}}}
spec: {{type: team, children: []}}
"""


def resolved(text, known=()):
    return resolve_catalog(read_text(text, file="c.yaml"), known=known)


def test_every_kind_and_reference_form_resolves():
    text = "---\n".join(
        [
            GROUP.format(name="payments"),
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: platform, namespace: ops}\n"
            "spec: {type: team, parent: 'group:default/payments', members: [default/jdoe]}\n",
            "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: jdoe}\n"
            "spec: {memberOf: [payments, 'ops/platform']}\n",
            "apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata: {name: money}\nspec: {owner: payments}\n",
            "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: billing}\n"
            "spec: {owner: 'group:payments', domain: 'domain:default/money'}\n",
            "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: payments-api}\n"
            "spec: {type: openapi, lifecycle: production, owner: 'user:jdoe', system: billing, definition: 'x'}\n",
            "apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: {name: ledger-db}\n"
            "spec: {type: database, owner: payments, system: 'system:billing'}\n",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: ledger}\n"
            "spec: {type: service, lifecycle: production, owner: 'group:default/payments',"
            " providesApis: [payments-api], consumesApis: ['api:payments-api', 'api:default/payments-api'],"
            " dependsOn: ['resource:ledger-db', checkout]}\n",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: checkout, namespace: default}\n"
            "spec: {type: website, lifecycle: experimental, owner: 'ops/platform', subcomponentOf: ledger}\n",
        ]
    )
    catalog = resolved(text)
    assert catalog.problems == []
    by_key = {e.key: e for e in catalog.entities}
    assert len(by_key) == 9
    ledger = by_key["component:default/ledger"]
    assert [str(r) for r in ledger.refs["owner"]] == ["group:default/payments"]
    assert [str(r) for r in ledger.refs["consumesApis"]] == ["api:default/payments-api"]
    assert [str(r) for r in ledger.refs["dependsOn"]] == [
        "resource:default/ledger-db",
        "component:default/checkout",
    ]
    assert [str(r) for r in by_key["user:default/jdoe"].refs["memberOf"]] == [
        "group:default/payments",
        "group:ops/platform",
    ]
    assert [str(r) for r in by_key["group:ops/platform"].refs["members"]] == ["user:default/jdoe"]
    assert [str(r) for r in by_key["component:default/checkout"].refs["owner"]] == [
        "group:ops/platform"
    ]
    assert [str(r) for r in by_key["api:default/payments-api"].refs["owner"]] == [
        "user:default/jdoe"
    ]
    assert [str(r) for r in by_key["system:default/billing"].refs["domain"]] == [
        "domain:default/money"
    ]


def test_namespace_less_reference_takes_the_referring_entity_namespace():
    text = (
        GROUP.format(name="payments")
        + "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a, namespace: ops}\n"
        "spec: {type: service, lifecycle: production, owner: payments}\n"
    )
    catalog = resolved(text)
    (problem,) = catalog.problems
    assert problem.code == "dangling_ref"
    assert "group:ops/payments does not match any Group" in problem.message
    assert resolved(text, known={"group:ops/payments"}).problems == []


@pytest.mark.parametrize(
    ("spec", "fragment", "line"),
    [
        ("{lifecycle: production, owner: t}", "missing 'spec.type'", 5),
        ("{type: service, owner: t}", "missing 'spec.lifecycle'", 5),
        ("{type: service, lifecycle: production}", "missing 'spec.owner'", 5),
        ("{type: [1], lifecycle: production, owner: t}", "'spec.type' must be a string", 5),
        (
            "{type: service, lifecycle: production, owner: 'component:x'}",
            "must point to Group, User",
            5,
        ),
        (
            "{type: service, lifecycle: production, owner: t, consumesApis: api-a}",
            "must be a list",
            5,
        ),
        (
            "{type: service, lifecycle: production, owner: t, dependsOn: ['widget:x']}",
            "unknown kind",
            5,
        ),
    ],
)
def test_component_field_errors(spec, fragment, line):
    text = (
        GROUP.format(name="t")
        + "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a}\n"
    )
    catalog = resolved(text + f"spec: {spec}\n")
    assert [e.key for e in catalog.entities] == ["group:default/t"]
    (problem,) = catalog.problems
    assert fragment in problem.message
    assert (problem.file, problem.document, problem.line, problem.ref) == (
        "c.yaml",
        2,
        4 + line,
        "component:default/a",
    )


def test_dangling_reference_names_the_list_item_line():
    text = GROUP.format(name="t") + (
        "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: t\n  consumesApis:\n"
        "    - api:a\n    - api:a\n    - api:missing\n"
    )
    catalog = resolved(text, known={"api:default/a"})
    (problem,) = catalog.problems
    assert (
        problem.message
        == "spec.consumesApis[2]: api:default/missing does not match any API in the catalog"
    )
    assert problem.line == 17
    assert str(problem) == (
        "c.yaml, document 2, line 17 [component:default/a]: "
        "spec.consumesApis[2]: api:default/missing does not match any API in the catalog"
    )


def test_failed_owners_drop_their_entities_transitively():
    text = "---\n".join(
        [
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: t}\nspec: {children: []}\n",
            "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: s}\nspec: {owner: t}\n",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a}\n"
            "spec: {type: service, lifecycle: production, owner: user:u, system: s}\n",
            "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: u}\nspec: {}\n",
            "apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata: {name: d}\nspec: {owner: system:s}\n",
        ]
    )
    catalog = resolved(text)
    # the System's owner failed: the System fails; the Component only loses its system
    assert [e.key for e in catalog.entities] == ["component:default/a", "user:default/u"]
    assert [(p.document, p.code, p.level) for p in catalog.problems] == [
        (1, "missing_field", "error"),
        (5, "invalid_ref", "error"),
        (2, "dangling_ref", "error"),
        (3, "unresolved_ref", "warning"),
    ]
    assert catalog.problems[-1].line == 14  # the spec line of document 3
    assert catalog.entities[0].refs["system"] == []


def test_reference_to_a_failed_entity_is_reported_once_across_passes():
    text = "---\n".join(
        [
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: t}\nspec: {type: team}\n",
            "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: x}\n"
            "spec: {type: openapi, lifecycle: production, owner: t}\n",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a}\n"
            "spec: {type: service, lifecycle: production, owner: t, consumesApis: [x, api:default/x]}\n",
        ]
    )
    catalog = resolved(text)
    resolve_catalog(catalog)
    assert [e.key for e in catalog.entities] == ["group:default/t", "component:default/a"]
    assert [(p.document, p.code) for p in catalog.problems] == [
        (2, "missing_field"),
        (3, "unresolved_ref"),
    ]


def test_duplicate_entities_keep_the_first():
    text = GROUP.format(name="t") + "---\n" + GROUP.format(name="T")
    catalog = resolved(text)
    assert len(catalog.entities) == 1
    assert catalog.problems[0].code == "duplicate"
    assert "first defined in c.yaml, document 1, line 1" in catalog.problems[0].message


@pytest.mark.parametrize(
    ("kind", "spec", "fragment"),
    [
        ("API", "{type: openapi, lifecycle: production, owner: t}", "missing 'spec.definition'"),
        ("Resource", "{owner: t}", "missing 'spec.type'"),
        ("System", "{}", "missing 'spec.owner'"),
        ("Domain", "{}", "missing 'spec.owner'"),
        ("Group", "{children: []}", "missing 'spec.type'"),
        ("User", "{memberOf: nope}", "must be a list"),
    ],
)
def test_required_fields_per_kind(kind, spec, fragment):
    text = (
        GROUP.format(name="t")
        + f"---\napiVersion: backstage.io/v1alpha1\nkind: {kind}\nmetadata: {{name: x}}\nspec: {spec}\n"
    )
    catalog = resolved(text)
    (problem,) = catalog.problems
    assert fragment in problem.message


@pytest.mark.parametrize(
    ("metadata", "fragment"),
    [
        ("{name: x, tags: java}", "metadata.tags"),
        ("{name: x, annotations: [a]}", "metadata.annotations"),
        ("{name: x, links: [{title: no url}]}", "metadata.links"),
    ],
)
def test_metadata_shape_errors(metadata, fragment):
    text = GROUP.format(name="t") + (
        f"---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {metadata}\n"
        "spec: {type: service, lifecycle: production, owner: t}\n"
    )
    (problem,) = resolved(text).problems
    assert fragment in problem.message
