"""The YAML writer produces Backstage documents that read back identically."""

from catalog.descriptors import dump_documents, entity_document, read_text, resolve_catalog


def test_written_documents_read_back_identically():
    documents = [
        entity_document(kind="group", name="payments", spec={"type": "team", "children": []}),
        entity_document(
            kind="api",
            name="orders-api",
            namespace="ops",
            metadata={"description": "Orders", "tags": ["rest"], "annotations": {}},
            spec={
                "type": "openapi",
                "lifecycle": "production",
                "owner": "group:default/payments",
                "definition": "openapi: 3.0.0\ninfo:\n  title: Orders  \n  version: 1.0.0\n",
            },
        ),
        entity_document(kind="user", name="jdoe"),
    ]
    text = dump_documents(documents)
    assert text.startswith("---\napiVersion: backstage.io/v1alpha1\nkind: Group\n")
    assert "definition: |" in text or 'definition: "' in text
    catalog = resolve_catalog(read_text(text))
    assert catalog.problems == []
    assert [e.data for e in catalog.entities] == documents
    api = catalog.entities[1]
    assert api.kind == "API" and api.namespace == "ops"
    assert "annotations" not in api.metadata
    assert catalog.entities[2].data["spec"] == {}
