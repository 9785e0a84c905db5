"""The catalog's pages run the same number of queries with 5 rows and with 200."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Dependency, Service
from catalog.services.catalog import tags_resolve
from tests.catalog.factories import (
    ApiFactory,
    ApiVersionFactory,
    ServiceFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def build(n: int, team) -> Service:
    """``n`` services of 10 teams with tags; the hub provides an API all of them consume and
    consumes an API of each of them (so ``n`` consumers, ``n`` dependencies)."""
    teams = [TeamFactory(slug=f"t{i}", name=f"Team {i}") for i in range(10)]
    tags = tags_resolve(names=["pci", "edge", "batch"])
    hub = ServiceFactory(slug="hub", name="Hub", owner=team, tier=1)
    hub_v1 = ApiVersionFactory(api=ApiFactory(slug="hub-api", name="Hub API", provider=hub))
    deps = []
    layers = list(Service.Layer.values)
    for i in range(n):
        svc = ServiceFactory(
            slug=f"s{i:03d}",
            name=f"Service {i:03d}",
            owner=teams[i % 10],
            layer=layers[i % 3],
            tier=1 + i % 4,
        )
        svc.tags.set(tags[: 1 + i % 3])
        version = ApiVersionFactory(api=ApiFactory(slug=f"a{i:03d}", provider=svc))
        deps.append(Dependency(consumer=svc, api_version=hub_v1, provider=hub))
        deps.append(Dependency(consumer=hub, api_version=version, provider=svc))
    Dependency.objects.bulk_create(deps)
    return hub


def count_queries(client, url: str) -> int:
    client.get(url)  # warm up: session, content types, caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        reverse("catalog:service-list"),
        reverse("catalog:service-list") + "?page_size=200&layer=core&layer=base&tag=pci",
        reverse("catalog:service-list") + "?search=service",
        reverse("catalog:service-detail", args=["hub"]),
        reverse("catalog:service-impact", args=["hub"]),
        reverse("catalog:team-detail", args=["t1"]),
        reverse("catalog:api-detail", args=["hub-api"]),
        reverse("catalog:layers"),
    ],
)
def test_queries_do_not_grow_with_rows(django_db_blocker, web_client, engineer, team, url):
    from django.db import transaction

    counts = []
    for n in (5, 200):
        sid = transaction.savepoint()
        build(n, team)
        assert Service.objects.count() == n + 1
        counts.append(count_queries(web_client(engineer), url))
        transaction.savepoint_rollback(sid)
    assert counts[0] == counts[1], counts


def test_api_version_page_queries_do_not_grow(web_client, engineer, team):
    from django.db import transaction

    from catalog.models import ApiVersion

    counts = []
    for n in (5, 200):
        sid = transaction.savepoint()
        build(n, team)
        version = ApiVersion.objects.get(api__slug="hub-api")
        url = reverse("catalog:apiversion-detail", args=[version.pk])
        counts.append(count_queries(web_client(engineer), url))
        transaction.savepoint_rollback(sid)
    assert counts[0] == counts[1], counts


def test_service_page_really_shows_200_neighbours(web_client, engineer, team):
    build(200, team)
    response = web_client(engineer).get(reverse("catalog:service-detail", args=["hub"]))
    assert response.context["consumers"].total == 200
    assert len(response.context["consumers"].rows) == 100  # the table is capped
    body = response.content.decode()
    assert 'data-upstream="200"' in body and 'data-downstream="200"' in body
    assert body.count('class="graph-node graph-') <= 1 + 2 * 18  # the graph stays readable
