"""The services list renders plain rows (``service_rows`` + ``_service_rows``) that must equal the
serializer output of the detail endpoint, whatever the page, ordering or filter; its count is exact
and its pagination behaves like any other list."""

from __future__ import annotations

import pytest

from catalog.services.catalog import tags_resolve
from tests.catalog.factories import ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


@pytest.fixture
def services():
    team = TeamFactory(slug="core", name="Core")
    other = TeamFactory(slug="edge", name="Edge")
    made = []
    for i in range(7):
        s = ServiceFactory(
            slug=f"svc-{i}",
            name=f"Service {6 - i}",
            owner=team if i % 2 else other,
            tier=1 + i % 4,
            layer="core" if i % 3 else "base",
            links=[{"title": "Repo", "url": f"https://git.example.com/{i}"}] if i % 2 else [],
            annotations={"pager": f"team-{i}"} if i % 3 == 0 else {},
        )
        if i % 2 == 0:
            s.tags.set(tags_resolve(names=["zeta", "alpha", f"t{i}"]))
        made.append(s)
    return made


@pytest.mark.parametrize(
    "query",
    ["", "ordering=name", "ordering=-tier", "ordering=-updated_at", "layer=core", "owner=edge"],
)
def test_every_page_equals_the_detail_representation(api_client, engineer, services, query):
    client = api_client(engineer)
    seen, page, count = [], 1, None
    while True:
        body = client.get(f"{V1}/services/?page_size=3&page={page}&{query}").json()
        count = body["count"] if count is None else count
        assert body["count"] == count
        for row in body["results"]:
            assert row == client.get(f"{V1}/services/{row['slug']}/").json()
            seen.append(row["slug"])
        if body["next"] is None:
            break
        page += 1
    assert len(seen) == len(set(seen)) == count
    assert count == {"layer=core": 4, "owner=edge": 4}.get(query, 7)


def test_rows_carry_sorted_tags_owner_and_default_order(api_client, engineer, services):
    body = api_client(engineer).get(f"{V1}/services/?page_size=500").json()
    assert body["count"] == 7 and body["previous"] is None and body["next"] is None
    assert [r["name"] for r in body["results"]] == [f"Service {i}" for i in range(7)]
    first = body["results"][0]  # svc-6: even, so tagged
    assert first["slug"] == "svc-6" and first["tags"] == ["alpha", "t6", "zeta"]
    assert first["owner"] == {"slug": "edge", "name": "Edge"}
    assert body["results"][1]["tags"] == []  # svc-5


def test_counts_follow_filters_and_last_page(api_client, engineer, services):
    client = api_client(engineer)
    assert client.get(f"{V1}/services/?owner=core").json()["count"] == 3
    assert client.get(f"{V1}/services/?layer=base").json()["count"] == 3
    assert client.get(f"{V1}/services/?tag=alpha&owner=edge").json()["count"] == 4
    last = client.get(f"{V1}/services/?page_size=3&page=last").json()
    assert len(last["results"]) == 1 and last["next"] is None and "page=2" in last["previous"]
    assert client.get(f"{V1}/services/?page_size=3&page=4").status_code == 404
    assert client.get(f"{V1}/services/?page=0").status_code == 404
    empty = client.get(f"{V1}/services/?owner=nobody").json()
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}
