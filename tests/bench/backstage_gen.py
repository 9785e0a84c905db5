"""Generate a Backstage catalog of a given shape (for ``manage.py bench import``).

Default shape: 200 Groups, 10,000 Components, 15,000 APIs and about 100,000 consumesApis
edges, plus Users, Systems, Domains and a root Location, laid out one directory per group
(``groups/<group>/catalog-info.yaml``) with every tenth API definition in a ``$text`` file.
Deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from catalog.descriptors import dump_documents, entity_document

OPENAPI = """openapi: 3.0.3
info:
  title: {title}
  version: {version}
paths:
  /{name}:
    get:
      operationId: list_{ident}
      responses:
        "200":
          description: OK
  /{name}/{{id}}:
    get:
      operationId: get_{ident}
      parameters:
        - name: id
          in: path
          required: true
          schema: {{type: string}}
      responses:
        "200":
          description: OK
"""


@dataclass(frozen=True)
class Shape:
    groups: int = 200
    components: int = 10_000
    apis: int = 15_000
    edges: int = 100_000
    users_per_group: int = 2
    domains: int = 10

    @property
    def systems(self) -> int:
        return self.groups


def generate(
    out: Path, shape: Shape = Shape(), *, seed: int = 42, version_bump: int = 0
) -> dict[str, int]:
    """Write the catalog under ``out`` and return entity counts.

    ``version_bump`` changes the definitions of the first N APIs (a new version), to measure
    an incremental re-import.
    """
    rng = random.Random(seed)
    out = Path(out)
    (out / "groups").mkdir(parents=True, exist_ok=True)
    groups = [f"team-{g:04d}" for g in range(shape.groups)]
    components = [f"svc-{c:05d}" for c in range(shape.components)]
    apis = [f"api-{a:05d}" for a in range(shape.apis)]
    component_group = [c % shape.groups for c in range(shape.components)]
    # every API is provided by a component; the first len(components) go one each
    api_provider = [a % shape.components for a in range(shape.apis)]
    provides: dict[int, list[int]] = {}
    for a, c in enumerate(api_provider):
        provides.setdefault(c, []).append(a)
    per_component, remainder = divmod(shape.edges, shape.components)
    consumes: dict[int, list[int]] = {}
    for c in range(shape.components):
        wanted = per_component + (1 if c < remainder else 0)
        chosen: set[int] = set()
        while len(chosen) < wanted:
            a = rng.randrange(shape.apis)
            if api_provider[a] != c:
                chosen.add(a)
        consumes[c] = sorted(chosen)

    root = entity_document(
        kind="Location",
        name="generated-catalog",
        spec={"type": "url", "targets": ["./org/domains.yaml", "./groups/*/catalog-info.yaml"]},
    )
    (out / "catalog-info.yaml").write_text(dump_documents([root]))
    (out / "org").mkdir(exist_ok=True)
    domains = [
        entity_document(
            kind="Domain",
            name=f"domain-{d:02d}",
            metadata={"description": f"Domain {d}"},
            spec={"owner": groups[d % len(groups)]},
        )
        for d in range(shape.domains)
    ]
    (out / "org" / "domains.yaml").write_text(dump_documents(domains))

    by_group: dict[int, list[int]] = {}
    for c, g in enumerate(component_group):
        by_group.setdefault(g, []).append(c)
    counts = {
        "Group": 0,
        "User": 0,
        "System": 0,
        "Domain": len(domains),
        "Component": 0,
        "API": 0,
        "Location": 1,
    }
    for g, group in enumerate(groups):
        directory = out / "groups" / group
        directory.mkdir(parents=True, exist_ok=True)
        docs = [
            entity_document(
                kind="Group",
                name=group,
                metadata={"description": f"Team {g}"},
                spec={
                    "type": "team",
                    "profile": {"displayName": f"Team {g:04d}", "email": f"{group}@example.com"},
                    "children": [],
                },
            )
        ]
        for u in range(shape.users_per_group):
            docs.append(
                entity_document(
                    kind="User",
                    name=f"user-{g:04d}-{u}",
                    spec={
                        "profile": {
                            "displayName": f"User {g}-{u}",
                            "email": f"user-{g:04d}-{u}@example.com",
                        },
                        "memberOf": [group],
                    },
                )
            )
        system = f"system-{g:04d}"
        docs.append(
            entity_document(
                kind="System",
                name=system,
                spec={
                    "owner": f"group:default/{group}",
                    "domain": f"domain-{g % shape.domains:02d}",
                },
            )
        )
        counts["Group"] += 1
        counts["User"] += shape.users_per_group
        counts["System"] += 1
        for c in by_group.get(g, []):
            name = components[c]
            docs.append(
                entity_document(
                    kind="Component",
                    name=name,
                    metadata={
                        "description": f"Service {c}",
                        "tags": ["python", f"tier{c % 4 + 1}"],
                        "annotations": {
                            "github.com/project-slug": f"example/{name}",
                            "portal.dev/tier": str(c % 4 + 1),
                        },
                        "links": [
                            {"url": f"https://runbooks.example.com/{name}", "title": "Runbook"}
                        ],
                    },
                    spec={
                        "type": "service",
                        "lifecycle": ("production", "experimental", "deprecated")[c % 3],
                        "owner": group,
                        "system": system,
                        "providesApis": [apis[a] for a in provides.get(c, [])],
                        "consumesApis": [f"api:{apis[a]}" for a in consumes[c]],
                        "dependsOn": [f"component:{components[(c + 1) % shape.components]}"]
                        if c % 5 == 0
                        else [],
                    },
                )
            )
            counts["Component"] += 1
            for a in provides.get(c, []):
                api = apis[a]
                version = f"1.{a % 7}.{1 if a < version_bump else 0}"
                definition = OPENAPI.format(
                    title=api, version=version, name=api, ident=api.replace("-", "_")
                )
                if a % 10 == 0:
                    (directory / f"{api}.openapi.yaml").write_text(definition)
                    definition = {"$text": f"./{api}.openapi.yaml"}
                docs.append(
                    entity_document(
                        kind="API",
                        name=api,
                        metadata={"description": f"API {a}"},
                        spec={
                            "type": "openapi",
                            "lifecycle": "production",
                            "owner": group,
                            "system": system,
                            "definition": definition,
                        },
                    )
                )
                counts["API"] += 1
        (directory / "catalog-info.yaml").write_text(dump_documents(docs))
    counts["consumesApis"] = sum(len(v) for v in consumes.values())
    return counts


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(generate(Path(sys.argv[1])))
